static const char help[] = "t705: the a-posteriori bound of one HG reused while lambda moves stays above the true error.\n"
                           "A user's shell ridge problem l = 1/2 ||X w - y||^2 + 1/2 sum_j exp(lambda_j) w_j^2 (X 200 x 50),\n"
                           "E = 1/2 ||Xv w - yv||^2 (Xv 100 x 50); the true hypergradient by a direct (Cholesky) solve.\n"
                           "One HG computes a hypergradient at lambda = 0, then at 9 moved lambda (t = 30, 60, 100 x\n"
                           "k = 10, 20, 30): the bound must be >= the error at every point.  B and L_B grow with exp(lambda).\n"
                           "  -constants estimated   L, mu per lambda from the problem, the other constants estimated (default)\n"
                           "  -constants function    every constant per lambda from the problem (HGProblemSetBoundConstantsFunction)\n"
                           "  -v                     print each point\n";
#include "hgtest.h"
#define HGTEST_BOUND_FUNCTION 1 /* undefine to build against a library without HGProblemSetBoundConstantsFunction() */
#include <petscblaslapack.h>

#define NTR 200
#define NVA 100
#define P   50

typedef struct {
  PetscReal  X[NTR * P], y[NTR], Xv[NVA * P], yv[NVA]; /* row-major, every rank holds all */
  PetscReal  emin, emax, etaw;                          /* extreme eigenvalues of X^T X, ||Xv||^2 */
  VecScatter sc;
  Vec        full[3];                                   /* sequential copies of whole vectors */
} Ridge;

/* the whole of x in the sequential Vec full[slot] on every rank */
static PetscErrorCode Gather(Ridge *r, Vec x, PetscInt slot, const PetscScalar **a)
{
  PetscFunctionBegin;
  PetscCall(VecScatterBegin(r->sc, x, r->full[slot], INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(r->sc, x, r->full[slot], INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayRead(r->full[slot], a));
  PetscFunctionReturn(0);
}

/* out (distributed) = the entries of the whole array f that this rank owns */
static PetscErrorCode Scatter(const PetscReal *f, Vec out)
{
  PetscInt     lo, hi;
  PetscScalar *o;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(out, &lo, &hi));
  PetscCall(VecGetArrayWrite(out, &o));
  for (PetscInt i = lo; i < hi; i++) o[i - lo] = f[i];
  PetscCall(VecRestoreArrayWrite(out, &o));
  PetscFunctionReturn(0);
}

/* y = M^T (M x - b) for M of m rows (b NULL: y = M^T M x) */
static void NormalMult(const PetscReal *M, PetscInt m, const PetscReal *b, const PetscScalar *x, PetscReal *y)
{
  for (PetscInt j = 0; j < P; j++) y[j] = 0;
  for (PetscInt i = 0; i < m; i++) {
    PetscReal s = b ? -b[i] : 0;
    for (PetscInt j = 0; j < P; j++) s += M[i * P + j] * x[j];
    for (PetscInt j = 0; j < P; j++) y[j] += M[i * P + j] * s;
  }
}

static PetscErrorCode LowerGradient(HGProblem p, Vec w, Vec l, Vec g, void *ctx)
{
  Ridge             *r = (Ridge *)ctx;
  const PetscScalar *wa, *la;
  PetscReal          y[P];

  PetscFunctionBegin;
  PetscCall(Gather(r, w, 0, &wa));
  PetscCall(Gather(r, l, 1, &la));
  NormalMult(r->X, NTR, r->y, wa, y);
  for (PetscInt j = 0; j < P; j++) y[j] += PetscExpReal(la[j]) * wa[j];
  PetscCall(VecRestoreArrayRead(r->full[0], &wa));
  PetscCall(VecRestoreArrayRead(r->full[1], &la));
  PetscCall(Scatter(y, g));
  PetscFunctionReturn(0);
}

static PetscErrorCode HessianMult(HGProblem p, Vec w, Vec l, Vec x, Vec out, void *ctx)
{
  Ridge             *r = (Ridge *)ctx;
  const PetscScalar *xa, *la;
  PetscReal          y[P];

  PetscFunctionBegin;
  PetscCall(Gather(r, x, 0, &xa));
  PetscCall(Gather(r, l, 1, &la));
  NormalMult(r->X, NTR, NULL, xa, y);
  for (PetscInt j = 0; j < P; j++) y[j] += PetscExpReal(la[j]) * xa[j];
  PetscCall(VecRestoreArrayRead(r->full[0], &xa));
  PetscCall(VecRestoreArrayRead(r->full[1], &la));
  PetscCall(Scatter(y, out));
  PetscFunctionReturn(0);
}

/* (d_lambda grad_w l)^T v = exp(lambda) .* w .* v */
static PetscErrorCode MixedMultTranspose(HGProblem p, Vec w, Vec l, Vec v, Vec out, void *ctx)
{
  PetscFunctionBegin;
  PetscCall(VecCopy(l, out));
  PetscCall(VecExp(out));
  PetscCall(VecPointwiseMult(out, out, w));
  PetscCall(VecPointwiseMult(out, out, v));
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerObjective(HGProblem p, Vec w, Vec l, PetscReal *f, void *ctx)
{
  Ridge             *r = (Ridge *)ctx;
  const PetscScalar *wa, *la;

  PetscFunctionBegin;
  PetscCall(Gather(r, w, 0, &wa));
  PetscCall(Gather(r, l, 1, &la));
  *f = 0;
  for (PetscInt i = 0; i < NTR; i++) {
    PetscReal s = -r->y[i];
    for (PetscInt j = 0; j < P; j++) s += r->X[i * P + j] * wa[j];
    *f += 0.5 * s * s;
  }
  for (PetscInt j = 0; j < P; j++) *f += 0.5 * PetscExpReal(la[j]) * wa[j] * wa[j];
  PetscCall(VecRestoreArrayRead(r->full[0], &wa));
  PetscCall(VecRestoreArrayRead(r->full[1], &la));
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperObjective(HGProblem p, Vec w, Vec l, PetscReal *f, void *ctx)
{
  Ridge             *r = (Ridge *)ctx;
  const PetscScalar *wa;

  PetscFunctionBegin;
  PetscCall(Gather(r, w, 0, &wa));
  *f = 0;
  for (PetscInt i = 0; i < NVA; i++) {
    PetscReal s = -r->yv[i];
    for (PetscInt j = 0; j < P; j++) s += r->Xv[i * P + j] * wa[j];
    *f += 0.5 * s * s;
  }
  PetscCall(VecRestoreArrayRead(r->full[0], &wa));
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperGradient(HGProblem p, Vec w, Vec l, Vec gw, Vec gl, void *ctx)
{
  Ridge             *r = (Ridge *)ctx;
  const PetscScalar *wa;
  PetscReal          y[P];

  PetscFunctionBegin;
  PetscCall(Gather(r, w, 0, &wa));
  NormalMult(r->Xv, NVA, r->yv, wa, y);
  PetscCall(VecRestoreArrayRead(r->full[0], &wa));
  PetscCall(Scatter(y, gw));
  PetscCall(VecSet(gl, 0.0));
  PetscFunctionReturn(0);
}

/* L and mu at lambda: the extreme eigenvalues of X^T X + diag(exp(lambda)) bracketed */
static PetscErrorCode LowerConstants(HGProblem p, Vec l, PetscReal *L, PetscReal *mu, void *ctx)
{
  Ridge    *r = (Ridge *)ctx;
  PetscReal lmin, lmax;

  PetscFunctionBegin;
  PetscCall(VecMin(l, NULL, &lmin));
  PetscCall(VecMax(l, NULL, &lmax));
  *L  = r->emax + PetscExpReal(lmax);
  *mu = r->emin + PetscExpReal(lmin);
  PetscFunctionReturn(0);
}

#if defined(HGTEST_BOUND_FUNCTION)
/* every bound constant at (w, lambda): E is quadratic with Hessian Xv^T Xv (eta_w = ||Xv||^2),
   grad_lambda E = 0 (eta_l = 0), the Hessian of l does not depend on w (L_A = 0), and
   B(w) = diag(exp(lambda) .* w) (as a map of v): ||B(w)|| = max_j exp(lambda_j) |w_j| and
   ||B(w) - B(w')|| <= max_j exp(lambda_j) ||w - w'|| */
static PetscErrorCode BoundConstants(HGProblem p, Vec w, Vec l, PetscReal *etaw, PetscReal *etal, PetscReal *LA, PetscReal *LB, PetscReal *B, void *ctx)
{
  Ridge    *r = (Ridge *)ctx;
  Vec       t;
  PetscReal lmax;

  PetscFunctionBegin;
  PetscCall(VecMax(l, NULL, &lmax));
  PetscCall(VecDuplicate(l, &t));
  PetscCall(VecCopy(l, t));
  PetscCall(VecExp(t));
  PetscCall(VecPointwiseMult(t, t, w));
  PetscCall(VecNorm(t, NORM_INFINITY, B));
  PetscCall(VecDestroy(&t));
  *etaw = r->etaw;
  *etal = 0;
  *LA   = 0;
  *LB   = PetscExpReal(lmax);
  PetscFunctionReturn(0);
}
#endif

/* extreme eigenvalues of M^T M (m rows), LAPACK on every rank */
static PetscErrorCode GramRange(const PetscReal *M, PetscInt m, PetscReal *emin, PetscReal *emax)
{
  PetscScalar  G[P * P], work[10 * P];
  PetscReal    ev[P];
  PetscBLASInt n = P, lwork = 10 * P, info;

  PetscFunctionBegin;
  for (PetscInt a = 0; a < P; a++)
    for (PetscInt b = 0; b < P; b++) {
      PetscReal s = 0;
      for (PetscInt i = 0; i < m; i++) s += M[i * P + a] * M[i * P + b];
      G[a * P + b] = s;
    }
  PetscCallBLAS("LAPACKsyev", LAPACKsyev_("N", "L", &n, G, &n, ev, work, &lwork, &info));
  PetscCheck(!info, PETSC_COMM_SELF, PETSC_ERR_LIB, "syev failed: %d", (int)info);
  *emin = ev[0];
  *emax = ev[P - 1];
  PetscFunctionReturn(0);
}

/* The true hypergradient at lambda: w* = A^{-1} X^T y, v* = A^{-1} grad_w E(w*), grad f = -exp(lambda) .* w* .* v*,
   A = X^T X + diag(exp(lambda)), by Cholesky on every rank */
static PetscErrorCode ExactHypergradient(Ridge *r, Vec l, Vec g)
{
  const PetscScalar *la;
  PetscScalar        A[P * P], rhs[2 * P];
  PetscReal          out[P], wstar[P];
  PetscBLASInt       n = P, one = 1, info;

  PetscFunctionBegin;
  PetscCall(Gather(r, l, 1, &la));
  for (PetscInt a = 0; a < P; a++)
    for (PetscInt b = 0; b < P; b++) {
      PetscReal s = 0;
      for (PetscInt i = 0; i < NTR; i++) s += r->X[i * P + a] * r->X[i * P + b];
      A[a * P + b] = s + (a == b ? PetscExpReal(la[a]) : 0);
    }
  for (PetscInt j = 0; j < P; j++) {
    PetscReal s = 0;
    for (PetscInt i = 0; i < NTR; i++) s += r->X[i * P + j] * r->y[i];
    rhs[j] = s;
  }
  PetscCallBLAS("LAPACKpotrf", LAPACKpotrf_("L", &n, A, &n, &info));
  PetscCheck(!info, PETSC_COMM_SELF, PETSC_ERR_LIB, "potrf failed: %d", (int)info);
  PetscCallBLAS("LAPACKpotrs", LAPACKpotrs_("L", &n, &one, A, &n, rhs, &n, &info));
  for (PetscInt j = 0; j < P; j++) wstar[j] = rhs[j];
  NormalMult(r->Xv, NVA, r->yv, rhs, out);
  for (PetscInt j = 0; j < P; j++) rhs[j] = out[j];
  PetscCallBLAS("LAPACKpotrs", LAPACKpotrs_("L", &n, &one, A, &n, rhs, &n, &info));
  for (PetscInt j = 0; j < P; j++) out[j] = -PetscExpReal(la[j]) * wstar[j] * rhs[j];
  PetscCall(VecRestoreArrayRead(r->full[1], &la));
  PetscCall(Scatter(out, g));
  PetscFunctionReturn(0);
}

/* lambda_j = shift + amp * HGTestValue(point, j): every point a different lambda */
static PetscErrorCode SetLambda(Vec l, PetscInt point, PetscReal shift, PetscReal amp)
{
  PetscInt     lo, hi;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(l, &lo, &hi));
  PetscCall(VecGetArrayWrite(l, &a));
  for (PetscInt j = lo; j < hi; j++) a[j - lo] = shift + amp * HGTestValue(100 + point, j);
  PetscCall(VecRestoreArrayWrite(l, &a));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  Ridge      r;
  HGProblem  prob;
  HG         hg;
  Vec        w, lambda, h, g;
  char       constants[32] = "estimated";
  PetscBool  verbose = PETSC_FALSE, usefn;
  PetscReal  worst = PETSC_MAX_REAL, s;
  PetscInt   npts = 0, nbelow = 0;
  const PetscInt tl[] = {30, 60, 100}, kl[] = {10, 20, 30};

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-constants", constants, sizeof(constants), NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-v", &verbose, NULL));
  PetscCall(PetscStrcmp(constants, "function", &usefn));
  /* data: entries uniform in [-1, 1], so that X^T X (eigenvalues about 17 to 150) dominates
     exp(lambda) at lambda = 0: mu barely grows with lambda while B and L_B grow with exp(lambda) */
  s = 1.0;
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-xscale", &s, NULL));
  for (PetscInt i = 0; i < NTR * P; i++) r.X[i] = s * HGTestValue(1, i);
  for (PetscInt i = 0; i < NVA * P; i++) r.Xv[i] = s * HGTestValue(2, i);
  for (PetscInt i = 0; i < NTR; i++) r.y[i] = HGTestValue(3, i);
  for (PetscInt i = 0; i < NVA; i++) r.yv[i] = HGTestValue(4, i);
  PetscCall(GramRange(r.X, NTR, &r.emin, &r.emax));
  {
    PetscReal a, b;
    PetscCall(GramRange(r.Xv, NVA, &a, &b));
    r.etaw = b;
  }

  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, P, &w));
  PetscCall(VecDuplicate(w, &lambda));
  PetscCall(VecDuplicate(w, &h));
  PetscCall(VecDuplicate(w, &g));
  PetscCall(VecScatterCreateToAll(w, &r.sc, &r.full[0]));
  PetscCall(VecDuplicate(r.full[0], &r.full[1]));
  PetscCall(VecDuplicate(r.full[0], &r.full[2]));

  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetType(prob, HGPROBLEMSHELL));
  PetscCall(HGProblemSetVecTemplates(prob, w, lambda));
  PetscCall(HGProblemSetContext(prob, &r, NULL));
  PetscCall(HGProblemSetLowerObjective(prob, LowerObjective));
  PetscCall(HGProblemSetLowerGradient(prob, LowerGradient));
  PetscCall(HGProblemSetLowerHessianMult(prob, HessianMult));
  PetscCall(HGProblemSetLowerMixedMultTranspose(prob, MixedMultTranspose));
  PetscCall(HGProblemSetUpperObjective(prob, UpperObjective));
  PetscCall(HGProblemSetUpperGradient(prob, UpperGradient));
  PetscCall(HGProblemSetLowerConstantsFunction(prob, LowerConstants));
  PetscCall(HGProblemSetLowerConstants(prob, r.emax + 1, r.emin + 1)); /* at lambda = 0, for the set-up */
#if defined(HGTEST_BOUND_FUNCTION)
  if (usefn) PetscCall(HGProblemSetBoundConstantsFunction(prob, BoundConstants));
#else
  HGTEST_CHECK(!usefn, "this build has no HGProblemSetBoundConstantsFunction()");
#endif
  PetscCall(HGProblemSetFromOptions(prob));

  PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetType(hg, HGAID));
  { /* AID-FP: with the fast CG some points would reach rounding level */
    KSP ksp;
    PetscCall(HGGetKSP(hg, &ksp));
    PetscCall(KSPSetType(ksp, KSPRICHARDSON));
  }
  PetscCall(HGSetFromOptions(hg));
  /* the first hypergradient at lambda = 0, where the estimates of a reusing HG would be made */
  PetscCall(VecSet(lambda, 0.0));
  PetscCall(HGSetIterations(hg, 100, 30));
  PetscCall(HGTestCompute(hg, lambda, h));
  for (PetscInt it = 0; it < 3; it++)
    for (PetscInt ik = 0; ik < 3; ik++) {
      HGInfo    info;
      PetscReal err;

      PetscCall(SetLambda(lambda, 3 * it + ik, 3.0 + 0.5 * it, 1.5));
      PetscCall(HGSetIterations(hg, tl[it], kl[ik]));
      PetscCall(HGTestCompute(hg, lambda, h));
      PetscCall(HGGetInfo(hg, &info));
      PetscCall(ExactHypergradient(&r, lambda, g));
      PetscCall(VecAXPY(g, -1.0, h));
      PetscCall(VecNorm(g, NORM_2, &err));
      HGTEST_CHECK(info.bound_aposteriori >= 0, "t = %" PetscInt_FMT ", k = %" PetscInt_FMT ": no a-posteriori bound", tl[it], kl[ik]);
      HGTEST_CHECK(err > 1e-10, "t = %" PetscInt_FMT ", k = %" PetscInt_FMT ": error %g at rounding level: the point tests nothing", tl[it], kl[ik], (double)err);
      if (usefn) HGTEST_CHECK(info.bound_estimated == 0, "constants from the problem, but bound_estimated = %" PetscInt_FMT, info.bound_estimated);
      else HGTEST_CHECK(info.bound_estimated & HG_BOUND_B, "B should be estimated (bound_estimated = %" PetscInt_FMT ")", info.bound_estimated);
      if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "t %3" PetscInt_FMT " k %2" PetscInt_FMT ": error %.3e bound %.3e ratio %.2f\n", tl[it], kl[ik], (double)err, (double)info.bound_aposteriori, (double)(info.bound_aposteriori / err)));
      if (info.bound_aposteriori < err) nbelow++;
      worst = PetscMin(worst, info.bound_aposteriori / err);
      npts++;
    }
  HGTEST_CHECK(nbelow == 0, "constants %s: the a-posteriori bound is below the true error at %" PetscInt_FMT " of %" PetscInt_FMT " points once lambda moved (smallest bound/error %.3f)", constants, nbelow, npts, (double)worst);
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "constants %s: smallest bound / error %.2f over %" PetscInt_FMT " points\n", constants, (double)worst, npts));

  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(VecScatterDestroy(&r.sc));
  for (int i = 0; i < 3; i++) PetscCall(VecDestroy(&r.full[i]));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&g));
  PetscCall(PetscFinalize());
  return 0;
}
