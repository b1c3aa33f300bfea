/*MC
   HGPROBLEMBIASREG - biased regularization (Grazzi et al. 3.1, after Denevi et al.):

     f(lambda) = 1/2 ||X' w(lambda) - y'||^2,
     w(lambda) = argmin_w 1/2 ||X w - y||^2 + beta/2 ||w - lambda||^2

   lambda and w are both in R^p (the same layout).  Hessian X^T X + beta I, mixed derivative
   -beta I.  The exact hypergradient beta (X^T X + beta I)^{-1} X'^T (X' w - y') comes from a
   dense Cholesky solve on each rank.  Data are Gaussian, seeded, identical on any rank count.

   The gradient and the Hessian product need X and X^T: each rank keeps its rows of X also
   row major and applies X^T X in one pass over them, a block of rows at a time (the block's
   X_B x, then X_B^T of it while the block is still in cache): one read of X instead of two.

   Real data: with the -data_* options of HGDataGetFromOptions() (-data_train F -data_val F, or
   -data F with -data_split) X, y and X', y' are read from files instead (labels as regression
   targets; dense or sparse X; sparse X is applied by MatMult/MatMultTranspose instead of the
   fused pass).  Then L is the Lanczos upper bound of ||X||^2 (HGMatNormSquaredBound()) + beta and mu = beta,
   and the exact hypergradient gathers X and X' densely on every rank (small p only).

   Cross-validation: as instance k of K (HGProblemSetInstance(), -problem multi -sub_problem
   biasreg -multi_n K) the training set (synthetic or from files) is split by the
   layout-independent hash of the sample index (HGCrossValidationSplit()): instance k trains on
   the other folds and E is the loss on fold k; the separate validation set is unused.

   Options: -br_p <50> features, -br_ntrain <100>, -br_nval <100>, -br_beta <1>, -br_seed <0>,
   and the -data_* options
M*/
#include <hypergrad/hgimpl.h>
#include <petscblaslapack.h>
#include "classify.h"

enum { STREAM_X = 11, STREAM_XV, STREAM_WTRUE, STREAM_NOISE, STREAM_NOISEV, STREAM_LAMBDA };

typedef struct {
  PetscInt   p, ntr, nval;
  PetscReal  beta;
  PetscInt64 seed;
  Mat        X, Xv;
  Vec        y, yv, r, rv, dw;
  PetscInt   m;        /* this rank's rows of X */
  PetscScalar *Xr;     /* the same rows, row major (m x p): the fused X^T X pass */
  VecScatter toall;    /* w-space Vec -> its whole copy on every rank (more than one rank) */
  Vec        xall, gall; /* sequential, length p */
  PetscBool  fromfile; /* X, y, X', y' from -data_* files */
  PetscBool  folded;   /* a fold of a cross-validation (HGProblemSetInstance()): X, y, X', y' as split, not regenerable from the hash */
} BR;

/* targets y = X w_true + 0.1 noise, on each rank's rows, from the same hash as the matrix */
static PetscErrorCode Targets(BR *br, PetscInt n, PetscInt64 sx, PetscInt64 snoise, PetscScalar *yall, Vec y)
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) {
    PetscScalar s = 0;
    for (PetscInt j = 0; j < br->p; j++) s += HGHashNormal(br->seed, sx, (PetscInt64)i * br->p + j) / PetscSqrtReal((PetscReal)br->p) * HGHashNormal(br->seed, STREAM_WTRUE, j);
    s += 0.1 * HGHashNormal(br->seed, snoise, i);
    if (yall) yall[i] = s;
    else {
      PetscInt lo, hi;
      PetscCall(VecGetOwnershipRange(y, &lo, &hi));
      if (i >= lo && i < hi) PetscCall(VecSetValue(y, i, s, INSERT_VALUES));
    }
  }
  if (y) {
    PetscCall(VecAssemblyBegin(y));
    PetscCall(VecAssemblyEnd(y));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *f, void *ctx)
{
  BR       *br = (BR *)ctx;
  PetscReal a, b;

  PetscFunctionBegin;
  PetscCall(MatMult(br->X, w, br->r));
  PetscCall(VecAXPY(br->r, -1.0, br->y));
  PetscCall(VecNorm(br->r, NORM_2, &a));
  PetscCall(VecWAXPY(br->dw, -1.0, lambda, w));
  PetscCall(VecNorm(br->dw, NORM_2, &b));
  *f = 0.5 * a * a + 0.5 * br->beta * b * b;
  PetscFunctionReturn(0);
}

/* out = X^T (X x - y) (sub = PETSC_TRUE) or X^T X x, in one pass over the row-major rows: for
   each block of rows B (small enough to stay in L2), r_B = X_B x (- y_B), then out += X_B^T r_B */
static PetscErrorCode GramMult(BR *br, Vec x, PetscBool sub, Vec out)
{
  const PetscScalar *xa, *ya = NULL;
  PetscScalar       *ga, *ra;
  PetscBLASInt       p, nb, one = 1;
  PetscScalar        sone = 1.0, szero = 0.0;
  PetscInt           bs = PetscMax(1, 131072 / br->p); /* rows per block: 1 MiB of X, inside L2 */
  PetscBool          seq = br->toall ? PETSC_FALSE : PETSC_TRUE;

  PetscFunctionBegin;
  if (!br->Xr) { /* sparse data from a file: X^T (X x - y) by two products */
    PetscCall(MatMult(br->X, x, br->r));
    if (sub) PetscCall(VecAXPY(br->r, -1.0, br->y));
    PetscCall(MatMultTranspose(br->X, br->r, out));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscBLASIntCast(br->p, &p));
  if (seq) {
    PetscCall(VecGetArrayRead(x, &xa));
    PetscCall(VecGetArrayWrite(out, &ga));
  } else {
    PetscCall(VecScatterBegin(br->toall, x, br->xall, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(br->toall, x, br->xall, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecGetArrayRead(br->xall, &xa));
    PetscCall(VecGetArrayWrite(br->gall, &ga));
  }
  PetscCall(PetscArrayzero(ga, br->p));
  PetscCall(VecGetArrayWrite(br->r, &ra));
  if (sub) PetscCall(VecGetArrayRead(br->y, &ya));
  for (PetscInt i0 = 0; i0 < br->m; i0 += bs) {
    const PetscScalar *A = br->Xr + (size_t)i0 * br->p; /* X_B^T, column major p x nb */

    PetscCall(PetscBLASIntCast(PetscMin(bs, br->m - i0), &nb));
    PetscCallBLAS("BLASgemv", BLASgemv_("T", &p, &nb, &sone, A, &p, xa, &one, &szero, ra + i0, &one));
    if (sub)
      for (PetscInt i = i0; i < i0 + nb; i++) ra[i] -= ya[i];
    PetscCallBLAS("BLASgemv", BLASgemv_("N", &p, &nb, &sone, A, &p, ra + i0, &one, &sone, ga, &one));
  }
  PetscCall(PetscLogFlops(4.0 * br->m * br->p));
  if (sub) PetscCall(VecRestoreArrayRead(br->y, &ya));
  PetscCall(VecRestoreArrayWrite(br->r, &ra));
  if (seq) {
    PetscCall(VecRestoreArrayRead(x, &xa));
    PetscCall(VecRestoreArrayWrite(out, &ga));
  } else {
    PetscCall(VecRestoreArrayRead(br->xall, &xa));
    PetscCall(VecRestoreArrayWrite(br->gall, &ga));
    PetscCall(VecSet(out, 0.0));
    PetscCall(VecScatterBegin(br->toall, br->gall, out, ADD_VALUES, SCATTER_REVERSE));
    PetscCall(VecScatterEnd(br->toall, br->gall, out, ADD_VALUES, SCATTER_REVERSE));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerGradient(HGProblem prob, Vec w, Vec lambda, Vec g, void *ctx)
{
  BR *br = (BR *)ctx;

  PetscFunctionBegin;
  PetscCall(GramMult(br, w, PETSC_TRUE, g));
  PetscCall(VecAXPBYPCZ(g, br->beta, -br->beta, 1.0, w, lambda));
  PetscFunctionReturn(0);
}

static PetscErrorCode HessianMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y, void *ctx)
{
  BR *br = (BR *)ctx;

  PetscFunctionBegin;
  PetscCall(GramMult(br, x, PETSC_FALSE, y));
  PetscCall(VecAXPY(y, br->beta, x));
  PetscFunctionReturn(0);
}

static PetscErrorCode MixedMultTranspose(HGProblem prob, Vec w, Vec lambda, Vec v, Vec y, void *ctx)
{
  BR *br = (BR *)ctx;

  PetscFunctionBegin;
  PetscCall(VecAXPBY(y, -br->beta, 0.0, v));
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *E, void *ctx)
{
  BR *br = (BR *)ctx;

  PetscFunctionBegin;
  PetscCall(MatMult(br->Xv, w, br->rv));
  PetscCall(VecAXPY(br->rv, -1.0, br->yv));
  PetscCall(VecNorm(br->rv, NORM_2, E));
  *E = 0.5 * (*E) * (*E);
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperGradient(HGProblem prob, Vec w, Vec lambda, Vec gw, Vec gl, void *ctx)
{
  BR *br = (BR *)ctx;

  PetscFunctionBegin;
  PetscCall(MatMult(br->Xv, w, br->rv));
  PetscCall(VecAXPY(br->rv, -1.0, br->yv));
  PetscCall(MatMultTranspose(br->Xv, br->rv, gw));
  PetscCall(VecSet(gl, 0.0));
  PetscFunctionReturn(0);
}

/* A data matrix and its targets on every rank: X column major (n x p), y of length n */
static PetscErrorCode DenseData(BR *br, PetscBool val, PetscScalar **X, PetscScalar **y)
{
  PetscInt n = val ? br->nval : br->ntr;

  PetscFunctionBegin;
  if (!br->fromfile && !br->folded) {
    if (X) PetscCall(HGDenseHashArray(n, br->p, br->seed, val ? STREAM_XV : STREAM_X, 1.0 / PetscSqrtReal((PetscReal)br->p), X));
    if (y) {
      PetscCall(PetscMalloc1(n, y));
      PetscCall(Targets(br, n, val ? STREAM_XV : STREAM_X, val ? STREAM_NOISEV : STREAM_NOISE, *y, NULL));
    }
  } else {
    HGData       d = {val ? br->Xv : br->X, val ? br->yv : br->y, n, br->p, 0};
    PetscScalar *rows;

    if (X) {
      PetscCall(HGDataGatherDense(&d, &rows));
      PetscCall(PetscMalloc1((size_t)n * br->p, X));
      for (PetscInt i = 0; i < n; i++)
        for (PetscInt j = 0; j < br->p; j++) (*X)[i + (size_t)j * n] = rows[(size_t)i * br->p + j];
      PetscCall(PetscFree(rows));
    }
    if (y) PetscCall(HGVecGatherAll(d.y, y));
  }
  PetscFunctionReturn(0);
}

/* H = X^T X + beta I on this rank (column major) */
static PetscErrorCode DenseHessian(BR *br, PetscScalar **X, PetscScalar **H)
{
  PetscFunctionBegin;
  PetscCall(DenseData(br, PETSC_FALSE, X, NULL));
  PetscCall(PetscMalloc1(br->p * br->p, H));
  PetscCall(HGDenseGemm("T", "N", br->p, br->p, br->ntr, 1.0, *X, br->ntr, *X, br->ntr, 0.0, *H, br->p));
  for (PetscInt i = 0; i < br->p; i++) (*H)[i + i * br->p] += br->beta;
  PetscFunctionReturn(0);
}

static PetscErrorCode Exact(HGProblem prob, Vec lambda, Vec grad, PetscReal *f)
{
  BR          *br = (BR *)prob->data;
  PetscInt     p = br->p, lo, hi;
  PetscScalar *X, *H, *Xv, *y, *yv, *lam, *w, *u, *H2;

  PetscFunctionBegin;
  PetscCheck(!br->fromfile || p <= 10000, PetscObjectComm((PetscObject)prob), PETSC_ERR_SUP, "biasreg: the exact hypergradient makes a dense %" PetscInt_FMT " x %" PetscInt_FMT " Hessian on every rank; with p > 10000 features use an iterative method (-hg_type aid) instead", p, p);
  PetscCall(DenseHessian(br, &X, &H));
  PetscCall(PetscMalloc1(p * p, &H2));
  PetscCall(PetscArraycpy(H2, H, p * p));
  PetscCall(DenseData(br, PETSC_FALSE, NULL, &y));
  PetscCall(DenseData(br, PETSC_TRUE, &Xv, &yv));
  PetscCall(PetscMalloc2(p, &w, br->nval, &u));
  PetscCall(HGVecGatherAll(lambda, &lam));
  /* w = H^{-1} (X^T y + beta lambda) */
  for (PetscInt j = 0; j < p; j++) w[j] = br->beta * lam[j];
  PetscCall(HGDenseGemm("T", "N", p, 1, br->ntr, 1.0, X, br->ntr, y, br->ntr, 1.0, w, p));
  PetscCall(HGDenseCholeskySolve(p, H, 1, w));
  /* u = X' w - y', grad = beta H^{-1} X'^T u */
  for (PetscInt i = 0; i < br->nval; i++) u[i] = -yv[i];
  PetscCall(HGDenseGemm("N", "N", br->nval, 1, p, 1.0, Xv, br->nval, w, p, 1.0, u, br->nval));
  if (f) {
    *f = 0;
    for (PetscInt i = 0; i < br->nval; i++) *f += 0.5 * PetscRealPart(u[i] * u[i]);
  }
  PetscCall(HGDenseGemm("T", "N", p, 1, br->nval, br->beta, Xv, br->nval, u, br->nval, 0.0, w, p));
  PetscCall(HGDenseCholeskySolve(p, H2, 1, w));
  PetscCall(VecGetOwnershipRange(grad, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(grad, i, w[i], INSERT_VALUES));
  PetscCall(VecAssemblyBegin(grad));
  PetscCall(VecAssemblyEnd(grad));
  PetscCall(PetscFree2(w, u));
  PetscCall(PetscFree(y));
  PetscCall(PetscFree(yv));
  PetscCall(PetscFree(X));
  PetscCall(PetscFree(Xv));
  PetscCall(PetscFree(H));
  PetscCall(PetscFree(H2));
  PetscCall(PetscFree(lam));
  PetscFunctionReturn(0);
}

/* Training and validation sets from the -data_* options (found = PETSC_FALSE: none given) */
static PetscErrorCode DataFromOptions(HGProblem prob, BR *br, PetscBool *found)
{
  HGData tr, va;

  PetscFunctionBegin;
  PetscCall(HGDataGetFromOptions(PetscObjectComm((PetscObject)prob), ((PetscObject)prob)->prefix, found, &tr, &va, NULL));
  PetscCall(HGProblemSetDataFingerprint(prob, &tr, &va, NULL)); /* run files refuse other data */
  if (!*found) PetscFunctionReturn(0);
  br->X = tr.X, br->y = tr.y, br->Xv = va.X, br->yv = va.y;
  br->p = tr.nfeatures, br->ntr = tr.nsamples, br->nval = va.nsamples;
  br->fromfile = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUp(HGProblem prob)
{
  BR          *br   = (BR *)prob->data;
  MPI_Comm     comm = PetscObjectComm((PetscObject)prob);
  Vec          w, lambda;
  PetscScalar *X, *H;
  PetscReal    emin, emax;
  PetscBool    found, dense;

  PetscFunctionBegin;
  if (br->X) PetscFunctionReturn(0);
  PetscCall(DataFromOptions(prob, br, &found));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, br->p, &w));
  PetscCall(VecDuplicate(w, &lambda));
  if (!found) {
    PetscCall(VecCreateMPI(comm, PETSC_DECIDE, br->ntr, &br->y));
    PetscCall(VecCreateMPI(comm, PETSC_DECIDE, br->nval, &br->yv));
    PetscCall(HGMatCreateDenseHash(comm, br->ntr, br->p, br->y, w, br->seed, STREAM_X, 1.0 / PetscSqrtReal((PetscReal)br->p), &br->X));
    PetscCall(HGMatCreateDenseHash(comm, br->nval, br->p, br->yv, w, br->seed, STREAM_XV, 1.0 / PetscSqrtReal((PetscReal)br->p), &br->Xv));
    PetscCall(Targets(br, br->ntr, STREAM_X, STREAM_NOISE, NULL, br->y));
    PetscCall(Targets(br, br->nval, STREAM_XV, STREAM_NOISEV, NULL, br->yv));
  }
  if (prob->ninstances > 0) { /* fold prob->instance of a k-fold cross-validation: train on the other folds of the training set, validate on this one */
    Mat Xt, Xf;
    Vec yt, yf;

    PetscCall(HGCrossValidationSplit(prob, br->seed, br->X, br->y, &Xt, &yt, &Xf, &yf));
    PetscCall(MatDestroy(&br->X));
    PetscCall(MatDestroy(&br->Xv));
    PetscCall(VecDestroy(&br->y));
    PetscCall(VecDestroy(&br->yv));
    br->X = Xt, br->y = yt, br->Xv = Xf, br->yv = yf;
    PetscCall(MatGetSize(Xt, &br->ntr, NULL));
    PetscCall(MatGetSize(Xf, &br->nval, NULL));
    br->folded = PETSC_TRUE;
  }
  PetscCall(PetscObjectTypeCompareAny((PetscObject)br->X, &dense, MATMPIDENSE, MATSEQDENSE, ""));
  PetscCall(VecDuplicate(br->y, &br->r));
  PetscCall(VecDuplicate(br->yv, &br->rv));
  PetscCall(VecDuplicate(w, &br->dw));
  { /* row-major copy of this rank's rows, and the gather of w-space Vecs */
    const PetscScalar *a;
    PetscInt           lda;
    PetscMPIInt        size;

    PetscCall(MatGetLocalSize(br->X, &br->m, NULL));
    PetscCallMPI(MPI_Comm_size(comm, &size));
    if (dense) {
      PetscCall(MatDenseGetLDA(br->X, &lda));
      PetscCall(PetscMalloc1((size_t)br->m * br->p, &br->Xr));
      PetscCall(MatDenseGetArrayRead(br->X, &a));
      for (PetscInt j = 0; j < br->p; j++)
        for (PetscInt i = 0; i < br->m; i++) br->Xr[(size_t)i * br->p + j] = a[i + (size_t)j * lda];
      PetscCall(MatDenseRestoreArrayRead(br->X, &a));
    }
    if (dense && size > 1) {
      PetscCall(VecScatterCreateToAll(w, &br->toall, &br->xall));
      PetscCall(VecDuplicate(br->xall, &br->gall));
    }
  }
  PetscCall(HGProblemSetVecTemplates(prob, w, lambda));
  PetscCall(HGVecSetHashNormal(lambda, br->seed, STREAM_LAMBDA));
  PetscCall(HGProblemSetInitialHyperparameters(prob, lambda));
  if (!br->fromfile) {
    PetscCall(DenseHessian(br, &X, &H));
    PetscCall(HGDenseSymEigRange(br->p, H, &emin, &emax));
    PetscCall(PetscFree(X));
    PetscCall(PetscFree(H));
  } else { /* any p: L from the Lanczos upper bound of ||X||^2 (HGMatNormSquaredBound()), mu = beta (a lower bound) */
    PetscCall(HGMatNormSquaredBound(br->X, br->seed, &emax, NULL));
    emax += br->beta;
    emin = br->beta;
  }
  PetscCall(HGProblemSetLowerConstants(prob, emax, emin));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemSetOptimizationCallbacks(prob, br, LowerObjective, LowerGradient, HessianMult, MixedMultTranspose, UpperObjective, UpperGradient));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetFromOptions(HGProblem prob, PetscOptionItems *PetscOptionsObject)
{
  BR      *br   = (BR *)prob->data;
  PetscInt seed = (PetscInt)br->seed;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Biased regularization");
  PetscCall(HGOptionsInt("-br_p", "Number of features (= hyperparameters)", "", br->p, &br->p, NULL));
  PetscCall(HGOptionsInt("-br_ntrain", "Training examples", "", br->ntr, &br->ntr, NULL));
  PetscCall(HGOptionsInt("-br_nval", "Validation examples", "", br->nval, &br->nval, NULL));
  PetscCall(HGOptionsReal("-br_beta", "Regularization weight beta", "", br->beta, &br->beta, NULL));
  PetscCall(HGOptionsInt("-br_seed", "Random seed", "", seed, &seed, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(br->p > 0 && br->ntr > 0 && br->nval > 0, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "-br_p, -br_ntrain and -br_nval must be positive");
  PetscCheck(br->beta > 0, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "-br_beta must be positive (it makes the lower level strongly convex); got %g", (double)br->beta);
  br->seed = seed;
  PetscFunctionReturn(0);
}

static PetscErrorCode View(HGProblem prob, PetscViewer viewer)
{
  BR *br = (BR *)prob->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "biased regularization: p = %" PetscInt_FMT ", %" PetscInt_FMT " train + %" PetscInt_FMT " validation, beta = %g, %s\n", br->p, br->ntr, br->nval, (double)br->beta, br->fromfile ? "data from files (-data_*)" : "synthetic data"));
  PetscFunctionReturn(0);
}

static PetscErrorCode Destroy(HGProblem prob)
{
  BR *br = (BR *)prob->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&br->X));
  PetscCall(MatDestroy(&br->Xv));
  PetscCall(VecDestroy(&br->y));
  PetscCall(VecDestroy(&br->yv));
  PetscCall(VecDestroy(&br->r));
  PetscCall(VecDestroy(&br->rv));
  PetscCall(VecDestroy(&br->dw));
  PetscCall(PetscFree(br->Xr));
  PetscCall(VecScatterDestroy(&br->toall));
  PetscCall(VecDestroy(&br->xall));
  PetscCall(VecDestroy(&br->gall));
  PetscCall(PetscFree(prob->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGProblemCreate_BiasReg(HGProblem prob)
{
  BR *br;

  PetscFunctionBegin;
  PetscCall(PetscNew(&br));
  br->p = 50, br->ntr = 100, br->nval = 100, br->beta = 1.0;
  prob->data                    = br;
  prob->ops->setup              = SetUp;
  prob->ops->setfromoptions     = SetFromOptions;
  prob->ops->exacthypergradient = Exact;
  prob->ops->view               = View;
  prob->ops->destroy            = Destroy;
  PetscFunctionReturn(0);
}
