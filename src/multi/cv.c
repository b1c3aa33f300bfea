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

PetscErrorCode HGCrossValidationSplit(HGProblem prob, PetscInt64 seed, Mat X, Vec y, Mat *Xtr, Vec *ytr, Mat *Xva, Vec *yva)
{
  MPI_Comm  comm = PetscObjectComm((PetscObject)prob);
  PetscInt  K = prob->ninstances, k = prob->instance, N, lo, hi, clo, chi, ntr = 0, nva = 0, *itr, *iva, cnt[2], gcnt[2];
  IS        istr, isva, iscol;

  PetscFunctionBegin;
  PetscCall(VecGetSize(y, &N));
  PetscCheck(K >= 2, comm, PETSC_ERR_ARG_OUTOFRANGE, "k-fold cross-validation needs K >= 2 folds (-multi_n); got %" PetscInt_FMT, K);
  PetscCheck(K <= N, comm, PETSC_ERR_ARG_OUTOFRANGE, "k-fold cross-validation with K = %" PetscInt_FMT " folds (-multi_n) but only %" PetscInt_FMT " samples: give -multi_n <= %" PetscInt_FMT, K, N, N);
  PetscCall(VecGetOwnershipRange(y, &lo, &hi));
  PetscCall(MatGetOwnershipRangeColumn(X, &clo, &chi));
  PetscCall(PetscMalloc2(hi - lo, &itr, hi - lo, &iva));
  for (PetscInt i = lo; i < hi; i++) {
    PetscInt f = (PetscInt)(HGHashUniform(seed, HG_CV_STREAM, i) * (PetscReal)K);
    if (f >= K) f = K - 1;
    if (f == k) iva[nva++] = i;
    else itr[ntr++] = i;
  }
  cnt[0] = ntr, cnt[1] = nva;
  PetscCall(MPIU_Allreduce(cnt, gcnt, 2, MPIU_INT, MPI_SUM, comm));
  PetscCheck(gcnt[0] > 0 && gcnt[1] > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "Fold %" PetscInt_FMT " of the %" PetscInt_FMT "-fold cross-validation has %" PetscInt_FMT " validation and %" PetscInt_FMT " training samples of %" PetscInt_FMT ": use fewer folds (-multi_n) or more samples", k, K, gcnt[1], gcnt[0], N);
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
