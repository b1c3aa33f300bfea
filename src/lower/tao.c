/*MC
   HGLOWERTAO - solves the lower-level problem min_w l(w, lambda) with any TAO solver to a
   tolerance (AID does not care how w was found).  The Hessian is a MatShell applying the
   problem's Hessian-vector product, so Newton-type TAO solvers (nls, ntr) work matrix-free.

   Options: -lower_tao_type <lmvm> and every -lower_tao_* option; -lower_atol/-lower_rtol map
   to TAO's gatol/grtol and -lower_max_it to its iteration cap.
M*/
#include <hypergrad/hgimpl.h>

typedef struct {
  HGLower lower;
  Vec     lambda, w; /* borrowed during a solve */
} TaoCtx;

typedef struct {
  Tao    tao;
  Mat    H;
  TaoCtx ctx;
  Vec    work;
} HGLower_Tao;

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
  lower->step_used     = 0;
  lower->momentum_used = 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerSolve_Tao(HGLower lower, Vec lambda, Vec w)
{
  HGLower_Tao       *lt = (HGLower_Tao *)lower->data;
  TaoConvergedReason treason;
  PetscInt           its;
  PetscReal          rnorm;

  PetscFunctionBegin;
  lt->ctx.lambda = lambda;
  lt->ctx.w      = w;
  PetscCall(TaoSetTolerances(lt->tao, lower->atol > 0 ? lower->atol : 1e-8, lower->rtol > 0 ? lower->rtol : 0.0, 0.0));
  PetscCall(TaoSetMaximumIterations(lt->tao, lower->max_it));
  PetscCall(TaoSetSolution(lt->tao, w));
  PetscCall(TaoSolve(lt->tao));
  PetscCall(TaoGetConvergedReason(lt->tao, &treason));
  PetscCall(TaoGetIterationNumber(lt->tao, &its));
  PetscCall(HGProblemLowerResidualNorm(lower->problem, w, lambda, lt->work, &rnorm));
  lower->its   = its;
  lower->rnorm = rnorm;
  if (PetscIsInfOrNanReal(rnorm)) lower->reason = HG_LOWER_DIVERGED_NANORINF;
  else lower->reason = treason > 0 ? HG_LOWER_CONVERGED_TAO : HG_LOWER_DIVERGED_TAO;
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
  PetscCall(TaoSetFromOptions(lt->tao));
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
