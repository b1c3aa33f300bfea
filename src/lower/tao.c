/*MC
   HGLOWERTAO - solves the lower-level problem min_w l(w, lambda) with any TAO solver to a
   tolerance (AID does not care how w was found).  The Hessian is a MatShell applying the
   problem's Hessian-vector product, so Newton-type TAO solvers (nls, ntr) work matrix-free.

   Options Database Keys:
+  -lower_tao_type <lmvm> - any TAO type for unconstrained problems (lmvm, nls, ntr, cg, ...); every -lower_tao_* option applies
.  -lower_atol <atol>     - TAO's gatol: stop when ||grad l|| <= atol
.  -lower_rtol <rtol>     - TAO's gttol: stop when ||grad l|| <= rtol ||grad l(w_0)||
-  -lower_max_it <100>    - TAO's iteration cap

   Notes:
   The residual is ||grad_w l(w, lambda)||, as for -lower_type gd, so the tolerances mean the
   same for every lower-level solver.  Without -lower_atol and -lower_rtol the solve stops
   when TAO reduces the gradient norm by 1e-8 (TAO's gttol) or after -lower_max_it
   iterations, and both count as converged, as -lower_max_it iterations of gd do; with a
   tolerance, reaching the cap is HG_LOWER_DIVERGED_MAXIT.  The TAO tolerance options
   -lower_tao_gatol, -lower_tao_grtol, -lower_tao_gttol and -lower_tao_max_it are refused:
   use -lower_atol, -lower_rtol and -lower_max_it.

   The Hessian is a MatShell, which no factorization preconditioner accepts, so the KSP of
   the Newton-Krylov solvers (nls, ntr, ntl and their bound-constrained b* forms) gets the
   limited-memory quasi-Newton preconditioner PCLMVM, which TAO updates at every iterate, and
   every other TAO type with a KSP gets PCNONE, unless -lower_tao_<type>_pc_type chooses one.

   Level: intermediate

.seealso: HGLowerSetType(), HGLowerGetTao(), HGLowerSetTolerances()
M*/
#include <hypergrad/hgimpl.h>

typedef struct {
  HGLower lower;
  Vec     lambda, w; /* borrowed during a solve */
} TaoCtx;

typedef struct {
  Tao    tao; /* first member: HGLowerGetTao() */
  Mat    H;
  TaoCtx ctx;
  Vec    work;
} HGLower_Tao;

/* TAO's gttol when the user gives neither -lower_atol nor -lower_rtol */
#define HG_TAO_DEFAULT_GTTOL 1e-8

/* A preconditioner that works with the Hessian MatShell, unless the user chose one:
   PETSc's default (ILU on one rank, block Jacobi on several) needs the matrix entries */
static PetscErrorCode HGLowerTaoDefaultPC(HGLower lower)
{
  HGLower_Tao *lt = (HGLower_Tao *)lower->data;
  KSP          ksp;
  PC           pc;
  const char  *prefix;
  PetscBool    set, newton = PETSC_FALSE, replace;
  PCType       pctype;

  PetscFunctionBegin;
  PetscCall(TaoGetKSP(lt->tao, &ksp));
  if (!ksp) PetscFunctionReturn(0);
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCGetOptionsPrefix(pc, &prefix));
  PetscCall(PetscOptionsHasName(((PetscObject)pc)->options, prefix, "-pc_type", &set));
  if (set) PetscFunctionReturn(0);
  PetscCall(PCGetType(pc, &pctype));
  replace = pctype ? PETSC_FALSE : PETSC_TRUE;
  if (pctype) PetscCall(PetscObjectTypeCompareAny((PetscObject)pc, &replace, PCILU, PCBJACOBI, PCICC, ""));
  if (!replace) PetscFunctionReturn(0); /* chosen through the API */
  PetscCall(PetscObjectTypeCompareAny((PetscObject)lt->tao, &newton, TAONLS, TAONTR, TAONTL, TAOBNLS, TAOBNTR, TAOBNTL, ""));
  PetscCall(PCSetType(pc, newton ? PCLMVM : PCNONE));
  PetscFunctionReturn(0);
}

static PetscErrorCode FormObjectiveGradient(Tao tao, Vec w, PetscReal *f, Vec g, void *vctx)
{
  TaoCtx *ctx = (TaoCtx *)vctx;

  PetscFunctionBegin;
  PetscCall(HGProblemComputeLowerObjective(ctx->lower->problem, w, ctx->lambda, f));
  PetscCall(HGProblemComputeLowerGradient(ctx->lower->problem, w, ctx->lambda, g));
  PetscFunctionReturn(0);
}

static PetscErrorCode FormHessian(Tao tao, Vec w, Mat H, Mat Hpre, void *vctx)
{
  TaoCtx *ctx = (TaoCtx *)vctx;

  PetscFunctionBegin;
  ctx->w = w;
  PetscFunctionReturn(0);
}

static PetscErrorCode HessianMult(Mat H, Vec x, Vec y)
{
  TaoCtx *ctx;

  PetscFunctionBegin;
  PetscCall(MatShellGetContext(H, &ctx));
  PetscCall(HGProblemComputeLowerHessianMult(ctx->lower->problem, ctx->w, ctx->lambda, x, y));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerSetUp_Tao(HGLower lower)
{
  HGLower_Tao *lt   = (HGLower_Tao *)lower->data;
  HGProblem    prob = lower->problem;
  PetscInt     n, N;

  PetscFunctionBegin;
  PetscCheck(prob->form == HG_FORM_OPTIMIZATION, PetscObjectComm((PetscObject)lower), PETSC_ERR_SUP, "-lower_type tao needs an optimization-form problem (a lower objective and gradient); iterate a fixed-point map with -lower_type gd");
  PetscCheck(prob->lowerobjective, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_WRONGSTATE, "-lower_type tao needs the lower-level objective: call HGProblemSetLowerObjective()");
  lt->ctx.lower = lower;
  if (!lt->H) {
    PetscCall(VecGetLocalSize(prob->wtemplate, &n));
    PetscCall(VecGetSize(prob->wtemplate, &N));
    PetscCall(MatCreateShell(PetscObjectComm((PetscObject)lower), n, n, N, N, &lt->ctx, &lt->H));
    PetscCall(MatShellSetOperation(lt->H, MATOP_MULT, (void (*)(void))HessianMult));
    PetscCall(MatSetOption(lt->H, MAT_SYMMETRIC, PETSC_TRUE));
    PetscCall(VecDuplicate(prob->wtemplate, &lt->work));
  }
  PetscCall(TaoSetObjectiveAndGradient(lt->tao, NULL, FormObjectiveGradient, &lt->ctx));
  PetscCall(TaoSetHessian(lt->tao, lt->H, lt->H, FormHessian, &lt->ctx));
  PetscCall(HGLowerTaoDefaultPC(lower));
  lower->step_used     = 0;
  lower->momentum_used = 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerSolve_Tao(HGLower lower, Vec lambda, Vec w)
{
  HGLower_Tao       *lt  = (HGLower_Tao *)lower->data;
  PetscBool          tol = (lower->atol > 0 || lower->rtol > 0) ? PETSC_TRUE : PETSC_FALSE;
  TaoConvergedReason treason;
  PetscInt           its;
  PetscReal          rnorm, r0;

  PetscFunctionBegin;
  lt->ctx.lambda = lambda;
  lt->ctx.w      = w;
  /* the residual of every lower solver is ||grad l||: atol is TAO's gatol, rtol its gttol
     (relative to the initial gradient); TAO's grtol (relative to |l|) has no counterpart */
  PetscCall(TaoSetTolerances(lt->tao, lower->atol, 0.0, tol ? lower->rtol : HG_TAO_DEFAULT_GTTOL));
  PetscCall(TaoSetMaximumIterations(lt->tao, lower->max_it));
  PetscCall(HGProblemLowerResidualNorm(lower->problem, w, lambda, lt->work, &r0));
  lower->rnorm0 = r0;
  PetscCall(TaoSetSolution(lt->tao, w));
  PetscCall(TaoSolve(lt->tao));
  PetscCall(TaoGetConvergedReason(lt->tao, &treason));
  PetscCall(TaoGetIterationNumber(lt->tao, &its));
  PetscCall(HGProblemLowerResidualNorm(lower->problem, w, lambda, lt->work, &rnorm));
  lower->its   = its;
  lower->rnorm = rnorm;
  if (lower->monitor) PetscCall(PetscPrintf(PetscObjectComm((PetscObject)lower), "  %3" PetscInt_FMT " lower residual %14.12e (TAO %s)\n", its, (double)rnorm, TaoConvergedReasons[treason]));
  if (PetscIsInfOrNanReal(rnorm)) lower->reason = HG_LOWER_DIVERGED_NANORINF;
  else if (rnorm > lower->dtol * PetscMax(r0, PETSC_SMALL)) lower->reason = HG_LOWER_DIVERGED_DTOL;
  else if (lower->atol > 0 && rnorm <= lower->atol) lower->reason = HG_LOWER_CONVERGED_ATOL;
  else if (lower->rtol > 0 && rnorm <= lower->rtol * r0) lower->reason = HG_LOWER_CONVERGED_RTOL;
  else if (treason == TAO_DIVERGED_MAXITS) lower->reason = tol ? HG_LOWER_DIVERGED_MAXIT : HG_LOWER_CONVERGED_ITS;
  else if (tol) lower->reason = HG_LOWER_DIVERGED_TAO; /* TAO stopped (or converged by its own test) above the tolerance asked for */
  else lower->reason = treason > 0 ? HG_LOWER_CONVERGED_TAO : HG_LOWER_DIVERGED_TAO;
  if (lower->reason < 0) PetscCall(PetscInfo(lower, "TAO stopped with %s after %" PetscInt_FMT " iterations, ||grad|| = %g\n", TaoConvergedReasons[treason], its, (double)rnorm));
  lt->ctx.lambda = NULL;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerView_Tao(HGLower lower, PetscViewer viewer)
{
  HGLower_Tao *lt = (HGLower_Tao *)lower->data;

  PetscFunctionBegin;
  PetscCall(TaoView(lt->tao, viewer));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerSetFromOptions_Tao(HGLower lower, PetscOptionItems *PetscOptionsObject)
{
  HGLower_Tao *lt = (HGLower_Tao *)lower->data;
  const char  *prefix;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)lower, &prefix));
  PetscCall(TaoSetOptionsPrefix(lt->tao, prefix));
  PetscCall(TaoAppendOptionsPrefix(lt->tao, "lower_"));
  {
    const char *own[][2] = {{"-tao_gatol", "-lower_atol"}, {"-tao_grtol", "-lower_rtol"}, {"-tao_gttol", "-lower_rtol"}, {"-tao_max_it", "-lower_max_it"}};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
      char      opt[64];
      PetscBool set;
      PetscCall(PetscSNPrintf(opt, sizeof(opt), "-%slower_%s", prefix ? prefix : "", own[i][0] + 1));
      PetscCall(PetscOptionsHasName(PetscOptionsObject->options, NULL, opt, &set));
      PetscCheck(!set, PetscObjectComm((PetscObject)lower), PETSC_ERR_ARG_INCOMP, "%s is set by the lower level: use %s (the same tolerance for every -lower_type)", opt, own[i][1]);
    }
  }
  PetscCall(TaoSetFromOptions(lt->tao));
  PetscCall(HGLowerTaoDefaultPC(lower));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerDestroy_Tao(HGLower lower)
{
  HGLower_Tao *lt = (HGLower_Tao *)lower->data;

  PetscFunctionBegin;
  PetscCall(TaoDestroy(&lt->tao));
  PetscCall(MatDestroy(&lt->H));
  PetscCall(VecDestroy(&lt->work));
  PetscCall(PetscFree(lower->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGLowerCreate_Tao(HGLower lower)
{
  HGLower_Tao *lt;

  PetscFunctionBegin;
  PetscCall(PetscNew(&lt));
  PetscCall(TaoCreate(PetscObjectComm((PetscObject)lower), &lt->tao));
  PetscCall(PetscObjectIncrementTabLevel((PetscObject)lt->tao, (PetscObject)lower, 1));
  PetscCall(TaoSetType(lt->tao, TAOLMVM));
  lower->data                = lt;
  lower->ops->setup          = HGLowerSetUp_Tao;
  lower->ops->solve          = HGLowerSolve_Tao;
  lower->ops->view           = HGLowerView_Tao;
  lower->ops->setfromoptions = HGLowerSetFromOptions_Tao;
  lower->ops->destroy        = HGLowerDestroy_Tao;
  PetscFunctionReturn(0);
}
