static const char help[] = "t171: image files of the denoising problem.  A file written here (3 images of 10 x 8) is read\n"
                           "back through the problem (-N grad E(0) = clean, -N grad l(0) = noisy with e^theta0 ~ 0, N = 3)\n"
                           "for images [1, 3); a file with /clean only gets Gaussian noise of the given sigma, the same on\n"
                           "any number of ranks; bad files and options give an error on every rank that names the file\n"
                           "and the problem.  -verbose\n";
#include "hgtest.h"
#include <petscdmda.h>
#include <hdf5.h>

#define NI 3
#define HH 10
#define WW 8

static PetscReal CleanValue(PetscInt d, PetscInt r, PetscInt c) { return (d * 80 + r * 8 + c) / 240.0; }
static PetscReal NoisyValue(PetscInt d, PetscInt r, PetscInt c) { return 0.25 + 0.5 * CleanValue(NI - 1 - d, r, WW - 1 - c); }

/* Write datasets (rank 0): names[k] of rank ranks[k] with dims dimsk, values v(k, d, r, c) */
typedef struct {
  const char *name;
  int         rank;
  hsize_t     dims[3];
  int         kind;  /* 0 clean, 1 noisy */
  PetscInt    bad_d, bad_r, bad_c;
  PetscReal   bad;   /* value put at (bad_d, bad_r, bad_c) when bad_d >= 0 */
} DSet;

static PetscErrorCode WriteFile(const char *path, PetscInt n, const DSet *ds)
{
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (!rank) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    PetscCheck(f >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot create %s", path);
    for (PetscInt k = 0; k < n; k++) {
      hsize_t   tot = 1;
      PetscReal *v;
      hid_t     sp, dset;
      for (int a = 0; a < ds[k].rank; a++) tot *= ds[k].dims[a];
      PetscCall(PetscMalloc1(tot, &v));
      for (hsize_t i = 0; i < tot; i++) {
        PetscInt d = (PetscInt)(i / (HH * WW)), r = (PetscInt)((i / WW) % HH), c = (PetscInt)(i % WW);
        v[i]       = ds[k].kind ? NoisyValue(d % NI, r, c) : CleanValue(d % NI, r, c);
        if (ds[k].bad_d >= 0 && d == ds[k].bad_d && r == ds[k].bad_r && c == ds[k].bad_c) v[i] = ds[k].bad;
      }
      sp   = H5Screate_simple(ds[k].rank, ds[k].dims, NULL);
      dset = H5Dcreate2(f, ds[k].name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      PetscCheck(H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write %s", path);
      H5Dclose(dset);
      H5Sclose(sp);
      PetscCall(PetscFree(v));
    }
    H5Fclose(f);
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

static PetscErrorCode Make(MPI_Comm comm, const char *prefix, const char *opts, HGProblem *prob, PetscErrorCode *ierr)
{
  char buf[4 * PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(buf, sizeof(buf), opts, prefix, prefix, prefix, prefix, prefix));
  PetscCall(PetscOptionsInsertString(NULL, buf));
  PetscCall(HGProblemCreate(comm, prob));
  PetscCall(HGProblemSetOptionsPrefix(*prob, prefix));
  PetscCall(HGProblemSetType(*prob, HGPROBLEMDENOISE));
  PetscCall(HGProblemSetFromOptions(*prob));
  if (ierr) {
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    *ierr = HGProblemSetUp(*prob);
    PetscCall(PetscPopErrorHandler());
  } else PetscCall(HGProblemSetUp(*prob));
  PetscFunctionReturn(0);
}

static PetscErrorCode Natural(HGProblem prob, Vec g, PetscScalar **all)
{
  DM  da;
  Vec nat;

  PetscFunctionBegin;
  PetscCall(HGProblemDenoiseGetDM(prob, &da));
  PetscCall(DMDACreateNaturalVector(da, &nat));
  PetscCall(DMDAGlobalToNaturalBegin(da, g, INSERT_VALUES, nat));
  PetscCall(DMDAGlobalToNaturalEnd(da, g, INSERT_VALUES, nat));
  PetscCall(HGVecGatherAll(nat, all));
  PetscCall(VecDestroy(&nat));
  PetscFunctionReturn(0);
}

/* -N grad E(0) (the clean images) and -N grad l(0) at theta0 = -700 (the noisy ones), natural order */
static PetscErrorCode Images(HGProblem prob, PetscReal N, PetscScalar **clean, PetscScalar **noisy)
{
  Vec w, lambda, g, gl;

  PetscFunctionBegin;
  PetscCall(HGProblemCreateVecs(prob, &w, &lambda));
  PetscCall(VecDuplicate(w, &g));
  PetscCall(VecDuplicate(lambda, &gl));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecSetValue(lambda, 0, -700.0, INSERT_VALUES)); /* every rank inserts the same value */
  PetscCall(VecAssemblyBegin(lambda));
  PetscCall(VecAssemblyEnd(lambda));
  PetscCall(VecSet(w, 0.0));
  PetscCall(HGProblemComputeUpperGradient(prob, w, lambda, g, gl));
  PetscCall(VecScale(g, -N));
  PetscCall(Natural(prob, g, clean));
  PetscCall(HGProblemComputeLowerGradient(prob, w, lambda, g));
  PetscCall(VecScale(g, -N));
  PetscCall(Natural(prob, g, noisy));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&g));
  PetscCall(VecDestroy(&gl));
  PetscCall(VecDestroy(&lambda));
  PetscFunctionReturn(0);
}

typedef struct {
  const char *file;    /* written here unless it is "missing" */
  const char *extra;   /* more options (%s: the prefix) */
  const char *expect, *expect2;
  PetscInt    nds;
  DSet        ds[2];
} Bad;

int main(int argc, char **argv)
{
  PetscBool   verbose = PETSC_FALSE;
  PetscMPIInt size;
  char        path[PETSC_MAX_PATH_LEN], opts[3 * PETSC_MAX_PATH_LEN];
  HGProblem   prob, pself;
  PetscScalar *c, *y, *c1, *y1;
  const DSet  clean = {"clean", 3, {NI, HH, WW}, 0, -1, 0, 0, 0}, noisy = {"noisy", 3, {NI, HH, WW}, 1, -1, 0, 0, 0};

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));

  /* 1. a good file: images [1, 3) read back */
  {
    DSet ds[2] = {clean, noisy};
    PetscCall(PetscSNPrintf(path, sizeof(path), "t171-np%d-good.h5", size));
    PetscCall(WriteFile(path, 2, ds));
    PetscCall(PetscSNPrintf(opts, sizeof(opts), "-%%sdenoise_file %s -%%sdenoise_first 1 -%%sdenoise_count 2", path));
    PetscCall(Make(PETSC_COMM_WORLD, "good_", opts, &prob, NULL));
    PetscCall(Images(prob, NI, &c, &y));
    for (PetscInt r = 0; r < HH; r++)
      for (PetscInt cc = 0; cc < WW; cc++)
        for (PetscInt d = 0; d < 2; d++) {
          PetscInt k = (r * WW + cc) * 2 + d;
          HGTEST_CHECK(PetscAbsScalar(c[k] - CleanValue(1 + d, r, cc)) < 1e-14, "clean image %d, pixel (%d, %d) read as %g, written %g", (int)(1 + d), (int)r, (int)cc, (double)PetscRealPart(c[k]), (double)CleanValue(1 + d, r, cc));
          HGTEST_CHECK(PetscAbsScalar(y[k] - NoisyValue(1 + d, r, cc)) < 1e-14, "noisy image %d, pixel (%d, %d) read as %g, written %g", (int)(1 + d), (int)r, (int)cc, (double)PetscRealPart(y[k]), (double)NoisyValue(1 + d, r, cc));
        }
    PetscCall(PetscFree(c));
    PetscCall(PetscFree(y));
    PetscCall(HGProblemDestroy(&prob));
  }

  /* 2. /clean only: noise of standard deviation sigma, identical on one rank */
  {
    DSet      ds[1] = {clean};
    PetscReal m = 0, s = 0, sigma = 0.1, maxd = 0;
    PetscInt  n = HH * WW * NI;
    PetscCall(PetscSNPrintf(path, sizeof(path), "t171-np%d-cleanonly.h5", size));
    PetscCall(WriteFile(path, 1, ds));
    PetscCall(PetscSNPrintf(opts, sizeof(opts), "-%%sdenoise_file %s -%%sdenoise_sigma 0.1 -%%sdenoise_seed 5", path));
    PetscCall(Make(PETSC_COMM_WORLD, "co_", opts, &prob, NULL));
    PetscCall(Make(PETSC_COMM_SELF, "co_", opts, &pself, NULL));
    PetscCall(Images(prob, NI, &c, &y));
    PetscCall(Images(pself, NI, &c1, &y1));
    for (PetscInt k = 0; k < n; k++) {
      m += PetscRealPart(y[k] - c[k]) / n;
      s += PetscSqr(PetscRealPart(y[k] - c[k])) / n;
      maxd = PetscMax(maxd, PetscAbsScalar(y[k] - y1[k]));
    }
    s = PetscSqrtReal(s - m * m);
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  noise: mean %.4f, std %.4f (sigma %.2f), %d ranks vs 1: %.1e\n", (double)m, (double)s, (double)sigma, size, (double)maxd));
    HGTEST_CHECK(PetscAbsReal(s - sigma) < 0.15 * sigma && PetscAbsReal(m) < 0.3 * sigma, "noise of mean %g and standard deviation %g, sigma %g asked", (double)m, (double)s, (double)sigma);
    HGTEST_CHECK(maxd == 0, "the noise differs between %d ranks and one (%g)", size, (double)maxd);
    PetscCall(PetscFree(c));
    PetscCall(PetscFree(y));
    PetscCall(PetscFree(c1));
    PetscCall(PetscFree(y1));
    PetscCall(HGProblemDestroy(&prob));
    PetscCall(HGProblemDestroy(&pself));
  }

  /* 3. bad files and options */
  {
    const Bad bad[] = {
      {"missing", "", "cannot open", NULL, 0, {clean, noisy}},
      {"noclean", "", "no dataset clean", NULL, 1, {noisy, noisy}},
      {"rank2", "", "has 2 dimensions", "expected 3", 1, {{"clean", 2, {HH, WW, 0}, 0, -1, 0, 0, 0}, noisy}},
      {"mismatch", "", "must pair", "/noisy is 3 x 10 x 7", 2, {clean, {"noisy", 3, {NI, HH, WW - 1}, 1, -1, 0, 0, 0}}},
      {"nan", "", "NaN", "image 1, row 2, column 3", 2, {{"clean", 3, {NI, HH, WW}, 0, 1, 2, 3, NAN}, noisy}},
      {"range", "", "outside [0, 1]", "image 0, row 4, column 5", 2, {{"clean", 3, {NI, HH, WW}, 0, 0, 4, 5, 1.5}, noisy}},
      {"noisyrange", "", "outside [0, 1]", "/noisy, image 2, row 9, column 7", 2, {clean, {"noisy", 3, {NI, HH, WW}, 1, 2, 9, 7, -0.2}}},
      {"count", "-%sdenoise_first 2 -%sdenoise_count 2", "not all in the data set", "-denoise_count", 2, {clean, noisy}},
      {"ntotal", "-%sdenoise_ntotal 2", "smaller than the 3 images", NULL, 2, {clean, noisy}},
      {"filter", "-%sdenoise_reg foe -%sdenoise_foe_size 11 -%sdenoise_foe_filters 8", "smaller than the 11 x 11 filters", NULL, 2, {clean, noisy}},
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
      PetscErrorCode ierr;
      char           prefix[32], fmt[3 * PETSC_MAX_PATH_LEN], *msg = NULL, *has;

      PetscCall(PetscSNPrintf(path, sizeof(path), "t171-np%d-%s.h5", size, bad[k].file));
      if (bad[k].nds) PetscCall(WriteFile(path, bad[k].nds, bad[k].ds));
      PetscCall(PetscSNPrintf(prefix, sizeof(prefix), "b%d_", (int)k));
      PetscCall(PetscSNPrintf(fmt, sizeof(fmt), "-%%sdenoise_file %s %s", path, bad[k].extra));
      PetscCall(Make(PETSC_COMM_WORLD, prefix, fmt, &prob, &ierr));
      HGTEST_CHECK(ierr != 0, "%s: set-up succeeded, an error was expected (\"%s\")", bad[k].file, bad[k].expect);
      PetscCall(PetscErrorMessage(ierr, NULL, &msg));
      if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %-10s -> [%d] %s\n", bad[k].file, (int)ierr, msg));
      PetscCall(PetscStrstr(msg, bad[k].expect, &has));
      HGTEST_CHECK(has, "%s: the message \"%s\" does not say \"%s\"", bad[k].file, msg, bad[k].expect);
      if (bad[k].expect2) {
        PetscCall(PetscStrstr(msg, bad[k].expect2, &has));
        HGTEST_CHECK(has, "%s: the message \"%s\" does not say \"%s\"", bad[k].file, msg, bad[k].expect2);
      }
      if (bad[k].nds || !strcmp(bad[k].file, "missing")) {
        PetscCall(PetscStrstr(msg, bad[k].nds ? path : "missing", &has));
        HGTEST_CHECK(has || bad[k].extra[0], "%s: the message \"%s\" does not name the file", bad[k].file, msg);
      }
      PetscCall(HGProblemDestroy(&prob));
    }
  }
  PetscCall(PetscFinalize());
  return 0;
}
