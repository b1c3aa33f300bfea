/* HGOuter: the outer hypergradient descent with warm starts, monitors and history.  The
   descent types (gd, nesterov) are here; tao is in outertao.c, checkpoints in checkpoint.c. */
#include "outerimpl.h"

PetscClassId      HGOUTER_CLASSID;
PetscFunctionList HGOuterList = NULL;
PetscLogEvent     HGOuter_Solve, HGOuter_Checkpoint;

static const char *const HGOuterConvergedReasons_Shifted[] = {"DIVERGED_TAO", "DIVERGED_NANORINF", "DIVERGED_HG", "ITERATING", "CONVERGED_ITS", "CONVERGED_GATOL", "CONVERGED_TIME", "CONVERGED_TAO", "STOPPED_SIGNAL"};
const char *const *HGOuterConvergedReasons = HGOuterConvergedReasons_Shifted + 3;

const char *const HGOuterRecordNames[] = {"iteration", "time", "upper_objective", "hypergradient_norm", "step", "lower_its", "adjoint_its", "lower_residual", "adjoint_residual", "val_accuracy", "test_accuracy", "bound"};

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

.seealso: HGOuterSetHG(), HGOuterSolve(), HGOuterSetCheckpoint()
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

  Options Database Key:
. -outer_type <gd,nesterov,tao,adaptive> - fixed-step projected descent, Nesterov momentum, a TAO solver, or adaptive accuracy (HGOUTERADAPTIVE)
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

PetscErrorCode HGOuterGetType(HGOuter outer, HGOuterType *type)
{
  PetscFunctionBegin;
  *type = ((PetscObject)outer)->type_name;
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetHG - the hypergradient method (with its problem and lower solver) the outer loop drives

  Collective
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

PetscErrorCode HGOuterGetHG(HGOuter outer, HG *hg)
{
  PetscFunctionBegin;
  *hg = outer->hg;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterSetOptionsPrefix(HGOuter outer, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)outer, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterSetMaxIterations(HGOuter outer, PetscInt n)
{
  PetscFunctionBegin;
  PetscCheck(n >= 0, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_max_it must be >= 0; got %" PetscInt_FMT, n);
  outer->max_it = n;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterSetMaxTime(HGOuter outer, PetscReal s)
{
  PetscFunctionBegin;
  PetscCheck(s >= 0, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_max_time must be >= 0 seconds (0: no limit); got %g", (double)s);
  outer->max_time = s;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterSetTolerance(HGOuter outer, PetscReal gatol)
{
  PetscFunctionBegin;
  PetscCheck(gatol >= 0, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_gatol must be >= 0 (0: off); got %g", (double)gatol);
  outer->gatol = gatol;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterSetStepSize(HGOuter outer, PetscReal step)
{
  PetscFunctionBegin;
  PetscCheck(step > 0 && PetscIsNormalReal(step), PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_step must be a positive finite number; got %g", (double)step);
  outer->step = step;
  PetscFunctionReturn(0);
}

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

  Options Database Key:
. -outer_warm_start <true> - on or off
@*/
PetscErrorCode HGOuterSetWarmStart(HGOuter outer, PetscBool flg)
{
  PetscFunctionBegin;
  outer->warm = flg;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterGetIterationNumber(HGOuter outer, PetscInt *it)
{
  PetscFunctionBegin;
  *it = outer->it;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterGetConvergedReason(HGOuter outer, HGOuterConvergedReason *reason)
{
  PetscFunctionBegin;
  *reason = outer->reason;
  PetscFunctionReturn(0);
}

/*@C
  HGOuterGetHistory - the records of all outer iterations so far (including those before a resume)

  Not Collective; the array belongs to the HGOuter
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
@*/
PetscErrorCode HGOuterGetTotalIterations(HGOuter outer, PetscInt *lower, PetscInt *adjoint)
{
  PetscFunctionBegin;
  if (lower) *lower = outer->total_lower;
  if (adjoint) *adjoint = outer->total_adjoint;
  PetscFunctionReturn(0);
}

/*@C
  HGOuterMonitorSet - adds a function called after each outer iteration

  Logically Collective
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

  Options Database Keys:
+ -outer_monitor             - turn it on
- -outer_monitor_every <1>   - print every n-th iteration (with progress and time left when a limit is set)
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
- -outer_signals <true>               - SIGTERM/SIGINT stop cleanly with a checkpoint; SIGUSR1 writes one and goes on
@*/
PetscErrorCode HGOuterSetFromOptions(HGOuter outer)
{
  char      type[256], file[PETSC_MAX_PATH_LEN];
  PetscBool flg, mon = PETSC_FALSE;
  PetscInt  n;
  PetscReal r;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  PetscObjectOptionsBegin((PetscObject)outer);
  PetscCall(PetscOptionsFList("-outer_type", "Outer optimizer", "HGOuterSetType", HGOuterList, ((PetscObject)outer)->type_name ? ((PetscObject)outer)->type_name : HGOUTERGD, type, sizeof(type), &flg));
  if (flg) PetscCall(HGOuterSetType(outer, type));
  else if (!((PetscObject)outer)->type_name) PetscCall(HGOuterSetType(outer, HGOUTERGD));
  PetscCall(PetscOptionsInt("-outer_max_it", "Outer iterations", "HGOuterSetMaxIterations", outer->max_it, &n, &flg));
  if (flg) PetscCall(HGOuterSetMaxIterations(outer, n));
  PetscCall(PetscOptionsReal("-outer_max_time", "Stop after this many seconds (0: no limit)", "HGOuterSetMaxTime", outer->max_time, &r, &flg));
  if (flg) PetscCall(HGOuterSetMaxTime(outer, r));
  PetscCall(PetscOptionsReal("-outer_gatol", "Stop when ||h|| <= gatol", "HGOuterSetTolerance", outer->gatol, &r, &flg));
  if (flg) PetscCall(HGOuterSetTolerance(outer, r));
  PetscCall(PetscOptionsReal("-outer_step", "Outer step size", "HGOuterSetStepSize", outer->step, &r, &flg));
  if (flg) PetscCall(HGOuterSetStepSize(outer, r));
  PetscCall(PetscOptionsReal("-outer_momentum", "Constant Nesterov momentum (default k/(k+3))", "HGOuterSetMomentum", outer->momentum, &r, &flg));
  if (flg) PetscCall(HGOuterSetMomentum(outer, r));
  PetscCall(PetscOptionsBool("-outer_warm_start", "Warm-start w and v", "HGOuterSetWarmStart", outer->warm, &outer->warm, NULL));
  {
    const char *sched[] = {"none", "geometric", "power"};
    PetscInt    is      = outer->tol_schedule;
    PetscCall(PetscOptionsEList("-outer_tol_schedule", "Lower/adjoint tolerance schedule of gd and nesterov (HOAG)", "HGOUTERGD", sched, 3, sched[is], &is, NULL));
    outer->tol_schedule = is;
    if (is) {
      PetscCall(PetscOptionsReal("-outer_tol0", "Tolerance of the first iteration", "HGOUTERGD", outer->tol0, &outer->tol0, NULL));
      PetscCall(PetscOptionsReal("-outer_tol_decay", "Ratio (geometric) or power (power) of the schedule", "HGOUTERGD", outer->tol_decay, &outer->tol_decay, NULL));
      PetscCall(PetscOptionsReal("-outer_tol_min", "Smallest tolerance", "HGOUTERGD", outer->tol_min, &outer->tol_min, NULL));
      PetscCheck(outer->tol0 > 0 && outer->tol_min > 0 && outer->tol_decay > 0 && (is != 1 || outer->tol_decay < 1), PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_tol_schedule: need -outer_tol0 > 0, -outer_tol_min > 0 and -outer_tol_decay in (0,1) (geometric) or > 0 (power); got %g, %g, %g", (double)outer->tol0, (double)outer->tol_min, (double)outer->tol_decay);
      PetscCheck(outer->tol_min <= outer->tol0, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_tol_min %g is larger than -outer_tol0 %g: the smallest tolerance of the schedule must not exceed the first one", (double)outer->tol_min, (double)outer->tol0);
    }
  }
  PetscCall(PetscOptionsBool("-outer_monitor", "Print one line per outer iteration", "HGOuterMonitorDefault", mon, &mon, NULL));
  PetscCall(PetscOptionsInt("-outer_monitor_every", "Print every n-th iteration", "HGOuterMonitorDefault", outer->monitor_every, &outer->monitor_every, NULL));
  PetscCheck(outer->monitor_every >= 1, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_monitor_every must be >= 1; got %" PetscInt_FMT, outer->monitor_every);
  PetscCall(PetscOptionsString("-outer_checkpoint", "HDF5 checkpoint file", "HGOuterSetCheckpoint", outer->ckfile, file, sizeof(file), &flg));
  n = outer->ckevery;
  PetscCall(PetscOptionsInt("-outer_checkpoint_every", "Checkpoint every n iterations (0: at the end only)", "HGOuterSetCheckpoint", n, &n, NULL));
  PetscCall(HGOuterSetCheckpoint(outer, flg ? file : outer->ckfile, n));
  PetscCall(PetscOptionsBool("-outer_checkpoint_overwrite", "A new run may replace an existing checkpoint file", "HGOuterSetCheckpoint", outer->ckoverwrite, &outer->ckoverwrite, NULL));
  PetscCall(PetscOptionsBool("-outer_resume_force", "Resume a run file although its data fingerprint or trajectory options differ", "HGOuterSetResumeForce", outer->resume_force, &outer->resume_force, NULL));
  outer->signals = outer->ckfile[0] ? PETSC_TRUE : outer->signals;
  PetscCall(PetscOptionsBool("-outer_signals", "SIGTERM/SIGINT stop cleanly after writing a checkpoint", "HGOuterSetSignalHandling", outer->signals, &outer->signals, NULL));
  PetscTryTypeMethod(outer, setfromoptions, PetscOptionsObject);
  PetscOptionsEnd();
  if (mon && !outer->nmonitors) PetscCall(HGOuterMonitorSet(outer, HGOuterMonitorDefault, NULL, NULL));
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetSignalHandling - SIGTERM and SIGINT (what schedulers send before they kill a
  job) make HGOuterSolve() finish the current iteration, write the checkpoint and return
  with HG_OUTER_STOPPED_SIGNAL; a second signal ends the process at once

  Logically Collective
@*/
PetscErrorCode HGOuterSetSignalHandling(HGOuter outer, PetscBool flg)
{
  PetscFunctionBegin;
  outer->signals = flg;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterSetUp(HGOuter outer)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  if (outer->setupcalled) PetscFunctionReturn(0);
  PetscCheck(outer->hg, PetscObjectComm((PetscObject)outer), PETSC_ERR_ORDER, "Call HGOuterSetHG() before HGOuterSetUp()");
  if (!((PetscObject)outer)->type_name) PetscCall(HGOuterSetType(outer, HGOUTERGD));
  PetscCall(HGSetUp(outer->hg));
  if (!outer->h) {
    HGProblem prob = outer->hg->problem;
    PetscCall(VecDuplicate(prob->ltemplate, &outer->h));
    PetscCall(VecDuplicate(prob->ltemplate, &outer->y));
    PetscCall(VecDuplicate(prob->ltemplate, &outer->lambda_prev));
    PetscCall(VecDuplicate(prob->wtemplate, &outer->wsave));
    PetscCall(VecDuplicate(prob->wtemplate, &outer->vsave));
  }
  outer->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* Hypergradient at lambda with warm starts; fills the record (all but iteration, time, step) */
PetscErrorCode HGOuterEvaluate(HGOuter outer, Vec lambda, Vec h, HGOuterRecord *rec)
{
  HG     hg = outer->hg;
  HGInfo info;
  Vec    w, v;

  PetscFunctionBegin;
  if (outer->tol_schedule) {
    /* HOAG-like schedule: tolerances that decrease with the outer iteration */
    PetscReal eps = outer->tol_schedule == 1 ? outer->tol0 * PetscPowReal(outer->tol_decay, (PetscReal)outer->it) : outer->tol0 * PetscPowReal((PetscReal)(outer->it + 1), -outer->tol_decay);
    eps = PetscMax(eps, outer->tol_min);
    PetscCall(HGLowerSetTolerances(hg->lower, 0.0, eps, hg->lower->dtol > 0 ? hg->lower->dtol : 1e10));
    PetscCall(HGSetAdjointTolerances(hg, 0.0, eps));
    outer->tol = eps;
  }
  if (outer->warm && outer->have_w) PetscCall(HGSetLowerInitialGuess(hg, outer->wsave));
  if (outer->warm && outer->have_v) PetscCall(HGSetAdjointInitialGuess(hg, outer->vsave));
  PetscCall(HGComputeHypergradient(hg, lambda, h));
  PetscCall(HGGetInfo(hg, &info));
  if (outer->tol_schedule) {
    PetscCheck(info.lower_reason != HG_LOWER_DIVERGED_MAXIT, PetscObjectComm((PetscObject)outer), PETSC_ERR_NOT_CONVERGED, "-outer_tol_schedule, outer iteration %" PetscInt_FMT ": the lower solver stopped at its cap -lower_max_it %" PetscInt_FMT " with residual %g above the tolerance %g of the schedule: raise -lower_max_it (the cap of each solve) or -outer_tol_min", outer->it, info.lower_its, (double)info.lower_residual, (double)outer->tol);
    PetscCheck(info.ksp_reason != KSP_DIVERGED_ITS, PetscObjectComm((PetscObject)outer), PETSC_ERR_NOT_CONVERGED, "-outer_tol_schedule, outer iteration %" PetscInt_FMT ": the adjoint KSP stopped at its cap -hg_k %" PetscInt_FMT " with residual %g above the tolerance %g of the schedule: raise -hg_k (the cap of each adjoint solve) or -outer_tol_min", outer->it, info.adjoint_its, (double)info.adjoint_residual, (double)outer->tol);
  }
  PetscCall(HGGetLowerSolution(hg, &w));
  PetscCall(HGGetAdjointSolution(hg, &v));
  PetscCall(VecCopy(w, outer->wsave));
  PetscCall(VecCopy(v, outer->vsave));
  outer->have_w = outer->have_v = PETSC_TRUE;
  PetscCall(PetscMemzero(rec, sizeof(*rec)));
  rec->upper_objective  = info.upper_objective;
  rec->lower_its        = (PetscReal)info.lower_its;
  rec->adjoint_its      = (PetscReal)info.adjoint_its;
  rec->lower_residual   = info.lower_residual;
  rec->adjoint_residual = info.adjoint_residual;
  rec->bound            = info.bound_aposteriori >= 0 ? info.bound_aposteriori : (PetscReal)NAN;
  PetscCall(VecNorm(h, NORM_2, &rec->hypergradient_norm));
  PetscCall(HGProblemComputeAccuracy(hg->problem, w, lambda, &rec->val_accuracy, &rec->test_accuracy));
  outer->total_lower += info.lower_its;
  outer->total_adjoint += info.adjoint_its;
  if (info.reason < 0) outer->reason = info.reason == HG_DIVERGED_NANORINF ? HG_OUTER_DIVERGED_NANORINF : HG_OUTER_DIVERGED_HG;
  else if (PetscIsInfOrNanReal(rec->hypergradient_norm) || PetscIsInfOrNanReal(rec->upper_objective)) outer->reason = HG_OUTER_DIVERGED_NANORINF;
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

/* Bookkeeping after the step of iteration outer->it (already incremented) */
PetscErrorCode HGOuterEndIteration(HGOuter outer, HGOuterRecord *rec, PetscBool *stop)
{
  PetscLogDouble now;
  PetscBool      sig, ckreq;

  PetscFunctionBegin;
  PetscCall(PetscTime(&now));
  rec->iteration = outer->it;
  rec->time      = outer->elapsed0 + (PetscReal)(now - outer->tstart);
  PetscCall(HGOuterAppend(outer, rec));
  for (PetscInt i = 0; i < outer->nmonitors; i++) PetscCall((*outer->monitor[i])(outer, rec, outer->monitorctx[i]));
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

/*@
  HGOuterSolve - runs the outer hypergradient descent from lambda (overwritten with the
  result); after HGOuterLoadCheckpoint() it continues the run the checkpoint holds

  Collective

  Notes:
  The checkpoint file (HGOuterSetCheckpoint()) is written every n iterations, at the end
  and when a signal stops the run.  A new run refuses to replace an existing checkpoint
  file unless -outer_checkpoint_overwrite is given.

.seealso: HGOuterGetConvergedReason(), HGOuterGetHistory()
@*/
PetscErrorCode HGOuterSolve(HGOuter outer, Vec lambda)
{
  MPI_Comm       comm = PetscObjectComm((PetscObject)outer);
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  PetscValidHeaderSpecific(lambda, VEC_CLASSID, 2);
  PetscCall(HGOuterSetUp(outer));
  PetscCall(HGProblemCheckVec(outer->hg->problem, lambda, PETSC_TRUE, "lambda"));
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
  outer->reason = HG_OUTER_ITERATING;
  PetscCall(PetscTime(&outer->tstart));
  outer->lambda = lambda;
  if (outer->signals) PetscCall(HGOuterSignalInstall(outer));
  PetscCall(PetscLogEventBegin(HGOuter_Solve, outer, 0, 0, 0));
  if (outer->it >= outer->max_it) outer->reason = HG_OUTER_CONVERGED_ITS;
  else ierr = (*outer->ops->solve)(outer, lambda);
  PetscCall(PetscLogEventEnd(HGOuter_Solve, outer, 0, 0, 0));
  if (outer->signals) PetscCall(HGOuterSignalRestore(outer));
  PetscCall(ierr);
  if (outer->ckfile[0] && outer->reason >= 0) PetscCall(HGOuterCheckpointCurrent(outer, lambda));
  if (outer->reason == HG_OUTER_STOPPED_SIGNAL) {
    if (outer->ckfile[0]) PetscCall(PetscInfo(outer, "Stopped by a signal after outer iteration %" PetscInt_FMT "; checkpoint written to %s\n", outer->it, outer->ckfile));
  }
  outer->resumed = PETSC_FALSE;
  outer->lambda  = NULL;
  PetscCall(HGOuterLockRelease(outer));
  PetscFunctionReturn(0);
}

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
