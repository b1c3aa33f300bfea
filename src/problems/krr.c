/*MC
   HGPROBLEMKRR - kernel ridge regression with a Gaussian ARD kernel (Grazzi et al. 2020,
   eq. 22, after Pedregosa 2016):

     f(beta, gamma) = 1/2 ||y' - K'(gamma) w||^2,
     w(beta, gamma) = argmin_w 1/2 w^T (K(gamma) + beta I) w - w^T y,

   K(gamma)_ij = exp(-sum_k gamma_k (x_ik - x_jk)^2) over the training points, K'(gamma)_ij the
   same between validation point i and training point j.  lambda = (beta, gamma_1..gamma_p) in
   R^{p+1}, beta first; with -krr_exp the problem uses exp(beta) and exp(gamma) (the Parkinson
   setting of the paper) and the derivatives carry the chain-rule factors.  w is in R^ntrain.

   Hessian K + beta I; mixed product (d_lambda grad_w l)^T v = [v^T w; v^T (dK/dgamma_k) w],
   dK_ij/dgamma_k = -(x_ik - x_jk)^2 K_ij; grad_w E = -K'^T r, r = y' - K' w, grad_beta E = 0,
   grad_gamma_k E = -r^T (dK'/dgamma_k) w.  K and K' are MPIDENSE, rebuilt when gamma changes
   (cached on the lambda Vec's id, address and state and a copy of gamma).

   The constants L, mu of K + beta I depend on lambda: they are set once, at setup, from the
   INITIAL lambda (extreme eigenvalues of a dense copy when ntrain <= 2000, else ntrain + beta
   and beta).  The exact hypergradient is an independent dense Cholesky solve on every rank
   from the data regenerated from the hash.

   Data: x ~ N(0,1)/sqrt(p), y = sin(sum_k x_k) + 0.1 noise, seeded, identical on any number
   of ranks.  Default lambda: beta = 1, gamma_k = 1/p (their logarithms with -krr_exp).

   Real data: with -data_train FILE -data_val FILE (or -data FILE -data_split ...; see
   HGDataGetFromOptions(), e.g. Parkinson: -data parkinsons.data -data_csv_skip_columns name
   -data_csv_label_column status -data_standardize) the features and regression targets are
   read from the files (every rank holds all features) and -krr_p/-krr_ntrain/-krr_nval are
   ignored; the exact hypergradient then uses the same data.  When the training targets take
   exactly two values (e.g. Parkinson's status 0/1) the problem also has a classifier: a point
   is given the label nearest to its prediction K' w, and the validation and test accuracies
   (test set from -data_test, or the third part of -data_split) go through
   HGProblemSetAccuracy() (test accuracy NaN without a test set).

   Cross-validation: as instance k of K (HGProblemSetInstance(), -problem multi -sub_problem krr
   -multi_n K), the training set (synthetic or from files) is split by the layout-independent
   hash of the sample index (HGCrossValidationSplit()): instance k trains on the other folds and
   E is the loss on fold k; the separate validation set is unused, a test set still gives the
   test accuracy (two-valued targets).

   Options: -krr_p <10> features, -krr_ntrain <100>, -krr_nval <100>, -krr_seed <0>, -krr_exp,
            -krr_lambda_constants (L = max row sum of K + beta, mu = beta, at every lambda: the gd
            step then follows lambda, where by default it keeps the initial lambda's),
            -krr_offset <0> (added to the synthetic features: the exact hypergradient's data
            keep it, the problem centres them, so the closed-form test checks the centring),
            -data_* (real data)
M*/
#include <hypergrad/hgimpl.h>

enum { STREAM_X = 31, STREAM_XV, STREAM_NOISE, STREAM_NOISEV };

typedef struct {
  PetscInt         p, ntr, nval;
  PetscInt64       seed;
  PetscReal        offset;       /* added to the synthetic features (the kernel does not see it) */
  PetscBool        useexp;
  PetscBool        lambdaconst;  /* -krr_lambda_constants: L, mu at every lambda (row-sum bound) */
  PetscReal        rowmax;       /* its largest row sum of K; < 0: K was rebuilt since */
  PetscBool        fromfile;     /* data from -data_* files instead of synthetic */
  PetscBool        folded;       /* a fold of a cross-validation (HGProblemSetInstance()): the data as split, not regenerable */
  PetscReal       *xtr, *xval; /* features, row major (point i at x + i p), on every rank */
  Mat              K, Kv;
  Vec              y, yv, rv, tw, wall, xall, rs;
  VecScatter       wscat, lscat; /* gather a w-space / lambda-space Vec to every rank */
  Vec              lall;         /* gathered lambda */
  PetscReal        beta, *gamma; /* effective (after exp) hyperparameters of K, K' */
  PetscReal       *gcache;       /* the raw gamma at which K, K' were built */
  PetscBool        built;
  PetscObjectId    l_id;         /* the lambda Vec last seen: id, address, state */
  const void      *l_ptr;
  PetscObjectState l_state;
  PetscReal       *acc, *accsum; /* p + 1 work */
  PetscReal       *xtest;        /* test features (data files only), on every rank */
  PetscInt         ntest;
  Vec              yt, rt;       /* test targets, work */
  PetscBool        binary;       /* the training targets take two values cls[0] < cls[1] */
  PetscReal        cls[2];
  PetscScalar     *gB, *gZ, *gu; /* GammaProducts() work: ntr x (p+1), rows x (p+1), ntr */
} KRR;

/* Features: point i of the set with stream s, coordinates offset + N(0,1)/sqrt(p), row major */
static PetscErrorCode Features(PetscInt n, PetscInt p, PetscInt64 seed, PetscInt64 s, PetscReal offset, PetscReal **x)
{
  PetscReal sc = 1.0 / PetscSqrtReal((PetscReal)p);

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n * p, x));
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt k = 0; k < p; k++) (*x)[i * p + k] = offset + sc * HGHashNormal(seed, s, (PetscInt64)i * p + k);
  PetscFunctionReturn(0);
}

static inline PetscReal Target(const PetscReal *x, PetscInt p, PetscInt64 seed, PetscInt64 snoise, PetscInt i)
{
  PetscReal t = 0;
  for (PetscInt k = 0; k < p; k++) t += x[i * p + k];
  return PetscSinReal(t) + 0.1 * HGHashNormal(seed, snoise, i);
}

static inline PetscReal Kernel(const PetscReal *a, const PetscReal *b, const PetscReal *gamma, PetscInt p)
{
  PetscReal d = 0;
  for (PetscInt k = 0; k < p; k++) d += gamma[k] * (a[k] - b[k]) * (a[k] - b[k]);
  return PetscExpReal(-d);
}

/* (beta, gamma) as used by the kernel, from lambda as stored */
static void Effective(KRR *krr, const PetscScalar *lam, PetscReal *beta, PetscReal *gamma)
{
  *beta = krr->useexp ? PetscExpReal(PetscRealPart(lam[0])) : PetscRealPart(lam[0]);
  for (PetscInt k = 0; k < krr->p; k++) gamma[k] = krr->useexp ? PetscExpReal(PetscRealPart(lam[k + 1])) : PetscRealPart(lam[k + 1]);
}

/* Rows [lo, hi) of the kernel matrix between points xa and all ntr training points */
static PetscErrorCode FillKernel(KRR *krr, const PetscReal *xa, Mat A)
{
  PetscInt     lo, hi, lda, p = krr->p;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(MatGetOwnershipRange(A, &lo, &hi));
  PetscCall(MatDenseGetLDA(A, &lda));
  PetscCall(MatDenseGetArrayWrite(A, &a));
  for (PetscInt j = 0; j < krr->ntr; j++) {
    if (xa == krr->xtr && j >= lo && j < hi) { /* K's diagonal block is symmetric: one triangle, mirrored */
      for (PetscInt i = j; i < hi; i++) a[(i - lo) + j * lda] = a[(j - lo) + i * lda] = Kernel(xa + i * p, krr->xtr + j * p, krr->gamma, p);
    } else
      for (PetscInt i = lo; i < hi; i++) a[(i - lo) + j * lda] = Kernel(xa + i * p, krr->xtr + j * p, krr->gamma, p);
  }
  PetscCall(MatDenseRestoreArrayWrite(A, &a));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

/* Bring K, K' and beta up to date with lambda (gathered only when the Vec has changed) */
static PetscErrorCode Update(KRR *krr, Vec lambda)
{
  PetscObjectId      id;
  PetscObjectState   state;
  const PetscScalar *lam;
  PetscBool          same = krr->built;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetId((PetscObject)lambda, &id));
  PetscCall(PetscObjectStateGet((PetscObject)lambda, &state));
  if (krr->built && krr->l_ptr == (const void *)lambda && krr->l_id == id && krr->l_state == state) PetscFunctionReturn(0);
  PetscCall(VecScatterBegin(krr->lscat, lambda, krr->lall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(krr->lscat, lambda, krr->lall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayRead(krr->lall, &lam));
  for (PetscInt k = 0; k < krr->p; k++)
    if (PetscRealPart(lam[k + 1]) != krr->gcache[k]) same = PETSC_FALSE;
  Effective(krr, lam, &krr->beta, krr->gamma);
  for (PetscInt k = 0; k < krr->p; k++) krr->gcache[k] = PetscRealPart(lam[k + 1]);
  PetscCall(VecRestoreArrayRead(krr->lall, &lam));
  if (!same) { /* every rank sees the same gathered gamma, so all take this branch together */
    PetscCall(FillKernel(krr, krr->xtr, krr->K));
    PetscCall(FillKernel(krr, krr->xval, krr->Kv));
    krr->built  = PETSC_TRUE;
    krr->rowmax = -1;
  }
  krr->l_ptr   = (const void *)lambda;
  krr->l_id    = id;
  krr->l_state = state;
  PetscFunctionReturn(0);
}

static PetscErrorCode Gather(KRR *krr, Vec x, Vec all)
{
  PetscFunctionBegin;
  PetscCall(VecScatterBegin(krr->wscat, x, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(krr->wscat, x, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscFunctionReturn(0);
}

/* acc[k] = sum over this rank's rows i of A, all j: a_i A_ij b_j (xa_ik - x_jk)^2 (b gathered).
   With (xa_ik - x_jk)^2 = xa_ik^2 - 2 xa_ik x_jk + x_jk^2 this is one GEMM and one GEMV:
     Z = A [b, b o x_1, ..., b o x_p],  u = A^T a,
     acc[k] = sum_i a_i (xa_ik^2 Z_i0 - 2 xa_ik Z_ik) + sum_j u_j b_j x_jk^2,
   two passes over A instead of a scalar loop of p multiply-adds per entry.  The features are
   centred on the training mean at set-up, which keeps the three terms from cancelling. */
static PetscErrorCode GammaProducts(KRR *krr, Mat A, const PetscReal *xa, Vec a, Vec ball, PetscReal *acc)
{
  PetscInt           lo, hi, m, lda, p = krr->p, n = krr->ntr;
  const PetscScalar *Aa, *aa, *ba;
  PetscScalar       *B = krr->gB, *Z = krr->gZ, *u = krr->gu;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < p; k++) acc[k] = 0;
  PetscCall(MatGetOwnershipRange(A, &lo, &hi));
  m = hi - lo;
  PetscCall(MatDenseGetLDA(A, &lda));
  PetscCall(MatDenseGetArrayRead(A, &Aa));
  PetscCall(VecGetArrayRead(a, &aa));
  PetscCall(VecGetArrayRead(ball, &ba));
  for (PetscInt j = 0; j < n; j++) {
    B[j] = ba[j];
    for (PetscInt k = 0; k < p; k++) B[j + (k + 1) * n] = ba[j] * krr->xtr[j * p + k];
  }
  PetscCall(HGDenseGemm("N", "N", m, p + 1, n, 1.0, Aa, lda, B, n, 0.0, Z, PetscMax(m, 1)));
  PetscCall(HGDenseGemv("T", m, n, 1.0, Aa, lda, aa, 0.0, u));
  for (PetscInt i = 0; i < m; i++) {
    const PetscReal *xi = xa + (i + lo) * p;
    PetscReal        ai = PetscRealPart(aa[i]), zi = PetscRealPart(Z[i]);
    for (PetscInt k = 0; k < p; k++) acc[k] += ai * xi[k] * (xi[k] * zi - 2.0 * PetscRealPart(Z[i + (k + 1) * m]));
  }
  for (PetscInt j = 0; j < n; j++) {
    const PetscReal *xj = krr->xtr + j * p;
    PetscReal        c  = PetscRealPart(u[j] * ba[j]);
    for (PetscInt k = 0; k < p; k++) acc[k] += c * xj[k] * xj[k];
  }
  PetscCall(VecRestoreArrayRead(ball, &ba));
  PetscCall(VecRestoreArrayRead(a, &aa));
  PetscCall(MatDenseRestoreArrayRead(A, &Aa));
  PetscFunctionReturn(0);
}

/* y = (K + shift I) x - c (c may be NULL).  K is symmetric: the rank's diagonal block is read
   from its lower triangle only (symv), the blocks left and right of it by gemv against the
   gathered x (on one rank x is used in place). */
static PetscErrorCode KMult(KRR *krr, Vec x, PetscReal shift, Vec c, Vec y)
{
  PetscInt           lo, hi, m, lda, n = krr->ntr;
  const PetscScalar *Ka, *xa, *ca = NULL;
  PetscScalar       *ya;
  Vec                xs = x;
  PetscMPIInt        size;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(PetscObjectComm((PetscObject)krr->K), &size));
  PetscCall(MatGetOwnershipRange(krr->K, &lo, &hi));
  m = hi - lo;
  if (size > 1) { /* collective: every rank gathers, whatever its share */
    xs = krr->xall;
    PetscCall(VecScatterBegin(krr->wscat, x, xs, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(krr->wscat, x, xs, INSERT_VALUES, SCATTER_FORWARD));
  }
  PetscCall(MatDenseGetLDA(krr->K, &lda));
  PetscCall(MatDenseGetArrayRead(krr->K, &Ka));
  PetscCall(VecGetArrayRead(xs, &xa));
  PetscCall(VecGetArrayWrite(y, &ya));
  if (c) {
    PetscCall(VecGetArrayRead(c, &ca));
    for (PetscInt i = 0; i < m; i++) ya[i] = shift * xa[lo + i] - ca[i];
    PetscCall(VecRestoreArrayRead(c, &ca));
  } else
    for (PetscInt i = 0; i < m; i++) ya[i] = shift * xa[lo + i];
  PetscCall(HGDenseSymvLower(m, 1.0, Ka + lo * lda, lda, xa + lo, 1.0, ya));
  PetscCall(HGDenseGemv("N", m, lo, 1.0, Ka, lda, xa, 1.0, ya));
  PetscCall(HGDenseGemv("N", m, n - hi, 1.0, Ka + hi * lda, lda, xa + hi, 1.0, ya));
  PetscCall(VecRestoreArrayWrite(y, &ya));
  PetscCall(VecRestoreArrayRead(xs, &xa));
  PetscCall(MatDenseRestoreArrayRead(krr->K, &Ka));
  PetscCall(PetscLogFlops(2.0 * m * n));
  PetscFunctionReturn(0);
}

/* -krr_lambda_constants: L = max_i sum_j K_ij + beta (Gershgorin: K_ij > 0, so never below
   lambda_max(K) + beta, and tight both when K tends to the all-ones matrix and to I) and
   mu = beta (K is positive semidefinite), at lambda: one pass over K with the ones vector */
static PetscErrorCode LowerConstants(HGProblem prob, Vec lambda, PetscReal *L, PetscReal *mu, void *ctx)
{
  KRR *krr = (KRR *)ctx;

  PetscFunctionBegin;
  PetscCall(Update(krr, lambda));
  if (krr->rowmax < 0) { /* once per kernel matrix, not once per lower solve */
    PetscCall(VecSet(krr->tw, 1.0));
    PetscCall(KMult(krr, krr->tw, 0.0, NULL, krr->rs));
    PetscCall(VecMax(krr->rs, NULL, &krr->rowmax));
  }
  *L  = krr->rowmax + krr->beta;
  *mu = krr->beta;
  PetscFunctionReturn(0);
}

/* Write a full (p+1) array held on every rank into the owned part of a lambda-space Vec */
static PetscErrorCode SetOwned(const PetscReal *full, Vec out)
{
  PetscInt     lo, hi;
  PetscScalar *o;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(out, &lo, &hi));
  PetscCall(VecGetArrayWrite(out, &o));
  for (PetscInt i = lo; i < hi; i++) o[i - lo] = full[i];
  PetscCall(VecRestoreArrayWrite(out, &o));
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *f, void *ctx)
{
  KRR        *krr = (KRR *)ctx;
  PetscScalar wKw, ww, wy;

  PetscFunctionBegin;
  PetscCall(Update(krr, lambda));
  PetscCall(MatMult(krr->K, w, krr->tw));
  PetscCall(VecDot(w, krr->tw, &wKw));
  PetscCall(VecDot(w, w, &ww));
  PetscCall(VecDot(w, krr->y, &wy));
  *f = 0.5 * PetscRealPart(wKw) + 0.5 * krr->beta * PetscRealPart(ww) - PetscRealPart(wy);
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerGradient(HGProblem prob, Vec w, Vec lambda, Vec g, void *ctx)
{
  KRR *krr = (KRR *)ctx;

  PetscFunctionBegin;
  PetscCall(Update(krr, lambda));
  PetscCall(KMult(krr, w, krr->beta, krr->y, g));
  PetscFunctionReturn(0);
}

static PetscErrorCode HessianMult(HGProblem prob, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  KRR *krr = (KRR *)ctx;

  PetscFunctionBegin;
  PetscCall(Update(krr, lambda));
  PetscCall(KMult(krr, v, krr->beta, NULL, out));
  PetscFunctionReturn(0);
}

static PetscErrorCode MixedMultTranspose(HGProblem prob, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  KRR        *krr = (KRR *)ctx;
  PetscInt    p   = krr->p;
  PetscScalar vw;

  PetscFunctionBegin;
  PetscCall(Update(krr, lambda));
  PetscCall(Gather(krr, w, krr->wall));
  PetscCall(GammaProducts(krr, krr->K, krr->xtr, v, krr->wall, krr->acc + 1));
  krr->acc[0] = 0;
  PetscCall(MPIU_Allreduce(krr->acc, krr->accsum, p + 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)prob)));
  PetscCall(VecDot(w, v, &vw));
  /* d/dgamma_k of K_ij is -(x_ik - x_jk)^2 K_ij; under -krr_exp times exp(.) = the effective value */
  krr->accsum[0] = PetscRealPart(vw) * (krr->useexp ? krr->beta : 1.0);
  for (PetscInt k = 0; k < p; k++) krr->accsum[k + 1] = -krr->accsum[k + 1] * (krr->useexp ? krr->gamma[k] : 1.0);
  PetscCall(SetOwned(krr->accsum, out));
  PetscFunctionReturn(0);
}

/* Fraction of the points of a set (kernel rows A against the training points, targets y) whose
   nearest label to the prediction A w is their own */
static PetscErrorCode SetAccuracy(KRR *krr, Mat A, Vec w, Vec y, Vec pred, PetscReal *acc)
{
  const PetscScalar *pa, *ya;
  PetscInt           n, N;
  PetscReal          c[2] = {0, 0}, mid = 0.5 * (krr->cls[0] + krr->cls[1]);

  PetscFunctionBegin;
  PetscCall(MatMult(A, w, pred));
  PetscCall(VecGetLocalSize(y, &n));
  PetscCall(VecGetSize(y, &N));
  PetscCall(VecGetArrayRead(pred, &pa));
  PetscCall(VecGetArrayRead(y, &ya));
  for (PetscInt i = 0; i < n; i++) {
    PetscReal lab = PetscRealPart(pa[i]) > mid ? krr->cls[1] : krr->cls[0];
    if (lab == PetscRealPart(ya[i])) c[0] += 1;
  }
  PetscCall(VecRestoreArrayRead(y, &ya));
  PetscCall(VecRestoreArrayRead(pred, &pa));
  PetscCall(MPIU_Allreduce(c, c + 1, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)w)));
  *acc = N ? c[1] / (PetscReal)N : (PetscReal)NAN;
  PetscFunctionReturn(0);
}

/* Validation and test accuracy of the classifier sign-of-prediction (binary targets only) */
static PetscErrorCode Accuracy(HGProblem prob, Vec w, Vec lambda, PetscReal *val, PetscReal *test, void *ctx)
{
  KRR *krr = (KRR *)ctx;

  PetscFunctionBegin;
  PetscCall(Update(krr, lambda));
  PetscCall(SetAccuracy(krr, krr->Kv, w, krr->yv, krr->rv, val));
  *test = (PetscReal)NAN;
  if (krr->yt) {
    Mat      Kt;
    PetscInt nl, ntl;
    PetscCall(VecGetLocalSize(w, &nl));
    PetscCall(VecGetLocalSize(krr->yt, &ntl));
    PetscCall(MatCreateDense(PetscObjectComm((PetscObject)prob), ntl, nl, krr->ntest, krr->ntr, NULL, &Kt));
    PetscCall(FillKernel(krr, krr->xtest, Kt));
    PetscCall(SetAccuracy(krr, Kt, w, krr->yt, krr->rt, test));
    PetscCall(MatDestroy(&Kt));
  }
  PetscFunctionReturn(0);
}

/* rv = y' - K' w */
static PetscErrorCode ValResidual(KRR *krr, Vec w)
{
  PetscFunctionBegin;
  PetscCall(MatMult(krr->Kv, w, krr->rv));
  PetscCall(VecAYPX(krr->rv, -1.0, krr->yv));
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *E, void *ctx)
{
  KRR *krr = (KRR *)ctx;

  PetscFunctionBegin;
  PetscCall(Update(krr, lambda));
  PetscCall(ValResidual(krr, w));
  PetscCall(VecNorm(krr->rv, NORM_2, E));
  *E = 0.5 * (*E) * (*E);
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperGradient(HGProblem prob, Vec w, Vec lambda, Vec gw, Vec gl, void *ctx)
{
  KRR     *krr = (KRR *)ctx;
  PetscInt p   = krr->p;

  PetscFunctionBegin;
  PetscCall(Update(krr, lambda));
  PetscCall(ValResidual(krr, w));
  PetscCall(MatMultTranspose(krr->Kv, krr->rv, gw));
  PetscCall(VecScale(gw, -1.0));
  /* -r^T (dK'/dgamma_k) w = sum_ij r_i K'_ij w_j (x'_ik - x_jk)^2 */
  PetscCall(Gather(krr, w, krr->wall));
  PetscCall(GammaProducts(krr, krr->Kv, krr->xval, krr->rv, krr->wall, krr->acc + 1));
  krr->acc[0] = 0;
  PetscCall(MPIU_Allreduce(krr->acc, krr->accsum, p + 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)prob)));
  if (krr->useexp)
    for (PetscInt k = 0; k < p; k++) krr->accsum[k + 1] *= krr->gamma[k];
  PetscCall(SetOwned(krr->accsum, gl));
  PetscFunctionReturn(0);
}

/* Column-major n x ntr kernel matrix between points xa and the training points */
static PetscErrorCode DenseKernel(KRR *krr, PetscInt n, const PetscReal *xa, const PetscReal *xtr, const PetscReal *gamma, PetscScalar **A)
{
  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n * krr->ntr, A));
  for (PetscInt j = 0; j < krr->ntr; j++)
    for (PetscInt i = 0; i < n; i++) (*A)[i + j * n] = Kernel(xa + i * krr->p, xtr + j * krr->p, gamma, krr->p);
  PetscFunctionReturn(0);
}

static PetscErrorCode Exact(HGProblem prob, Vec lambda, Vec grad, PetscReal *f)
{
  KRR         *krr = (KRR *)prob->data;
  PetscInt     n = krr->ntr, nv = krr->nval, p = krr->p;
  PetscReal   *xtr, *xval, beta, *gamma, *g;
  PetscScalar *lam, *K, *Kv, *A, *A2, *y, *yv, *w, *r, *q;

  PetscFunctionBegin;
  if (krr->fromfile || krr->folded) { /* the data as loaded or split (every rank holds the features) */
    PetscCall(PetscMalloc1(n * p, &xtr));
    PetscCall(PetscMalloc1(nv * p, &xval));
    PetscCall(PetscArraycpy(xtr, krr->xtr, n * p));
    PetscCall(PetscArraycpy(xval, krr->xval, nv * p));
  } else {
    PetscCall(Features(n, p, krr->seed, STREAM_X, krr->offset, &xtr));
    PetscCall(Features(nv, p, krr->seed, STREAM_XV, krr->offset, &xval));
  }
  PetscCall(HGVecGatherAll(lambda, &lam));
  PetscCall(PetscMalloc2(p, &gamma, p + 1, &g));
  Effective(krr, lam, &beta, gamma);
  PetscCall(DenseKernel(krr, n, xtr, xtr, gamma, &K));
  PetscCall(DenseKernel(krr, nv, xval, xtr, gamma, &Kv));
  PetscCall(PetscMalloc7(n * n, &A, n * n, &A2, n, &y, nv, &yv, n, &w, nv, &r, n, &q));
  for (PetscInt i = 0; i < n * n; i++) A[i] = K[i];
  for (PetscInt i = 0; i < n; i++) A[i + i * n] += beta;
  PetscCall(PetscArraycpy(A2, A, n * n));
  if (krr->fromfile || krr->folded) {
    PetscScalar *ya, *yva;
    PetscCall(HGVecGatherAll(krr->y, &ya));
    PetscCall(HGVecGatherAll(krr->yv, &yva));
    PetscCall(PetscArraycpy(y, ya, n));
    PetscCall(PetscArraycpy(yv, yva, nv));
    PetscCall(PetscFree(ya));
    PetscCall(PetscFree(yva));
  } else {
    for (PetscInt i = 0; i < n; i++) y[i] = Target(xtr, p, krr->seed, STREAM_NOISE, i);
    for (PetscInt i = 0; i < nv; i++) yv[i] = Target(xval, p, krr->seed, STREAM_NOISEV, i);
  }
  /* w = (K + beta I)^{-1} y */
  PetscCall(PetscArraycpy(w, y, n));
  PetscCall(HGDenseCholeskySolve(n, A, 1, w));
  /* r = y' - K' w, f = 1/2 ||r||^2 */
  PetscCall(PetscArraycpy(r, yv, nv));
  PetscCall(HGDenseGemm("N", "N", nv, 1, n, -1.0, Kv, nv, w, n, 1.0, r, nv));
  if (f) {
    *f = 0;
    for (PetscInt i = 0; i < nv; i++) *f += 0.5 * PetscRealPart(r[i] * r[i]);
  }
  /* q = (K + beta I)^{-1} u, u = -K'^T r = grad_w E */
  PetscCall(HGDenseGemm("T", "N", n, 1, nv, -1.0, Kv, nv, r, nv, 0.0, q, n));
  PetscCall(HGDenseCholeskySolve(n, A2, 1, q));
  /* grad_beta f = -q^T w; grad_gamma_k f = -r^T (dK'/dgamma_k) w - q^T (dK/dgamma_k) w
     = sum_ij r_i K'_ij w_j (x'_ik - x_jk)^2 + sum_ij q_i K_ij w_j (x_ik - x_jk)^2 */
  g[0] = 0;
  for (PetscInt i = 0; i < n; i++) g[0] -= PetscRealPart(q[i] * w[i]);
  for (PetscInt k = 0; k < p; k++) g[k + 1] = 0;
  for (PetscInt j = 0; j < n; j++) {
    for (PetscInt i = 0; i < nv; i++) {
      PetscReal c = PetscRealPart(r[i] * Kv[i + j * nv] * w[j]);
      for (PetscInt k = 0; k < p; k++) g[k + 1] += c * (xval[i * p + k] - xtr[j * p + k]) * (xval[i * p + k] - xtr[j * p + k]);
    }
    for (PetscInt i = 0; i < n; i++) {
      PetscReal c = PetscRealPart(q[i] * K[i + j * n] * w[j]);
      for (PetscInt k = 0; k < p; k++) g[k + 1] += c * (xtr[i * p + k] - xtr[j * p + k]) * (xtr[i * p + k] - xtr[j * p + k]);
    }
  }
  if (krr->useexp) {
    g[0] *= beta;
    for (PetscInt k = 0; k < p; k++) g[k + 1] *= gamma[k];
  }
  PetscCall(SetOwned(g, grad));
  PetscCall(PetscFree7(A, A2, y, yv, w, r, q));
  PetscCall(PetscFree2(gamma, g));
  PetscCall(PetscFree(K));
  PetscCall(PetscFree(Kv));
  PetscCall(PetscFree(lam));
  PetscCall(PetscFree(xtr));
  PetscCall(PetscFree(xval));
  PetscFunctionReturn(0);
}

/* Training and validation sets from -data_* options (found = PETSC_FALSE: none given):
   features gathered on every rank, targets as read */
static PetscErrorCode DataFromOptions(HGProblem prob, KRR *krr, PetscBool *found)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)prob);
  HGData   tr, va, te;
  PetscInt nc;
  PetscReal *cls;

  PetscFunctionBegin;
  PetscCall(HGDataGetFromOptions(comm, ((PetscObject)prob)->prefix, found, &tr, &va, &te));
  PetscCall(HGProblemSetDataFingerprint(prob, &tr, &va, &te)); /* run files refuse other data */
  if (!*found) PetscFunctionReturn(0);
  PetscCall(HGDataGetClasses(&tr, &nc, &cls));
  if (nc == 2) {
    krr->binary = PETSC_TRUE;
    krr->cls[0] = cls[0], krr->cls[1] = cls[1];
  }
  PetscCall(PetscFree(cls));
  if (te.X) {
    PetscCheck(te.nfeatures == tr.nfeatures, comm, PETSC_ERR_FILE_UNEXPECTED, "krr: the test set has %" PetscInt_FMT " features but the training set %" PetscInt_FMT ": give data sets with the same features", te.nfeatures, tr.nfeatures);
    krr->ntest = te.nsamples;
    PetscCall(HGDataGatherDense(&te, &krr->xtest));
    PetscCall(VecDuplicate(te.y, &krr->yt));
    PetscCall(VecCopy(te.y, krr->yt));
    PetscCall(VecDuplicate(te.y, &krr->rt));
    PetscCall(HGDataDestroy(&te));
  }
  krr->p = tr.nfeatures, krr->ntr = tr.nsamples, krr->nval = va.nsamples;
  PetscCall(HGDataGatherDense(&tr, &krr->xtr));
  PetscCall(HGDataGatherDense(&va, &krr->xval));
  PetscCall(VecDuplicate(tr.y, &krr->y));
  PetscCall(VecCopy(tr.y, krr->y));
  PetscCall(VecDuplicate(va.y, &krr->yv));
  PetscCall(VecCopy(va.y, krr->yv));
  PetscCall(HGDataDestroy(&tr));
  PetscCall(HGDataDestroy(&va));
  krr->fromfile = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* k-fold cross-validation: the training set (features on every rank, targets y) split by
   HGCrossValidationSelect() into the training rows (the other folds) and the validation rows
   (fold prob->instance), which replace y, y' and the features; the separate validation set is unused */
static PetscErrorCode Fold(HGProblem prob, KRR *krr)
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)prob);
  PetscInt     N = krr->ntr, p = krr->p, ntr, nva, a = 0, b = 0, lo, hi;
  PetscBool   *inval;
  PetscReal   *xt, *xv;
  PetscScalar *yall, *ya;

  PetscFunctionBegin;
  PetscCall(HGCrossValidationSelect(prob, krr->seed, N, &inval, &ntr, &nva));
  PetscCall(HGVecGatherAll(krr->y, &yall));
  PetscCall(PetscMalloc2(ntr * p, &xt, nva * p, &xv));
  PetscCall(VecDestroy(&krr->y));
  PetscCall(VecDestroy(&krr->yv));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, ntr, &krr->y));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, nva, &krr->yv));
  for (PetscInt i = 0; i < N; i++) {
    PetscReal *dst = inval[i] ? xv + (b++) * p : xt + (a++) * p;
    PetscCall(PetscArraycpy(dst, krr->xtr + i * p, p));
  }
  for (PetscInt s = 0; s < 2; s++) { /* the owned targets of y (s = 0) and y' (s = 1), in order */
    Vec      v = s ? krr->yv : krr->y;
    PetscInt r = 0;
    PetscCall(VecGetOwnershipRange(v, &lo, &hi));
    PetscCall(VecGetArrayWrite(v, &ya));
    for (PetscInt i = 0; i < N; i++) {
      if ((inval[i] ? 1 : 0) != s) continue;
      if (r >= lo && r < hi) ya[r - lo] = yall[i];
      r++;
    }
    PetscCall(VecRestoreArrayWrite(v, &ya));
  }
  PetscCall(PetscFree(krr->xtr));
  PetscCall(PetscFree(krr->xval));
  PetscCall(PetscMalloc1(ntr * p, &krr->xtr));
  PetscCall(PetscMalloc1(nva * p, &krr->xval));
  PetscCall(PetscArraycpy(krr->xtr, xt, ntr * p));
  PetscCall(PetscArraycpy(krr->xval, xv, nva * p));
  PetscCall(PetscFree2(xt, xv));
  PetscCall(PetscFree(yall));
  PetscCall(PetscFree(inval));
  krr->ntr    = ntr;
  krr->nval   = nva;
  krr->folded = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUp(HGProblem prob)
{
  KRR         *krr  = (KRR *)prob->data;
  MPI_Comm     comm = PetscObjectComm((PetscObject)prob);
  Vec          w, lambda;
  PetscInt     lo, hi, p;
  PetscScalar *a, *lam0;
  PetscReal    L, mu;
  PetscBool    found;

  PetscFunctionBegin;
  if (krr->K) PetscFunctionReturn(0);
  PetscCall(DataFromOptions(prob, krr, &found));
  p = krr->p;
  if (!found) {
    PetscCall(Features(krr->ntr, p, krr->seed, STREAM_X, krr->offset, &krr->xtr));
    PetscCall(Features(krr->nval, p, krr->seed, STREAM_XV, krr->offset, &krr->xval));
  }
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, krr->ntr, &w));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, p + 1, &lambda));
  if (!found) PetscCall(VecDuplicate(w, &krr->y));
  PetscCall(VecDuplicate(w, &krr->tw));
  if (!found) PetscCall(VecCreateMPI(comm, PETSC_DECIDE, krr->nval, &krr->yv));
  PetscCall(VecDuplicate(krr->yv, &krr->rv));
  if (!found) { /* synthetic targets (with data, the files' targets are already in y, y') */
    PetscCall(VecGetOwnershipRange(krr->y, &lo, &hi));
    PetscCall(VecGetArrayWrite(krr->y, &a));
    for (PetscInt i = lo; i < hi; i++) a[i - lo] = Target(krr->xtr, p, krr->seed, STREAM_NOISE, i);
    PetscCall(VecRestoreArrayWrite(krr->y, &a));
    PetscCall(VecGetOwnershipRange(krr->yv, &lo, &hi));
    PetscCall(VecGetArrayWrite(krr->yv, &a));
    for (PetscInt i = lo; i < hi; i++) a[i - lo] = Target(krr->xval, p, krr->seed, STREAM_NOISEV, i);
    PetscCall(VecRestoreArrayWrite(krr->yv, &a));
  }
  if (prob->ninstances > 0) { /* fold prob->instance: train on the other folds of the training set, validate on it */
    PetscCall(Fold(prob, krr));
    PetscCall(VecDestroy(&w));
    PetscCall(VecDestroy(&krr->tw));
    PetscCall(VecDestroy(&krr->rv));
    PetscCall(VecCreateMPI(comm, PETSC_DECIDE, krr->ntr, &w));
    PetscCall(VecDuplicate(w, &krr->tw));
    PetscCall(VecDuplicate(krr->yv, &krr->rv));
  }
  /* centre the features on the training mean (after the synthetic targets, which use the raw
     features): the kernel only sees differences, and GammaProducts() expands their squares */
  {
    PetscReal *mean;
    PetscCall(PetscCalloc1(p, &mean));
    for (PetscInt i = 0; i < krr->ntr; i++)
      for (PetscInt k = 0; k < p; k++) mean[k] += krr->xtr[i * p + k] / (PetscReal)krr->ntr;
    for (PetscInt i = 0; i < krr->ntr; i++)
      for (PetscInt k = 0; k < p; k++) krr->xtr[i * p + k] -= mean[k];
    for (PetscInt i = 0; i < krr->nval; i++)
      for (PetscInt k = 0; k < p; k++) krr->xval[i * p + k] -= mean[k];
    for (PetscInt i = 0; i < krr->ntest; i++)
      for (PetscInt k = 0; k < p; k++) krr->xtest[i * p + k] -= mean[k];
    PetscCall(PetscFree(mean));
  }
  {
    PetscInt nl, nvl;
    PetscCall(VecGetLocalSize(w, &nl));
    PetscCall(VecGetLocalSize(krr->yv, &nvl));
    PetscCall(MatCreateDense(comm, nl, nl, krr->ntr, krr->ntr, NULL, &krr->K));
    PetscCall(MatCreateDense(comm, nvl, nl, krr->nval, krr->ntr, NULL, &krr->Kv));
  }
  PetscCall(VecScatterCreateToAll(w, &krr->wscat, &krr->wall));
  PetscCall(VecDuplicate(krr->wall, &krr->xall));
  PetscCall(VecDuplicate(krr->tw, &krr->rs));
  {
    PetscInt nl, nvl;
    PetscCall(VecGetLocalSize(w, &nl));
    PetscCall(VecGetLocalSize(krr->yv, &nvl));
    PetscCall(PetscMalloc3(krr->ntr * (p + 1), &krr->gB, PetscMax(PetscMax(nl, nvl), 1) * (p + 1), &krr->gZ, krr->ntr, &krr->gu));
  }
  PetscCall(VecScatterCreateToAll(lambda, &krr->lscat, &krr->lall));
  PetscCall(PetscMalloc4(p, &krr->gamma, p, &krr->gcache, p + 1, &krr->acc, p + 1, &krr->accsum));
  /* default lambda: beta = 1, gamma_k = 1/p (logarithms with -krr_exp) */
  PetscCall(VecGetOwnershipRange(lambda, &lo, &hi));
  PetscCall(VecGetArrayWrite(lambda, &a));
  for (PetscInt i = lo; i < hi; i++) {
    PetscReal v = i == 0 ? 1.0 : 1.0 / (PetscReal)p;
    a[i - lo]   = krr->useexp ? PetscLogReal(v) : v;
  }
  PetscCall(VecRestoreArrayWrite(lambda, &a));
  PetscCall(HGProblemSetVecTemplates(prob, w, lambda));
  PetscCall(HGProblemSetInitialHyperparameters(prob, lambda));
  /* constants of K + beta I at the initial lambda */
  PetscCall(HGVecGatherAll(lambda, &lam0));
  {
    PetscReal beta, *gamma;
    PetscCall(PetscMalloc1(p, &gamma));
    Effective(krr, lam0, &beta, gamma);
    if (krr->ntr <= 2000) {
      PetscScalar *K;
      PetscReal    emin, emax;
      PetscCall(DenseKernel(krr, krr->ntr, krr->xtr, krr->xtr, gamma, &K));
      PetscCall(HGDenseSymEigRange(krr->ntr, K, &emin, &emax));
      PetscCall(PetscFree(K));
      L  = emax + beta;
      mu = PetscMax(emin, 0.0) + beta; /* K is positive semidefinite */
    } else {
      L  = krr->ntr + beta; /* K_ij <= 1 */
      mu = beta;
    }
    PetscCall(PetscFree(gamma));
  }
  PetscCall(PetscFree(lam0));
  PetscCall(HGProblemSetLowerConstants(prob, L, mu));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemSetOptimizationCallbacks(prob, krr, LowerObjective, LowerGradient, HessianMult, MixedMultTranspose, UpperObjective, UpperGradient));
  if (krr->lambdaconst) PetscCall(HGProblemSetLowerConstantsFunction(prob, LowerConstants));
  if (krr->binary) PetscCall(HGProblemSetAccuracy(prob, Accuracy));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetFromOptions(HGProblem prob, PetscOptionItems *PetscOptionsObject)
{
  KRR     *krr  = (KRR *)prob->data;
  PetscInt seed = (PetscInt)krr->seed;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Kernel ridge regression with a Gaussian ARD kernel (Pedregosa; Grazzi et al.)");
  PetscCall(HGOptionsInt("-krr_p", "Number of features (hyperparameters: p + 1)", "", krr->p, &krr->p, NULL));
  PetscCall(HGOptionsInt("-krr_ntrain", "Training examples (= lower-level dimension)", "", krr->ntr, &krr->ntr, NULL));
  PetscCall(HGOptionsInt("-krr_nval", "Validation examples", "", krr->nval, &krr->nval, NULL));
  PetscCall(HGOptionsInt("-krr_seed", "Random seed", "", seed, &seed, NULL));
  PetscCall(HGOptionsReal("-krr_offset", "Constant added to every synthetic feature (a shift the kernel is invariant to; targets change)", "", krr->offset, &krr->offset, NULL));
  PetscCall(PetscOptionsBool("-krr_lambda_constants", "L and mu at every lambda (row-sum bound on K, mu = beta) instead of the eigenvalues of K at the initial lambda", "", krr->lambdaconst, &krr->lambdaconst, NULL));
  PetscCall(PetscOptionsBool("-krr_exp", "Hyperparameters are log(beta), log(gamma)", "", krr->useexp, &krr->useexp, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(krr->p > 0 && krr->ntr > 0 && krr->nval > 0, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "-krr_p, -krr_ntrain and -krr_nval must be positive");
  krr->seed = seed;
  PetscFunctionReturn(0);
}

static PetscErrorCode View(HGProblem prob, PetscViewer viewer)
{
  KRR *krr = (KRR *)prob->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "kernel ridge regression: p = %" PetscInt_FMT ", %" PetscInt_FMT " train + %" PetscInt_FMT " validation, %s, seed %" PetscInt64_FMT "\n", krr->p, krr->ntr, krr->nval, krr->fromfile ? "data from files (-data_*)" : "synthetic data", krr->seed));
  PetscCall(PetscViewerASCIIPrintf(viewer, "hyperparameters %s (constants at the initial lambda)\n", krr->useexp ? "(log beta, log gamma)" : "(beta, gamma)"));
  PetscFunctionReturn(0);
}

static PetscErrorCode Destroy(HGProblem prob)
{
  KRR *krr = (KRR *)prob->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&krr->K));
  PetscCall(MatDestroy(&krr->Kv));
  PetscCall(VecDestroy(&krr->y));
  PetscCall(VecDestroy(&krr->yv));
  PetscCall(VecDestroy(&krr->rv));
  PetscCall(VecDestroy(&krr->wall));
  PetscCall(VecDestroy(&krr->xall));
  PetscCall(VecDestroy(&krr->rs));
  PetscCall(PetscFree3(krr->gB, krr->gZ, krr->gu));
  PetscCall(VecDestroy(&krr->tw));
  PetscCall(VecDestroy(&krr->lall));
  PetscCall(VecScatterDestroy(&krr->wscat));
  PetscCall(VecScatterDestroy(&krr->lscat));
  PetscCall(PetscFree4(krr->gamma, krr->gcache, krr->acc, krr->accsum));
  PetscCall(PetscFree(krr->xtr));
  PetscCall(PetscFree(krr->xval));
  PetscCall(PetscFree(krr->xtest));
  PetscCall(VecDestroy(&krr->yt));
  PetscCall(VecDestroy(&krr->rt));
  PetscCall(PetscFree(prob->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGProblemCreate_KRR(HGProblem prob)
{
  KRR *krr;

  PetscFunctionBegin;
  PetscCall(PetscNew(&krr));
  krr->p = 10, krr->ntr = 100, krr->nval = 100;
  prob->data                    = krr;
  prob->ops->setup              = SetUp;
  prob->ops->setfromoptions     = SetFromOptions;
  prob->ops->exacthypergradient = Exact;
  prob->ops->view               = View;
  prob->ops->destroy            = Destroy;
  PetscFunctionReturn(0);
}
