/* Second-derivative products of a problem that gives first derivatives only: central
   differences of the lower-level gradient (optimization form) or of the map (fixed-point form),
   with the step h chosen as PETSc's MatMFFD chooses it (types wp and ds). */
#include <hypergrad/hgimpl.h>

const char *const HGFDTypes[] = {"wp", "ds", "HGFDType", "HG_FD_", NULL};

/* h for differences at u along a (na = ||a||_2 > 0); wp: err sqrt(1 + ||u||)/||a||, ds:
   err max(|u.a|, umin ||a||_1)/||a||^2.  Central differences do not need the sign of u.a. */
static PetscErrorCode FDStep(HGProblem prob, Vec u, Vec a, PetscReal na, PetscReal *h)
{
  PetscFunctionBegin;
  *h = 0;
  if (prob->fd_type == HG_FD_WP) {
    PetscReal nu;
    PetscCall(VecNorm(u, NORM_2, &nu));
    *h = prob->fd_err * PetscSqrtReal(1.0 + nu) / na;
  } else {
    PetscScalar dot;
    PetscReal   sum;
    PetscCall(VecDotBegin(u, a, &dot));
    PetscCall(VecNormBegin(a, NORM_1, &sum));
    PetscCall(VecDotEnd(u, a, &dot));
    PetscCall(VecNormEnd(a, NORM_1, &sum));
    *h = prob->fd_err * PetscMax(PetscAbsScalar(dot), prob->fd_umin * sum) / (na * na);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode FDWork(HGProblem prob, PetscBool lspace)
{
  PetscFunctionBegin;
  if (!prob->fd_w) {
    PetscCall(VecDuplicate(prob->wtemplate, &prob->fd_w));
    PetscCall(VecDuplicate(prob->wtemplate, &prob->fd_g1));
    PetscCall(VecDuplicate(prob->wtemplate, &prob->fd_g2));
  }
  if (lspace && !prob->fd_l) {
    PetscCall(VecDuplicate(prob->ltemplate, &prob->fd_l));
    PetscCall(VecDuplicate(prob->ltemplate, &prob->fd_l1));
    PetscCall(VecDuplicate(prob->ltemplate, &prob->fd_l2));
  }
  PetscFunctionReturn(0);
}

/* y = (F(w + h x) - F(w - h x)) / 2h for F = grad_w l (space w), grad_lambda l (space lambda)
   or Phi (space w); g1, g2 are work Vecs in the space of F */
typedef enum {
  FD_LOWERGRAD,
  FD_PARAMGRAD,
  FD_MAP
} FDFun;

static PetscErrorCode EvalF(HGProblem prob, FDFun f, Vec w, Vec lambda, Vec out)
{
  PetscFunctionBegin;
  switch (f) {
  case FD_LOWERGRAD:
    PetscCall(HGProblemComputeLowerGradient(prob, w, lambda, out));
    break;
  case FD_PARAMGRAD:
    PetscCall(VecLockReadPush(w));
    PetscCall(VecLockReadPush(lambda));
    PetscCall((*prob->lowerparamgradient)(prob, w, lambda, out, prob->ctx));
    PetscCall(VecLockReadPop(w));
    PetscCall(VecLockReadPop(lambda));
    break;
  case FD_MAP:
    PetscCall(HGProblemComputeMap(prob, w, lambda, out));
    break;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode FDAlongW(HGProblem prob, FDFun f, Vec w, Vec lambda, Vec x, Vec g1, Vec g2, Vec y)
{
  PetscReal nx, h = 0;

  PetscFunctionBegin;
  PetscCall(FDWork(prob, PETSC_FALSE));
  PetscCall(VecNorm(x, NORM_2, &nx));
  if (nx == 0) {
    PetscCall(VecSet(y, 0.0));
    PetscFunctionReturn(0);
  }
  PetscCall(FDStep(prob, w, x, nx, &h));
  PetscCall(VecWAXPY(prob->fd_w, h, x, w));
  PetscCall(EvalF(prob, f, prob->fd_w, lambda, g1));
  PetscCall(VecWAXPY(prob->fd_w, -h, x, w));
  PetscCall(EvalF(prob, f, prob->fd_w, lambda, g2));
  PetscCall(VecWAXPY(y, -1.0, g2, g1));
  PetscCall(VecScale(y, 1.0 / (2 * h)));
  PetscFunctionReturn(0);
}

/* y_j = x . (F(w, lambda + h e_j) - F(w, lambda - h e_j)) / 2h for every hyperparameter j, F = grad_w l
   or Phi: 2 dim(lambda) evaluations of F */
static PetscErrorCode FDAlongLambda(HGProblem prob, FDFun f, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscInt    n, lo, hi;
  PetscReal   nl = 0;
  PetscScalar d1, d2, lj;

  PetscFunctionBegin;
  PetscCall(FDWork(prob, PETSC_TRUE));
  PetscCall(VecGetSize(lambda, &n));
  PetscCall(VecGetOwnershipRange(lambda, &lo, &hi));
  if (prob->fd_type == HG_FD_WP) PetscCall(VecNorm(lambda, NORM_2, &nl));
  PetscCall(VecCopy(lambda, prob->fd_l));
  for (PetscInt j = 0; j < n; j++) {
    PetscReal h;
    /* lambda_j on every rank */
    lj = 0;
    if (j >= lo && j < hi) PetscCall(VecGetValues(lambda, 1, &j, &lj));
    PetscCallMPI(MPIU_Allreduce(MPI_IN_PLACE, &lj, 1, MPIU_SCALAR, MPIU_SUM, PetscObjectComm((PetscObject)lambda)));
    /* the step MatMFFD takes at u = lambda along a = e_j (||a|| = ||a||_1 = 1, u.a = lambda_j) */
    if (prob->fd_type == HG_FD_WP) h = prob->fd_err * PetscSqrtReal(1.0 + nl);
    else h = prob->fd_err * PetscMax(PetscAbsScalar(lj), prob->fd_umin);
    if (j >= lo && j < hi) PetscCall(VecSetValue(prob->fd_l, j, lj + h, INSERT_VALUES));
    PetscCall(VecAssemblyBegin(prob->fd_l));
    PetscCall(VecAssemblyEnd(prob->fd_l));
    PetscCall(EvalF(prob, f, w, prob->fd_l, prob->fd_g1));
    if (j >= lo && j < hi) PetscCall(VecSetValue(prob->fd_l, j, lj - h, INSERT_VALUES));
    PetscCall(VecAssemblyBegin(prob->fd_l));
    PetscCall(VecAssemblyEnd(prob->fd_l));
    PetscCall(EvalF(prob, f, w, prob->fd_l, prob->fd_g2));
    if (j >= lo && j < hi) PetscCall(VecSetValue(prob->fd_l, j, lj, INSERT_VALUES));
    PetscCall(VecAssemblyBegin(prob->fd_l));
    PetscCall(VecAssemblyEnd(prob->fd_l));
    PetscCall(VecDotBegin(prob->fd_g1, x, &d1));
    PetscCall(VecDotBegin(prob->fd_g2, x, &d2));
    PetscCall(VecDotEnd(prob->fd_g1, x, &d1));
    PetscCall(VecDotEnd(prob->fd_g2, x, &d2));
    if (j >= lo && j < hi) PetscCall(VecSetValue(y, j, (d1 - d2) / (2 * h), INSERT_VALUES));
  }
  PetscCall(VecAssemblyBegin(y));
  PetscCall(VecAssemblyEnd(y));
  PetscFunctionReturn(0);
}

/* H x: the Hessian is the derivative of grad_w l along x */
PetscErrorCode HGProblemFDHessianMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCall(FDWork(prob, PETSC_FALSE));
  PetscCall(FDAlongW(prob, FD_LOWERGRAD, w, lambda, x, prob->fd_g1, prob->fd_g2, y));
  PetscFunctionReturn(0);
}

/* (d_lambda grad_w l)^T x = d_w (grad_lambda l) x: the derivative of grad_lambda l along x when the
   problem gives grad_lambda l, else one difference of grad_w l per hyperparameter */
PetscErrorCode HGProblemFDMixedMultTranspose(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  if (prob->lowerparamgradient) {
    PetscCall(FDWork(prob, PETSC_TRUE));
    PetscCall(FDAlongW(prob, FD_PARAMGRAD, w, lambda, x, prob->fd_l1, prob->fd_l2, y));
  } else PetscCall(FDAlongLambda(prob, FD_LOWERGRAD, w, lambda, x, y));
  PetscFunctionReturn(0);
}

/* d_w Phi x (and d_w Phi^T x when the problem declares d_w Phi symmetric) */
PetscErrorCode HGProblemFDMapJacobianMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCall(FDWork(prob, PETSC_FALSE));
  PetscCall(FDAlongW(prob, FD_MAP, w, lambda, x, prob->fd_g1, prob->fd_g2, y));
  PetscFunctionReturn(0);
}

/* d_lambda Phi^T x: one difference of Phi per hyperparameter */
PetscErrorCode HGProblemFDMapParamJacobianTransposeMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCall(FDAlongLambda(prob, FD_MAP, w, lambda, x, y));
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemFDDestroy(HGProblem prob)
{
  PetscFunctionBegin;
  PetscCall(VecDestroy(&prob->fd_w));
  PetscCall(VecDestroy(&prob->fd_g1));
  PetscCall(VecDestroy(&prob->fd_g2));
  PetscCall(VecDestroy(&prob->fd_l));
  PetscCall(VecDestroy(&prob->fd_l1));
  PetscCall(VecDestroy(&prob->fd_l2));
  PetscFunctionReturn(0);
}
