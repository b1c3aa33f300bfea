/*MC
   HGPROBLEMLOGREG - l2-regularized logistic regression with one regularization weight per
   feature (Grazzi et al. 2020, 3.1 "LR"):

     f(lambda) = E(w(lambda)) = sum_{i in val} psi(y'_i x'_i^T w(lambda)),
     w(lambda) = argmin_w sum_{i in train} psi(y_i x_i^T w) + 1/2 sum_j r_j w_j^2,

   psi(z) = log(1 + e^{-z}) (evaluated as log1p(e^{-|z|}) + max(-z, 0)), r = lambda, or
   r = exp(lambda) with -lr_exp.  Sums, not means.  w and lambda are both in R^p (the same
   layout).  Hessian X^T diag(s) X + diag(r), s_i = sigma(z_i)(1 - sigma(z_i)), z = y .* X w;
   mixed product (d_lambda grad_w l)^T v = r' .* w .* v with r' = 1 or exp(lambda);
   grad_lambda E = 0.  There is no closed form (no exact hypergradient).

   Data are synthetic, seeded, identical on any number of ranks: X has N(0,1) entries, dense
   (MPIDENSE, default) or sparse (MPIAIJ with -lr_sparse, -lr_nnz_per_row distinct columns per
   row drawn by Floyd's algorithm from the hash), labels y = sign(X w_true / sqrt(nnz) + 0.5 eps)
   with nnz = p when dense and w_true, eps standard normal.  The default lambda is uniform in
   [0.5, 1.5] (its logarithm with -lr_exp); the projection keeps lambda_j >= 1e-8 (none is
   needed with -lr_exp).

   The constants L = ||X||_2^2 / 4 + max_j r_j and mu = min_j r_j depend on lambda: the problem
   gives them at each lambda (HGProblemSetLowerConstantsFunction(); ||X||_2^2 bounded by at most 20 Lanczos
   steps on X^T X with an a-posteriori bound, HGMatNormSquaredBound(), once), so the default gd step follows lambda.  The constants of
   the error bounds are given at each (w, lambda) too (HGProblemSetBoundConstantsFunction():
   eta_w = ||X'||^2/4, eta_l = 0, ||B(w)|| = max_j |r'_j w_j|, L_B = max_j r'_j with r' = 1 or
   exp(lambda), L_A = ||X||_2^2 max_i ||x_i|| / (6 sqrt 3) from |psi'''| <= 1/(6 sqrt 3); see
   BoundConstants()): no constant is estimated (HGInfo bound_estimated = 0) and a bound costs a
   few norms.  ||X||_2^2 is a Lanczos upper bound with probability 0.999, so the bound is
   rigorous with that probability.

   The weights s depend on w only: they are cached, keyed on the id, address and state of the
   w Vec, so repeated Hessian products at the same w cost one MatMult and one MatMultTranspose.

   Real data: with -data_train FILE -data_val FILE (or -data FILE -data_split ...; see
   HGDataGetFromOptions()) X and X' are read from the files (sparse for LIBSVM and CSR HDF5,
   dense otherwise) and the -lr_p/-lr_ntrain/-lr_nval/-lr_sparse options are ignored; the
   training labels must take exactly two values, the larger mapped to +1 and the smaller to -1.

   Accuracy (HGProblemSetAccuracy()): the fraction of the samples of a set whose label is the
   sign of x^T w (y x^T w > 0; a sample with x^T w = 0 counts as wrong), on the validation set
   and on the test set: -data_test FILE (or the third part of -data_split) with data files,
   -lr_ntest N samples (drawn like the others, default 0) with synthetic data; NaN without one.
   The test set enters the data fingerprint of run files (HGProblemSetFingerprint()).

   Cross-validation: as instance i of n (HGProblemSetInstance(), -problem multi -sub_problem
   logreg -multi_n K) the training set is split into K folds by the hash of the sample index;
   instance i trains on the other folds and E is the validation loss on fold i; the test set
   (not split) gives the test accuracy of every fold.

   Options: -lr_p <100> features, -lr_ntrain <1000>, -lr_nval <1000>, -lr_ntest <0>, -lr_seed <0>,
            -lr_sparse, -lr_nnz_per_row <100>, -lr_exp, -data_* (real data),
            -lr_fused <1> (gradient and Hessian product in one pass over X, used in place: no
            copy of X)
M*/
#include <hypergrad/hgimpl.h>
#include "classify.h"
#include <petscblaslapack.h>

enum { STREAM_X = 21, STREAM_XV, STREAM_COLS, STREAM_COLSV, STREAM_WTRUE, STREAM_EPS, STREAM_EPSV, STREAM_LAMBDA };
enum { STREAM_XT = 41, STREAM_COLST, STREAM_EPST }; /* the synthetic test set (-lr_ntest) */

typedef struct {
  PetscInt         p, ntr, nval, nnz;
  PetscInt64       seed;
  PetscBool        sparse, useexp;
  PetscBool        fromfile;    /* data from -data_* files (HGDataGetFromOptions) instead of synthetic */
  PetscReal        normX2; /* upper bound of ||X||_2^2 (HGMatNormSquaredBound) */
  PetscReal        rowmax2; /* max_i ||x_i||_2^2 over the training rows (in the same passes), for L_A */
  PetscReal        normXv2; /* upper bound of ||X'||_2^2 (HGMatNormSquaredBound), for eta_w of the error bounds; -1 until a bound needs it */
  Mat              X, Xv;
  Vec              y, yv;       /* labels +-1 */
  Vec              z, zv;       /* work: X w and X' w, then weights */
  Vec              s;           /* cached Hessian weights sigma(z)(1 - sigma(z)) */
  Vec              r, rp;       /* work in R^p: regularization weights and products */
  PetscObjectId    s_id;        /* the w at which s was computed: id, address and state */
  const void      *s_ptr;
  PetscObjectState s_state;
  PetscBool        s_valid;
  /* fused passes over the rows of X (gradient, Hessian product; see FusedPass()) */
  PetscInt         fz;          /* 0: not set up yet; FUSED_DENSE, FUSED_AIJ; -1: not available (MatMult path) */
  PetscBool        simd;        /* AIJ: HGCSRDotRows() with its AVX-512 kernel (HGCSRDotRowsSIMD()) */
  PetscInt         xm, xp;      /* dense: this rank's rows and the columns of X (used in place, column major) */
  PetscInt         xbs;         /* dense: rows per block of a fused pass */
  VecScatter       xsc;         /* w-space Vec -> the entries this rank's rows need (all: dense; ghosts: MPIAIJ) */
  Vec              xs1, xs2, gs; /* sequential: the scattered vectors and the partial product added back */
  PetscScalar     *t1, *t2, *cw; /* work per block of rows */
  Vec              zvm;         /* validation margins of the last UpperGradient, reused by UpperObjective */
  PetscInt         ntest;       /* test set (-lr_ntest or -data_test; 0: none): accuracy only */
  Mat              Xt;
  Vec              yt, zt;
  PetscObjectId    zvm_id;
  const void      *zvm_ptr;
  PetscObjectState zvm_state;
  PetscBool        zvm_valid;
} LR;

/* psi(m) = log(1 + e^{-m}), stable for either sign */
static inline PetscReal Psi(PetscReal m)
{
  return (PetscReal)log1p((double)PetscExpReal(-PetscAbsReal(m))) + PetscMax(-m, 0.0); /* no PetscLog1pReal in PETSc 3.18 */
}

/* sigma(-m) = 1 / (1 + e^{m}), stable for either sign */
static inline PetscReal SigmaNeg(PetscReal m)
{
  if (m >= 0) {
    PetscReal e = PetscExpReal(-m);
    return e / (1.0 + e);
  }
  return 1.0 / (1.0 + PetscExpReal(m));
}

/* Row i of a data matrix (columns ascending): dense rows have all p columns, sparse rows nnz
   distinct columns from Floyd's algorithm on the hash of (i, j), values N(0,1) */
static PetscErrorCode GenRow(LR *lr, PetscInt64 sx, PetscInt64 scols, PetscInt i, PetscInt *ncols, PetscInt cols[], PetscScalar vals[])
{
  PetscFunctionBegin;
  if (!lr->sparse) {
    *ncols = lr->p;
    for (PetscInt j = 0; j < lr->p; j++) {
      cols[j] = j;
      vals[j] = HGHashNormal(lr->seed, sx, (PetscInt64)i * lr->p + j);
    }
  } else {
    PetscInt n = 0;
    for (PetscInt j = lr->p - lr->nnz; j < lr->p; j++) {
      PetscInt  t = (PetscInt)(HGHashUniform(lr->seed, scols, (PetscInt64)i * lr->p + j) * (PetscReal)(j + 1));
      PetscBool found = PETSC_FALSE;
      if (t > j) t = j;
      for (PetscInt k = 0; k < n; k++)
        if (cols[k] == t) {
          found = PETSC_TRUE;
          break;
        }
      cols[n++] = found ? j : t;
    }
    PetscCall(PetscSortInt(n, cols));
    *ncols = n;
    for (PetscInt k = 0; k < n; k++) vals[k] = HGHashNormal(lr->seed, sx, (PetscInt64)i * lr->nnz + k);
  }
  PetscFunctionReturn(0);
}

/* The n x p data matrix (rows laid out like y, columns like w) and its labels */
static PetscErrorCode CreateData(LR *lr, MPI_Comm comm, PetscInt n, Vec w, PetscInt64 sx, PetscInt64 scols, PetscInt64 seps, Vec y, Mat *X)
{
  PetscInt     lo, hi, ncols = 0, *cols;
  PetscScalar *vals, *ya;
  PetscReal    scale = 1.0 / PetscSqrtReal((PetscReal)(lr->sparse ? lr->nnz : lr->p));

  PetscFunctionBegin;
  if (!lr->sparse) PetscCall(HGMatCreateDenseHash(comm, n, lr->p, y, w, lr->seed, sx, 1.0, X));
  else {
    PetscInt m, nl;
    PetscCall(VecGetLocalSize(y, &m));
    PetscCall(VecGetLocalSize(w, &nl));
    PetscCall(MatCreateAIJ(comm, m, nl, n, lr->p, PetscMin(lr->nnz, nl), NULL, PetscMin(lr->nnz, lr->p - nl), NULL, X));
  }
  PetscCall(PetscMalloc2(lr->p, &cols, lr->p, &vals));
  PetscCall(VecGetOwnershipRange(y, &lo, &hi));
  PetscCall(VecGetArrayWrite(y, &ya));
  for (PetscInt i = lo; i < hi; i++) {
    PetscReal t = 0;
    PetscCall(GenRow(lr, sx, scols, i, &ncols, cols, vals));
    if (lr->sparse) PetscCall(MatSetValues(*X, 1, &i, ncols, cols, vals, INSERT_VALUES));
    for (PetscInt k = 0; k < ncols; k++) t += PetscRealPart(vals[k]) * HGHashNormal(lr->seed, STREAM_WTRUE, cols[k]);
    t = t * scale + 0.5 * HGHashNormal(lr->seed, seps, i);
    ya[i - lo] = t >= 0 ? 1.0 : -1.0;
  }
  PetscCall(VecRestoreArrayWrite(y, &ya));
  PetscCall(PetscFree2(cols, vals));
  if (lr->sparse) {
    PetscCall(MatAssemblyBegin(*X, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(*X, MAT_FINAL_ASSEMBLY));
  }
  PetscFunctionReturn(0);
}

/* r = lambda or exp(lambda) */
static PetscErrorCode RegWeights(LR *lr, Vec lambda, Vec r)
{
  PetscFunctionBegin;
  PetscCall(VecCopy(lambda, r));
  if (lr->useexp) PetscCall(VecExp(r));
  PetscFunctionReturn(0);
}

/* L = ||X||^2/4 + max r and mu = min r at lambda: the gd step follows lambda (HGProblemSetLowerConstantsFunction) */
static PetscErrorCode LowerConstants(HGProblem prob, Vec lambda, PetscReal *L, PetscReal *mu, void *ctx)
{
  LR       *lr = (LR *)ctx;
  PetscReal rmin, rmax;

  PetscFunctionBegin;
  PetscCall(HGRegWeightRange(lambda, lr->useexp, &rmin, &rmax));
  *L  = lr->normX2 / 4.0 + rmax;
  *mu = rmin;
  PetscFunctionReturn(0);
}

/* Constants of the error bounds at (w, lambda) (HGProblemSetBoundConstantsFunction()): the Hessian
   of E in w is X'^T diag(psi''(y' .* X' w)) X' with 0 < psi'' <= 1/4, so eta_w = ||X'||^2/4;
   grad_lambda E = 0, so eta_l = 0; B(w) v = r' .* w .* v with r' = 1 or exp(lambda), so
   ||B(w)|| = max_j |r'_j w_j| and ||B(w) - B(w')|| <= max_j r'_j ||w - w'||.

   L_A in closed form.  The lower loss is the sum (not the mean) of psi(m_i), m_i = y_i x_i^T w,
   so its Hessian is H(w) = X^T S(w) X + diag(r), S(w) = diag(psi''(m_i)) (y_i^2 = 1), and
     H(w) - H(w') = X^T (S(w) - S(w')) X,   ||H(w) - H(w')|| <= ||X||_2^2 max_i |psi''(m_i) - psi''(m'_i)|.
   psi''(m) = sigma(m) sigma(-m) and psi'''(m) = sigma(m) sigma(-m) (sigma(-m) - sigma(m)); with
   u = sigma(-m) - sigma(m) in (-1, 1), sigma(m) sigma(-m) = (1 - u^2)/4, so |psi'''| = |u| (1 - u^2)/4,
   largest at u^2 = 1/3: |psi'''| <= 1/(6 sqrt 3) (at |m| = 2 atanh(1/sqrt 3) = 1.317).  Hence
     |psi''(m_i) - psi''(m'_i)| <= |m_i - m'_i| / (6 sqrt 3) = |x_i^T (w - w')| / (6 sqrt 3) <= ||x_i|| ||w - w'|| / (6 sqrt 3)
   and L_A = ||X||_2^2 max_i ||x_i|| / (6 sqrt 3) holds for every w, w' at any lambda (r cancels).
   It is attained in the limit by a single row (X = x^T, w' - w along x, m at 1.317); with many
   rows of similar norm it is loose (the worst row and the worst direction of X rarely align).
   ||X||_2^2 is the Lanczos upper bound normX2 (probability 0.999, capped by ||X||_F^2), max_i ||x_i||^2
   is exact (from the same passes, HGMatNormSquaredEstimateRows()), so no constant of logreg's
   bounds is estimated (HGInfo bound_estimated = 0). */
static PetscErrorCode BoundConstants(HGProblem prob, Vec w, Vec lambda, PetscReal *etaw, PetscReal *etal, PetscReal *LA, PetscReal *LB, PetscReal *B, void *ctx)
{
  LR *lr = (LR *)ctx;

  PetscFunctionBegin;
  if (lr->useexp) {
    PetscCall(RegWeights(lr, lambda, lr->rp));
    PetscCall(VecMax(lr->rp, NULL, LB));
    PetscCall(VecPointwiseMult(lr->rp, lr->rp, w));
    PetscCall(VecNorm(lr->rp, NORM_INFINITY, B));
  } else {
    *LB = 1.0;
    PetscCall(VecNorm(w, NORM_INFINITY, B));
  }
  if (lr->normXv2 < 0) PetscCall(HGMatNormSquaredBound(lr->Xv, lr->seed, &lr->normXv2, NULL)); /* first bound only */
  *etaw = lr->normXv2 / 4.0;
  *etal = 0.0;
  *LA   = lr->normX2 * PetscSqrtReal(lr->rowmax2) / (6.0 * PetscSqrtReal(3.0));
  PetscFunctionReturn(0);
}

/* Margins: m = y .* (X w) into m (work vector of the rows) */
static PetscErrorCode Margins(Mat X, Vec y, Vec w, Vec m)
{
  PetscFunctionBegin;
  PetscCall(MatMult(X, w, m));
  PetscCall(VecPointwiseMult(m, m, y));
  PetscFunctionReturn(0);
}

/* sum_i psi(m_i) over this rank's entries of m */
static PetscErrorCode LocalLoss(Vec m, PetscReal *loss)
{
  PetscInt           n;
  const PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(m, &n));
  PetscCall(VecGetArrayRead(m, &a));
  *loss = 0;
  for (PetscInt i = 0; i < n; i++) *loss += Psi(PetscRealPart(a[i]));
  PetscCall(VecRestoreArrayRead(m, &a));
  PetscFunctionReturn(0);
}

/* m (margins) <- y .* (-sigma(-m)), the derivative of the loss with respect to X w */
static PetscErrorCode LossDerivative(Vec y, Vec m)
{
  PetscInt           n;
  PetscScalar       *a;
  const PetscScalar *ya;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(m, &n));
  PetscCall(VecGetArray(m, &a));
  PetscCall(VecGetArrayRead(y, &ya));
  for (PetscInt i = 0; i < n; i++) a[i] = -ya[i] * SigmaNeg(PetscRealPart(a[i]));
  PetscCall(VecRestoreArrayRead(y, &ya));
  PetscCall(VecRestoreArray(m, &a));
  PetscFunctionReturn(0);
}

/* s = sigma(m)(1 - sigma(m)) from margins m, recorded as valid for w */
static PetscErrorCode SetWeights(LR *lr, Vec w, Vec m)
{
  PetscInt           n;
  PetscScalar       *sa;
  const PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(m, &n));
  PetscCall(VecGetArrayRead(m, &a));
  PetscCall(VecGetArrayWrite(lr->s, &sa));
  for (PetscInt i = 0; i < n; i++) {
    PetscReal sn = SigmaNeg(PetscRealPart(a[i]));
    sa[i]        = sn * (1.0 - sn);
  }
  PetscCall(VecRestoreArrayWrite(lr->s, &sa));
  PetscCall(VecRestoreArrayRead(m, &a));
  PetscCall(PetscObjectGetId((PetscObject)w, &lr->s_id));
  PetscCall(PetscObjectStateGet((PetscObject)w, &lr->s_state));
  lr->s_ptr   = (const void *)w;
  lr->s_valid = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode WeightsValid(LR *lr, Vec w, PetscBool *valid)
{
  PetscObjectId    id;
  PetscObjectState state;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetId((PetscObject)w, &id));
  PetscCall(PetscObjectStateGet((PetscObject)w, &state));
  *valid = (lr->s_valid && lr->s_ptr == (const void *)w && lr->s_id == id && lr->s_state == state) ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* ---- Fused passes: a gradient or a Hessian product of logistic regression needs X and X^T;
   done a block of rows at a time (X_B x, the per-row coefficients, then X_B^T c while the block
   is still in cache) they read X once instead of twice.  X is used in place: dense X in its
   column-major array (a block is nb rows of every column), AIJ X in its diagonal and
   off-diagonal blocks (MPIAIJ).  Dense X with more than 1024 columns takes the MatMult path
   (a block of 256 KiB would hold too few rows of each column to pay).  Other matrix types take the MatMult path. ---- */
enum { FUSED_NONE = -1, FUSED_DENSE = 1, FUSED_AIJ = 2 };
typedef enum { PASS_GRAD, PASS_HESS, PASS_HESSW } PassMode;
#define FUSED_BLOCK_BYTES 262144 /* dense rows per block: 256 KiB of X (fastest of 256 KiB..32 MiB at p = 500) */
#define FUSED_MIN_ROWS    32     /* X is column major: a block reads nb contiguous entries of each column; with fewer rows per block (p > 1024) dense X takes the MatMult path */
#define FUSED_AIJ_ROWS    HG_CSR_BLOCK_ROWS /* rows per block of the AIJ pass (classify.h) */

static PetscErrorCode FusedSetUp(LR *lr, Vec w)
{
  PetscBool   dense, aij, mpi;
  PetscMPIInt size;
  PetscInt    nb;

  PetscFunctionBegin;
  if (lr->fz) PetscFunctionReturn(0);
  PetscCall(PetscObjectTypeCompareAny((PetscObject)lr->X, &dense, MATSEQDENSE, MATMPIDENSE, ""));
  PetscCall(PetscObjectTypeCompareAny((PetscObject)lr->X, &aij, MATSEQAIJ, MATMPIAIJ, ""));
  PetscCall(PetscObjectTypeCompareAny((PetscObject)lr->X, &mpi, MATMPIDENSE, MATMPIAIJ, ""));
  PetscCallMPI(MPI_Comm_size(PetscObjectComm((PetscObject)lr->X), &size));
  if (!dense && !aij) {
    lr->fz = FUSED_NONE;
    PetscFunctionReturn(0);
  }
  if (dense) {
    PetscInt N;
    PetscCall(MatGetSize(lr->X, NULL, &N));
    if (FUSED_BLOCK_BYTES / (PetscInt)(sizeof(PetscScalar) * PetscMax(N, 1)) < FUSED_MIN_ROWS) {
      /* a block of the column-major array would hold fewer than FUSED_MIN_ROWS rows: two full
         passes (MatMult, MatMultTranspose) are faster there (measured 2x at p = 10000) */
      lr->fz = FUSED_NONE;
      PetscFunctionReturn(0);
    }
  }
  if (dense) { /* X is used in place: its local rows, column major (no copy) */
    lr->fz = FUSED_DENSE;
    PetscCall(MatGetLocalSize(lr->X, &lr->xm, NULL));
    PetscCall(MatGetSize(lr->X, NULL, &lr->xp));
    if (mpi && size > 1) {
      PetscCall(VecScatterCreateToAll(w, &lr->xsc, &lr->xs1));
      PetscCall(VecDuplicate(lr->xs1, &lr->xs2));
      PetscCall(VecDuplicate(lr->xs1, &lr->gs));
    }
    lr->xbs = PetscMax(1, PetscMin(PetscMax(lr->xm, 1), FUSED_BLOCK_BYTES / (PetscInt)(sizeof(PetscScalar) * PetscMax(lr->xp, 1))));
    nb      = lr->xbs;
  } else {
    lr->fz = FUSED_AIJ;
    PetscCall(HGCSRDotRowsSIMD(&lr->simd));
    if (mpi) {
      Mat             Ad, Ao;
      const PetscInt *garray;
      PetscInt        ng;
      IS              is;

      PetscCall(MatMPIAIJGetSeqAIJ(lr->X, &Ad, &Ao, &garray));
      PetscCall(MatGetSize(Ao, NULL, &ng));
      PetscCall(ISCreateGeneral(PETSC_COMM_SELF, ng, garray, PETSC_COPY_VALUES, &is));
      PetscCall(VecCreateSeq(PETSC_COMM_SELF, ng, &lr->xs1));
      PetscCall(VecDuplicate(lr->xs1, &lr->xs2));
      PetscCall(VecDuplicate(lr->xs1, &lr->gs));
      PetscCall(VecScatterCreate(w, is, lr->xs1, NULL, &lr->xsc));
      PetscCall(ISDestroy(&is));
    }
    nb = FUSED_AIJ_ROWS;
  }
  PetscCall(PetscMalloc3(nb, &lr->t1, nb, &lr->t2, nb, &lr->cw));
  PetscFunctionReturn(0);
}

static PetscErrorCode FusedDestroy(LR *lr)
{
  PetscFunctionBegin;
  PetscCall(VecScatterDestroy(&lr->xsc));
  PetscCall(VecDestroy(&lr->xs1));
  PetscCall(VecDestroy(&lr->xs2));
  PetscCall(VecDestroy(&lr->gs));
  PetscCall(PetscFree3(lr->t1, lr->t2, lr->cw));
  PetscCall(VecDestroy(&lr->zvm));
  lr->fz = 0;
  PetscFunctionReturn(0);
}

/* Per-row coefficients c from the products t1 = x_i^T x1 (and t2 = x_i^T x2):
   grad: s_i and c_i = -y_i sigma(-y_i t1_i); hess: c_i = s_i t1_i; hessw: s_i from t1 (x1 = w), c_i = s_i t2_i */
static inline void Coefficients(PassMode mode, PetscInt n, const PetscScalar *y, PetscScalar *s, const PetscScalar *t1, const PetscScalar *t2, PetscScalar *c)
{
  for (PetscInt i = 0; i < n; i++) {
    if (mode == PASS_HESS) c[i] = s[i] * t1[i];
    else {
      PetscReal sn = SigmaNeg(PetscRealPart(y[i] * t1[i]));

      s[i] = sn * (1.0 - sn);
      c[i] = mode == PASS_GRAD ? -y[i] * sn : s[i] * t2[i];
    }
  }
}

/* out = X^T c + r .* xr in one pass over the rows of X, c from Coefficients(); x1 is w (grad,
   hessw) or v (hess), x2 is v (hessw), xr the vector the regularization multiplies (w or v);
   grad and hessw leave the weights s valid for w */
static PetscErrorCode FusedPass(LR *lr, PassMode mode, Vec lambda, Vec x1, Vec x2, Vec xr, Vec out)
{
  const PetscScalar *xa1, *xa2 = NULL, *ya, *la, *ra;
  PetscScalar       *oa, *sa, *ga = NULL;
  const PetscScalar *xg1 = NULL, *xg2 = NULL; /* scattered (dense: whole vectors; MPIAIJ: ghosts) */
  PetscInt           n, m, nnz = 0;
  PetscBool          two = mode == PASS_HESSW ? PETSC_TRUE : PETSC_FALSE;

  PetscFunctionBegin;
  if (lr->xsc) {
    PetscCall(VecScatterBegin(lr->xsc, x1, lr->xs1, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(lr->xsc, x1, lr->xs1, INSERT_VALUES, SCATTER_FORWARD));
    if (two) {
      PetscCall(VecScatterBegin(lr->xsc, x2, lr->xs2, INSERT_VALUES, SCATTER_FORWARD));
      PetscCall(VecScatterEnd(lr->xsc, x2, lr->xs2, INSERT_VALUES, SCATTER_FORWARD));
    }
    PetscCall(VecGetArrayRead(lr->xs1, &xg1));
    if (two) PetscCall(VecGetArrayRead(lr->xs2, &xg2));
    PetscCall(VecGetArrayWrite(lr->gs, &ga));
    PetscCall(VecGetLocalSize(lr->gs, &n));
    PetscCall(PetscArrayzero(ga, n));
  }
  PetscCall(VecGetLocalSize(out, &n));
  PetscCall(VecGetArrayRead(x1, &xa1));
  if (two) PetscCall(VecGetArrayRead(x2, &xa2));
  PetscCall(VecGetArrayWrite(out, &oa));
  PetscCall(PetscArrayzero(oa, n));
  PetscCall(VecGetArrayRead(lr->y, &ya));
  PetscCall(VecGetArray(lr->s, &sa));
  PetscCall(VecGetLocalSize(lr->y, &m));
  if (lr->fz == FUSED_DENSE) { /* X_B (nb rows, column major, lda): t = X_B x, then of += X_B^T c */
    const PetscScalar *x1f = lr->xsc ? xg1 : xa1, *x2f = lr->xsc ? xg2 : xa2, *a;
    PetscScalar       *of  = lr->xsc ? ga : oa;
    PetscInt           lda;

    PetscCall(MatDenseGetLDA(lr->X, &lda));
    PetscCall(MatDenseGetArrayRead(lr->X, &a));
    for (PetscInt i0 = 0; i0 < lr->xm; i0 += lr->xbs) {
      PetscInt nb = PetscMin(lr->xbs, lr->xm - i0);

      PetscCall(HGDenseGemv("N", nb, lr->xp, 1.0, a + i0, lda, x1f, 0.0, lr->t1));
      if (two) PetscCall(HGDenseGemv("N", nb, lr->xp, 1.0, a + i0, lda, x2f, 0.0, lr->t2));
      Coefficients(mode, nb, ya + i0, sa + i0, lr->t1, lr->t2, lr->cw);
      PetscCall(HGDenseGemv("T", nb, lr->xp, 1.0, a + i0, lda, lr->cw, 1.0, of));
    }
    PetscCall(MatDenseRestoreArrayRead(lr->X, &a));
    nnz = lr->xm * lr->xp;
  } else { /* AIJ: rows of the diagonal block (local columns) and of the off-diagonal one (ghosts) */
    HGCSRRows r;

    PetscCall(HGCSRRowsGet(lr->X, lr->simd, &r));
    for (PetscInt i0 = 0; i0 < m; i0 += FUSED_AIJ_ROWS) {
      PetscInt nb = PetscMin(FUSED_AIJ_ROWS, m - i0);

      /* the products with x1 (and x2: each row read once for both), then the update */
      HGCSRRowsDot(&r, i0, i0 + nb, xa1, xg1, two ? xa2 : NULL, xg2, lr->t1, lr->t2);
      Coefficients(mode, nb, ya + i0, sa + i0, lr->t1, lr->t2, lr->cw);
      HGCSRRowsAdd(&r, i0, i0 + nb, lr->cw, oa, ga);
    }
    nnz = r.ia[m] + (r.ghosts ? r.io[m] : 0);
    PetscCall(HGCSRRowsRestore(&r));
  }
  PetscCall(PetscLogFlops((two ? 6.0 : 4.0) * nnz));
  PetscCall(VecRestoreArray(lr->s, &sa));
  PetscCall(VecRestoreArrayRead(lr->y, &ya));
  PetscCall(VecRestoreArrayWrite(out, &oa));
  if (two) PetscCall(VecRestoreArrayRead(x2, &xa2));
  PetscCall(VecRestoreArrayRead(x1, &xa1));
  if (lr->xsc) {
    PetscCall(VecRestoreArrayRead(lr->xs1, &xg1));
    if (two) PetscCall(VecRestoreArrayRead(lr->xs2, &xg2));
    PetscCall(VecRestoreArrayWrite(lr->gs, &ga));
    PetscCall(VecScatterBegin(lr->xsc, lr->gs, out, ADD_VALUES, SCATTER_REVERSE));
    PetscCall(VecScatterEnd(lr->xsc, lr->gs, out, ADD_VALUES, SCATTER_REVERSE));
  }
  /* out += r .* xr, r = lambda or exp(lambda) */
  PetscCall(VecGetArray(out, &oa));
  PetscCall(VecGetArrayRead(lambda, &la));
  PetscCall(VecGetArrayRead(xr, &ra));
  if (lr->useexp)
    for (PetscInt j = 0; j < n; j++) oa[j] += PetscExpScalar(la[j]) * ra[j];
  else
    for (PetscInt j = 0; j < n; j++) oa[j] += la[j] * ra[j];
  PetscCall(VecRestoreArrayRead(xr, &ra));
  PetscCall(VecRestoreArrayRead(lambda, &la));
  PetscCall(VecRestoreArray(out, &oa));
  if (mode != PASS_HESS) { /* the weights s are now those of w = x1 */
    PetscCall(PetscObjectGetId((PetscObject)x1, &lr->s_id));
    PetscCall(PetscObjectStateGet((PetscObject)x1, &lr->s_state));
    lr->s_ptr   = (const void *)x1;
    lr->s_valid = PETSC_TRUE;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *f, void *ctx)
{
  LR                *lr = (LR *)ctx;
  PetscReal          loc, reg = 0;
  PetscInt           n;
  const PetscScalar *ra, *wa;

  PetscFunctionBegin;
  PetscCall(Margins(lr->X, lr->y, w, lr->z));
  PetscCall(LocalLoss(lr->z, &loc));
  PetscCall(RegWeights(lr, lambda, lr->r));
  PetscCall(VecGetLocalSize(w, &n));
  PetscCall(VecGetArrayRead(lr->r, &ra));
  PetscCall(VecGetArrayRead(w, &wa));
  for (PetscInt j = 0; j < n; j++) reg += 0.5 * PetscRealPart(ra[j] * wa[j] * wa[j]);
  PetscCall(VecRestoreArrayRead(w, &wa));
  PetscCall(VecRestoreArrayRead(lr->r, &ra));
  loc += reg;
  PetscCall(MPIU_Allreduce(&loc, f, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)prob)));
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerGradient(HGProblem prob, Vec w, Vec lambda, Vec g, void *ctx)
{
  LR *lr = (LR *)ctx;

  PetscFunctionBegin;
  PetscCall(FusedSetUp(lr, w));
  if (lr->fz > 0) {
    PetscCall(FusedPass(lr, PASS_GRAD, lambda, w, NULL, w, g));
    PetscFunctionReturn(0);
  }
  PetscCall(Margins(lr->X, lr->y, w, lr->z));
  PetscCall(SetWeights(lr, w, lr->z)); /* cheap; saves the Hessian product a MatMult at this w */
  PetscCall(LossDerivative(lr->y, lr->z));
  PetscCall(MatMultTranspose(lr->X, lr->z, g));
  PetscCall(RegWeights(lr, lambda, lr->r));
  PetscCall(VecPointwiseMult(lr->rp, lr->r, w));
  PetscCall(VecAXPY(g, 1.0, lr->rp));
  PetscFunctionReturn(0);
}

static PetscErrorCode HessianMult(HGProblem prob, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  LR       *lr = (LR *)ctx;
  PetscBool valid = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(WeightsValid(lr, w, &valid));
  PetscCall(FusedSetUp(lr, w));
  if (lr->fz > 0) { /* the weights at w come in the same pass when they are not valid */
    PetscCall(FusedPass(lr, valid ? PASS_HESS : PASS_HESSW, lambda, valid ? v : w, valid ? NULL : v, v, out));
    PetscFunctionReturn(0);
  }
  if (!valid) {
    PetscCall(Margins(lr->X, lr->y, w, lr->z));
    PetscCall(SetWeights(lr, w, lr->z));
  }
  PetscCall(MatMult(lr->X, v, lr->z));
  PetscCall(VecPointwiseMult(lr->z, lr->z, lr->s));
  PetscCall(MatMultTranspose(lr->X, lr->z, out));
  PetscCall(RegWeights(lr, lambda, lr->r));
  PetscCall(VecPointwiseMult(lr->rp, lr->r, v));
  PetscCall(VecAXPY(out, 1.0, lr->rp));
  PetscFunctionReturn(0);
}

/* d_lambda (r .* w) = diag(r' .* w): (d_lambda grad_w l)^T v = r' .* w .* v */
static PetscErrorCode MixedMultTranspose(HGProblem prob, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  LR *lr = (LR *)ctx;

  PetscFunctionBegin;
  PetscCall(VecPointwiseMult(out, w, v));
  if (lr->useexp) {
    PetscCall(RegWeights(lr, lambda, lr->r));
    PetscCall(VecPointwiseMult(out, out, lr->r));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *E, void *ctx)
{
  LR       *lr = (LR *)ctx;
  PetscReal loc;

  PetscFunctionBegin;
  if (lr->zvm_valid) { /* margins of the last UpperGradient, if at this w */
    PetscObjectId    id;
    PetscObjectState state;

    PetscCall(PetscObjectGetId((PetscObject)w, &id));
    PetscCall(PetscObjectStateGet((PetscObject)w, &state));
    if (lr->zvm_ptr == (const void *)w && lr->zvm_id == id && lr->zvm_state == state) {
      PetscCall(LocalLoss(lr->zvm, &loc));
      PetscCall(MPIU_Allreduce(&loc, E, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)prob)));
      PetscFunctionReturn(0);
    }
  }
  PetscCall(Margins(lr->Xv, lr->yv, w, lr->zv));
  PetscCall(LocalLoss(lr->zv, &loc));
  PetscCall(MPIU_Allreduce(&loc, E, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)prob)));
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperGradient(HGProblem prob, Vec w, Vec lambda, Vec gw, Vec gl, void *ctx)
{
  LR *lr = (LR *)ctx;

  PetscFunctionBegin;
  PetscCall(Margins(lr->Xv, lr->yv, w, lr->zv));
  if (!lr->zvm) PetscCall(VecDuplicate(lr->zv, &lr->zvm));
  PetscCall(VecCopy(lr->zv, lr->zvm)); /* for UpperObjective at the same w */
  PetscCall(PetscObjectGetId((PetscObject)w, &lr->zvm_id));
  PetscCall(PetscObjectStateGet((PetscObject)w, &lr->zvm_state));
  lr->zvm_ptr   = (const void *)w;
  lr->zvm_valid = PETSC_TRUE;
  PetscCall(LossDerivative(lr->yv, lr->zv));
  PetscCall(MatMultTranspose(lr->Xv, lr->zv, gw));
  PetscCall(VecSet(gl, 0.0));
  PetscFunctionReturn(0);
}

/* Fraction of the samples of (A, y) with y a^T w > 0, m a work Vec of the rows; NaN for no samples */
static PetscErrorCode SignAccuracy(Mat A, Vec y, Vec w, Vec m, PetscReal *acc)
{
  const PetscScalar *a;
  PetscInt           n, N, c = 0, call;

  PetscFunctionBegin;
  PetscCall(Margins(A, y, w, m));
  PetscCall(VecGetLocalSize(m, &n));
  PetscCall(VecGetSize(m, &N));
  PetscCall(VecGetArrayRead(m, &a));
  for (PetscInt i = 0; i < n; i++)
    if (PetscRealPart(a[i]) > 0) c++;
  PetscCall(VecRestoreArrayRead(m, &a));
  PetscCall(MPIU_Allreduce(&c, &call, 1, MPIU_INT, MPI_SUM, PetscObjectComm((PetscObject)m)));
  *acc = N > 0 ? (PetscReal)call / (PetscReal)N : (PetscReal)NAN;
  PetscFunctionReturn(0);
}

/* Validation and test accuracy of the classifier sign(x^T w) (HGProblemSetAccuracy()) */
static PetscErrorCode Accuracy(HGProblem prob, Vec w, Vec lambda, PetscReal *val, PetscReal *test, void *ctx)
{
  LR *lr = (LR *)ctx;

  PetscFunctionBegin;
  PetscCall(SignAccuracy(lr->Xv, lr->yv, w, lr->zv, val));
  *test = (PetscReal)NAN;
  if (lr->Xt) PetscCall(SignAccuracy(lr->Xt, lr->yt, w, lr->zt, test));
  PetscFunctionReturn(0);
}

/* Labels as read -> +-1: the larger of the two training classes is +1; validation labels must be one of them */
static PetscErrorCode BinaryLabels(HGData *d, PetscReal lo, PetscReal hi, const char *which)
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)d->y);
  PetscInt     n;
  PetscScalar *a;
  PetscReal    bad = PETSC_MIN_REAL, badall;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(d->y, &n));
  PetscCall(VecGetArray(d->y, &a));
  for (PetscInt i = 0; i < n; i++) {
    PetscReal v = PetscRealPart(a[i]);
    if (v != lo && v != hi && bad == PETSC_MIN_REAL) bad = v;
    a[i] = v == hi ? 1.0 : -1.0;
  }
  PetscCall(VecRestoreArray(d->y, &a));
  PetscCall(MPIU_Allreduce(&bad, &badall, 1, MPIU_REAL, MPI_MAX, comm));
  PetscCheck(badall == PETSC_MIN_REAL, comm, PETSC_ERR_FILE_UNEXPECTED, "logreg: the %s data have the label %g, which is not one of the two training classes %g, %g: use the same classes in every file", which, (double)badall, (double)lo, (double)hi);
  PetscFunctionReturn(0);
}

/* Training and validation sets from -data_* options: X, X' and labels +-1 (found = PETSC_FALSE: none given) */
static PetscErrorCode DataFromOptions(HGProblem prob, LR *lr, PetscBool *found)
{
  MPI_Comm   comm = PetscObjectComm((PetscObject)prob);
  HGData     tr, va, te;
  PetscInt   nc;
  PetscReal *cls;
  PetscBool  dense;

  PetscFunctionBegin;
  PetscCall(HGDataGetFromOptions(comm, ((PetscObject)prob)->prefix, found, &tr, &va, &te));
  if (!*found) PetscFunctionReturn(0);
  PetscCall(HGDataGetClasses(&tr, &nc, &cls));
  PetscCheck(nc == 2, comm, PETSC_ERR_FILE_UNEXPECTED, "logreg is binary, but the training labels take %" PetscInt_FMT " distinct value%s: give a data set with two classes", nc, nc == 1 ? "" : "s");
  PetscCall(BinaryLabels(&tr, cls[0], cls[1], "training"));
  PetscCall(BinaryLabels(&va, cls[0], cls[1], "validation"));
  if (te.X) PetscCall(BinaryLabels(&te, cls[0], cls[1], "test"));
  PetscCall(PetscFree(cls));
  lr->X = tr.X, lr->y = tr.y, lr->Xv = va.X, lr->yv = va.y;
  lr->Xt = te.X, lr->yt = te.y, lr->ntest = te.X ? te.nsamples : 0;
  lr->p = tr.nfeatures, lr->ntr = tr.nsamples, lr->nval = va.nsamples;
  PetscCall(PetscObjectTypeCompareAny((PetscObject)lr->X, &dense, MATMPIDENSE, MATSEQDENSE, ""));
  lr->sparse   = dense ? PETSC_FALSE : PETSC_TRUE;
  lr->fromfile = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUp(HGProblem prob)
{
  LR       *lr   = (LR *)prob->data;
  MPI_Comm  comm = PetscObjectComm((PetscObject)prob);
  Vec       w, lambda;
  PetscReal L, mu;
  PetscBool found;

  PetscFunctionBegin;
  if (lr->X) PetscFunctionReturn(0);
  PetscCall(DataFromOptions(prob, lr, &found));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, lr->p, &w));
  PetscCall(VecDuplicate(w, &lambda));
  if (!found) {
    PetscCall(VecCreateMPI(comm, PETSC_DECIDE, lr->ntr, &lr->y));
    PetscCall(VecCreateMPI(comm, PETSC_DECIDE, lr->nval, &lr->yv));
    PetscCall(CreateData(lr, comm, lr->ntr, w, STREAM_X, STREAM_COLS, STREAM_EPS, lr->y, &lr->X));
    PetscCall(CreateData(lr, comm, lr->nval, w, STREAM_XV, STREAM_COLSV, STREAM_EPSV, lr->yv, &lr->Xv));
    if (lr->ntest > 0) {
      PetscCall(VecCreateMPI(comm, PETSC_DECIDE, lr->ntest, &lr->yt));
      PetscCall(CreateData(lr, comm, lr->ntest, w, STREAM_XT, STREAM_COLST, STREAM_EPST, lr->yt, &lr->Xt));
    }
  }
  if (lr->yt) PetscCall(VecDuplicate(lr->yt, &lr->zt));
  if (prob->ninstances > 0) { /* fold prob->instance of a cross-validation on the training set (HGProblemSetInstance()) */
    Mat Xt, Xf;
    Vec yt, yf;
    PetscCall(HGCrossValidationSplit(prob, lr->seed, lr->X, lr->y, &Xt, &yt, &Xf, &yf));
    PetscCall(MatDestroy(&lr->X));
    PetscCall(MatDestroy(&lr->Xv));
    PetscCall(VecDestroy(&lr->y));
    PetscCall(VecDestroy(&lr->yv));
    lr->X = Xt, lr->y = yt, lr->Xv = Xf, lr->yv = yf;
    PetscCall(VecGetSize(yt, &lr->ntr));
    PetscCall(VecGetSize(yf, &lr->nval));
  }
  PetscCall(VecDuplicate(lr->y, &lr->z));
  PetscCall(VecDuplicate(lr->y, &lr->s));
  PetscCall(VecDuplicate(lr->yv, &lr->zv));
  PetscCall(VecDuplicate(w, &lr->r));
  PetscCall(VecDuplicate(w, &lr->rp));
  PetscCall(HGProblemSetVecTemplates(prob, w, lambda));
  PetscCall(HGVecSetHashUniform(lambda, lr->seed, STREAM_LAMBDA, 0.5, 1.5));
  PetscCall(VecCopy(lambda, lr->r)); /* the initial weights r, whichever parametrization */
  if (lr->useexp) PetscCall(VecLog(lambda));
  PetscCall(HGProblemSetInitialHyperparameters(prob, lambda));
  /* constants at the initial lambda */
  PetscCall(HGMatNormSquaredEstimateRows(lr->X, lr->seed, &lr->normX2, &lr->rowmax2, NULL));
  lr->normXv2 = -1; /* estimated when an error bound first needs it (BoundConstants()) */
  PetscCall(LowerConstants(prob, lambda, &L, &mu, lr));
  PetscCall(HGProblemSetLowerConstants(prob, L, mu));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemSetOptimizationCallbacks(prob, lr, LowerObjective, LowerGradient, HessianMult, MixedMultTranspose, UpperObjective, UpperGradient));
  PetscCall(HGProblemSetLowerConstantsFunction(prob, LowerConstants));
  PetscCall(HGProblemSetBoundConstantsFunction(prob, BoundConstants));
  PetscCall(HGProblemSetAccuracy(prob, Accuracy));
  if (!lr->useexp) PetscCall(HGProblemSetProjection(prob, HGProjectionPositiveWeights));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetFromOptions(HGProblem prob, PetscOptionItems *PetscOptionsObject)
{
  LR      *lr   = (LR *)prob->data;
  PetscInt  seed = (PetscInt)lr->seed;
  MPI_Comm  comm = PetscObjectComm((PetscObject)prob);
  PetscBool nnzset;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Logistic regression with per-feature l2 weights (Grazzi et al.)");
  PetscCall(HGOptionsInt("-lr_p", "Number of features (= hyperparameters)", "", lr->p, &lr->p, NULL));
  PetscCall(HGOptionsInt("-lr_ntrain", "Training examples", "", lr->ntr, &lr->ntr, NULL));
  PetscCall(HGOptionsInt("-lr_nval", "Validation examples", "", lr->nval, &lr->nval, NULL));
  PetscCall(HGOptionsInt("-lr_ntest", "Test examples of synthetic data, for the test accuracy (0: none)", "", lr->ntest, &lr->ntest, NULL));
  PetscCall(HGOptionsInt("-lr_seed", "Random seed", "", seed, &seed, NULL));
  PetscCall(PetscOptionsBool("-lr_sparse", "Sparse data matrices (MPIAIJ)", "", lr->sparse, &lr->sparse, NULL));
  PetscCall(HGOptionsInt("-lr_nnz_per_row", "Nonzeros per row with -lr_sparse", "", lr->nnz, &lr->nnz, &nnzset));
  PetscCall(PetscOptionsBool("-lr_exp", "Regularization weights exp(lambda) instead of lambda", "", lr->useexp, &lr->useexp, NULL));
  {
    PetscBool fused = lr->fz >= 0 ? PETSC_TRUE : PETSC_FALSE;
    PetscCall(PetscOptionsBool("-lr_fused", "Gradient and Hessian product in one pass over X (in place, no copy)", "", fused, &fused, NULL));
    if (!lr->X) lr->fz = fused ? 0 : FUSED_NONE;
  }
  PetscOptionsHeadEnd();
  PetscCheck(lr->p > 0 && lr->ntr > 0 && lr->nval > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-lr_p, -lr_ntrain and -lr_nval must be positive");
  PetscCheck(lr->ntest >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-lr_ntest must be >= 0 (0: no test set); got %" PetscInt_FMT, lr->ntest);
  if (lr->sparse) {
    PetscCheck(lr->nnz > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-lr_nnz_per_row must be positive; got %" PetscInt_FMT, lr->nnz);
    PetscCheck(!nnzset || lr->nnz <= lr->p, comm, PETSC_ERR_ARG_OUTOFRANGE, "-lr_nnz_per_row (%" PetscInt_FMT ") cannot exceed the number of features -lr_p (%" PetscInt_FMT ")", lr->nnz, lr->p);
    if (lr->nnz > lr->p) lr->nnz = lr->p; /* the default 100 with a smaller -lr_p: every column */
  }
  lr->seed = seed;
  PetscFunctionReturn(0);
}

static PetscErrorCode View(HGProblem prob, PetscViewer viewer)
{
  LR *lr = (LR *)prob->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "logistic regression: p = %" PetscInt_FMT ", %" PetscInt_FMT " train + %" PetscInt_FMT " validation, %s\n", lr->p, lr->ntr, lr->nval, lr->fromfile ? "data from files (-data_*), labels mapped to -1/+1" : "synthetic data"));
  if (lr->fromfile) PetscCall(PetscViewerASCIIPrintf(viewer, "%s data\n", lr->sparse ? "sparse (MPIAIJ)" : "dense (MPIDENSE)"));
  if (lr->Xt) PetscCall(PetscViewerASCIIPrintf(viewer, "test set: %" PetscInt_FMT " samples (test accuracy)\n", lr->ntest));
  else if (lr->sparse) PetscCall(PetscViewerASCIIPrintf(viewer, "sparse data (MPIAIJ), %" PetscInt_FMT " nonzeros per row, seed %" PetscInt64_FMT "\n", lr->nnz, lr->seed));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "dense data (MPIDENSE), seed %" PetscInt64_FMT "\n", lr->seed));
  PetscCall(PetscViewerASCIIPrintf(viewer, "regularization weights %s; ||X||_2^2 ~ %g (L, mu follow lambda)\n", lr->useexp ? "exp(lambda)" : "lambda (projected onto lambda >= 1e-8)", (double)lr->normX2));
  PetscFunctionReturn(0);
}

static PetscErrorCode Destroy(HGProblem prob)
{
  LR *lr = (LR *)prob->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&lr->X));
  PetscCall(MatDestroy(&lr->Xv));
  PetscCall(VecDestroy(&lr->y));
  PetscCall(VecDestroy(&lr->yv));
  PetscCall(MatDestroy(&lr->Xt));
  PetscCall(VecDestroy(&lr->yt));
  PetscCall(VecDestroy(&lr->zt));
  PetscCall(VecDestroy(&lr->z));
  PetscCall(VecDestroy(&lr->zv));
  PetscCall(VecDestroy(&lr->s));
  PetscCall(VecDestroy(&lr->r));
  PetscCall(VecDestroy(&lr->rp));
  PetscCall(FusedDestroy(lr));
  PetscCall(PetscFree(prob->data));
  PetscFunctionReturn(0);
}

/* The data fingerprint stored in run files: the training and validation data and labels, and
   the test set's when there is one (its accuracy is recorded) */
static PetscErrorCode Fingerprint(HGProblem prob, char fp[], size_t len, void *ctx)
{
  LR        *lr = (LR *)prob->data;
  PetscInt64 h[4];

  PetscFunctionBegin;
  fp[0] = 0;
  if (!lr->X || !lr->Xv || !lr->y || !lr->yv) PetscFunctionReturn(0);
  PetscCall(HGMatHash(lr->X, &h[0]));
  PetscCall(HGVecHash(lr->y, &h[1]));
  PetscCall(HGMatHash(lr->Xv, &h[2]));
  PetscCall(HGVecHash(lr->yv, &h[3]));
  PetscCall(PetscSNPrintf(fp, len, "logreg %016llx %016llx %016llx %016llx", (unsigned long long)h[0], (unsigned long long)h[1], (unsigned long long)h[2], (unsigned long long)h[3]));
  if (lr->Xt) { /* appended: the fingerprints of runs without a test set are unchanged */
    size_t l;
    PetscCall(HGMatHash(lr->Xt, &h[0]));
    PetscCall(HGVecHash(lr->yt, &h[1]));
    PetscCall(PetscStrlen(fp, &l));
    PetscCall(PetscSNPrintf(fp + l, len - l, " test %016llx %016llx", (unsigned long long)h[0], (unsigned long long)h[1]));
  }
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGProblemCreate_LogReg(HGProblem prob)
{
  LR *lr;

  PetscFunctionBegin;
  PetscCall(PetscNew(&lr));
  lr->p = 100, lr->ntr = 1000, lr->nval = 1000, lr->nnz = 100;
  prob->data                = lr;
  prob->ops->setup          = SetUp;
  prob->ops->setfromoptions = SetFromOptions;
  prob->ops->view           = View;
  prob->ops->destroy        = Destroy;
  PetscCall(HGProblemSetFingerprint(prob, Fingerprint, NULL));
  PetscFunctionReturn(0);
}
