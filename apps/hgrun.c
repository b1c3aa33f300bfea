static const char help[] = "hgrun: bilevel optimization by hypergradient descent, with HDF5 checkpoints and resume.\n\n"
                           "  mpiexec -n 4 ./hgrun -problem logreg -outer_type nesterov -outer_step 0.5 -outer_max_it 200 \\\n"
                           "          -outer_monitor -outer_checkpoint run.h5 -outer_checkpoint_every 10\n"
                           "  mpiexec -n 4 ./hgrun <same options> -resume run.h5        continues the run\n\n"
                           "  -resume <file>      continue the run stored in file (checked against the options given)\n"
                           "  -outer_view         view the outer driver at the end\n\n";
#include <hypergrad.h>

/* A misspelt option of ours (-outer_stp) must not silently run with the default: after the
   set-up every -outer_, -hg_, -lower_ and -data_ option has been read */
static PetscErrorCode CheckUnusedOptions(void)
{
  PetscInt n;
  char   **names, **values;
  const char *ours[] = {"outer_", "hg_", "lower_", "data_", "multi_", "sub_hg_", "sub_lower_"};

  PetscFunctionBegin;
  PetscCall(PetscOptionsLeftGet(NULL, &n, &names, &values));
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < 7; j++) {
      PetscBool match;
      PetscCall(PetscStrbeginswith(names[i], ours[j], &match));
      PetscCheck(!match, PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "Unknown option -%s: it is not an option of this problem, method or outer loop (misspelt?); run with -help to list them", names[i]);
    }
  PetscCall(PetscOptionsLeftRestore(NULL, &n, &names, &values));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem              prob;
  HG                     hg;
  HGOuter                outer;
  Vec                    lambda;
  char                   resume[PETSC_MAX_PATH_LEN] = "";
  PetscBool              flg, view = PETSC_FALSE;
  HGOuterConvergedReason reason;
  PetscInt               it, nh, tl, ta;
  const HGOuterRecord   *hist;
  PetscReal              nrm;
  int                    code = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetType(prob, HGPROBLEMQUADRATIC));
  PetscCall(HGProblemSetFromOptions(prob));
  PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(HGOuterCreate(PETSC_COMM_WORLD, &outer));
  PetscCall(HGOuterSetHG(outer, hg));
  PetscCall(HGOuterSetFromOptions(outer));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-resume", resume, sizeof(resume), &flg));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-outer_view", &view, NULL));
  PetscCall(HGOuterSetUp(outer));
  PetscCall(CheckUnusedOptions());
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  if (resume[0]) {
    PetscCall(HGOuterLoadCheckpoint(outer, resume, lambda));
    PetscCall(HGOuterGetIterationNumber(outer, &it));
    PetscCall(PetscObjectTypeCompare((PetscObject)hg, HGMULTI, &flg));
    if (flg) PetscCall(HGMultiSetBatchCounter(hg, it)); /* the mini-batch draws continue where the run stopped */
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hgrun: resuming %s at outer iteration %" PetscInt_FMT "\n", resume, it));
  } else PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGOuterSolve(outer, lambda));
  PetscCall(HGOuterGetConvergedReason(outer, &reason));
  PetscCall(HGOuterGetIterationNumber(outer, &it));
  PetscCall(HGOuterGetHistory(outer, &nh, &hist));
  PetscCall(HGOuterGetTotalIterations(outer, &tl, &ta));
  PetscCall(VecNorm(lambda, NORM_2, &nrm));
  if (view) PetscCall(HGOuterView(outer, NULL));
  if (reason == HG_OUTER_STOPPED_SIGNAL) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hgrun: stopped by a signal after outer iteration %" PetscInt_FMT "; the checkpoint holds that state: continue with -resume\n", it));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hgrun: %s after %" PetscInt_FMT " outer iterations: f %.12e |h| %.4e |lambda| %.12e, %" PetscInt_FMT " lower and %" PetscInt_FMT " adjoint iterations in all\n", HGOuterConvergedReasons[reason], it, nh ? (double)hist[nh - 1].upper_objective : 0.0, nh ? (double)hist[nh - 1].hypergradient_norm : 0.0, (double)nrm, tl, ta));
  if (reason < 0) {
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hgrun: the run diverged (%s); reduce -outer_step, or see -hg_view_info for the failing hypergradient\n", HGOuterConvergedReasons[reason]));
    code = 3;
  }
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return code;
}
