/* Helpers of the problems whose hyperparameters are regularization weights r = lambda or
   exp(lambda), one per feature (logreg, mlogreg). */
#include <hypergrad/hgimpl.h>

PetscErrorCode HGRegWeightRange(Vec lambda, PetscBool useexp, PetscReal *rmin, PetscReal *rabsmax)
{
  PetscReal lo, hi;

  PetscFunctionBegin;
  PetscCall(VecMin(lambda, NULL, &lo));
  PetscCall(VecMax(lambda, NULL, &hi));
  if (useexp) {
    lo = PetscExpReal(lo);
    hi = PetscExpReal(hi);
  }
  *rmin    = PetscMax(lo, 0.0);
  *rabsmax = PetscMax(PetscAbsReal(lo), PetscAbsReal(hi));
  PetscFunctionReturn(0);
}

/* Projection (HGProblemSetProjection()) onto lambda_j >= 1e-8: weights used as lambda itself
   must stay positive */
PetscErrorCode HGProjectionPositiveWeights(HGProblem prob, Vec lambda, void *ctx)
{
  PetscInt     n;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(lambda, &n));
  PetscCall(VecGetArray(lambda, &a));
  for (PetscInt j = 0; j < n; j++) a[j] = PetscMax(PetscRealPart(a[j]), 1e-8);
  PetscCall(VecRestoreArray(lambda, &a));
  PetscFunctionReturn(0);
}
