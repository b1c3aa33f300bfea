/*MC
   HGPROBLEMHYPERREP - hyper-representation (Grazzi et al. 2020, 3.1 "HR", after Franceschi et
   al. 2018): a linear representation H in R^{p x d} shared by the upper level, ridge regression
   on the features X H at the lower level:

     f(H) = 1/2 ||X' H w(H) - y'||^2,
     w(H) = argmin_{w in R^d} 1/2 ||X H w - y||^2 + beta/2 ||w||^2

   (one task, as in the paper's Figure 1; in multi-task learning the hypergradient is the mean
   of such single-task ones).  lambda = H is one Vec of p*d entries, row-major (H_jk at index
   j*d + k, block size d), its rows split like the features of X; w in R^d is split
   PETSC_DECIDE and gathered on every rank when H is applied (d is small).

     grad_w l          = H^T X^T (X H w - y) + beta w
     Hessian           = H^T X^T X H + beta I                    (d x d)
     (d_H grad_w l)^T v = s v^T + (X^T X H v) w^T,  s = X^T (X H w - y)
     grad_w E = H^T X'^T r',  grad_H E = X'^T r' w^T,  r' = X' H w - y'

   The exact hypergradient comes from a direct solve: the columns X H e_k and X' H e_k, the
   Gram matrix G = (X H)^T X H + beta I (d x d, reduced over the ranks) and two Cholesky solves
   on every rank give w and v = G^{-1} grad_w E, then
     grad f = (X'^T r' - X^T X H v) w^T + X^T (y - X H w) v^T.
   The constants L and mu are the extreme eigenvalues of G at the INITIAL H (LAPACK syev), set
   once at setup; pass an explicit step to the lower solver when H moves far from it.

   Data.  Synthetic by default (seeded, identical on any number of ranks): X has N(0,1)/sqrt(p)
   entries (MPIDENSE), y = X a + 0.1 eps with a, eps standard normal, the same a for the
   validation set; the initial H has N(0,1) entries.  Real data through the data options
   (-data_train FILE -data_val FILE, or -data FILE -data_split ..., see HGDataGetFromOptions()):
   regression targets as read, dense or sparse X.

   Multi-task: as instance i of n (HGProblemSetInstance(); -problem multi -sub_problem hyperrep
   -multi_n T -multi_sum) the synthetic data of task i use the seed -hr_seed + 7919 (i + 1),
   the initial H the seed -hr_seed: T tasks sharing H, f = sum of the task losses.

   Options: -hr_p <100> features, -hr_d <20> representation size, -hr_ntrain <1000>,
            -hr_nval <1000>, -hr_beta <1>, -hr_seed <0>, and the -data_* options
M*/
#include "classify.h" /* HGVecKey */

enum { STREAM_X = 51, STREAM_XV, STREAM_A, STREAM_EPS, STREAM_EPSV, STREAM_H };

typedef struct {
  PetscInt   p, d, ntr, nval;
  PetscReal  beta;
  PetscInt64 seed;
  PetscBool  fromdata;
  Mat        X, Xv;
  Vec        y, yv;
  Vec        u, s, a, b; /* R^p, split like the columns of X */
  Vec        r, r2, rv;  /* rows of X and X' */
  VecScatter gather;     /* w (R^d) to every rank */
  Vec        wall, vall; /* sequential R^d */
  HGVecKey   bx, bl;     /* b = X^T X H x holds for this x and this H */
  PetscReal  Lmax, Lmin;
} HR;

/* out = full copy of the d-vector x on every rank */
static PetscErrorCode Gather(HR *hr, Vec x, Vec out)
{
  PetscFunctionBegin;
  PetscCall(VecScatterBegin(hr->gather, x, out, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(hr->gather, x, out, INSERT_VALUES, SCATTER_FORWARD));
  PetscFunctionReturn(0);
}

/* u = H x, x a sequential d-vector; H's local rows are a column-major d x m block */
static PetscErrorCode HMult(HR *hr, Vec lambda, Vec xall, Vec u)
{
  const PetscScalar *la, *xa;
  PetscScalar       *ua;
  PetscInt           m;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(u, &m));
  if (m > 0) {
    PetscCall(VecGetArrayRead(lambda, &la));
    PetscCall(VecGetArrayRead(xall, &xa));
    PetscCall(VecGetArrayWrite(u, &ua));
    PetscCall(HGDenseGemm("T", "N", m, 1, hr->d, 1.0, la, hr->d, xa, hr->d, 0.0, ua, m));
    PetscCall(VecRestoreArrayWrite(u, &ua));
    PetscCall(VecRestoreArrayRead(xall, &xa));
    PetscCall(VecRestoreArrayRead(lambda, &la));
  }
  PetscFunctionReturn(0);
}

/* out = H^T s (d-vector with the layout of w), s in R^p */
static PetscErrorCode HTMult(HR *hr, Vec lambda, Vec s, Vec out)
{
  const PetscScalar *la, *sa;
  PetscScalar       *t, *all, *oa;
  PetscInt           m, lo, hi;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(s, &m));
  PetscCall(PetscCalloc2(hr->d, &t, hr->d, &all));
  if (m > 0) {
    PetscCall(VecGetArrayRead(lambda, &la));
    PetscCall(VecGetArrayRead(s, &sa));
    PetscCall(HGDenseGemm("N", "N", hr->d, 1, m, 1.0, la, hr->d, sa, m, 0.0, t, hr->d));
    PetscCall(VecRestoreArrayRead(s, &sa));
    PetscCall(VecRestoreArrayRead(lambda, &la));
  }
  PetscCall(MPIU_Allreduce(t, all, hr->d, MPIU_SCALAR, MPIU_SUM, PetscObjectComm((PetscObject)s)));
  PetscCall(VecGetOwnershipRange(out, &lo, &hi));
  PetscCall(VecGetArrayWrite(out, &oa));
  for (PetscInt k = lo; k < hi; k++) oa[k - lo] = all[k];
  PetscCall(VecRestoreArrayWrite(out, &oa));
  PetscCall(PetscFree2(t, all));
  PetscFunctionReturn(0);
}

/* out_jk = a_j x_k (+ b_j y_k when b), x and y sequential d-vectors */
static PetscErrorCode OuterProducts(HR *hr, Vec a, Vec xall, Vec b, Vec yall, Vec out)
{
  const PetscScalar *aa, *xa, *ba = NULL, *ya = NULL;
  PetscScalar       *oa;
  PetscInt           m, d = hr->d;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(a, &m));
  PetscCall(VecGetArrayRead(a, &aa));
  PetscCall(VecGetArrayRead(xall, &xa));
  if (b) {
    PetscCall(VecGetArrayRead(b, &ba));
    PetscCall(VecGetArrayRead(yall, &ya));
  }
  PetscCall(VecGetArrayWrite(out, &oa));
  for (PetscInt j = 0; j < m; j++)
    for (PetscInt k = 0; k < d; k++) oa[j * d + k] = aa[j] * xa[k] + (ba ? ba[j] * ya[k] : 0.0);
  PetscCall(VecRestoreArrayWrite(out, &oa));
  if (b) {
    PetscCall(VecRestoreArrayRead(yall, &ya));
    PetscCall(VecRestoreArrayRead(b, &ba));
  }
  PetscCall(VecRestoreArrayRead(xall, &xa));
  PetscCall(VecRestoreArrayRead(a, &aa));
  PetscFunctionReturn(0);
}

/* r = X H w - y (w already gathered in hr->wall) */
static PetscErrorCode Residual(HR *hr, Mat X, Vec y, Vec lambda, Vec r)
{
  PetscFunctionBegin;
  PetscCall(HMult(hr, lambda, hr->wall, hr->u));
  PetscCall(MatMult(X, hr->u, r));
  PetscCall(VecAXPY(r, -1.0, y));
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *f, void *ctx)
{
  HR       *hr = (HR *)ctx;
  PetscReal a, b;

  PetscFunctionBegin;
  PetscCall(Gather(hr, w, hr->wall));
  PetscCall(Residual(hr, hr->X, hr->y, lambda, hr->r));
  PetscCall(VecNorm(hr->r, NORM_2, &a));
  PetscCall(VecNorm(w, NORM_2, &b));
  *f = 0.5 * a * a + 0.5 * hr->beta * b * b;
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerGradient(HGProblem prob, Vec w, Vec lambda, Vec g, void *ctx)
{
  HR *hr = (HR *)ctx;

  PetscFunctionBegin;
  PetscCall(Gather(hr, w, hr->wall));
  PetscCall(Residual(hr, hr->X, hr->y, lambda, hr->r));
  PetscCall(MatMultTranspose(hr->X, hr->r, hr->s));
  PetscCall(HTMult(hr, lambda, hr->s, g));
  PetscCall(VecAXPY(g, hr->beta, w));
  PetscFunctionReturn(0);
}

/* hr->b = X^T X H x, unless it holds already for this x and H: the reverse pass of ITD applies
   the Hessian and the mixed product to the same vector, and both need it */
static PetscErrorCode GramMult(HR *hr, Vec lambda, Vec x)
{
  PetscBool bx, bl;

  PetscFunctionBegin;
  PetscCall(HGVecKeyMatch(&hr->bx, x, &bx));
  PetscCall(HGVecKeyMatch(&hr->bl, lambda, &bl));
  if (bx && bl) PetscFunctionReturn(0);
  PetscCall(Gather(hr, x, hr->vall));
  PetscCall(HMult(hr, lambda, hr->vall, hr->a));
  PetscCall(MatMult(hr->X, hr->a, hr->r2));
  PetscCall(MatMultTranspose(hr->X, hr->r2, hr->b));
  PetscCall(HGVecKeySet(&hr->bx, x));
  PetscCall(HGVecKeySet(&hr->bl, lambda));
  PetscFunctionReturn(0);
}

static PetscErrorCode HessianMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y, void *ctx)
{
  HR *hr = (HR *)ctx;

  PetscFunctionBegin;
  PetscCall(GramMult(hr, lambda, x));
  PetscCall(HTMult(hr, lambda, hr->b, y));
  PetscCall(VecAXPY(y, hr->beta, x));
  PetscFunctionReturn(0);
}

/* (d_H grad_w l)^T v = s v^T + (X^T X H v) w^T */
static PetscErrorCode MixedMultTranspose(HGProblem prob, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  HR *hr = (HR *)ctx;

  PetscFunctionBegin;
  PetscCall(GramMult(hr, lambda, v));
  PetscCall(Gather(hr, w, hr->wall));
  PetscCall(Gather(hr, v, hr->vall));
  PetscCall(Residual(hr, hr->X, hr->y, lambda, hr->r));
  PetscCall(MatMultTranspose(hr->X, hr->r, hr->s));
  PetscCall(OuterProducts(hr, hr->s, hr->vall, hr->b, hr->wall, out));
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *E, void *ctx)
{
  HR *hr = (HR *)ctx;

  PetscFunctionBegin;
  PetscCall(Gather(hr, w, hr->wall));
  PetscCall(Residual(hr, hr->Xv, hr->yv, lambda, hr->rv));
  PetscCall(VecNorm(hr->rv, NORM_2, E));
  *E = 0.5 * (*E) * (*E);
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperGradient(HGProblem prob, Vec w, Vec lambda, Vec gw, Vec gl, void *ctx)
{
  HR *hr = (HR *)ctx;

  PetscFunctionBegin;
  PetscCall(Gather(hr, w, hr->wall));
  PetscCall(Residual(hr, hr->Xv, hr->yv, lambda, hr->rv));
  PetscCall(MatMultTranspose(hr->Xv, hr->rv, hr->s));
  PetscCall(HTMult(hr, lambda, hr->s, gw));
  PetscCall(OuterProducts(hr, hr->s, hr->wall, NULL, NULL, gl));
  PetscFunctionReturn(0);
}

/* Columns X H e_k (k < d) of the feature matrix of a data set, for the direct solves */
static PetscErrorCode FeatureColumns(HR *hr, Mat X, Vec lambda, Vec *Z)
{
  const PetscScalar *la;
  PetscScalar       *ua;
  PetscInt           m;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(hr->u, &m));
  for (PetscInt k = 0; k < hr->d; k++) {
    PetscCall(VecGetArrayRead(lambda, &la));
    PetscCall(VecGetArrayWrite(hr->u, &ua));
    for (PetscInt j = 0; j < m; j++) ua[j] = la[j * hr->d + k];
    PetscCall(VecRestoreArrayWrite(hr->u, &ua));
    PetscCall(VecRestoreArrayRead(lambda, &la));
    PetscCall(MatMult(X, hr->u, Z[k]));
  }
  PetscFunctionReturn(0);
}

/* G = Z^T Z + beta I (d x d, column major, on every rank) */
static PetscErrorCode Gram(HR *hr, Vec *Z, PetscScalar *G)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < hr->d; k++) PetscCall(VecMDot(Z[k], hr->d, Z, G + k * hr->d));
  for (PetscInt k = 0; k < hr->d; k++) G[k + k * hr->d] += hr->beta;
  PetscFunctionReturn(0);
}

static PetscErrorCode Exact(HGProblem prob, Vec lambda, Vec grad, PetscReal *f)
{
  HR          *hr = (HR *)prob->data;
  PetscInt     d  = hr->d;
  Vec         *Z, *Zv;
  PetscScalar *G, *G2, *w, *v, *gw;
  PetscReal    nrv;

  PetscFunctionBegin;
  PetscCall(HGProblemCheckVec(prob, lambda, PETSC_TRUE, "lambda"));
  PetscCall(HGProblemCheckVec(prob, grad, PETSC_TRUE, "grad"));
  PetscCall(VecDuplicateVecs(hr->r, d, &Z));
  PetscCall(VecDuplicateVecs(hr->rv, d, &Zv));
  PetscCall(PetscMalloc5(d * d, &G, d * d, &G2, d, &w, d, &v, d, &gw));
  PetscCall(FeatureColumns(hr, hr->X, lambda, Z));
  PetscCall(FeatureColumns(hr, hr->Xv, lambda, Zv));
  PetscCall(Gram(hr, Z, G));
  PetscCall(PetscArraycpy(G2, G, d * d));
  /* w = G^{-1} Z^T y */
  PetscCall(VecMDot(hr->y, d, Z, w));
  PetscCall(HGDenseCholeskySolve(d, G, 1, w));
  /* r' = Z' w - y', f = |r'|^2 / 2 */
  PetscCall(VecCopy(hr->yv, hr->rv));
  PetscCall(VecScale(hr->rv, -1.0));
  PetscCall(VecMAXPY(hr->rv, d, w, Zv));
  PetscCall(VecNorm(hr->rv, NORM_2, &nrv));
  if (f) *f = 0.5 * nrv * nrv;
  /* v = G^{-1} Z'^T r' */
  PetscCall(VecMDot(hr->rv, d, Zv, gw));
  PetscCall(PetscArraycpy(v, gw, d));
  PetscCall(HGDenseCholeskySolve(d, G2, 1, v));
  /* a = X'^T r' - X^T (Z v), b = X^T (y - Z w) */
  PetscCall(VecSet(hr->r2, 0.0));
  PetscCall(VecMAXPY(hr->r2, d, v, Z));
  PetscCall(MatMultTranspose(hr->X, hr->r2, hr->a));
  PetscCall(MatMultTranspose(hr->Xv, hr->rv, hr->s));
  PetscCall(VecAYPX(hr->a, -1.0, hr->s));
  PetscCall(VecCopy(hr->y, hr->r));
  for (PetscInt k = 0; k < d; k++) w[k] = -w[k];
  PetscCall(VecMAXPY(hr->r, d, w, Z));
  for (PetscInt k = 0; k < d; k++) w[k] = -w[k];
  PetscCall(MatMultTranspose(hr->X, hr->r, hr->b));
  {
    PetscScalar       *oa;
    const PetscScalar *aa, *ba;
    PetscInt           m;
    PetscCall(VecGetLocalSize(hr->a, &m));
    PetscCall(VecGetArrayRead(hr->a, &aa));
    PetscCall(VecGetArrayRead(hr->b, &ba));
    PetscCall(VecGetArrayWrite(grad, &oa));
    for (PetscInt j = 0; j < m; j++)
      for (PetscInt k = 0; k < d; k++) oa[j * d + k] = aa[j] * w[k] + ba[j] * v[k];
    PetscCall(VecRestoreArrayWrite(grad, &oa));
    PetscCall(VecRestoreArrayRead(hr->b, &ba));
    PetscCall(VecRestoreArrayRead(hr->a, &aa));
  }
  PetscCall(PetscFree5(G, G2, w, v, gw));
  PetscCall(VecDestroyVecs(d, &Z));
  PetscCall(VecDestroyVecs(d, &Zv));
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateData(HGProblem prob)
{
  HR      *hr   = (HR *)prob->data;
  MPI_Comm comm = PetscObjectComm((PetscObject)prob);
  HGData   train, val;

  PetscFunctionBegin;
  PetscCall(HGDataGetFromOptions(comm, ((PetscObject)prob)->prefix, &hr->fromdata, &train, &val, NULL));
  PetscCall(HGProblemSetDataFingerprint(prob, &train, &val, NULL)); /* run files refuse other data */
  if (hr->fromdata) {
    PetscCheck(train.nfeatures == val.nfeatures, comm, PETSC_ERR_ARG_SIZ, "hyperrep: the training data have %" PetscInt_FMT " features but the validation data %" PetscInt_FMT ": give data sets with the same columns", train.nfeatures, val.nfeatures);
    hr->X = train.X, hr->y = train.y, hr->Xv = val.X, hr->yv = val.y;
    PetscCall(PetscObjectReference((PetscObject)hr->X));
    PetscCall(PetscObjectReference((PetscObject)hr->y));
    PetscCall(PetscObjectReference((PetscObject)hr->Xv));
    PetscCall(PetscObjectReference((PetscObject)hr->yv));
    hr->p = train.nfeatures, hr->ntr = train.nsamples, hr->nval = val.nsamples;
    PetscCall(HGDataDestroy(&train));
    PetscCall(HGDataDestroy(&val));
  } else {
    Vec        cols, a, e;
    PetscInt64 seed = hr->seed;
    /* task i of a multi-task problem (HGProblemSetInstance()): its own data, the shared initial H */
    if (prob->ninstances > 0) seed = hr->seed + 7919 * (PetscInt64)(prob->instance + 1);
    PetscCall(VecCreateMPI(comm, PETSC_DECIDE, hr->p, &cols));
    PetscCall(VecDuplicate(cols, &a));
    PetscCall(HGVecSetHashNormal(a, seed, STREAM_A));
    PetscCall(VecCreateMPI(comm, PETSC_DECIDE, hr->ntr, &hr->y));
    PetscCall(VecCreateMPI(comm, PETSC_DECIDE, hr->nval, &hr->yv));
    PetscCall(HGMatCreateDenseHash(comm, hr->ntr, hr->p, hr->y, cols, seed, STREAM_X, 1.0 / PetscSqrtReal((PetscReal)hr->p), &hr->X));
    PetscCall(HGMatCreateDenseHash(comm, hr->nval, hr->p, hr->yv, cols, seed, STREAM_XV, 1.0 / PetscSqrtReal((PetscReal)hr->p), &hr->Xv));
    PetscCall(MatMult(hr->X, a, hr->y));
    PetscCall(VecDuplicate(hr->y, &e));
    PetscCall(HGVecSetHashNormal(e, seed, STREAM_EPS));
    PetscCall(VecAXPY(hr->y, 0.1, e));
    PetscCall(VecDestroy(&e));
    PetscCall(MatMult(hr->Xv, a, hr->yv));
    PetscCall(VecDuplicate(hr->yv, &e));
    PetscCall(HGVecSetHashNormal(e, seed, STREAM_EPSV));
    PetscCall(VecAXPY(hr->yv, 0.1, e));
    PetscCall(VecDestroy(&e));
    PetscCall(VecDestroy(&a));
    PetscCall(VecDestroy(&cols));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUp(HGProblem prob)
{
  HR          *hr   = (HR *)prob->data;
  MPI_Comm     comm = PetscObjectComm((PetscObject)prob);
  Vec          w, lambda, *Z;
  PetscInt     m, nlv;
  PetscScalar *G;

  PetscFunctionBegin;
  if (hr->X) PetscFunctionReturn(0);
  PetscCall(CreateData(prob));
  PetscCall(MatCreateVecs(hr->X, &hr->u, &hr->r));
  PetscCall(MatGetLocalSize(hr->Xv, NULL, &nlv));
  PetscCall(VecGetLocalSize(hr->u, &m));
  PetscCheck(m == nlv, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "hyperrep: the training and validation matrices split their columns differently (%" PetscInt_FMT " and %" PetscInt_FMT " local columns): create both with the same column layout", m, nlv);
  PetscCall(VecDuplicate(hr->u, &hr->s));
  PetscCall(VecDuplicate(hr->u, &hr->a));
  PetscCall(VecDuplicate(hr->u, &hr->b));
  PetscCall(VecDuplicate(hr->r, &hr->r2));
  PetscCall(MatCreateVecs(hr->Xv, NULL, &hr->rv));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, hr->d, &w));
  PetscCall(VecScatterCreateToAll(w, &hr->gather, &hr->wall));
  PetscCall(VecDuplicate(hr->wall, &hr->vall));
  PetscCall(VecCreate(comm, &lambda));
  PetscCall(VecSetSizes(lambda, m * hr->d, hr->p * hr->d));
  PetscCall(VecSetBlockSize(lambda, hr->d));
  PetscCall(VecSetType(lambda, VECSTANDARD));
  PetscCall(HGProblemSetVecTemplates(prob, w, lambda));
  PetscCall(HGVecSetHashNormal(lambda, hr->seed, STREAM_H));
  PetscCall(HGProblemSetInitialHyperparameters(prob, lambda));
  /* constants: eigenvalues of (X H)^T X H + beta I at the initial H */
  PetscCall(VecDuplicateVecs(hr->r, hr->d, &Z));
  PetscCall(PetscMalloc1(hr->d * hr->d, &G));
  PetscCall(FeatureColumns(hr, hr->X, lambda, Z));
  PetscCall(Gram(hr, Z, G));
  PetscCall(HGDenseSymEigRange(hr->d, G, &hr->Lmin, &hr->Lmax));
  PetscCall(PetscFree(G));
  PetscCall(VecDestroyVecs(hr->d, &Z));
  PetscCall(HGProblemSetLowerConstants(prob, hr->Lmax, hr->Lmin));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemSetOptimizationCallbacks(prob, hr, LowerObjective, LowerGradient, HessianMult, MixedMultTranspose, UpperObjective, UpperGradient));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetFromOptions(HGProblem prob, PetscOptionItems *PetscOptionsObject)
{
  HR      *hr   = (HR *)prob->data;
  PetscInt seed = (PetscInt)hr->seed;
  MPI_Comm comm = PetscObjectComm((PetscObject)prob);

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Hyper-representation (Grazzi et al. 3.1)");
  PetscCall(HGOptionsInt("-hr_p", "Number of features (rows of H; synthetic data)", "", hr->p, &hr->p, NULL));
  PetscCall(HGOptionsInt("-hr_d", "Representation size (columns of H = dimension of w)", "", hr->d, &hr->d, NULL));
  PetscCall(HGOptionsInt("-hr_ntrain", "Training examples (synthetic data)", "", hr->ntr, &hr->ntr, NULL));
  PetscCall(HGOptionsInt("-hr_nval", "Validation examples (synthetic data)", "", hr->nval, &hr->nval, NULL));
  PetscCall(HGOptionsReal("-hr_beta", "Ridge weight beta of the lower level", "", hr->beta, &hr->beta, NULL));
  PetscCall(HGOptionsInt("-hr_seed", "Random seed", "", seed, &seed, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(hr->p > 0 && hr->d > 0 && hr->ntr > 0 && hr->nval > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-hr_p, -hr_d, -hr_ntrain and -hr_nval must be positive");
  PetscCheck(hr->beta > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-hr_beta must be positive (it makes the lower level strongly convex); got %g", (double)hr->beta);
  hr->seed = seed;
  PetscFunctionReturn(0);
}

static PetscErrorCode View(HGProblem prob, PetscViewer viewer)
{
  HR *hr = (HR *)prob->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "hyper-representation: H in R^{%" PetscInt_FMT " x %" PetscInt_FMT "}, %" PetscInt_FMT " train + %" PetscInt_FMT " validation (%s), beta = %g\n", hr->p, hr->d, hr->ntr, hr->nval, hr->fromdata ? "data files" : "synthetic", (double)hr->beta));
  PetscCall(PetscViewerASCIIPrintf(viewer, "eigenvalues of (XH)^T XH + beta I at the initial H: [%g, %g]\n", (double)hr->Lmin, (double)hr->Lmax));
  PetscFunctionReturn(0);
}

static PetscErrorCode Destroy(HGProblem prob)
{
  HR *hr = (HR *)prob->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&hr->X));
  PetscCall(MatDestroy(&hr->Xv));
  PetscCall(VecDestroy(&hr->y));
  PetscCall(VecDestroy(&hr->yv));
  PetscCall(VecDestroy(&hr->u));
  PetscCall(VecDestroy(&hr->s));
  PetscCall(VecDestroy(&hr->a));
  PetscCall(VecDestroy(&hr->b));
  PetscCall(VecDestroy(&hr->r));
  PetscCall(VecDestroy(&hr->r2));
  PetscCall(VecDestroy(&hr->rv));
  PetscCall(VecScatterDestroy(&hr->gather));
  PetscCall(VecDestroy(&hr->wall));
  PetscCall(VecDestroy(&hr->vall));
  PetscCall(PetscFree(prob->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGProblemCreate_HyperRep(HGProblem prob)
{
  HR *hr;

  PetscFunctionBegin;
  PetscCall(PetscNew(&hr));
  hr->p = 100, hr->d = 20, hr->ntr = 1000, hr->nval = 1000, hr->beta = 1.0;
  prob->data                    = hr;
  prob->ops->setup              = SetUp;
  prob->ops->setfromoptions     = SetFromOptions;
  prob->ops->exacthypergradient = Exact;
  prob->ops->view               = View;
  prob->ops->destroy            = Destroy;
  PetscFunctionReturn(0);
}
