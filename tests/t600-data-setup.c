static const char help[] = "t600-data-setup: the linear set-up of loaded data.  Label classes (HGDataGetClasses and the\n"
                           "nclasses of a load) equal the labels the test wrote, on any number of ranks; standardization\n"
                           "of columns offset by 1e8 gives mean 0 and variance 1 to 1e-7 (the values are exact to 1.5e-8; a\n"
                           "one-pass variance without a shift would cancel to O(1)); logreg's ||X||^2, the Lanczos upper\n"
                           "bound (HGMatNormSquaredBound), lies between the exact value (closed form, 1) and 1.15 times it,\n"
                           "and below ||X||_F^2, for dense X and for the same X as CSR (MPIAIJ), the two estimates equal\n"
                           "to 1e-10 (the same Lanczos run through the dense and the AIJ one-pass X^T X v).\n";
#include "hgtest.h"

#define NF 200  /* features; X(i, i) = sigma_i for i < NF, rows below are zero */
#define NS 1200 /* samples */

static PetscReal Sigma(PetscInt i) { return PetscSqrtReal(1.0 - 0.75 * i / (NF - 1)); } /* sigma^2 evenly in [0.25, 1] */

typedef enum { Y_TWO, Y_THREE, Y_FRAC, Y_MANY, Y_N } LabelKind;

static PetscReal Label(LabelKind k, PetscInt i)
{
  switch (k) {
  case Y_TWO:
    return i % 2 ? 1.0 : -1.0;
  case Y_THREE:
    return i == NS - 1 ? 7.0 : (PetscReal)(i % 2); /* class 7 on the last row only (the last rank) */
  case Y_FRAC:
    return i + 0.5;
  default:
    return (PetscReal)(NS - 1 - i); /* NS > 1000 distinct integers */
  }
}

/* Dense data set: diagonal block of sigma (offset adds a constant to every entry) and labels of kind k */
static PetscErrorCode Create(MPI_Comm comm, LabelKind k, PetscReal offset, HGData *d)
{
  PetscInt lo, hi;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(d, sizeof(*d)));
  PetscCall(MatCreateDense(comm, PETSC_DECIDE, PETSC_DECIDE, NS, NF, NULL, &d->X));
  PetscCall(MatGetOwnershipRange(d->X, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++)
    for (PetscInt j = 0; j < NF; j++) {
      PetscReal v = (i == j ? Sigma(i) : 0.0) + (offset != 0 ? offset + (PetscReal)((i + j) % 7) : 0.0);
      PetscCall(MatSetValue(d->X, i, j, v, INSERT_VALUES));
    }
  PetscCall(MatAssemblyBegin(d->X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(d->X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatCreateVecs(d->X, NULL, &d->y));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(d->y, i, Label(k, i), INSERT_VALUES));
  PetscCall(VecAssemblyBegin(d->y));
  PetscCall(VecAssemblyEnd(d->y));
  d->nsamples = NS, d->nfeatures = NF;
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  MPI_Comm    comm;
  PetscMPIInt size;
  char        file[PETSC_MAX_PATH_LEN];

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscSNPrintf(file, sizeof(file), "t600-data-setup-np%d.h5", size));

  /* classes: written through HDF5, loaded back (parallel read), counted and listed */
  for (LabelKind k = Y_TWO; k < Y_N; k++) {
    HGData     d, e;
    PetscInt   nc, expect_n;
    PetscReal *cls;
    PetscCall(Create(comm, k, 0, &d));
    PetscCall(HGDataWriteHDF5(&d, file));
    PetscCall(HGDataDestroy(&d));
    PetscCall(HGDataLoad(comm, file, NULL, HG_DATA_AUTO, &e));
    PetscCall(HGDataGetClasses(&e, &nc, &cls));
    expect_n = k == Y_TWO ? 2 : k == Y_THREE ? 3 : NS;
    HGTEST_CHECK(nc == expect_n, "labels %d: %" PetscInt_FMT " distinct values, expected %" PetscInt_FMT, (int)k, nc, expect_n);
    if (k == Y_TWO) HGTEST_CHECK(cls[0] == -1.0 && cls[1] == 1.0, "labels +-1: classes %g %g", (double)cls[0], (double)cls[1]);
    if (k == Y_THREE) HGTEST_CHECK(cls[0] == 0.0 && cls[1] == 1.0 && cls[2] == 7.0, "labels 0, 1, 7: classes %g %g %g", (double)cls[0], (double)cls[1], (double)cls[2]);
    if (k == Y_FRAC || k == Y_MANY)
      for (PetscInt i = 0; i < NS; i++) HGTEST_CHECK(cls[i] == Label(k, NS - 1 - i) || cls[i] == Label(k, i), "labels %d: value %" PetscInt_FMT " is %g", (int)k, i, (double)cls[i]);
    /* the loader's class count: integers, at most 1000 distinct values; else 0 */
    expect_n = k == Y_TWO ? 2 : k == Y_THREE ? 3 : 0;
    HGTEST_CHECK(e.nclasses == expect_n, "labels %d: nclasses %" PetscInt_FMT ", expected %" PetscInt_FMT, (int)k, e.nclasses, expect_n);
    PetscCall(PetscFree(cls));
    PetscCall(HGDataDestroy(&e));
  }

  /* standardization of columns 1e8 + small integers: exact mean and variance from the values */
  {
    HGData             d;
    const PetscScalar *a;
    PetscInt           lo, hi, lda;
    PetscReal          errm = 0, errv = 0, all[2];
    PetscCall(Create(comm, Y_TWO, 1e8, &d));
    PetscCall(HGDataStandardize(&d, 0, NULL));
    PetscCall(MatGetOwnershipRange(d.X, &lo, &hi));
    PetscCall(MatDenseGetLDA(d.X, &lda));
    PetscCall(MatDenseGetArrayRead(d.X, &a));
    for (PetscInt j = 0; j < NF; j++) {
      PetscReal s = 0, q = 0, sa[2], sl[2];
      for (PetscInt i = lo; i < hi; i++) s += PetscRealPart(a[i - lo + j * lda]), q += PetscSqr(PetscRealPart(a[i - lo + j * lda]));
      sl[0] = s, sl[1] = q;
      PetscCall(MPIU_Allreduce(sl, sa, 2, MPIU_REAL, MPIU_SUM, comm));
      errm = PetscMax(errm, PetscAbsReal(sa[0] / NS));
      errv = PetscMax(errv, PetscAbsReal(sa[1] / NS - 1.0));
    }
    PetscCall(MatDenseRestoreArrayRead(d.X, &a));
    all[0] = errm, all[1] = errv;
    HGTEST_CHECK(all[0] < 1e-7 && all[1] < 1e-7, "standardized columns offset by 1e8: largest |mean| %g, largest |variance - 1| %g", (double)all[0], (double)all[1]);
    PetscCall(HGDataDestroy(&d));
  }

  /* ||X||^2 = sigma_0^2 = 1 (closed form); logreg's L = ||X||^2 / 4 + max r at the initial lambda;
     dense X (MPIDENSE: the one-pass X^T X v of the estimate on the column-major blocks of rows)
     and the same X as CSR (MPIAIJ: the row-wise pass over the diagonal and off-diagonal blocks) */
  PetscReal estdense = 0;
  for (PetscInt sparse = 0; sparse < 2; sparse++) {
    HGData    d;
    HGProblem prob;
    Vec       l0;
    PetscReal L, mu, rmax, est, fro2 = 0;
    PetscCall(Create(comm, Y_TWO, 0, &d));
    if (sparse) PetscCall(MatConvert(d.X, MATAIJ, MAT_INPLACE_MATRIX, &d.X));
    PetscCall(HGDataWriteHDF5(&d, file));
    PetscCall(HGDataDestroy(&d));
    for (PetscInt i = 0; i < NF; i++) fro2 += PetscSqr(Sigma(i));
    PetscCall(PetscOptionsSetValue(NULL, "-data_train", file));
    PetscCall(PetscOptionsSetValue(NULL, "-data_val", file));
    PetscCall(HGProblemCreate(comm, &prob));
    PetscCall(HGProblemSetType(prob, HGPROBLEMLOGREG));
    PetscCall(HGProblemSetFromOptions(prob));
    PetscCall(HGProblemSetUp(prob));
    PetscCall(HGProblemGetLowerConstants(prob, &L, &mu));
    PetscCall(HGProblemCreateVecs(prob, NULL, &l0));
    PetscCall(HGProblemGetInitialHyperparameters(prob, l0));
    PetscCall(VecMax(l0, NULL, &rmax)); /* the initial weights r = lambda (no -lr_exp) */
    est = 4 * (L - rmax);
    PetscCall(PetscPrintf(comm, "%s X: ||X||^2 = 1: estimate %.6f (||X||_F^2 = %.1f)\n", sparse ? "sparse" : "dense", (double)est, (double)fro2));
    HGTEST_CHECK(est >= 1 - 1e-12 && est <= 1.15, "%s X: ||X||^2 = 1, estimated %.15g: not an upper bound within 15%%", sparse ? "sparse" : "dense", (double)est);
    HGTEST_CHECK(est <= fro2 * (1 + 1e-12), "%s X: ||X||^2 estimated %g, above ||X||_F^2 = %g", sparse ? "sparse" : "dense", (double)est, (double)fro2);
    /* the same Lanczos run on the same operator: the dense and the AIJ pass agree to rounding */
    if (!sparse) estdense = est;
    else HGTEST_CHECK(PetscAbsReal(est - estdense) <= 1e-10 * estdense, "||X||^2 estimated %.15g with sparse X but %.15g with the same X dense", (double)est, (double)estdense);
    PetscCall(VecDestroy(&l0));
    PetscCall(HGProblemDestroy(&prob));
    PetscCall(PetscOptionsClearValue(NULL, "-data_train"));
    PetscCall(PetscOptionsClearValue(NULL, "-data_val"));
  }
  {
    PetscMPIInt rank;
    PetscCallMPI(MPI_Comm_rank(comm, &rank));
    if (!rank) remove(file);
  }
  PetscCall(PetscFinalize());
  return 0;
}
