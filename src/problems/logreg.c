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

   The constants L = ||X||_2^2 / 4 + max_j r_j and mu = min_j r_j depend on lambda: they are
   set once, at setup, from the INITIAL lambda (||X||_2^2 from 50 power iterations on X^T X,
   times 1.01).  Pass an explicit step to the lower solver when lambda moves far from it.

   The weights s depend on w only: they are cached, keyed on the id, address and state of the
   w Vec, so repeated Hessian products at the same w cost one MatMult and one MatMultTranspose.

   Real data: with -data_train FILE -data_val FILE (or -data FILE -data_split ...; see
   HGDataGetFromOptions()) X and X' are read from the files (sparse for LIBSVM and CSR HDF5,
   dense otherwise) and the -lr_p/-lr_ntrain/-lr_nval/-lr_sparse options are ignored; the
   training labels must take exactly two values, the larger mapped to +1 and the smaller to -1.

   Options: -lr_p <100> features, -lr_ntrain <1000>, -lr_nval <1000>, -lr_seed <0>,
            -lr_sparse, -lr_nnz_per_row <100>, -lr_exp, -data_* (real data)
M*/
#include <hypergrad/hgimpl.h>

enum { STREAM_X = 21, STREAM_XV, STREAM_COLS, STREAM_COLSV, STREAM_WTRUE, STREAM_EPS, STREAM_EPSV, STREAM_LAMBDA, STREAM_POWER };

typedef struct {
  PetscInt         p, ntr, nval, nnz;
  PetscInt64       seed;
  PetscBool        sparse, useexp;
  PetscBool        fromfile;    /* data from -data_* files (HGDataGetFromOptions) instead of synthetic */
  PetscReal        normX2; /* ||X||_2^2 estimate (times 1.01) */
  Mat              X, Xv;
  Vec              y, yv;       /* labels +-1 */
  Vec              z, zv;       /* work: X w and X' w, then weights */
  Vec              s;           /* cached Hessian weights sigma(z)(1 - sigma(z)) */
  Vec              r, rp;       /* work in R^p: regularization weights and products */
  PetscObjectId    s_id;        /* the w at which s was computed: id, address and state */
  const void      *s_ptr;
  PetscObjectState s_state;
  PetscBool        s_valid;
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
  PetscCall(LossDerivative(lr->yv, lr->zv));
  PetscCall(MatMultTranspose(lr->Xv, lr->zv, gw));
  PetscCall(VecSet(gl, 0.0));
  PetscFunctionReturn(0);
}

/* lambda_j >= 1e-8: the regularization weights must stay positive */
static PetscErrorCode Projection(HGProblem prob, Vec lambda, void *ctx)
{
  PetscInt     n;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(lambda, &n));
  PetscCall(VecGetArray(lambda, &a));
  for (PetscInt j = 0; j < n; j++) a[j] = PetscMax(PetscRealPart(a[j]), 1e-8);
  PetscCall(VecRestoreArray(lambda, &a));
  PetscFunctionReturn(0);
}

/* ||X||_2^2 by 50 power iterations on X^T X from a seeded start (a lower estimate, times 1.01) */
static PetscErrorCode NormSquared(LR *lr, Vec w, PetscReal *nrm2)
{
  Vec       v;
  PetscReal nv, nu, est = 0;

  PetscFunctionBegin;
  PetscCall(VecDuplicate(w, &v));
  PetscCall(HGVecSetHashNormal(v, lr->seed, STREAM_POWER));
  PetscCall(VecNormalize(v, NULL));
  for (PetscInt it = 0; it < 50; it++) {
    PetscCall(MatMult(lr->X, v, lr->z));
    PetscCall(VecNorm(lr->z, NORM_2, &nu));
    est = PetscMax(est, nu * nu); /* Rayleigh quotient v^T X^T X v, ||v|| = 1 */
    PetscCall(MatMultTranspose(lr->X, lr->z, v));
    PetscCall(VecNorm(v, NORM_2, &nv));
    if (nv == 0) break;
    PetscCall(VecScale(v, 1.0 / nv));
  }
  *nrm2 = 1.01 * est;
  PetscCall(VecDestroy(&v));
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
  HGData     tr, va;
  PetscInt   nc;
  PetscReal *cls;
  PetscBool  dense;

  PetscFunctionBegin;
  PetscCall(HGDataGetFromOptions(comm, ((PetscObject)prob)->prefix, found, &tr, &va, NULL));
  if (!*found) PetscFunctionReturn(0);
  PetscCall(HGDataGetClasses(&tr, &nc, &cls));
  PetscCheck(nc == 2, comm, PETSC_ERR_FILE_UNEXPECTED, "logreg is binary, but the training labels take %" PetscInt_FMT " distinct value%s: give a data set with two classes", nc, nc == 1 ? "" : "s");
  PetscCall(BinaryLabels(&tr, cls[0], cls[1], "training"));
  PetscCall(BinaryLabels(&va, cls[0], cls[1], "validation"));
  PetscCall(PetscFree(cls));
  lr->X = tr.X, lr->y = tr.y, lr->Xv = va.X, lr->yv = va.y;
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
  PetscReal rmax, rmin;
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
  PetscCall(NormSquared(lr, w, &lr->normX2));
  PetscCall(VecMax(lr->r, NULL, &rmax));
  PetscCall(VecMin(lr->r, NULL, &rmin));
  PetscCall(HGProblemSetLowerConstants(prob, lr->normX2 / 4.0 + rmax, rmin));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemSetOptimizationCallbacks(prob, lr, LowerObjective, LowerGradient, HessianMult, MixedMultTranspose, UpperObjective, UpperGradient));
  if (!lr->useexp) PetscCall(HGProblemSetProjection(prob, Projection));
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
  PetscCall(PetscOptionsInt("-lr_p", "Number of features (= hyperparameters)", "", lr->p, &lr->p, NULL));
  PetscCall(PetscOptionsInt("-lr_ntrain", "Training examples", "", lr->ntr, &lr->ntr, NULL));
  PetscCall(PetscOptionsInt("-lr_nval", "Validation examples", "", lr->nval, &lr->nval, NULL));
  PetscCall(PetscOptionsInt("-lr_seed", "Random seed", "", seed, &seed, NULL));
  PetscCall(PetscOptionsBool("-lr_sparse", "Sparse data matrices (MPIAIJ)", "", lr->sparse, &lr->sparse, NULL));
  PetscCall(PetscOptionsInt("-lr_nnz_per_row", "Nonzeros per row with -lr_sparse", "", lr->nnz, &lr->nnz, &nnzset));
  PetscCall(PetscOptionsBool("-lr_exp", "Regularization weights exp(lambda) instead of lambda", "", lr->useexp, &lr->useexp, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(lr->p > 0 && lr->ntr > 0 && lr->nval > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-lr_p, -lr_ntrain and -lr_nval must be positive");
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
  else if (lr->sparse) PetscCall(PetscViewerASCIIPrintf(viewer, "sparse data (MPIAIJ), %" PetscInt_FMT " nonzeros per row, seed %" PetscInt64_FMT "\n", lr->nnz, lr->seed));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "dense data (MPIDENSE), seed %" PetscInt64_FMT "\n", lr->seed));
  PetscCall(PetscViewerASCIIPrintf(viewer, "regularization weights %s; ||X||_2^2 ~ %g (constants at the initial lambda)\n", lr->useexp ? "exp(lambda)" : "lambda (projected onto lambda >= 1e-8)", (double)lr->normX2));
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
  PetscCall(VecDestroy(&lr->z));
  PetscCall(VecDestroy(&lr->zv));
  PetscCall(VecDestroy(&lr->s));
  PetscCall(VecDestroy(&lr->r));
  PetscCall(VecDestroy(&lr->rp));
  PetscCall(PetscFree(prob->data));
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
  PetscFunctionReturn(0);
}
