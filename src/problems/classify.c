/* Multinomial cross-entropy kernels, synthetic class data and class labels shared by the
   classification problems (mlogreg, hyperclean, distill).  See classify.h. */
#include "classify.h"

#define STREAM_TEACHER 901

struct _n_HGClassOp {
  MPI_Comm     comm;
  Mat          X;     /* borrowed reference (PetscObjectReference) */
  Mat          XM;    /* sparse: MAIJ X kron I_c */
  PetscInt     n, p, c, m, nl;
  PetscBool    dense;
  VecScatter   gather; /* dense: W to every rank */
  Vec          Wall;
  PetscScalar *Gall;   /* dense: this rank's X^T R, all p*c entries */
  PetscMPIInt *counts; /* dense: local sizes of W on each rank */
};

PetscErrorCode HGClassOpCreate(Mat X, PetscInt c, HGClassOp *op)
{
  HGClassOp   o;
  PetscBool   aij;
  PetscMPIInt size, nlc;

  PetscFunctionBegin;
  PetscCall(PetscNew(&o));
  o->comm = PetscObjectComm((PetscObject)X);
  o->c    = c;
  o->X    = X;
  PetscCall(PetscObjectReference((PetscObject)X));
  PetscCall(MatGetSize(X, &o->n, &o->p));
  PetscCall(MatGetLocalSize(X, &o->m, &o->nl));
  PetscCall(PetscObjectTypeCompareAny((PetscObject)X, &o->dense, MATMPIDENSE, MATSEQDENSE, ""));
  PetscCall(PetscObjectTypeCompareAny((PetscObject)X, &aij, MATMPIAIJ, MATSEQAIJ, ""));
  PetscCheck(o->dense || aij, o->comm, PETSC_ERR_SUP, "Data matrix of type %s is not supported by the classification problems: give dense (MPIDENSE) or sparse (MPIAIJ) data", ((PetscObject)X)->type_name);
  if (!o->dense) PetscCall(MatCreateMAIJ(X, c, &o->XM));
  else {
    Vec W;
    PetscCall(HGClassOpCreateVecs(o, &W, NULL));
    PetscCall(VecScatterCreateToAll(W, &o->gather, &o->Wall));
    PetscCall(VecDestroy(&W));
    PetscCall(PetscMalloc1(o->p * c, &o->Gall));
    PetscCallMPI(MPI_Comm_size(o->comm, &size));
    PetscCall(PetscMalloc1(size, &o->counts));
    PetscCall(PetscMPIIntCast(o->nl * c, &nlc));
    PetscCallMPI(MPI_Allgather(&nlc, 1, MPI_INT, o->counts, 1, MPI_INT, o->comm));
  }
  *op = o;
  PetscFunctionReturn(0);
}

PetscErrorCode HGClassOpDestroy(HGClassOp *op)
{
  PetscFunctionBegin;
  if (!*op) PetscFunctionReturn(0);
  PetscCall(MatDestroy(&(*op)->X));
  PetscCall(MatDestroy(&(*op)->XM));
  PetscCall(VecScatterDestroy(&(*op)->gather));
  PetscCall(VecDestroy(&(*op)->Wall));
  PetscCall(PetscFree((*op)->Gall));
  PetscCall(PetscFree((*op)->counts));
  PetscCall(PetscFree(*op));
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateBlockVec(MPI_Comm comm, PetscInt nlocal, PetscInt N, PetscInt bs, Vec *v)
{
  PetscFunctionBegin;
  PetscCall(VecCreate(comm, v));
  PetscCall(VecSetSizes(*v, nlocal * bs, N * bs));
  PetscCall(VecSetBlockSize(*v, bs));
  PetscCall(VecSetType(*v, VECSTANDARD));
  PetscFunctionReturn(0);
}

PetscErrorCode HGClassOpCreateVecs(HGClassOp op, Vec *W, Vec *Z)
{
  PetscFunctionBegin;
  if (W) PetscCall(CreateBlockVec(op->comm, op->nl, op->p, op->c, W));
  if (Z) PetscCall(CreateBlockVec(op->comm, op->m, op->n, op->c, Z));
  PetscFunctionReturn(0);
}

PetscErrorCode HGClassOpMult(HGClassOp op, Vec W, Vec Z)
{
  const PetscScalar *wa, *xa;
  PetscScalar       *za;
  PetscInt           lda;

  PetscFunctionBegin;
  if (!op->dense) {
    PetscCall(MatMult(op->XM, W, Z));
    PetscFunctionReturn(0);
  }
  PetscCall(VecScatterBegin(op->gather, W, op->Wall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(op->gather, W, op->Wall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayWrite(Z, &za));
  if (op->m > 0) {
    PetscCall(VecGetArrayRead(op->Wall, &wa));
    PetscCall(MatDenseGetLDA(op->X, &lda));
    PetscCall(MatDenseGetArrayRead(op->X, &xa));
    /* Z^T (c x m) = W^T (c x p) X_loc^T (p x m) */
    PetscCall(HGDenseGemm("N", "T", op->c, op->m, op->p, 1.0, wa, op->c, xa, lda, 0.0, za, op->c));
    PetscCall(MatDenseRestoreArrayRead(op->X, &xa));
    PetscCall(VecRestoreArrayRead(op->Wall, &wa));
    PetscCall(PetscLogFlops(2.0 * op->c * op->m * op->p));
  }
  PetscCall(VecRestoreArrayWrite(Z, &za));
  PetscFunctionReturn(0);
}

PetscErrorCode HGClassOpMultTranspose(HGClassOp op, Vec R, Vec G)
{
  const PetscScalar *ra, *xa;
  PetscScalar       *ga;
  PetscInt           lda;
  PetscMPIInt        size;

  PetscFunctionBegin;
  if (!op->dense) {
    PetscCall(MatMultTranspose(op->XM, R, G));
    PetscFunctionReturn(0);
  }
  if (op->m > 0) {
    PetscCall(VecGetArrayRead(R, &ra));
    PetscCall(MatDenseGetLDA(op->X, &lda));
    PetscCall(MatDenseGetArrayRead(op->X, &xa));
    /* G^T (c x p) = R^T (c x m) X_loc (m x p), summed over the ranks */
    PetscCall(HGDenseGemm("N", "N", op->c, op->p, op->m, 1.0, ra, op->c, xa, lda, 0.0, op->Gall, op->c));
    PetscCall(MatDenseRestoreArrayRead(op->X, &xa));
    PetscCall(VecRestoreArrayRead(R, &ra));
    PetscCall(PetscLogFlops(2.0 * op->c * op->m * op->p));
  } else PetscCall(PetscArrayzero(op->Gall, op->p * op->c));
  PetscCall(VecGetArrayWrite(G, &ga));
  PetscCallMPI(MPI_Comm_size(op->comm, &size));
  if (size == 1) PetscCall(PetscArraycpy(ga, op->Gall, op->p * op->c));
  else PetscCallMPI(MPI_Reduce_scatter(op->Gall, ga, op->counts, MPIU_SCALAR, MPIU_SUM, op->comm));
  PetscCall(VecRestoreArrayWrite(G, &ga));
  PetscFunctionReturn(0);
}

void HGSoftmaxRow(PetscInt c, const PetscScalar *z, PetscInt stride, PetscInt label, PetscReal *loss, PetscScalar *p)
{
  PetscReal mx = PetscRealPart(z[0]), sum = 0, lse;

  for (PetscInt k = 1; k < c; k++) mx = PetscMax(mx, PetscRealPart(z[k * stride]));
  for (PetscInt k = 0; k < c; k++) sum += PetscExpReal(PetscRealPart(z[k * stride]) - mx);
  lse = mx + PetscLogReal(sum);
  if (loss) *loss = lse - PetscRealPart(z[label * stride]);
  if (p)
    for (PetscInt k = 0; k < c; k++) p[k * stride] = PetscExpReal(PetscRealPart(z[k * stride]) - lse);
}

PetscErrorCode HGSoftmaxLoss(PetscInt c, Vec Z, Vec y, Vec s, PetscReal *loss, Vec P, Vec R)
{
  const PetscScalar *za, *ya, *sa = NULL;
  PetscScalar       *pa = NULL, *ra = NULL, *prow;
  PetscInt           m;
  PetscReal          sum = 0, li;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(y, &m));
  PetscCall(VecGetArrayRead(Z, &za));
  PetscCall(VecGetArrayRead(y, &ya));
  if (s) PetscCall(VecGetArrayRead(s, &sa));
  if (P) PetscCall(VecGetArrayWrite(P, &pa));
  if (R) PetscCall(VecGetArrayWrite(R, &ra));
  PetscCall(PetscMalloc1(c, &prow));
  for (PetscInt i = 0; i < m; i++) {
    PetscInt  yi = (PetscInt)PetscRealPart(ya[i]);
    PetscReal si = sa ? PetscRealPart(sa[i]) : 1.0;

    HGSoftmaxRow(c, za + i * c, 1, yi, &li, prow);
    sum += si * li;
    if (pa)
      for (PetscInt k = 0; k < c; k++) pa[i * c + k] = prow[k];
    if (ra) {
      for (PetscInt k = 0; k < c; k++) ra[i * c + k] = si * prow[k];
      ra[i * c + yi] -= si;
    }
  }
  PetscCall(PetscFree(prow));
  if (R) PetscCall(VecRestoreArrayWrite(R, &ra));
  if (P) PetscCall(VecRestoreArrayWrite(P, &pa));
  if (s) PetscCall(VecRestoreArrayRead(s, &sa));
  PetscCall(VecRestoreArrayRead(y, &ya));
  PetscCall(VecRestoreArrayRead(Z, &za));
  PetscCall(PetscLogFlops(4.0 * m * c));
  *loss = sum;
  PetscFunctionReturn(0);
}

PetscErrorCode HGSoftmaxHessian(PetscInt c, Vec P, Vec U, Vec s, Vec Q)
{
  const PetscScalar *pa, *ua, *sa = NULL;
  PetscScalar       *qa;
  PetscInt           n;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(P, &n));
  PetscCall(VecGetArrayRead(P, &pa));
  PetscCall(VecGetArrayRead(U, &ua));
  if (s) PetscCall(VecGetArrayRead(s, &sa));
  PetscCall(VecGetArrayWrite(Q, &qa));
  for (PetscInt i = 0; i < n / c; i++) {
    const PetscScalar *p = pa + i * c, *u = ua + i * c;
    PetscScalar        pu = 0, si = sa ? sa[i] : 1.0;
    for (PetscInt k = 0; k < c; k++) pu += p[k] * u[k];
    for (PetscInt k = 0; k < c; k++) qa[i * c + k] = si * p[k] * (u[k] - pu);
  }
  PetscCall(VecRestoreArrayWrite(Q, &qa));
  if (s) PetscCall(VecRestoreArrayRead(s, &sa));
  PetscCall(VecRestoreArrayRead(U, &ua));
  PetscCall(VecRestoreArrayRead(P, &pa));
  PetscCall(PetscLogFlops(4.0 * n));
  PetscFunctionReturn(0);
}

PetscErrorCode HGSoftmaxCorrect(PetscInt c, Vec Z, Vec y, PetscInt *ncorrect)
{
  const PetscScalar *za, *ya;
  PetscInt           m, nc = 0;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(y, &m));
  PetscCall(VecGetArrayRead(Z, &za));
  PetscCall(VecGetArrayRead(y, &ya));
  for (PetscInt i = 0; i < m; i++) {
    PetscInt best = 0;
    for (PetscInt k = 1; k < c; k++)
      if (PetscRealPart(za[i * c + k]) > PetscRealPart(za[i * c + best])) best = k;
    if (best == (PetscInt)PetscRealPart(ya[i])) nc++;
  }
  PetscCall(VecRestoreArrayRead(y, &ya));
  PetscCall(VecRestoreArrayRead(Z, &za));
  *ncorrect = nc;
  PetscFunctionReturn(0);
}

PetscErrorCode HGClassAccuracy(HGClassOp op, Vec W, Vec Z, Vec y, PetscReal *acc)
{
  PetscInt nc, tot;

  PetscFunctionBegin;
  PetscCall(HGClassOpMult(op, W, Z));
  PetscCall(HGSoftmaxCorrect(op->c, Z, y, &nc));
  PetscCall(MPIU_Allreduce(&nc, &tot, 1, MPIU_INT, MPI_SUM, op->comm));
  *acc = op->n > 0 ? (PetscReal)tot / (PetscReal)op->n : (PetscReal)NAN;
  PetscFunctionReturn(0);
}

PetscErrorCode HGClassDataCreate(MPI_Comm comm, const HGClassSynth *sy, PetscInt n, PetscInt64 stream, Mat *X, Vec *y)
{
  Vec          cols;
  PetscInt     p = sy->p, c = sy->c, nnz = sy->nnz > 0 ? PetscMin(sy->nnz, sy->p) : sy->p;
  PetscInt     lo, hi, m, nl, *ci, ncols;
  PetscScalar *T, *vals, *ya, *score;
  PetscReal    scale = 1.0 / PetscSqrtReal((PetscReal)nnz);
  PetscBool    dense = sy->nnz > 0 ? PETSC_FALSE : PETSC_TRUE;

  PetscFunctionBegin;
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, p, &cols));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, n, y));
  PetscCall(VecGetLocalSize(*y, &m));
  PetscCall(VecGetLocalSize(cols, &nl));
  PetscCall(VecGetOwnershipRange(*y, &lo, &hi));
  PetscCall(PetscMalloc4(p * c, &T, p, &vals, p, &ci, c, &score));
  for (PetscInt j = 0; j < p * c; j++) T[j] = HGHashNormal(sy->seed, STREAM_TEACHER, j);
  if (dense) PetscCall(HGMatCreateDenseHash(comm, n, p, *y, cols, sy->seed, stream, 1.0, X));
  else PetscCall(MatCreateAIJ(comm, m, nl, n, p, PetscMin(nnz, nl), NULL, PetscMin(nnz, p - nl), NULL, X));
  PetscCall(VecGetArrayWrite(*y, &ya));
  for (PetscInt i = lo; i < hi; i++) {
    PetscInt best = 0;
    if (dense) {
      ncols = p;
      for (PetscInt j = 0; j < p; j++) {
        ci[j]   = j;
        vals[j] = HGHashNormal(sy->seed, stream, (PetscInt64)i * p + j); /* the entries of HGMatCreateDenseHash */
      }
    } else {
      /* nnz distinct columns by Floyd's sampling on the hash of (i, j), then sorted */
      ncols = 0;
      for (PetscInt j = p - nnz; j < p; j++) {
        PetscInt  t   = PetscMin((PetscInt)(HGHashUniform(sy->seed, stream + 1, (PetscInt64)i * p + j) * (PetscReal)(j + 1)), j);
        PetscBool dup = PETSC_FALSE;
        for (PetscInt k = 0; k < ncols && !dup; k++) dup = (PetscBool)(ci[k] == t);
        ci[ncols++] = dup ? j : t;
      }
      PetscCall(PetscSortInt(ncols, ci));
      for (PetscInt k = 0; k < ncols; k++) vals[k] = HGHashNormal(sy->seed, stream, (PetscInt64)i * nnz + k);
      PetscCall(MatSetValues(*X, 1, &i, ncols, ci, vals, INSERT_VALUES));
    }
    for (PetscInt k = 0; k < c; k++) {
      score[k] = sy->noise * HGHashNormal(sy->seed, stream + 2, (PetscInt64)i * c + k);
      for (PetscInt t = 0; t < ncols; t++) score[k] += scale * vals[t] * T[ci[t] * c + k];
    }
    for (PetscInt k = 1; k < c; k++)
      if (PetscRealPart(score[k]) > PetscRealPart(score[best])) best = k;
    ya[i - lo] = (PetscScalar)best;
  }
  PetscCall(VecRestoreArrayWrite(*y, &ya));
  if (!dense) {
    PetscCall(MatAssemblyBegin(*X, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(*X, MAT_FINAL_ASSEMBLY));
  }
  PetscCall(PetscFree4(T, vals, ci, score));
  PetscCall(VecDestroy(&cols));
  PetscFunctionReturn(0);
}

/* index of v in the sorted values (relative tolerance 1e-12), or -1 */
static PetscInt FindClass(PetscInt nc, const PetscReal values[], PetscReal v)
{
  PetscInt lo = 0, hi = nc - 1;

  while (lo <= hi) {
    PetscInt  mid = (lo + hi) / 2;
    PetscReal tol = 1e-12 * PetscMax(1.0, PetscAbsReal(v));
    if (PetscAbsReal(values[mid] - v) <= tol) return mid;
    if (values[mid] < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

PetscErrorCode HGClassLabelsFromData(HGData *ref, PetscInt nsets, HGData *sets[], const char *const names[], PetscInt *c)
{
  PetscReal *values;
  PetscInt   nc;
  MPI_Comm   comm = PetscObjectComm((PetscObject)ref->y);

  PetscFunctionBegin;
  PetscCall(HGDataGetClasses(ref, &nc, &values));
  PetscCheck(nc >= 2, comm, PETSC_ERR_ARG_WRONG, "The training labels have %" PetscInt_FMT " distinct value(s): a classification problem needs at least 2 classes; check the label column or the labels file", nc);
  for (PetscInt s = 0; s < nsets; s++) {
    PetscScalar *ya;
    PetscInt     m, bad = 0, badall;
    PetscReal    badv = 0, badvall;

    if (!sets[s] || !sets[s]->y) continue;
    PetscCall(VecGetLocalSize(sets[s]->y, &m));
    PetscCall(VecGetArray(sets[s]->y, &ya));
    for (PetscInt i = 0; i < m; i++) {
      PetscInt k = FindClass(nc, values, PetscRealPart(ya[i]));
      if (k < 0) {
        if (!bad) badv = PetscRealPart(ya[i]);
        bad++;
      } else ya[i] = (PetscScalar)k;
    }
    PetscCall(VecRestoreArray(sets[s]->y, &ya));
    PetscCall(MPIU_Allreduce(&bad, &badall, 1, MPIU_INT, MPI_SUM, comm));
    PetscCall(MPIU_Allreduce(&badv, &badvall, 1, MPIU_REAL, MPIU_MAX, comm));
    PetscCheck(!badall, comm, PETSC_ERR_ARG_WRONG, "The %s set has %" PetscInt_FMT " label(s) that no training example has (for example %g): the classes are the distinct training labels; give a training set with every class", names[s], badall, (double)badvall);
  }
  PetscCall(PetscFree(values));
  *c = nc;
  PetscFunctionReturn(0);
}

/*
  ||X||_2^2 = lambda_max(X^T X) bounded from above by at most HG_LANCZOS_STEPS Lanczos steps on
  A = X^T X (full reorthogonalization; one pass over X per step, NormalMult()) from a seeded
  Gaussian start v_1, with an a-posteriori probabilistic bound computed after every step, and
  never more than ||X||_F^2 (always an upper bound).

  The bound.  After k steps, A V_k = V_k T_k + beta_{k+1} v_{k+1} e_k^T, and the characteristic
  polynomial chi_k(t) = det(t I - T_k) = prod_i (t - theta_i) of T_k satisfies
  chi_k(A) v_1 = beta_2 ... beta_{k+1} v_{k+1}.  Write v_1 = sum_i g_i x_i in the eigenvectors of A
  (x_1 for lambda_max).  Then g_1^2 chi_k(lambda_max)^2 <= ||chi_k(A) v_1||^2 = (beta_2 ... beta_{k+1})^2,
  and chi_k grows beyond the largest Ritz value theta_k, so
      lambda_max <= t_k,  where t_k > theta_k solves  chi_k(t_k) = beta_2 ... beta_{k+1} / |g_1|.
  g_1 is unknown, but for v_1 uniform on the unit sphere of R^n (n >= 2) its density is at most
  Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2)) < sqrt((n-1)/(2 pi)) (Wendel's inequality), so
  P(|g_1| < eta) < eta sqrt(2 (n-1) / pi).  With eta = delta sqrt(pi / (2 (n-1))) and
  delta = HG_LANCZOS_DELTA = 1e-3, t_k (with eta for |g_1|) is an upper bound of lambda_max with
  probability at least 0.999 over the start vector -- for every k at once (one event, |g_1| >= eta),
  so the steps can stop as soon as the bound is tight and the smallest t_k over the steps is kept.
  This is the polynomial bound of van Dorsselaer, Hochstenbach & van der Vorst (SIAM J. Matrix
  Anal. Appl. 22(3), 2000) with the Lanczos polynomial.  It adapts to the spectrum: the steps stop
  when t_k <= (1 + HG_LANCZOS_RTOL) theta_k (or after HG_LANCZOS_STEPS): at n = 4000 (t708) after
  8 steps where the largest eigenvalue is twice the next, 13 for a fivefold one, 14 to 15 on a
  gap-free top (uniform, or an edge like Marchenko-Pastur's); 15 on the 50 M-nonzero benchmark
  file (n = 1e5, factor 1.139).  The a-priori bound of Kuczynski & Wozniakowski (SIAM J. Matrix
  Anal. Appl. 13(4), 1992), which the estimate used before, takes 20 steps whatever the spectrum
  (factor 1.10 at n = 4000, 1.13 at n = 1e5).  chi_k(t) is evaluated by the ratios of its three-term recurrence (a Sturm
  sequence: all positive exactly when t lies above every Ritz value) and t_k by bisection.
  The constants L built from it (step sizes 1/L, the error bounds) thus rest on an upper bound;
  gradient steps 1/L stay stable even for an estimate up to 2x too low.
*/
#define HG_LANCZOS_STEPS 20
#define HG_LANCZOS_DELTA 1e-3
#define HG_LANCZOS_RTOL  0.15

/* w = X^T X v in one pass over X (Lanczos on X^T X): a block of rows X_B at a time, t = X_B v
   then w += X_B^T t while the block is still in cache, instead of a MatMult and a
   MatMultTranspose (two passes).  Dense X (column major, SEQDENSE/MPIDENSE) and AIJ X
   (SEQAIJ/MPIAIJ: diagonal and off-diagonal blocks) are done in place; other types, and dense
   X with more than 1024 columns, take MatMult + MatMultTranspose.  With several ranks v is scattered to what this rank's rows need
   (dense: all of it; MPIAIJ: the ghost columns) and the partial products are added back. */
typedef struct {
  Mat        X;
  PetscInt   kind;      /* 0: MatMult + MatMultTranspose, 1: dense, 2: AIJ */
  VecScatter sc;        /* w-space -> vs (dense: all entries; MPIAIJ: ghosts); NULL on one rank */
  Vec        vs, ws, z; /* scattered v, partial product added back; z: rows (fallback) */
  PetscScalar *t;       /* dense: work per block of rows */
  PetscBool    simd;    /* AIJ: HGCSRDotRows() with its AVX-512 kernel */
  PetscReal   *rn;      /* dense: squared row norms of a block (first pass only) */
  PetscInt     bs;      /* dense: rows per block */
} NormalOp;

#define HG_NORMAL_BLOCK_BYTES (256 * 1024)
#define HG_NORMAL_MIN_ROWS    32

static PetscErrorCode NormalOpCreate(Mat X, Vec w, NormalOp *op)
{
  PetscBool   dense, aij, mpi;
  PetscMPIInt size;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(op, sizeof(*op)));
  op->X = X;
  PetscCall(PetscObjectTypeCompareAny((PetscObject)X, &dense, MATSEQDENSE, MATMPIDENSE, ""));
  PetscCall(PetscObjectTypeCompareAny((PetscObject)X, &aij, MATSEQAIJ, MATMPIAIJ, ""));
  PetscCall(PetscObjectTypeCompareAny((PetscObject)X, &mpi, MATMPIDENSE, MATMPIAIJ, ""));
  PetscCallMPI(MPI_Comm_size(PetscObjectComm((PetscObject)X), &size));
  if (dense) {
    PetscInt m, N;
    PetscCall(MatGetLocalSize(X, &m, NULL));
    PetscCall(MatGetSize(X, NULL, &N));
    /* blocks of rows pay only where a block holds many rows of the column-major array (each
       column contributes nb contiguous entries): with fewer than HG_NORMAL_MIN_ROWS rows per
       HG_NORMAL_BLOCK_BYTES two full passes are faster (measured 2x at p = 10000) */
    if (HG_NORMAL_BLOCK_BYTES / (PetscInt)(sizeof(PetscScalar) * PetscMax(N, 1)) < HG_NORMAL_MIN_ROWS) {
      PetscCall(MatCreateVecs(X, NULL, &op->z));
      PetscFunctionReturn(0);
    }
    op->kind = 1;
    op->bs = PetscMax(1, PetscMin(m, HG_NORMAL_BLOCK_BYTES / (PetscInt)(sizeof(PetscScalar) * PetscMax(N, 1))));
    PetscCall(PetscMalloc2(op->bs, &op->t, op->bs, &op->rn));
    if (mpi && size > 1) {
      PetscCall(VecScatterCreateToAll(w, &op->sc, &op->vs));
      PetscCall(VecDuplicate(op->vs, &op->ws));
    }
  } else if (aij) {
    op->kind = 2;
    PetscCall(HGCSRDotRowsSIMD(&op->simd));
    if (mpi) {
      const PetscInt *garray;
      PetscInt        ng;
      IS              is;
      Mat             Ad, Ao;
      PetscCall(MatMPIAIJGetSeqAIJ(X, &Ad, &Ao, &garray));
      PetscCall(MatGetSize(Ao, NULL, &ng));
      PetscCall(ISCreateGeneral(PETSC_COMM_SELF, ng, garray, PETSC_COPY_VALUES, &is));
      PetscCall(VecCreateSeq(PETSC_COMM_SELF, ng, &op->vs));
      PetscCall(VecDuplicate(op->vs, &op->ws));
      PetscCall(VecScatterCreate(w, is, op->vs, NULL, &op->sc));
      PetscCall(ISDestroy(&is));
    }
  } else PetscCall(MatCreateVecs(X, NULL, &op->z));
  PetscFunctionReturn(0);
}

static PetscErrorCode NormalOpDestroy(NormalOp *op)
{
  PetscFunctionBegin;
  PetscCall(VecScatterDestroy(&op->sc));
  PetscCall(VecDestroy(&op->vs));
  PetscCall(VecDestroy(&op->ws));
  PetscCall(VecDestroy(&op->z));
  PetscCall(PetscFree2(op->t, op->rn));
  PetscFunctionReturn(0);
}

/* ---- Row dot products of CSR blocks (HGCSRDotRows()).  Both kernels read each row once, for one
   or two vectors.  The AVX-512 one gathers 8 entries of x per instruction (masked for the last
   fewer than 8 of a row); it is compiled for that target only (function attribute), and chosen at
   run time when the CPU has AVX-512F, so the default build runs on any x86-64 and elsewhere the
   plain loop is all there is.  On the 50 M-nonzero CSR benchmark file (rows of 50) the fused
   X^T X v pass took 0.107-0.122 s with it against 0.115-0.136 s with the plain loop (three paired
   runs; the scatter w += t_i a_i stays scalar: AVX-512 scatters were slower, 0.140-0.164 s). ---- */
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__)) && defined(PETSC_USE_REAL_DOUBLE) && !defined(PETSC_USE_COMPLEX) && !defined(PETSC_USE_64BIT_INDICES)
  #define HG_CSR_AVX512 1
  #include <immintrin.h>
__attribute__((target("avx512f"))) static void DotRowsAVX512(PetscInt i0, PetscInt i1, const PetscInt ia[], const PetscInt ja[], const PetscScalar aa[], const PetscScalar x1[], const PetscScalar x2[], PetscScalar t1[], PetscScalar t2[])
{
  for (PetscInt i = i0; i < i1; i++) {
    PetscInt k = ia[i], e = ia[i + 1];
    __m512d  s1 = _mm512_setzero_pd(), s2 = _mm512_setzero_pd();

    for (; k + 8 <= e; k += 8) {
      __m256i ix = _mm256_loadu_si256((const __m256i *)(ja + k));
      __m512d a  = _mm512_loadu_pd(aa + k);
      s1         = _mm512_fmadd_pd(a, _mm512_i32gather_pd(ix, x1, 8), s1);
      if (x2) s2 = _mm512_fmadd_pd(a, _mm512_i32gather_pd(ix, x2, 8), s2);
    }
    if (k < e) {
      __mmask8 mk = (__mmask8)((1u << (e - k)) - 1);
      __m256i  ix = _mm512_castsi512_si256(_mm512_maskz_loadu_epi32((__mmask16)mk, ja + k));
      __m512d  a  = _mm512_maskz_loadu_pd(mk, aa + k);
      s1          = _mm512_fmadd_pd(a, _mm512_mask_i32gather_pd(_mm512_setzero_pd(), mk, ix, x1, 8), s1);
      if (x2) s2 = _mm512_fmadd_pd(a, _mm512_mask_i32gather_pd(_mm512_setzero_pd(), mk, ix, x2, 8), s2);
    }
    t1[i - i0] = _mm512_reduce_add_pd(s1);
    if (x2) t2[i - i0] = _mm512_reduce_add_pd(s2);
  }
}
#endif

void HGCSRDotRows(PetscBool simd, PetscInt i0, PetscInt i1, const PetscInt ia[], const PetscInt ja[], const PetscScalar aa[], const PetscScalar x1[], const PetscScalar x2[], PetscScalar t1[], PetscScalar t2[])
{
#if defined(HG_CSR_AVX512)
  if (simd) {
    DotRowsAVX512(i0, i1, ia, ja, aa, x1, x2, t1, t2);
    return;
  }
#endif
  if (x2) {
    for (PetscInt i = i0; i < i1; i++) {
      PetscScalar u1 = 0, u2 = 0;
      for (PetscInt k = ia[i]; k < ia[i + 1]; k++) {
        u1 += aa[k] * x1[ja[k]];
        u2 += aa[k] * x2[ja[k]];
      }
      t1[i - i0] = u1, t2[i - i0] = u2;
    }
  } else {
    for (PetscInt i = i0; i < i1; i++) {
      PetscScalar u1 = 0;
      for (PetscInt k = ia[i]; k < ia[i + 1]; k++) u1 += aa[k] * x1[ja[k]];
      t1[i - i0] = u1;
    }
  }
}

PetscErrorCode HGCSRDotRowsSIMD(PetscBool *simd)
{
  PetscFunctionBegin;
  *simd = PETSC_FALSE;
#if defined(HG_CSR_AVX512)
  {
    PetscBool opt = PETSC_TRUE;
    PetscCall(PetscOptionsGetBool(NULL, NULL, "-hg_csr_simd", &opt, NULL));
    __builtin_cpu_init();
    *simd = (opt && __builtin_cpu_supports("avx512f")) ? PETSC_TRUE : PETSC_FALSE;
  }
#endif
  PetscFunctionReturn(0);
}

PetscErrorCode HGCSRRowsGet(Mat X, PetscBool simd, HGCSRRows *r)
{
  PetscBool mpi, done;
  PetscInt  nr;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(r, sizeof(*r)));
  r->simd = simd;
  r->Ad   = X;
  PetscCall(PetscObjectTypeCompare((PetscObject)X, MATMPIAIJ, &mpi));
  if (mpi) {
    const PetscInt *garray;
    PetscCall(MatMPIAIJGetSeqAIJ(X, &r->Ad, &r->Ao, &garray));
  }
  PetscCall(MatGetRowIJ(r->Ad, 0, PETSC_FALSE, PETSC_FALSE, &r->m, &r->ia, &r->ja, &done));
  PetscCheck(done, PETSC_COMM_SELF, PETSC_ERR_LIB, "MatGetRowIJ failed on the diagonal block of X");
  PetscCall(MatSeqAIJGetArrayRead(r->Ad, &r->aa));
  if (r->Ao) {
    PetscCall(MatGetRowIJ(r->Ao, 0, PETSC_FALSE, PETSC_FALSE, &nr, &r->io, &r->jo, &done));
    PetscCheck(done, PETSC_COMM_SELF, PETSC_ERR_LIB, "MatGetRowIJ failed on the off-diagonal block of X");
    PetscCall(MatSeqAIJGetArrayRead(r->Ao, &r->ao));
    r->ghosts = r->io[r->m] > 0 ? PETSC_TRUE : PETSC_FALSE; /* one rank: no ghost columns, no off-diagonal loops */
  }
  PetscFunctionReturn(0);
}

PetscErrorCode HGCSRRowsRestore(HGCSRRows *r)
{
  PetscBool done;
  PetscInt  nr;

  PetscFunctionBegin;
  PetscCall(MatSeqAIJRestoreArrayRead(r->Ad, &r->aa));
  PetscCall(MatRestoreRowIJ(r->Ad, 0, PETSC_FALSE, PETSC_FALSE, &nr, &r->ia, &r->ja, &done));
  if (r->Ao) {
    PetscCall(MatSeqAIJRestoreArrayRead(r->Ao, &r->ao));
    PetscCall(MatRestoreRowIJ(r->Ao, 0, PETSC_FALSE, PETSC_FALSE, &nr, &r->io, &r->jo, &done));
  }
  PetscCall(PetscMemzero(r, sizeof(*r)));
  PetscFunctionReturn(0);
}

void HGCSRRowsDot(const HGCSRRows *r, PetscInt i0, PetscInt i1, const PetscScalar x1[], const PetscScalar xg1[], const PetscScalar x2[], const PetscScalar xg2[], PetscScalar t1[], PetscScalar t2[])
{
  HGCSRDotRows(r->simd, i0, i1, r->ia, r->ja, r->aa, x1, x2, t1, t2);
  if (r->ghosts) {
    PetscScalar g1[HG_CSR_BLOCK_ROWS], g2[HG_CSR_BLOCK_ROWS];

    HGCSRDotRows(r->simd, i0, i1, r->io, r->jo, r->ao, xg1, x2 ? xg2 : NULL, g1, g2);
    for (PetscInt i = 0; i < i1 - i0; i++) t1[i] += g1[i];
    if (x2)
      for (PetscInt i = 0; i < i1 - i0; i++) t2[i] += g2[i];
  }
}

void HGCSRRowsAdd(const HGCSRRows *r, PetscInt i0, PetscInt i1, const PetscScalar c[], PetscScalar w[], PetscScalar wg[])
{
  for (PetscInt i = i0; i < i1; i++) {
    PetscScalar ci = c[i - i0];

    for (PetscInt k = r->ia[i]; k < r->ia[i + 1]; k++) w[r->ja[k]] += ci * r->aa[k];
    if (r->ghosts)
      for (PetscInt k = r->io[i]; k < r->io[i + 1]; k++) wg[r->jo[k]] += ci * r->ao[k];
  }
}

/* AIJ X (SEQAIJ, MPIAIJ): w += X^T X v over this rank's rows (diagonal block into w, ghost part
   into wg); with fro2 (and rowmax2), the sum and the largest of the squared row norms ||x_i||^2
   of these rows in the same pass */
static PetscErrorCode NormalMultAIJ(PetscBool simd, Mat X, const PetscScalar *v, const PetscScalar *vg, PetscScalar *w, PetscScalar *wg, PetscReal *fro2, PetscReal *rowmax2)
{
  HGCSRRows r;
  PetscReal f = 0, rmax = 0;

  PetscFunctionBegin;
  PetscCall(HGCSRRowsGet(X, simd, &r));
  for (PetscInt i0 = 0; i0 < r.m; i0 += HG_CSR_BLOCK_ROWS) {
    PetscInt    i1 = PetscMin(r.m, i0 + HG_CSR_BLOCK_ROWS);
    PetscScalar t[HG_CSR_BLOCK_ROWS];

    HGCSRRowsDot(&r, i0, i1, v, vg, NULL, NULL, t, NULL);
    HGCSRRowsAdd(&r, i0, i1, t, w, wg);
    if (fro2)
      for (PetscInt i = i0; i < i1; i++) { /* the rows are still in L1 */
        PetscReal q = 0;
        for (PetscInt k = r.ia[i]; k < r.ia[i + 1]; k++) q += PetscRealPart(PetscConj(r.aa[k]) * r.aa[k]);
        if (r.ghosts)
          for (PetscInt k = r.io[i]; k < r.io[i + 1]; k++) q += PetscRealPart(PetscConj(r.ao[k]) * r.ao[k]);
        f += q, rmax = PetscMax(rmax, q);
      }
  }
  if (fro2) *fro2 = f;
  if (rowmax2) *rowmax2 = rmax;
  PetscCall(HGCSRRowsRestore(&r));
  PetscFunctionReturn(0);
}

/* The sum and the largest of the squared row norms of this rank's rows, by MatGetRow (any type) */
static PetscErrorCode RowNormsGeneric(Mat X, PetscReal *fro2, PetscReal *rowmax2)
{
  PetscInt lo, hi;

  PetscFunctionBegin;
  *fro2 = *rowmax2 = 0;
  PetscCall(MatGetOwnershipRange(X, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) {
    const PetscScalar *a;
    PetscInt           nc;
    PetscReal          r = 0;
    PetscCall(MatGetRow(X, i, &nc, NULL, &a));
    for (PetscInt k = 0; k < nc; k++) r += PetscRealPart(PetscConj(a[k]) * a[k]);
    PetscCall(MatRestoreRow(X, i, &nc, NULL, &a));
    *fro2 += r, *rowmax2 = PetscMax(*rowmax2, r);
  }
  PetscFunctionReturn(0);
}

/* w = X^T X v; with fro2 and rowmax2 (first pass), the local sum and largest of the squared row norms too */
static PetscErrorCode NormalMult(NormalOp *op, Vec v, Vec w, PetscReal *fro2, PetscReal *rowmax2)
{
  const PetscScalar *va, *vg = NULL;
  PetscScalar       *wa, *wg = NULL;
  PetscInt           n, ng = 0;

  PetscFunctionBegin;
  if (op->kind == 0) {
    PetscCall(MatMult(op->X, v, op->z));
    PetscCall(MatMultTranspose(op->X, op->z, w));
    if (fro2) PetscCall(RowNormsGeneric(op->X, fro2, rowmax2));
    PetscFunctionReturn(0);
  }
  if (op->sc) {
    PetscCall(VecScatterBegin(op->sc, v, op->vs, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(op->sc, v, op->vs, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecGetArrayRead(op->vs, &vg));
    PetscCall(VecGetLocalSize(op->ws, &ng));
    PetscCall(VecGetArrayWrite(op->ws, &wg));
    PetscCall(PetscArrayzero(wg, ng));
  }
  PetscCall(VecGetLocalSize(w, &n));
  PetscCall(VecGetArrayRead(v, &va));
  PetscCall(VecGetArrayWrite(w, &wa));
  PetscCall(PetscArrayzero(wa, n));
  if (op->kind == 1) { /* column major rows: t = X_B v, then X_B^T t added to all p entries */
    const PetscScalar *a;
    const PetscScalar *vf = op->sc ? vg : va;
    PetscScalar       *wf = op->sc ? wg : wa;
    PetscInt           m, N, lda;
    PetscCall(MatGetLocalSize(op->X, &m, NULL));
    PetscCall(MatGetSize(op->X, NULL, &N));
    PetscCall(MatDenseGetLDA(op->X, &lda));
    PetscCall(MatDenseGetArrayRead(op->X, &a));
    if (fro2) *fro2 = *rowmax2 = 0;
    for (PetscInt i0 = 0; i0 < m; i0 += op->bs) {
      PetscInt nb = PetscMin(op->bs, m - i0);
      PetscCall(HGDenseGemv("N", nb, N, 1.0, a + i0, lda, vf, 0.0, op->t));
      PetscCall(HGDenseGemv("T", nb, N, 1.0, a + i0, lda, op->t, 1.0, wf));
      if (fro2) { /* the block is still in cache */
        PetscCall(PetscArrayzero(op->rn, nb));
        for (PetscInt j = 0; j < N; j++)
          for (PetscInt i = 0; i < nb; i++) op->rn[i] += PetscRealPart(PetscConj(a[i0 + i + j * lda]) * a[i0 + i + j * lda]);
        for (PetscInt i = 0; i < nb; i++) *fro2 += op->rn[i], *rowmax2 = PetscMax(*rowmax2, op->rn[i]);
      }
    }
    PetscCall(MatDenseRestoreArrayRead(op->X, &a));
    PetscCall(PetscLogFlops(4.0 * m * N));
  } else {
    MatInfo info;
    PetscCall(NormalMultAIJ(op->simd, op->X, va, vg, wa, wg, fro2, rowmax2));
    PetscCall(MatGetInfo(op->X, MAT_LOCAL, &info));
    PetscCall(PetscLogFlops(4.0 * info.nz_used));
  }
  PetscCall(VecRestoreArrayRead(v, &va));
  PetscCall(VecRestoreArrayWrite(w, &wa));
  if (op->sc) {
    PetscCall(VecRestoreArrayRead(op->vs, &vg));
    PetscCall(VecRestoreArrayWrite(op->ws, &wg));
    PetscCall(VecScatterBegin(op->sc, op->ws, w, ADD_VALUES, SCATTER_REVERSE));
    PetscCall(VecScatterEnd(op->sc, op->ws, w, ADD_VALUES, SCATTER_REVERSE));
  }
  PetscFunctionReturn(0);
}

/* log chi_k(t) of the tridiagonal T_k (diagonal alpha[0..k-1], off-diagonal beta[1..k-1]) by the
   ratios r_i = p_i(t) / p_{i-1}(t) of its three-term recurrence; -infinity unless every ratio is
   positive, that is unless t lies above every eigenvalue of T_k */
static PetscReal LogCharPoly(PetscInt k, const PetscReal alpha[], const PetscReal beta[], PetscReal t)
{
  PetscReal r = 1, s = 0;

  for (PetscInt i = 0; i < k; i++) {
    r = (t - alpha[i]) - (i ? beta[i] * beta[i] / r : 0);
    if (!(r > 0)) return PETSC_NINFINITY;
    s += PetscLogReal(r);
  }
  return s;
}

/* The upper bound t_k of lambda_max after k Lanczos steps (see above): the root above theta of
   log chi_k(t) = log(beta_2 ... beta_{k+1}) - log(eta), by bisection, its upper end returned */
static PetscReal LanczosUpperBound(PetscInt k, const PetscReal alpha[], const PetscReal beta[], PetscReal theta, PetscReal logeta)
{
  PetscReal rhs = -logeta, lo = theta, hi, scale = 0;

  /* in floating point the relation holds up to rounding of order eps ||A|| per step: each beta
     counts with 1e-13 ||T_k|| added, so that a nearly invariant subspace cannot make the bound
     tighter than the arithmetic allows */
  for (PetscInt i = 0; i < k; i++) scale = PetscMax(scale, PetscAbsReal(alpha[i]) + beta[i] + beta[i + 1]);
  for (PetscInt i = 1; i <= k; i++) rhs += PetscLogReal(beta[i] + 1e-13 * scale);
  /* chi_k(t) >= (t - theta)^k above theta, so the root lies below theta + exp(rhs / k) */
  hi = theta + PetscExpReal(rhs / k);
  if (!(hi < PETSC_MAX_REAL)) return PETSC_MAX_REAL;
  for (PetscInt it = 0; it < 200 && hi - lo > 1e-13 * hi; it++) {
    PetscReal mid = 0.5 * (lo + hi);
    if (LogCharPoly(k, alpha, beta, mid) < rhs) lo = mid;
    else hi = mid;
  }
  return hi;
}

/*@
  HGMatNormSquaredBound - an upper bound of ||X||_2^2, the largest eigenvalue of X^T X, with
  probability at least 0.999 over a seeded random start, by at most 20 Lanczos steps on X^T X

  Collective

  Input Parameters:
+ X    - the matrix (AIJ and dense X take one pass over their rows per step; any other type
         a MatMult() and a MatMultTranspose())
- seed - the seed of the start vector (the same bound on any number of ranks, to rounding)

  Output Parameters:
+ bound - the upper bound, never more than ||X||_F^2
- steps - (optional) the number of Lanczos steps taken, each one pass over X

  Notes:
  After every step the characteristic polynomial of the Lanczos matrix gives a bound that holds
  unless the start vector is nearly orthogonal to the top eigenvector (the polynomial bound of
  van Dorsselaer, Hochstenbach and van der Vorst); the steps stop once it lies within 15% of the
  largest Ritz value, which is a lower bound.  A largest eigenvalue that stands apart takes a few
  steps; a gap-free top of the spectrum up to 20.  -info prints the Ritz value, the bound and the
  steps.  The problems logreg, mlogreg, hyperclean and biasreg take their ||X||^2 from it; a user's
  own problem can take the Lipschitz constants of a least-squares or logistic loss from it.

  Level: intermediate

.seealso: HGProblemSetLowerConstants(), HGDataLoad()
@*/
PetscErrorCode HGMatNormSquaredBound(Mat X, PetscInt64 seed, PetscReal *bound, PetscInt *steps)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(X, MAT_CLASSID, 1);
  PetscValidRealPointer(bound, 3);
  PetscCall(HGMatNormSquaredEstimateRows(X, seed, bound, NULL, steps));
  PetscFunctionReturn(0);
}

PetscErrorCode HGMatNormSquaredEstimateRows(Mat X, PetscInt64 seed, PetscReal *nrm2, PetscReal *rowmax2, PetscInt *steps)
{
  const PetscInt kmax = HG_LANCZOS_STEPS;
  Vec           *V, w, z;
  NormalOp       op;
  PetscScalar    dots[HG_LANCZOS_STEPS + 1], T[HG_LANCZOS_STEPS * HG_LANCZOS_STEPS];
  PetscReal      alpha[HG_LANCZOS_STEPS], beta[HG_LANCZOS_STEPS + 1], theta = 0, tmin, fro2 = 0, rmax2 = 0, logeta, bound = PETSC_MAX_REAL;
  PetscInt       n, k = 0;

  PetscFunctionBegin;
  PetscCall(HGInitializePackage());
  PetscCall(PetscLogEventBegin(HG_NormEstimate, X, 0, 0, 0));
  PetscCall(MatGetSize(X, NULL, &n));
  PetscCall(MatCreateVecs(X, &w, &z));
  PetscCall(VecDuplicateVecs(w, kmax + 1, &V));
  PetscCall(NormalOpCreate(X, w, &op));
  PetscCall(HGVecSetHashNormal(V[0], seed, 977));
  PetscCall(VecNormalize(V[0], NULL));
  logeta  = n > 1 ? PetscLogReal(HG_LANCZOS_DELTA * PetscSqrtReal(PETSC_PI / (2.0 * (n - 1)))) : 0;
  beta[0] = 0;
  for (PetscInt j = 0; j < kmax; j++) {
    PetscBool stop;

    PetscCall(NormalMult(&op, V[j], w, j == 0 ? &fro2 : NULL, j == 0 ? &rmax2 : NULL)); /* ||X||_F^2 and max_i ||x_i||^2 in the first pass */
    if (j == 0) {
      PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &fro2, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)X)));
      PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &rmax2, 1, MPIU_REAL, MPIU_MAX, PetscObjectComm((PetscObject)X)));
    }
    PetscCall(VecDot(w, V[j], &dots[0]));
    alpha[j] = PetscRealPart(dots[0]);
    k        = j + 1;
    /* w -= alpha_j v_j + beta_j v_{j-1}, then twice against all v (full reorthogonalization) */
    PetscCall(VecAXPY(w, -alpha[j], V[j]));
    if (j > 0) PetscCall(VecAXPY(w, -beta[j], V[j - 1]));
    for (PetscInt pass = 0; pass < 2; pass++) {
      PetscCall(VecMDot(w, j + 1, V, dots));
      for (PetscInt i = 0; i <= j; i++) dots[i] = -dots[i];
      PetscCall(VecMAXPY(w, j + 1, dots, V));
    }
    PetscCall(VecNorm(w, NORM_2, &beta[j + 1]));
    if (beta[j + 1] <= 1e-12 * PetscAbsReal(alpha[0])) beta[j + 1] = 0; /* invariant subspace: theta is exact on it */
    /* the Ritz values of T_k, then the bound t_k; all the t_k hold on one event, so the least is kept */
    PetscCall(PetscArrayzero(T, k * k));
    for (PetscInt i = 0; i < k; i++) {
      T[i + i * k] = alpha[i];
      if (i + 1 < k) T[i + 1 + i * k] = T[i + (i + 1) * k] = beta[i + 1];
    }
    PetscCall(HGDenseSymEigRange(k, T, &tmin, &theta));
    theta = PetscMax(theta, 0.0);
    bound = PetscMin(bound, n > 1 ? LanczosUpperBound(k, alpha, beta, theta, logeta) : theta);
    stop  = (beta[j + 1] == 0 || bound <= (1 + HG_LANCZOS_RTOL) * theta) ? PETSC_TRUE : PETSC_FALSE;
    if (stop || j + 1 == kmax) break;
    PetscCall(VecCopy(w, V[j + 1]));
    PetscCall(VecScale(V[j + 1], 1.0 / beta[j + 1]));
  }
  *nrm2 = PetscMin(bound, fro2);
  if (rowmax2) *rowmax2 = rmax2;
  if (steps) *steps = k;
  PetscCall(PetscInfo(X, "||X||_2^2: Lanczos Ritz value %g after %" PetscInt_FMT " steps, upper bound %g (factor %g, probability %g), ||X||_F^2 %g: estimate %g; largest squared row norm %g\n", (double)theta, k, (double)bound, (double)(theta > 0 ? bound / theta : PETSC_INFINITY), 1 - (double)HG_LANCZOS_DELTA, (double)fro2, (double)*nrm2, (double)rmax2));
  PetscCall(NormalOpDestroy(&op));
  PetscCall(VecDestroyVecs(kmax + 1, &V));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&z));
  PetscCall(PetscLogEventEnd(HG_NormEstimate, X, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode HGVecKeySet(HGVecKey *key, Vec v)
{
  PetscFunctionBegin;
  PetscCall(PetscObjectGetId((PetscObject)v, &key->id));
  PetscCall(PetscObjectStateGet((PetscObject)v, &key->state));
  key->ptr   = (const void *)v;
  key->valid = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode HGVecKeyMatch(HGVecKey *key, Vec v, PetscBool *match)
{
  PetscObjectId    id;
  PetscObjectState state;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetId((PetscObject)v, &id));
  PetscCall(PetscObjectStateGet((PetscObject)v, &state));
  *match = (key->valid && key->ptr == (const void *)v && key->id == id && key->state == state) ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}
