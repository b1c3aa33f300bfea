static const char help[] = "hgsolve: one hypergradient of a bilevel problem (one-shot mode).\n\n"
                           "  mpiexec -n 2 ./hgsolve -problem quadratic -hg_type aid -hg_ksp_type cg -lower_max_it 100\n"
                           "  mpiexec -n 2 ./hgsolve -problem logreg -data_train a9a -data_val a9a.t -lambda_init 1 -output h.h5\n\n"
                           "Options:\n"
                           "  -problem <quadratic>        the bilevel problem (see -help for each problem's options, -data_* for real data)\n"
                           "  -lambda_init <c>            all hyperparameters set to c (default: the problem's initial lambda)\n"
                           "  -lambda_file <F.h5>         hyperparameters read from dataset -lambda_dataset (default /lambda) of an HDF5 file\n"
                           "  -output <F.h5>              write /hypergradient, /w and /lambda (F.h5.tmp, then renamed)\n"
                           "  -hg_type, -hg_ksp_type, -lower_type, -lower_max_it (t), -hg_k (k): the method\n\n"
                           "Exit status: 0 done, 3 the hypergradient failed (negative converged reason; -output is then not written).\n\n";
#include <hypergrad.h>

int main(int argc, char **argv)
{
  HGProblem   prob;
  HG          hg;
  HGInfo      info;
  HGType      type;
  Vec         lambda, h, w;
  PetscReal   nrm, c = 0;
  int         status = 0;
  PetscBool   hasc = PETSC_FALSE, hasfile = PETSC_FALSE, hasout = PETSC_FALSE, ishelp;
  char        lfile[PETSC_MAX_PATH_LEN] = "", ldset[256] = "lambda", out[PETSC_MAX_PATH_LEN] = "";
  const char *names[3] = {"hypergradient", "w", "lambda"};

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "hgsolve: one-shot hypergradient", "hgsolve");
  PetscCall(PetscOptionsReal("-lambda_init", "Set every hyperparameter to this value", "hgsolve", c, &c, &hasc));
  PetscCall(PetscOptionsString("-lambda_file", "HDF5 file with the hyperparameters", "hgsolve", lfile, lfile, sizeof(lfile), &hasfile));
  PetscCall(PetscOptionsString("-lambda_dataset", "Dataset of -lambda_file", "hgsolve", ldset, ldset, sizeof(ldset), NULL));
  PetscCall(PetscOptionsString("-output", "HDF5 file for /hypergradient, /w and /lambda", "hgsolve", out, out, sizeof(out), &hasout));
  PetscOptionsEnd();
  PetscCheck(!(hasc && hasfile), PETSC_COMM_WORLD, PETSC_ERR_ARG_INCOMP, "give -lambda_init or -lambda_file, not both");
  PetscCheck(!hasout || out[0], PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "-output needs a file name, e.g. -output result.h5");
  if (hasfile) { /* fail early, before the problem loads its data */
    PetscBool exists;
    PetscCheck(lfile[0], PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "-lambda_file needs a file name");
    PetscCall(PetscTestFile(lfile, 'r', &exists));
    PetscCheck(exists, PETSC_COMM_WORLD, PETSC_ERR_FILE_OPEN, "-lambda_file %s: the file does not exist or cannot be read", lfile);
  }

  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetType(prob, HGPROBLEMQUADRATIC));
  PetscCall(HGProblemSetFromOptions(prob));
  PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetErrorIfNotConverged(hg, PETSC_FALSE)); /* a failure is reported below (exit 3), h untouched */
  PetscCall(HGSetFromOptions(hg));
  PetscCall(PetscOptionsHasHelp(NULL, &ishelp));
  if (ishelp) { /* -help lists the options above and computes nothing */
    PetscCall(HGDestroy(&hg));
    PetscCall(HGProblemDestroy(&prob));
    PetscCall(PetscFinalize());
    return 0;
  }
  PetscCall(HGSetUp(hg));
  /* a misspelt option (-lower_max_itt, -problm) must not run with a silent default */
  PetscCall(HGOptionsCheckUnused(PETSC_COMM_WORLD, 0, NULL));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  if (hasc) PetscCall(VecSet(lambda, c));
  if (hasfile) {
    char dset[260];
    PetscCall(PetscSNPrintf(dset, sizeof(dset), "%s%s", ldset[0] == '/' ? "" : "/", ldset));
    PetscCall(HGVecLoadHDF5(lambda, lfile, dset));
  }

  PetscCall(HGComputeHypergradient(hg, lambda, h));
  PetscCall(VecNorm(h, NORM_2, &nrm));
  PetscCall(HGGetInfo(hg, &info));
  PetscCall(HGGetType(hg, &type));
  if (info.reason > 0) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "||h|| = %.12e\n", (double)nrm));
  else PetscCall(PetscPrintf(PETSC_COMM_WORLD, "||h|| = n/a (the hypergradient failed)\n"));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "method %s, t = %" PetscInt_FMT ", k = %" PetscInt_FMT ": E = %.12e, lower residual %.6e, adjoint residual %.6e, reason %s\n", type, info.lower_its, info.adjoint_its, (double)info.upper_objective, (double)info.lower_residual,
                        (double)info.adjoint_residual, HGConvergedReasons[info.reason]));
  if (info.reason < 0) { /* never write a result the method did not compute */
    PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "hgsolve: the hypergradient failed (%s, lower solver %s after %" PetscInt_FMT " iterations)%s; reduce -lower_step or move lambda, and see -hg_view_info\n", HGConvergedReasons[info.reason],
                           HGLowerConvergedReasons[info.lower_reason], info.lower_its, hasout ? ", so -output was not written" : ""));
    status = 3;
  } else if (hasout) {
    Vec vecs[3];
    PetscCall(HGGetLowerSolution(hg, &w));
    vecs[0] = h, vecs[1] = w, vecs[2] = lambda;
    PetscCall(HGVecsWriteHDF5(out, 3, vecs, names));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "wrote /hypergradient, /w and /lambda to %s\n", out));
  }
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return status;
}
