static const char help[] = "t600-data-formats: one data set stored as LIBSVM, CSV (plain and gzip), HDF5 CSR and HDF5 dense\n"
                           "(tests/data/good*) loads to the same matrix and labels, equal to the generator's formula; HDF5\n"
                           "written by HGDataWriteHDF5 reads back identically; IDX raw = gzip = the formula; logistic\n"
                           "regression on each copy gives the same hypergradient to 1e-12.\n";
#include "hgtest.h"

/* The generator of tests/data/make-corpus.py */
static PetscReal GoodX(PetscInt i, PetscInt j)
{
  PetscInt t = (3 * i + 5 * j) % 7;
  return (t == 0 || t == 2 || t == 3) ? ((PetscReal)((i * 11 + j * 17) % 23) - 11.0) / 8.0 : 0.0;
}
static PetscReal GoodY(PetscInt i)
{
  return ((i * 7 + 3) % 5 >= 2) ? 1.0 : 0.0;
}

static PetscBool csr_count = PETSC_FALSE; /* HGDataLoadOptions.hdf5_csr_count of Load() */

static PetscErrorCode Load(const char *dir, const char *file, PetscBool csv, PetscInt maxs, HGData *d)
{
  char              path[PETSC_MAX_PATH_LEN];
  HGDataLoadOptions o;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", dir, file));
  PetscCall(HGDataLoadOptionsDefault(&o));
  o.max_samples    = maxs;
  o.hdf5_csr_count = csr_count;
  if (csv) {
    PetscCall(PetscStrncpy(o.csv_label, "label", sizeof(o.csv_label)));
    o.csv_nskip = 1;
    PetscCall(PetscStrncpy(o.csv_skip[0], "id", sizeof(o.csv_skip[0])));
  }
  PetscCall(HGDataLoadWithOptions(PETSC_COMM_WORLD, path, NULL, HG_DATA_AUTO, &o, d));
  PetscFunctionReturn(0);
}

/* X and y of d, gathered, equal (exactly) to the formula; the matrix type as expected */
static PetscErrorCode CheckGood(HGData *d, const char *what, PetscInt M, PetscBool sparse)
{
  PetscScalar *x, *y;
  PetscBool    isaij;

  PetscFunctionBegin;
  HGTEST_CHECK(d->nsamples == M && d->nfeatures == 6 && d->nclasses == 2, "%s: %" PetscInt_FMT " x %" PetscInt_FMT " with %" PetscInt_FMT " classes, expected %" PetscInt_FMT " x 6 with 2", what, d->nsamples, d->nfeatures, d->nclasses, M);
  PetscCall(PetscObjectTypeCompare((PetscObject)d->X, MATMPIAIJ, &isaij));
  if (!isaij) PetscCall(PetscObjectTypeCompare((PetscObject)d->X, MATSEQAIJ, &isaij));
  HGTEST_CHECK(isaij == sparse, "%s: the matrix should be %s", what, sparse ? "AIJ" : "dense");
  PetscCall(HGDataGatherDense(d, &x));
  PetscCall(HGVecGatherAll(d->y, &y));
  for (PetscInt i = 0; i < M; i++) {
    HGTEST_CHECK(y[i] == GoodY(i), "%s: label %" PetscInt_FMT " is %g, expected %g", what, i, (double)y[i], (double)GoodY(i));
    for (PetscInt j = 0; j < 6; j++) HGTEST_CHECK(x[i * 6 + j] == GoodX(i, j), "%s: X[%" PetscInt_FMT ",%" PetscInt_FMT "] = %g, expected %g", what, i, j, (double)x[i * 6 + j], (double)GoodX(i, j));
  }
  PetscCall(PetscFree(x));
  PetscCall(PetscFree(y));
  PetscFunctionReturn(0);
}

/* hypergradient (AID-CG) of problem type with the data from -data file split in two; for biasreg
   (a quadratic lower level with a direct-solve hypergradient) also checks the dimension read from
   the file and the converged hypergradient against the exact one */
static PetscErrorCode Hypergradient(HGProblemType type, const char *dir, const char *file, PetscBool csv, Vec *h)
{
  PetscBool isbr;
  char      path[PETSC_MAX_PATH_LEN];
  HGProblem prob;
  HG        hg;
  Vec       lambda;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", dir, file));
  PetscCall(PetscOptionsSetValue(NULL, "-data", path));
  PetscCall(PetscOptionsSetValue(NULL, "-data_split", "0.5,0.5"));
  PetscCall(PetscOptionsSetValue(NULL, "-data_seed", "5"));
  if (csv) {
    PetscCall(PetscOptionsSetValue(NULL, "-data_csv_label_column", "label"));
    PetscCall(PetscOptionsSetValue(NULL, "-data_csv_skip_columns", "id"));
  }
  PetscCall(PetscStrcmp(type, HGPROBLEMBIASREG, &isbr));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, type, &prob));
  PetscCall(PetscOptionsClearValue(NULL, "-data"));
  PetscCall(PetscOptionsClearValue(NULL, "-data_split"));
  PetscCall(PetscOptionsClearValue(NULL, "-data_seed"));
  PetscCall(PetscOptionsClearValue(NULL, "-data_csv_label_column"));
  PetscCall(PetscOptionsClearValue(NULL, "-data_csv_skip_columns"));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCG, isbr ? 2000 : 100, 30, &hg));
  PetscCall(HGTestCompute(hg, lambda, *h));
  if (isbr) {
    Vec       hx;
    PetscInt  n;
    PetscReal rel;

    PetscCall(VecGetSize(lambda, &n));
    HGTEST_CHECK(n == 6, "biasreg on %s has %" PetscInt_FMT " hyperparameters, but the file has 6 features: the -data_* options were not read", file, n);
    PetscCall(VecDuplicate(lambda, &hx));
    PetscCall(HGProblemComputeExactHypergradient(prob, lambda, hx, NULL));
    PetscCall(HGTestRelDiff(*h, hx, &rel));
    HGTEST_CHECK(rel <= 1e-10, "biasreg on %s: AID-CG differs from the direct solve by %.3e (relative)", file, (double)rel);
    PetscCall(VecDestroy(&hx));
  }
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char         dir[PETSC_MAX_PATH_LEN], tmp[PETSC_MAX_PATH_LEN];
  HGData       d, e;
  PetscMPIInt  size;
  PetscScalar *x, *xg, *y, *yg;
  Vec          href, h;
  PetscReal    rel;
  const char  *files[] = {"good.csv", "good.csv.gz", "good_csr.h5", "good_dense.h5"};
  PetscBool    sparse[] = {PETSC_FALSE, PETSC_FALSE, PETSC_TRUE, PETSC_FALSE}, verbose = PETSC_FALSE;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCheck(getenv("HG_SOURCE_DIR"), PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "set HG_SOURCE_DIR to the repository root");
  PetscCall(PetscSNPrintf(dir, sizeof(dir), "%s/tests/data", getenv("HG_SOURCE_DIR")));

  /* the same data from every format */
  PetscCall(Load(dir, "good.svm", PETSC_FALSE, 0, &d));
  PetscCall(CheckGood(&d, "good.svm", 30, PETSC_TRUE));
  for (int k = 0; k < 4; k++) {
    PetscCall(Load(dir, files[k], (PetscBool)(k < 2), 0, &e));
    PetscCall(CheckGood(&e, files[k], 30, sparse[k]));
    PetscCall(HGDataDestroy(&e));
  }
  /* the first samples only */
  PetscCall(Load(dir, "good_csr.h5", PETSC_FALSE, 7, &e));
  PetscCall(CheckGood(&e, "good_csr.h5 (7 samples)", 7, PETSC_TRUE));
  PetscCall(HGDataDestroy(&e));
  /* the CSR blocks sized by a counting pass instead of reserved (several ranks) */
  csr_count = PETSC_TRUE;
  PetscCall(Load(dir, "good_csr.h5", PETSC_FALSE, 0, &e));
  PetscCall(CheckGood(&e, "good_csr.h5 (counting pass)", 30, PETSC_TRUE));
  PetscCall(HGDataDestroy(&e));
  PetscCall(Load(dir, "good_csr.h5", PETSC_FALSE, 7, &e));
  PetscCall(CheckGood(&e, "good_csr.h5 (7 samples, counting pass)", 7, PETSC_TRUE));
  PetscCall(HGDataDestroy(&e));
  csr_count = PETSC_FALSE;
  PetscCall(Load(dir, "good.csv", PETSC_TRUE, 7, &e));
  PetscCall(CheckGood(&e, "good.csv (7 samples)", 7, PETSC_FALSE));
  PetscCall(HGDataDestroy(&e));

  /* HDF5 written by HGDataWriteHDF5 (sparse and dense) reads back identically */
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "t600-formats-np%d-csr.h5", (int)size));
  PetscCall(HGDataWriteHDF5(&d, tmp));
  PetscCall(HGDataLoad(PETSC_COMM_WORLD, tmp, NULL, HG_DATA_AUTO, &e));
  PetscCall(CheckGood(&e, tmp, 30, PETSC_TRUE));
  PetscCall(HGDataDestroy(&e));
  PetscCall(Load(dir, "good.csv", PETSC_TRUE, 0, &e));
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "t600-formats-np%d-dense.h5", (int)size));
  PetscCall(HGDataWriteHDF5(&e, tmp));
  PetscCall(HGDataDestroy(&e));
  PetscCall(HGDataLoad(PETSC_COMM_WORLD, tmp, NULL, HG_DATA_AUTO, &e));
  PetscCall(CheckGood(&e, tmp, 30, PETSC_FALSE));
  PetscCall(HGDataDestroy(&e));
  PetscCall(HGDataDestroy(&d));

  /* IDX: raw and gzip, pixels / 255 and labels as generated */
  {
    char images[PETSC_MAX_PATH_LEN];
    PetscCall(PetscSNPrintf(images, sizeof(images), "%s/tiny-images-idx3-ubyte", dir));
    PetscCall(HGDataLoad(PETSC_COMM_WORLD, images, NULL, HG_DATA_AUTO, &d));
    PetscCall(PetscSNPrintf(images, sizeof(images), "%s/tiny-images-idx3-ubyte.gz", dir));
    PetscCall(HGDataLoad(PETSC_COMM_WORLD, images, NULL, HG_DATA_AUTO, &e));
    HGTEST_CHECK(d.nsamples == 5 && d.nfeatures == 6 && d.nclasses == 5 && e.nsamples == 5 && e.nfeatures == 6, "IDX: %" PetscInt_FMT " x %" PetscInt_FMT " (%" PetscInt_FMT " classes), expected 5 x 6 (5)", d.nsamples, d.nfeatures, d.nclasses);
    PetscCall(HGDataGatherDense(&d, &x));
    PetscCall(HGDataGatherDense(&e, &xg));
    PetscCall(HGVecGatherAll(d.y, &y));
    PetscCall(HGVecGatherAll(e.y, &yg));
    for (PetscInt i = 0; i < 5; i++) {
      HGTEST_CHECK(y[i] == (3 * i) % 5 && yg[i] == y[i], "IDX: label %" PetscInt_FMT " is %g (gzip %g), expected %d", i, (double)y[i], (double)yg[i], (int)((3 * i) % 5));
      for (PetscInt j = 0; j < 6; j++) {
        PetscReal want = ((i * 7 + j * 13) % 256) / 255.0;
        HGTEST_CHECK(x[i * 6 + j] == want && xg[i * 6 + j] == want, "IDX: pixel (%" PetscInt_FMT ",%" PetscInt_FMT ") is %g (gzip %g), expected %g", i, j, (double)x[i * 6 + j], (double)xg[i * 6 + j], (double)want);
      }
    }
    PetscCall(PetscFree(x));
    PetscCall(PetscFree(xg));
    PetscCall(PetscFree(y));
    PetscCall(PetscFree(yg));
    PetscCall(HGDataDestroy(&d));
    PetscCall(HGDataDestroy(&e));
  }

  /* the logreg and biasreg hypergradients do not depend on the file format (biasreg: sparse LIBSVM
     and CSR HDF5 go through MatMult, dense CSV and HDF5 through the fused kernel) */
  for (int pb = 0; pb < 2; pb++) {
    HGProblemType type = pb ? HGPROBLEMBIASREG : HGPROBLEMLOGREG;
    PetscCall(Hypergradient(type, dir, "good.svm", PETSC_FALSE, &href));
    for (int k = 0; k < 4; k++) {
      PetscCall(Hypergradient(type, dir, files[k], (PetscBool)(k < 2), &h));
      PetscCall(HGTestRelDiff(h, href, &rel));
      if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s hypergradient %s vs good.svm: relative difference %.3e\n", type, files[k], (double)rel));
      HGTEST_CHECK(rel <= 1e-12, "%s hypergradient from %s differs from the LIBSVM one by %.3e (relative)", type, files[k], (double)rel);
      PetscCall(VecDestroy(&h));
    }
    PetscCall(VecNorm(href, NORM_2, &rel));
    HGTEST_CHECK(rel > 1e-6, "the reference %s hypergradient is zero: the comparison is void", type);
    PetscCall(VecDestroy(&href));
  }
  PetscCall(PetscFinalize());
  return 0;
}
