static const char help[] = "t855: validation and test accuracy of logreg (HGProblemComputeAccuracy()) against a recomputation\n"
                           "from the lower solution w and the data as written (labels 3/7, sign of x^T w), for one problem\n"
                           "and for the folds of a cross-validation (-problem multi -sub_problem logreg), whose accuracy\n"
                           "is the mean of the single-fold runs' on every count of sub-communicators; synthetic test sets\n"
                           "(-lr_ntest) and the data fingerprint.  Options: the -sub_ ones of the problem and its HG,\n"
                           "-multi_n <K>, -nfeat <6>, -ntrain <60>, -nval <25>, -ntest <40>, -verbose.\n";
#include "hgtest.h"

typedef struct {
  PetscInt   n, p;
  PetscReal *x; /* row major */
  PetscInt  *y; /* 3 or 7 */
} Set;

/* uniform in [-1, 1) from a 64-bit LCG (Knuth's MMIX constants) */
static PetscReal Uniform(unsigned long long *s)
{
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return 2.0 * (PetscReal)(*s >> 11) / 9007199254740992.0 - 1.0;
}

/* n samples of p features, label 7 when x^T t + 0.6 noise > 0, else 3; written as LIBSVM on rank 0 */
static PetscErrorCode MakeSet(const char *path, PetscInt n, PetscInt p, unsigned long long seed, Set *s)
{
  PetscMPIInt        rank;
  unsigned long long st = seed;

  PetscFunctionBegin;
  s->n = n, s->p = p;
  PetscCall(PetscMalloc2(n * p, &s->x, n, &s->y));
  for (PetscInt i = 0; i < n; i++) {
    PetscReal m = 0;
    for (PetscInt j = 0; j < p; j++) {
      s->x[i * p + j] = Uniform(&st);
      m += s->x[i * p + j] * (PetscReal)(j % 3 - 1 + (j == 0 ? 2 : 0));
    }
    s->y[i] = m + 0.6 * Uniform(&st) > 0 ? 7 : 3;
  }
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    FILE *f;
    PetscCall(PetscFOpen(PETSC_COMM_SELF, path, "w", &f));
    for (PetscInt i = 0; i < n; i++) {
      PetscCall(PetscFPrintf(PETSC_COMM_SELF, f, "%d", (int)s->y[i]));
      for (PetscInt j = 0; j < p; j++) PetscCall(PetscFPrintf(PETSC_COMM_SELF, f, " %d:%.17g", (int)(j + 1), (double)s->x[i * p + j]));
      PetscCall(PetscFPrintf(PETSC_COMM_SELF, f, "\n"));
    }
    PetscCall(PetscFClose(PETSC_COMM_SELF, f));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

/* the fraction of s whose label is 7 exactly when x^T w > 0, from w gathered on rank 0; near: the
   samples with |x^T w| < 1e-10 (rounding may put them on either side) */
static PetscErrorCode Recompute(Vec w, const Set *s, PetscReal *acc, PetscInt *near)
{
  VecScatter         sc;
  Vec                w0;
  const PetscScalar *a;
  PetscMPIInt        rank;
  PetscReal          buf[2] = {0, 0};
  PetscInt           N;

  PetscFunctionBegin;
  PetscCall(VecGetSize(w, &N));
  HGTEST_CHECK(N == s->p, "w has %" PetscInt_FMT " entries, the data %" PetscInt_FMT " features", N, s->p);
  PetscCall(VecScatterCreateToZero(w, &sc, &w0));
  PetscCall(VecScatterBegin(sc, w, w0, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, w, w0, INSERT_VALUES, SCATTER_FORWARD));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    PetscCall(VecGetArrayRead(w0, &a));
    for (PetscInt i = 0; i < s->n; i++) {
      PetscReal m = 0;
      for (PetscInt j = 0; j < s->p; j++) m += s->x[i * s->p + j] * PetscRealPart(a[j]);
      if ((m > 0 ? 7 : 3) == s->y[i]) buf[0] += 1;
      if (PetscAbsReal(m) < 1e-10) buf[1] += 1;
    }
    PetscCall(VecRestoreArrayRead(w0, &a));
  }
  PetscCallMPI(MPI_Bcast(buf, 2, MPIU_REAL, 0, PETSC_COMM_WORLD));
  *acc  = buf[0] / (PetscReal)s->n;
  *near = (PetscInt)buf[1];
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&w0));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckAgainst(const char *what, PetscReal acc, Vec w, const Set *s)
{
  PetscReal ref;
  PetscInt  near;

  PetscFunctionBegin;
  PetscCall(Recompute(w, s, &ref, &near));
  HGTEST_CHECK(!PetscIsNanReal(acc) && PetscAbsReal(acc - ref) <= (PetscReal)near / (PetscReal)s->n + 1e-14, "%s accuracy %g, recomputed from w and the data %g", what, (double)acc, (double)ref);
  PetscFunctionReturn(0);
}

/* logreg with prefix sub_ (instance i of n when n > 0) and its HG: w at lambda (the problem's
   initial one), the accuracies and the fingerprint; w is returned in wout (created) when asked */
static PetscErrorCode Single(PetscInt i, PetscInt n, PetscReal *val, PetscReal *test, char fp[], size_t len, Vec *wout)
{
  HGProblem prob;
  HG        hg;
  Vec       lambda, h, w;

  PetscFunctionBegin;
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetOptionsPrefix(prob, "sub_"));
  PetscCall(HGProblemSetType(prob, HGPROBLEMLOGREG));
  if (n > 0) PetscCall(HGProblemSetInstance(prob, i, n));
  PetscCall(HGProblemSetFromOptions(prob));
  PetscCall(HGProblemSetUp(prob));
  PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
  PetscCall(HGSetOptionsPrefix(hg, "sub_"));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGTestCompute(hg, lambda, h));
  PetscCall(HGGetLowerSolution(hg, &w));
  PetscCall(HGProblemComputeAccuracy(prob, w, lambda, val, test));
  if (fp) PetscCall(HGProblemGetFingerprint(prob, fp, len));
  if (wout) {
    PetscCall(VecDuplicate(w, wout));
    PetscCall(VecCopy(w, *wout));
  }
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscMPIInt size, rank;
  PetscInt    p = 6, ntr = 60, nval = 25, nte = 40, K = 3;
  char        ftr[PETSC_MAX_PATH_LEN], fva[PETSC_MAX_PATH_LEN], fte[PETSC_MAX_PATH_LEN], fp1[256], fp2[256];
  Set         tr, va, te;
  PetscReal   val, test, val2, test2;
  Vec         w;
  PetscBool   same, verbose = PETSC_FALSE;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-nfeat", &p, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-ntrain", &ntr, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-nval", &nval, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-ntest", &nte, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-multi_n", &K, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCall(PetscSNPrintf(ftr, sizeof(ftr), "t855-np%d-train.svm", (int)size));
  PetscCall(PetscSNPrintf(fva, sizeof(fva), "t855-np%d-val.svm", (int)size));
  PetscCall(PetscSNPrintf(fte, sizeof(fte), "t855-np%d-test.svm", (int)size));
  PetscCall(MakeSet(ftr, ntr, p, 1, &tr));
  PetscCall(MakeSet(fva, nval, p, 2, &va));
  PetscCall(MakeSet(fte, nte, p, 3, &te));
  PetscCall(PetscOptionsSetValue(NULL, "-sub_data_train", ftr));
  PetscCall(PetscOptionsSetValue(NULL, "-sub_data_val", fva));

  /* 1. one problem without a test set: validation accuracy against the recomputation, test NaN */
  PetscCall(Single(0, 0, &val, &test, fp1, sizeof(fp1), &w));
  PetscCall(CheckAgainst("validation (no test set)", val, w, &va));
  HGTEST_CHECK(PetscIsNanReal(test), "test accuracy %g without a test set (expected NaN)", (double)test);
  PetscCall(VecDestroy(&w));

  /* 2. with -data_test: both against the recomputation; the test set changes neither w nor the
     validation accuracy, and it enters the fingerprint */
  PetscCall(PetscOptionsSetValue(NULL, "-sub_data_test", fte));
  PetscCall(Single(0, 0, &val2, &test, fp2, sizeof(fp2), &w));
  PetscCall(CheckAgainst("validation", val2, w, &va));
  PetscCall(CheckAgainst("test", test, w, &te));
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "files: validation accuracy %g, test accuracy %g; fingerprints\n  %s\n  %s\n", (double)val2, (double)test, fp1, fp2));
  HGTEST_CHECK(val2 == val, "the validation accuracy changed with a test set: %g, %g", (double)val2, (double)val);
  PetscCall(PetscStrcmp(fp1, fp2, &same));
  HGTEST_CHECK(!same, "the data fingerprint does not change with a test set: %s", fp1);
  PetscCall(VecDestroy(&w));

  /* 3. cross-validation: every fold's test accuracy against the recomputation; the multi problem's
     accuracies against the mean of the single-fold runs', on every count of sub-communicators */
  {
    PetscReal vmean = 0, tmean = 0;
    for (PetscInt i = 0; i < K; i++) {
      PetscCall(Single(i, K, &val, &test, NULL, 0, &w));
      PetscCall(CheckAgainst("fold test", test, w, &te));
      HGTEST_CHECK(val >= 0 && val <= 1, "fold %" PetscInt_FMT ": validation accuracy %g", i, (double)val);
      vmean += val / (PetscReal)K;
      tmean += test / (PetscReal)K;
      PetscCall(VecDestroy(&w));
    }
    for (PetscInt nsub = 1; nsub <= PetscMin((PetscInt)size, K); nsub++) {
      HGProblem prob;
      HG        hg;
      Vec       lambda, h, W;

      PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
      PetscCall(HGProblemSetType(prob, HGPROBLEMMULTI));
      PetscCall(HGProblemSetFromOptions(prob));
      PetscCall(HGProblemMultiSetNumberSubcomms(prob, nsub));
      PetscCall(HGProblemSetUp(prob));
      PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
      PetscCall(HGSetProblem(hg, prob));
      PetscCall(HGSetType(hg, HGMULTI));
      PetscCall(HGSetFromOptions(hg));
      PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
      PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
      PetscCall(VecDuplicate(lambda, &h));
      PetscCall(HGTestCompute(hg, lambda, h));
      PetscCall(HGGetLowerSolution(hg, &W));
      PetscCall(HGProblemComputeAccuracy(prob, W, lambda, &val, &test));
      if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%" PetscInt_FMT " folds, %" PetscInt_FMT " sub-communicators: accuracy %g/%g, mean of the folds %g/%g\n", K, nsub, (double)val, (double)test, (double)vmean, (double)tmean));
      HGTEST_CHECK(PetscAbsReal(val - vmean) <= 1e-12 && PetscAbsReal(test - tmean) <= 1e-12, "%" PetscInt_FMT " folds, %" PetscInt_FMT " sub-communicators: accuracy %.17g/%.17g, mean of the single-fold runs %.17g/%.17g", K, nsub, (double)val, (double)test, (double)vmean, (double)tmean);
      PetscCall(VecDestroy(&lambda));
      PetscCall(VecDestroy(&h));
      PetscCall(HGDestroy(&hg));
      PetscCall(HGProblemDestroy(&prob));
    }
  }

  /* 4. synthetic data: no test set by default; -lr_ntest gives one (a trained classifier beats
     chance on it), it changes neither w nor the validation accuracy, and enters the fingerprint */
  PetscCall(PetscOptionsClearValue(NULL, "-sub_data_train"));
  PetscCall(PetscOptionsClearValue(NULL, "-sub_data_val"));
  PetscCall(PetscOptionsClearValue(NULL, "-sub_data_test"));
  PetscCall(Single(0, 0, &val, &test, fp1, sizeof(fp1), NULL));
  HGTEST_CHECK(val >= 0 && val <= 1 && PetscIsNanReal(test), "synthetic, no test set: accuracy %g/%g (expected [0, 1]/NaN)", (double)val, (double)test);
  PetscCall(PetscOptionsSetValue(NULL, "-sub_lr_ntest", "400"));
  PetscCall(Single(0, 0, &val2, &test2, fp2, sizeof(fp2), NULL));
  HGTEST_CHECK(val2 == val, "synthetic: the validation accuracy changed with a test set: %g, %g", (double)val2, (double)val);
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "synthetic: validation accuracy %g, test accuracy %g\n", (double)val2, (double)test2));
  HGTEST_CHECK(test2 > 0.6 && test2 <= 1, "synthetic: test accuracy %g of a trained classifier (expected > 0.6)", (double)test2);
  PetscCall(PetscStrcmp(fp1, fp2, &same));
  HGTEST_CHECK(!same, "synthetic: the data fingerprint does not change with a test set: %s", fp1);
  PetscCall(PetscOptionsSetValue(NULL, "-sub_lr_ntest", "-1"));
  {
    HGProblem prob;
    PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
    PetscCall(HGProblemSetOptionsPrefix(prob, "sub_"));
    PetscCall(HGProblemSetType(prob, HGPROBLEMLOGREG));
    EXPECT_ERROR(HGProblemSetFromOptions(prob), PETSC_ERR_ARG_OUTOFRANGE, "-lr_ntest");
    PetscCall(HGProblemDestroy(&prob));
  }

  PetscCall(PetscFree2(tr.x, tr.y));
  PetscCall(PetscFree2(va.x, va.y));
  PetscCall(PetscFree2(te.x, te.y));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  if (rank == 0) {
    (void)remove(ftr);
    (void)remove(fva);
    (void)remove(fte);
  }
  PetscCall(PetscFinalize());
  return 0;
}
