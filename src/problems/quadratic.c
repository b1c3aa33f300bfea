/*MC
   HGPROBLEMQUADRATIC - the closed-form test problem of Ehrhardt & Roberts (after Li et al.):

     f(theta) = ||A x*(theta) - b||^2,   x*(theta) = argmin_y ||C theta + D y - e||^2

   with D (m x d), C (m x n), A (p x d), e, b Gaussian (seeded, identical on any number of
   ranks).  Hessian 2 D^T D, mixed derivative 2 D^T C; L and mu are the extreme eigenvalues
   of 2 D^T D.  The exact hypergradient -2 C^T D (D^T D)^{-1} A^T (A x* - b) is computed by a
   dense Cholesky solve on each rank, independently of the distributed callbacks.

   Options: -quad_n <20> (hyperparameters), -quad_d <40> (lower dimension), -quad_m <80>,
            -quad_p <30>, -quad_seed <0>
M*/
#include <hypergrad/hgimpl.h>
#include <petscblaslapack.h>

enum { STREAM_D = 1, STREAM_C, STREAM_A, STREAM_E, STREAM_B, STREAM_THETA };

typedef struct {
  PetscInt  n, d, m, p;
  PetscInt64 seed;
  Mat       D, C, A;
  Vec       e, b, r_m, r_m2, r_p; /* data and work */
} Quad;

static PetscErrorCode Residual(Quad *q, Vec y, Vec theta, Vec r)
{
  PetscFunctionBegin;
  PetscCall(MatMult(q->C, theta, r));
  PetscCall(MatMultAdd(q->D, y, r, r));
  PetscCall(VecAXPY(r, -1.0, q->e));
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerObjective(HGProblem prob, Vec y, Vec theta, PetscReal *f, void *ctx)
{
  Quad *q = (Quad *)ctx;

  PetscFunctionBegin;
  PetscCall(Residual(q, y, theta, q->r_m));
  PetscCall(VecNorm(q->r_m, NORM_2, f));
  *f = (*f) * (*f);
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerGradient(HGProblem prob, Vec y, Vec theta, Vec g, void *ctx)
{
  Quad *q = (Quad *)ctx;

  PetscFunctionBegin;
  PetscCall(Residual(q, y, theta, q->r_m));
  PetscCall(MatMultTranspose(q->D, q->r_m, g));
  PetscCall(VecScale(g, 2.0));
  PetscFunctionReturn(0);
}

static PetscErrorCode HessianMult(HGProblem prob, Vec y, Vec theta, Vec x, Vec out, void *ctx)
{
  Quad *q = (Quad *)ctx;

  PetscFunctionBegin;
  PetscCall(MatMult(q->D, x, q->r_m));
  PetscCall(MatMultTranspose(q->D, q->r_m, out));
  PetscCall(VecScale(out, 2.0));
  PetscFunctionReturn(0);
}

static PetscErrorCode MixedMultTranspose(HGProblem prob, Vec y, Vec theta, Vec v, Vec out, void *ctx)
{
  Quad *q = (Quad *)ctx;

  PetscFunctionBegin;
  PetscCall(MatMult(q->D, v, q->r_m));
  PetscCall(MatMultTranspose(q->C, q->r_m, out));
  PetscCall(VecScale(out, 2.0));
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperObjective(HGProblem prob, Vec y, Vec theta, PetscReal *E, void *ctx)
{
  Quad *q = (Quad *)ctx;

  PetscFunctionBegin;
  PetscCall(MatMult(q->A, y, q->r_p));
  PetscCall(VecAXPY(q->r_p, -1.0, q->b));
  PetscCall(VecNorm(q->r_p, NORM_2, E));
  *E = (*E) * (*E);
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperGradient(HGProblem prob, Vec y, Vec theta, Vec gy, Vec gt, void *ctx)
{
  Quad *q = (Quad *)ctx;

  PetscFunctionBegin;
  PetscCall(MatMult(q->A, y, q->r_p));
  PetscCall(VecAXPY(q->r_p, -1.0, q->b));
  PetscCall(MatMultTranspose(q->A, q->r_p, gy));
  PetscCall(VecScale(gy, 2.0));
  PetscCall(VecSet(gt, 0.0));
  PetscFunctionReturn(0);
}

static PetscErrorCode Exact(HGProblem prob, Vec theta, Vec grad, PetscReal *f)
{
  Quad        *q = (Quad *)prob->data;
  PetscInt     m = q->m, d = q->d, n = q->n, p = q->p;
  PetscScalar *D, *C, *A, *e, *b, *th, *DtD, *rhs, *x, *r, *u, *z, *g;
  PetscReal    sm = 1.0 / PetscSqrtReal((PetscReal)m), sp = 1.0 / PetscSqrtReal((PetscReal)p);
  PetscInt     lo, hi;

  PetscFunctionBegin;
  PetscCall(HGDenseHashArray(m, d, q->seed, STREAM_D, sm, &D));
  PetscCall(HGDenseHashArray(m, n, q->seed, STREAM_C, sm, &C));
  PetscCall(HGDenseHashArray(p, d, q->seed, STREAM_A, sp, &A));
  PetscCall(HGDenseHashArray(m, 1, q->seed, STREAM_E, 1.0, &e));
  PetscCall(HGDenseHashArray(p, 1, q->seed, STREAM_B, 1.0, &b));
  PetscCall(HGVecGatherAll(theta, &th));
  PetscCall(PetscMalloc7(d * d, &DtD, m, &r, d, &x, p, &u, d, &rhs, m, &z, n, &g));
  /* x* = -(D^T D)^{-1} D^T (C theta - e) */
  PetscCall(HGDenseGemm("T", "N", d, d, m, 1.0, D, m, D, m, 0.0, DtD, d));
  for (PetscInt i = 0; i < m; i++) r[i] = -e[i];
  PetscCall(HGDenseGemm("N", "N", m, 1, n, 1.0, C, m, th, n, 1.0, r, m));
  PetscCall(HGDenseGemm("T", "N", d, 1, m, -1.0, D, m, r, m, 0.0, x, d));
  PetscCall(HGDenseCholeskySolve(d, DtD, 1, x)); /* DtD now holds its factor */
  /* u = A x* - b, f = ||u||^2, grad = -2 C^T D (D^T D)^{-1} A^T u */
  for (PetscInt i = 0; i < p; i++) u[i] = -b[i];
  PetscCall(HGDenseGemm("N", "N", p, 1, d, 1.0, A, p, x, d, 1.0, u, p));
  if (f) {
    *f = 0;
    for (PetscInt i = 0; i < p; i++) *f += PetscRealPart(u[i] * u[i]);
  }
  PetscCall(HGDenseGemm("T", "N", d, 1, p, 1.0, A, p, u, p, 0.0, rhs, d));
  {
    PetscBLASInt bn, one = 1, info;
    PetscCall(PetscBLASIntCast(d, &bn));
    PetscCallBLAS("LAPACKpotrs", LAPACKpotrs_("L", &bn, &one, DtD, &bn, rhs, &bn, &info));
    PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK potrs failed");
  }
  PetscCall(HGDenseGemm("N", "N", m, 1, d, 1.0, D, m, rhs, d, 0.0, z, m));
  PetscCall(HGDenseGemm("T", "N", n, 1, m, -2.0, C, m, z, m, 0.0, g, n));
  PetscCall(VecGetOwnershipRange(grad, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(grad, i, g[i], INSERT_VALUES));
  PetscCall(VecAssemblyBegin(grad));
  PetscCall(VecAssemblyEnd(grad));
  PetscCall(PetscFree7(DtD, r, x, u, rhs, z, g));
  PetscCall(PetscFree(D));
  PetscCall(PetscFree(C));
  PetscCall(PetscFree(A));
  PetscCall(PetscFree(e));
  PetscCall(PetscFree(b));
  PetscCall(PetscFree(th));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUp(HGProblem prob)
{
  Quad        *q    = (Quad *)prob->data;
  MPI_Comm     comm = PetscObjectComm((PetscObject)prob);
  Vec          y, theta;
  PetscScalar *D, *DtD;
  PetscReal    emin, emax;

  PetscFunctionBegin;
  if (q->D) PetscFunctionReturn(0);
  PetscCheck(q->m >= q->d, comm, PETSC_ERR_ARG_OUTOFRANGE, "-quad_m (%" PetscInt_FMT ") must be >= -quad_d (%" PetscInt_FMT ") for the lower problem to be strongly convex", q->m, q->d);
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, q->d, &y));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, q->n, &theta));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, q->m, &q->e));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, q->p, &q->b));
  PetscCall(HGMatCreateDenseHash(comm, q->m, q->d, q->e, y, q->seed, STREAM_D, 1.0 / PetscSqrtReal((PetscReal)q->m), &q->D));
  PetscCall(HGMatCreateDenseHash(comm, q->m, q->n, q->e, theta, q->seed, STREAM_C, 1.0 / PetscSqrtReal((PetscReal)q->m), &q->C));
  PetscCall(HGMatCreateDenseHash(comm, q->p, q->d, q->b, y, q->seed, STREAM_A, 1.0 / PetscSqrtReal((PetscReal)q->p), &q->A));
  PetscCall(HGVecSetHashNormal(q->e, q->seed, STREAM_E));
  PetscCall(HGVecSetHashNormal(q->b, q->seed, STREAM_B));
  PetscCall(VecDuplicate(q->e, &q->r_m));
  PetscCall(VecDuplicate(q->e, &q->r_m2));
  PetscCall(VecDuplicate(q->b, &q->r_p));
  PetscCall(HGProblemSetVecTemplates(prob, y, theta));
  PetscCall(HGVecSetHashNormal(theta, q->seed, STREAM_THETA));
  PetscCall(HGProblemSetInitialHyperparameters(prob, theta));
  /* constants from the eigenvalues of 2 D^T D */
  PetscCall(HGDenseHashArray(q->m, q->d, q->seed, STREAM_D, 1.0 / PetscSqrtReal((PetscReal)q->m), &D));
  PetscCall(PetscMalloc1(q->d * q->d, &DtD));
  PetscCall(HGDenseGemm("T", "N", q->d, q->d, q->m, 2.0, D, q->m, D, q->m, 0.0, DtD, q->d));
  PetscCall(HGDenseSymEigRange(q->d, DtD, &emin, &emax));
  PetscCall(HGProblemSetLowerConstants(prob, emax, emin));
  /* constants of the error bounds: grad_y E = 2 A^T (A y - b) is 2 ||A||^2-Lipschitz, grad_theta E = 0,
     both levels are quadratic in y (L_A = L_B = 0) and the mixed derivative is 2 D^T C */
  {
    PetscScalar *A, *C, *DtC, *M;
    PetscReal    amin, amax, bmin, bmax;

    PetscCall(HGDenseHashArray(q->p, q->d, q->seed, STREAM_A, 1.0 / PetscSqrtReal((PetscReal)q->p), &A));
    PetscCall(HGDenseHashArray(q->m, q->n, q->seed, STREAM_C, 1.0 / PetscSqrtReal((PetscReal)q->m), &C));
    PetscCall(PetscMalloc2(q->d * q->n, &DtC, PetscMax(q->d * q->d, q->n * q->n), &M));
    PetscCall(HGDenseGemm("T", "N", q->d, q->d, q->p, 2.0, A, q->p, A, q->p, 0.0, M, q->d));
    PetscCall(HGDenseSymEigRange(q->d, M, &amin, &amax));
    PetscCall(HGDenseGemm("T", "N", q->d, q->n, q->m, 2.0, D, q->m, C, q->m, 0.0, DtC, q->d));
    PetscCall(HGDenseGemm("T", "N", q->n, q->n, q->d, 1.0, DtC, q->d, DtC, q->d, 0.0, M, q->n));
    PetscCall(HGDenseSymEigRange(q->n, M, &bmin, &bmax));
    PetscCall(HGProblemSetBoundConstants(prob, amax, 0.0, 0.0, 0.0, PetscSqrtReal(PetscMax(bmax, 0))));
    PetscCall(PetscFree2(DtC, M));
    PetscCall(PetscFree(A));
    PetscCall(PetscFree(C));
  }
  PetscCall(PetscFree(D));
  PetscCall(PetscFree(DtD));
  PetscCall(VecDestroy(&y));
  PetscCall(VecDestroy(&theta));
  PetscCall(HGProblemSetOptimizationCallbacks(prob, q, LowerObjective, LowerGradient, HessianMult, MixedMultTranspose, UpperObjective, UpperGradient));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetFromOptions(HGProblem prob, PetscOptionItems *PetscOptionsObject)
{
  Quad    *q = (Quad *)prob->data;
  PetscInt seed = (PetscInt)q->seed;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Quadratic test problem (Ehrhardt & Roberts)");
  PetscCall(HGOptionsInt("-quad_n", "Number of hyperparameters", "", q->n, &q->n, NULL));
  PetscCall(HGOptionsInt("-quad_d", "Lower-level dimension", "", q->d, &q->d, NULL));
  PetscCall(HGOptionsInt("-quad_m", "Rows of C and D", "", q->m, &q->m, NULL));
  PetscCall(HGOptionsInt("-quad_p", "Rows of A", "", q->p, &q->p, NULL));
  PetscCall(HGOptionsInt("-quad_seed", "Random seed", "", seed, &seed, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(q->n > 0 && q->d > 0 && q->m > 0 && q->p > 0, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "-quad_n, -quad_d, -quad_m and -quad_p must be positive");
  q->seed = seed;
  PetscFunctionReturn(0);
}

static PetscErrorCode View(HGProblem prob, PetscViewer viewer)
{
  Quad *q = (Quad *)prob->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "quadratic: n = %" PetscInt_FMT ", d = %" PetscInt_FMT ", m = %" PetscInt_FMT ", p = %" PetscInt_FMT ", seed %" PetscInt64_FMT "\n", q->n, q->d, q->m, q->p, q->seed));
  PetscFunctionReturn(0);
}

static PetscErrorCode Destroy(HGProblem prob)
{
  Quad *q = (Quad *)prob->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&q->D));
  PetscCall(MatDestroy(&q->C));
  PetscCall(MatDestroy(&q->A));
  PetscCall(VecDestroy(&q->e));
  PetscCall(VecDestroy(&q->b));
  PetscCall(VecDestroy(&q->r_m));
  PetscCall(VecDestroy(&q->r_m2));
  PetscCall(VecDestroy(&q->r_p));
  PetscCall(PetscFree(prob->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGProblemCreate_Quadratic(HGProblem prob)
{
  Quad *q;

  PetscFunctionBegin;
  PetscCall(PetscNew(&q));
  q->n = 20, q->d = 40, q->m = 80, q->p = 30;
  prob->data                     = q;
  prob->ops->setup               = SetUp;
  prob->ops->setfromoptions      = SetFromOptions;
  prob->ops->exacthypergradient  = Exact;
  prob->ops->view                = View;
  prob->ops->destroy             = Destroy;
  PetscFunctionReturn(0);
}
