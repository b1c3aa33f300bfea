static const char help[] = "t706: logreg's closed-form L_A (Lipschitz constant in w of the lower Hessian, ||X||^2 max_i ||x_i|| / (6 sqrt 3))\n"
                           "against Hessian products, and logreg's error bound, every constant from the problem, against a\n"
                           "converged reference.\n"
                           "  1. synthetic data (the -lr_* options): for random w, w' (margins of order 0.3 to 3, near and far\n"
                           "     apart) and random v, ||(H(w) - H(w')) v|| / (||w - w'|| ||v||) must not exceed L_A;\n"
                           "  2. a data file with one dominant row x_0 = D e_0 (written here, CSV: dense, LIBSVM: sparse): along\n"
                           "     w' - w = eps e_0, v = e_0, with the margin of row 0 at 2 atanh(1/sqrt 3) where |psi'''| is\n"
                           "     largest, the quotient must be within a factor 1.5 of L_A (the closed form is not vacuous) and below it;\n"
                           "  3. AID-CG and ITD hypergradients (t = 10...150) on synthetic data: bound_estimated = 0 (no constant\n"
                           "     estimated) and the a-posteriori bound >= ||h - h_ref||, h_ref from t = 6000, k = 300.\n"
                           "  -v prints the quotients and the bound / error ratios\n";
#include "hgtest.h"
#include <hypergrad/hgimpl.h>

/* L_A of the problem at (w, lambda), from its bound-constants function */
static PetscErrorCode GetLA(HGProblem prob, Vec w, Vec lambda, PetscReal *LA)
{
  PetscReal etaw, etal, LB, B;

  PetscFunctionBegin;
  HGTEST_CHECK(prob->boundconstants, "logreg gives no bound-constants function");
  PetscCall((*prob->boundconstants)(prob, w, lambda, &etaw, &etal, LA, &LB, &B, prob->ctx));
  HGTEST_CHECK(*LA > 0, "logreg's L_A is %g: not given (negative) or zero", (double)*LA);
  PetscFunctionReturn(0);
}

/* ||(H(w1) - H(w2)) v|| / (||w1 - w2|| ||v||) */
static PetscErrorCode Quotient(HGProblem prob, Vec w1, Vec w2, Vec lambda, Vec v, PetscReal *q)
{
  Vec       a, b;
  PetscReal nd, nw, nv;

  PetscFunctionBegin;
  PetscCall(VecDuplicate(w1, &a));
  PetscCall(VecDuplicate(w1, &b));
  PetscCall(HGProblemComputeLowerHessianMult(prob, w1, lambda, v, a));
  PetscCall(HGProblemComputeLowerHessianMult(prob, w2, lambda, v, b));
  PetscCall(VecAXPY(a, -1.0, b));
  PetscCall(VecNorm(a, NORM_2, &nd));
  PetscCall(VecWAXPY(b, -1.0, w2, w1));
  PetscCall(VecNorm(b, NORM_2, &nw));
  PetscCall(VecNorm(v, NORM_2, &nv));
  *q = nd / (nw * nv);
  PetscCall(VecDestroy(&a));
  PetscCall(VecDestroy(&b));
  PetscFunctionReturn(0);
}

/* Part 1: random pairs on the synthetic problem of the options */
static PetscErrorCode RandomPairs(PetscBool verbose)
{
  HGProblem prob;
  Vec       w1, w2, v, lambda, d;
  PetscInt  p;
  PetscReal LA, qmax = 0;

  PetscFunctionBegin;
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMLOGREG, &prob));
  PetscCall(HGProblemCreateVecs(prob, &w1, &lambda));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecDuplicate(w1, &w2));
  PetscCall(VecDuplicate(w1, &v));
  PetscCall(VecDuplicate(w1, &d));
  PetscCall(VecGetSize(w1, &p));
  PetscCall(GetLA(prob, w1, lambda, &LA));
  for (PetscInt s = 0; s < 12; s++) {
    PetscReal scale = (s % 3 == 0 ? 0.3 : (s % 3 == 1 ? 1.0 : 3.0)) / PetscSqrtReal((PetscReal)p), step = s < 6 ? 1e-3 : 1.0, q;
    PetscCall(HGTestVecSetValues(w1, 100 + s, PetscSqrtReal(3.0)));
    PetscCall(VecScale(w1, scale));
    PetscCall(HGTestVecSetValues(d, 200 + s, PetscSqrtReal(3.0)));
    PetscCall(VecWAXPY(w2, step * scale, d, w1));
    PetscCall(HGTestVecSetValues(v, 300 + s, PetscSqrtReal(3.0)));
    if (s % 2) PetscCall(VecCopy(d, v)); /* v along w' - w too */
    PetscCall(Quotient(prob, w1, w2, lambda, v, &q));
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "random pair %2" PetscInt_FMT ": margins ~ %.1f, |w - w'| ~ %g: quotient %.4e = %.3e L_A\n", s, (double)(scale * PetscSqrtReal((PetscReal)p)), (double)step, (double)q, (double)(q / LA)));
    HGTEST_CHECK(q <= LA * (1 + 1e-10), "pair %" PetscInt_FMT ": ||(H(w) - H(w')) v|| / (||w - w'|| ||v||) = %g exceeds L_A = %g", s, (double)q, (double)LA);
    qmax = PetscMax(qmax, q);
  }
  HGTEST_CHECK(qmax > 0, "the Hessian products did not change with w");
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "synthetic: L_A %.4e, largest quotient %.4e (L_A / quotient %.1f)\n", (double)LA, (double)qmax, (double)(LA / qmax)));
  PetscCall(VecDestroy(&w1));
  PetscCall(VecDestroy(&w2));
  PetscCall(VecDestroy(&v));
  PetscCall(VecDestroy(&d));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

/* Entry (i, j) of the dominant-row data: row 0 = D e_0, the others small (|x| <= 0.3) */
#define DOM_N 60
#define DOM_P 8
#define DOM_D 50.0
static PetscReal DomEntry(PetscInt i, PetscInt j)
{
  if (i == 0) return j == 0 ? DOM_D : 0.0;
  return 0.3 * HGTestValue(j + 1, i);
}

/* Part 2: the dominant-row file (csv or libsvm), the quotient at the worst margin of row 0 */
static PetscErrorCode DominantRow(const char *fmt, PetscBool verbose)
{
  HGProblem   prob;
  Vec         w1, w2, v, lambda;
  PetscReal   LA, q, m = 2 * PetscAtanhReal(1 / PetscSqrtReal(3.0)), eps = 1e-4, y0 = 1.0;
  PetscMPIInt rank, size;
  char        path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscSNPrintf(path, sizeof(path), "t706-dominant-np%d.%s", (int)size, fmt));
  if (!rank) {
    FILE *f = fopen(path, "w");
    HGTEST_CHECK(f, "cannot write %s in the working directory", path);
    if (!strcmp(fmt, "csv")) {
      for (PetscInt j = 0; j < DOM_P; j++) fprintf(f, "f%d,", (int)j);
      fprintf(f, "label\n");
    }
    for (PetscInt i = 0; i < DOM_N; i++) {
      int label = i % 2 ? -1 : 1; /* row 0 has label +1 (the larger class value: y_0 = +1) */
      if (!strcmp(fmt, "csv")) {
        for (PetscInt j = 0; j < DOM_P; j++) fprintf(f, "%.17g,", (double)DomEntry(i, j));
        fprintf(f, "%d\n", label);
      } else {
        fprintf(f, "%d", label);
        for (PetscInt j = 0; j < DOM_P; j++)
          if (DomEntry(i, j) != 0) fprintf(f, " %d:%.17g", (int)(j + 1), (double)DomEntry(i, j));
        fprintf(f, "\n");
      }
    }
    HGTEST_CHECK(fclose(f) == 0, "cannot write %s", path);
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscCall(PetscOptionsSetValue(NULL, "-data_train", path));
  PetscCall(PetscOptionsSetValue(NULL, "-data_val", path));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMLOGREG, &prob));
  PetscCall(PetscOptionsClearValue(NULL, "-data_train"));
  PetscCall(PetscOptionsClearValue(NULL, "-data_val"));
  PetscCall(HGProblemCreateVecs(prob, &w1, &lambda));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecDuplicate(w1, &w2));
  PetscCall(VecDuplicate(w1, &v));
  PetscCall(GetLA(prob, w1, lambda, &LA));
  /* m_0 = y_0 D w_0 at the largest |psi'''|; w' = w + eps e_0; v = e_0 */
  PetscCall(VecSet(w1, 0.0));
  PetscCall(VecSet(v, 0.0));
  if (!rank) {
    PetscCall(VecSetValue(w1, 0, y0 * m / DOM_D, INSERT_VALUES));
    PetscCall(VecSetValue(v, 0, 1.0, INSERT_VALUES));
  }
  PetscCall(VecAssemblyBegin(w1));
  PetscCall(VecAssemblyEnd(w1));
  PetscCall(VecAssemblyBegin(v));
  PetscCall(VecAssemblyEnd(v));
  PetscCall(VecWAXPY(w2, eps / DOM_D, v, w1));
  PetscCall(Quotient(prob, w1, w2, lambda, v, &q));
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "dominant row (%s): L_A %.4e, quotient %.4e (L_A / quotient %.3f)\n", fmt, (double)LA, (double)q, (double)(LA / q)));
  HGTEST_CHECK(q <= LA * (1 + 1e-10), "%s: quotient %g exceeds L_A = %g", fmt, (double)q, (double)LA);
  HGTEST_CHECK(q >= LA / 1.5, "%s: L_A = %g is more than 1.5x the quotient %g on data where the worst row dominates", fmt, (double)LA, (double)q);
  PetscCall(VecDestroy(&w1));
  PetscCall(VecDestroy(&w2));
  PetscCall(VecDestroy(&v));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemDestroy(&prob));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  if (!rank) (void)remove(path);
  PetscFunctionReturn(0);
}

/* Part 3: the error bound with every constant from the problem against a converged reference */
static PetscErrorCode BoundAgainstReference(PetscBool verbose)
{
  HGProblem prob;
  HG        hg;
  Vec       lambda, h, ref;
  HGInfo    info;
  PetscReal err, rmin = PETSC_MAX_REAL, rmax = 0;
  PetscInt  nchecked = 0;
  const struct {
    const char *hg, *ksp;
    PetscInt    t, k;
  } pts[] = {
    {HGAID, KSPCG, 10,  5 },
    {HGAID, KSPCG, 30,  10},
    {HGAID, KSPCG, 100, 20},
    {HGAID, KSPCG, 150, 25},
    {HGITD, NULL,  10,  10},
    {HGITD, NULL,  60,  60},
  };

  PetscFunctionBegin;
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMLOGREG, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecDuplicate(lambda, &ref));
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCG, 6000, 300, &hg));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(HGTestCompute(hg, lambda, ref));
  PetscCall(HGGetInfo(hg, &info));
  HGTEST_CHECK(info.lower_residual < 1e-11 && info.adjoint_residual < 1e-11, "the reference did not converge: lower residual %g, adjoint residual %g", (double)info.lower_residual, (double)info.adjoint_residual);
  PetscCall(HGDestroy(&hg));
  for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
    PetscCall(HGTestMethod(prob, pts[i].hg, HGLOWERGD, pts[i].ksp, pts[i].t, pts[i].k, &hg));
    PetscCall(HGSetFromOptions(hg));
    PetscCall(HGTestCompute(hg, lambda, h));
    PetscCall(HGGetInfo(hg, &info));
    PetscCall(VecAXPY(h, -1.0, ref));
    PetscCall(VecNorm(h, NORM_2, &err));
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s t %4" PetscInt_FMT " k %3" PetscInt_FMT ": error %.3e, a-posteriori bound %.3e (%.1fx)\n", pts[i].hg, pts[i].t, pts[i].k, (double)err, (double)info.bound_aposteriori, (double)(info.bound_aposteriori / err)));
    HGTEST_CHECK(info.bound_estimated == 0, "%s t=%" PetscInt_FMT ": bound_estimated = %" PetscInt_FMT ": logreg gives every constant", pts[i].hg, pts[i].t, info.bound_estimated);
    HGTEST_CHECK(info.bound_aposteriori >= err, "%s t=%" PetscInt_FMT " k=%" PetscInt_FMT ": a-posteriori bound %g below the error %g", pts[i].hg, pts[i].t, pts[i].k, (double)info.bound_aposteriori, (double)err);
    if (err > 1e-9) { /* below, the error is that of the reference */
      nchecked++;
      rmin = PetscMin(rmin, info.bound_aposteriori / err), rmax = PetscMax(rmax, info.bound_aposteriori / err);
    }
    PetscCall(HGDestroy(&hg));
  }
  HGTEST_CHECK(nchecked >= 4, "only %" PetscInt_FMT " points with an error above the reference's 1e-9", nchecked);
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "bound / error: %.3g to %.3g over %" PetscInt_FMT " points\n", (double)rmin, (double)rmax, nchecked));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&ref));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscBool verbose = PETSC_FALSE;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-v", &verbose, NULL));
  PetscCall(RandomPairs(verbose));
  PetscCall(DominantRow("csv", verbose));
  PetscCall(DominantRow("libsvm", verbose));
  PetscCall(BoundAgainstReference(verbose));
  PetscCall(PetscFinalize());
  return 0;
}
