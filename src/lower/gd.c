/*
   The stationary lower-level iterations that ITD differentiates:

     gd:        w_{i+1} = Phi(w_i)                              (Phi = w - alpha grad_w l)
     heavyball: w_{i+1} = Phi(w_i) + beta (w_i - w_{i-1}),   w_{-1} = w_0

   and their reverse passes.  heavyball.c only sets the momentum flag; the iteration is here.
*/
#include <hypergrad/hgimpl.h>

typedef struct {
  PetscBool heavyball;
  Vec       d, wprev, tmp, tmp2, hw;
} HGLower_Stationary;

/*MC
   HGLOWERGD - the fixed-point iteration w <- Phi(w, lambda); for optimization-form problems
   gradient descent with step alpha (default 2/(L+mu), the optimal contraction (kappa-1)/(kappa+1)).

   Options: -lower_max_it t, -lower_step alpha, -lower_rtol, -lower_atol, -lower_dtol
M*/

/* Phi(w) - w = coef * d, with d = grad_w l(w) and coef = -alpha (optimization form) or
   d = Phi(w) - w and coef = 1; rnorm = ||d||.  Unscaled, so the step applies coef in its AXPY. */
static PetscErrorCode Direction(HGLower lower, Vec w, Vec lambda, Vec d, PetscReal *rnorm, PetscReal *coef)
{
  HGProblem prob = lower->problem;

  PetscFunctionBegin;
  *coef = 1.0;
  if (prob->form == HG_FORM_OPTIMIZATION) {
    PetscCall(HGProblemComputeLowerGradient(prob, w, lambda, d));
    PetscCall(VecNorm(d, NORM_2, rnorm));
    *coef = -lower->step_used;
  } else {
    PetscCall(HGProblemComputeMap(prob, w, lambda, d));
    PetscCall(VecAXPY(d, -1.0, w));
    PetscCall(VecNorm(d, NORM_2, rnorm));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerSetUp_Stationary(HGLower lower)
{
  HGLower_Stationary *s = (HGLower_Stationary *)lower->data;

  PetscFunctionBegin;
  PetscCall(HGLowerResolveStep(lower, s->heavyball));
  if (!s->d) {
    PetscCall(VecDuplicate(lower->problem->wtemplate, &s->d));
    PetscCall(VecDuplicate(lower->problem->wtemplate, &s->tmp));
    PetscCall(VecDuplicate(lower->problem->wtemplate, &s->tmp2));
    PetscCall(VecDuplicate(lower->problem->wtemplate, &s->wprev));
    PetscCall(VecDuplicate(lower->problem->ltemplate, &s->hw));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerSolve_Stationary(HGLower lower, Vec lambda, Vec w)
{
  HGLower_Stationary *s    = (HGLower_Stationary *)lower->data;
  PetscReal           beta = s->heavyball ? lower->momentum_used : 0.0, rnorm, coef;
  PetscBool           done;
  Vec                 cur;

  PetscFunctionBegin;
  if (lower->store) {
    PetscCall(HGLowerEnsureTrajectory(lower, lower->max_it + 1));
    PetscCall(VecCopy(w, lower->traj[0]));
    cur = lower->traj[0];
  } else cur = w;
  if (beta != 0.0) PetscCall(VecCopy(cur, s->wprev));
  for (lower->its = 0;; lower->its++) {
    PetscCall(Direction(lower, cur, lambda, s->d, &rnorm, &coef));
    PetscCall(HGLowerCheckConvergence(lower, rnorm, &done));
    if (done) break;
    if (lower->store) {
      Vec next = lower->traj[lower->its + 1];
      PetscCall(VecWAXPY(next, coef, s->d, cur));
      if (beta != 0.0 && lower->its > 0) PetscCall(VecAXPBYPCZ(next, beta, -beta, 1.0, cur, lower->traj[lower->its - 1]));
      cur = next;
    } else {
      if (beta != 0.0) {
        PetscCall(VecAXPBYPCZ(s->d, beta, -beta, coef, cur, s->wprev));
        PetscCall(VecCopy(cur, s->wprev));
        PetscCall(VecAXPY(cur, 1.0, s->d));
      } else PetscCall(VecAXPY(cur, coef, s->d));
    }
  }
  if (lower->store) PetscCall(VecCopy(cur, w));
  PetscFunctionReturn(0);
}

/*
   Reverse pass.  With J_i = d_w Phi(w_i) and B_i = d_lambda Phi(w_i) (J_i, B_i at w_t when frozen):
     p_t = seed, p_{t+1} = 0
     h  += B_i^T p_{i+1}
     p_i = (J_i^T + beta I) p_{i+1} - beta p_{i+2}
   for i = t-1 down to t-k.  Frozen, the B_i are equal, so h += B_t^T (sum p) in one product.
   v = s * sum p, with s = alpha in the optimization form, solves the adjoint system of AID.
*/
static PetscErrorCode HGLowerAdjoint_Stationary(HGLower lower, Vec lambda, Vec wt, PetscInt k, PetscBool frozen, Vec p, Vec h, Vec v)
{
  HGLower_Stationary *s     = (HGLower_Stationary *)lower->data;
  HGProblem           prob  = lower->problem;
  PetscReal           alpha = lower->step_used, beta = s->heavyball ? lower->momentum_used : 0.0;
  PetscInt            t     = lower->its;
  Vec                 pc = p, pn = s->tmp, pp = s->tmp2, vacc = v ? v : s->d, swap;

  PetscFunctionBegin;
  k = PetscMin(k, t);
  if (!frozen) PetscCheck(lower->ntraj > t, PetscObjectComm((PetscObject)lower), PETSC_ERR_ORDER, "The stored trajectory has %" PetscInt_FMT " iterates, the reverse pass needs %" PetscInt_FMT, lower->ntraj, t + 1);
  PetscCall(VecSet(vacc, 0.0));
  if (beta != 0.0) PetscCall(VecSet(pp, 0.0));
  for (PetscInt j = 0; j < k; j++) {
    Vec wi = frozen ? wt : lower->traj[t - 1 - j];

    if (!frozen) {
      PetscCall(HGProblemApplyMapParamJacobianTranspose(prob, alpha, wi, lambda, pc, s->hw));
      PetscCall(VecAXPY(h, 1.0, s->hw));
    }
    PetscCall(VecAXPY(vacc, 1.0, pc));
    if (j == k - 1) break;
    PetscCall(HGProblemApplyMapJacobianTranspose(prob, alpha, wi, lambda, pc, pn));
    if (beta != 0.0) {
      PetscCall(VecAXPBYPCZ(pn, beta, -beta, 1.0, pc, pp));
      swap = pp, pp = pc, pc = pn, pn = swap;
    } else swap = pc, pc = pn, pn = swap;
  }
  if (prob->form == HG_FORM_OPTIMIZATION) PetscCall(VecScale(vacc, alpha));
  if (frozen && k > 0) PetscCall(HGProblemAdjointAddParamTerm(prob, wt, lambda, vacc, s->hw, h));
  if (pc != p) PetscCall(VecCopy(pc, p));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerDestroy_Stationary(HGLower lower)
{
  HGLower_Stationary *s = (HGLower_Stationary *)lower->data;

  PetscFunctionBegin;
  PetscCall(VecDestroy(&s->d));
  PetscCall(VecDestroy(&s->tmp));
  PetscCall(VecDestroy(&s->tmp2));
  PetscCall(VecDestroy(&s->wprev));
  PetscCall(VecDestroy(&s->hw));
  PetscCall(PetscFree(lower->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGLowerCreate_Stationary(HGLower lower, PetscBool heavyball)
{
  HGLower_Stationary *s;

  PetscFunctionBegin;
  PetscCall(PetscNew(&s));
  s->heavyball        = heavyball;
  lower->data         = s;
  lower->ops->setup   = HGLowerSetUp_Stationary;
  lower->ops->solve   = HGLowerSolve_Stationary;
  lower->ops->adjoint = HGLowerAdjoint_Stationary;
  lower->ops->destroy = HGLowerDestroy_Stationary;
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGLowerCreate_GD(HGLower lower)
{
  PetscFunctionBegin;
  PetscCall(HGLowerCreate_Stationary(lower, PETSC_FALSE));
  PetscFunctionReturn(0);
}
