/*MC
   HGPROBLEMDISTILL - training-data optimization (Grazzi et al. 2020, 3.2, Fashion-MNIST; after
   Maclaurin et al. 2015): the hyperparameters are c learned examples, one per class, X~ in
   R^{c x p}; a multinomial logistic regression is trained on them alone, and the upper level
   is its cross-entropy on the real training set:

     f(X~) = CE(X' W(X~), y'),
     W(X~) = argmin_{W in R^{p x c}} CE(X~ W, (0, 1, ..., c-1)) + beta/2 ||W||^2,

   CE the mean cross-entropy of the softmax of the logits (over the c learned examples at the
   lower level, over the n' real examples at the upper level).  W is one Vec of p*c entries,
   feature-major (W_jk at index j*c + k); lambda = X~ has the same layout, transposed: X~_kj at
   index j*c + k, so feature j of every learned example lives on the rank of W's row j and
   learned example k is the strided slice k::c (VecStrideGather).  The c x c logits X~ W are
   reduced over the ranks (c^2 numbers); the products with X' use one pass over X' for all
   classes (MAIJ for sparse data, one GEMM per rank for dense).

     grad_W l               = X~^T R + beta W,  R = (P - I)/c, P = softmax(X~ W) row-wise
     Hessian V              = X~^T Q + beta V,  Q_k = (diag(P_k) - P_k P_k^T)(X~ V)_k / c
     (d_X~ grad_W l)^T V    = R V^T + Q W^T     (as a c x p matrix, stored transposed)
     grad_W E = (1/n') X'^T (P' - Y'),  grad_X~ E = 0

   Constants: mu = beta; L = beta + ||X~||_2^2 / (2 c) at the INITIAL X~ (largest eigenvalue of
   the c x c Gram matrix X~ X~^T, LAPACK; the softmax Hessian is bounded by 1/2, Boehning
   1992), set once at setup.  There is no closed form.  Validation and test accuracy (of the
   classifier trained on the learned examples) are given through HGProblemSetAccuracy().

   Data.  Synthetic by default (seeded: N(0,1) features, labels from a linear teacher plus
   noise; a training set for the upper level, validation and test sets for the accuracy); the
   initial X~ is N(0,1) times -ds_init_scale, or with -ds_init_mean the class means of the
   upper level's training set.  Fashion-MNIST (or any labelled set) through the
   data options: -data_train (the upper level's set) -data_val [-data_test], e.g. the IDX files
   of /usr/share/datasets/fashion-mnist with -data_standardize.

   Options: -ds_p <64> features, -ds_c <10> classes, -ds_ntrain <1000>, -ds_nval <500>,
            -ds_ntest <500>, -ds_seed <0>, -ds_noise <0.5>, -ds_beta <1>, -ds_init_scale <1>,
            -ds_init_mean, and the -data_* options
M*/
#include "classify.h"

enum { STREAM_TRAIN = 500, STREAM_VAL = 510, STREAM_TEST = 520, STREAM_XT = 530 };

typedef struct {
  HGClassSynth sy;
  PetscInt     ntr, nval, ntest, m; /* m: features on this rank */
  PetscBool    fromdata;
  PetscReal    beta, scale0, gram_max;
  PetscBool    initmean;
  Mat          X, Xv, Xt;
  Vec          y, yv, yt;
  HGClassOp    op, opv, opt;
  Vec          Z, R, Zv, Zt;
  PetscScalar *Zs, *Ps, *Rs, *Us, *Qs, *buf; /* c x c, column major */
} DS;

/* out = X~ x (c x c logits), x a weight Vec: out[k + l c] = sum_j X~_kj x_jl, reduced */
static PetscErrorCode SmallMult(DS *ds, Vec lambda, Vec x, PetscScalar *out)
{
  const PetscScalar *la, *xa;
  PetscInt           c = ds->sy.c;

  PetscFunctionBegin;
  if (ds->m > 0) {
    PetscCall(VecGetArrayRead(lambda, &la));
    PetscCall(VecGetArrayRead(x, &xa));
    PetscCall(HGDenseGemm("N", "T", c, c, ds->m, 1.0, la, c, xa, c, 0.0, ds->buf, c));
    PetscCall(VecRestoreArrayRead(x, &xa));
    PetscCall(VecRestoreArrayRead(lambda, &la));
  } else PetscCall(PetscArrayzero(ds->buf, c * c));
  PetscCall(MPIU_Allreduce(ds->buf, out, c * c, MPIU_SCALAR, MPIU_SUM, PetscObjectComm((PetscObject)lambda)));
  PetscFunctionReturn(0);
}

/* Zs = X~ W, Ps = softmax by rows, Rs = (Ps - I)/c; returns the mean cross-entropy */
static PetscErrorCode SmallSoftmax(DS *ds, Vec lambda, Vec w, PetscReal *ce)
{
  PetscInt  c = ds->sy.c;
  PetscReal sum = 0, lk;

  PetscFunctionBegin;
  PetscCall(SmallMult(ds, lambda, w, ds->Zs));
  for (PetscInt k = 0; k < c; k++) {
    HGSoftmaxRow(c, ds->Zs + k, c, k, &lk, ds->Ps + k);
    sum += lk;
  }
  for (PetscInt l = 0; l < c; l++)
    for (PetscInt k = 0; k < c; k++) ds->Rs[k + l * c] = (ds->Ps[k + l * c] - (k == l ? 1.0 : 0.0)) / (PetscReal)c;
  if (ce) *ce = sum / (PetscReal)c;
  PetscFunctionReturn(0);
}

/* Qs = (diag(P_k) - P_k P_k^T) U_k / c for each learned example k, U = X~ v */
static PetscErrorCode SmallHessian(DS *ds, Vec lambda, Vec v)
{
  PetscInt c = ds->sy.c;

  PetscFunctionBegin;
  PetscCall(SmallMult(ds, lambda, v, ds->Us));
  for (PetscInt k = 0; k < c; k++) {
    PetscScalar pu = 0;
    for (PetscInt l = 0; l < c; l++) pu += ds->Ps[k + l * c] * ds->Us[k + l * c];
    for (PetscInt l = 0; l < c; l++) ds->Qs[k + l * c] = ds->Ps[k + l * c] * (ds->Us[k + l * c] - pu) / (PetscReal)c;
  }
  PetscFunctionReturn(0);
}

/* out_jl = sum_k X~_kj A_kl, A c x c (W-space Vec out) */
static PetscErrorCode SmallMultTranspose(DS *ds, Vec lambda, const PetscScalar *A, Vec out)
{
  const PetscScalar *la;
  PetscScalar       *oa;
  PetscInt           c = ds->sy.c;

  PetscFunctionBegin;
  if (ds->m > 0) {
    PetscCall(VecGetArrayRead(lambda, &la));
    PetscCall(VecGetArrayWrite(out, &oa));
    PetscCall(HGDenseGemm("T", "N", c, ds->m, c, 1.0, A, c, la, c, 0.0, oa, c));
    PetscCall(VecRestoreArrayWrite(out, &oa));
    PetscCall(VecRestoreArrayRead(lambda, &la));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *f, void *ctx)
{
  DS       *ds = (DS *)ctx;
  PetscReal ce, nw;

  PetscFunctionBegin;
  PetscCall(SmallSoftmax(ds, lambda, w, &ce));
  PetscCall(VecNorm(w, NORM_2, &nw));
  *f = ce + 0.5 * ds->beta * nw * nw;
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerGradient(HGProblem prob, Vec w, Vec lambda, Vec g, void *ctx)
{
  DS *ds = (DS *)ctx;

  PetscFunctionBegin;
  PetscCall(SmallSoftmax(ds, lambda, w, NULL));
  PetscCall(SmallMultTranspose(ds, lambda, ds->Rs, g));
  PetscCall(VecAXPY(g, ds->beta, w));
  PetscFunctionReturn(0);
}

static PetscErrorCode HessianMult(HGProblem prob, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  DS *ds = (DS *)ctx;

  PetscFunctionBegin;
  PetscCall(SmallSoftmax(ds, lambda, w, NULL));
  PetscCall(SmallHessian(ds, lambda, v));
  PetscCall(SmallMultTranspose(ds, lambda, ds->Qs, out));
  PetscCall(VecAXPY(out, ds->beta, v));
  PetscFunctionReturn(0);
}

/* out[k + j c] = sum_l R_kl v_jl + sum_l Q_kl w_jl */
static PetscErrorCode MixedMultTranspose(HGProblem prob, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  DS                *ds = (DS *)ctx;
  const PetscScalar *wa, *va;
  PetscScalar       *oa;
  PetscInt           c = ds->sy.c;

  PetscFunctionBegin;
  PetscCall(SmallSoftmax(ds, lambda, w, NULL));
  PetscCall(SmallHessian(ds, lambda, v));
  if (ds->m > 0) {
    PetscCall(VecGetArrayRead(w, &wa));
    PetscCall(VecGetArrayRead(v, &va));
    PetscCall(VecGetArrayWrite(out, &oa));
    PetscCall(HGDenseGemm("N", "N", c, ds->m, c, 1.0, ds->Rs, c, va, c, 0.0, oa, c));
    PetscCall(HGDenseGemm("N", "N", c, ds->m, c, 1.0, ds->Qs, c, wa, c, 1.0, oa, c));
    PetscCall(VecRestoreArrayWrite(out, &oa));
    PetscCall(VecRestoreArrayRead(v, &va));
    PetscCall(VecRestoreArrayRead(w, &wa));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *E, void *ctx)
{
  DS       *ds = (DS *)ctx;
  PetscReal loc;

  PetscFunctionBegin;
  PetscCall(HGClassOpMult(ds->op, w, ds->Z));
  PetscCall(HGSoftmaxLoss(ds->sy.c, ds->Z, ds->y, NULL, &loc, NULL, NULL));
  PetscCall(MPIU_Allreduce(&loc, E, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)prob)));
  *E /= (PetscReal)ds->ntr;
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperGradient(HGProblem prob, Vec w, Vec lambda, Vec gw, Vec gl, void *ctx)
{
  DS       *ds = (DS *)ctx;
  PetscReal loc;

  PetscFunctionBegin;
  PetscCall(HGClassOpMult(ds->op, w, ds->Z));
  PetscCall(HGSoftmaxLoss(ds->sy.c, ds->Z, ds->y, NULL, &loc, NULL, ds->R));
  PetscCall(HGClassOpMultTranspose(ds->op, ds->R, gw));
  PetscCall(VecScale(gw, 1.0 / (PetscReal)ds->ntr));
  PetscCall(VecSet(gl, 0.0));
  PetscFunctionReturn(0);
}

static PetscErrorCode Accuracy(HGProblem prob, Vec w, Vec lambda, PetscReal *val, PetscReal *test, void *ctx)
{
  DS *ds = (DS *)ctx;

  PetscFunctionBegin;
  PetscCall(HGClassAccuracy(ds->opv, w, ds->Zv, ds->yv, val));
  if (ds->opt) PetscCall(HGClassAccuracy(ds->opt, w, ds->Zt, ds->yt, test));
  else *test = (PetscReal)NAN;
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateData(HGProblem prob)
{
  DS      *ds   = (DS *)prob->data;
  MPI_Comm comm = PetscObjectComm((PetscObject)prob);
  HGData   train, val, test;

  PetscFunctionBegin;
  PetscCall(HGDataGetFromOptions(comm, ((PetscObject)prob)->prefix, &ds->fromdata, &train, &val, &test));
  PetscCall(HGProblemSetDataFingerprint(prob, &train, &val, &test)); /* run files refuse other data */
  if (ds->fromdata) {
    HGData            *sets[3] = {&train, &val, &test};
    const char *const  names[] = {"training", "validation", "test"};
    PetscCall(HGClassLabelsFromData(&train, 3, sets, names, &ds->sy.c));
    ds->X = train.X, ds->y = train.y, ds->Xv = val.X, ds->yv = val.y, ds->Xt = test.X, ds->yt = test.y;
    PetscCall(PetscObjectReference((PetscObject)ds->X));
    PetscCall(PetscObjectReference((PetscObject)ds->y));
    PetscCall(PetscObjectReference((PetscObject)ds->Xv));
    PetscCall(PetscObjectReference((PetscObject)ds->yv));
    if (ds->Xt) {
      PetscCall(PetscObjectReference((PetscObject)ds->Xt));
      PetscCall(PetscObjectReference((PetscObject)ds->yt));
    }
    ds->sy.p = train.nfeatures, ds->ntr = train.nsamples, ds->nval = val.nsamples, ds->ntest = ds->Xt ? test.nsamples : 0;
    PetscCall(HGDataDestroy(&train));
    PetscCall(HGDataDestroy(&val));
    PetscCall(HGDataDestroy(&test));
  } else {
    ds->sy.nnz = 0;
    PetscCall(HGClassDataCreate(comm, &ds->sy, ds->ntr, STREAM_TRAIN, &ds->X, &ds->y));
    PetscCall(HGClassDataCreate(comm, &ds->sy, ds->nval, STREAM_VAL, &ds->Xv, &ds->yv));
    if (ds->ntest > 0) PetscCall(HGClassDataCreate(comm, &ds->sy, ds->ntest, STREAM_TEST, &ds->Xt, &ds->yt));
  }
  PetscFunctionReturn(0);
}

/* lambda = the class means of the upper level's training set: X'^T Y (feature-major, like W)
   divided by the class counts; a class without examples gets a zero learned example */
static PetscErrorCode ClassMeans(DS *ds, Vec lambda)
{
  const PetscScalar *ya;
  PetscScalar       *ra, *la;
  PetscInt           m, c = ds->sy.c, *cnt, *all;

  PetscFunctionBegin;
  PetscCall(PetscCalloc2(c, &cnt, c, &all));
  PetscCall(VecGetLocalSize(ds->y, &m));
  PetscCall(VecGetArrayRead(ds->y, &ya));
  PetscCall(VecGetArrayWrite(ds->R, &ra));
  for (PetscInt i = 0; i < m; i++) {
    PetscInt yi = (PetscInt)PetscRealPart(ya[i]);
    for (PetscInt k = 0; k < c; k++) ra[i * c + k] = (k == yi) ? 1.0 : 0.0;
    cnt[yi]++;
  }
  PetscCall(VecRestoreArrayWrite(ds->R, &ra));
  PetscCall(VecRestoreArrayRead(ds->y, &ya));
  PetscCall(MPIU_Allreduce(cnt, all, c, MPIU_INT, MPI_SUM, PetscObjectComm((PetscObject)lambda)));
  PetscCall(HGClassOpMultTranspose(ds->op, ds->R, lambda));
  PetscCall(VecGetArray(lambda, &la));
  for (PetscInt j = 0; j < ds->m; j++)
    for (PetscInt k = 0; k < c; k++) la[j * c + k] = all[k] ? la[j * c + k] / (PetscReal)all[k] : 0.0;
  PetscCall(VecRestoreArray(lambda, &la));
  PetscCall(PetscFree2(cnt, all));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUp(HGProblem prob)
{
  DS                *ds = (DS *)prob->data;
  Vec                w, lambda;
  PetscInt           nlv, nlt, c;
  PetscReal          emin;
  const PetscScalar *la;

  PetscFunctionBegin;
  if (ds->X) PetscFunctionReturn(0);
  PetscCall(CreateData(prob));
  c = ds->sy.c;
  PetscCall(MatGetLocalSize(ds->X, NULL, &ds->m));
  PetscCall(MatGetLocalSize(ds->Xv, NULL, &nlv));
  nlt = ds->m;
  if (ds->Xt) PetscCall(MatGetLocalSize(ds->Xt, NULL, &nlt));
  PetscCheck(ds->m == nlv && ds->m == nlt, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "distill: the data matrices split their columns differently (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT " local columns): create them with the same column layout", ds->m, nlv, nlt);
  PetscCall(HGClassOpCreate(ds->X, c, &ds->op));
  PetscCall(HGClassOpCreate(ds->Xv, c, &ds->opv));
  if (ds->Xt) PetscCall(HGClassOpCreate(ds->Xt, c, &ds->opt));
  PetscCall(HGClassOpCreateVecs(ds->op, &w, &ds->Z));
  PetscCall(VecDuplicate(ds->Z, &ds->R));
  PetscCall(HGClassOpCreateVecs(ds->opv, NULL, &ds->Zv));
  if (ds->opt) PetscCall(HGClassOpCreateVecs(ds->opt, NULL, &ds->Zt));
  PetscCall(PetscMalloc6(c * c, &ds->Zs, c * c, &ds->Ps, c * c, &ds->Rs, c * c, &ds->Us, c * c, &ds->Qs, c * c, &ds->buf));
  PetscCall(VecDuplicate(w, &lambda));
  PetscCall(HGProblemSetVecTemplates(prob, w, lambda));
  if (ds->initmean) PetscCall(ClassMeans(ds, lambda));
  else {
    PetscCall(HGVecSetHashNormal(lambda, ds->sy.seed, STREAM_XT));
    PetscCall(VecScale(lambda, ds->scale0));
  }
  PetscCall(HGProblemSetInitialHyperparameters(prob, lambda));
  /* L = beta + lambda_max(X~ X~^T) / (2c) at the initial X~ */
  if (ds->m > 0) {
    PetscCall(VecGetArrayRead(lambda, &la));
    PetscCall(HGDenseGemm("N", "T", c, c, ds->m, 1.0, la, c, la, c, 0.0, ds->buf, c));
    PetscCall(VecRestoreArrayRead(lambda, &la));
  } else PetscCall(PetscArrayzero(ds->buf, c * c));
  PetscCall(MPIU_Allreduce(ds->buf, ds->Us, c * c, MPIU_SCALAR, MPIU_SUM, PetscObjectComm((PetscObject)prob)));
  PetscCall(HGDenseSymEigRange(c, ds->Us, &emin, &ds->gram_max));
  PetscCall(HGProblemSetLowerConstants(prob, ds->beta + ds->gram_max / (2.0 * (PetscReal)c), ds->beta));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemSetOptimizationCallbacks(prob, ds, LowerObjective, LowerGradient, HessianMult, MixedMultTranspose, UpperObjective, UpperGradient));
  PetscCall(HGProblemSetAccuracy(prob, Accuracy));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetFromOptions(HGProblem prob, PetscOptionItems *PetscOptionsObject)
{
  DS      *ds   = (DS *)prob->data;
  PetscInt seed = (PetscInt)ds->sy.seed;
  MPI_Comm comm = PetscObjectComm((PetscObject)prob);

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Training-data optimization (Grazzi et al. 3.2, Fashion-MNIST)");
  PetscCall(HGOptionsInt("-ds_p", "Number of features (synthetic data)", "", ds->sy.p, &ds->sy.p, NULL));
  PetscCall(HGOptionsInt("-ds_c", "Number of classes = learned examples (synthetic data)", "", ds->sy.c, &ds->sy.c, NULL));
  PetscCall(HGOptionsInt("-ds_ntrain", "Real training examples of the upper level (synthetic data)", "", ds->ntr, &ds->ntr, NULL));
  PetscCall(HGOptionsInt("-ds_nval", "Validation examples (synthetic data)", "", ds->nval, &ds->nval, NULL));
  PetscCall(HGOptionsInt("-ds_ntest", "Test examples (synthetic data; 0: none)", "", ds->ntest, &ds->ntest, NULL));
  PetscCall(HGOptionsInt("-ds_seed", "Random seed", "", seed, &seed, NULL));
  PetscCall(HGOptionsReal("-ds_noise", "Label noise of the synthetic teacher", "", ds->sy.noise, &ds->sy.noise, NULL));
  PetscCall(HGOptionsReal("-ds_beta", "Ridge weight beta of the lower level", "", ds->beta, &ds->beta, NULL));
  PetscCall(HGOptionsReal("-ds_init_scale", "Standard deviation of the initial learned examples (random initialization)", "", ds->scale0, &ds->scale0, NULL));
  PetscCall(PetscOptionsBool("-ds_init_mean", "Initial learned examples: the class means of the training set (instead of N(0,1) noise)", "", ds->initmean, &ds->initmean, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(ds->sy.p > 0 && ds->ntr > 0 && ds->nval > 0 && ds->ntest >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-ds_p, -ds_ntrain and -ds_nval must be positive and -ds_ntest >= 0");
  PetscCheck(ds->sy.c >= 2, comm, PETSC_ERR_ARG_OUTOFRANGE, "-ds_c must be at least 2 classes; got %" PetscInt_FMT, ds->sy.c);
  PetscCheck(ds->beta > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-ds_beta must be positive (it makes the lower level strongly convex); got %g", (double)ds->beta);
  PetscCheck(ds->sy.noise >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-ds_noise must be >= 0; got %g", (double)ds->sy.noise);
  ds->sy.seed = seed;
  PetscFunctionReturn(0);
}

static PetscErrorCode View(HGProblem prob, PetscViewer viewer)
{
  DS *ds = (DS *)prob->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "training-data optimization: %" PetscInt_FMT " learned examples of %" PetscInt_FMT " features, %" PetscInt_FMT " real training + %" PetscInt_FMT " validation + %" PetscInt_FMT " test examples (%s), beta = %g\n", ds->sy.c, ds->sy.p, ds->ntr, ds->nval, ds->ntest, ds->fromdata ? "data files" : "synthetic", (double)ds->beta));
  PetscCall(PetscViewerASCIIPrintf(viewer, "initial X~: %s; ||X~||_2^2 = %g there\n", ds->initmean ? "class means" : "N(0,1) noise", (double)ds->gram_max));
  PetscFunctionReturn(0);
}

static PetscErrorCode Destroy(HGProblem prob)
{
  DS *ds = (DS *)prob->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&ds->X));
  PetscCall(MatDestroy(&ds->Xv));
  PetscCall(MatDestroy(&ds->Xt));
  PetscCall(VecDestroy(&ds->y));
  PetscCall(VecDestroy(&ds->yv));
  PetscCall(VecDestroy(&ds->yt));
  PetscCall(HGClassOpDestroy(&ds->op));
  PetscCall(HGClassOpDestroy(&ds->opv));
  PetscCall(HGClassOpDestroy(&ds->opt));
  PetscCall(VecDestroy(&ds->Z));
  PetscCall(VecDestroy(&ds->R));
  PetscCall(VecDestroy(&ds->Zv));
  PetscCall(VecDestroy(&ds->Zt));
  PetscCall(PetscFree6(ds->Zs, ds->Ps, ds->Rs, ds->Us, ds->Qs, ds->buf));
  PetscCall(PetscFree(prob->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGProblemCreate_Distill(HGProblem prob)
{
  DS *ds;

  PetscFunctionBegin;
  PetscCall(PetscNew(&ds));
  ds->sy.p = 64, ds->sy.c = 10, ds->sy.noise = 0.5;
  ds->ntr = 1000, ds->nval = 500, ds->ntest = 500;
  ds->beta = 1.0, ds->scale0 = 1.0;
  prob->data                = ds;
  prob->ops->setup          = SetUp;
  prob->ops->setfromoptions = SetFromOptions;
  prob->ops->view           = View;
  prob->ops->destroy        = Destroy;
  PetscFunctionReturn(0);
}
