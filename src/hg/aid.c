/*MC
   HGAID - approximate implicit differentiation (Grazzi et al., Algorithm 2): the lower level
   is solved by any HGLower, then the adjoint system A v = grad_w E(w_t) with
   A = Hessian of l (optimization form) or I - d_w Phi^T (fixed-point form), applied as a
   MatShell, is solved by a KSP with prefix -hg_:

     -hg_ksp_type richardson   AID-FP (the scale defaults to the lower step alpha)
     -hg_ksp_type cg           AID-CG (default for symmetric A)
     -hg_ksp_type gmres        non-symmetric maps (default for them); cgne, lsqr need d_w Phi u

   By default the KSP runs k iterations (-hg_k, default t), as in the papers, stopping early
   only if the residual reaches rounding level (10 eps ||r0||); with
   -hg_adjoint_rtol or -hg_adjoint_atol it stops on the residual instead.  Any -hg_pc_type can
   be set (PCSHELL for a user preconditioner).  The initial guess is 0 unless
   HGSetAdjointInitialGuess() was called.
M*/
#include <hypergrad/hgimpl.h>

typedef struct {
  PetscReal rtol, atol, r0;
  Vec       lambda; /* borrowed during a solve */
} HG_AID;

/* Fixed k iterations, as in the papers, but stop once the residual is at rounding level: a
   Krylov method run past that point can only break down */
static PetscErrorCode ConvergedFixedK(KSP ksp, PetscInt it, PetscReal rnorm, KSPConvergedReason *reason, void *ctx)
{
  PetscInt  maxit;
  PetscReal *r0 = (PetscReal *)ctx;

  PetscFunctionBegin;
  PetscCall(KSPGetTolerances(ksp, NULL, NULL, NULL, &maxit));
  *reason = KSP_CONVERGED_ITERATING;
  if (it == 0) *r0 = rnorm;
  if (PetscIsInfOrNanReal(rnorm)) *reason = KSP_DIVERGED_NANORINF;
  else if (it >= maxit) *reason = KSP_CONVERGED_ITS;
  else if (rnorm <= 10 * PETSC_MACHINE_EPSILON * *r0) *reason = KSP_CONVERGED_ATOL;
  PetscFunctionReturn(0);
}

static PetscErrorCode AdjointMult(Mat A, Vec x, Vec y)
{
  HG      hg;
  HG_AID *aid;

  PetscFunctionBegin;
  PetscCall(MatShellGetContext(A, &hg));
  aid = (HG_AID *)hg->data;
  PetscCall(HGProblemAdjointMult(hg->problem, hg->w, aid->lambda, x, y));
  PetscFunctionReturn(0);
}

static PetscErrorCode AdjointMultTranspose(Mat A, Vec x, Vec y)
{
  HG      hg;
  HG_AID *aid;

  PetscFunctionBegin;
  PetscCall(MatShellGetContext(A, &hg));
  aid = (HG_AID *)hg->data;
  PetscCall(HGProblemAdjointMultTranspose(hg->problem, hg->w, aid->lambda, x, y));
  PetscFunctionReturn(0);
}

/* AID-FP's step when the user gave none: the step of gd (so that AID-FP is inexact AD exactly),
   else the optimal 2/(L+mu): heavy ball's step is too long for a momentum-free iteration.  Redone
   before each adjoint solve, since the problem may give L, mu per lambda. */
static PetscErrorCode AutoRichardsonScale(HG hg)
{
  HGProblem prob  = hg->problem;
  PetscReal scale = 0;
  PetscBool isgd;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)hg->lower, HGLOWERGD, &isgd));
  if (isgd) scale = hg->lower->step_used;
  else if (prob->L > 0) scale = prob->mu > 0 ? 2.0 / (prob->L + prob->mu) : 1.0 / prob->L;
  PetscCheck(scale > 0, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_WRONGSTATE, "AID-FP (-hg_ksp_type richardson) on the Hessian needs a step: give -hg_ksp_richardson_scale or the problem's constant L");
  if (scale != hg->richardson_scale) PetscCall(KSPRichardsonSetScale(hg->ksp, scale));
  hg->richardson_scale = scale;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGSetUp_AID(HG hg)
{
  HG_AID   *aid  = (HG_AID *)hg->data;
  HGProblem prob = hg->problem;
  PetscInt  n, N, k;
  KSPType   type;
  PetscBool isrich, scaleset;
  const char *prefix;

  PetscFunctionBegin;
  if (!hg->A) {
    PetscCall(VecGetLocalSize(prob->wtemplate, &n));
    PetscCall(VecGetSize(prob->wtemplate, &N));
    PetscCall(MatCreateShell(PetscObjectComm((PetscObject)hg), n, n, N, N, hg, &hg->A));
    PetscCall(MatShellSetOperation(hg->A, MATOP_MULT, (void (*)(void))AdjointMult));
    PetscCall(MatShellSetOperation(hg->A, MATOP_MULT_TRANSPOSE, (void (*)(void))AdjointMultTranspose));
  }
  PetscCall(MatSetOption(hg->A, MAT_SYMMETRIC, prob->symmetric));
  PetscCall(HGGetIterations(hg, NULL, &k));
  PetscCall(KSPGetType(hg->ksp, &type));
  if (!type) PetscCall(KSPSetType(hg->ksp, prob->symmetric ? KSPCG : KSPGMRES));
  PetscCall(KSPSetTolerances(hg->ksp, aid->rtol, aid->atol, PETSC_DEFAULT, k));
  if (aid->rtol > 0 || aid->atol > 0) {
    void *cctx;
    PetscCall(KSPConvergedDefaultCreate(&cctx));
    PetscCall(KSPSetConvergenceTest(hg->ksp, KSPConvergedDefault, cctx, KSPConvergedDefaultDestroy));
  } else PetscCall(KSPSetConvergenceTest(hg->ksp, ConvergedFixedK, &aid->r0, NULL));
  PetscCall(PetscObjectTypeCompare((PetscObject)hg->ksp, KSPRICHARDSON, &isrich));
  hg->richardson_scale = 0;
  if (isrich) {
    PetscReal s = 1.0;
    PetscCall(KSPGetOptionsPrefix(hg->ksp, &prefix));
    PetscCall(PetscOptionsGetReal(((PetscObject)hg)->options, prefix, "-ksp_richardson_scale", &s, NULL));
    hg->richardson_scale = s;
  }
  if (isrich && prob->form == HG_FORM_OPTIMIZATION) {
    PetscCall(KSPGetOptionsPrefix(hg->ksp, &prefix));
    PetscCall(PetscOptionsHasName(((PetscObject)hg)->options, prefix, "-ksp_richardson_scale", &scaleset));
    hg->richardson_auto = (PetscBool)!scaleset;
    if (!scaleset) PetscCall(AutoRichardsonScale(hg));
  } else hg->richardson_auto = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGCompute_AID(HG hg, Vec lambda, Vec h)
{
  HG_AID            *aid = (HG_AID *)hg->data;
  PetscLogDouble     t0, t1;
  KSPConvergedReason reason;

  PetscFunctionBegin;
  PetscCall(HGRunLower(hg, lambda, PETSC_FALSE));
  if (hg->info.reason < 0) {
    PetscCall(VecSet(h, 0.0));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscTime(&t0));
  PetscCall(PetscLogEventBegin(HG_Adjoint, hg, lambda, h, 0));
  if (hg->richardson_auto) PetscCall(AutoRichardsonScale(hg)); /* the lower step may have changed with lambda */
  aid->lambda = lambda;
  PetscCall(HGProblemComputeUpperGradient(hg->problem, hg->w, lambda, hg->rhs, h));
  PetscCall(KSPSetOperators(hg->ksp, hg->A, hg->A));
  if (hg->v0_given) {
    PetscCall(KSPSetInitialGuessNonzero(hg->ksp, PETSC_TRUE));
    PetscCall(VecNorm(hg->v, NORM_2, &hg->v0norm));
  } else {
    PetscCall(KSPSetInitialGuessNonzero(hg->ksp, PETSC_FALSE));
    PetscCall(VecSet(hg->v, 0.0));
    hg->v0norm = 0;
  }
  /* the error bound may use the Krylov method's eigenvalue estimates when mu or L is unknown.  On
     from the first solve whatever mu and L are now: they depend on lambda (a line search may reach
     a lambda where they are unknown), and switched on after the KSP's set-up, CG and GMRES have no
     storage for the estimates (CG wrote through a null pointer) */
  if (hg->bound && hg->problem->form == HG_FORM_OPTIMIZATION) PetscCall(KSPSetComputeSingularValues(hg->ksp, PETSC_TRUE));
  hg->v0_given = PETSC_FALSE;
  PetscCall(KSPSolve(hg->ksp, hg->rhs, hg->v));
  PetscCall(KSPGetConvergedReason(hg->ksp, &reason));
  PetscCall(KSPGetIterationNumber(hg->ksp, &hg->info.adjoint_its));
  hg->info.ksp_reason = reason;
  PetscCall(HGProblemAdjointAddParamTerm(hg->problem, hg->w, lambda, hg->v, hg->hwork, h));
  PetscCall(PetscLogEventEnd(HG_Adjoint, hg, lambda, h, 0));
  PetscCall(PetscTime(&t1));
  hg->info.time_adjoint = t1 - t0;
  PetscCall(HGAdjointResidualNorm(hg, lambda, hg->v, &hg->info.adjoint_residual));
  aid->lambda = NULL;
  if (reason < 0) hg->info.reason = HG_DIVERGED_ADJOINT;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGSetFromOptions_AID(HG hg, PetscOptionItems *PetscOptionsObject)
{
  HG_AID *aid = (HG_AID *)hg->data;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "AID options");
  PetscCall(HGOptionsReal("-hg_adjoint_rtol", "Stop the adjoint KSP at this relative residual (0: run exactly k iterations)", "", aid->rtol, &aid->rtol, NULL));
  PetscCall(HGOptionsReal("-hg_adjoint_atol", "Stop the adjoint KSP at this absolute residual (0: run exactly k iterations)", "", aid->atol, &aid->atol, NULL));
  PetscCheck(aid->rtol >= 0 && aid->rtol < 1 && aid->atol >= 0, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_OUTOFRANGE, "-hg_adjoint_rtol must lie in [0,1) and -hg_adjoint_atol be >= 0; got %g and %g", (double)aid->rtol, (double)aid->atol);
  PetscOptionsHeadEnd();
  if (hg->problem) {
    KSPType type;
    PetscCall(KSPGetType(hg->ksp, &type));
    if (!type) {
      PetscCall(HGProblemSetUp(hg->problem));
      PetscCall(KSPSetType(hg->ksp, hg->problem->symmetric ? KSPCG : KSPGMRES));
    }
  }
  PetscCall(KSPSetFromOptions(hg->ksp));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGView_AID(HG hg, PetscViewer viewer)
{
  HG_AID *aid = (HG_AID *)hg->data;

  PetscFunctionBegin;
  if (aid->rtol > 0 || aid->atol > 0) PetscCall(PetscViewerASCIIPrintf(viewer, "adjoint tolerances: rtol %g, atol %g\n", (double)aid->rtol, (double)aid->atol));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "adjoint solve: exactly k iterations\n"));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGDestroy_AID(HG hg)
{
  PetscFunctionBegin;
  PetscCall(KSPDestroy(&hg->ksp));
  PetscCall(PetscFree(hg->data));
  PetscCall(PetscObjectComposeFunction((PetscObject)hg, "HGSetAdjointTolerances_C", NULL));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGSetAdjointTolerances_AID(HG hg, PetscReal rtol, PetscReal atol)
{
  HG_AID *aid = (HG_AID *)hg->data;

  PetscFunctionBegin;
  aid->rtol       = rtol;
  aid->atol       = atol;
  hg->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGCreate_AID(HG hg)
{
  HG_AID     *aid;
  PC          pc;
  const char *prefix;

  PetscFunctionBegin;
  PetscCall(PetscNew(&aid));
  hg->data = aid;
  PetscCall(KSPCreate(PetscObjectComm((PetscObject)hg), &hg->ksp));
  PetscCall(PetscObjectIncrementTabLevel((PetscObject)hg->ksp, (PetscObject)hg, 1));
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)hg, &prefix));
  PetscCall(KSPSetOptionsPrefix(hg->ksp, prefix));
  PetscCall(KSPAppendOptionsPrefix(hg->ksp, "hg_"));
  PetscCall(KSPGetPC(hg->ksp, &pc));
  PetscCall(PCSetType(pc, PCNONE));
  hg->ops->setup          = HGSetUp_AID;
  hg->ops->compute        = HGCompute_AID;
  hg->ops->setfromoptions = HGSetFromOptions_AID;
  hg->ops->view           = HGView_AID;
  hg->ops->destroy        = HGDestroy_AID;
  PetscCall(PetscObjectComposeFunction((PetscObject)hg, "HGSetAdjointTolerances_C", HGSetAdjointTolerances_AID));
  PetscFunctionReturn(0);
}
