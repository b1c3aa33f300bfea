/* HG: the hypergradient object.  The methods live in src/hg/; this file only dispatches. */
#include <hypergrad/hgimpl.h>

PETSC_INTERN PetscErrorCode HGCreate_ITD(HG);
PETSC_INTERN PetscErrorCode HGCreate_AID(HG);
PETSC_INTERN PetscErrorCode HGCreate_IAD(HG);
PETSC_INTERN PetscErrorCode HGCreate_Multi(HG);

PetscErrorCode HGRegisterAll(void)
{
  static PetscBool registered = PETSC_FALSE;

  PetscFunctionBegin;
  if (registered) PetscFunctionReturn(0);
  registered = PETSC_TRUE;
  PetscCall(PetscFunctionListAdd(&HGList, HGITD, HGCreate_ITD));
  PetscCall(PetscFunctionListAdd(&HGList, HGAID, HGCreate_AID));
  PetscCall(PetscFunctionListAdd(&HGList, HGIAD, HGCreate_IAD));
  PetscCall(PetscFunctionListAdd(&HGList, HGMULTI, HGCreate_Multi));
  PetscFunctionReturn(0);
}

/*@C
  HGRegister - adds a hypergradient method

  Not Collective

  Input Parameters:
+ name - the type name (the value of -hg_type)
- create - the function that fills in the method

  Level: advanced

.seealso: HGSetType()
@*/
PetscErrorCode HGRegister(const char name[], PetscErrorCode (*create)(HG))
{
  PetscFunctionBegin;
  PetscCall(HGInitializePackage());
  PetscCall(PetscFunctionListAdd(&HGList, name, create));
  PetscFunctionReturn(0);
}

/*@
  HGCreate - creates a hypergradient object (default type aid, lower solver gd)

  Collective

  Input Parameter:
. comm - the communicator

  Output Parameter:
. hg - the new object

  Level: beginner

.seealso: HGSetProblem(), HGSetFromOptions(), HGComputeHypergradient(), HGDestroy()
@*/
PetscErrorCode HGCreate(MPI_Comm comm, HG *hg)
{
  HG h;

  PetscFunctionBegin;
  PetscAssertPointer(hg, 2);
  PetscCall(HGInitializePackage());
  PetscCall(PetscHeaderCreate(h, HG_CLASSID, "HG", "Hypergradient", "HG", comm, HGDestroy, HGView));
  PetscCall(HGLowerCreate(comm, &h->lower));
  PetscCall(PetscObjectIncrementTabLevel((PetscObject)h->lower, (PetscObject)h, 1));
  h->k         = PETSC_DEFAULT;
  h->test_h    = 1e-6;
  h->bound     = PETSC_TRUE;
  h->bound_its = 30;
  h->bound_h   = 1e-6;
  h->errorifnotconverged = PETSC_TRUE; /* a failed hypergradient is an error unless asked otherwise, so that it cannot pass unseen */
  h->bound_reuse = PETSC_TRUE; /* estimates are reused at the lambda where they were made (re-evaluations there), never at another */
  *hg       = h;
  PetscFunctionReturn(0);
}

/*@C
  HGSetType - chooses the hypergradient method

  Collective

  Input Parameters:
+ hg - the hypergradient object
- type - HGAID, HGITD or HGIAD

  Options Database Key:
. -hg_type <aid,itd,iad> - implicit differentiation with a KSP, iterative differentiation, inexact AD

  Level: beginner

.seealso: HGSetFromOptions()
@*/
PetscErrorCode HGSetType(HG hg, HGType type)
{
  PetscErrorCode (*create)(HG);
  PetscBool same;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(hg, HG_CLASSID, 1);
  PetscCall(PetscObjectTypeCompare((PetscObject)hg, type, &same));
  if (same) PetscFunctionReturn(0);
  PetscCall(PetscFunctionListFind(HGList, type, &create));
  PetscCheck(create, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown hypergradient method \"%s\": choose aid, itd or iad", type);
  PetscTryTypeMethod(hg, destroy);
  PetscCall(PetscMemzero(hg->ops, sizeof(struct _HGOps)));
  hg->data        = NULL;
  hg->setupcalled = PETSC_FALSE;
  hg->nolower     = PETSC_FALSE;
  PetscCall(PetscObjectChangeTypeName((PetscObject)hg, type));
  PetscCall((*create)(hg));
  PetscFunctionReturn(0);
}

/*@
  HGGetType - the hypergradient method

  Not Collective

  Input Parameter:
. hg - the hypergradient object

  Output Parameter:
. type - its type name

  Level: beginner

.seealso: HGSetType()
@*/
PetscErrorCode HGGetType(HG hg, HGType *type)
{
  PetscFunctionBegin;
  *type = ((PetscObject)hg)->type_name;
  PetscFunctionReturn(0);
}

/*@
  HGSetProblem - the bilevel problem whose hypergradient is computed

  Collective

  Input Parameters:
+ hg - the hypergradient object
- prob - the problem

  Notes:
  The HG keeps a reference; the problem may be destroyed by the caller afterwards.

  Level: beginner

.seealso: HGProblemCreate(), HGGetProblem()
@*/
PetscErrorCode HGSetProblem(HG hg, HGProblem prob)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(hg, HG_CLASSID, 1);
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 2);
  PetscCall(PetscObjectReference((PetscObject)prob));
  PetscCall(HGProblemDestroy(&hg->problem));
  hg->problem     = prob;
  hg->setupcalled = PETSC_FALSE;
  PetscCall(HGLowerSetProblem(hg->lower, prob));
  PetscFunctionReturn(0);
}

/*@
  HGGetProblem - the problem of the HG

  Not Collective

  Input Parameter:
. hg - the hypergradient object

  Output Parameter:
. prob - the problem (not a new reference)

  Level: intermediate

.seealso: HGSetProblem()
@*/
PetscErrorCode HGGetProblem(HG hg, HGProblem *prob)
{
  PetscFunctionBegin;
  *prob = hg->problem;
  PetscFunctionReturn(0);
}

/*@
  HGGetLower - the lower-level solver of the HG (created with it)

  Not Collective

  Input Parameter:
. hg - the hypergradient object

  Output Parameter:
. lower - the solver (not a new reference)

  Level: intermediate

.seealso: HGLowerSetType()
@*/
PetscErrorCode HGGetLower(HG hg, HGLower *lower)
{
  PetscFunctionBegin;
  *lower = hg->lower;
  PetscFunctionReturn(0);
}

/*@
  HGGetKSP - the KSP that solves the adjoint system (type aid only)

  Not Collective

  Input Parameter:
. hg - the hypergradient object

  Output Parameter:
. ksp - the KSP (not a new reference)

  Level: intermediate

.seealso: HGSetType()
@*/
PetscErrorCode HGGetKSP(HG hg, KSP *ksp)
{
  PetscFunctionBegin;
  PetscCheck(hg->ksp, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_WRONGSTATE, "Only -hg_type aid solves the adjoint system with a KSP; call HGSetType(hg, HGAID) first");
  *ksp = hg->ksp;
  PetscFunctionReturn(0);
}

/*@C
  HGSetOptionsPrefix - sets the prefix of the option names of the HG and its lower solver and
  KSP

  Logically Collective

  Input Parameters:
+ hg - the hypergradient object
- prefix - the prefix

  Level: intermediate

.seealso: HGSetFromOptions()
@*/
PetscErrorCode HGSetOptionsPrefix(HG hg, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)hg, prefix));
  PetscCall(HGLowerSetOptionsPrefix(hg->lower, prefix));
  if (hg->ksp) {
    PetscCall(KSPSetOptionsPrefix(hg->ksp, prefix));
    PetscCall(KSPAppendOptionsPrefix(hg->ksp, "hg_"));
  }
  PetscFunctionReturn(0);
}

/*@
  HGSetIterations - t lower-level iterations and k adjoint iterations / reverse steps
  (PETSC_DEFAULT for k: k = t)

  Logically Collective

  Input Parameters:
+ hg - the hypergradient object
. t - lower-level iterations
- k - adjoint iterations or reverse steps, or PETSC_DEFAULT (k = t)

  Options Database Keys:
+ -lower_max_it <t> - t
- -hg_k <k> - k

  Level: beginner

.seealso: HGGetIterations(), HGSetAdjointTolerances()
@*/
PetscErrorCode HGSetIterations(HG hg, PetscInt t, PetscInt k)
{
  PetscFunctionBegin;
  PetscCall(HGLowerSetMaxIterations(hg->lower, t));
  PetscCheck(k == PETSC_DEFAULT || k >= 1, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_OUTOFRANGE, "-hg_k (adjoint iterations k, or the reverse steps of itd) must be >= 1; got %" PetscInt_FMT "%s", k, k == 0 ? ": with no adjoint step the hypergradient is grad_lambda E alone (0 for most problems) and the outer loop goes nowhere" : "");
  hg->k           = k;
  hg->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
  HGGetIterations - t and k

  Not Collective

  Input Parameter:
. hg - the hypergradient object

  Output Parameters:
+ t - lower-level iterations
- k - adjoint iterations or reverse steps

  Level: intermediate

.seealso: HGSetIterations()
@*/
PetscErrorCode HGGetIterations(HG hg, PetscInt *t, PetscInt *k)
{
  PetscFunctionBegin;
  if (t) *t = hg->lower->max_it;
  if (k) *k = hg->k == PETSC_DEFAULT ? hg->lower->max_it : hg->k;
  PetscFunctionReturn(0);
}

/*@
  HGSetFromOptions - reads the hypergradient, lower-level and adjoint-solver options

  Collective

  Input Parameter:
. hg - the hypergradient object

  Options Database Keys:
+ -hg_type <aid>                      - aid, itd or iad
. -hg_k <t>                           - adjoint iterations (aid, iad) or reverse steps kept (itd truncation)
. -hg_error_if_not_converged <true>   - a failed hypergradient is an error (false: HGGetConvergedReason() reports it and h is left unchanged)
. -hg_view_info                       - print residuals, iterations, reason, error bounds and time after each hypergradient
. -hg_bound <true>                    - compute the a-posteriori and a-priori error bounds (HGSetComputeBounds())
. -hg_bound_reuse_estimates <true>    - reuse the estimated constants at the lambda where they were made (a moved lambda is always estimated anew; false: at every hypergradient)
. -hg_bound_estimate_its <30>         - Lanczos steps of each estimated constant
. -hg_bound_fd_h <1e-6>               - relative finite-difference step of the estimates
. -hg_test_hypergradient <ndir>       - compare with central finite differences of f along ndir directions
- -hg_test_hypergradient_h <1e-6>     - the difference step (relative to ||lambda||)
  plus -lower_* (HGLowerSetFromOptions()) and -hg_ksp_* / -hg_pc_* for aid.

  Level: beginner

.seealso: HGLowerSetFromOptions(), HGSetComputeBounds()
@*/
PetscErrorCode HGSetFromOptions(HG hg)
{
  char      type[256];
  PetscBool flg, fk;
  PetscInt  k = hg->k;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(hg, HG_CLASSID, 1);
  PetscObjectOptionsBegin((PetscObject)hg);
  PetscCall(PetscOptionsFList("-hg_type", "Hypergradient method", "HGSetType", HGList, ((PetscObject)hg)->type_name ? ((PetscObject)hg)->type_name : HGAID, type, sizeof(type), &flg));
  if (flg) PetscCall(HGSetType(hg, type));
  else if (!((PetscObject)hg)->type_name) PetscCall(HGSetType(hg, HGAID));
  if (k == PETSC_DEFAULT) PetscCall(HGOptionsIntDefault("-hg_k", "Adjoint iterations k (aid, iad) or reverse steps kept (itd)", "HGSetIterations", "t (-lower_max_it)", &k, &fk));
  else PetscCall(HGOptionsInt("-hg_k", "Adjoint iterations k (aid, iad) or reverse steps kept (itd)", "HGSetIterations", k, &k, &fk));
  PetscCall(PetscOptionsBool("-hg_error_if_not_converged", "A failed hypergradient is an error (false: a negative converged reason, h unchanged)", "HGSetErrorIfNotConverged", hg->errorifnotconverged, &hg->errorifnotconverged, NULL));
  PetscCall(PetscOptionsBool("-hg_view_info", "Print the report of each hypergradient", "HGInfoView", hg->view_info, &hg->view_info, NULL));
  PetscCall(PetscOptionsBool("-hg_bound", "Compute the error bounds of each hypergradient", "HGSetComputeBounds", hg->bound, &hg->bound, NULL));
  PetscCall(PetscOptionsBool("-hg_bound_reuse_estimates", "Reuse the estimated constants of the bounds at the lambda where they were made", "HGSetComputeBounds", hg->bound_reuse, &hg->bound_reuse, NULL));
  PetscCall(HGOptionsInt("-hg_bound_estimate_its", "Lanczos steps of each estimated constant", "HGSetComputeBounds", hg->bound_its, &hg->bound_its, NULL));
  PetscCall(HGOptionsReal("-hg_bound_fd_h", "Relative finite-difference step of the estimated constants", "HGSetComputeBounds", hg->bound_h, &hg->bound_h, NULL));
  hg->test_ndir = 0;
  {
    char nd[64] = "";
    /* given alone (no value) it means 3 directions: read it as a string, which keeps it */
    PetscCall(PetscOptionsString("-hg_test_hypergradient", "Compare with finite differences along this many directions (alone: 3)", "HGTestHypergradient", "off", nd, sizeof(nd), &flg));
    if (flg && nd[0]) PetscCall(PetscOptionsStringToInt(nd, &hg->test_ndir));
    if (flg && hg->test_ndir <= 0) hg->test_ndir = 3;
  }
  PetscCall(HGOptionsReal("-hg_test_hypergradient_h", "Finite-difference step (relative)", "HGTestHypergradient", hg->test_h, &hg->test_h, NULL));
  PetscTryTypeMethod(hg, setfromoptions, PetscOptionsObject);
  PetscOptionsEnd();
  /* the checks after PetscOptionsEnd(): an error inside the block would leak it */
  PetscCheck(hg->bound_its >= 1 && hg->bound_h > 0, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_OUTOFRANGE, "-hg_bound_estimate_its must be >= 1 and -hg_bound_fd_h > 0; got %" PetscInt_FMT " and %g", hg->bound_its, (double)hg->bound_h);
  PetscCheck(hg->test_h > 0, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_OUTOFRANGE, "-hg_test_hypergradient_h must be positive; got %g", (double)hg->test_h);
  if (fk) PetscCall(HGSetIterations(hg, hg->lower->max_it, k));
  PetscCall(HGLowerSetFromOptions(hg->lower));
  hg->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
  HGSetErrorIfNotConverged - whether HGComputeHypergradient() raises an error when the
  hypergradient fails (the lower solver diverged or stopped short of its tolerance, the adjoint
  solve failed, or h is not finite)

  Logically Collective

  Input Parameters:
+ hg  - the hypergradient object
- flg - PETSC_TRUE (the default): an error (PETSC_ERR_NOT_CONVERGED) with a message naming the
        failure; PETSC_FALSE: HGComputeHypergradient() returns 0, the failure is reported by a
        negative HGGetConvergedReason() (and HGGetInfo()), and h is left unchanged

  Options Database Key:
. -hg_error_if_not_converged <true> - error on a failed hypergradient

  Notes:
  Unlike KSPSetErrorIfNotConverged(), the default is an error: a program that ignores the
  converged reason cannot mistake a failed hypergradient for a result.  A program that handles
  failures itself (an outer loop that shortens its step, for example) turns the error off and
  tests HGGetConvergedReason() after each call; h then keeps whatever it held before the call.
  HGOuterSolve() does this for the HG it drives (and restores the setting afterwards).

  Level: intermediate

.seealso: HGGetErrorIfNotConverged(), HGComputeHypergradient(), HGGetConvergedReason(), HGGetInfo(), KSPSetErrorIfNotConverged()
@*/
PetscErrorCode HGSetErrorIfNotConverged(HG hg, PetscBool flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(hg, HG_CLASSID, 1);
  PetscValidLogicalCollectiveBool(hg, flg, 2);
  hg->errorifnotconverged = flg;
  PetscFunctionReturn(0);
}

/*@
  HGGetErrorIfNotConverged - whether a failed hypergradient is an error (HGSetErrorIfNotConverged())

  Not Collective

  Input Parameter:
. hg - the hypergradient object

  Output Parameter:
. flg - PETSC_TRUE (the default) when HGComputeHypergradient() errors on a failure

  Level: intermediate

.seealso: HGSetErrorIfNotConverged()
@*/
PetscErrorCode HGGetErrorIfNotConverged(HG hg, PetscBool *flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(hg, HG_CLASSID, 1);
  PetscAssertPointer(flg, 2);
  *flg = hg->errorifnotconverged;
  PetscFunctionReturn(0);
}

/*@
  HGSetComputeBounds - whether each hypergradient also computes bounds on its error
  ||h - grad f(lambda)|| (on by default), reported in HGInfo (bound_aposteriori, bound_apriori,
  lower_error_bound, bound_estimated) and by HGInfoView()

  Logically Collective

  Input Parameters:
+ hg - the hypergradient object
- flg - PETSC_TRUE to compute them

  Options Database Keys:
+ -hg_bound <true>                - compute the bounds
. -hg_bound_reuse_estimates <true> - reuse estimated constants at the lambda (bitwise) where they were made; every other lambda is estimated anew
. -hg_bound_estimate_its <30>     - Lanczos steps per estimated constant
- -hg_bound_fd_h <1e-6>           - relative finite-difference step of the estimates

  Notes:
  The a-posteriori bound D + eta_l e + B dv + L_B e V, with e = G/mu and dv, V from the adjoint
  residual R (see src/hg/bound.c for the derivation), holds for aid, itd and iad and any lower
  solver.  The a-priori bound is Grazzi et al.'s Theorem 2.1 (itd, k = t), 2.4 (AID-FP with
  the lower
  step, iad) or 2.2 (AID-CG, AID-FP with another step), for gd lower iterations only.  With all
  constants from the problem (HGProblemSetLowerConstants(), HGProblemSetBoundConstants()) a bound
  costs a few vector norms (and two products for itd); each constant the problem does not give is
  estimated by Lanczos on finite differences (about 30 to 120 callback evaluations) at (w_t, lambda),
  and a bound built from estimates is itself an estimate (HGInfo.bound_estimated is then nonzero
  and HGInfoView() says "estimate").  Estimates are never carried to another lambda: constants
  such as B and L_B may grow with lambda, and a bound built from those of another lambda can fall
  below the true error.  Constants that change with lambda can be given per lambda
  (HGProblemSetLowerConstantsFunction(), HGProblemSetBoundConstantsFunction()): with all of them
  given the bound is rigorous at every lambda and costs a few norms.

  Level: intermediate

.seealso: HGProblemSetBoundConstants(), HGProblemSetBoundConstantsFunction(), HGInfoView(), HGGetInfo()
@*/
PetscErrorCode HGSetComputeBounds(HG hg, PetscBool flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(hg, HG_CLASSID, 1);
  hg->bound = flg;
  PetscFunctionReturn(0);
}

/*@
  HGSetUp - sets up the problem, the lower-level solver and the method

  Collective

  Input Parameter:
. hg - the hypergradient object

  Level: intermediate

.seealso: HGComputeHypergradient()
@*/
PetscErrorCode HGSetUp(HG hg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(hg, HG_CLASSID, 1);
  if (hg->setupcalled) PetscFunctionReturn(0);
  PetscCheck(hg->problem, PetscObjectComm((PetscObject)hg), PETSC_ERR_ORDER, "Call HGSetProblem() before computing hypergradients");
  if (!((PetscObject)hg)->type_name) PetscCall(HGSetType(hg, HGAID));
  PetscCall(HGProblemSetUp(hg->problem));
  if (!hg->nolower) PetscCall(HGLowerSetUp(hg->lower));
  if (!hg->w) {
    PetscCall(VecDuplicate(hg->problem->wtemplate, &hg->w));
    PetscCall(VecDuplicate(hg->problem->wtemplate, &hg->v));
    PetscCall(VecDuplicate(hg->problem->ltemplate, &hg->hwork));
    PetscCall(VecDuplicate(hg->problem->ltemplate, &hg->hnew));
  }
  if (!hg->rhs && !hg->nolower) {
    PetscCall(VecDuplicate(hg->problem->wtemplate, &hg->rhs));
    PetscCall(VecDuplicate(hg->problem->wtemplate, &hg->work));
  }
  PetscTryTypeMethod(hg, setup);
  hg->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*@
  HGSetLowerInitialGuess - the next hypergradient starts the lower solve from w (copied)
  instead of 0

  Collective

  Input Parameters:
+ hg - the hypergradient object
- w - the initial guess, in the space of w (copied)

  Level: intermediate

.seealso: HGSetAdjointInitialGuess(), HGOuterSetWarmStart()
@*/
PetscErrorCode HGSetLowerInitialGuess(HG hg, Vec w)
{
  PetscFunctionBegin;
  PetscCall(HGSetUp(hg));
  PetscCall(HGProblemCheckVec(hg->problem, w, PETSC_FALSE, "initial w"));
  PetscCall(VecCopy(w, hg->w));
  hg->w0_given = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*@
  HGSetAdjointInitialGuess - the next aid hypergradient starts the adjoint solve from v (copied)

  Collective

  Input Parameters:
+ hg - the hypergradient object
- v - the initial guess, in the space of w (copied)

  Level: intermediate

.seealso: HGSetLowerInitialGuess()
@*/
PetscErrorCode HGSetAdjointInitialGuess(HG hg, Vec v)
{
  PetscFunctionBegin;
  PetscCall(HGSetUp(hg));
  PetscCall(HGProblemCheckVec(hg->problem, v, PETSC_FALSE, "initial v"));
  PetscCall(VecCopy(v, hg->v));
  hg->v0_given = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* Runs the lower solver from w0 (given or 0) and records its report */
PetscErrorCode HGRunLower(HG hg, Vec lambda, PetscBool store)
{
  PetscLogDouble t0, t1;

  PetscFunctionBegin;
  if (!hg->w0_given) PetscCall(VecSet(hg->w, 0.0));
  hg->w0_given = PETSC_FALSE;
  PetscCall(HGLowerSetStoreTrajectory(hg->lower, store));
  PetscCall(PetscTime(&t0));
  PetscCall(HGLowerSolve(hg->lower, lambda, hg->w));
  PetscCall(PetscTime(&t1));
  hg->info.time_lower     = t1 - t0;
  hg->info.lower_its      = hg->lower->its;
  hg->info.lower_residual = hg->lower->rnorm;
  hg->info.lower_reason   = hg->lower->reason;
  if (hg->lower->reason < 0) hg->info.reason = HG_DIVERGED_LOWER;
  PetscFunctionReturn(0);
}

/* ||A v - grad_w E(w_t)||, with the adjoint operator A at (w_t, lambda) */
PetscErrorCode HGAdjointResidualNorm(HG hg, Vec lambda, Vec v, PetscReal *r)
{
  PetscFunctionBegin;
  PetscCall(HGProblemAdjointMult(hg->problem, hg->w, lambda, v, hg->work));
  PetscCall(VecAXPY(hg->work, -1.0, hg->rhs));
  PetscCall(VecNorm(hg->work, NORM_2, r));
  PetscFunctionReturn(0);
}

/*@
  HGComputeHypergradient - approximates grad f(lambda) with the chosen method; afterwards
  HGGetInfo() gives the residuals, iterations, reasons, error bounds and times

  Collective

  Input Parameter:
. lambda - the hyperparameters

  Output Parameter:
. h - the hypergradient (same layout as lambda)

  Notes:
  A failed hypergradient (negative HGGetConvergedReason(): the lower solver diverged or stopped
  short of a tolerance it was given, the adjoint solve failed, or h is not finite) is an error
  by default, PETSC_ERR_NOT_CONVERGED with a message saying what failed and what to change.
  With HGSetErrorIfNotConverged(hg, PETSC_FALSE) (-hg_error_if_not_converged 0) the call returns
  0 instead, the reason tells the failure and h is left unchanged: it is written only when the
  hypergradient converged.

  Level: beginner

.seealso: HGSetErrorIfNotConverged(), HGGetConvergedReason(), HGGetInfo(), HGInfoView(), HGSetIterations()
@*/
PetscErrorCode HGComputeHypergradient(HG hg, Vec lambda, Vec h)
{
  PetscLogDouble t0, t1;
  PetscReal      nrm;
  MPI_Comm       comm = PetscObjectComm((PetscObject)hg);
  const char    *off  = "; HGSetErrorIfNotConverged(hg, PETSC_FALSE) or -hg_error_if_not_converged 0 reports it as the converged reason instead, leaving h unchanged";

  PetscFunctionBegin;
  PetscValidHeaderSpecific(hg, HG_CLASSID, 1);
  PetscCall(HGSetUp(hg));
  PetscCall(HGProblemCheckVec(hg->problem, lambda, PETSC_TRUE, "lambda"));
  PetscCall(HGProblemCheckVec(hg->problem, h, PETSC_TRUE, "h"));
  PetscCheck(lambda != h, comm, PETSC_ERR_ARG_IDN, "lambda and h must be different vectors");
  PetscCall(VecNorm(lambda, NORM_2, &nrm));
  PetscCheck(!PetscIsInfOrNanReal(nrm), comm, PETSC_ERR_FP, "The hyperparameters lambda contain NaN or Inf: check the initial value and the outer step size");
  PetscCall(PetscMemzero(&hg->info, sizeof(HGInfo)));
  hg->info.ksp_reason = KSP_CONVERGED_ITERATING;
  PetscCall(PetscTime(&t0));
  PetscCall(PetscLogEventBegin(HG_Compute, hg, lambda, h, 0));
  PetscUseTypeMethod(hg, compute, lambda, hg->hnew);
  PetscCall(PetscLogEventEnd(HG_Compute, hg, lambda, h, 0));
  if (hg->info.reason == HG_ITERATING) {
    PetscCall(VecNorm(hg->hnew, NORM_2, &nrm));
    hg->info.reason = PetscIsInfOrNanReal(nrm) ? HG_DIVERGED_NANORINF : HG_CONVERGED;
  }
  PetscCall(HGProblemGetApproximateProducts(hg->problem, &hg->info.approximate_products));
  if (hg->problem->fd_mapjac && hg->ksp) { /* cgne and lsqr multiply by d_w Phi: differences of Phi */
    PetscBool fwd;
    PetscCall(PetscObjectTypeCompareAny((PetscObject)hg->ksp, &fwd, KSPCGNE, KSPLSQR, ""));
    if (fwd) hg->info.approximate_products = PETSC_TRUE;
  }
  if (hg->ops->computebounds) PetscUseTypeMethod(hg, computebounds, lambda, hg->hnew);
  else PetscCall(HGComputeBounds(hg, lambda, hg->hnew));
  if (hg->info.reason != HG_DIVERGED_LOWER) PetscCall(HGProblemComputeUpperObjective(hg->problem, hg->w, lambda, &hg->info.upper_objective));
  else hg->info.upper_objective = (PetscReal)NAN; /* w_t is not a lower solution: no value of f */
  if (hg->info.reason > 0) PetscCall(VecCopy(hg->hnew, h));
  PetscCall(PetscTime(&t1));
  hg->info.time_total = t1 - t0;
  if (hg->view_info) PetscCall(HGInfoView(hg, NULL));
  if (hg->errorifnotconverged && hg->info.reason < 0) {
    if (hg->info.reason == HG_DIVERGED_LOWER && hg->lower->badconstants) SETERRQ(comm, PETSC_ERR_NOT_CONVERGED, "Hypergradient failed: the problem's lower-level constants at this lambda are unusable (L = %g, mu = %g; need 0 <= mu <= L, L > 0, finite), so the default step 2/(L+mu) is too: check lambda for NaN/Inf or huge values (an outer step too large?), or give -lower_step%s", (double)hg->lower->bad_L, (double)hg->lower->bad_mu, off);
    if (hg->info.reason == HG_DIVERGED_LOWER) SETERRQ(comm, PETSC_ERR_NOT_CONVERGED, "Hypergradient failed: the lower-level solver stopped with %s after %" PetscInt_FMT " iterations (residual %g). If the map is not a contraction, reduce -lower_step or project lambda onto a set where it is; if it stopped at its cap, raise -lower_max_it%s", HGLowerConvergedReasons[hg->info.lower_reason], hg->info.lower_its, (double)hg->info.lower_residual, off);
    if (hg->info.reason == HG_DIVERGED_ADJOINT) SETERRQ(comm, PETSC_ERR_NOT_CONVERGED, "Hypergradient failed: the adjoint KSP stopped with %s after %" PetscInt_FMT " iterations (residual %g); raise -hg_k if it stopped at its cap, and for a non-symmetric map use -hg_ksp_type gmres%s", KSPConvergedReasons[hg->info.ksp_reason], hg->info.adjoint_its, (double)hg->info.adjoint_residual, off);
    SETERRQ(comm, PETSC_ERR_NOT_CONVERGED, "Hypergradient failed: %s (h has NaN or Inf entries: check the problem's callbacks at this lambda)%s", HGConvergedReasons[hg->info.reason], off);
  }
  if (hg->test_ndir > 0 && hg->info.reason > 0) PetscCall(HGTestHypergradient(hg, lambda, h, hg->test_ndir, hg->test_h, NULL, NULL));
  PetscFunctionReturn(0);
}

/*@
  HGGetLowerSolution - w_t of the last hypergradient

  Not Collective

  Input Parameter:
. hg - the hypergradient object

  Output Parameter:
. w - the lower-level solution (owned by the HG; do not destroy)

  Level: intermediate

.seealso: HGComputeHypergradient()
@*/
PetscErrorCode HGGetLowerSolution(HG hg, Vec *w)
{
  PetscFunctionBegin;
  PetscCheck(hg->w, PetscObjectComm((PetscObject)hg), PETSC_ERR_ORDER, "No lower-level solution yet: call HGComputeHypergradient()");
  *w = hg->w;
  PetscFunctionReturn(0);
}

/*@
  HGGetAdjointSolution - the adjoint v of the last hypergradient (solves A v = grad_w E(w_t))

  Not Collective

  Input Parameter:
. hg - the hypergradient object

  Output Parameter:
. v - the adjoint, in the space of w (owned by the HG)

  Level: intermediate

.seealso: HGComputeHypergradient()
@*/
PetscErrorCode HGGetAdjointSolution(HG hg, Vec *v)
{
  PetscFunctionBegin;
  PetscCheck(hg->v, PetscObjectComm((PetscObject)hg), PETSC_ERR_ORDER, "No adjoint solution yet: call HGComputeHypergradient()");
  *v = hg->v;
  PetscFunctionReturn(0);
}

/*@
  HGGetInfo - the report of the last hypergradient

  Not Collective

  Input Parameter:
. hg - the hypergradient object

  Output Parameter:
. info - residuals, iterations, reasons, E, times, error bounds, approximate_products (see HGInfo in hypergrad.h)

  Level: beginner

.seealso: HGInfoView(), HGComputeHypergradient()
@*/
PetscErrorCode HGGetInfo(HG hg, HGInfo *info)
{
  PetscFunctionBegin;
  *info = hg->info;
  PetscFunctionReturn(0);
}

/*@
  HGGetConvergedReason - why the last hypergradient stopped

  Not Collective

  Input Parameter:
. hg - the hypergradient object

  Output Parameter:
. reason - HG_CONVERGED, or negative on failure

  Level: beginner

.seealso: HGSetErrorIfNotConverged()
@*/
PetscErrorCode HGGetConvergedReason(HG hg, HGConvergedReason *reason)
{
  PetscFunctionBegin;
  *reason = hg->info.reason;
  PetscFunctionReturn(0);
}

/*@
  HGInfoView - prints the report of the last hypergradient: what the a-posteriori error bound
  needs (lower and adjoint residuals), iterations, reasons and times

  Collective

  Input Parameters:
+ hg - the hypergradient object
- viewer - an ASCII viewer, or NULL for stdout

  Options Database Key:
. -hg_view_info - print it after every hypergradient

  Notes:
  Says when the products were taken by central differences and that the bounds are then not
  rigorous.

  Level: beginner

.seealso: HGGetInfo()
@*/
PetscErrorCode HGInfoView(HG hg, PetscViewer viewer)
{
  HGInfo *i = &hg->info;

  PetscFunctionBegin;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)hg), &viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "HG %s: %s  E = %.10e  lower: %" PetscInt_FMT " its, residual %.3e (%s)  adjoint: %" PetscInt_FMT " its, residual %.3e", ((PetscObject)hg)->type_name, HGConvergedReasons[i->reason], (double)i->upper_objective, i->lower_its, (double)i->lower_residual,
                                   HGLowerConvergedReasons[i->lower_reason], i->adjoint_its, (double)i->adjoint_residual));
  if (hg->ksp) PetscCall(PetscViewerASCIIPrintf(viewer, " (%s)", KSPConvergedReasons[i->ksp_reason]));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  time %.3e s (lower %.3e, adjoint %.3e)\n", i->time_total, i->time_lower, i->time_adjoint));
  if (i->bound_aposteriori >= 0) {
    static const char *const names[] = {"mu", "L", "eta_w", "eta_l", "L_A", "L_B", "B"};
    char                     est[128] = "";

    for (int b = 0; b < 7; b++)
      if (i->bound_estimated & (1 << b)) {
        PetscCall(PetscStrlcat(est, " ", sizeof(est)));
        PetscCall(PetscStrlcat(est, names[b], sizeof(est)));
      }
    PetscCall(PetscViewerASCIIPrintf(viewer, "  error %s: a posteriori %.3e, a priori ", i->bound_estimated ? "estimate (bounds from estimated constants)" : "bound", (double)i->bound_aposteriori));
    if (i->bound_apriori >= 0) PetscCall(PetscViewerASCIIPrintf(viewer, "%.3e", (double)i->bound_apriori));
    else PetscCall(PetscViewerASCIIPrintf(viewer, "n/a"));
    PetscCall(PetscViewerASCIIPrintf(viewer, "; ||w_t - w*|| <= %.3e; constants %s%s (%.3e s)%s\n", (double)i->lower_error_bound, i->bound_estimated ? "estimated:" : "from the problem", est, i->time_bound, i->approximate_products ? "; NOT rigorous: it does not account for the differencing error of the products" : ""));
  } else if (hg->bound && i->reason > 0) PetscCall(PetscViewerASCIIPrintf(viewer, "  error bound: n/a (no strong convexity / contraction constant known or estimable)\n"));
  if (i->approximate_products) {
    HGProblem p = hg->problem;
    char      what[256] = "";

    if (p->fd_hess) PetscCall(PetscStrlcat(what, " Hessian", sizeof(what)));
    if (p->fd_mixed) PetscCall(PetscStrlcat(what, p->lowerparamgradient ? " mixed (from grad_lambda l)" : " mixed (one difference per hyperparameter)", sizeof(what)));
    if (p->fd_mapjact) PetscCall(PetscStrlcat(what, " d_w Phi^T", sizeof(what)));
    if (p->fd_mapjac) PetscCall(PetscStrlcat(what, " d_w Phi", sizeof(what)));
    if (p->fd_mapparam) PetscCall(PetscStrlcat(what, " d_lambda Phi^T", sizeof(what)));
    PetscCall(PetscViewerASCIIPrintf(viewer, "  approximate products:%s by central differences (step %s, err %g): h carries their error besides the method's\n", what, HGFDTypes[p->fd_type], (double)p->fd_err));
  }
  PetscFunctionReturn(0);
}

/*@
  HGView - prints the method, its lower solver, its KSP and the problem

  Collective

  Input Parameters:
+ hg - the hypergradient object
- viewer - an ASCII viewer, or NULL for stdout

  Level: beginner

.seealso: HGInfoView()
@*/
PetscErrorCode HGView(HG hg, PetscViewer viewer)
{
  PetscBool iascii;
  PetscInt  t, k;

  PetscFunctionBegin;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)hg), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)hg, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(HGGetIterations(hg, &t, &k));
  PetscCall(PetscViewerASCIIPrintf(viewer, "t = %" PetscInt_FMT ", k = %" PetscInt_FMT "\n", t, k));
  if (hg->bound) PetscCall(PetscViewerASCIIPrintf(viewer, "error bounds: on (unknown constants estimated with %" PetscInt_FMT " Lanczos steps%s)\n", hg->bound_its, hg->bound_reuse ? ", at each new lambda" : ", at each hypergradient"));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "error bounds: off\n"));
  PetscTryTypeMethod(hg, view, viewer);
  if (hg->problem) PetscCall(HGProblemView(hg->problem, viewer));
  PetscCall(HGLowerView(hg->lower, viewer));
  if (hg->ksp) PetscCall(KSPView(hg->ksp, viewer));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

/*@
  HGDestroy - destroys the hypergradient object and its lower solver and KSP

  Collective

  Input Parameter:
. hg - the object, set to NULL

  Level: beginner

.seealso: HGCreate()
@*/
PetscErrorCode HGDestroy(HG *hg)
{
  PetscFunctionBegin;
  if (!*hg) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*hg, HG_CLASSID, 1);
  if (--((PetscObject)(*hg))->refct > 0) {
    *hg = NULL;
    PetscFunctionReturn(0);
  }
  PetscTryTypeMethod(*hg, destroy);
  PetscCall(HGBoundDestroy(*hg));
  PetscCall(HGLowerDestroy(&(*hg)->lower));
  PetscCall(HGProblemDestroy(&(*hg)->problem));
  PetscCall(KSPDestroy(&(*hg)->ksp));
  PetscCall(MatDestroy(&(*hg)->A));
  PetscCall(VecDestroy(&(*hg)->w));
  PetscCall(VecDestroy(&(*hg)->v));
  PetscCall(VecDestroy(&(*hg)->rhs));
  PetscCall(VecDestroy(&(*hg)->work));
  PetscCall(VecDestroy(&(*hg)->hwork));
  PetscCall(VecDestroy(&(*hg)->hnew));
  PetscCall(PetscHeaderDestroy(hg));
  PetscFunctionReturn(0);
}

/*@
  HGSetAdjointTolerances - the adjoint KSP of aid stops when its residual is below
  max(rtol * ||rhs||, atol) instead of after exactly k iterations (0, 0: exactly k); other
  methods ignore it

  Logically Collective

  Input Parameters:
+ hg - the hypergradient object
. rtol - relative tolerance
- atol - absolute tolerance

  Options Database Keys:
+ -hg_adjoint_rtol <0> - relative tolerance
- -hg_adjoint_atol <0> - absolute tolerance

.seealso: HGSetIterations(), HGLowerSetTolerances()

  Level: intermediate
@*/
PetscErrorCode HGSetAdjointTolerances(HG hg, PetscReal rtol, PetscReal atol)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(hg, HG_CLASSID, 1);
  PetscCheck(rtol >= 0 && rtol < 1 && atol >= 0, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_OUTOFRANGE, "Adjoint tolerances: rtol must lie in [0,1) and atol be >= 0; got %g and %g", (double)rtol, (double)atol);
  PetscTryMethod(hg, "HGSetAdjointTolerances_C", (HG, PetscReal, PetscReal), (hg, rtol, atol));
  PetscFunctionReturn(0);
}
