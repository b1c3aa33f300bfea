static const char help[] = "hgrun: bilevel optimization by hypergradient descent, with HDF5 checkpoints and resume.\n\n"
                           "  mpiexec -n 4 ./hgrun -problem logreg -outer_type nesterov -outer_step 0.5 -outer_max_it 200 \\\n"
                           "          -outer_monitor -outer_checkpoint run.h5 -outer_checkpoint_every 10\n"
                           "  mpiexec -n 4 ./hgrun <same options> -resume run.h5        continues the run\n\n"
                           "  -resume <file>      continue the run stored in file (checked against the options given)\n"
                           "  -outer_view         view the outer driver at the end\n\n";
#include <hypergrad.h>

int main(int argc, char **argv)
{
  HGProblem              prob;
  HG                     hg;
  HGOuter                outer;
  Vec                    lambda;
  char                   resume[PETSC_MAX_PATH_LEN] = "";
  PetscBool              flg, view = PETSC_FALSE, ishelp;
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
  PetscCheck(!flg || resume[0], PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "-resume needs the checkpoint file to continue, e.g. -resume run.h5 (without one this would be a fresh start)");
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-outer_view", &view, NULL));
  PetscCall(PetscOptionsHasHelp(NULL, &ishelp));
  if (ishelp) { /* -help lists the options above; it runs nothing and writes no checkpoint */
    PetscCall(HGOuterDestroy(&outer));
    PetscCall(HGDestroy(&hg));
    PetscCall(HGProblemDestroy(&prob));
    PetscCall(PetscFinalize());
    return 0;
  }
  PetscCall(HGOuterSetUp(outer));
  /* a misspelt option (-outer_stp, -problm, -resum) must not run with a silent default */
  PetscCall(HGOptionsCheckUnused(PETSC_COMM_WORLD, 0, NULL));
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
  if (reason < 0) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hgrun: %s after %" PetscInt_FMT " outer iterations: |lambda| %.12e (the last accepted lambda), %" PetscInt_FMT " lower and %" PetscInt_FMT " adjoint iterations in all\n", HGOuterConvergedReasons[reason], it, (double)nrm, tl, ta));
  else if (nh) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hgrun: %s after %" PetscInt_FMT " outer iterations: f %.12e |h| %.4e |lambda| %.12e, %" PetscInt_FMT " lower and %" PetscInt_FMT " adjoint iterations in all\n", HGOuterConvergedReasons[reason], it, (double)hist[nh - 1].upper_objective, (double)hist[nh - 1].hypergradient_norm, (double)nrm, tl, ta));
  else PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hgrun: %s after %" PetscInt_FMT " outer iterations: no hypergradient computed (-outer_max_it %" PetscInt_FMT "), so no f or |h| to report; |lambda| %.12e\n", HGOuterConvergedReasons[reason], it, it, (double)nrm));
  if (reason < 0) {
    HGInfo      info;
    const char *ck      = NULL;
    PetscInt    nfailed = 0, fit = 0;
    PetscReal   fnorm   = 0;
    PetscBool   trial   = PETSC_FALSE, initial;
    const char *advice;

    /* the hypergradient that failed: with -outer_type tao a later trial of the same line search
       may have converged, so HGGetInfo() (the last one computed) would not name the cause */
    PetscCall(HGOuterGetFailure(outer, &nfailed, &info, &fit, &fnorm, &trial));
    if (!nfailed) PetscCall(HGGetInfo(hg, &info));
    initial = nh <= 1 && !trial ? PETSC_TRUE : PETSC_FALSE; /* the failed hypergradient is the run's first: no outer step came before it */
    advice  = initial ? "this is the initial lambda, so the outer step is not the cause: check -lower_step (the default 2/(L+mu) is safe), -lower_max_it and -lower_atol/-lower_rtol" : "lambda may have left the region where the lower level is well posed";
    PetscCall(HGOuterGetCheckpoint(outer, &ck, NULL));
    if (trial) PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "hgrun: %" PetscInt_FMT " hypergradient(s) failed at trial points of TAO's line search; the last, after outer iteration %" PetscInt_FMT " at |lambda| %g, failed with %s, and the line search could not back off from it (blmvm's more-thuente steps back to 0 from f = +inf; a unit line search takes every trial): use the armijo line search (-outer_tao_ls_type armijo), which shortens the step there, bounds on lambda (-outer_lb, -outer_ub) or more lower/adjoint iterations (-lower_max_it, -hg_k)\n", nfailed, fit, (double)fnorm, HGConvergedReasons[info.reason]));
    if (reason == HG_OUTER_DIVERGED_TAO && !nfailed) PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "hgrun: the run diverged (%s): TAO gave up although every hypergradient converged; see its reason with -outer_tao_view\n", HGOuterConvergedReasons[reason]));
    else if (info.reason == HG_DIVERGED_LOWER)
      PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "hgrun: the run diverged (%s): the last hypergradient failed with %s (lower solver %s after %" PetscInt_FMT " iterations, residual %g%s); %s, or see -hg_view_info\n", HGOuterConvergedReasons[reason], HGConvergedReasons[info.reason], HGLowerConvergedReasons[info.lower_reason], info.lower_its, (double)info.lower_residual,
                             info.lower_reason == HG_LOWER_DIVERGED_NANORINF && info.lower_its == 0 ? "; the problem's constants overflow at that lambda: the outer step was far too large" : "", advice));
    else if (info.reason == HG_DIVERGED_ADJOINT) PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "hgrun: the run diverged (%s): the adjoint solver failed (%" PetscInt_FMT " iterations, residual %g); check -hg_k, -hg_ksp_type and -hg_adjoint_rtol, or see -hg_view_info\n", HGOuterConvergedReasons[reason], info.adjoint_its, (double)info.adjoint_residual));
    else PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "hgrun: the run diverged (%s): the last hypergradient failed with %s; %s, or see -hg_view_info\n", HGOuterConvergedReasons[reason], HGConvergedReasons[info.reason], initial ? "this is the initial lambda, so the outer step is not the cause: check the lower-level and adjoint options" : "lambda may have left the region where the problem is well posed"));
    if (!initial) {
      if (ck && ck[0]) PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "hgrun: the checkpoint %s holds outer iteration %" PetscInt_FMT ", the last iterate whose hypergradient converged, marked %s: continue it with a smaller -outer_step (or a larger -lower_max_it / -hg_k) and -resume %s\n", ck, it, HGOuterConvergedReasons[reason], ck));
      else PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "hgrun: lambda is back at outer iteration %" PetscInt_FMT ", the last iterate whose hypergradient converged; run again with a smaller -outer_step (give -outer_checkpoint F to keep the state and continue it with -resume F)\n", it));
    }
    code = 3;
  }
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return code;
}
