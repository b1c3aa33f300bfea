/* Small dense helpers (LAPACK through PETSc) for direct solves on one rank's copy. */
#include <hypergrad/hgimpl.h>
#include <petscblaslapack.h>

/* PETSc's header declares gemv but not symv; same mangling as the others */
#define HGBLASsymv_ PETSCBLAS(symv, SYMV)
BLAS_EXTERN void HGBLASsymv_(const char *, const PetscBLASInt *, const PetscScalar *, const PetscScalar *, const PetscBLASInt *, const PetscScalar *, const PetscBLASInt *, const PetscScalar *, PetscScalar *, const PetscBLASInt *);

/*@
  HGVecGatherAll - every entry of a distributed vector in an array on every rank

  Collective

  Input Parameter:
. v - the vector

  Output Parameter:
. a - the values in global order (PetscMalloc1; the caller PetscFree()s it)

  Level: advanced

.seealso: VecScatterCreateToAll()
@*/
PetscErrorCode HGVecGatherAll(Vec x, PetscScalar **all)
{
  VecScatter         sc;
  Vec                seq;
  PetscInt           N;
  const PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetSize(x, &N));
  PetscCall(VecScatterCreateToAll(x, &sc, &seq));
  PetscCall(VecScatterBegin(sc, x, seq, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, x, seq, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(PetscMalloc1(N, all));
  PetscCall(VecGetArrayRead(seq, &a));
  PetscCall(PetscArraycpy(*all, a, N));
  PetscCall(VecRestoreArrayRead(seq, &a));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&seq));
  PetscFunctionReturn(0);
}

/* A (n x n, column major, SPD) is overwritten by its Cholesky factor; B (n x nrhs) by the solution */
PetscErrorCode HGDenseCholeskySolve(PetscInt n, PetscScalar *A, PetscInt nrhs, PetscScalar *B)
{
  PetscBLASInt bn, bnrhs, info;

  PetscFunctionBegin;
  PetscCall(PetscBLASIntCast(n, &bn));
  PetscCall(PetscBLASIntCast(nrhs, &bnrhs));
  PetscCallBLAS("LAPACKpotrf", LAPACKpotrf_("L", &bn, A, &bn, &info));
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_MAT_CH_ZRPVT, "Dense Cholesky failed (info %d): the matrix is not positive definite", (int)info);
  PetscCallBLAS("LAPACKpotrs", LAPACKpotrs_("L", &bn, &bnrhs, A, &bn, B, &bn, &info));
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK potrs failed (info %d)", (int)info);
  PetscFunctionReturn(0);
}

PetscErrorCode HGDenseSymEigRange(PetscInt n, const PetscScalar *A, PetscReal *emin, PetscReal *emax)
{
  PetscBLASInt bn, lwork, info;
  PetscScalar *a, *work;
  PetscReal   *ev;

  PetscFunctionBegin;
  PetscCall(PetscBLASIntCast(n, &bn));
  lwork = 3 * bn + 64;
  PetscCall(PetscMalloc3(n * n, &a, n, &ev, lwork, &work));
  PetscCall(PetscArraycpy(a, A, n * n));
  PetscCallBLAS("LAPACKsyev", LAPACKsyev_("N", "L", &bn, a, &bn, ev, work, &lwork, &info));
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK syev failed (info %d)", (int)info);
  *emin = ev[0];
  *emax = ev[n - 1];
  PetscCall(PetscFree3(a, ev, work));
  PetscFunctionReturn(0);
}

PetscErrorCode HGDenseGemm(const char *ta, const char *tb, PetscInt m, PetscInt n, PetscInt k, PetscScalar alpha, const PetscScalar *A, PetscInt lda, const PetscScalar *B, PetscInt ldb, PetscScalar beta, PetscScalar *C, PetscInt ldc)
{
  PetscBLASInt bm, bn, bk, blda, bldb, bldc;

  PetscFunctionBegin;
  /* empty products (a rank without rows, an empty inner dimension): C = beta C, no BLAS call */
  if (m == 0 || n == 0) PetscFunctionReturn(0);
  if (k == 0) {
    for (PetscInt j = 0; j < n; j++)
      for (PetscInt i = 0; i < m; i++) C[i + j * ldc] = beta == 0.0 ? 0.0 : beta * C[i + j * ldc];
    PetscFunctionReturn(0);
  }
  PetscCall(PetscBLASIntCast(m, &bm));
  PetscCall(PetscBLASIntCast(n, &bn));
  PetscCall(PetscBLASIntCast(k, &bk));
  PetscCall(PetscBLASIntCast(lda, &blda));
  PetscCall(PetscBLASIntCast(ldb, &bldb));
  PetscCall(PetscBLASIntCast(ldc, &bldc));
  PetscCallBLAS("BLASgemm", BLASgemm_(ta, tb, &bm, &bn, &bk, &alpha, A, &blda, B, &bldb, &beta, C, &bldc));
  PetscFunctionReturn(0);
}

/* y = alpha op(A) x + beta y, A m x n column major; empty products only scale y */
PetscErrorCode HGDenseGemv(const char *ta, PetscInt m, PetscInt n, PetscScalar alpha, const PetscScalar *A, PetscInt lda, const PetscScalar *x, PetscScalar beta, PetscScalar *y)
{
  PetscBool    tr = (PetscBool)(ta[0] == 'T' || ta[0] == 't');
  PetscInt     ny = tr ? n : m, nx = tr ? m : n;
  PetscBLASInt bm, bn, blda, one = 1;

  PetscFunctionBegin;
  if (ny == 0) PetscFunctionReturn(0);
  if (nx == 0) {
    for (PetscInt i = 0; i < ny; i++) y[i] = beta == 0.0 ? 0.0 : beta * y[i];
    PetscFunctionReturn(0);
  }
  PetscCall(PetscBLASIntCast(m, &bm));
  PetscCall(PetscBLASIntCast(n, &bn));
  PetscCall(PetscBLASIntCast(lda, &blda));
  PetscCallBLAS("BLASgemv", BLASgemv_(ta, &bm, &bn, &alpha, A, &blda, x, &one, &beta, y, &one));
  PetscFunctionReturn(0);
}

/* y = alpha A x + beta y for symmetric A (n x n, column major) given by its lower triangle,
   which is all that is read: half the memory traffic of a gemv */
PetscErrorCode HGDenseSymvLower(PetscInt n, PetscScalar alpha, const PetscScalar *A, PetscInt lda, const PetscScalar *x, PetscScalar beta, PetscScalar *y)
{
  PetscBLASInt bn, blda, one = 1;

  PetscFunctionBegin;
  if (n == 0) PetscFunctionReturn(0);
  PetscCall(PetscBLASIntCast(n, &bn));
  PetscCall(PetscBLASIntCast(lda, &blda));
  PetscCallBLAS("BLASsymv", HGBLASsymv_("L", &bn, &alpha, A, &blda, x, &one, &beta, y, &one));
  PetscFunctionReturn(0);
}
