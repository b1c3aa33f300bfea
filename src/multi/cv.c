/* k-fold cross-validation: the split of a data set into the training and validation rows of one fold */
#include "multiimpl.h"

#define HG_CV_STREAM 97

static PetscErrorCode SubVector(Vec y, IS is, Vec *ys)
{
  Vec t;

  PetscFunctionBegin;
  PetscCall(VecGetSubVector(y, is, &t));
  PetscCall(VecDuplicate(t, ys));
  PetscCall(VecCopy(t, *ys));
  PetscCall(VecRestoreSubVector(y, is, &t));
  PetscFunctionReturn(0);
}

/* The fold of sample i: floor(K u_i), u_i = HGHashUniform(seed, 97, i) */
static inline PetscInt Fold(PetscInt64 seed, PetscInt K, PetscInt i)
{
  PetscInt f = (PetscInt)(HGHashUniform(seed, HG_CV_STREAM, i) * (PetscReal)K);
  return f >= K ? K - 1 : f;
}

static PetscErrorCode CheckFolds(HGProblem prob, PetscInt N)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)prob);
  PetscInt K    = prob->ninstances;

  PetscFunctionBegin;
  PetscCheck(K >= 2, comm, PETSC_ERR_ARG_OUTOFRANGE, "k-fold cross-validation needs K >= 2 folds (-multi_n); got %" PetscInt_FMT, K);
  PetscCheck(K <= N, comm, PETSC_ERR_ARG_OUTOFRANGE, "k-fold cross-validation with K = %" PetscInt_FMT " folds (-multi_n) but only %" PetscInt_FMT " samples: give -multi_n <= %" PetscInt_FMT, K, N, N);
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckFoldSizes(HGProblem prob, PetscInt N, PetscInt ntr, PetscInt nva)
{
  PetscFunctionBegin;
  PetscCheck(ntr > 0 && nva > 0, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "Fold %" PetscInt_FMT " of the %" PetscInt_FMT "-fold cross-validation has %" PetscInt_FMT " validation and %" PetscInt_FMT " training samples of %" PetscInt_FMT ": use fewer folds (-multi_n) or more samples", prob->instance, prob->ninstances, nva, ntr, N);
  PetscFunctionReturn(0);
}

PetscErrorCode HGCrossValidationSelect(HGProblem prob, PetscInt64 seed, PetscInt N, PetscBool **inval, PetscInt *ntr, PetscInt *nva)
{
  PetscFunctionBegin;
  PetscCall(CheckFolds(prob, N));
  PetscCall(PetscMalloc1(N, inval));
  *ntr = *nva = 0;
  for (PetscInt i = 0; i < N; i++) {
    (*inval)[i] = Fold(seed, prob->ninstances, i) == prob->instance ? PETSC_TRUE : PETSC_FALSE;
    if ((*inval)[i]) (*nva)++;
    else (*ntr)++;
  }
  PetscCall(CheckFoldSizes(prob, N, *ntr, *nva));
  PetscFunctionReturn(0);
}

PetscErrorCode HGCrossValidationSplit(HGProblem prob, PetscInt64 seed, Mat X, Vec y, Mat *Xtr, Vec *ytr, Mat *Xva, Vec *yva)
{
  MPI_Comm  comm = PetscObjectComm((PetscObject)prob);
  PetscInt  K = prob->ninstances, k = prob->instance, N, lo, hi, clo, chi, ntr = 0, nva = 0, *itr, *iva, cnt[2], gcnt[2];
  IS        istr, isva, iscol;

  PetscFunctionBegin;
  PetscCall(VecGetSize(y, &N));
  PetscCall(CheckFolds(prob, N));
  PetscCall(VecGetOwnershipRange(y, &lo, &hi));
  PetscCall(MatGetOwnershipRangeColumn(X, &clo, &chi));
  PetscCall(PetscMalloc2(hi - lo, &itr, hi - lo, &iva));
  for (PetscInt i = lo; i < hi; i++) {
    if (Fold(seed, K, i) == k) iva[nva++] = i;
    else itr[ntr++] = i;
  }
  cnt[0] = ntr, cnt[1] = nva;
  PetscCall(MPIU_Allreduce(cnt, gcnt, 2, MPIU_INT, MPI_SUM, comm));
  PetscCall(CheckFoldSizes(prob, N, gcnt[0], gcnt[1]));
  PetscCall(ISCreateGeneral(comm, ntr, itr, PETSC_COPY_VALUES, &istr));
  PetscCall(ISCreateGeneral(comm, nva, iva, PETSC_COPY_VALUES, &isva));
  PetscCall(ISCreateStride(comm, chi - clo, clo, 1, &iscol));
  PetscCall(PetscFree2(itr, iva));
  PetscCall(MatCreateSubMatrix(X, istr, iscol, MAT_INITIAL_MATRIX, Xtr));
  PetscCall(MatCreateSubMatrix(X, isva, iscol, MAT_INITIAL_MATRIX, Xva));
  PetscCall(SubVector(y, istr, ytr));
  PetscCall(SubVector(y, isva, yva));
  PetscCall(ISDestroy(&istr));
  PetscCall(ISDestroy(&isva));
  PetscCall(ISDestroy(&iscol));
  PetscFunctionReturn(0);
}
