static const char help[] = "t100: finite-difference checks of every callback of a catalogue problem (-problem); -tol <1e-6>.\n";
#include "hgtest.h"

int main(int argc, char **argv)
{
  HGProblem prob;
  Vec       w, lambda;
  PetscReal maxrel;
  char      type[64] = HGPROBLEMQUADRATIC;
  PetscBool verbose  = PETSC_FALSE;
  PetscReal tol      = 1e-6;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-problem", type, sizeof(type), NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-tol", &tol, NULL));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, type, &prob));
  PetscCall(HGProblemCreateVecs(prob, &w, &lambda));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecSetRandom(w, NULL));
  PetscCall(VecScale(w, 0.5));
  PetscCall(HGProblemTestDerivatives(prob, w, lambda, 1e-6, verbose ? PETSC_VIEWER_STDOUT_WORLD : NULL, &maxrel));
  HGTEST_CHECK(maxrel < tol, "problem %s: a callback disagrees with finite differences (largest relative error %g > %g); rerun with -verbose", type, (double)maxrel, (double)tol);
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
