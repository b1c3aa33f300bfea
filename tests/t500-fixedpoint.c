static const char help[] = "t500: a user's fixed-point problem (shell callbacks), non-symmetric:\n"
                           "  Phi(w,l) = M w + B l + c (linear, exact hypergradient by a direct solve) or tanh(M w + B l + c) (-nonlinear),\n"
                           "  E = 1/2 ||w - z||^2 + mu/2 ||l||^2; every method against the truth or finite differences.\n";
#include "hgtest.h"
#include <petscblaslapack.h>

typedef struct {
  PetscInt  d, n;
  PetscReal rho, mu;
  PetscBool nonlinear;
  Mat       M, B;
  Vec       c, z, a, s; /* s = 1 - tanh^2 at the last w */
} FP;

static PetscErrorCode Pre(FP *fp, Vec w, Vec l)
{
  PetscFunctionBegin;
  PetscCall(MatMult(fp->M, w, fp->a));
  PetscCall(MatMultAdd(fp->B, l, fp->a, fp->a));
  PetscCall(VecAXPY(fp->a, 1.0, fp->c));
  PetscFunctionReturn(0);
}

/* s = tanh'(a) = 1 - tanh(a)^2 (1 when linear) */
static PetscErrorCode Slope(FP *fp, Vec w, Vec l)
{
  PetscFunctionBegin;
  if (!fp->nonlinear) {
    PetscCall(VecSet(fp->s, 1.0));
    PetscFunctionReturn(0);
  }
  PetscCall(Pre(fp, w, l));
  {
    PetscScalar *s;
    const PetscScalar *a;
    PetscInt n;
    PetscCall(VecGetLocalSize(fp->s, &n));
    PetscCall(VecGetArrayRead(fp->a, &a));
    PetscCall(VecGetArrayWrite(fp->s, &s));
    for (PetscInt i = 0; i < n; i++) s[i] = 1 - PetscSqr(PetscTanhReal(a[i]));
    PetscCall(VecRestoreArrayRead(fp->a, &a));
    PetscCall(VecRestoreArrayWrite(fp->s, &s));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode Map(HGProblem p, Vec w, Vec l, Vec out, void *ctx)
{
  FP *fp = (FP *)ctx;

  PetscFunctionBegin;
  PetscCall(Pre(fp, w, l));
  PetscCall(VecCopy(fp->a, out));
  if (fp->nonlinear) {
    PetscScalar *o;
    PetscInt     n;
    PetscCall(VecGetLocalSize(out, &n));
    PetscCall(VecGetArray(out, &o));
    for (PetscInt i = 0; i < n; i++) o[i] = PetscTanhReal(o[i]);
    PetscCall(VecRestoreArray(out, &o));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode JacT(HGProblem p, Vec w, Vec l, Vec v, Vec out, void *ctx)
{
  FP *fp = (FP *)ctx;

  PetscFunctionBegin;
  PetscCall(Slope(fp, w, l));
  PetscCall(VecPointwiseMult(fp->a, fp->s, v));
  PetscCall(MatMultTranspose(fp->M, fp->a, out));
  PetscFunctionReturn(0);
}

static PetscErrorCode Jac(HGProblem p, Vec w, Vec l, Vec u, Vec out, void *ctx)
{
  FP *fp = (FP *)ctx;

  PetscFunctionBegin;
  PetscCall(Slope(fp, w, l));
  PetscCall(MatMult(fp->M, u, out));
  PetscCall(VecPointwiseMult(out, out, fp->s));
  PetscFunctionReturn(0);
}

static PetscErrorCode ParamT(HGProblem p, Vec w, Vec l, Vec v, Vec out, void *ctx)
{
  FP *fp = (FP *)ctx;

  PetscFunctionBegin;
  PetscCall(Slope(fp, w, l));
  PetscCall(VecPointwiseMult(fp->a, fp->s, v));
  PetscCall(MatMultTranspose(fp->B, fp->a, out));
  PetscFunctionReturn(0);
}

static PetscErrorCode Upper(HGProblem p, Vec w, Vec l, PetscReal *E, void *ctx)
{
  FP       *fp = (FP *)ctx;
  PetscReal a, b;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(fp->a, -1.0, fp->z, w));
  PetscCall(VecNorm(fp->a, NORM_2, &a));
  PetscCall(VecNorm(l, NORM_2, &b));
  *E = 0.5 * a * a + 0.5 * fp->mu * b * b;
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperGrad(HGProblem p, Vec w, Vec l, Vec gw, Vec gl, void *ctx)
{
  FP *fp = (FP *)ctx;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(gw, -1.0, fp->z, w));
  PetscCall(VecAXPBY(gl, fp->mu, 0.0, l));
  PetscFunctionReturn(0);
}

static PetscErrorCode FillMat(Mat A, PetscInt stream, PetscReal scale)
{
  PetscInt lo, hi, N;

  PetscFunctionBegin;
  PetscCall(MatGetOwnershipRange(A, &lo, &hi));
  PetscCall(MatGetSize(A, NULL, &N));
  for (PetscInt i = lo; i < hi; i++)
    for (PetscInt j = 0; j < N; j++) PetscCall(MatSetValue(A, i, j, scale * HGTestValue(stream, i * N + j), INSERT_VALUES));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

static PetscErrorCode FillVec(Vec x, PetscInt stream)
{
  PetscInt lo, hi;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(x, i, HGTestValue(stream, i), INSERT_VALUES));
  PetscCall(VecAssemblyBegin(x));
  PetscCall(VecAssemblyEnd(x));
  PetscFunctionReturn(0);
}

/* truth for the linear map: w = (I-M)^{-1}(B l + c), grad = mu l + B^T (I-M)^{-T} (w - z), dense LAPACK on each rank */
static PetscErrorCode Exact(FP *fp, Vec l, Vec g)
{
  PetscInt     d = fp->d, n = fp->n, lo, hi;
  PetscScalar *A, *w, *r, *lam;
  PetscBLASInt bd, one = 1, info, *piv;
  PetscReal    fro = 0;
  const PetscScalar *la;
  Vec          lall;
  VecScatter   sc;

  PetscFunctionBegin;
  PetscCall(PetscMalloc5(d * d, &A, d, &w, d, &r, n, &lam, d, &piv));
  PetscCall(VecScatterCreateToAll(l, &sc, &lall));
  PetscCall(VecScatterBegin(sc, l, lall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, l, lall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayRead(lall, &la));
  for (PetscInt j = 0; j < n; j++) lam[j] = la[j];
  PetscCall(VecRestoreArrayRead(lall, &la));
  for (PetscInt k = 0; k < d * d; k++) fro += PetscSqr(HGTestValue(1, k));
  fro = PetscSqrtReal(fro);
  for (PetscInt i = 0; i < d; i++) {
    w[i] = HGTestValue(3, i);
    for (PetscInt j = 0; j < n; j++) w[i] += HGTestValue(2, i * n + j) / PetscSqrtReal((PetscReal)n) * lam[j];
    for (PetscInt j = 0; j < d; j++) A[i + j * d] = (i == j) - fp->rho / fro * HGTestValue(1, i * d + j);
  }
  bd = (PetscBLASInt)d;
  LAPACKgesv_(&bd, &one, A, &bd, piv, w, &bd, &info);
  HGTEST_CHECK(info == 0, "gesv failed");
  for (PetscInt i = 0; i < d; i++) r[i] = w[i] - HGTestValue(4, i);
  /* A holds the LU of I - M: solve the transposed system */
  LAPACKgetrs_("T", &bd, &one, A, &bd, piv, r, &bd, &info);
  HGTEST_CHECK(info == 0, "getrs failed");
  PetscCall(VecGetOwnershipRange(g, &lo, &hi));
  for (PetscInt j = lo; j < hi; j++) {
    PetscScalar s = fp->mu * lam[j];
    for (PetscInt i = 0; i < d; i++) s += HGTestValue(2, i * n + j) / PetscSqrtReal((PetscReal)n) * r[i];
    PetscCall(VecSetValue(g, j, s, INSERT_VALUES));
  }
  PetscCall(VecAssemblyBegin(g));
  PetscCall(VecAssemblyEnd(g));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&lall));
  PetscCall(PetscFree5(A, w, r, lam, piv));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  FP        fp = {60, 15, 0.6, 0.1, PETSC_FALSE, NULL, NULL, NULL, NULL, NULL, NULL};
  HGProblem prob;
  Vec       w, l, h, truth;
  PetscReal fro, err, maxrel;
  struct {
    const char *hg, *lower, *ksp;
  } cases[] = {
    {HGAID, HGLOWERGD, KSPGMRES}, {HGAID, HGLOWERGD, KSPRICHARDSON}, {HGAID, HGLOWERGD, KSPCGNE}, {HGAID, HGLOWERGD, KSPLSQR}, {HGAID, HGLOWERHEAVYBALL, KSPGMRES}, {HGITD, HGLOWERGD, NULL}, {HGITD, HGLOWERHEAVYBALL, NULL}, {HGIAD, HGLOWERGD, NULL},
  };

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-nonlinear", &fp.nonlinear, NULL));
  PetscCall(MatCreateDense(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, fp.d, fp.d, NULL, &fp.M));
  PetscCall(MatCreateDense(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, fp.d, fp.n, NULL, &fp.B));
  PetscCall(FillMat(fp.M, 1, 1.0));
  PetscCall(MatNorm(fp.M, NORM_FROBENIUS, &fro));
  PetscCall(MatScale(fp.M, fp.rho / fro)); /* ||M||_2 <= ||M||_F = rho < 1 */
  PetscCall(FillMat(fp.B, 2, 1.0 / PetscSqrtReal((PetscReal)fp.n)));
  PetscCall(MatCreateVecs(fp.M, &w, &fp.c));
  PetscCall(MatCreateVecs(fp.B, &l, NULL));
  PetscCall(VecDuplicate(fp.c, &fp.z));
  PetscCall(VecDuplicate(fp.c, &fp.a));
  PetscCall(VecDuplicate(fp.c, &fp.s));
  PetscCall(FillVec(fp.c, 3));
  PetscCall(FillVec(fp.z, 4));
  PetscCall(FillVec(l, 5));
  PetscCall(VecDuplicate(l, &h));
  PetscCall(VecDuplicate(l, &truth));

  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetVecTemplates(prob, w, l));
  PetscCall(HGProblemSetContext(prob, &fp, NULL));
  PetscCall(HGProblemSetMap(prob, Map));
  PetscCall(HGProblemSetMapJacobianTransposeMult(prob, JacT));
  PetscCall(HGProblemSetMapParamJacobianTransposeMult(prob, ParamT));
  PetscCall(HGProblemSetUpperObjective(prob, Upper));
  PetscCall(HGProblemSetUpperGradient(prob, UpperGrad));
  PetscCall(HGProblemSetMapContraction(prob, fp.rho));
  PetscCall(HGProblemSetSymmetric(prob, PETSC_FALSE));
  /* cgne needs the forward Jacobian product; without it, it is taken by central differences of Phi
     and the report says the products are approximate; the same hypergradient as with d_w Phi u below */
  Vec hfd;
  PetscCall(VecDuplicate(h, &hfd));
  {
    HG     hg;
    HGInfo info;
    PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCGNE, 120, PETSC_DEFAULT, &hg));
    PetscCall(HGTestCompute(hg, l, hfd));
    PetscCall(HGGetInfo(hg, &info));
    HGTEST_CHECK(info.approximate_products, "cgne with d_w Phi u from differences of Phi: the report does not say that the products are approximate");
    PetscCall(HGDestroy(&hg));
  }
  PetscCall(HGProblemSetMapJacobianMult(prob, Jac));
  PetscCall(VecSet(w, 0.1));
  PetscCall(HGProblemTestDerivatives(prob, w, l, 1e-6, NULL, &maxrel));
  HGTEST_CHECK(maxrel < 1e-6, "fixed-point callbacks disagree with finite differences: %g", (double)maxrel);
  if (!fp.nonlinear) PetscCall(Exact(&fp, l, truth));
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    HG      hg;
    HGLower lower;
    PetscCall(HGTestMethod(prob, cases[c].hg, cases[c].lower, cases[c].ksp, 120, PETSC_DEFAULT, &hg));
    PetscCall(HGGetLower(hg, &lower));
    if (!strcmp(cases[c].lower, HGLOWERHEAVYBALL)) PetscCall(HGLowerSetMomentum(lower, 0.05));
    PetscCall(HGTestCompute(hg, l, h));
    if (fp.nonlinear) {
      PetscViewer quiet;
      PetscCall(PetscViewerASCIIOpen(PETSC_COMM_WORLD, "/dev/null", &quiet));
      PetscCall(HGTestHypergradient(hg, l, h, 4, 1e-6, quiet, &err));
      PetscCall(PetscViewerDestroy(&quiet));
      HGTEST_CHECK(err < 1e-6, "nonlinear map: %s/%s/%s differs from finite differences by %g", cases[c].hg, cases[c].lower, cases[c].ksp ? cases[c].ksp : "-", (double)err);
    } else {
      PetscCall(HGTestRelDiff(h, truth, &err));
      HGTEST_CHECK(err < 1e-10, "linear map: %s/%s/%s relative error %g > 1e-10", cases[c].hg, cases[c].lower, cases[c].ksp ? cases[c].ksp : "-", (double)err);
    }
    PetscCall(HGDestroy(&hg));
  }
  {
    HG hg;
    PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCGNE, 120, PETSC_DEFAULT, &hg));
    PetscCall(HGTestCompute(hg, l, h));
    PetscCall(HGTestRelDiff(hfd, h, &err));
    HGTEST_CHECK(err < 1e-6, "cgne with d_w Phi u from differences of Phi differs from cgne with the exact product by %g", (double)err);
    PetscCall(HGDestroy(&hg));
    PetscCall(VecDestroy(&hfd));
  }
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(MatDestroy(&fp.M));
  PetscCall(MatDestroy(&fp.B));
  PetscCall(VecDestroy(&fp.c));
  PetscCall(VecDestroy(&fp.z));
  PetscCall(VecDestroy(&fp.a));
  PetscCall(VecDestroy(&fp.s));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&l));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&truth));
  PetscCall(PetscFinalize());
  return 0;
}
