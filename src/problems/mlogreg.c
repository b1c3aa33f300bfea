/*MC
   HGPROBLEMMLOGREG - multinomial logistic regression with one regularization weight per feature
   shared by the classes (Grazzi et al. 2020, 3.2, the 20 Newsgroups setting):

     f(lambda) = CE(X' W(lambda), y'),
     W(lambda) = argmin_{W in R^{p x c}} c CE(X W, y) + 1/(2 c p) sum_j r_j sum_k W_jk^2,

   CE the mean cross-entropy of the softmax of the logits, r = exp(lambda) (the paper's choice,
   default) or r = lambda with -mlr_exp 0 (then projected onto lambda >= 1e-8).  W is one Vec
   of p*c entries, feature-major (W_jk at index j*c + k, block size c), its features split like
   the columns of X and like lambda in R^p, so every lambda_j has its c weights on its own rank.
   Logits are computed for all classes in one pass over X: sparse X (MPIAIJ) through MAIJ
   (X kron I_c), dense X (MPIDENSE) by one GEMM per rank.

     grad_W l              = (c/n) X^T (P - Y) + (1/(c p)) diag(r) W,  P = softmax(X W)
     Hessian V             = (c/n) X^T [(diag(P_i) - P_i P_i^T) (X V)_i]_i + (1/(c p)) diag(r) V
     (d_lambda grad_W l)^T V = (1/(c p)) r'_j sum_k W_jk V_jk   (r' = r, or 1 without exp)
     grad_W E = (1/n') X'^T (P' - Y'),  grad_lambda E = 0

   The probabilities P are cached for the w at which they were computed (id, address, state),
   so Hessian products at one w cost a MatMult and a MatMultTranspose of the class block.

   Constants at each lambda (HGProblemSetLowerConstantsFunction(), so the gd step follows lambda;
   also set at setup from the initial lambda): L = c ||X||_2^2 / (2 n) + max_j r_j/(c p)
   (the softmax Hessian diag(P_i) - P_i P_i^T is bounded by 1/2, Boehning 1992; ||X||_2^2 bounded by
   at most 20 Lanczos steps on X^T X with an a-posteriori bound, HGMatNormSquaredBound()) and mu = min_j r_j / (c p).  There is no closed form.

   Validation and test accuracy (fraction of samples whose largest logit is their class) are
   given through HGProblemSetAccuracy().

   Data.  Synthetic by default (seeded, identical on any number of ranks): N(0,1) features, dense
   or sparse (-mlr_sparse, -mlr_nnz_per_row distinct columns per row), labels from a linear
   teacher plus noise (-mlr_noise), train, validation and test sets of the given sizes.  The
   initial r_j is c p reg0 u_j, u_j uniform in [0.5, 1.5] (lambda = log r with exp).  Real
   data (20 Newsgroups as LIBSVM or CSR HDF5, any LIBSVM/CSV/IDX/HDF5 set) through the data
   options (-data_train FILE -data_val FILE [-data_test FILE], or -data FILE -data_split ...):
   the classes are the distinct training labels.

   Cross-validation: as instance i of n (HGProblemSetInstance(); -problem multi -sub_problem
   mlogreg -multi_n K) the training set is split into K folds by the hash of the sample index;
   instance i trains on the other folds, E is the mean cross-entropy on fold i, and the test set
   (if any) gives the test accuracy.

   Options: -mlr_p <100> features, -mlr_c <10> classes, -mlr_ntrain <1000>, -mlr_nval <1000>,
            -mlr_ntest <1000>, -mlr_seed <0>, -mlr_sparse, -mlr_nnz_per_row <10>,
            -mlr_noise <0.5>, -mlr_exp <true>, -mlr_reg0 <1>, and the -data_* options
M*/
#include "classify.h"

enum { STREAM_TRAIN = 300, STREAM_VAL = 310, STREAM_TEST = 320, STREAM_LAMBDA = 330 };

typedef struct {
  HGClassSynth sy;
  PetscInt     ntr, nval, ntest;
  PetscBool    sparse, useexp, fromdata;
  PetscReal    reg0, normX2, rmin, rmax;
  Mat          X, Xv, Xt;
  Vec          y, yv, yt;
  HGClassOp    op, opv, opt;
  Vec          Z, P, R, Zv, Rv, Zt; /* sample-major work (P: cached probabilities) */
  Vec          r;                  /* R^p: regularization weights */
  HGVecKey     key;                /* the w of P */
} MLR;

/* r = lambda or exp(lambda) */
static PetscErrorCode RegWeights(MLR *ml, Vec lambda)
{
  PetscFunctionBegin;
  PetscCall(VecCopy(lambda, ml->r));
  if (ml->useexp) PetscCall(VecExp(ml->r));
  PetscFunctionReturn(0);
}

/* out_jk = a out_jk + s r_j x_jk over this rank's features (out may be x) */
static PetscErrorCode AddRegTerm(MLR *ml, PetscReal a, Vec x, Vec out)
{
  const PetscScalar *ra, *xa;
  PetscScalar       *oa;
  PetscInt           m, c = ml->sy.c;
  PetscReal          s = 1.0 / ((PetscReal)c * (PetscReal)ml->sy.p);

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(ml->r, &m));
  PetscCall(VecGetArrayRead(ml->r, &ra));
  PetscCall(VecGetArrayRead(x, &xa));
  PetscCall(VecGetArray(out, &oa));
  for (PetscInt j = 0; j < m; j++)
    for (PetscInt k = 0; k < c; k++) oa[j * c + k] = a * oa[j * c + k] + s * ra[j] * xa[j * c + k];
  PetscCall(VecRestoreArray(out, &oa));
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscCall(VecRestoreArrayRead(ml->r, &ra));
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *f, void *ctx)
{
  MLR               *ml = (MLR *)ctx;
  PetscReal          loc, reg = 0, c = (PetscReal)ml->sy.c;
  const PetscScalar *ra, *wa;
  PetscInt           m;

  PetscFunctionBegin;
  PetscCall(HGClassOpMult(ml->op, w, ml->Z));
  PetscCall(HGSoftmaxLoss(ml->sy.c, ml->Z, ml->y, NULL, &loc, ml->P, NULL));
  PetscCall(HGVecKeySet(&ml->key, w));
  loc *= c / (PetscReal)ml->ntr;
  PetscCall(RegWeights(ml, lambda));
  PetscCall(VecGetLocalSize(lambda, &m));
  PetscCall(VecGetArrayRead(ml->r, &ra));
  PetscCall(VecGetArrayRead(w, &wa));
  for (PetscInt j = 0; j < m; j++) {
    PetscReal sq = 0;
    for (PetscInt k = 0; k < ml->sy.c; k++) sq += PetscRealPart(wa[j * ml->sy.c + k] * wa[j * ml->sy.c + k]);
    reg += PetscRealPart(ra[j]) * sq;
  }
  PetscCall(VecRestoreArrayRead(w, &wa));
  PetscCall(VecRestoreArrayRead(ml->r, &ra));
  loc += reg / (2.0 * c * (PetscReal)ml->sy.p);
  PetscCall(MPIU_Allreduce(&loc, f, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)prob)));
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerGradient(HGProblem prob, Vec w, Vec lambda, Vec g, void *ctx)
{
  MLR      *ml = (MLR *)ctx;
  PetscReal loc;

  PetscFunctionBegin;
  PetscCall(HGClassOpMult(ml->op, w, ml->Z));
  PetscCall(HGSoftmaxLoss(ml->sy.c, ml->Z, ml->y, NULL, &loc, ml->P, ml->R));
  PetscCall(HGVecKeySet(&ml->key, w));
  PetscCall(HGClassOpMultTranspose(ml->op, ml->R, g));
  PetscCall(RegWeights(ml, lambda));
  PetscCall(AddRegTerm(ml, (PetscReal)ml->sy.c / (PetscReal)ml->ntr, w, g));
  PetscFunctionReturn(0);
}

static PetscErrorCode HessianMult(HGProblem prob, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  MLR      *ml = (MLR *)ctx;
  PetscBool valid;
  PetscReal loc;

  PetscFunctionBegin;
  PetscCall(HGVecKeyMatch(&ml->key, w, &valid));
  if (!valid) {
    PetscCall(HGClassOpMult(ml->op, w, ml->Z));
    PetscCall(HGSoftmaxLoss(ml->sy.c, ml->Z, ml->y, NULL, &loc, ml->P, NULL));
    PetscCall(HGVecKeySet(&ml->key, w));
  }
  PetscCall(HGClassOpMult(ml->op, v, ml->Z));
  PetscCall(HGSoftmaxHessian(ml->sy.c, ml->P, ml->Z, NULL, ml->R));
  PetscCall(HGClassOpMultTranspose(ml->op, ml->R, out));
  PetscCall(RegWeights(ml, lambda));
  PetscCall(AddRegTerm(ml, (PetscReal)ml->sy.c / (PetscReal)ml->ntr, v, out));
  PetscFunctionReturn(0);
}

/* d r_j / d lambda_j times (1/(c p)) sum_k W_jk V_jk */
static PetscErrorCode MixedMultTranspose(HGProblem prob, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  MLR               *ml = (MLR *)ctx;
  const PetscScalar *wa, *va, *la;
  PetscScalar       *oa;
  PetscInt           m, c = ml->sy.c;
  PetscReal          s = 1.0 / ((PetscReal)c * (PetscReal)ml->sy.p);

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(out, &m));
  PetscCall(VecGetArrayRead(w, &wa));
  PetscCall(VecGetArrayRead(v, &va));
  PetscCall(VecGetArrayRead(lambda, &la));
  PetscCall(VecGetArrayWrite(out, &oa));
  for (PetscInt j = 0; j < m; j++) {
    PetscScalar t = 0;
    for (PetscInt k = 0; k < c; k++) t += wa[j * c + k] * va[j * c + k];
    oa[j] = s * t * (ml->useexp ? PetscExpScalar(la[j]) : 1.0);
  }
  PetscCall(VecRestoreArrayWrite(out, &oa));
  PetscCall(VecRestoreArrayRead(lambda, &la));
  PetscCall(VecRestoreArrayRead(v, &va));
  PetscCall(VecRestoreArrayRead(w, &wa));
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *E, void *ctx)
{
  MLR      *ml = (MLR *)ctx;
  PetscReal loc;

  PetscFunctionBegin;
  PetscCall(HGClassOpMult(ml->opv, w, ml->Zv));
  PetscCall(HGSoftmaxLoss(ml->sy.c, ml->Zv, ml->yv, NULL, &loc, NULL, NULL));
  PetscCall(MPIU_Allreduce(&loc, E, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)prob)));
  *E /= (PetscReal)ml->nval;
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperGradient(HGProblem prob, Vec w, Vec lambda, Vec gw, Vec gl, void *ctx)
{
  MLR      *ml = (MLR *)ctx;
  PetscReal loc;

  PetscFunctionBegin;
  PetscCall(HGClassOpMult(ml->opv, w, ml->Zv));
  PetscCall(HGSoftmaxLoss(ml->sy.c, ml->Zv, ml->yv, NULL, &loc, NULL, ml->Rv));
  PetscCall(HGClassOpMultTranspose(ml->opv, ml->Rv, gw));
  PetscCall(VecScale(gw, 1.0 / (PetscReal)ml->nval));
  PetscCall(VecSet(gl, 0.0));
  PetscFunctionReturn(0);
}

static PetscErrorCode Accuracy(HGProblem prob, Vec w, Vec lambda, PetscReal *val, PetscReal *test, void *ctx)
{
  MLR *ml = (MLR *)ctx;

  PetscFunctionBegin;
  PetscCall(HGClassAccuracy(ml->opv, w, ml->Zv, ml->yv, val));
  if (ml->opt) PetscCall(HGClassAccuracy(ml->opt, w, ml->Zt, ml->yt, test));
  else *test = (PetscReal)NAN;
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateData(HGProblem prob)
{
  MLR     *ml   = (MLR *)prob->data;
  MPI_Comm comm = PetscObjectComm((PetscObject)prob);
  HGData   train, val, test;

  PetscFunctionBegin;
  PetscCall(HGDataGetFromOptions(comm, ((PetscObject)prob)->prefix, &ml->fromdata, &train, &val, &test));
  PetscCall(HGProblemSetDataFingerprint(prob, &train, &val, &test)); /* run files refuse other data */
  if (ml->fromdata) {
    HGData            *sets[3] = {&train, &val, &test};
    const char *const  names[] = {"training", "validation", "test"};
    PetscCall(HGClassLabelsFromData(&train, 3, sets, names, &ml->sy.c));
    ml->X = train.X, ml->y = train.y, ml->Xv = val.X, ml->yv = val.y, ml->Xt = test.X, ml->yt = test.y;
    PetscCall(PetscObjectReference((PetscObject)ml->X));
    PetscCall(PetscObjectReference((PetscObject)ml->y));
    PetscCall(PetscObjectReference((PetscObject)ml->Xv));
    PetscCall(PetscObjectReference((PetscObject)ml->yv));
    if (ml->Xt) {
      PetscCall(PetscObjectReference((PetscObject)ml->Xt));
      PetscCall(PetscObjectReference((PetscObject)ml->yt));
    }
    ml->sy.p = train.nfeatures, ml->ntr = train.nsamples, ml->nval = val.nsamples, ml->ntest = ml->Xt ? test.nsamples : 0;
    PetscCall(HGDataDestroy(&train));
    PetscCall(HGDataDestroy(&val));
    PetscCall(HGDataDestroy(&test));
  } else {
    ml->sy.nnz = ml->sparse ? ml->sy.nnz : 0;
    PetscCall(HGClassDataCreate(comm, &ml->sy, ml->ntr, STREAM_TRAIN, &ml->X, &ml->y));
    PetscCall(HGClassDataCreate(comm, &ml->sy, ml->nval, STREAM_VAL, &ml->Xv, &ml->yv));
    if (ml->ntest > 0) PetscCall(HGClassDataCreate(comm, &ml->sy, ml->ntest, STREAM_TEST, &ml->Xt, &ml->yt));
  }
  PetscFunctionReturn(0);
}

/* L and mu at lambda (the formulas above with the current r): the gd step follows lambda */
static PetscErrorCode LowerConstants(HGProblem prob, Vec lambda, PetscReal *L, PetscReal *mu, void *ctx)
{
  MLR      *ml    = (MLR *)ctx;
  PetscReal scale = 1.0 / ((PetscReal)ml->sy.c * (PetscReal)ml->sy.p), rmin, rmax;

  PetscFunctionBegin;
  PetscCall(HGRegWeightRange(lambda, ml->useexp, &rmin, &rmax));
  *L  = (PetscReal)ml->sy.c * ml->normX2 / (2.0 * (PetscReal)ml->ntr) + rmax * scale;
  *mu = rmin * scale;
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUp(HGProblem prob)
{
  MLR     *ml   = (MLR *)prob->data;
  MPI_Comm comm = PetscObjectComm((PetscObject)prob);
  Vec      w, lambda;
  PetscInt nl, nlv, nlt;
  PetscReal scale, L, mu;

  PetscFunctionBegin;
  if (ml->X) PetscFunctionReturn(0);
  PetscCall(CreateData(prob));
  if (prob->ninstances > 0) { /* fold prob->instance of a cross-validation on the training set (HGProblemSetInstance()); the test set stays */
    Mat Xtr, Xf;
    Vec ytr, yf;
    PetscCall(HGCrossValidationSplit(prob, ml->sy.seed, ml->X, ml->y, &Xtr, &ytr, &Xf, &yf));
    PetscCall(MatDestroy(&ml->X));
    PetscCall(MatDestroy(&ml->Xv));
    PetscCall(VecDestroy(&ml->y));
    PetscCall(VecDestroy(&ml->yv));
    ml->X = Xtr, ml->y = ytr, ml->Xv = Xf, ml->yv = yf;
    PetscCall(VecGetSize(ytr, &ml->ntr));
    PetscCall(VecGetSize(yf, &ml->nval));
  }
  PetscCall(MatGetLocalSize(ml->X, NULL, &nl));
  PetscCall(MatGetLocalSize(ml->Xv, NULL, &nlv));
  nlt = nl;
  if (ml->Xt) PetscCall(MatGetLocalSize(ml->Xt, NULL, &nlt));
  PetscCheck(nl == nlv && nl == nlt, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "mlogreg: the data matrices split their columns differently (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT " local columns): create them with the same column layout", nl, nlv, nlt);
  PetscCall(HGClassOpCreate(ml->X, ml->sy.c, &ml->op));
  PetscCall(HGClassOpCreate(ml->Xv, ml->sy.c, &ml->opv));
  if (ml->Xt) PetscCall(HGClassOpCreate(ml->Xt, ml->sy.c, &ml->opt));
  PetscCall(HGClassOpCreateVecs(ml->op, &w, &ml->Z));
  PetscCall(VecDuplicate(ml->Z, &ml->P));
  PetscCall(VecDuplicate(ml->Z, &ml->R));
  PetscCall(HGClassOpCreateVecs(ml->opv, NULL, &ml->Zv));
  PetscCall(VecDuplicate(ml->Zv, &ml->Rv));
  if (ml->opt) PetscCall(HGClassOpCreateVecs(ml->opt, NULL, &ml->Zt));
  PetscCall(VecCreateMPI(comm, nl, ml->sy.p, &lambda));
  PetscCall(VecDuplicate(lambda, &ml->r));
  PetscCall(HGProblemSetVecTemplates(prob, w, lambda));
  /* initial r = c p reg0 u, u uniform in [0.5, 1.5] */
  scale = ml->reg0 * (PetscReal)ml->sy.c * (PetscReal)ml->sy.p;
  PetscCall(HGVecSetHashUniform(lambda, ml->sy.seed, STREAM_LAMBDA, 0.5 * scale, 1.5 * scale));
  PetscCall(VecMax(lambda, NULL, &ml->rmax));
  PetscCall(VecMin(lambda, NULL, &ml->rmin));
  if (ml->useexp) PetscCall(VecLog(lambda));
  PetscCall(HGProblemSetInitialHyperparameters(prob, lambda));
  PetscCall(HGMatNormSquaredBound(ml->X, ml->sy.seed, &ml->normX2, NULL));
  PetscCall(LowerConstants(prob, lambda, &L, &mu, ml));
  PetscCall(HGProblemSetLowerConstants(prob, L, mu));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemSetOptimizationCallbacks(prob, ml, LowerObjective, LowerGradient, HessianMult, MixedMultTranspose, UpperObjective, UpperGradient));
  PetscCall(HGProblemSetLowerConstantsFunction(prob, LowerConstants));
  if (!ml->useexp) PetscCall(HGProblemSetProjection(prob, HGProjectionPositiveWeights));
  PetscCall(HGProblemSetAccuracy(prob, Accuracy));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetFromOptions(HGProblem prob, PetscOptionItems *PetscOptionsObject)
{
  MLR      *ml   = (MLR *)prob->data;
  PetscInt  seed = (PetscInt)ml->sy.seed;
  MPI_Comm  comm = PetscObjectComm((PetscObject)prob);
  PetscBool nnzset;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Multinomial logistic regression, one weight per feature (Grazzi et al. 3.2, 20 Newsgroups)");
  PetscCall(HGOptionsInt("-mlr_p", "Number of features (= hyperparameters; synthetic data)", "", ml->sy.p, &ml->sy.p, NULL));
  PetscCall(HGOptionsInt("-mlr_c", "Number of classes (synthetic data)", "", ml->sy.c, &ml->sy.c, NULL));
  PetscCall(HGOptionsInt("-mlr_ntrain", "Training examples (synthetic data)", "", ml->ntr, &ml->ntr, NULL));
  PetscCall(HGOptionsInt("-mlr_nval", "Validation examples (synthetic data)", "", ml->nval, &ml->nval, NULL));
  PetscCall(HGOptionsInt("-mlr_ntest", "Test examples (synthetic data; 0: none)", "", ml->ntest, &ml->ntest, NULL));
  PetscCall(HGOptionsInt("-mlr_seed", "Random seed", "", seed, &seed, NULL));
  PetscCall(PetscOptionsBool("-mlr_sparse", "Sparse synthetic data (MPIAIJ)", "", ml->sparse, &ml->sparse, NULL));
  PetscCall(HGOptionsInt("-mlr_nnz_per_row", "Nonzeros per row with -mlr_sparse", "", ml->sy.nnz, &ml->sy.nnz, &nnzset));
  PetscCall(HGOptionsReal("-mlr_noise", "Label noise of the synthetic teacher", "", ml->sy.noise, &ml->sy.noise, NULL));
  PetscCall(PetscOptionsBool("-mlr_exp", "Regularization weights exp(lambda) (the paper) instead of lambda", "", ml->useexp, &ml->useexp, NULL));
  PetscCall(HGOptionsReal("-mlr_reg0", "Initial effective ridge r_j/(c p) (times uniform [0.5,1.5])", "", ml->reg0, &ml->reg0, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(ml->sy.p > 0 && ml->ntr > 0 && ml->nval > 0 && ml->ntest >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-mlr_p, -mlr_ntrain and -mlr_nval must be positive and -mlr_ntest >= 0");
  PetscCheck(ml->sy.c >= 2, comm, PETSC_ERR_ARG_OUTOFRANGE, "-mlr_c must be at least 2 classes; got %" PetscInt_FMT, ml->sy.c);
  PetscCheck(ml->reg0 > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-mlr_reg0 must be positive (it makes the lower level strongly convex); got %g", (double)ml->reg0);
  PetscCheck(ml->sy.noise >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-mlr_noise must be >= 0; got %g", (double)ml->sy.noise);
  if (ml->sparse) {
    PetscCheck(ml->sy.nnz > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-mlr_nnz_per_row must be positive; got %" PetscInt_FMT, ml->sy.nnz);
    PetscCheck(!nnzset || ml->sy.nnz <= ml->sy.p, comm, PETSC_ERR_ARG_OUTOFRANGE, "-mlr_nnz_per_row (%" PetscInt_FMT ") cannot exceed the number of features -mlr_p (%" PetscInt_FMT ")", ml->sy.nnz, ml->sy.p);
    ml->sy.nnz = PetscMin(ml->sy.nnz, ml->sy.p);
  }
  ml->sy.seed = seed;
  PetscFunctionReturn(0);
}

static PetscErrorCode View(HGProblem prob, PetscViewer viewer)
{
  MLR *ml = (MLR *)prob->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "multinomial logistic regression: p = %" PetscInt_FMT " features, c = %" PetscInt_FMT " classes, %" PetscInt_FMT " train + %" PetscInt_FMT " validation + %" PetscInt_FMT " test (%s)\n", ml->sy.p, ml->sy.c, ml->ntr, ml->nval, ml->ntest, ml->fromdata ? "data files" : "synthetic"));
  if (ml->op) {
    PetscBool dense;
    PetscCall(PetscObjectTypeCompareAny((PetscObject)ml->X, &dense, MATMPIDENSE, MATSEQDENSE, ""));
    PetscCall(PetscViewerASCIIPrintf(viewer, "%s data; ||X||_2^2 ~ %g\n", dense ? "dense (MPIDENSE)" : "sparse (MPIAIJ)", (double)ml->normX2));
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "regularization weights %s; initial r in [%g, %g] (L, mu follow lambda)\n", ml->useexp ? "exp(lambda)" : "lambda (projected onto lambda >= 1e-8)", (double)ml->rmin, (double)ml->rmax));
  PetscFunctionReturn(0);
}

static PetscErrorCode Destroy(HGProblem prob)
{
  MLR *ml = (MLR *)prob->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&ml->X));
  PetscCall(MatDestroy(&ml->Xv));
  PetscCall(MatDestroy(&ml->Xt));
  PetscCall(VecDestroy(&ml->y));
  PetscCall(VecDestroy(&ml->yv));
  PetscCall(VecDestroy(&ml->yt));
  PetscCall(HGClassOpDestroy(&ml->op));
  PetscCall(HGClassOpDestroy(&ml->opv));
  PetscCall(HGClassOpDestroy(&ml->opt));
  PetscCall(VecDestroy(&ml->Z));
  PetscCall(VecDestroy(&ml->P));
  PetscCall(VecDestroy(&ml->R));
  PetscCall(VecDestroy(&ml->Zv));
  PetscCall(VecDestroy(&ml->Rv));
  PetscCall(VecDestroy(&ml->Zt));
  PetscCall(VecDestroy(&ml->r));
  PetscCall(PetscFree(prob->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGProblemCreate_MLogReg(HGProblem prob)
{
  MLR *ml;

  PetscFunctionBegin;
  PetscCall(PetscNew(&ml));
  ml->sy.p = 100, ml->sy.c = 10, ml->sy.nnz = 10, ml->sy.noise = 0.5;
  ml->ntr = 1000, ml->nval = 1000, ml->ntest = 1000;
  ml->useexp = PETSC_TRUE, ml->reg0 = 1.0;
  prob->data                = ml;
  prob->ops->setup          = SetUp;
  prob->ops->setfromoptions = SetFromOptions;
  prob->ops->view           = View;
  prob->ops->destroy        = Destroy;
  PetscFunctionReturn(0);
}
