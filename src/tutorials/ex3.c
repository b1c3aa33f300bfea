static const char help[] = "Tutorial 3: the outer loop (hypergradient descent on lambda) with a checkpoint, stopped and resumed.\n\n"
                           "Runs -steps outer steps of Nesterov hypergradient descent in one go; then runs the same loop for\n"
                           "-stop_at steps writing the HDF5 run file -checkpoint, destroys every object, creates them anew,\n"
                           "resumes from the file and runs to -steps. The resumed lambda must equal the uninterrupted one\n"
                           "bit for bit (same number of ranks). The problem is the built-in one chosen by -problem\n"
                           "(default quadratic); any -hg_*, -lower_*, -outer_* option applies.\n"
                           "Options: -steps <12>, -stop_at <5>, -checkpoint <ex3-run.h5>.\n";

#include <hypergrad.h>
#include <stdio.h>

/* Creates the problem, the hypergradient method and the outer loop from the options */
static PetscErrorCode Create(HGProblem *prob, HG *hg, HGOuter *outer, Vec *lambda)
{
  PetscFunctionBeginUser;
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, prob));
  PetscCall(HGProblemSetType(*prob, HGPROBLEMQUADRATIC));
  PetscCall(HGProblemSetFromOptions(*prob));
  PetscCall(HGCreate(PETSC_COMM_WORLD, hg));
  PetscCall(HGSetProblem(*hg, *prob));
  PetscCall(HGSetType(*hg, HGAID));
  PetscCall(HGSetIterations(*hg, 200, 200));
  PetscCall(HGSetFromOptions(*hg));
  PetscCall(HGOuterCreate(PETSC_COMM_WORLD, outer));
  PetscCall(HGOuterSetHG(*outer, *hg));
  PetscCall(HGOuterSetType(*outer, HGOUTERNESTEROV));
  PetscCall(HGOuterSetStepSize(*outer, 0.01));
  PetscCall(HGOuterSetFromOptions(*outer));
  PetscCall(HGProblemCreateVecs(*prob, NULL, lambda));
  PetscCall(HGProblemGetInitialHyperparameters(*prob, *lambda));
  PetscFunctionReturn(0);
}

static PetscErrorCode Destroy(HGProblem *prob, HG *hg, HGOuter *outer, Vec *lambda)
{
  PetscFunctionBeginUser;
  PetscCall(VecDestroy(lambda));
  PetscCall(HGOuterDestroy(outer));
  PetscCall(HGDestroy(hg));
  PetscCall(HGProblemDestroy(prob));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem   prob;
  HG          hg;
  HGOuter     outer;
  Vec         lambda, lref;
  PetscInt    steps = 12, stop_at = 5, it;
  char        file[PETSC_MAX_PATH_LEN] = "ex3-run.h5";
  PetscMPIInt rank;
  PetscReal   diff, nrm;
  const HGOuterRecord *hist;
  PetscInt    nhist;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-steps", &steps, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-stop_at", &stop_at, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-checkpoint", file, sizeof(file), NULL));
  PetscCheck(0 < stop_at && stop_at < steps, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-stop_at must lie in (0, -steps); got %" PetscInt_FMT " and %" PetscInt_FMT, stop_at, steps);
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  /* a new run refuses to replace an existing run file: this program owns its file, so removes it */
  if (rank == 0) (void)remove(file);
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));

  /* 1. the reference: all steps in one go, no checkpoint */
  PetscCall(Create(&prob, &hg, &outer, &lambda));
  PetscCall(HGOuterSetMaxIterations(outer, steps));
  PetscCall(HGOuterSolve(outer, lambda));
  PetscCall(VecDuplicate(lambda, &lref));
  PetscCall(VecCopy(lambda, lref));
  PetscCall(HGOuterGetHistory(outer, &nhist, &hist));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "ex3: uninterrupted: %" PetscInt_FMT " steps, f %.6e -> %.6e\n", nhist, (double)hist[0].upper_objective, (double)hist[nhist - 1].upper_objective));
  PetscCall(Destroy(&prob, &hg, &outer, &lambda));

  /* 2. the first part of the run, with a checkpoint after every step (and at the end) */
  PetscCall(Create(&prob, &hg, &outer, &lambda));
  PetscCall(HGOuterSetCheckpoint(outer, file, 1));
  PetscCall(HGOuterSetMaxIterations(outer, stop_at));
  PetscCall(HGOuterSolve(outer, lambda));
  PetscCall(Destroy(&prob, &hg, &outer, &lambda));

  /* 3. a new start (as after a crash, or in another job): load the file, continue to the end.
        HGOuterLoadCheckpoint() refuses a file of another problem, method or size. */
  PetscCall(Create(&prob, &hg, &outer, &lambda));
  PetscCall(HGOuterSetCheckpoint(outer, file, 1));
  PetscCall(HGOuterSetMaxIterations(outer, steps)); /* counted from the start of the run */
  PetscCall(HGOuterLoadCheckpoint(outer, file, lambda));
  PetscCall(HGOuterGetIterationNumber(outer, &it));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "ex3: resumed from %s at step %" PetscInt_FMT "\n", file, it));
  PetscCheck(it == stop_at, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "ex3: the checkpoint holds step %" PetscInt_FMT ", expected %" PetscInt_FMT, it, stop_at);
  PetscCall(HGOuterSolve(outer, lambda));
  PetscCall(HGOuterGetHistory(outer, &nhist, &hist));
  PetscCheck(nhist == steps, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "ex3: the resumed history has %" PetscInt_FMT " records, expected %" PetscInt_FMT, nhist, steps);

  /* 4. the check: the same lambda, bit for bit */
  PetscCall(VecNorm(lref, NORM_2, &nrm));
  PetscCall(VecAXPY(lref, -1.0, lambda));
  PetscCall(VecNorm(lref, NORM_INFINITY, &diff));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "ex3: stopped at %" PetscInt_FMT ", resumed to %" PetscInt_FMT ": max |lambda - lambda_uninterrupted| = %g (||lambda|| = %.6e)\n", stop_at, steps, (double)diff, (double)nrm));
  PetscCheck(diff == 0, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "ex3: the resumed run differs from the uninterrupted one by %g", (double)diff);

  PetscCall(VecDestroy(&lref));
  PetscCall(Destroy(&prob, &hg, &outer, &lambda));
  PetscCall(PetscFinalize());
  return 0;
}
