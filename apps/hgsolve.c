static const char help[] = "hgsolve: one hypergradient of a bilevel problem.\n\n"
                           "  mpiexec -n 2 ./hgsolve -problem quadratic -hg_type aid -hg_ksp_type cg -lower_max_it 100\n\n";
#include <hypergrad.h>

int main(int argc, char **argv)
{
  HGProblem prob;
  HG        hg;
  Vec       lambda, h;
  PetscReal nrm;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetType(prob, HGPROBLEMQUADRATIC));
  PetscCall(HGProblemSetFromOptions(prob));
  PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGComputeHypergradient(hg, lambda, h));
  PetscCall(VecNorm(h, NORM_2, &nrm));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "||h|| = %.12e\n", (double)nrm));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
