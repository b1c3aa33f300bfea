static const char help[] = "t410: a failed hypergradient cannot pass unseen.  By default HGComputeHypergradient() errors\n"
                           "(PETSC_ERR_NOT_CONVERGED, with a message naming the failure and the way to get a reason instead);\n"
                           "with HGSetErrorIfNotConverged(hg, PETSC_FALSE) it returns 0 with a negative reason and h unchanged.\n"
                           "Cases: a lower step that diverges (biasreg) and an overflow of the problem's constants at a huge\n"
                           "lambda (logreg -lr_exp).  HGOuterSolve() with gd and a step of 1e6 on the latter ends DIVERGED_HG\n"
                           "with lambda back at the last iterate whose hypergradient converged, and the HG's setting kept.\n";
#include "hgtest.h"

/* every entry of h still the sentinel value */
static PetscErrorCode CheckUnchanged(Vec h, PetscReal sentinel, const char *what)
{
  PetscReal mn, mx;

  PetscFunctionBegin;
  PetscCall(VecMin(h, NULL, &mn));
  PetscCall(VecMax(h, NULL, &mx));
  HGTEST_CHECK(mn == sentinel && mx == sentinel, "%s: h was changed by a failed hypergradient (min %g, max %g, was %g everywhere)", what, (double)mn, (double)mx, (double)sentinel);
  PetscFunctionReturn(0);
}

/* default: an error mentioning text and the way out; off: reason < 0 with the lower reason given, h unchanged */
static PetscErrorCode CheckFailure(HG hg, Vec lambda, Vec h, const char *text, HGLowerConvergedReason lreason, const char *what)
{
  HGInfo    info;
  PetscBool flg;

  PetscFunctionBegin;
  PetscCall(HGGetErrorIfNotConverged(hg, &flg));
  HGTEST_CHECK(flg, "%s: a failed hypergradient is not an error by default", what);
  PetscCall(VecSet(h, 42.0));
  EXPECT_ERROR(HGComputeHypergradient(hg, lambda, h), PETSC_ERR_NOT_CONVERGED, text);
  EXPECT_ERROR(HGComputeHypergradient(hg, lambda, h), PETSC_ERR_NOT_CONVERGED, "HGSetErrorIfNotConverged");
  PetscCall(CheckUnchanged(h, 42.0, what));
  PetscCall(HGSetErrorIfNotConverged(hg, PETSC_FALSE));
  PetscCall(HGComputeHypergradient(hg, lambda, h));
  PetscCall(HGGetInfo(hg, &info));
  HGTEST_CHECK(info.reason == HG_DIVERGED_LOWER, "%s: reason %s, expected DIVERGED_LOWER", what, HGConvergedReasons[info.reason]);
  HGTEST_CHECK(info.lower_reason == lreason || (lreason == HG_LOWER_DIVERGED_DTOL && info.lower_reason == HG_LOWER_DIVERGED_NANORINF), "%s: lower reason %s, expected %s", what, HGLowerConvergedReasons[info.lower_reason], HGLowerConvergedReasons[lreason]);
  HGTEST_CHECK(PetscIsNanReal(info.upper_objective), "%s: a failed hypergradient reports E = %g, which looks like a value", what, (double)info.upper_objective);
  PetscCall(CheckUnchanged(h, 42.0, what));
  PetscCall(HGSetErrorIfNotConverged(hg, PETSC_TRUE));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem prob;
  HG        hg;
  HGLower   lower;
  HGOuter   outer;
  HGInfo    info;
  Vec       lambda, h, lambda0;
  PetscReal nrm;
  PetscBool flg;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));

  /* 1. a lower step that makes gd diverge (biasreg, L about 2) */
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMBIASREG, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCG, 200, 20, &hg));
  PetscCall(HGTestCompute(hg, lambda, h)); /* converged: h written */
  PetscCall(VecNorm(h, NORM_2, &nrm));
  HGTEST_CHECK(nrm > 0, "a converged hypergradient left h = 0");
  PetscCall(HGGetLower(hg, &lower));
  PetscCall(HGLowerSetStepSize(lower, 50.0));
  PetscCall(CheckFailure(hg, lambda, h, "not a contraction", HG_LOWER_DIVERGED_DTOL, "diverging lower step"));
  PetscCall(HGDestroy(&hg));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGProblemDestroy(&prob));

  /* 2. the problem's L = ||X||^2/4 + max exp(lambda) overflows at lambda = 1000 */
  PetscCall(PetscOptionsSetValue(NULL, "-lr_exp", NULL));
  PetscCall(PetscOptionsSetValue(NULL, "-lr_p", "20"));
  PetscCall(PetscOptionsSetValue(NULL, "-lr_ntrain", "60"));
  PetscCall(PetscOptionsSetValue(NULL, "-lr_nval", "60"));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMLOGREG, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecDuplicate(lambda, &lambda0));
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCG, 50, 20, &hg));
  PetscCall(VecSet(lambda, 1000.0));
  PetscCall(CheckFailure(hg, lambda, h, "unusable", HG_LOWER_DIVERGED_NANORINF, "overflow of L at lambda = 1000"));

  /* 3. the outer loop takes the failure as a reason, not an error: gd with a step of 1e6 leaves the
        first lambda for one where L overflows; lambda comes back to the first one, the iteration to 0 */
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecCopy(lambda, lambda0));
  PetscCall(HGOuterCreate(PETSC_COMM_WORLD, &outer));
  PetscCall(HGOuterSetHG(outer, hg));
  PetscCall(HGOuterSetType(outer, HGOUTERGD));
  PetscCall(HGOuterSetStepSize(outer, 1e6));
  PetscCall(HGOuterSetMaxIterations(outer, 5));
  PetscCall(HGOuterSolve(outer, lambda));
  {
    HGOuterConvergedReason reason;
    PetscInt               it, n;
    const HGOuterRecord   *hist;
    PetscBool              same;

    PetscCall(HGOuterGetConvergedReason(outer, &reason));
    PetscCall(HGOuterGetIterationNumber(outer, &it));
    PetscCall(HGOuterGetHistory(outer, &n, &hist));
    PetscCall(HGGetInfo(hg, &info));
    HGTEST_CHECK(reason == HG_OUTER_DIVERGED_HG, "outer reason %s, expected DIVERGED_HG", HGOuterConvergedReasons[reason]);
    HGTEST_CHECK(info.lower_reason == HG_LOWER_DIVERGED_NANORINF && info.lower_its == 0, "the failed evaluation: lower reason %s after %" PetscInt_FMT " iterations", HGLowerConvergedReasons[info.lower_reason], info.lower_its);
    HGTEST_CHECK(n == 2 && PetscIsNanReal(hist[1].hypergradient_norm) && !PetscIsNanReal(hist[0].hypergradient_norm), "history: %" PetscInt_FMT " records, expected the good one and the failed one (|h| NaN)", n);
    HGTEST_CHECK(it == 0, "iteration %" PetscInt_FMT " after the rollback, expected 0", it);
    PetscCall(VecEqual(lambda, lambda0, &same));
    HGTEST_CHECK(same, "lambda is not back at the last iterate whose hypergradient converged (the first one)");
  }
  PetscCall(HGGetErrorIfNotConverged(hg, &flg));
  HGTEST_CHECK(flg, "HGOuterSolve() changed the HG's HGSetErrorIfNotConverged()");
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(HGDestroy(&hg));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&lambda0));
  PetscCall(VecDestroy(&h));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
