static const char help[] = "t520-eqm-mnist: the eqm problem on real images (MNIST t10k from $HG_DATASETS, else Fashion-MNIST t10k\n"
                           "  from the Debian package), 600 samples split in train/validation/test and standardized, through the\n"
                           "  data options: every callback against finite differences, AID-GMRES against finite differences of f,\n"
                           "  N ranks = 1 rank for the hypergradient and the accuracies.  Skips (77) without data.\n";
#include "hgtest.h"
#include <unistd.h>

/* The hypergradient (AID-GMRES, t = k = 40) and the accuracies on comm; with check, also the
   callbacks and the hypergradient against finite differences */
static PetscErrorCode Run(MPI_Comm comm, PetscBool check, PetscScalar **hall, PetscInt *n, PetscReal acc[2])
{
  HGProblem prob;
  HG        hg;
  Vec       lambda, h, w;
  PetscReal err;
  PetscBool verbose = PETSC_FALSE;
  PetscReal fdh     = 1e-4; /* E sums hundreds of examples: rounding dominates central differences below 1e-5 */

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-fd_h", &fdh, NULL));
  PetscCall(HGTestProblem(comm, HGPROBLEMEQM, &prob));
  PetscCall(HGProblemCreateVecs(prob, &w, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  if (check) {
    PetscCall(VecSetRandom(w, NULL));
    PetscCall(VecScale(w, 0.5));
    PetscCall(HGProblemTestDerivatives(prob, w, lambda, fdh, verbose ? PETSC_VIEWER_STDOUT_(comm) : NULL, &err));
    HGTEST_CHECK(err < 1e-6, "eqm on images: a callback disagrees with finite differences (largest relative error %g)", (double)err);
  }
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPGMRES, 40, PETSC_DEFAULT, &hg));
  PetscCall(HGSetComputeBounds(hg, PETSC_FALSE)); /* the error bounds are not under test here */
  PetscCall(HGTestCompute(hg, lambda, h));
  if (check) {
    PetscViewer quiet;
    PetscCall(PetscViewerASCIIOpen(comm, "/dev/null", &quiet));
    PetscCall(HGTestHypergradient(hg, lambda, h, 3, fdh, quiet, &err));
    PetscCall(PetscViewerDestroy(&quiet));
    HGTEST_CHECK(err < 1e-6, "eqm on images: AID-GMRES differs from finite differences of f by %g (relative)", (double)err);
  }
  {
    Vec wt;
    PetscCall(HGGetLowerSolution(hg, &wt));
    PetscCall(HGProblemComputeAccuracy(prob, wt, lambda, &acc[0], &acc[1]));
  }
  PetscCall(VecGetSize(h, n));
  PetscCall(HGVecGatherAll(h, hall));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&w));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  const char  *dir = getenv("HG_DATASETS"), *fashion = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  char         path[PETSC_MAX_PATH_LEN];
  PetscScalar *hp, *hs;
  PetscInt     n, ns;
  PetscReal    ap[2], as[2], dn = 0, nn = 0;
  PetscMPIInt  size;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/mnist-t10k/t10k-images-idx3-ubyte.gz", dir ? dir : "."));
  if (!dir || access(path, R_OK)) {
    if (access(fashion, R_OK)) {
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "t520-eqm-mnist: skipped: no images (%s is absent, and so is %s: apt-get install dataset-fashion-mnist)\n", path, fashion));
      PetscCall(PetscFinalize());
      return 77;
    }
    PetscCall(PetscStrncpy(path, fashion, sizeof(path)));
  }
  PetscCall(PetscOptionsSetValue(NULL, "-data", path));
  PetscCall(PetscOptionsSetValue(NULL, "-data_max_samples", "600"));
  PetscCall(PetscOptionsSetValue(NULL, "-data_split", "0.5,0.25,0.25"));
  PetscCall(PetscOptionsSetValue(NULL, "-data_standardize", NULL));
  PetscCall(PetscOptionsSetValue(NULL, "-eqm_h", "16"));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(Run(PETSC_COMM_WORLD, PETSC_TRUE, &hp, &n, ap));
  PetscCall(Run(PETSC_COMM_SELF, PETSC_FALSE, &hs, &ns, as));
  HGTEST_CHECK(n == ns, "hypergradient sizes differ: %" PetscInt_FMT " on %d ranks, %" PetscInt_FMT " on one", n, size, ns);
  for (PetscInt i = 0; i < n; i++) {
    dn += PetscSqr(PetscRealPart(hp[i] - hs[i]));
    nn += PetscSqr(PetscRealPart(hs[i]));
  }
  HGTEST_CHECK(PetscSqrtReal(dn) <= 1e-12 * PetscSqrtReal(nn), "eqm on images: the hypergradient on %d ranks differs from 1 rank by %g relative", size, (double)(PetscSqrtReal(dn) / PetscSqrtReal(nn)));
  HGTEST_CHECK(ap[0] == as[0] && ap[1] == as[1], "accuracies on %d ranks (%g, %g) differ from one rank (%g, %g)", size, (double)ap[0], (double)ap[1], (double)as[0], (double)as[1]);
  HGTEST_CHECK(ap[0] >= 0 && ap[0] <= 1 && ap[1] >= 0 && ap[1] <= 1, "accuracies outside [0,1]: %g %g", (double)ap[0], (double)ap[1]);
  PetscCall(PetscFree(hp));
  PetscCall(PetscFree(hs));
  PetscCall(PetscFinalize());
  return 0;
}
