static const char help[] = "hgbounds: the error bounds of Ehrhardt & Roberts against the true error.\n"
                           "On a problem with an exact hypergradient (default quadratic), for every lower accuracy eps\n"
                           "(absolute tolerance on the lower residual, -lower_atol) and adjoint accuracy delta (absolute\n"
                           "tolerance on the adjoint residual, -hg_adjoint_atol), computes one AID hypergradient and\n"
                           "writes a CSV row: method, eps, delta, t, k, lower and adjoint residuals, the true error\n"
                           "||h - grad f|| (HGProblemComputeExactHypergradient) and the a-posteriori and a-priori bounds.\n"
                           "  -eps e1,e2,...    lower tolerances (default 1e-1,...,1e-8)\n"
                           "  -delta d1,d2,...  adjoint tolerances (default 1e-2,1e-4,1e-6,1e-8)\n"
                           "  -methods cg,richardson  adjoint KSPs (AID-CG, AID-FP)\n"
                           "  -o file.csv       output (default stdout)\n"
                           "  -check            exit with an error if a bound is below the true error\n"
                           "  -max_it N         cap on lower and adjoint iterations (100000)\n"
                           "Problem options (-problem, -quad_*) as for hgsolve.\n\n";

#include <hypergrad.h>

#define MAXLIST 64

int main(int argc, char **argv)
{
  HGProblem   prob;
  Vec         lambda, h, g, d;
  PetscReal   gnorm, eps[MAXLIST], delta[MAXLIST];
  PetscInt    neps = MAXLIST, ndelta = MAXLIST, nmeth = 8, maxit = 100000, nbelow = 0, nrows = 0;
  char        ptype[64] = HGPROBLEMQUADRATIC, out[PETSC_MAX_PATH_LEN] = "", *meth[8];
  PetscBool   check = PETSC_FALSE, flg, seteps, setdelta, setmeth;
  FILE       *fp    = NULL;
  PetscMPIInt rank;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-problem", ptype, sizeof(ptype), NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-o", out, sizeof(out), NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-check", &check, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-max_it", &maxit, NULL));
  PetscCall(PetscOptionsGetRealArray(NULL, NULL, "-eps", eps, &neps, &seteps));
  PetscCall(PetscOptionsGetRealArray(NULL, NULL, "-delta", delta, &ndelta, &setdelta));
  PetscCall(PetscOptionsGetStringArray(NULL, NULL, "-methods", meth, &nmeth, &setmeth));
  if (!seteps) {
    neps = 15;
    for (PetscInt i = 0; i < neps; i++) eps[i] = PetscPowReal(10.0, -1.0 - 0.5 * i);
  }
  if (!setdelta) {
    const PetscReal dd[] = {1e-2, 1e-4, 1e-6, 1e-8};
    ndelta               = 4;
    for (PetscInt i = 0; i < ndelta; i++) delta[i] = dd[i];
  }
  if (!setmeth) {
    PetscCall(PetscStrallocpy(KSPCG, &meth[0]));
    PetscCall(PetscStrallocpy(KSPRICHARDSON, &meth[1]));
    nmeth = 2;
  }
  PetscCheck(neps > 0 && ndelta > 0 && nmeth > 0, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "hgbounds: -eps, -delta and -methods need at least one value each; give comma-separated lists");
  for (PetscInt i = 0; i < neps; i++) PetscCheck(eps[i] > 0, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "hgbounds: -eps value %g is not positive; give lower tolerances > 0", (double)eps[i]);
  for (PetscInt i = 0; i < ndelta; i++) PetscCheck(delta[i] > 0, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "hgbounds: -delta value %g is not positive; give adjoint tolerances > 0", (double)delta[i]);
  PetscCheck(maxit > 0, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "hgbounds: -max_it %" PetscInt_FMT " must be positive", maxit);

  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetType(prob, ptype));
  PetscCall(HGProblemSetFromOptions(prob));
  PetscCall(HGProblemSetUp(prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecDuplicate(lambda, &g));
  PetscCall(VecDuplicate(lambda, &d));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGProblemComputeExactHypergradient(prob, lambda, g, NULL));
  PetscCall(VecNorm(g, NORM_2, &gnorm));

  if (!rank) {
    if (out[0]) {
      fp = fopen(out, "w");
      PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "hgbounds: cannot open %s for writing; check that the directory exists and is writable", out);
    } else fp = stdout;
    fprintf(fp, "problem,method,eps,delta,t,k,lower_residual,adjoint_residual,true_error,bound_aposteriori,bound_apriori,grad_norm,bound_estimated\n");
  }
  for (PetscInt m = 0; m < nmeth; m++) {
    for (PetscInt j = 0; j < ndelta; j++) {
      for (PetscInt i = 0; i < neps; i++) {
        HG        hg;
        HGLower   lower;
        KSP       ksp;
        HGInfo    info;
        PetscReal err;

        PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
        PetscCall(HGSetProblem(hg, prob));
        PetscCall(HGSetType(hg, HGAID));
        PetscCall(HGGetLower(hg, &lower));
        PetscCall(HGLowerSetType(lower, HGLOWERGD));
        PetscCall(HGGetKSP(hg, &ksp));
        PetscCall(KSPSetType(ksp, meth[m]));
        PetscCall(HGSetFromOptions(hg));
        /* after the options: the grid point decides t and k */
        PetscCall(HGSetIterations(hg, maxit, maxit));
        PetscCall(HGLowerSetTolerances(lower, 0.0, eps[i], 1e8));
        PetscCall(HGSetAdjointTolerances(hg, 0.0, delta[j]));
        PetscCall(HGSetComputeBounds(hg, PETSC_TRUE));
        PetscCall(HGComputeHypergradient(hg, lambda, h));
        PetscCall(HGGetInfo(hg, &info));
        PetscCall(VecWAXPY(d, -1.0, g, h));
        PetscCall(VecNorm(d, NORM_2, &err));
        if (info.bound_aposteriori < err || (info.bound_apriori >= 0 && info.bound_apriori < err)) nbelow++;
        if (!rank) fprintf(fp, "%s,%s,%.3e,%.3e,%" PetscInt_FMT ",%" PetscInt_FMT ",%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%" PetscInt_FMT "\n", ptype, meth[m], (double)eps[i], (double)delta[j], info.lower_its, info.adjoint_its, (double)info.lower_residual, (double)info.adjoint_residual, (double)err, (double)info.bound_aposteriori, (double)info.bound_apriori, (double)gnorm, info.bound_estimated);
        nrows++;
        PetscCall(HGDestroy(&hg));
      }
    }
  }
  if (!rank && fp != stdout) fclose(fp);
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hgbounds: %" PetscInt_FMT " points, %" PetscInt_FMT " with a bound below the true error\n", nrows, nbelow));
  PetscCheck(!check || nbelow == 0, PETSC_COMM_WORLD, PETSC_ERR_NOT_CONVERGED, "hgbounds: %" PetscInt_FMT " of %" PetscInt_FMT " points have a bound below the true error (see the CSV)", nbelow, nrows);
  for (PetscInt m = 0; m < nmeth; m++) PetscCall(PetscFree(meth[m]));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&g));
  PetscCall(VecDestroy(&d));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
