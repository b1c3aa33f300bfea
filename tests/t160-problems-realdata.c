static const char help[] = "t160: a catalogue problem (-problem) on a real data set given by the -data_* options: its\n"
                           "callbacks against finite differences, the whole hypergradient (AID-CG, heavy-ball lower level\n"
                           "converged) against finite differences of f, and, for classifiers, a validation accuracy above\n"
                           "chance after the lower solve.  Exits 77 (skipped) with a message when a data file is absent.\n"
                           "  -ndir <2>  -tol <1e-6>  -min_accuracy <0>  -verbose\n";
#include "hgtest.h"

#include <unistd.h>

/* 77 when a file named by a data option is absent */
static PetscErrorCode CheckFiles(PetscBool *absent)
{
  const char *opts[] = {"-data", "-data_labels", "-data_train", "-data_train_labels", "-data_val", "-data_val_labels", "-data_test", "-data_test_labels"};
  char        path[PETSC_MAX_PATH_LEN];
  PetscBool   set;

  PetscFunctionBegin;
  *absent = PETSC_FALSE;
  for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
    PetscCall(PetscOptionsGetString(NULL, NULL, opts[i], path, sizeof(path), &set));
    if (set && access(path, R_OK)) {
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "t160: skipped: %s %s is not readable (real data sets live in $HG_DATASETS or /usr/share/datasets; see datasets/README.md)\n", opts[i], path));
      *absent = PETSC_TRUE;
      break;
    }
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem   prob;
  HG          hg;
  HGLower     lower;
  HGInfo      info;
  Vec         w, lambda, h, wsol;
  PetscViewer viewer;
  char        type[64] = HGPROBLEMQUADRATIC;
  PetscInt    ndir = 2;
  PetscReal   tol = 1e-6, minacc = 0, maxrel, val, test;
  PetscBool   verbose = PETSC_FALSE, absent;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(CheckFiles(&absent));
  if (absent) {
    PetscCall(PetscFinalize());
    return 77;
  }
  PetscCall(PetscOptionsGetString(NULL, NULL, "-problem", type, sizeof(type), NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-ndir", &ndir, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-tol", &tol, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-min_accuracy", &minacc, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  if (verbose) viewer = PETSC_VIEWER_STDOUT_WORLD;
  else PetscCall(PetscViewerASCIIOpen(PETSC_COMM_WORLD, "/dev/null", &viewer));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, type, &prob));
  if (verbose) PetscCall(HGProblemView(prob, viewer));
  PetscCall(HGProblemCreateVecs(prob, &w, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));

  /* 1. callbacks at a random w */
  {
    PetscRandom rnd;
    PetscCall(PetscRandomCreate(PETSC_COMM_WORLD, &rnd));
    PetscCall(PetscRandomSetInterval(rnd, -0.1, 0.1));
    PetscCall(PetscRandomSetSeed(rnd, 160));
    PetscCall(PetscRandomSeed(rnd));
    PetscCall(VecSetRandom(w, rnd));
    PetscCall(PetscRandomDestroy(&rnd));
  }
  PetscCall(HGProblemTestDerivatives(prob, w, lambda, 1e-6, viewer, &maxrel));
  HGTEST_CHECK(maxrel < 1e-5, "%s on real data: a callback disagrees with finite differences (largest relative error %g); rerun with -verbose", type, (double)maxrel);

  /* 2. the whole hypergradient on the converged lower problem */
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERHEAVYBALL, KSPCG, 100000, 5000, &hg));
  PetscCall(HGGetLower(hg, &lower));
  PetscCall(HGLowerSetTolerances(lower, 1e-12, 0.0, 1e8));
  PetscCall(PetscOptionsSetValue(NULL, "-hg_adjoint_rtol", "1e-12"));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(PetscOptionsClearValue(NULL, "-hg_adjoint_rtol"));
  PetscCall(HGTestCompute(hg, lambda, h));
  PetscCall(HGGetInfo(hg, &info));
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: AID-CG, heavy ball t = %" PetscInt_FMT ", k = %" PetscInt_FMT ", E = %g\n", type, info.lower_its, info.adjoint_its, (double)info.upper_objective));
  PetscCall(HGTestHypergradient(hg, lambda, h, ndir, 1e-5, viewer, &maxrel));
  HGTEST_CHECK(maxrel <= tol, "%s on real data: the hypergradient differs from finite differences of f by %g relative (> %g); rerun with -verbose", type, (double)maxrel, (double)tol);

  /* 3. accuracy of the trained classifier (NaN for problems without one) */
  PetscCall(HGGetLowerSolution(hg, &wsol));
  PetscCall(HGProblemComputeAccuracy(prob, wsol, lambda, &val, &test));
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: validation accuracy %g, test accuracy %g\n", type, (double)val, (double)test));
  if (minacc > 0) {
    HGTEST_CHECK(val >= minacc && val <= 1, "%s on real data: validation accuracy %g below %g", type, (double)val, (double)minacc);
    HGTEST_CHECK(PetscIsNanReal(test) || (test >= 0 && test <= 1), "%s on real data: test accuracy %g outside [0, 1]", type, (double)test);
  } else HGTEST_CHECK(PetscIsNanReal(val) && PetscIsNanReal(test), "%s has no classifier but reports accuracies %g, %g", type, (double)val, (double)test);

  PetscCall(HGDestroy(&hg));
  if (!verbose) PetscCall(PetscViewerDestroy(&viewer));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
