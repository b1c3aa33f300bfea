static const char help[] = "t600-data-real: the real data sets load with their documented sizes, nonzeros and label counts\n"
                           "(a9a, heart_scale, Parkinson, MNIST t10k from $HG_DATASETS; Fashion-MNIST from the Debian package);\n"
                           "logreg on heart_scale gives the same hypergradient on one rank and on all; krr on Parkinson\n"
                           "(split in thirds, standardized) agrees with its direct-solve hypergradient.  Skips (77) without data.\n";
#include "hgtest.h"
#include <unistd.h>

static PetscErrorCode Sizes(HGData *d, const char *what, PetscInt M, PetscInt N, PetscReal nnz, PetscInt nclasses, PetscReal ysum)
{
  PetscReal s;

  PetscFunctionBegin;
  HGTEST_CHECK(d->nsamples == M && d->nfeatures == N, "%s: %" PetscInt_FMT " x %" PetscInt_FMT ", expected %" PetscInt_FMT " x %" PetscInt_FMT, what, d->nsamples, d->nfeatures, M, N);
  HGTEST_CHECK(d->nclasses == nclasses, "%s: %" PetscInt_FMT " classes, expected %" PetscInt_FMT, what, d->nclasses, nclasses);
  if (nnz >= 0) {
    MatInfo info;
    PetscCall(MatGetInfo(d->X, MAT_GLOBAL_SUM, &info));
    HGTEST_CHECK(info.nz_used == nnz, "%s: %g nonzeros, expected %g", what, (double)info.nz_used, (double)nnz);
  }
  PetscCall(VecSum(d->y, &s));
  HGTEST_CHECK(s == ysum, "%s: the labels sum to %g, expected %g", what, (double)s, (double)ysum);
  PetscFunctionReturn(0);
}

static PetscErrorCode LoadPath(const char *dir, const char *file, HGData *d)
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", dir, file));
  PetscCall(HGDataLoad(PETSC_COMM_WORLD, path, NULL, HG_DATA_AUTO, d));
  PetscFunctionReturn(0);
}

/* Fraction of the points of set s whose label nearest to the kernel prediction sum_j k(x_i, x_j) w_j
   (Gaussian, widths gamma) is their own; computed here, independently of krr.c */
static PetscErrorCode KernelAccuracy(HGData *tr, HGData *s, const PetscScalar *w, const PetscReal *gamma, const PetscReal cls[2], PetscReal *acc)
{
  PetscScalar *xt, *xs, *ys;
  PetscInt     p = tr->nfeatures, hits = 0;

  PetscFunctionBegin;
  PetscCall(HGDataGatherDense(tr, &xt));
  PetscCall(HGDataGatherDense(s, &xs));
  PetscCall(HGVecGatherAll(s->y, &ys));
  for (PetscInt i = 0; i < s->nsamples; i++) {
    PetscReal pred = 0;
    for (PetscInt j = 0; j < tr->nsamples; j++) {
      PetscReal d = 0;
      for (PetscInt k = 0; k < p; k++) d += gamma[k] * PetscSqr(PetscRealPart(xs[i * p + k] - xt[j * p + k]));
      pred += PetscExpReal(-d) * PetscRealPart(w[j]);
    }
    if ((pred > 0.5 * (cls[0] + cls[1]) ? cls[1] : cls[0]) == PetscRealPart(ys[i])) hits++;
  }
  *acc = (PetscReal)hits / (PetscReal)s->nsamples;
  PetscCall(PetscFree(xt));
  PetscCall(PetscFree(xs));
  PetscCall(PetscFree(ys));
  PetscFunctionReturn(0);
}

/* logreg hypergradient (ITD through 50 gd steps) on heart_scale split in two, on comm */
static PetscErrorCode HeartHypergradient(MPI_Comm comm, const char *dir, PetscScalar **h)
{
  char      path[PETSC_MAX_PATH_LEN];
  HGProblem prob;
  HG        hg;
  Vec       lambda, g;
  PetscInt  n;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/libsvm_heart_scale/heart_scale", dir));
  PetscCall(PetscOptionsSetValue(NULL, "-data", path));
  PetscCall(PetscOptionsSetValue(NULL, "-data_split", "0.5,0.5"));
  PetscCall(HGTestProblem(comm, HGPROBLEMLOGREG, &prob));
  PetscCall(PetscOptionsClearValue(NULL, "-data"));
  PetscCall(PetscOptionsClearValue(NULL, "-data_split"));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &g));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGTestMethod(prob, HGITD, HGLOWERGD, NULL, 50, PETSC_DEFAULT, &hg));
  PetscCall(HGTestCompute(hg, lambda, g));
  PetscCall(VecGetSize(g, &n));
  HGTEST_CHECK(n == 13, "logreg on heart_scale has %" PetscInt_FMT " hyperparameters, expected 13", n);
  PetscCall(HGVecGatherAll(g, h));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&g));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  const char *dir = getenv("HG_DATASETS"), *fdir = getenv("HG_FASHION_MNIST");
  char        check[PETSC_MAX_PATH_LEN], fashion[PETSC_MAX_PATH_LEN];
  PetscBool   have, havef, verbose = PETSC_FALSE;
  HGData      d;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCall(PetscSNPrintf(check, sizeof(check), "%s/libsvm_a9a/a9a", dir ? dir : "."));
  /* Debian's dataset-fashion-mnist, or the directory in $HG_FASHION_MNIST */
  PetscCall(PetscSNPrintf(fashion, sizeof(fashion), "%s/t10k-images-idx3-ubyte.gz", fdir ? fdir : "/usr/share/datasets/fashion-mnist"));
  have  = (dir && !access(check, R_OK)) ? PETSC_TRUE : PETSC_FALSE;
  havef = !access(fashion, R_OK) ? PETSC_TRUE : PETSC_FALSE;
  if (!have && !havef) {
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "t600-data-real: skipped: no real data sets ($HG_DATASETS=%s has no libsvm_a9a/a9a, and %s is absent: apt-get install dataset-fashion-mnist)\n", dir ? dir : "(unset)", fashion));
    PetscCall(PetscFinalize());
    return 77;
  }
  if (have) {
    PetscScalar *h1, *hn;
    PetscReal    err = 0, nrm = 0;

    PetscCall(LoadPath(dir, "libsvm_a9a/a9a", &d));
    PetscCall(Sizes(&d, "a9a", 32561, 123, 451592, 2, 7841.0 - 24720.0));
    PetscCall(HGDataDestroy(&d));
    PetscCall(LoadPath(dir, "libsvm_a9a/a9a.t", &d));
    PetscCall(Sizes(&d, "a9a.t", 16281, 123, 225732, 2, 3846.0 - 12435.0));
    PetscCall(HGDataDestroy(&d));
    PetscCall(LoadPath(dir, "libsvm_heart_scale/heart_scale", &d));
    PetscCall(Sizes(&d, "heart_scale", 270, 13, 3378, 2, 120.0 - 150.0));
    PetscCall(HGDataDestroy(&d));
    {
      char              path[PETSC_MAX_PATH_LEN];
      HGDataLoadOptions o;
      PetscCall(HGDataLoadOptionsDefault(&o));
      PetscCall(PetscStrncpy(o.csv_label, "status", sizeof(o.csv_label)));
      o.csv_nskip = 1;
      PetscCall(PetscStrncpy(o.csv_skip[0], "name", sizeof(o.csv_skip[0])));
      PetscCall(PetscSNPrintf(path, sizeof(path), "%s/parkinsons/parkinsons.data", dir));
      PetscCall(HGDataLoadWithOptions(PETSC_COMM_WORLD, path, NULL, HG_DATA_AUTO, &o, &d));
      PetscCall(Sizes(&d, "parkinsons.data", 195, 22, -1, 2, 147.0));
      PetscCall(HGDataDestroy(&d));
    }
    PetscCall(LoadPath(dir, "mnist-t10k/t10k-images-idx3-ubyte.gz", &d));
    {
      PetscReal lo, hi, ysum;
      PetscCall(VecSum(d.y, &ysum));
      PetscCall(Sizes(&d, "MNIST t10k", 10000, 784, -1, 10, ysum));
      PetscCall(MatNorm(d.X, NORM_INFINITY, &hi)); /* largest row sum of pixels in [0, 1] */
      HGTEST_CHECK(hi > 1 && hi <= 784, "MNIST t10k: largest row sum %g is outside (1, 784]", (double)hi);
      PetscCall(VecMin(d.y, NULL, &lo));
      PetscCall(VecMax(d.y, NULL, &hi));
      HGTEST_CHECK(lo == 0 && hi == 9, "MNIST t10k: labels in [%g, %g], expected [0, 9]", (double)lo, (double)hi);
    }
    PetscCall(HGDataDestroy(&d));

    /* logreg on heart_scale: one rank and all ranks agree */
    PetscCall(HeartHypergradient(PETSC_COMM_WORLD, dir, &hn));
    PetscCall(HeartHypergradient(PETSC_COMM_SELF, dir, &h1));
    for (PetscInt i = 0; i < 13; i++) err = PetscMax(err, PetscAbsScalar(hn[i] - h1[i])), nrm = PetscMax(nrm, PetscAbsScalar(h1[i]));
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "heart_scale logreg: max |h| %.3e, ranks vs one rank %.3e\n", (double)nrm, (double)err));
    HGTEST_CHECK(nrm > 0 && err <= 1e-12 * nrm, "heart_scale logreg: hypergradient on all ranks differs from one rank by %g (max |h| %g)", (double)err, (double)nrm);
    PetscCall(PetscFree(h1));
    PetscCall(PetscFree(hn));

    /* krr on Parkinson (the paper's setting: thirds, standardized, exp parametrization) */
    {
      char      path[PETSC_MAX_PATH_LEN];
      HGProblem prob;
      HG        hg;
      Vec       lambda, h, hx;
      PetscReal rel, f;
      PetscInt  n;
      HGData    dtr, dva, dte;
      PetscBool found;
      PetscCall(PetscSNPrintf(path, sizeof(path), "%s/parkinsons/parkinsons.data", dir));
      PetscCall(PetscOptionsSetValue(NULL, "-data", path));
      PetscCall(PetscOptionsSetValue(NULL, "-data_csv_skip_columns", "name"));
      PetscCall(PetscOptionsSetValue(NULL, "-data_csv_label_column", "status"));
      PetscCall(PetscOptionsSetValue(NULL, "-data_standardize", "1"));
      PetscCall(PetscOptionsSetValue(NULL, "-krr_exp", "1"));
      PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMKRR, &prob));
      PetscCall(HGDataGetFromOptions(PETSC_COMM_WORLD, NULL, &found, &dtr, &dva, &dte)); /* the same split, for the accuracy check */
      HGTEST_CHECK(found && dte.X, "krr on Parkinson: the data options gave no training/validation/test split");
      PetscCall(PetscOptionsClearValue(NULL, "-data"));
      PetscCall(PetscOptionsClearValue(NULL, "-data_csv_skip_columns"));
      PetscCall(PetscOptionsClearValue(NULL, "-data_csv_label_column"));
      PetscCall(PetscOptionsClearValue(NULL, "-data_standardize"));
      PetscCall(PetscOptionsClearValue(NULL, "-krr_exp"));
      PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
      PetscCall(VecGetSize(lambda, &n));
      HGTEST_CHECK(n == 23, "krr on Parkinson: %" PetscInt_FMT " hyperparameters, expected 23 (beta and 22 widths)", n);
      PetscCall(VecDuplicate(lambda, &h));
      PetscCall(VecDuplicate(lambda, &hx));
      PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
      PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCG, 2000, 200, &hg));
      PetscCall(HGTestCompute(hg, lambda, h));
      PetscCall(HGProblemComputeExactHypergradient(prob, lambda, hx, &f));
      PetscCall(HGTestRelDiff(h, hx, &rel));
      if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "Parkinson krr: f = %.6e, AID-CG (t = 2000) vs direct solve %.3e\n", (double)f, (double)rel));
      HGTEST_CHECK(rel < 1e-8, "krr on Parkinson: AID-CG differs from the direct-solve hypergradient by %.3e", (double)rel);
      /* accuracies of the binary classifier (status 0/1) against predictions computed here */
      {
        Vec          w;
        PetscScalar *wa, *la;
        PetscReal    gamma[64], cls[2] = {0, 1}, av, at, bv, bt, *c;
        PetscInt     nc;
        PetscCall(HGDataGetClasses(&dtr, &nc, &c));
        HGTEST_CHECK(nc == 2 && n - 1 <= 64, "krr on Parkinson: %" PetscInt_FMT " label values (expected 2)", nc);
        cls[0] = c[0], cls[1] = c[1];
        PetscCall(PetscFree(c));
        PetscCall(HGGetLowerSolution(hg, &w));
        PetscCall(HGVecGatherAll(w, &wa));
        PetscCall(HGVecGatherAll(lambda, &la));
        for (PetscInt k = 0; k < n - 1; k++) gamma[k] = PetscExpReal(PetscRealPart(la[k + 1])); /* -krr_exp */
        PetscCall(HGProblemComputeAccuracy(prob, w, lambda, &av, &at));
        PetscCall(KernelAccuracy(&dtr, &dva, wa, gamma, cls, &bv));
        PetscCall(KernelAccuracy(&dtr, &dte, wa, gamma, cls, &bt));
        if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "Parkinson krr accuracy: validation %.4f (here %.4f), test %.4f (here %.4f)\n", (double)av, (double)bv, (double)at, (double)bt));
        HGTEST_CHECK(av == bv && at == bt, "krr on Parkinson: accuracy callback gives validation %g, test %g; computed here %g, %g", (double)av, (double)at, (double)bv, (double)bt);
        HGTEST_CHECK(av > 0.7 && at > 0.7, "krr on Parkinson: accuracies %g, %g at the initial lambda are below 0.7 (the majority class holds 75 %%)", (double)av, (double)at);
        PetscCall(PetscFree(wa));
        PetscCall(PetscFree(la));
      }
      PetscCall(HGDataDestroy(&dtr));
      PetscCall(HGDataDestroy(&dva));
      PetscCall(HGDataDestroy(&dte));
      PetscCall(VecDestroy(&lambda));
      PetscCall(VecDestroy(&h));
      PetscCall(VecDestroy(&hx));
      PetscCall(HGDestroy(&hg));
      PetscCall(HGProblemDestroy(&prob));
    }
  } else PetscCall(PetscPrintf(PETSC_COMM_WORLD, "t600-data-real: $HG_DATASETS (%s) absent: only Fashion-MNIST is checked\n", dir ? dir : "(unset)"));
  if (havef) {
    PetscCall(HGDataLoad(PETSC_COMM_WORLD, fashion, NULL, HG_DATA_AUTO, &d));
    PetscCall(Sizes(&d, "Fashion-MNIST t10k", 10000, 784, -1, 10, 45000.0)); /* 1000 images per class */
    PetscCall(HGDataDestroy(&d));
  } else PetscCall(PetscPrintf(PETSC_COMM_WORLD, "t600-data-real: %s absent (apt-get install dataset-fashion-mnist): not checked\n", fashion));
  PetscCall(PetscFinalize());
  return 0;
}
