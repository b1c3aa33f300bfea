static const char help[] = "t220: the TAO lower level (-lower_type tao) on a catalogue problem (-problem) against the default\n"
                           "lower level (gd), both solved to the same tolerance -lower_rtol, with AID-CG; and TAO with its\n"
                           "defaults (no tolerance, -lower_max_it 100) against the same reference.\n"
                           "  -tao_types <lmvm,nls>  -rtol <1e-8>  -tol <1e-5> (same tolerance)  -tol_default <1e-5>  -verbose\n";
#include "hgtest.h"

/* AID-CG hypergradient with the lower level chosen through the options database, as a user of
   hgsolve chooses it: -lower_type, -lower_tao_type and (when rtol > 0) -lower_rtol */
static PetscErrorCode Hypergradient(HGProblem prob, const char *lowertype, const char *taotype, PetscReal rtol, Vec lambda, Vec h, HGInfo *info)
{
  HG   hg;
  char s[32];

  PetscFunctionBegin;
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCG, 100, 5000, &hg));
  PetscCall(PetscOptionsSetValue(NULL, "-lower_type", lowertype));
  if (taotype) PetscCall(PetscOptionsSetValue(NULL, "-lower_tao_type", taotype));
  if (rtol > 0) {
    PetscCall(PetscSNPrintf(s, sizeof(s), "%g", (double)rtol));
    PetscCall(PetscOptionsSetValue(NULL, "-lower_rtol", s));
    PetscCall(PetscOptionsSetValue(NULL, "-lower_max_it", "200000"));
  }
  PetscCall(HGSetFromOptions(hg));
  PetscCall(PetscOptionsClearValue(NULL, "-lower_type"));
  PetscCall(PetscOptionsClearValue(NULL, "-lower_tao_type"));
  PetscCall(PetscOptionsClearValue(NULL, "-lower_rtol"));
  PetscCall(PetscOptionsClearValue(NULL, "-lower_max_it"));
  PetscCall(HGSetAdjointTolerances(hg, 1e-12, 0.0));
  PetscCall(HGTestCompute(hg, lambda, h));
  PetscCall(HGGetInfo(hg, info));
  PetscCall(HGDestroy(&hg));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem prob;
  HGInfo    info;
  Vec       lambda, href, h;
  char      type[64] = HGPROBLEMQUADRATIC, *taotypes[8];
  PetscInt  ntao = 8;
  PetscReal rtol = 1e-8, tol = 1e-5, tol_default = 1e-5, rel;
  PetscBool verbose = PETSC_FALSE, flg;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-problem", type, sizeof(type), NULL));
  PetscCall(PetscOptionsGetStringArray(NULL, NULL, "-tao_types", taotypes, &ntao, &flg));
  if (!flg) {
    ntao = 2;
    PetscCall(PetscStrallocpy(TAOLMVM, &taotypes[0]));
    PetscCall(PetscStrallocpy(TAONLS, &taotypes[1]));
  }
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-rtol", &rtol, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-tol", &tol, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-tol_default", &tol_default, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, type, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &href));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));

  /* reference: the default lower solver (gd) to -lower_rtol */
  PetscCall(Hypergradient(prob, HGLOWERGD, NULL, rtol, lambda, href, &info));
  HGTEST_CHECK(info.lower_reason == HG_LOWER_CONVERGED_RTOL, "%s: the reference gd lower solve did not reach -lower_rtol %g: %s", type, (double)rtol, HGLowerConvergedReasons[info.lower_reason]);
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: gd reference, %" PetscInt_FMT " lower iterations, residual %.2e\n", type, info.lower_its, (double)info.lower_residual));
  for (PetscInt i = 0; i < ntao; i++) {
    /* the same tolerance: the same hypergradient up to the tolerance */
    PetscCall(Hypergradient(prob, HGLOWERTAO, taotypes[i], rtol, lambda, h, &info));
    HGTEST_CHECK(info.lower_reason > 0, "%s: tao %s with -lower_rtol %g failed: %s", type, taotypes[i], (double)rtol, HGLowerConvergedReasons[info.lower_reason]);
    PetscCall(HGTestRelDiff(h, href, &rel));
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: tao %s -lower_rtol %g: %" PetscInt_FMT " its (%s), relative difference to gd %.2e\n", type, taotypes[i], (double)rtol, info.lower_its, HGLowerConvergedReasons[info.lower_reason], (double)rel));
    HGTEST_CHECK(rel <= tol, "%s: tao %s and gd, both to -lower_rtol %g, give hypergradients %g apart relative (> %g)", type, taotypes[i], (double)rtol, (double)rel, (double)tol);

    /* TAO's defaults (no tolerance given, -lower_max_it 100) must converge too */
    PetscCall(Hypergradient(prob, HGLOWERTAO, taotypes[i], 0.0, lambda, h, &info));
    HGTEST_CHECK(info.lower_reason > 0, "%s: tao %s with its defaults failed: %s after %" PetscInt_FMT " iterations, residual %g", type, taotypes[i], HGLowerConvergedReasons[info.lower_reason], info.lower_its, (double)info.lower_residual);
    PetscCall(HGTestRelDiff(h, href, &rel));
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: tao %s defaults: %" PetscInt_FMT " its (%s), residual %.2e, relative difference to gd %.2e\n", type, taotypes[i], info.lower_its, HGLowerConvergedReasons[info.lower_reason], (double)info.lower_residual, (double)rel));
    HGTEST_CHECK(rel <= tol_default, "%s: tao %s with its defaults is %g from the converged hypergradient relative (> %g)", type, taotypes[i], (double)rel, (double)tol_default);
    PetscCall(PetscFree(taotypes[i]));
  }
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&href));
  PetscCall(VecDestroy(&h));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
