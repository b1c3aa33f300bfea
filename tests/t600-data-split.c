static const char help[] = "t600-data-split: HGDataSplit is a partition with the requested sizes, keeps rows intact and is the\n"
                           "same on any number of ranks and for dense and sparse storage; HGDataStandardize matches\n"
                           "column statistics computed independently (dense: centre and scale; sparse: scale only).\n";
#include "hgtest.h"

#define M 100
#define N 5

/* Column 0 = sample id (plus 1 so that it is stored in sparse form), column 2 constant, others varied and some zero */
static PetscReal Value(PetscInt i, PetscInt j)
{
  if (j == 0) return (PetscReal)(i + 1);
  if (j == 2) return 3.5;
  if ((i + j) % 3 == 0) return 0.0;
  return PetscSinReal((PetscReal)(i * N + j)) * (j + 1) + 0.25 * j;
}

static PetscErrorCode Create(MPI_Comm comm, PetscBool sparse, HGData *d)
{
  PetscInt lo, hi;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(d, sizeof(*d)));
  if (sparse) PetscCall(MatCreateAIJ(comm, PETSC_DECIDE, PETSC_DECIDE, M, N, N, NULL, N, NULL, &d->X));
  else PetscCall(MatCreateDense(comm, PETSC_DECIDE, PETSC_DECIDE, M, N, NULL, &d->X));
  PetscCall(MatGetOwnershipRange(d->X, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++)
    for (PetscInt j = 0; j < N; j++) {
      PetscReal v = Value(i, j);
      if (!sparse || v != 0) PetscCall(MatSetValue(d->X, i, j, v, INSERT_VALUES));
    }
  PetscCall(MatAssemblyBegin(d->X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(d->X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatCreateVecs(d->X, NULL, &d->y));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(d->y, i, (PetscReal)i, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(d->y));
  PetscCall(VecAssemblyEnd(d->y));
  d->nsamples = M, d->nfeatures = N;
  PetscFunctionReturn(0);
}

/* Whole matrix row major and labels on every rank (through a redundant dense copy) */
static PetscErrorCode Gather(HGData *d, PetscReal **x, PetscReal **y)
{
  Mat                Xd, R;
  Vec                all;
  VecScatter         sc;
  const PetscScalar *a;
  PetscInt           lda, m = d->nsamples;

  PetscFunctionBegin;
  PetscCall(MatConvert(d->X, MATDENSE, MAT_INITIAL_MATRIX, &Xd));
  PetscCall(MatCreateRedundantMatrix(Xd, 0, PETSC_COMM_SELF, MAT_INITIAL_MATRIX, &R));
  PetscCall(MatDenseGetLDA(R, &lda));
  PetscCall(MatDenseGetArrayRead(R, &a));
  PetscCall(PetscMalloc1(m * N, x));
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt j = 0; j < N; j++) (*x)[i * N + j] = PetscRealPart(a[i + j * lda]);
  PetscCall(MatDenseRestoreArrayRead(R, &a));
  PetscCall(MatDestroy(&R));
  PetscCall(MatDestroy(&Xd));
  PetscCall(VecScatterCreateToAll(d->y, &sc, &all));
  PetscCall(VecScatterBegin(sc, d->y, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, d->y, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(PetscMalloc1(m, y));
  PetscCall(VecGetArrayRead(all, &a));
  for (PetscInt i = 0; i < m; i++) (*y)[i] = PetscRealPart(a[i]);
  PetscCall(VecRestoreArrayRead(all, &a));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&all));
  PetscFunctionReturn(0);
}

/* Split of a fresh data set: the ids of each part (on every rank) */
static PetscErrorCode SplitIds(MPI_Comm comm, PetscBool sparse, PetscInt64 seed, PetscInt ids[3][M], PetscInt n[3])
{
  HGData          d, parts[3];
  const PetscReal frac[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3};

  PetscFunctionBegin;
  PetscCall(Create(comm, sparse, &d));
  PetscCall(HGDataSplit(&d, 3, frac, seed, parts));
  for (int k = 0; k < 3; k++) {
    PetscReal *x, *y;
    n[k] = parts[k].nsamples;
    HGTEST_CHECK(parts[k].nfeatures == N, "part %d has %" PetscInt_FMT " features", k, parts[k].nfeatures);
    PetscCall(Gather(&parts[k], &x, &y));
    for (PetscInt i = 0; i < n[k]; i++) {
      PetscInt id = (PetscInt)y[i];
      ids[k][i]   = id;
      HGTEST_CHECK(id >= 0 && id < M && y[i] == (PetscReal)id, "part %d, row %" PetscInt_FMT ": label %g is not a sample id", k, i, (double)y[i]);
      for (PetscInt j = 0; j < N; j++) HGTEST_CHECK(x[i * N + j] == Value(id, j), "part %d, row %" PetscInt_FMT " (sample %" PetscInt_FMT "), column %" PetscInt_FMT ": %g, expected %g", k, i, id, j, (double)x[i * N + j], (double)Value(id, j));
      HGTEST_CHECK(i == 0 || ids[k][i] > ids[k][i - 1], "part %d: samples not in their original order", k);
    }
    PetscCall(PetscFree(x));
    PetscCall(PetscFree(y));
    PetscCall(HGDataDestroy(&parts[k]));
  }
  PetscCall(HGDataDestroy(&d));
  PetscFunctionReturn(0);
}

/* Standardize part 0 and apply to parts 1, 2; compare with statistics computed here */
static PetscErrorCode CheckStandardize(MPI_Comm comm, PetscBool sparse, PetscReal *out[3])
{
  HGData          d, parts[3];
  const PetscReal frac[3] = {0.5, 0.25, 0.25};
  PetscReal      *x0[3], *y0[3], mean[N], sd[N], *x, *y, err = 0;

  PetscFunctionBegin;
  PetscCall(Create(comm, sparse, &d));
  PetscCall(HGDataSplit(&d, 3, frac, 11, parts));
  for (int k = 0; k < 3; k++) PetscCall(Gather(&parts[k], &x0[k], &y0[k]));
  for (PetscInt j = 0; j < N; j++) {
    PetscReal s = 0, v = 0;
    PetscInt  m = parts[0].nsamples;
    for (PetscInt i = 0; i < m; i++) s += x0[0][i * N + j];
    mean[j] = s / m;
    for (PetscInt i = 0; i < m; i++) v += (x0[0][i * N + j] - mean[j]) * (x0[0][i * N + j] - mean[j]);
    sd[j] = PetscSqrtReal(v / m);
  }
  HGTEST_CHECK(sd[2] == 0, "column 2 should be constant");
  PetscCall(HGDataStandardize(&parts[0], 2, parts + 1));
  for (int k = 0; k < 3; k++) {
    PetscCall(Gather(&parts[k], &x, &y));
    for (PetscInt i = 0; i < parts[k].nsamples; i++)
      for (PetscInt j = 0; j < N; j++) {
        PetscReal s    = sd[j] > 0 ? sd[j] : 1.0;
        PetscReal want = sparse ? x0[k][i * N + j] / s : (x0[k][i * N + j] - mean[j]) / s;
        err            = PetscMax(err, PetscAbsReal(x[i * N + j] - want) / (1 + PetscAbsReal(want)));
      }
    if (k == 0 && !sparse) /* the reference set now has mean 0, variance 1 (0 for the constant column) */
      for (PetscInt j = 0; j < N; j++) {
        PetscReal s = 0, v = 0;
        PetscInt  m = parts[0].nsamples;
        for (PetscInt i = 0; i < m; i++) s += x[i * N + j];
        for (PetscInt i = 0; i < m; i++) v += x[i * N + j] * x[i * N + j];
        HGTEST_CHECK(PetscAbsReal(s / m) < 1e-13 && PetscAbsReal(v / m - (j == 2 ? 0.0 : 1.0)) < 1e-12, "standardized column %" PetscInt_FMT ": mean %g, variance %g", j, (double)(s / m), (double)(v / m));
      }
    if (k == 0 && sparse) { /* sparsity kept */
      MatInfo info;
      PetscCall(MatGetInfo(parts[0].X, MAT_GLOBAL_SUM, &info));
      HGTEST_CHECK(info.nz_used < parts[0].nsamples * N, "sparse standardization filled the matrix (%g nonzeros)", (double)info.nz_used);
    }
    for (PetscInt i = 0; i < parts[k].nsamples; i++) HGTEST_CHECK(y[i] == y0[k][i], "standardization changed the labels");
    if (out) out[k] = x;
    else PetscCall(PetscFree(x));
    PetscCall(PetscFree(y));
    PetscCall(PetscFree(x0[k]));
    PetscCall(PetscFree(y0[k]));
    PetscCall(HGDataDestroy(&parts[k]));
  }
  HGTEST_CHECK(err < 1e-13, "%s standardization differs from the independent computation by %g", sparse ? "sparse" : "dense", (double)err);
  PetscCall(HGDataDestroy(&d));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  static PetscInt ids[3][M], idself[3][M], idsp[3][M], ids2[3][M];
  PetscInt        n[3], nself[3], nsp[3], n2[3], count[M];
  PetscBool       same = PETSC_TRUE;
  PetscReal      *sw[3], *ss[3], d = 0;
  HGData          e, parts[3];
  PetscErrorCode  ierr;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  /* a partition with sizes round(c_k M) - round(c_{k-1} M), identical on 1 rank and on all */
  PetscCall(SplitIds(PETSC_COMM_WORLD, PETSC_FALSE, 7, ids, n));
  HGTEST_CHECK(n[0] == 33 && n[1] == 34 && n[2] == 33, "split sizes %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ", expected 33, 34, 33", n[0], n[1], n[2]);
  for (PetscInt i = 0; i < M; i++) count[i] = 0;
  for (int k = 0; k < 3; k++)
    for (PetscInt i = 0; i < n[k]; i++) count[ids[k][i]]++;
  for (PetscInt i = 0; i < M; i++) HGTEST_CHECK(count[i] == 1, "sample %" PetscInt_FMT " is in %" PetscInt_FMT " parts", i, count[i]);
  PetscCall(SplitIds(PETSC_COMM_SELF, PETSC_FALSE, 7, idself, nself));
  PetscCall(SplitIds(PETSC_COMM_WORLD, PETSC_TRUE, 7, idsp, nsp));
  for (int k = 0; k < 3; k++) {
    HGTEST_CHECK(nself[k] == n[k] && nsp[k] == n[k], "part %d: sizes differ between layouts or storage", k);
    for (PetscInt i = 0; i < n[k]; i++) HGTEST_CHECK(idself[k][i] == ids[k][i] && idsp[k][i] == ids[k][i], "part %d: the split differs between 1 rank / all ranks / sparse storage", k);
  }
  PetscCall(SplitIds(PETSC_COMM_WORLD, PETSC_FALSE, 8, ids2, n2));
  for (int k = 0; k < 3; k++)
    for (PetscInt i = 0; i < PetscMin(n[k], n2[k]); i++)
      if (ids2[k][i] != ids[k][i]) same = PETSC_FALSE;
  HGTEST_CHECK(!same, "seeds 7 and 8 give the same split");

  /* bad fractions */
  PetscCall(Create(PETSC_COMM_WORLD, PETSC_FALSE, &e));
  {
    const PetscReal bad[2] = {0.5, 0.2}, tiny[2] = {0.999, 0.001};
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = HGDataSplit(&e, 2, bad, 1, parts);
    PetscCall(PetscPopErrorHandler());
    HGTEST_CHECK(ierr == PETSC_ERR_ARG_OUTOFRANGE, "fractions summing to 0.7 were accepted");
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = HGDataSplit(&e, 2, tiny, 1, parts);
    PetscCall(PetscPopErrorHandler());
    HGTEST_CHECK(ierr == PETSC_ERR_ARG_OUTOFRANGE, "a split with an empty part was accepted");
  }
  PetscCall(HGDataDestroy(&e));

  /* standardization: dense and sparse against independent statistics, same on 1 rank and all */
  PetscCall(CheckStandardize(PETSC_COMM_WORLD, PETSC_FALSE, sw));
  PetscCall(CheckStandardize(PETSC_COMM_SELF, PETSC_FALSE, ss));
  for (int k = 0; k < 3; k++) {
    PetscInt m = k == 0 ? 50 : 25;
    for (PetscInt i = 0; i < m * N; i++) d = PetscMax(d, PetscAbsReal(sw[k][i] - ss[k][i]));
    PetscCall(PetscFree(sw[k]));
    PetscCall(PetscFree(ss[k]));
  }
  HGTEST_CHECK(d < 1e-14, "standardized data differ between 1 rank and all ranks by %g", (double)d);
  PetscCall(CheckStandardize(PETSC_COMM_WORLD, PETSC_TRUE, NULL));
  PetscCall(PetscFinalize());
  return 0;
}
