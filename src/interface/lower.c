/* HGLower: the lower-level solver interface.  Algorithms live in src/lower/. */
#include <hypergrad/hgimpl.h>

PETSC_INTERN PetscErrorCode HGLowerCreate_GD(HGLower);
PETSC_INTERN PetscErrorCode HGLowerCreate_HeavyBall(HGLower);
PETSC_INTERN PetscErrorCode HGLowerCreate_Tao(HGLower);

const char *const HGLowerTrajectoryTypes[] = {"full", "every", "revolve", "HGLowerTrajectoryType", "HG_LOWER_TRAJECTORY_", NULL};

PetscErrorCode HGLowerRegisterAll(void)
{
  static PetscBool registered = PETSC_FALSE;

  PetscFunctionBegin;
  if (registered) PetscFunctionReturn(0);
  registered = PETSC_TRUE;
  PetscCall(PetscFunctionListAdd(&HGLowerList, HGLOWERGD, HGLowerCreate_GD));
  PetscCall(PetscFunctionListAdd(&HGLowerList, HGLOWERHEAVYBALL, HGLowerCreate_HeavyBall));
  PetscCall(PetscFunctionListAdd(&HGLowerList, HGLOWERTAO, HGLowerCreate_Tao));
  PetscFunctionReturn(0);
}

/*@C
  HGLowerRegister - adds a lower-level solver type

  Not Collective

  Input Parameters:
+ name - the type name (the value of -lower_type)
- create - the function that fills in the solver

  Level: advanced

.seealso: HGLowerSetType()
@*/
PetscErrorCode HGLowerRegister(const char name[], PetscErrorCode (*create)(HGLower))
{
  PetscFunctionBegin;
  PetscCall(HGInitializePackage());
  PetscCall(PetscFunctionListAdd(&HGLowerList, name, create));
  PetscFunctionReturn(0);
}

/*@
  HGLowerCreate - creates a lower-level solver (default: gd, 100 iterations)

  Collective

  Input Parameter:
. comm - the communicator

  Output Parameter:
. lower - the new solver

  Notes:
  HGCreate() makes one; users seldom create their own.

  Level: intermediate

.seealso: HGGetLower(), HGLowerSetType()
@*/
PetscErrorCode HGLowerCreate(MPI_Comm comm, HGLower *lower)
{
  HGLower l;

  PetscFunctionBegin;
  PetscAssertPointer(lower, 2);
  PetscCall(HGInitializePackage());
  PetscCall(PetscHeaderCreate(l, HGLOWER_CLASSID, "HGLower", "Lower-level solver", "HG", comm, HGLowerDestroy, HGLowerView));
  l->max_it   = 100;
  l->rtol     = 0;
  l->atol     = 0;
  l->dtol     = 1e8;
  l->step     = PETSC_DEFAULT;
  l->momentum = PETSC_DEFAULT;
  l->trajtype   = HG_LOWER_TRAJECTORY_FULL;
  l->traj_param = PETSC_DEFAULT;
  *lower      = l;
  PetscFunctionReturn(0);
}

/*@C
  HGLowerSetType - chooses the lower-level algorithm

  Collective

  Input Parameters:
+ lower - the lower-level solver
- type - HGLOWERGD, HGLOWERHEAVYBALL or HGLOWERTAO

  Options Database Key:
. -lower_type <gd,heavyball,tao> - gradient descent / fixed-point iteration, heavy ball, or a TAO solver

  Level: intermediate

.seealso: HGLowerSetFromOptions()
@*/
PetscErrorCode HGLowerSetType(HGLower lower, HGLowerType type)
{
  PetscErrorCode (*create)(HGLower);
  PetscBool same;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(lower, HGLOWER_CLASSID, 1);
  PetscCall(PetscObjectTypeCompare((PetscObject)lower, type, &same));
  if (same) PetscFunctionReturn(0);
  PetscCall(PetscFunctionListFind(HGLowerList, type, &create));
  PetscCheck(create, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown lower-level solver \"%s\": choose gd, heavyball or tao", type);
  PetscTryTypeMethod(lower, destroy);
  PetscCall(PetscMemzero(lower->ops, sizeof(struct _HGLowerOps)));
  lower->data        = NULL;
  lower->setupcalled = PETSC_FALSE;
  PetscCall(PetscObjectChangeTypeName((PetscObject)lower, type));
  PetscCall((*create)(lower));
  PetscFunctionReturn(0);
}

/*@
  HGLowerGetType - the type of the lower-level solver

  Not Collective

  Input Parameter:
. lower - the lower-level solver

  Output Parameter:
. type - its type name

  Level: intermediate

.seealso: HGLowerSetType()
@*/
PetscErrorCode HGLowerGetType(HGLower lower, HGLowerType *type)
{
  PetscFunctionBegin;
  *type = ((PetscObject)lower)->type_name;
  PetscFunctionReturn(0);
}

/*@
  HGLowerSetProblem - the problem whose lower level the solver solves

  Collective

  Input Parameters:
+ lower - the lower-level solver
- prob - the problem

  Level: developer

.seealso: HGSetProblem()
@*/
PetscErrorCode HGLowerSetProblem(HGLower lower, HGProblem prob)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 2);
  PetscCall(PetscObjectReference((PetscObject)prob));
  PetscCall(HGProblemDestroy(&lower->problem));
  lower->problem     = prob;
  lower->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
  HGLowerSetOptionsPrefix - sets the prefix of the solver's option names

  Logically Collective

  Input Parameters:
+ lower - the lower-level solver
- prefix - the prefix

  Level: intermediate

.seealso: HGSetOptionsPrefix()
@*/
PetscErrorCode HGLowerSetOptionsPrefix(HGLower lower, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)lower, prefix));
  PetscFunctionReturn(0);
}

/*@
  HGLowerSetFromOptions - reads the lower-level options

  Collective

  Input Parameter:
. lower - the lower-level solver

  Options Database Keys:
+ -lower_type <gd>        - gd, heavyball or tao
. -lower_max_it <100>     - t: the number of iterations (or the cap when a tolerance is set)
. -lower_rtol, -lower_atol - stop when the residual falls below rtol*r0 or atol (0: run exactly max_it)
. -lower_dtol <1e8>       - declare divergence when the residual grows by this factor
. -lower_step <alpha>     - step size (default 2/(L+mu), or 4/(sqrt(L)+sqrt(mu))^2 for heavy ball)
. -lower_momentum <beta>  - heavy-ball momentum (default ((sqrt(kappa)-1)/(sqrt(kappa)+1))^2)
. -lower_trajectory_type <full,every,revolve> - how ITD keeps the iterates (HGLowerSetTrajectoryType())
. -lower_trajectory_interval <m>  - every: store every m-th iterate (default ceil(sqrt(t)), ceil(sqrt(2t)) for heavy ball)
. -lower_trajectory_snapshots <s> - revolve: snapshots besides w_0 (default ceil(log2(t+1)))
- -lower_monitor          - print the residual at every iteration

  Level: intermediate

.seealso: HGSetFromOptions()
@*/
PetscErrorCode HGLowerSetFromOptions(HGLower lower)
{
  char      type[256];
  PetscBool flg, fstep, fmom, fm, fs;
  PetscReal step = lower->step, mom = lower->momentum;
  PetscEnum tt = (PetscEnum)lower->trajtype;
  PetscInt  m  = lower->trajtype == HG_LOWER_TRAJECTORY_EVERY ? lower->traj_param : PETSC_DEFAULT, sn = lower->trajtype == HG_LOWER_TRAJECTORY_REVOLVE ? lower->traj_param : PETSC_DEFAULT;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(lower, HGLOWER_CLASSID, 1);
  PetscObjectOptionsBegin((PetscObject)lower);
  PetscCall(PetscOptionsFList("-lower_type", "Lower-level solver", "HGLowerSetType", HGLowerList, ((PetscObject)lower)->type_name ? ((PetscObject)lower)->type_name : HGLOWERGD, type, sizeof(type), &flg));
  if (flg) PetscCall(HGLowerSetType(lower, type));
  else if (!((PetscObject)lower)->type_name) PetscCall(HGLowerSetType(lower, HGLOWERGD));
  PetscCall(HGOptionsInt("-lower_max_it", "Lower-level iterations t", "HGLowerSetMaxIterations", lower->max_it, &lower->max_it, NULL));
  PetscCall(HGOptionsReal("-lower_rtol", "Relative residual tolerance (0: run max_it iterations)", "HGLowerSetTolerances", lower->rtol, &lower->rtol, NULL));
  PetscCall(HGOptionsReal("-lower_atol", "Absolute residual tolerance (0: run max_it iterations)", "HGLowerSetTolerances", lower->atol, &lower->atol, NULL));
  PetscCall(HGOptionsReal("-lower_dtol", "Divergence tolerance on residual growth", "HGLowerSetTolerances", lower->dtol, &lower->dtol, NULL));
  if (step == PETSC_DEFAULT) PetscCall(HGOptionsRealDefault("-lower_step", "Step size alpha", "HGLowerSetStepSize", "2/(L+mu), heavy ball 4/(sqrt(L)+sqrt(mu))^2", &step, &fstep));
  else PetscCall(HGOptionsReal("-lower_step", "Step size alpha", "HGLowerSetStepSize", step, &step, &fstep));
  if (mom == PETSC_DEFAULT) PetscCall(HGOptionsRealDefault("-lower_momentum", "Heavy-ball momentum beta", "HGLowerSetMomentum", "((sqrt(L)-sqrt(mu))/(sqrt(L)+sqrt(mu)))^2", &mom, &fmom));
  else PetscCall(HGOptionsReal("-lower_momentum", "Heavy-ball momentum beta", "HGLowerSetMomentum", mom, &mom, &fmom));
  PetscCall(PetscOptionsBool("-lower_monitor", "Print the residual at each iteration", "", lower->monitor, &lower->monitor, NULL));
  PetscCall(PetscOptionsEnum("-lower_trajectory_type", "How ITD keeps the lower iterates: all, every m-th (segments recomputed), binomial checkpoints", "HGLowerSetTrajectoryType", HGLowerTrajectoryTypes, tt, &tt, NULL));
  if (m == PETSC_DEFAULT) PetscCall(HGOptionsIntDefault("-lower_trajectory_interval", "every: store every m-th iterate", "HGLowerSetTrajectoryType", "ceil(sqrt(t))", &m, &fm));
  else PetscCall(HGOptionsInt("-lower_trajectory_interval", "every: store every m-th iterate", "HGLowerSetTrajectoryType", m, &m, &fm));
  if (sn == PETSC_DEFAULT) PetscCall(HGOptionsIntDefault("-lower_trajectory_snapshots", "revolve: number of snapshots besides w_0", "HGLowerSetTrajectoryType", "ceil(log2(t+1))", &sn, &fs));
  else PetscCall(HGOptionsInt("-lower_trajectory_snapshots", "revolve: number of snapshots besides w_0", "HGLowerSetTrajectoryType", sn, &sn, &fs));
  PetscTryTypeMethod(lower, setfromoptions, PetscOptionsObject);
  PetscOptionsEnd();
  /* the checks after PetscOptionsEnd(): an error inside the block would leak it */
  if (fstep) PetscCall(HGLowerSetStepSize(lower, step));
  if (fmom) PetscCall(HGLowerSetMomentum(lower, mom));
  PetscCheck(!fm || (HGLowerTrajectoryType)tt == HG_LOWER_TRAJECTORY_EVERY, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_INCOMP, "-lower_trajectory_interval applies to -lower_trajectory_type every only");
  PetscCheck(!fs || (HGLowerTrajectoryType)tt == HG_LOWER_TRAJECTORY_REVOLVE, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_INCOMP, "-lower_trajectory_snapshots applies to -lower_trajectory_type revolve only");
  PetscCall(HGLowerSetTrajectoryType(lower, (HGLowerTrajectoryType)tt, (HGLowerTrajectoryType)tt == HG_LOWER_TRAJECTORY_EVERY ? m : ((HGLowerTrajectoryType)tt == HG_LOWER_TRAJECTORY_REVOLVE ? sn : PETSC_DEFAULT)));
  PetscCall(HGLowerSetTolerances(lower, lower->rtol, lower->atol, lower->dtol));
  PetscCall(HGLowerSetMaxIterations(lower, lower->max_it));
  PetscFunctionReturn(0);
}

/*@
  HGLowerSetMaxIterations - t: the number of lower-level iterations (the cap when a tolerance
  is set)

  Logically Collective

  Input Parameters:
+ lower - the lower-level solver
- t - the iterations, >= 0

  Options Database Key:
. -lower_max_it <100> - t

  Level: beginner

.seealso: HGSetIterations(), HGLowerSetTolerances()
@*/
PetscErrorCode HGLowerSetMaxIterations(HGLower lower, PetscInt t)
{
  PetscFunctionBegin;
  PetscCheck(t >= 1, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_OUTOFRANGE, "-lower_max_it (the number of lower-level iterations t, or their cap) must be >= 1; got %" PetscInt_FMT "%s", t, t == 0 ? ": w stays at its initial guess and the outer loop goes nowhere" : "");
  lower->max_it = t;
  PetscFunctionReturn(0);
}

/*@
  HGLowerGetMaxIterations - the number of lower-level iterations t

  Not Collective

  Input Parameter:
. lower - the lower-level solver

  Output Parameter:
. t - the iterations

  Level: intermediate

.seealso: HGLowerSetMaxIterations()
@*/
PetscErrorCode HGLowerGetMaxIterations(HGLower lower, PetscInt *t)
{
  PetscFunctionBegin;
  *t = lower->max_it;
  PetscFunctionReturn(0);
}

/*@
  HGLowerSetTolerances - stop tests of the lower solve on the residual (||grad_w l|| or ||w -
  Phi(w)||)

  Logically Collective

  Input Parameters:
+ lower - the lower-level solver
. rtol - relative to the initial residual (0: none)
. atol - absolute (0: none)
- dtol - divergence when the residual grows by this factor

  Options Database Keys:
+ -lower_rtol <0> - rtol
. -lower_atol <0> - atol
- -lower_dtol <1e8> - dtol

  Notes:
  With rtol = atol = 0 the solver runs exactly t iterations, as in the papers.

  Level: intermediate

.seealso: HGLowerSetMaxIterations()
@*/
PetscErrorCode HGLowerSetTolerances(HGLower lower, PetscReal rtol, PetscReal atol, PetscReal dtol)
{
  PetscFunctionBegin;
  PetscCheck(rtol >= 0 && rtol < 1, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_OUTOFRANGE, "-lower_rtol must lie in [0,1); got %g", (double)rtol);
  PetscCheck(atol >= 0, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_OUTOFRANGE, "-lower_atol must be >= 0; got %g", (double)atol);
  PetscCheck(dtol > 1, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_OUTOFRANGE, "-lower_dtol must be > 1; got %g", (double)dtol);
  lower->rtol = rtol;
  lower->atol = atol;
  lower->dtol = dtol;
  PetscFunctionReturn(0);
}

/*@
  HGLowerSetStepSize - the step alpha of gd and heavy ball (default from the problem's L and
  mu)

  Logically Collective

  Input Parameters:
+ lower - the lower-level solver
- alpha - the step, > 0

  Options Database Key:
. -lower_step <alpha> - the step

  Level: intermediate

.seealso: HGLowerGetStepSize(), HGProblemSetLowerConstants()
@*/
PetscErrorCode HGLowerSetStepSize(HGLower lower, PetscReal step)
{
  PetscFunctionBegin;
  PetscCheck(step == PETSC_DEFAULT || (step > 0 && !PetscIsInfOrNanReal(step)), PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_OUTOFRANGE, "-lower_step must be a positive number; got %g", (double)step);
  lower->step        = step;
  lower->setupcalled = PETSC_FALSE; /* the next solve derives the step again (a step set after a solve is not ignored) */
  PetscFunctionReturn(0);
}

/*@
  HGLowerGetStepSize - the step in use (after set-up: the resolved default)

  Not Collective

  Input Parameter:
. lower - the lower-level solver

  Output Parameter:
. alpha - the step

  Level: intermediate

.seealso: HGLowerSetStepSize()
@*/
PetscErrorCode HGLowerGetStepSize(HGLower lower, PetscReal *step)
{
  PetscFunctionBegin;
  *step = lower->step_used;
  PetscFunctionReturn(0);
}

/*@
  HGLowerSetMomentum - the heavy-ball momentum beta (default from L and mu)

  Logically Collective

  Input Parameters:
+ lower - the lower-level solver
- beta - the momentum, in [0, 1)

  Options Database Key:
. -lower_momentum <beta> - the momentum

  Level: intermediate

.seealso: HGLowerGetMomentum()
@*/
PetscErrorCode HGLowerSetMomentum(HGLower lower, PetscReal beta)
{
  PetscFunctionBegin;
  PetscCheck(beta == PETSC_DEFAULT || (beta >= 0 && beta < 1), PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_OUTOFRANGE, "-lower_momentum must lie in [0,1); got %g", (double)beta);
  lower->momentum = beta;
  PetscFunctionReturn(0);
}

/*@
  HGLowerGetMomentum - the heavy-ball momentum in use

  Not Collective

  Input Parameter:
. lower - the lower-level solver

  Output Parameter:
. beta - the momentum

  Level: intermediate

.seealso: HGLowerSetMomentum()
@*/
PetscErrorCode HGLowerGetMomentum(HGLower lower, PetscReal *beta)
{
  PetscFunctionBegin;
  *beta = lower->momentum_used;
  PetscFunctionReturn(0);
}

/*@
  HGLowerSetStoreTrajectory - whether the next solve keeps the iterates for a reverse pass (set
  by itd)

  Logically Collective

  Input Parameters:
+ lower - the lower-level solver
- flg - PETSC_TRUE to keep them

  Level: developer

.seealso: HGLowerSetTrajectoryType(), HGLowerAdjoint()
@*/
PetscErrorCode HGLowerSetStoreTrajectory(HGLower lower, PetscBool flg)
{
  PetscFunctionBegin;
  lower->store = flg;
  PetscFunctionReturn(0);
}

/*@
  HGLowerSetTrajectoryType - how the reverse pass of ITD (-hg_type itd with gd or heavyball) gets
  the lower-level iterates w_0 .. w_{t-1}

  Logically Collective

  Input Parameters:
+ lower - the lower-level solver
. type  - HG_LOWER_TRAJECTORY_FULL: all t+1 iterates stored (t+1 vectors);
          HG_LOWER_TRAJECTORY_EVERY: every m-th iterate stored (and the one before it for heavy
          ball), each segment recomputed into m-1 vectors when the reverse pass reaches it:
          about t/m + m vectors and t extra lower steps;
          HG_LOWER_TRAJECTORY_REVOLVE: binomial checkpointing (Griewank's revolve) with s
          snapshots: s+1 states, each lower step recomputed at most r times where
          binomial(s+r, s) >= t
- param - m (every; PETSC_DEFAULT: ceil(sqrt(t_max)), ceil(sqrt(2 t_max)) for heavy ball) or
          s (revolve; PETSC_DEFAULT: ceil(log2(t_max+1))), t_max = -lower_max_it

  Options Database Keys:
+ -lower_trajectory_type <full,every,revolve> - the type
. -lower_trajectory_interval <m>              - every
- -lower_trajectory_snapshots <s>             - revolve

  Notes:
  The recomputed iterates go through the same vector operations as the first pass, so the
  hypergradient is bitwise that of the full trajectory.  HGLowerGetTrajectoryStatistics() gives
  the vectors held and the steps recomputed.  AID and inexact AD store no trajectory.

  Level: intermediate

.seealso: HGLowerGetTrajectoryStatistics(), HGITD
@*/
PetscErrorCode HGLowerSetTrajectoryType(HGLower lower, HGLowerTrajectoryType type, PetscInt param)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(lower, HGLOWER_CLASSID, 1);
  PetscCheck(type >= HG_LOWER_TRAJECTORY_FULL && type <= HG_LOWER_TRAJECTORY_REVOLVE, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_OUTOFRANGE, "Unknown trajectory type %d: use full, every or revolve", (int)type);
  PetscCheck(param == PETSC_DEFAULT || param == PETSC_DECIDE || type == HG_LOWER_TRAJECTORY_FULL || (type == HG_LOWER_TRAJECTORY_EVERY && param >= 1) || (type == HG_LOWER_TRAJECTORY_REVOLVE && param >= 0), PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_OUTOFRANGE,
             "-lower_trajectory_interval must be >= 1 and -lower_trajectory_snapshots >= 0; got %" PetscInt_FMT, param);
  lower->trajtype   = type;
  lower->traj_param = param == PETSC_DECIDE ? PETSC_DEFAULT : param;
  PetscFunctionReturn(0);
}

/*@
  HGLowerGetTrajectoryType - how the reverse pass gets the lower iterates

  Not Collective

  Input Parameter:
. lower - the lower-level solver

  Output Parameters:
+ type - the trajectory type
- param - its interval (every) or number of snapshots (revolve)

  Level: intermediate

.seealso: HGLowerSetTrajectoryType()
@*/
PetscErrorCode HGLowerGetTrajectoryType(HGLower lower, HGLowerTrajectoryType *type, PetscInt *param)
{
  PetscFunctionBegin;
  if (type) *type = lower->trajtype;
  if (param) *param = lower->traj_param;
  PetscFunctionReturn(0);
}

/*@
  HGLowerGetTrajectoryStatistics - what the last stored solve and reverse pass cost: the most
  w-space vectors the trajectory held (stored iterates, checkpoints, recomputation buffers) and
  the lower steps recomputed by the reverse pass

  Not Collective

  Input Parameter:
. lower - the lower-level solver

  Output Parameters:
+ peakvecs - the most vectors held
- recomputed - the lower steps recomputed

  Level: intermediate

.seealso: HGLowerSetTrajectoryType()
@*/
PetscErrorCode HGLowerGetTrajectoryStatistics(HGLower lower, PetscInt *peakvecs, PetscInt *recomputed)
{
  PetscFunctionBegin;
  if (peakvecs) *peakvecs = lower->traj_peak;
  if (recomputed) *recomputed = lower->traj_recomputed;
  PetscFunctionReturn(0);
}

/*@
  HGLowerGetIterationNumber - the iterations the last solve made

  Not Collective

  Input Parameter:
. lower - the lower-level solver

  Output Parameter:
. its - the number

  Level: intermediate

.seealso: HGLowerSolve()
@*/
PetscErrorCode HGLowerGetIterationNumber(HGLower lower, PetscInt *its)
{
  PetscFunctionBegin;
  *its = lower->its;
  PetscFunctionReturn(0);
}

/*@
  HGLowerGetResidualNorm - the residual at the last iterate: ||grad_w l(w_t)|| or ||w_t -
  Phi(w_t)||

  Not Collective

  Input Parameter:
. lower - the lower-level solver

  Output Parameter:
. rnorm - the norm

  Level: intermediate

.seealso: HGLowerSolve()
@*/
PetscErrorCode HGLowerGetResidualNorm(HGLower lower, PetscReal *r)
{
  PetscFunctionBegin;
  *r = lower->rnorm;
  PetscFunctionReturn(0);
}

/*@
  HGLowerGetConvergedReason - why the last solve stopped

  Not Collective

  Input Parameter:
. lower - the lower-level solver

  Output Parameter:
. reason - an HGLowerConvergedReason, negative on failure

  Level: intermediate

.seealso: HGLowerSolve()
@*/
PetscErrorCode HGLowerGetConvergedReason(HGLower lower, HGLowerConvergedReason *reason)
{
  PetscFunctionBegin;
  *reason = lower->reason;
  PetscFunctionReturn(0);
}

/*@
  HGLowerHasAdjoint - whether the solver has a reverse pass (gd and heavy ball do, tao does
  not)

  Not Collective

  Input Parameter:
. lower - the lower-level solver

  Output Parameter:
. has - the answer

  Level: developer

.seealso: HGLowerAdjoint()
@*/
PetscErrorCode HGLowerHasAdjoint(HGLower lower, PetscBool *has)
{
  PetscFunctionBegin;
  *has = lower->ops->adjoint ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
  HGLowerGetTao - the TAO solver of a lower level of type tao

  Not Collective

  Input Parameter:
. lower - the lower-level solver

  Output Parameter:
. tao - the Tao (owned by the solver)

  Notes:
  Errors for other types.

  Level: intermediate

.seealso: HGLowerSetType()
@*/
PetscErrorCode HGLowerGetTao(HGLower lower, Tao *tao)
{
  PetscBool istao;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)lower, HGLOWERTAO, &istao));
  PetscCheck(istao, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_WRONGSTATE, "HGLowerGetTao() needs -lower_type tao");
  *tao = *(Tao *)lower->data; /* the Tao is the first member of the implementation's data */
  PetscFunctionReturn(0);
}

/* Step size and momentum from the user or from the problem's constants */
PetscErrorCode HGLowerResolveStep(HGLower lower, PetscBool heavyball)
{
  HGProblem prob = lower->problem;
  MPI_Comm  comm = PetscObjectComm((PetscObject)lower);
  PetscReal L = prob->L, mu = prob->mu;

  PetscFunctionBegin;
  lower->step_used     = 1.0;
  lower->momentum_used = 0.0;
  lower->step_resolved = PETSC_TRUE;
  lower->step_hb       = heavyball;
  if (prob->form == HG_FORM_OPTIMIZATION) {
    if (lower->step != PETSC_DEFAULT) lower->step_used = lower->step;
    else {
      PetscCheck(L > 0, comm, PETSC_ERR_ARG_WRONGSTATE, "The lower-level step size is not set and the problem does not know its Lipschitz constant L: give -lower_step or call HGProblemSetLowerConstants()");
      if (heavyball) lower->step_used = 4.0 / PetscSqr(PetscSqrtReal(L) + PetscSqrtReal(mu));
      else lower->step_used = mu > 0 ? 2.0 / (L + mu) : 1.0 / L;
    }
    if (heavyball) {
      if (lower->momentum != PETSC_DEFAULT) lower->momentum_used = lower->momentum;
      else {
        PetscCheck(L > 0 && mu > 0, comm, PETSC_ERR_ARG_WRONGSTATE, "Heavy ball needs -lower_momentum or both constants L and mu (HGProblemSetLowerConstants())");
        lower->momentum_used = PetscSqr((PetscSqrtReal(L) - PetscSqrtReal(mu)) / (PetscSqrtReal(L) + PetscSqrtReal(mu)));
      }
    }
  } else {
    PetscCheck(lower->step == PETSC_DEFAULT || lower->step == 1.0, comm, PETSC_ERR_ARG_WRONGSTATE, "-lower_step applies to optimization-form problems only; a fixed-point problem iterates its map Phi");
    if (heavyball) {
      PetscCheck(lower->momentum != PETSC_DEFAULT, comm, PETSC_ERR_ARG_WRONGSTATE, "Heavy ball on a fixed-point problem needs -lower_momentum");
      lower->momentum_used = lower->momentum;
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode HGLowerCheckConvergence(HGLower lower, PetscReal rnorm, PetscBool *done)
{
  PetscFunctionBegin;
  *done        = PETSC_TRUE;
  lower->rnorm = rnorm;
  if (lower->its == 0) lower->rnorm0 = rnorm;
  if (lower->monitor) PetscCall(PetscPrintf(PetscObjectComm((PetscObject)lower), "  %3" PetscInt_FMT " lower residual %14.12e\n", lower->its, (double)rnorm));
  if (PetscIsInfOrNanReal(rnorm)) lower->reason = HG_LOWER_DIVERGED_NANORINF;
  else if (rnorm > lower->dtol * PetscMax(lower->rnorm0, PETSC_SMALL)) lower->reason = HG_LOWER_DIVERGED_DTOL;
  else if (lower->atol > 0 && rnorm <= lower->atol) lower->reason = HG_LOWER_CONVERGED_ATOL;
  else if (lower->rtol > 0 && rnorm <= lower->rtol * lower->rnorm0) lower->reason = HG_LOWER_CONVERGED_RTOL;
  else if (lower->its >= lower->max_it) lower->reason = (lower->atol > 0 || lower->rtol > 0) ? HG_LOWER_DIVERGED_MAXIT : HG_LOWER_CONVERGED_ITS;
  else {
    lower->reason = HG_LOWER_ITERATING;
    *done         = PETSC_FALSE;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode HGLowerEnsureTrajectory(HGLower lower, PetscInt n)
{
  Vec *t;

  PetscFunctionBegin;
  if (n <= lower->ntraj) PetscFunctionReturn(0);
  PetscCall(PetscCalloc1(n, &t));
  for (PetscInt i = 0; i < lower->ntraj; i++) t[i] = lower->traj[i];
  for (PetscInt i = lower->ntraj; i < n; i++) PetscCall(VecDuplicate(lower->problem->wtemplate, &t[i]));
  PetscCall(PetscFree(lower->traj));
  lower->traj  = t;
  lower->ntraj = n;
  PetscFunctionReturn(0);
}

/*@
  HGLowerSetUp - sets up the solver: resolves the step and momentum from the problem's
  constants

  Collective

  Input Parameter:
. lower - the lower-level solver

  Notes:
  Errors when no step is given and the problem knows no L.

  Level: developer

.seealso: HGLowerSetStepSize()
@*/
/* Refuses a stored trajectory of n w-vectors larger than the memory available on a node (the
   ranks of a node share it); skipped where /proc/meminfo cannot be read */
PetscErrorCode HGLowerCheckTrajectoryMemory(HGLower lower, PetscInt n)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)lower), node;
  PetscInt nloc;
  double   mine, need = 0, avail = 0, ratio, worst[2];
  FILE    *fp;
  char     line[256];

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(lower->problem->wtemplate, &nloc));
  mine = (double)n * (double)nloc * sizeof(PetscScalar);
  PetscCallMPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
  PetscCallMPI(MPI_Allreduce(&mine, &need, 1, MPI_DOUBLE, MPI_SUM, node));
  PetscCallMPI(MPI_Comm_free(&node));
  if ((fp = fopen("/proc/meminfo", "r"))) {
    while (fgets(line, sizeof(line), fp)) {
      double kb;
      if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1) {
        avail = kb * 1024.0;
        break;
      }
    }
    fclose(fp);
  }
  ratio = avail > 0 ? need / avail : 0; /* the node that is worst off decides, on every rank */
  PetscCallMPI(MPI_Allreduce(&ratio, &worst[0], 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscCallMPI(MPI_Allreduce(&need, &worst[1], 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscCheck(worst[0] <= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-hg_type itd stores every lower iterate (-lower_trajectory_type full): t + 1 = %" PetscInt_FMT " vectors of w need %.3g GiB on a node, %.3g times the memory available there. Use -lower_trajectory_type every or revolve (about 2 sqrt(t) or log2(t) vectors, bitwise the same hypergradient), -hg_type aid, or a smaller -lower_max_it", n, worst[1] / 1073741824.0, worst[0]);
  PetscFunctionReturn(0);
}

PetscErrorCode HGLowerSetUp(HGLower lower)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(lower, HGLOWER_CLASSID, 1);
  PetscCheck(lower->problem, PetscObjectComm((PetscObject)lower), PETSC_ERR_ORDER, "Call HGLowerSetProblem() before HGLowerSetUp()");
  if (!((PetscObject)lower)->type_name) PetscCall(HGLowerSetType(lower, HGLOWERGD));
  PetscCall(HGProblemSetUp(lower->problem));
  PetscTryTypeMethod(lower, setup);
  lower->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* The problem's L, mu at lambda (when it gives them per lambda); a change re-derives the step.
   Unusable ones (an overflow at a huge lambda) when the default step needs them: *ok false */
static PetscErrorCode HGLowerUpdateConstants(HGLower lower, Vec lambda, PetscBool *ok)
{
  HGProblem prob = lower->problem;
  PetscReal L, mu;

  PetscFunctionBegin;
  *ok                 = PETSC_TRUE;
  lower->badconstants = PETSC_FALSE;
  if (!prob->lowerconstants) PetscFunctionReturn(0);
  PetscCall((*prob->lowerconstants)(prob, lambda, &L, &mu, prob->ctx));
  if (!(L > 0 && mu >= 0 && mu <= L && !PetscIsInfOrNanReal(L) && !PetscIsInfOrNanReal(mu))) {
    /* only the default step needs them; with a step given (or no step at all) keep the old ones */
    if (lower->step_resolved && lower->step == PETSC_DEFAULT) {
      *ok                 = PETSC_FALSE;
      lower->badconstants = PETSC_TRUE;
      lower->bad_L        = L;
      lower->bad_mu       = mu;
      PetscCall(PetscInfo(lower, "The problem's lower-level constants at this lambda are unusable (L = %g, mu = %g): no step, DIVERGED_NANORINF\n", (double)L, (double)mu));
    }
    PetscFunctionReturn(0);
  }
  if (L == prob->L && mu == prob->mu) PetscFunctionReturn(0);
  PetscCall(HGProblemSetLowerConstants(prob, L, mu));
  if (lower->step_resolved) PetscCall(HGLowerResolveStep(lower, lower->step_hb));
  PetscFunctionReturn(0);
}

/*@
  HGLowerSolve - approximates w(lambda) starting from the given w (overwritten)

  Collective

  Input Parameters:
+ lower - the lower-level solver
- lambda - the hyperparameters

  Output Parameter:
. w - on input the initial guess w_0, on output w_t (space of w)

  Notes:
  The converged reason (HGLowerGetConvergedReason()) says whether it worked.  When the problem
  gives L and mu per lambda (HGProblemSetLowerConstantsFunction()) and they are not finite at this
  lambda (an overflow at a huge lambda) while the default step 2/(L+mu) needs them, the solve
  stops at once with HG_LOWER_DIVERGED_NANORINF and w untouched.

  Level: intermediate

.seealso: HGLowerGetConvergedReason(), HGLowerSetTolerances()
@*/
PetscErrorCode HGLowerSolve(HGLower lower, Vec lambda, Vec w)
{
  PetscBool ok;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(lower, HGLOWER_CLASSID, 1);
  if (!lower->setupcalled) PetscCall(HGLowerSetUp(lower));
  PetscCall(HGProblemCheckVec(lower->problem, lambda, PETSC_TRUE, "lambda"));
  PetscCall(HGProblemCheckVec(lower->problem, w, PETSC_FALSE, "w"));
  PetscCall(HGLowerUpdateConstants(lower, lambda, &ok));
  lower->its    = 0;
  lower->reason = HG_LOWER_ITERATING;
  if (!ok) { /* no step at this lambda: a divergence (the caller decides), w untouched */
    lower->reason = HG_LOWER_DIVERGED_NANORINF;
    lower->rnorm = lower->rnorm0 = (PetscReal)INFINITY;
    PetscFunctionReturn(0);
  }
  PetscCall(PetscLogEventBegin(HG_LowerSolve, lower, lambda, w, 0));
  PetscUseTypeMethod(lower, solve, lambda, w);
  PetscCall(PetscLogEventEnd(HG_LowerSolve, lower, lambda, w, 0));
  PetscCheck(lower->reason != HG_LOWER_ITERATING, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_WRONGSTATE, "Lower-level solver %s returned without a converged reason", ((PetscObject)lower)->type_name);
  PetscFunctionReturn(0);
}

/*@
  HGLowerAdjoint - the reverse pass through the stored lower iterates (frozen: every second
  derivative taken at the last iterate, which is inexact AD)

  Collective

  Input Parameters:
+ lower - the lower-level solver
. lambda - the hyperparameters
. w - the last iterate w_t
. k - reverse steps (truncation)
. frozen - PETSC_TRUE: second derivatives at w_t (inexact AD), else along the trajectory
- p - on input grad_w E(w_t) (overwritten)

  Output Parameters:
+ h - accumulates d_lambda Phi^T p_i over the steps (added to)
- v - the accumulated adjoint, scaled to solve the adjoint system, or NULL

  Level: developer

.seealso: HGLowerSetStoreTrajectory()
@*/
PetscErrorCode HGLowerAdjoint(HGLower lower, Vec lambda, Vec w, PetscInt k, PetscBool frozen, Vec p, Vec h, Vec v)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(lower, HGLOWER_CLASSID, 1);
  PetscCheck(lower->ops->adjoint, PetscObjectComm((PetscObject)lower), PETSC_ERR_SUP, "Lower-level solver %s has no reverse pass: ITD and inexact AD need -lower_type gd or heavyball (AID works with any)", ((PetscObject)lower)->type_name);
  PetscCheck(frozen || lower->store, PetscObjectComm((PetscObject)lower), PETSC_ERR_ORDER, "The reverse pass needs the stored trajectory: call HGLowerSetStoreTrajectory() before HGLowerSolve()");
  PetscCheck(k >= 0, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_OUTOFRANGE, "The number of reverse steps must be >= 0; got %" PetscInt_FMT, k);
  PetscUseTypeMethod(lower, adjoint, lambda, w, k, frozen, p, h, v);
  PetscFunctionReturn(0);
}

/*@
  HGLowerView - prints the solver: type, iterations, step, tolerances

  Collective

  Input Parameters:
+ lower - the lower-level solver
- viewer - an ASCII viewer, or NULL for stdout

  Level: beginner

.seealso: HGView()
@*/
PetscErrorCode HGLowerView(HGLower lower, PetscViewer viewer)
{
  PetscBool iascii;

  PetscFunctionBegin;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)lower), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)lower, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "max iterations t = %" PetscInt_FMT ", rtol = %g, atol = %g, dtol = %g\n", lower->max_it, (double)lower->rtol, (double)lower->atol, (double)lower->dtol));
  if (lower->setupcalled) PetscCall(PetscViewerASCIIPrintf(viewer, "step = %g, momentum = %g\n", (double)lower->step_used, (double)lower->momentum_used));
  if (lower->trajtype != HG_LOWER_TRAJECTORY_FULL) PetscCall(PetscViewerASCIIPrintf(viewer, "trajectory for ITD: %s\n", HGLowerTrajectoryTypes[lower->trajtype]));
  PetscTryTypeMethod(lower, view, viewer);
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

/*@
  HGLowerDestroy - destroys the solver

  Collective

  Input Parameter:
. lower - the solver, set to NULL

  Level: intermediate

.seealso: HGLowerCreate()
@*/
PetscErrorCode HGLowerDestroy(HGLower *lower)
{
  PetscFunctionBegin;
  if (!*lower) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*lower, HGLOWER_CLASSID, 1);
  if (--((PetscObject)(*lower))->refct > 0) {
    *lower = NULL;
    PetscFunctionReturn(0);
  }
  PetscTryTypeMethod(*lower, destroy);
  if ((*lower)->traj) PetscCall(VecDestroyVecs((*lower)->ntraj, &(*lower)->traj));
  PetscCall(HGProblemDestroy(&(*lower)->problem));
  PetscCall(PetscHeaderDestroy(lower));
  PetscFunctionReturn(0);
}
