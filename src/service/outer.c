/* HGOuter: the outer hypergradient descent with warm starts, monitors and history.  The
   descent types (gd, nesterov) are here; tao is in outertao.c, checkpoints in checkpoint.c. */
#include "outerimpl.h"

PetscClassId      HGOUTER_CLASSID;
PetscFunctionList HGOuterList = NULL;
PetscLogEvent     HGOuter_Solve, HGOuter_Checkpoint;

static const char *const HGOuterConvergedReasons_Shifted[] = {"DIVERGED_TAO", "DIVERGED_NANORINF", "DIVERGED_HG", "ITERATING", "CONVERGED_ITS", "CONVERGED_GATOL", "CONVERGED_TIME", "CONVERGED_TAO", "STOPPED_SIGNAL"};
const char *const *HGOuterConvergedReasons = HGOuterConvergedReasons_Shifted + 3;

const char *const HGOuterRecordNames[] = {"iteration", "time", "upper_objective", "hypergradient_norm", "step", "lower_its", "adjoint_its", "lower_residual", "adjoint_residual", "val_accuracy", "test_accuracy", "bound", "bound_estimated"};

PETSC_INTERN PetscErrorCode HGOuterCreate_GD(HGOuter);
PETSC_INTERN PetscErrorCode HGOuterCreate_Nesterov(HGOuter);
PETSC_INTERN PetscErrorCode HGOuterCreate_Tao(HGOuter);
PETSC_INTERN PetscErrorCode HGOuterCreate_Adaptive(HGOuter);

static PetscBool HGOuterPackageInitialized = PETSC_FALSE;

static PetscErrorCode HGOuterFinalizePackage(void)
{
  PetscFunctionBegin;
  PetscCall(PetscFunctionListDestroy(&HGOuterList));
  HGOuterPackageInitialized = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGOuterInitializePackage(void)
{
  PetscFunctionBegin;
  if (HGOuterPackageInitialized) PetscFunctionReturn(0);
  HGOuterPackageInitialized = PETSC_TRUE;
  PetscCall(HGInitializePackage());
  PetscCall(PetscClassIdRegister("Outer hypergradient descent", &HGOUTER_CLASSID));
  PetscCall(PetscLogEventRegister("HGOuterSolve", HGOUTER_CLASSID, &HGOuter_Solve));
  PetscCall(PetscLogEventRegister("HGOuterCheckpt", HGOUTER_CLASSID, &HGOuter_Checkpoint));
  PetscCall(PetscFunctionListAdd(&HGOuterList, HGOUTERGD, HGOuterCreate_GD));
  PetscCall(PetscFunctionListAdd(&HGOuterList, HGOUTERNESTEROV, HGOuterCreate_Nesterov));
  PetscCall(PetscFunctionListAdd(&HGOuterList, HGOUTERTAO, HGOuterCreate_Tao));
  PetscCall(PetscFunctionListAdd(&HGOuterList, HGOUTERADAPTIVE, HGOuterCreate_Adaptive));
  PetscCall(PetscRegisterFinalize(HGOuterFinalizePackage));
  PetscFunctionReturn(0);
}

/*@C
  HGOuterRegister - adds an outer optimizer type

  Not Collective

  Input Parameters:
+ name - the type name (the value of -outer_type)
- create - the function that fills in the optimizer

  Level: advanced

.seealso: HGOuterSetType()
@*/
PetscErrorCode HGOuterRegister(const char name[], PetscErrorCode (*create)(HGOuter))
{
  PetscFunctionBegin;
  PetscCall(HGOuterInitializePackage());
  PetscCall(PetscFunctionListAdd(&HGOuterList, name, create));
  PetscFunctionReturn(0);
}

/*@
  HGOuterCreate - creates the outer hypergradient-descent driver (default type gd, 100
  iterations, step 0.1, warm starts on)

  Collective

  Input Parameter:
. comm - the communicator

  Output Parameter:
. outer - the new driver

.seealso: HGOuterSetHG(), HGOuterSolve(), HGOuterSetCheckpoint()

  Level: beginner
@*/
PetscErrorCode HGOuterCreate(MPI_Comm comm, HGOuter *outer)
{
  HGOuter o;

  PetscFunctionBegin;
  PetscAssertPointer(outer, 2);
  PetscCall(HGOuterInitializePackage());
  PetscCall(PetscHeaderCreate(o, HGOUTER_CLASSID, "HGOuter", "Outer hypergradient descent", "HGOuter", comm, HGOuterDestroy, HGOuterView));
  o->max_it        = 100;
  o->max_time      = 0;
  o->gatol         = 0;
  o->step          = 0.1;
  o->momentum      = PETSC_DEFAULT;
  o->warm          = PETSC_TRUE;
  o->ckevery       = 0;
  o->monitor_every = 1;
  o->tol0          = 1e-3;
  o->tol_decay     = 0.9;
  o->tol_min       = 1e-12;
  o->reason        = HG_OUTER_ITERATING;
  o->lockfd        = -1;
  *outer           = o;
  PetscFunctionReturn(0);
}

/*@C
  HGOuterSetType - chooses the outer optimizer

  Collective

  Input Parameters:
+ outer - the outer driver
- type - HGOUTERGD, HGOUTERNESTEROV, HGOUTERTAO or HGOUTERADAPTIVE

  Options Database Key:
. -outer_type <gd,nesterov,tao,adaptive> - fixed-step projected descent, Nesterov momentum, a TAO solver, or adaptive accuracy (HGOUTERADAPTIVE)

  Level: beginner

.seealso: HGOuterSetFromOptions()
@*/
PetscErrorCode HGOuterSetType(HGOuter outer, HGOuterType type)
{
  PetscErrorCode (*create)(HGOuter);
  PetscBool same;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  PetscCall(PetscObjectTypeCompare((PetscObject)outer, type, &same));
  if (same) PetscFunctionReturn(0);
  PetscCall(PetscFunctionListFind(HGOuterList, type, &create));
  PetscCheck(create, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown outer optimizer \"%s\": choose gd, nesterov, tao or adaptive", type);
  PetscTryTypeMethod(outer, destroy);
  PetscCall(PetscMemzero(outer->ops, sizeof(struct _HGOuterOps)));
  outer->data = NULL;
  PetscCall(PetscObjectChangeTypeName((PetscObject)outer, type));
  PetscCall((*create)(outer));
  PetscFunctionReturn(0);
}

/*@
  HGOuterGetType - the outer optimizer

  Not Collective

  Input Parameter:
. outer - the outer driver

  Output Parameter:
. type - its type name

  Level: intermediate

.seealso: HGOuterSetType()
@*/
PetscErrorCode HGOuterGetType(HGOuter outer, HGOuterType *type)
{
  PetscFunctionBegin;
  *type = ((PetscObject)outer)->type_name;
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetHG - the hypergradient method (with its problem and lower solver) the outer loop drives

  Collective

  Input Parameters:
+ outer - the outer driver
- hg - the hypergradient object

  Level: beginner

.seealso: HGOuterGetHG()
@*/
PetscErrorCode HGOuterSetHG(HGOuter outer, HG hg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  PetscValidHeaderSpecific(hg, HG_CLASSID, 2);
  PetscCall(PetscObjectReference((PetscObject)hg));
  PetscCall(HGDestroy(&outer->hg));
  outer->hg          = hg;
  outer->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
  HGOuterGetHG - the hypergradient object the outer loop drives

  Not Collective

  Input Parameter:
. outer - the outer driver

  Output Parameter:
. hg - the HG (not a new reference)

  Level: intermediate

.seealso: HGOuterSetHG()
@*/
PetscErrorCode HGOuterGetHG(HGOuter outer, HG *hg)
{
  PetscFunctionBegin;
  *hg = outer->hg;
  PetscFunctionReturn(0);
}

/*@C
  HGOuterSetOptionsPrefix - sets the prefix of the outer loop's option names

  Logically Collective

  Input Parameters:
+ outer - the outer driver
- prefix - the prefix

  Level: intermediate

.seealso: HGOuterSetFromOptions()
@*/
PetscErrorCode HGOuterSetOptionsPrefix(HGOuter outer, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)outer, prefix));
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetMaxIterations - the number of outer iterations, counted from the start of the run
  (resumes included)

  Logically Collective

  Input Parameters:
+ outer - the outer driver
- n - the iterations, >= 0

  Options Database Key:
. -outer_max_it <100> - n

  Level: beginner

.seealso: HGOuterSetMaxTime(), HGOuterSetTolerance()
@*/
PetscErrorCode HGOuterSetMaxIterations(HGOuter outer, PetscInt n)
{
  PetscFunctionBegin;
  PetscCheck(n >= 0, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_max_it must be >= 0; got %" PetscInt_FMT, n);
  outer->max_it = n;
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetMaxTime - stops the run after this many seconds (0: no limit)

  Logically Collective

  Input Parameters:
+ outer - the outer driver
- seconds - the limit

  Options Database Key:
. -outer_max_time <0> - the limit

  Level: intermediate

.seealso: HGOuterSetMaxIterations()
@*/
PetscErrorCode HGOuterSetMaxTime(HGOuter outer, PetscReal s)
{
  PetscFunctionBegin;
  PetscCheck(s >= 0, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_max_time must be >= 0 seconds (0: no limit); got %g", (double)s);
  outer->max_time = s;
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetTolerance - stops when ||h|| <= gatol

  Logically Collective

  Input Parameters:
+ outer - the outer driver
- gatol - the tolerance (0: none)

  Options Database Key:
. -outer_gatol <0> - the tolerance

  Level: intermediate

.seealso: HGOuterSetMaxIterations()
@*/
PetscErrorCode HGOuterSetTolerance(HGOuter outer, PetscReal gatol)
{
  PetscFunctionBegin;
  PetscCheck(gatol >= 0, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_gatol must be >= 0 (0: off); got %g", (double)gatol);
  outer->gatol = gatol;
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetStepSize - the step eta of gd and nesterov (the initial step of adaptive)

  Logically Collective

  Input Parameters:
+ outer - the outer driver
- eta - the step, > 0

  Options Database Key:
. -outer_step <0.1> - the step

  Level: beginner

.seealso: HGOuterSetMomentum()
@*/
PetscErrorCode HGOuterSetStepSize(HGOuter outer, PetscReal step)
{
  PetscFunctionBegin;
  PetscCheck(step > 0 && PetscIsNormalReal(step), PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_step must be a positive finite number; got %g", (double)step);
  outer->step = step;
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetMomentum - a constant Nesterov momentum (default k/(k+3))

  Logically Collective

  Input Parameters:
+ outer - the outer driver
- beta - the momentum, in [0, 1)

  Options Database Key:
. -outer_momentum <beta> - the momentum

  Level: intermediate

.seealso: HGOuterSetStepSize()
@*/
PetscErrorCode HGOuterSetMomentum(HGOuter outer, PetscReal beta)
{
  PetscFunctionBegin;
  PetscCheck(beta == (PetscReal)PETSC_DEFAULT || (beta >= 0 && beta < 1), PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_momentum must be in [0, 1) (or omitted for the k/(k+3) schedule); got %g", (double)beta);
  outer->momentum = beta;
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetWarmStart - start each lower solve from the last w and each adjoint solve from
  the last v (default on)

  Logically Collective

  Input Parameters:
+ outer - the outer driver
- flg - PETSC_TRUE for warm starts

  Options Database Key:
. -outer_warm_start <true> - on or off

  Level: intermediate

.seealso: HGSetLowerInitialGuess()
@*/
PetscErrorCode HGOuterSetWarmStart(HGOuter outer, PetscBool flg)
{
  PetscFunctionBegin;
  outer->warm = flg;
  PetscFunctionReturn(0);
}

/*@
  HGOuterGetIterationNumber - the outer iterations done (including those before a resume)

  Not Collective

  Input Parameter:
. outer - the outer driver

  Output Parameter:
. it - the number

  Level: beginner

.seealso: HGOuterSolve()
@*/
PetscErrorCode HGOuterGetIterationNumber(HGOuter outer, PetscInt *it)
{
  PetscFunctionBegin;
  *it = outer->it;
  PetscFunctionReturn(0);
}

/*@
  HGOuterGetConvergedReason - why the outer loop stopped

  Not Collective

  Input Parameter:
. outer - the outer driver

  Output Parameter:
. reason - an HGOuterConvergedReason, negative on failure

  Level: beginner

.seealso: HGOuterSolve()
@*/
PetscErrorCode HGOuterGetConvergedReason(HGOuter outer, HGOuterConvergedReason *reason)
{
  PetscFunctionBegin;
  *reason = outer->reason;
  PetscFunctionReturn(0);
}

/*@C
  HGOuterGetCheckpoint - the checkpoint file and its period (HGOuterSetCheckpoint(); after
  HGOuterLoadCheckpoint() without one, the file resumed from)

  Not Collective

  Input Parameter:
. outer - the outer driver

  Output Parameters:
+ file  - the file name ("" when none; the string belongs to the HGOuter), or NULL
- every - the period in outer iterations (0: at the end only), or NULL

  Level: intermediate

.seealso: HGOuterSetCheckpoint(), HGOuterSolve()
@*/
PetscErrorCode HGOuterGetCheckpoint(HGOuter outer, const char *file[], PetscInt *every)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  if (file) *file = outer->ckfile;
  if (every) *every = outer->ckevery;
  PetscFunctionReturn(0);
}

/*@C
  HGOuterGetHistory - the records of all outer iterations so far (including those before a resume)

  Not Collective; the array belongs to the HGOuter

  Input Parameter:
. outer - the outer driver

  Output Parameters:
+ n - the number of records
- hist - the records (owned by the HGOuter)

  Level: intermediate

.seealso: HGOuterRecord
@*/
PetscErrorCode HGOuterGetHistory(HGOuter outer, PetscInt *n, const HGOuterRecord **hist)
{
  PetscFunctionBegin;
  if (n) *n = outer->nhist;
  if (hist) *hist = outer->hist;
  PetscFunctionReturn(0);
}

/*@
  HGOuterGetTotalIterations - lower-level and adjoint iterations summed over the run (and the
  runs it resumes)

  Not Collective

  Input Parameter:
. outer - the outer driver

  Output Parameters:
+ lower - lower-level iterations
- adjoint - adjoint iterations

  Level: intermediate

.seealso: HGOuterGetHistory()
@*/
PetscErrorCode HGOuterGetTotalIterations(HGOuter outer, PetscInt *lower, PetscInt *adjoint)
{
  PetscFunctionBegin;
  if (lower) *lower = outer->total_lower;
  if (adjoint) *adjoint = outer->total_adjoint;
  PetscFunctionReturn(0);
}

/*@
  HGOuterGetFailure - the hypergradient that failed in the last HGOuterSolve(): the one that
  ended a diverged run, or with HGOUTERTAO the last line-search trial that failed

  Not Collective

  Input Parameter:
. outer - the outer driver

  Output Parameters:
+ nfailed     - the number of failed hypergradients in the last HGOuterSolve() (0: none; the
                outputs below are then not set)
. info        - the HGInfo of the last one that failed (its reason, lower and adjoint solves)
. it          - the outer iteration it was computed at (with tao, a trial point is computed
                after iteration it)
. lambda_norm - the 2-norm of the lambda it was computed at
- trial       - PETSC_TRUE when it was a trial point of a TAO line search

  Notes:
  Any output may be NULL.  HGGetInfo() tells about the last hypergradient computed, which with
  HGOUTERTAO may be a later trial of the same line search that converged: use this function
  to name the cause of a divergence.

  Level: intermediate

.seealso: HGOuterGetConvergedReason(), HGGetInfo(), HGOUTERTAO
@*/
PetscErrorCode HGOuterGetFailure(HGOuter outer, PetscInt *nfailed, HGInfo *info, PetscInt *it, PetscReal *lambda_norm, PetscBool *trial)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  if (nfailed) *nfailed = outer->nfailed;
  if (!outer->nfailed) PetscFunctionReturn(0);
  if (info) *info = outer->failinfo;
  if (it) *it = outer->failit;
  if (lambda_norm) *lambda_norm = outer->failnorm;
  if (trial) *trial = outer->failtrial;
  PetscFunctionReturn(0);
}

/*@C
  HGOuterMonitorSet - adds a function called after each outer iteration

  Logically Collective

  Input Parameters:
+ outer - the outer driver
. fn - the monitor, an HGOuterMonitorFn
. ctx - its context
- destroy - frees ctx when the HGOuter is destroyed, or NULL

  Level: intermediate

.seealso: HGOuterMonitorFn, HGOuterMonitorDefault()
@*/
PetscErrorCode HGOuterMonitorSet(HGOuter outer, HGOuterMonitorFn fn, void *ctx, PetscErrorCode (*destroy)(void **))
{
  PetscFunctionBegin;
  PetscCheck(outer->nmonitors < HG_OUTER_MAXMONITORS, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "At most %d outer monitors", HG_OUTER_MAXMONITORS);
  outer->monitor[outer->nmonitors]        = fn;
  outer->monitorctx[outer->nmonitors]     = ctx;
  outer->monitordestroy[outer->nmonitors] = destroy;
  outer->nmonitors++;
  PetscFunctionReturn(0);
}

/*@C
  HGOuterMonitorDefault - one line per outer iteration, like -ksp_monitor: iteration, upper
  objective, validation/test accuracy (where the problem has them), hypergradient norm,
  lower and adjoint iterations and residuals, elapsed time

  Collective

  Input Parameters:
+ outer - the outer driver
. rec - the record of the iteration
- ctx - unused

  Options Database Keys:
+ -outer_monitor             - turn it on
- -outer_monitor_every <1>   - print every n-th iteration (with progress and time left when a limit is set)

  Level: intermediate

.seealso: HGOuterMonitorSet()
@*/
PetscErrorCode HGOuterMonitorDefault(HGOuter outer, const HGOuterRecord *r, void *ctx)
{
  PetscViewer viewer = ctx ? (PetscViewer)ctx : PETSC_VIEWER_STDOUT_(PetscObjectComm((PetscObject)outer));
  char        acc[64] = "", prog[96] = "";

  PetscFunctionBegin;
  if (outer->monitor_every > 1 && r->iteration % outer->monitor_every && r->iteration != outer->max_it) PetscFunctionReturn(0);
  if (!PetscIsNanReal(r->val_accuracy)) PetscCall(PetscSNPrintf(acc, sizeof(acc), " acc %.4f/%.4f", (double)r->val_accuracy, (double)r->test_accuracy));
  if (outer->monitor_every > 1) {
    PetscReal frac = outer->max_it ? (PetscReal)r->iteration / outer->max_it : 0;
    if (outer->max_time > 0) frac = PetscMax(frac, r->time / outer->max_time);
    if (frac > 0) PetscCall(PetscSNPrintf(prog, sizeof(prog), " [%5.1f%%, %.0f s left]", (double)(100 * PetscMin(frac, 1.0)), (double)(r->time * (1 - PetscMin(frac, 1.0)) / frac)));
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "%4" PetscInt_FMT " HGOuter f %.10e%s |h| %.4e lower %" PetscInt_FMT " (r %.2e) adjoint %" PetscInt_FMT " (r %.2e) %.2f s%s\n", r->iteration, (double)r->upper_objective, acc, (double)r->hypergradient_norm, (PetscInt)r->lower_its, (double)r->lower_residual, (PetscInt)r->adjoint_its, (double)r->adjoint_residual, (double)r->time, prog));
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetFromOptions - reads the outer-loop options

  Collective

  Input Parameter:
. outer - the outer driver

  Options Database Keys:
+ -outer_type <gd>                    - gd, nesterov, tao or adaptive
. -outer_max_it <100>                 - outer iterations (counted from the start of the run, resumes included)
. -outer_max_time <0>                 - stop after this many seconds (0: no limit)
. -outer_gatol <0>                    - stop when ||h|| <= gatol
. -outer_step <0.1>                   - step eta (gd, nesterov)
. -outer_momentum <beta>              - constant Nesterov momentum; default k/(k+3)
. -outer_warm_start <true>            - warm starts of w and v
. -outer_tol_schedule <none>          - geometric (eps0 decay^k) or power (eps0 (k+1)^-decay) lower/adjoint tolerances (HOAG-like), with -outer_tol0, -outer_tol_decay, -outer_tol_min
. -outer_monitor                      - one line per iteration (HGOuterMonitorDefault())
. -outer_monitor_every <1>            - print every n-th line, with progress
. -outer_checkpoint <file>            - HDF5 checkpoint file (written at the end and on signals)
. -outer_checkpoint_every <0>         - also every n iterations
. -outer_checkpoint_overwrite         - allow a new run to replace an existing checkpoint file
. -outer_resume_force                 - resume a run file although its data or trajectory options differ from this run's (HGOuterSetResumeForce())
- -outer_signals <true>               - SIGTERM/SIGINT/SIGUSR2 stop cleanly with a checkpoint; SIGUSR1 writes one and goes on

  Level: beginner

.seealso: HGOuterSetType(), HGOuterSetCheckpoint()
@*/
PetscErrorCode HGOuterSetFromOptions(HGOuter outer)
{
  char      type[256], file[PETSC_MAX_PATH_LEN], ckfile[PETSC_MAX_PATH_LEN];
  PetscBool flg, mon = PETSC_FALSE, fevery, fck, fmaxit, fmaxtime, fgatol, fstep, fmom;
  PetscInt  n, maxit;
  PetscReal maxtime, gatol, step, mom;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  PetscObjectOptionsBegin((PetscObject)outer);
  PetscCall(PetscOptionsFList("-outer_type", "Outer optimizer", "HGOuterSetType", HGOuterList, ((PetscObject)outer)->type_name ? ((PetscObject)outer)->type_name : HGOUTERGD, type, sizeof(type), &flg));
  if (flg) PetscCall(HGOuterSetType(outer, type));
  else if (!((PetscObject)outer)->type_name) PetscCall(HGOuterSetType(outer, HGOUTERGD));
  PetscCall(HGOptionsInt("-outer_max_it", "Outer iterations", "HGOuterSetMaxIterations", outer->max_it, &maxit, &fmaxit));
  PetscCall(HGOptionsReal("-outer_max_time", "Stop after this many seconds (0: no limit)", "HGOuterSetMaxTime", outer->max_time, &maxtime, &fmaxtime));
  PetscCall(HGOptionsReal("-outer_gatol", "Stop when ||h|| <= gatol", "HGOuterSetTolerance", outer->gatol, &gatol, &fgatol));
  PetscCall(HGOptionsReal("-outer_step", "Outer step size", "HGOuterSetStepSize", outer->step, &step, &fstep));
  if (outer->momentum == (PetscReal)PETSC_DEFAULT) PetscCall(HGOptionsRealDefault("-outer_momentum", "Constant Nesterov momentum", "HGOuterSetMomentum", "k/(k+3)", &mom, &fmom));
  else PetscCall(HGOptionsReal("-outer_momentum", "Constant Nesterov momentum", "HGOuterSetMomentum", outer->momentum, &mom, &fmom));
  PetscCall(PetscOptionsBool("-outer_warm_start", "Warm-start w and v", "HGOuterSetWarmStart", outer->warm, &outer->warm, NULL));
  {
    const char *sched[] = {"none", "geometric", "power"};
    PetscInt    is      = outer->tol_schedule;
    PetscCall(PetscOptionsEList("-outer_tol_schedule", "Lower/adjoint tolerance schedule of gd and nesterov (HOAG)", "HGOUTERGD", sched, 3, sched[is], &is, NULL));
    outer->tol_schedule = is;
    if (is) {
      PetscCall(HGOptionsReal("-outer_tol0", "Tolerance of the first iteration", "HGOUTERGD", outer->tol0, &outer->tol0, NULL));
      PetscCall(HGOptionsReal("-outer_tol_decay", "Ratio (geometric) or power (power) of the schedule", "HGOUTERGD", outer->tol_decay, &outer->tol_decay, NULL));
      PetscCall(HGOptionsReal("-outer_tol_min", "Smallest tolerance", "HGOUTERGD", outer->tol_min, &outer->tol_min, NULL));
    }
  }
  PetscCall(PetscOptionsBool("-outer_monitor", "Print one line per outer iteration", "HGOuterMonitorDefault", mon, &mon, NULL));
  PetscCall(HGOptionsInt("-outer_monitor_every", "Print every n-th iteration", "HGOuterMonitorDefault", outer->monitor_every, &outer->monitor_every, NULL));
  PetscCall(PetscStrncpy(ckfile, outer->ckfile, sizeof(ckfile)));
  PetscCall(PetscOptionsString("-outer_checkpoint", "HDF5 checkpoint file", "HGOuterSetCheckpoint", outer->ckfile, file, sizeof(file), &fck));
  n = outer->ckevery;
  PetscCall(HGOptionsInt("-outer_checkpoint_every", "Checkpoint every n iterations (0: at the end only)", "HGOuterSetCheckpoint", n, &n, &fevery));
  if (fck) PetscCall(PetscStrncpy(ckfile, file, sizeof(ckfile)));
  PetscCall(PetscOptionsBool("-outer_checkpoint_overwrite", "A new run may replace an existing checkpoint file", "HGOuterSetCheckpoint", outer->ckoverwrite, &outer->ckoverwrite, NULL));
  PetscCall(PetscOptionsBool("-outer_resume_force", "Resume a run file although its data fingerprint or trajectory options differ", "HGOuterSetResumeForce", outer->resume_force, &outer->resume_force, NULL));
  outer->signals = ckfile[0] ? PETSC_TRUE : outer->signals;
  PetscCall(PetscOptionsBool("-outer_signals", "SIGTERM/SIGINT/SIGUSR2 stop cleanly after writing a checkpoint", "HGOuterSetSignalHandling", outer->signals, &outer->signals, NULL));
  PetscTryTypeMethod(outer, setfromoptions, PetscOptionsObject);
  PetscOptionsEnd();
  /* the checks after PetscOptionsEnd(): an error inside the block would leak it */
  if (outer->tol_schedule) {
    PetscCheck(outer->tol0 > 0 && outer->tol_min > 0 && outer->tol_decay > 0 && (outer->tol_schedule != 1 || outer->tol_decay < 1), PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_tol_schedule: need -outer_tol0 > 0, -outer_tol_min > 0 and -outer_tol_decay in (0,1) (geometric) or > 0 (power); got %g, %g, %g", (double)outer->tol0, (double)outer->tol_min, (double)outer->tol_decay);
    PetscCheck(outer->tol_min <= outer->tol0, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_tol_min %g is larger than -outer_tol0 %g: the smallest tolerance of the schedule must not exceed the first one", (double)outer->tol_min, (double)outer->tol0);
  }
  PetscCheck(outer->monitor_every >= 1, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_monitor_every must be >= 1; got %" PetscInt_FMT, outer->monitor_every);
  if (fmaxit) PetscCall(HGOuterSetMaxIterations(outer, maxit));
  if (fmaxtime) PetscCall(HGOuterSetMaxTime(outer, maxtime));
  if (fgatol) PetscCall(HGOuterSetTolerance(outer, gatol));
  if (fstep) PetscCall(HGOuterSetStepSize(outer, step));
  if (fmom) PetscCall(HGOuterSetMomentum(outer, mom));
  PetscCheck(!fck || file[0], PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_WRONG, "-outer_checkpoint needs a file name, e.g. -outer_checkpoint run.h5");
  PetscCheck(!fevery || ckfile[0], PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_INCOMP, "-outer_checkpoint_every %" PetscInt_FMT " needs a checkpoint file: give -outer_checkpoint FILE as well", n);
  PetscCall(HGOuterSetCheckpoint(outer, ckfile, n));
  if (mon && !outer->nmonitors) PetscCall(HGOuterMonitorSet(outer, HGOuterMonitorDefault, NULL, NULL));
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetSignalHandling - SIGTERM, SIGINT (what schedulers send before they kill a job) and
  SIGUSR2 make HGOuterSolve() finish the current iteration, write the checkpoint and return
  with HG_OUTER_STOPPED_SIGNAL; a second signal ends the process at once.  SIGUSR1 writes a
  checkpoint after the current iteration and the run goes on.

  Logically Collective

  Input Parameters:
+ outer - the outer driver
- flg   - handle the signals (default: on when a checkpoint file is set)

  Options Database Key:
. -outer_signals <bool> - the same

  Notes:
  Only rank 0 prints the message.  Under Open MPI's mpiexec, send SIGUSR2 (or SIGUSR1) to
  mpiexec: it forwards them to every rank and the job ends with the ranks' exit status (0).
  SIGTERM sent to mpiexec itself makes Open MPI abort the job: it forwards SIGTERM, kills the
  ranks odls_base_sigkill_timeout seconds later (default 1) and exits 1; give
  --mca odls_base_sigkill_timeout 60 to leave the ranks time to write the checkpoint.  A
  scheduler that signals the ranks themselves (srun, SLURM's --signal) gets exit 0.

  Level: intermediate

.seealso: HGOuterSetCheckpoint(), HGOuterSolve()
@*/
PetscErrorCode HGOuterSetSignalHandling(HGOuter outer, PetscBool flg)
{
  PetscFunctionBegin;
  outer->signals = flg;
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetUp - sets up the outer loop, its HG and the problem

  Collective

  Input Parameter:
. outer - the outer driver

  Level: intermediate

.seealso: HGOuterSolve()
@*/
PetscErrorCode HGOuterSetUp(HGOuter outer)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  if (outer->setupcalled) PetscFunctionReturn(0);
  PetscCheck(outer->hg, PetscObjectComm((PetscObject)outer), PETSC_ERR_ORDER, "Call HGOuterSetHG() before HGOuterSetUp()");
  if (!((PetscObject)outer)->type_name) PetscCall(HGOuterSetType(outer, HGOUTERGD));
  PetscCall(HGSetUp(outer->hg));
  PetscTryTypeMethod(outer, check);
  if (!outer->h) {
    HGProblem prob = outer->hg->problem;
    PetscCall(VecDuplicate(prob->ltemplate, &outer->h));
    PetscCall(VecDuplicate(prob->ltemplate, &outer->y));
    PetscCall(VecDuplicate(prob->ltemplate, &outer->lambda_prev));
    PetscCall(VecDuplicate(prob->ltemplate, &outer->lambda_good));
    PetscCall(VecDuplicate(prob->ltemplate, &outer->lambda_prev_good));
    PetscCall(VecDuplicate(prob->wtemplate, &outer->wsave));
    PetscCall(VecDuplicate(prob->wtemplate, &outer->vsave));
  }
  outer->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterRefuseBatches(HGOuter outer, const char why[])
{
  PetscBool ismulti;
  PetscInt  B, n;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)outer->hg, HGMULTI, &ismulti));
  if (!ismulti) PetscFunctionReturn(0);
  PetscCall(HGMultiGetBatchSize(outer->hg, &B, &n));
  PetscCheck(B == 0 || B == n, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_INCOMP, "-outer_type %s %s; with mini-batches (-hg_multi_batch %" PetscInt_FMT " of %" PetscInt_FMT " instances) every evaluation draws another batch, so these are two different random functions and the comparison means nothing: use -outer_type gd or nesterov with mini-batches (optionally with -outer_tol_schedule), or remove -hg_multi_batch", ((PetscObject)outer)->type_name, why, B, n);
  PetscFunctionReturn(0);
}

/* The state of the run now (outer->lambda the iterate): what a diverged run goes back to */
static PetscErrorCode HGOuterMarkGood(HGOuter outer)
{
  PetscFunctionBegin;
  PetscCall(VecCopy(outer->lambda, outer->lambda_good));
  PetscCall(VecCopy(outer->lambda_prev, outer->lambda_prev_good));
  outer->have_prev_good     = outer->have_prev;
  outer->it_good            = outer->it;
  outer->nhist_good         = outer->nhist;
  outer->total_lower_good   = outer->total_lower;
  outer->total_adjoint_good = outer->total_adjoint;
  PetscFunctionReturn(0);
}

/* The absolute tolerance eps of the lower and adjoint solves; of every instance's for an HG of type multi */
PetscErrorCode HGOuterSetSolveTolerances(HG hg, PetscReal eps)
{
  PetscBool ismulti;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)hg, HGMULTI, &ismulti));
  if (ismulti) PetscCall(HGMultiSetSolveTolerances(hg, eps));
  else {
    PetscCall(HGLowerSetTolerances(hg->lower, 0.0, eps, hg->lower->dtol > 0 ? hg->lower->dtol : 1e10));
    PetscCall(HGSetAdjointTolerances(hg, 0.0, eps));
  }
  PetscFunctionReturn(0);
}

/* Hypergradient at lambda with warm starts; fills the record (all but iteration, time, step).  A
   failed hypergradient sets a negative outer reason (the HG's error on failure is off meanwhile),
   leaves h and the warm starts as they were and gives a record with NaN for ||h|| and f */
PetscErrorCode HGOuterEvaluate(HGOuter outer, Vec lambda, Vec h, HGOuterRecord *rec)
{
  HG        hg = outer->hg;
  HGInfo    info;
  Vec       w, v;
  PetscBool errflag;

  PetscFunctionBegin;
  if (outer->tol_schedule) {
    /* HOAG-like schedule: tolerances that decrease with the outer iteration */
    PetscReal eps = outer->tol_schedule == 1 ? outer->tol0 * PetscPowReal(outer->tol_decay, (PetscReal)outer->it) : outer->tol0 * PetscPowReal((PetscReal)(outer->it + 1), -outer->tol_decay);
    eps = PetscMax(eps, outer->tol_min);
    PetscCall(HGOuterSetSolveTolerances(hg, eps));
    outer->tol = eps;
  }
  if (outer->warm && outer->have_w) PetscCall(HGSetLowerInitialGuess(hg, outer->wsave));
  if (outer->warm && outer->have_v) PetscCall(HGSetAdjointInitialGuess(hg, outer->vsave));
  PetscCall(HGGetErrorIfNotConverged(hg, &errflag));
  PetscCall(HGSetErrorIfNotConverged(hg, PETSC_FALSE)); /* the outer loop handles a failed step itself */
  PetscCall(HGComputeHypergradient(hg, lambda, h));
  PetscCall(HGSetErrorIfNotConverged(hg, errflag));
  PetscCall(HGGetInfo(hg, &info));
  if (outer->tol_schedule) {
    PetscCheck(info.lower_reason != HG_LOWER_DIVERGED_MAXIT, PetscObjectComm((PetscObject)outer), PETSC_ERR_NOT_CONVERGED, "-outer_tol_schedule, outer iteration %" PetscInt_FMT ": the lower solver stopped at its cap -lower_max_it %" PetscInt_FMT " with residual %g above the tolerance %g of the schedule: raise -lower_max_it (the cap of each solve) or -outer_tol_min", outer->it, info.lower_its, (double)info.lower_residual, (double)outer->tol);
    PetscCheck(info.ksp_reason != KSP_DIVERGED_ITS, PetscObjectComm((PetscObject)outer), PETSC_ERR_NOT_CONVERGED, "-outer_tol_schedule, outer iteration %" PetscInt_FMT ": the adjoint KSP stopped at its cap -hg_k %" PetscInt_FMT " with residual %g above the tolerance %g of the schedule: raise -hg_k (the cap of each adjoint solve) or -outer_tol_min", outer->it, info.adjoint_its, (double)info.adjoint_residual, (double)outer->tol);
  }
  PetscCall(PetscMemzero(rec, sizeof(*rec)));
  rec->upper_objective  = info.upper_objective;
  rec->lower_its        = (PetscReal)info.lower_its;
  rec->adjoint_its      = (PetscReal)info.adjoint_its;
  rec->lower_residual   = info.lower_residual;
  rec->adjoint_residual = info.adjoint_residual;
  rec->bound            = info.bound_aposteriori >= 0 ? info.bound_aposteriori : (PetscReal)NAN;
  rec->bound_estimated  = info.bound_aposteriori >= 0 ? (PetscReal)info.bound_estimated : (PetscReal)NAN;
  if (info.reason > 0) {
    PetscCall(VecNorm(h, NORM_2, &rec->hypergradient_norm));
    PetscCall(HGGetLowerSolution(hg, &w));
    PetscCall(HGGetAdjointSolution(hg, &v));
    PetscCall(HGProblemComputeAccuracy(hg->problem, w, lambda, &rec->val_accuracy, &rec->test_accuracy));
  } else rec->hypergradient_norm = rec->val_accuracy = rec->test_accuracy = (PetscReal)NAN;
  if (info.reason < 0) {
    outer->reason = info.reason == HG_DIVERGED_NANORINF ? HG_OUTER_DIVERGED_NANORINF : HG_OUTER_DIVERGED_HG;
    outer->nfailed++;
    outer->failinfo  = info;
    outer->failit    = outer->it;
    outer->failtrial = PETSC_FALSE;
    PetscCall(VecNorm(lambda, NORM_2, &outer->failnorm));
  }
  else if (PetscIsInfOrNanReal(rec->hypergradient_norm) || PetscIsInfOrNanReal(rec->upper_objective)) outer->reason = HG_OUTER_DIVERGED_NANORINF;
  if (outer->reason >= 0) { /* a good evaluation: the state before it is one to go back to; its w, v the next warm starts */
    if (outer->lambda) PetscCall(HGOuterMarkGood(outer));
    PetscCall(VecCopy(w, outer->wsave));
    PetscCall(VecCopy(v, outer->vsave));
    outer->have_w = outer->have_v = PETSC_TRUE;
  }
  outer->total_lower += info.lower_its;
  outer->total_adjoint += info.adjoint_its;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGOuterAppend(HGOuter outer, const HGOuterRecord *rec)
{
  PetscFunctionBegin;
  if (outer->nhist == outer->nalloc) {
    HGOuterRecord *nh;
    PetscInt       na = PetscMax(64, 2 * outer->nalloc);
    PetscCall(PetscMalloc1(na, &nh));
    if (outer->nhist) PetscCall(PetscArraycpy(nh, outer->hist, outer->nhist));
    PetscCall(PetscFree(outer->hist));
    outer->hist   = nh;
    outer->nalloc = na;
  }
  outer->hist[outer->nhist++] = *rec;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterHistoryReserve(HGOuter outer, PetscInt n)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(outer->hist));
  outer->nalloc = PetscMax(64, n);
  PetscCall(PetscMalloc1(outer->nalloc, &outer->hist));
  outer->nhist = 0;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterHistoryAppend(HGOuter outer, const HGOuterRecord *rec)
{
  PetscFunctionBegin;
  PetscCall(HGOuterAppend(outer, rec));
  PetscFunctionReturn(0);
}

/* rec stamped with the iteration outer->it and the run's time, appended to the history (when
   append) and passed to the monitors */
PetscErrorCode HGOuterRecordMonitor(HGOuter outer, HGOuterRecord *rec, PetscBool append)
{
  PetscLogDouble now;

  PetscFunctionBegin;
  PetscCall(PetscTime(&now));
  rec->iteration = outer->it;
  rec->time      = outer->elapsed0 + (PetscReal)(now - outer->tstart);
  if (append) PetscCall(HGOuterAppend(outer, rec));
  for (PetscInt i = 0; i < outer->nmonitors; i++) PetscCall((*outer->monitor[i])(outer, rec, outer->monitorctx[i]));
  PetscFunctionReturn(0);
}

/* Bookkeeping after the step of iteration outer->it (already incremented) */
PetscErrorCode HGOuterEndIteration(HGOuter outer, HGOuterRecord *rec, PetscBool *stop)
{
  PetscBool sig, ckreq;

  PetscFunctionBegin;
  PetscCall(HGOuterRecordMonitor(outer, rec, PETSC_TRUE));
  *stop = PETSC_FALSE;
  if (outer->reason < 0) {
    *stop = PETSC_TRUE;
    PetscFunctionReturn(0);
  }
  PetscCall(HGOuterSignalPending(outer, &sig, &ckreq));
  if (outer->ckfile[0] && !sig && ((outer->ckevery > 0 && outer->it % outer->ckevery == 0) || ckreq)) PetscCall(HGOuterCheckpointCurrent(outer, NULL));
  if (sig) outer->reason = HG_OUTER_STOPPED_SIGNAL;
  else if (outer->gatol > 0 && rec->hypergradient_norm <= outer->gatol) outer->reason = HG_OUTER_CONVERGED_GATOL;
  else if (outer->it >= outer->max_it) outer->reason = HG_OUTER_CONVERGED_ITS;
  else if (outer->max_time > 0 && rec->time >= outer->max_time) outer->reason = HG_OUTER_CONVERGED_TIME;
  *stop = outer->reason != HG_OUTER_ITERATING ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OuterSolve(HGOuter, Vec);

/*@
  HGOuterSolve - runs the outer hypergradient descent from lambda (overwritten with the
  result); after HGOuterLoadCheckpoint() it continues the run the checkpoint holds

  Collective

  Input Parameter:
. outer - the outer driver

  Output Parameter:
. lambda - on input the initial hyperparameters (ignored after HGOuterLoadCheckpoint(), which sets them), on output the last iterate

  Notes:
  The checkpoint file (HGOuterSetCheckpoint()) is written every n iterations, at the end
  and when a signal stops the run.  A new run refuses to replace an existing checkpoint
  file unless -outer_checkpoint_overwrite is given.

  A hypergradient that fails (a diverged lower or adjoint solve, an overflow at a huge lambda)
  does not raise an error: the run ends with HG_OUTER_DIVERGED_HG (or HG_OUTER_DIVERGED_NANORINF),
  and lambda, the iteration count and the totals go back to the state before the last
  hypergradient that converged (the start of this solve if none did), whose lambda is the last
  iterate with a converged hypergradient.  The history keeps every record, the failed one last.
  The checkpoint file receives that state, marked with the reason in its reason attribute, so
  that the run can go on from there with other options (a smaller step) by resuming it.

  Level: beginner

.seealso: HGOuterGetConvergedReason(), HGOuterGetHistory(), HGSetErrorIfNotConverged()
@*/
PetscErrorCode HGOuterSolve(HGOuter outer, Vec lambda)
{
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  PetscValidHeaderSpecific(lambda, VEC_CLASSID, 2);
  outer->lambda = NULL;
  ierr          = OuterSolve(outer, lambda);
  if (ierr) {
    /* refused before the first iteration (outer->lambda not yet set): the lock (this call's, or
       that of HGOuterLoadCheckpoint()) is given back and its file left as found; failed later:
       given back and removed, as at the end of a run */
    if (!outer->lambda) (void)HGOuterLockAbandon(outer);
    else (void)HGOuterLockRelease(outer);
    outer->lambda = NULL;
    PetscCall(ierr);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OuterSolve(HGOuter outer, Vec lambda)
{
  MPI_Comm       comm = PetscObjectComm((PetscObject)outer);
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  PetscCall(HGOuterSetUp(outer));
  PetscCall(HGProblemCheckVec(outer->hg->problem, lambda, PETSC_TRUE, "lambda"));
  PetscTryTypeMethod(outer, check); /* again: the HG may have changed since the set-up; before the lock and the run file */
  PetscCall(HGOuterCheckpointCheckDirectory(outer));
  /* one run per run file: held until the end of the solve */
  if (outer->ckfile[0]) PetscCall(HGOuterLockAcquire(outer, outer->ckfile));
  else PetscCall(HGOuterLockRelease(outer));
  if (outer->ckfile[0] && !outer->resumed && !outer->ckoverwrite) {
    PetscBool exists = PETSC_FALSE;
    PetscCall(PetscTestFile(outer->ckfile, '\0', &exists));
    PetscCheck(!exists, comm, PETSC_ERR_FILE_OPEN, "The checkpoint file %s already exists and this is a new run: continue it with -resume %s, or remove it, or pass -outer_checkpoint_overwrite to replace it", outer->ckfile, outer->ckfile);
  }
  if (!outer->resumed) {
    outer->it = 0;
    outer->nhist = 0;
    outer->elapsed0 = 0;
    outer->total_lower = outer->total_adjoint = 0;
    outer->have_w = outer->have_v = outer->have_prev = PETSC_FALSE;
  }
  outer->reason  = HG_OUTER_ITERATING;
  outer->nfailed = 0;
  PetscCall(PetscTime(&outer->tstart));
  outer->lambda = lambda;
  PetscCall(HGOuterMarkGood(outer));
  if (outer->signals) PetscCall(HGOuterSignalInstall(outer));
  PetscCall(PetscLogEventBegin(HGOuter_Solve, outer, 0, 0, 0));
  if (outer->it >= outer->max_it) outer->reason = HG_OUTER_CONVERGED_ITS;
  else ierr = (*outer->ops->solve)(outer, lambda);
  PetscCall(PetscLogEventEnd(HGOuter_Solve, outer, 0, 0, 0));
  if (outer->signals) PetscCall(HGOuterSignalRestore(outer));
  PetscCall(ierr);
  if (outer->reason < 0) {
    /* back to the state before the last hypergradient that converged (or the start): lambda there
       is the last iterate whose hypergradient converged, from which a smaller step can go on */
    PetscInt nh = outer->nhist;
    PetscCall(VecCopy(outer->lambda_good, lambda));
    PetscCall(VecCopy(outer->lambda_prev_good, outer->lambda_prev));
    outer->have_prev     = outer->have_prev_good;
    outer->it            = outer->it_good;
    outer->total_lower   = outer->total_lower_good;
    outer->total_adjoint = outer->total_adjoint_good;
    if (outer->ckfile[0]) { /* the checkpoint of that state, marked with the reason; the history it holds ends there */
      outer->nhist = outer->nhist_good;
      ierr         = HGOuterCheckpointCurrent(outer, lambda);
      outer->nhist = nh;
      PetscCall(ierr);
    }
    PetscCall(PetscInfo(outer, "Diverged (%s); back to outer iteration %" PetscInt_FMT ", the last iterate whose hypergradient converged\n", HGOuterConvergedReasons[outer->reason], outer->it));
  } else if (outer->ckfile[0]) PetscCall(HGOuterCheckpointCurrent(outer, lambda));
  if (outer->reason == HG_OUTER_STOPPED_SIGNAL) {
    if (outer->ckfile[0]) PetscCall(PetscInfo(outer, "Stopped by a signal after outer iteration %" PetscInt_FMT "; checkpoint written to %s\n", outer->it, outer->ckfile));
  }
  outer->resumed = PETSC_FALSE;
  outer->lambda  = NULL;
  PetscCall(HGOuterLockRelease(outer));
  PetscFunctionReturn(0);
}

/*@
  HGOuterView - prints the outer loop: type, step, limits, checkpoint file

  Collective

  Input Parameters:
+ outer - the outer driver
- viewer - an ASCII viewer, or NULL for stdout

  Level: beginner

.seealso: HGView()
@*/
PetscErrorCode HGOuterView(HGOuter outer, PetscViewer viewer)
{
  PetscBool isascii;

  PetscFunctionBegin;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)outer), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &isascii));
  if (!isascii) PetscFunctionReturn(0);
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)outer, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "max_it %" PetscInt_FMT ", step %g, momentum %s, warm starts %s, gatol %g, max_time %g s\n", outer->max_it, (double)outer->step, outer->momentum == (PetscReal)PETSC_DEFAULT ? "k/(k+3)" : "constant", outer->warm ? "on" : "off", (double)outer->gatol, (double)outer->max_time));
  if (outer->ckfile[0]) PetscCall(PetscViewerASCIIPrintf(viewer, "checkpoint %s every %" PetscInt_FMT " iterations\n", outer->ckfile, outer->ckevery));
  PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " iterations done, reason %s\n", outer->it, HGOuterConvergedReasons[outer->reason]));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

/*@
  HGOuterDestroy - destroys the outer driver

  Collective

  Input Parameter:
. outer - the driver, set to NULL

  Level: beginner

.seealso: HGOuterCreate()
@*/
PetscErrorCode HGOuterDestroy(HGOuter *outer)
{
  PetscFunctionBegin;
  if (!*outer) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*outer, HGOUTER_CLASSID, 1);
  if (--((PetscObject)(*outer))->refct > 0) {
    *outer = NULL;
    PetscFunctionReturn(0);
  }
  PetscTryTypeMethod(*outer, destroy);
  PetscCall(HGOuterLockRelease(*outer));
  for (PetscInt i = 0; i < (*outer)->nmonitors; i++)
    if ((*outer)->monitordestroy[i]) PetscCall((*(*outer)->monitordestroy[i])(&(*outer)->monitorctx[i]));
  PetscCall(HGDestroy(&(*outer)->hg));
  PetscCall(VecDestroy(&(*outer)->h));
  PetscCall(VecDestroy(&(*outer)->y));
  PetscCall(VecDestroy(&(*outer)->lambda_prev));
  PetscCall(VecDestroy(&(*outer)->lambda_good));
  PetscCall(VecDestroy(&(*outer)->lambda_prev_good));
  PetscCall(VecDestroy(&(*outer)->wsave));
  PetscCall(VecDestroy(&(*outer)->vsave));
  PetscCall(PetscFree((*outer)->hist));
  PetscCall(PetscHeaderDestroy(outer));
  PetscFunctionReturn(0);
}

/* ---------------------------------------------------------------------------------- */
/* gd and nesterov: projected hypergradient descent with a fixed step                  */

typedef struct {
  PetscBool nesterov;
} HGOuter_Descent;

static PetscErrorCode HGOuterSolve_Descent(HGOuter outer, Vec lambda)
{
  HGOuter_Descent *d    = (HGOuter_Descent *)outer->data;
  HGProblem        prob = outer->hg->problem;
  PetscBool        stop = PETSC_FALSE;

  PetscFunctionBegin;
  while (!stop) {
    HGOuterRecord rec;
    Vec           at = lambda;

    if (d->nesterov && outer->have_prev) {
      /* y = lambda + beta_k (lambda - lambda_prev) */
      PetscReal beta = outer->momentum == (PetscReal)PETSC_DEFAULT ? (PetscReal)outer->it / (PetscReal)(outer->it + 3) : outer->momentum;
      PetscCall(VecAXPBYPCZ(outer->y, 1.0 + beta, -beta, 0.0, lambda, outer->lambda_prev));
      PetscCall(HGProblemProject(prob, outer->y));
      at = outer->y;
    }
    PetscCall(HGOuterEvaluate(outer, at, outer->h, &rec));
    rec.step = outer->step;
    if (outer->reason >= 0) {
      if (d->nesterov) {
        PetscCall(VecCopy(lambda, outer->lambda_prev));
        outer->have_prev = PETSC_TRUE;
      }
      /* lambda = P(at - eta h) */
      if (at == outer->y) {
        PetscCall(VecAXPY(outer->y, -outer->step, outer->h));
        PetscCall(VecCopy(outer->y, lambda));
      } else PetscCall(VecAXPY(lambda, -outer->step, outer->h));
      PetscCall(HGProblemProject(prob, lambda));
      outer->it++;
    }
    PetscCall(HGOuterEndIteration(outer, &rec, &stop));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode HGOuterDestroy_Descent(HGOuter outer)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(outer->data));
  PetscFunctionReturn(0);
}

/*MC
   HGOUTERGD - projected hypergradient descent with a fixed step: lambda <- P(lambda - eta h(lambda))

   Options: -outer_step <0.1>

.seealso: HGOUTERNESTEROV, HGOUTERTAO
M*/
PetscErrorCode HGOuterCreate_GD(HGOuter outer)
{
  HGOuter_Descent *d;

  PetscFunctionBegin;
  PetscCall(PetscNew(&d));
  outer->data         = d;
  outer->ops->solve   = HGOuterSolve_Descent;
  outer->ops->destroy = HGOuterDestroy_Descent;
  PetscFunctionReturn(0);
}

/*MC
   HGOUTERNESTEROV - projected hypergradient descent with Nesterov momentum:
   y = P(lambda_k + beta_k (lambda_k - lambda_{k-1})), lambda_{k+1} = P(y - eta h(y)),
   beta_k = k/(k+3) unless -outer_momentum sets a constant

.seealso: HGOUTERGD
M*/
PetscErrorCode HGOuterCreate_Nesterov(HGOuter outer)
{
  HGOuter_Descent *d;

  PetscFunctionBegin;
  PetscCall(PetscNew(&d));
  d->nesterov         = PETSC_TRUE;
  outer->data         = d;
  outer->ops->solve   = HGOuterSolve_Descent;
  outer->ops->destroy = HGOuterDestroy_Descent;
  PetscFunctionReturn(0);
}
