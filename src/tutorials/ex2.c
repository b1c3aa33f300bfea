static const char help[] = "Tutorial 2: a user problem in the fixed-point form.\n\n"
                           "  lower  w = Phi(w, lambda) = tanh(A w + lambda)   (A non-symmetric with ||A||_2 < 1: a contraction)\n"
                           "  upper  E(w, lambda) = 1/2 ||w - z||^2 + beta/2 ||lambda||^2\n"
                           "The hypergradient (AID with GMRES by default) is checked against central differences of\n"
                           "f(lambda) = E(w(lambda), lambda) with the lower level converged (HGTestHypergradient()).\n"
                           "Options: -n <50> (dimension of w and lambda), -rtol <1e-6>, and every -hg_*, -lower_* option.\n";

#include <hypergrad.h>

typedef struct {
  Mat       A;    /* tridiagonal, 0.5 below and -0.3 above the diagonal: ||A||_2 <= 0.8 */
  Vec       z;    /* target of the upper level */
  Vec       a, s; /* work: A w + lambda and s = 1 - tanh^2(A w + lambda) */
  PetscReal beta;
} FixedPoint;

/* a = A w + lambda and s = tanh'(a) */
static PetscErrorCode Slope(FixedPoint *fp, Vec w, Vec lambda)
{
  PetscScalar *s;
  const PetscScalar *a;
  PetscInt     n;

  PetscFunctionBeginUser;
  PetscCall(MatMultAdd(fp->A, w, lambda, fp->a));
  PetscCall(VecGetLocalSize(fp->a, &n));
  PetscCall(VecGetArrayRead(fp->a, &a));
  PetscCall(VecGetArrayWrite(fp->s, &s));
  for (PetscInt i = 0; i < n; i++) s[i] = 1 - PetscSqr(PetscTanhReal(PetscRealPart(a[i])));
  PetscCall(VecRestoreArrayRead(fp->a, &a));
  PetscCall(VecRestoreArrayWrite(fp->s, &s));
  PetscFunctionReturn(0);
}

/* out = Phi(w, lambda), in the space of w, overwritten */
static PetscErrorCode Map(HGProblem prob, Vec w, Vec lambda, Vec out, void *ctx)
{
  FixedPoint  *fp = (FixedPoint *)ctx;
  PetscScalar *o;
  PetscInt     n;

  PetscFunctionBeginUser;
  PetscCall(MatMultAdd(fp->A, w, lambda, out));
  PetscCall(VecGetLocalSize(out, &n));
  PetscCall(VecGetArray(out, &o));
  for (PetscInt i = 0; i < n; i++) o[i] = PetscTanhReal(PetscRealPart(o[i]));
  PetscCall(VecRestoreArray(out, &o));
  PetscFunctionReturn(0);
}

/* y = d_w Phi^T x = A^T (s o x): x, y in the space of w, y overwritten */
static PetscErrorCode MapJacobianTransposeMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y, void *ctx)
{
  FixedPoint *fp = (FixedPoint *)ctx;

  PetscFunctionBeginUser;
  PetscCall(Slope(fp, w, lambda));
  PetscCall(VecPointwiseMult(fp->a, fp->s, x));
  PetscCall(MatMultTranspose(fp->A, fp->a, y));
  PetscFunctionReturn(0);
}

/* y = d_w Phi u = s o (A u): the forward product, needed only by -hg_ksp_type cgne or lsqr */
static PetscErrorCode MapJacobianMult(HGProblem prob, Vec w, Vec lambda, Vec u, Vec y, void *ctx)
{
  FixedPoint *fp = (FixedPoint *)ctx;

  PetscFunctionBeginUser;
  PetscCall(Slope(fp, w, lambda));
  PetscCall(MatMult(fp->A, u, y));
  PetscCall(VecPointwiseMult(y, y, fp->s));
  PetscFunctionReturn(0);
}

/* y = d_lambda Phi^T x = s o x: x in the space of w, y in the space of lambda, y overwritten */
static PetscErrorCode MapParamJacobianTransposeMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y, void *ctx)
{
  FixedPoint *fp = (FixedPoint *)ctx;

  PetscFunctionBeginUser;
  PetscCall(Slope(fp, w, lambda));
  PetscCall(VecPointwiseMult(y, fp->s, x));
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *E, void *ctx)
{
  FixedPoint *fp = (FixedPoint *)ctx;
  PetscReal   a, b;

  PetscFunctionBeginUser;
  PetscCall(VecWAXPY(fp->a, -1.0, fp->z, w));
  PetscCall(VecNorm(fp->a, NORM_2, &a));
  PetscCall(VecNorm(lambda, NORM_2, &b));
  *E = 0.5 * a * a + 0.5 * fp->beta * b * b;
  PetscFunctionReturn(0);
}

/* gw = w - z, gl = beta lambda, both overwritten */
static PetscErrorCode UpperGradient(HGProblem prob, Vec w, Vec lambda, Vec gw, Vec gl, void *ctx)
{
  FixedPoint *fp = (FixedPoint *)ctx;

  PetscFunctionBeginUser;
  PetscCall(VecWAXPY(gw, -1.0, fp->z, w));
  PetscCall(VecAXPBY(gl, fp->beta, 0.0, lambda));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  FixedPoint fp;
  HGProblem  prob;
  HG         hg;
  Vec        w, lambda, h;
  PetscInt   n = 50, lo, hi;
  PetscReal  rtol = 1e-6, maxrel;
  HGInfo     info;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-n", &n, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-rtol", &rtol, NULL));
  fp.beta = 0.01;

  PetscCall(MatCreateAIJ(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, n, n, 3, NULL, 2, NULL, &fp.A));
  PetscCall(MatGetOwnershipRange(fp.A, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) {
    if (i > 0) PetscCall(MatSetValue(fp.A, i, i - 1, 0.5, INSERT_VALUES));
    if (i < n - 1) PetscCall(MatSetValue(fp.A, i, i + 1, -0.3, INSERT_VALUES));
  }
  PetscCall(MatAssemblyBegin(fp.A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(fp.A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatCreateVecs(fp.A, &w, &fp.z));
  PetscCall(VecDuplicate(w, &lambda));
  PetscCall(VecDuplicate(w, &fp.a));
  PetscCall(VecDuplicate(w, &fp.s));
  for (PetscInt i = lo; i < hi; i++) {
    PetscCall(VecSetValue(fp.z, i, 0.5 * PetscSinReal(0.3 * i), INSERT_VALUES));
    PetscCall(VecSetValue(lambda, i, 0.2 * PetscCosReal(0.7 * i), INSERT_VALUES));
  }
  PetscCall(VecAssemblyBegin(fp.z));
  PetscCall(VecAssemblyEnd(fp.z));
  PetscCall(VecAssemblyBegin(lambda));
  PetscCall(VecAssemblyEnd(lambda));

  /* the fixed-point form: Phi, d_w Phi^T, d_lambda Phi^T (d_w Phi optional), E, grad E */
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetVecTemplates(prob, w, lambda));
  PetscCall(HGProblemSetContext(prob, &fp, NULL));
  PetscCall(HGProblemSetMap(prob, Map));
  PetscCall(HGProblemSetMapJacobianTransposeMult(prob, MapJacobianTransposeMult));
  PetscCall(HGProblemSetMapJacobianMult(prob, MapJacobianMult));
  PetscCall(HGProblemSetMapParamJacobianTransposeMult(prob, MapParamJacobianTransposeMult));
  PetscCall(HGProblemSetUpperObjective(prob, UpperObjective));
  PetscCall(HGProblemSetUpperGradient(prob, UpperGradient));
  PetscCall(HGProblemSetSymmetric(prob, PETSC_FALSE)); /* d_w Phi is not symmetric: GMRES by default */
  PetscCall(HGProblemSetMapContraction(prob, 0.8));    /* ||d_w Phi|| <= ||A||_2 <= 0.8 */
  PetscCall(HGProblemSetFromOptions(prob));

  PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetType(hg, HGAID));
  PetscCall(HGSetIterations(hg, 200, 200));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGComputeHypergradient(hg, lambda, h));
  PetscCall(HGGetInfo(hg, &info));

  /* 4 random directions: central differences of f with the lower level converged */
  PetscCall(HGTestHypergradient(hg, lambda, h, 4, 1e-5, NULL, &maxrel));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "ex2: f = %.10f, lower residual %.1e, adjoint residual %.1e, largest relative error against finite differences %.2e\n", (double)info.upper_objective, (double)info.lower_residual, (double)info.adjoint_residual, (double)maxrel));
  PetscCheck(maxrel <= rtol, PETSC_COMM_WORLD, PETSC_ERR_NOT_CONVERGED, "ex2: the hypergradient differs from finite differences of f by %g relative (tolerance -rtol %g)", (double)maxrel, (double)rtol);

  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&fp.z));
  PetscCall(VecDestroy(&fp.a));
  PetscCall(VecDestroy(&fp.s));
  PetscCall(MatDestroy(&fp.A));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
