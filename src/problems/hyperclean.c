/*MC
   HGPROBLEMHYPERCLEAN - data hypercleaning (Ehrhardt & Roberts 2023, after Franceschi et al.
   2017 and Yang et al. 2021): one weight sigma(theta_i) per training example of a multinomial
   logistic regression whose training labels are partly corrupted; the upper level is the
   cross-entropy on clean validation data:

     f(theta) = (1/n') sum_{i in val} CE_i(W(theta)),
     W(theta) = argmin_{W in R^{p x c}} (1/n) sum_{i in train} sigma(theta_i) CE_i(W) + alpha ||W||^2

   sigma the logistic function, CE_i the cross-entropy of the softmax of sample i's logits.
   theta in R^n is split like the rows of the training matrix; W is one Vec of p*c entries,
   feature-major (W_jk at index j*c + k), split like the columns.

     grad_W l                 = X^T [s_i (P_i - e_{y_i})]_i + 2 alpha W,  s = sigma(theta)/n
     Hessian V                = X^T [s_i (diag(P_i) - P_i P_i^T) (X V)_i]_i + 2 alpha V
     (d_theta grad_W l)^T V   = [sigma'(theta_i)/n (X V)_i . (P_i - e_{y_i})]_i
     grad_W E = (1/n') X'^T (P' - Y'),  grad_theta E = 0

   Constants, valid for every theta: mu = 2 alpha and L = ||X||_2^2 / (2 n) + 2 alpha (sigma <= 1
   and the softmax Hessian is bounded by 1/2, Boehning 1992; ||X||_2^2 bounded by at most 20
   Lanczos steps on X^T X with an a-posteriori bound, HGMatNormSquaredBound()).  There is no closed form.

   Corruption: exactly round(fraction n) training examples, those with the smallest hash values
   of -hc_corrupt_seed, get a label drawn uniformly from the other c - 1 classes (identical on
   any number of ranks).  HGProblemHyperCleanGetCorrupted() returns the mask.  Validation and
   test accuracy are given through HGProblemSetAccuracy().

   Data.  Synthetic by default (seeded: N(0,1) features, dense or -hc_sparse, labels from a
   linear teacher plus noise).  Real data, MNIST for instance, through the data options
   (-data FILE -data_labels FILE -data_split a,b,c, or -data_train/-data_val/-data_test, see
   HGDataGetFromOptions(); -data_standardize or scaled pixels keep alpha meaningful); the
   corruption is applied to the training labels only.

   Options: -hc_p <50> features, -hc_c <10> classes, -hc_ntrain <500>, -hc_nval <500>,
            -hc_ntest <500>, -hc_seed <0>, -hc_sparse, -hc_nnz_per_row <10>, -hc_noise <0.5>,
            -hc_alpha <0.01>, -hc_fraction <0.1> corrupted fraction, -hc_corrupt_seed <seed>,
            -hc_theta0 <0> initial theta, and the -data_* options
M*/
#include "classify.h"

enum { STREAM_TRAIN = 400, STREAM_VAL = 410, STREAM_TEST = 420, STREAM_CORRUPT = 430, STREAM_NEWLABEL };

typedef struct {
  HGClassSynth sy;
  PetscInt     ntr, nval, ntest, ncorrupt;
  PetscInt64   cseed;
  PetscBool    sparse, fromdata;
  PetscReal    alpha, fraction, theta0, normX2;
  Mat          X, Xv, Xt;
  Vec          y, yv, yt, mask; /* y: the (partly corrupted) training labels; mask: 1 where corrupted */
  HGClassOp    op, opv, opt;
  Vec          Z, P, R, Zv, Rv, Zt;
  Vec          U; /* X V for the V of ukey (the Hessian and the mixed product of ITD's reverse step share it) */
  Vec          s; /* sample weights sigma(theta)/n, then sigma'(theta)/n */
  HGVecKey     key, ukey;
} HC;

static inline PetscReal Sigmoid(PetscReal t)
{
  return t >= 0 ? 1.0 / (1.0 + PetscExpReal(-t)) : PetscExpReal(t) / (1.0 + PetscExpReal(t));
}

/* s_i = sigma(theta_i)/n, or sigma'(theta_i)/n with deriv */
static PetscErrorCode SampleWeights(HC *hc, Vec theta, PetscBool deriv)
{
  const PetscScalar *ta;
  PetscScalar       *sa;
  PetscInt           m;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(theta, &m));
  PetscCall(VecGetArrayRead(theta, &ta));
  PetscCall(VecGetArrayWrite(hc->s, &sa));
  for (PetscInt i = 0; i < m; i++) {
    PetscReal sg = Sigmoid(PetscRealPart(ta[i]));
    sa[i]        = (deriv ? sg * (1.0 - sg) : sg) / (PetscReal)hc->ntr;
  }
  PetscCall(VecRestoreArrayWrite(hc->s, &sa));
  PetscCall(VecRestoreArrayRead(theta, &ta));
  PetscFunctionReturn(0);
}

/* P = softmax(X W) unless cached for this w */
static PetscErrorCode Probabilities(HC *hc, Vec w)
{
  PetscBool valid;
  PetscReal loc;

  PetscFunctionBegin;
  PetscCall(HGVecKeyMatch(&hc->key, w, &valid));
  if (valid) PetscFunctionReturn(0);
  PetscCall(HGClassOpMult(hc->op, w, hc->Z));
  PetscCall(HGSoftmaxLoss(hc->sy.c, hc->Z, hc->y, NULL, &loc, hc->P, NULL));
  PetscCall(HGVecKeySet(&hc->key, w));
  PetscFunctionReturn(0);
}

/* U = X v unless it holds for this v */
static PetscErrorCode ClassMultCached(HC *hc, Vec v)
{
  PetscBool valid;

  PetscFunctionBegin;
  PetscCall(HGVecKeyMatch(&hc->ukey, v, &valid));
  if (valid) PetscFunctionReturn(0);
  PetscCall(HGClassOpMult(hc->op, v, hc->U));
  PetscCall(HGVecKeySet(&hc->ukey, v));
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerObjective(HGProblem prob, Vec w, Vec theta, PetscReal *f, void *ctx)
{
  HC       *hc = (HC *)ctx;
  PetscReal loc, nw, all;

  PetscFunctionBegin;
  PetscCall(SampleWeights(hc, theta, PETSC_FALSE));
  PetscCall(HGClassOpMult(hc->op, w, hc->Z));
  PetscCall(HGSoftmaxLoss(hc->sy.c, hc->Z, hc->y, hc->s, &loc, hc->P, NULL));
  PetscCall(HGVecKeySet(&hc->key, w));
  PetscCall(MPIU_Allreduce(&loc, &all, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)prob)));
  PetscCall(VecNorm(w, NORM_2, &nw));
  *f = all + hc->alpha * nw * nw;
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerGradient(HGProblem prob, Vec w, Vec theta, Vec g, void *ctx)
{
  HC       *hc = (HC *)ctx;
  PetscReal loc;

  PetscFunctionBegin;
  PetscCall(SampleWeights(hc, theta, PETSC_FALSE));
  PetscCall(HGClassOpMult(hc->op, w, hc->Z));
  PetscCall(HGSoftmaxLoss(hc->sy.c, hc->Z, hc->y, hc->s, &loc, hc->P, hc->R));
  PetscCall(HGVecKeySet(&hc->key, w));
  PetscCall(HGClassOpMultTranspose(hc->op, hc->R, g));
  PetscCall(VecAXPY(g, 2.0 * hc->alpha, w));
  PetscFunctionReturn(0);
}

static PetscErrorCode HessianMult(HGProblem prob, Vec w, Vec theta, Vec v, Vec out, void *ctx)
{
  HC *hc = (HC *)ctx;

  PetscFunctionBegin;
  PetscCall(Probabilities(hc, w));
  PetscCall(SampleWeights(hc, theta, PETSC_FALSE));
  PetscCall(ClassMultCached(hc, v));
  PetscCall(HGSoftmaxHessian(hc->sy.c, hc->P, hc->U, hc->s, hc->R));
  PetscCall(HGClassOpMultTranspose(hc->op, hc->R, out));
  PetscCall(VecAXPY(out, 2.0 * hc->alpha, v));
  PetscFunctionReturn(0);
}

static PetscErrorCode MixedMultTranspose(HGProblem prob, Vec w, Vec theta, Vec v, Vec out, void *ctx)
{
  HC                *hc = (HC *)ctx;
  const PetscScalar *pa, *ua, *ya, *sa;
  PetscScalar       *oa;
  PetscInt           m, c = hc->sy.c;

  PetscFunctionBegin;
  PetscCall(Probabilities(hc, w));
  PetscCall(SampleWeights(hc, theta, PETSC_TRUE));
  PetscCall(ClassMultCached(hc, v));
  PetscCall(VecGetLocalSize(out, &m));
  PetscCall(VecGetArrayRead(hc->P, &pa));
  PetscCall(VecGetArrayRead(hc->U, &ua));
  PetscCall(VecGetArrayRead(hc->y, &ya));
  PetscCall(VecGetArrayRead(hc->s, &sa));
  PetscCall(VecGetArrayWrite(out, &oa));
  for (PetscInt i = 0; i < m; i++) {
    PetscScalar t = -ua[i * c + (PetscInt)PetscRealPart(ya[i])];
    for (PetscInt k = 0; k < c; k++) t += ua[i * c + k] * pa[i * c + k];
    oa[i] = sa[i] * t;
  }
  PetscCall(VecRestoreArrayWrite(out, &oa));
  PetscCall(VecRestoreArrayRead(hc->s, &sa));
  PetscCall(VecRestoreArrayRead(hc->y, &ya));
  PetscCall(VecRestoreArrayRead(hc->U, &ua));
  PetscCall(VecRestoreArrayRead(hc->P, &pa));
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperObjective(HGProblem prob, Vec w, Vec theta, PetscReal *E, void *ctx)
{
  HC       *hc = (HC *)ctx;
  PetscReal loc;

  PetscFunctionBegin;
  PetscCall(HGClassOpMult(hc->opv, w, hc->Zv));
  PetscCall(HGSoftmaxLoss(hc->sy.c, hc->Zv, hc->yv, NULL, &loc, NULL, NULL));
  PetscCall(MPIU_Allreduce(&loc, E, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)prob)));
  *E /= (PetscReal)hc->nval;
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperGradient(HGProblem prob, Vec w, Vec theta, Vec gw, Vec gl, void *ctx)
{
  HC       *hc = (HC *)ctx;
  PetscReal loc;

  PetscFunctionBegin;
  PetscCall(HGClassOpMult(hc->opv, w, hc->Zv));
  PetscCall(HGSoftmaxLoss(hc->sy.c, hc->Zv, hc->yv, NULL, &loc, NULL, hc->Rv));
  PetscCall(HGClassOpMultTranspose(hc->opv, hc->Rv, gw));
  PetscCall(VecScale(gw, 1.0 / (PetscReal)hc->nval));
  PetscCall(VecSet(gl, 0.0));
  PetscFunctionReturn(0);
}

static PetscErrorCode Accuracy(HGProblem prob, Vec w, Vec theta, PetscReal *val, PetscReal *test, void *ctx)
{
  HC *hc = (HC *)ctx;

  PetscFunctionBegin;
  PetscCall(HGClassAccuracy(hc->opv, w, hc->Zv, hc->yv, val));
  if (hc->opt) PetscCall(HGClassAccuracy(hc->opt, w, hc->Zt, hc->yt, test));
  else *test = (PetscReal)NAN;
  PetscFunctionReturn(0);
}

/* Corrupt exactly round(fraction n) training labels: those with the smallest hash values */
static PetscErrorCode Corrupt(HC *hc)
{
  PetscInt     n = hc->ntr, lo, hi, k = (PetscInt)PetscFloorReal(hc->fraction * (PetscReal)n + 0.5);
  PetscReal   *u, thr = -1.0;
  PetscScalar *ya, *ma;

  PetscFunctionBegin;
  PetscCall(VecDuplicate(hc->y, &hc->mask));
  hc->ncorrupt = k;
  if (k == 0) PetscFunctionReturn(0);
  PetscCall(PetscMalloc1(n, &u));
  for (PetscInt i = 0; i < n; i++) u[i] = HGHashUniform(hc->cseed, STREAM_CORRUPT, i);
  PetscCall(PetscSortReal(n, u));
  thr = u[k - 1];
  PetscCall(PetscFree(u));
  PetscCall(VecGetOwnershipRange(hc->y, &lo, &hi));
  PetscCall(VecGetArray(hc->y, &ya));
  PetscCall(VecGetArrayWrite(hc->mask, &ma));
  for (PetscInt i = lo; i < hi; i++) {
    ma[i - lo] = 0.0;
    if (HGHashUniform(hc->cseed, STREAM_CORRUPT, i) <= thr) {
      PetscInt shift = 1 + PetscMin((PetscInt)(HGHashUniform(hc->cseed, STREAM_NEWLABEL, i) * (PetscReal)(hc->sy.c - 1)), hc->sy.c - 2);
      ya[i - lo]     = (PetscScalar)(((PetscInt)PetscRealPart(ya[i - lo]) + shift) % hc->sy.c);
      ma[i - lo]     = 1.0;
    }
  }
  PetscCall(VecRestoreArrayWrite(hc->mask, &ma));
  PetscCall(VecRestoreArray(hc->y, &ya));
  PetscFunctionReturn(0);
}

/*@C
  HGProblemHyperCleanGetCorrupted - the training examples whose labels the hyperclean problem
  corrupted: 1 where corrupted, 0 elsewhere, in the layout of theta

  Collective

  Input Parameter:
. prob - an HGProblem of type hyperclean, set up

  Output Parameters:
+ mask     - a Vec like theta (filled)
- ncorrupt - number of corrupted examples (or NULL)
@*/
PETSC_INTERN PetscErrorCode HGProblemHyperCleanGetCorrupted(HGProblem prob, Vec mask, PetscInt *ncorrupt)
{
  PetscBool same;
  HC       *hc;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)prob, HGPROBLEMHYPERCLEAN, &same));
  PetscCheck(same, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONG, "HGProblemHyperCleanGetCorrupted() needs a problem of type hyperclean, not %s", ((PetscObject)prob)->type_name);
  PetscCall(HGProblemSetUp(prob));
  hc = (HC *)prob->data;
  PetscCall(VecCopy(hc->mask, mask));
  if (ncorrupt) *ncorrupt = hc->ncorrupt;
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateData(HGProblem prob)
{
  HC      *hc   = (HC *)prob->data;
  MPI_Comm comm = PetscObjectComm((PetscObject)prob);
  HGData   train, val, test;

  PetscFunctionBegin;
  PetscCall(HGDataGetFromOptions(comm, ((PetscObject)prob)->prefix, &hc->fromdata, &train, &val, &test));
  PetscCall(HGProblemSetDataFingerprint(prob, &train, &val, &test)); /* run files refuse other data */
  if (hc->fromdata) {
    HGData            *sets[3] = {&train, &val, &test};
    const char *const  names[] = {"training", "validation", "test"};
    PetscCall(HGClassLabelsFromData(&train, 3, sets, names, &hc->sy.c));
    hc->X = train.X, hc->y = train.y, hc->Xv = val.X, hc->yv = val.y, hc->Xt = test.X, hc->yt = test.y;
    PetscCall(PetscObjectReference((PetscObject)hc->X));
    PetscCall(PetscObjectReference((PetscObject)hc->y));
    PetscCall(PetscObjectReference((PetscObject)hc->Xv));
    PetscCall(PetscObjectReference((PetscObject)hc->yv));
    if (hc->Xt) {
      PetscCall(PetscObjectReference((PetscObject)hc->Xt));
      PetscCall(PetscObjectReference((PetscObject)hc->yt));
    }
    hc->sy.p = train.nfeatures, hc->ntr = train.nsamples, hc->nval = val.nsamples, hc->ntest = hc->Xt ? test.nsamples : 0;
    PetscCall(HGDataDestroy(&train));
    PetscCall(HGDataDestroy(&val));
    PetscCall(HGDataDestroy(&test));
  } else {
    hc->sy.nnz = hc->sparse ? hc->sy.nnz : 0;
    PetscCall(HGClassDataCreate(comm, &hc->sy, hc->ntr, STREAM_TRAIN, &hc->X, &hc->y));
    PetscCall(HGClassDataCreate(comm, &hc->sy, hc->nval, STREAM_VAL, &hc->Xv, &hc->yv));
    if (hc->ntest > 0) PetscCall(HGClassDataCreate(comm, &hc->sy, hc->ntest, STREAM_TEST, &hc->Xt, &hc->yt));
  }
  PetscCall(Corrupt(hc));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUp(HGProblem prob)
{
  HC      *hc = (HC *)prob->data;
  Vec      w, theta;
  PetscInt nl, nlv, nlt;

  PetscFunctionBegin;
  if (hc->X) PetscFunctionReturn(0);
  PetscCall(CreateData(prob));
  PetscCall(MatGetLocalSize(hc->X, NULL, &nl));
  PetscCall(MatGetLocalSize(hc->Xv, NULL, &nlv));
  nlt = nl;
  if (hc->Xt) PetscCall(MatGetLocalSize(hc->Xt, NULL, &nlt));
  PetscCheck(nl == nlv && nl == nlt, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "hyperclean: the data matrices split their columns differently (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT " local columns): create them with the same column layout", nl, nlv, nlt);
  PetscCall(HGClassOpCreate(hc->X, hc->sy.c, &hc->op));
  PetscCall(HGClassOpCreate(hc->Xv, hc->sy.c, &hc->opv));
  if (hc->Xt) PetscCall(HGClassOpCreate(hc->Xt, hc->sy.c, &hc->opt));
  PetscCall(HGClassOpCreateVecs(hc->op, &w, &hc->Z));
  PetscCall(VecDuplicate(hc->Z, &hc->P));
  PetscCall(VecDuplicate(hc->Z, &hc->R));
  PetscCall(VecDuplicate(hc->Z, &hc->U));
  PetscCall(HGClassOpCreateVecs(hc->opv, NULL, &hc->Zv));
  PetscCall(VecDuplicate(hc->Zv, &hc->Rv));
  if (hc->opt) PetscCall(HGClassOpCreateVecs(hc->opt, NULL, &hc->Zt));
  PetscCall(VecDuplicate(hc->y, &theta));
  PetscCall(VecDuplicate(hc->y, &hc->s));
  PetscCall(HGProblemSetVecTemplates(prob, w, theta));
  PetscCall(VecSet(theta, hc->theta0));
  PetscCall(HGProblemSetInitialHyperparameters(prob, theta));
  PetscCall(HGMatNormSquaredBound(hc->X, hc->sy.seed, &hc->normX2, NULL));
  PetscCall(HGProblemSetLowerConstants(prob, hc->normX2 / (2.0 * (PetscReal)hc->ntr) + 2.0 * hc->alpha, 2.0 * hc->alpha));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&theta));
  PetscCall(HGProblemSetOptimizationCallbacks(prob, hc, LowerObjective, LowerGradient, HessianMult, MixedMultTranspose, UpperObjective, UpperGradient));
  PetscCall(HGProblemSetAccuracy(prob, Accuracy));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetFromOptions(HGProblem prob, PetscOptionItems *PetscOptionsObject)
{
  HC       *hc   = (HC *)prob->data;
  PetscInt  seed = (PetscInt)hc->sy.seed, cseed = 0;
  MPI_Comm  comm = PetscObjectComm((PetscObject)prob);
  PetscBool nnzset, csset;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Data hypercleaning (Ehrhardt & Roberts; Franceschi et al.)");
  PetscCall(HGOptionsInt("-hc_p", "Number of features (synthetic data)", "", hc->sy.p, &hc->sy.p, NULL));
  PetscCall(HGOptionsInt("-hc_c", "Number of classes (synthetic data)", "", hc->sy.c, &hc->sy.c, NULL));
  PetscCall(HGOptionsInt("-hc_ntrain", "Training examples (= hyperparameters; synthetic data)", "", hc->ntr, &hc->ntr, NULL));
  PetscCall(HGOptionsInt("-hc_nval", "Validation examples (synthetic data)", "", hc->nval, &hc->nval, NULL));
  PetscCall(HGOptionsInt("-hc_ntest", "Test examples (synthetic data; 0: none)", "", hc->ntest, &hc->ntest, NULL));
  PetscCall(HGOptionsInt("-hc_seed", "Random seed of the synthetic data", "", seed, &seed, NULL));
  PetscCall(PetscOptionsBool("-hc_sparse", "Sparse synthetic data (MPIAIJ)", "", hc->sparse, &hc->sparse, NULL));
  PetscCall(HGOptionsInt("-hc_nnz_per_row", "Nonzeros per row with -hc_sparse", "", hc->sy.nnz, &hc->sy.nnz, &nnzset));
  PetscCall(HGOptionsReal("-hc_noise", "Label noise of the synthetic teacher", "", hc->sy.noise, &hc->sy.noise, NULL));
  PetscCall(HGOptionsReal("-hc_alpha", "Weight alpha of alpha ||W||^2", "", hc->alpha, &hc->alpha, NULL));
  PetscCall(HGOptionsReal("-hc_fraction", "Fraction of training labels corrupted", "", hc->fraction, &hc->fraction, NULL));
  PetscCall(HGOptionsInt("-hc_corrupt_seed", "Seed of the corruption (default: -hc_seed)", "", cseed, &cseed, &csset));
  PetscCall(HGOptionsReal("-hc_theta0", "Initial theta (all examples; sigma(theta) is the weight)", "", hc->theta0, &hc->theta0, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(hc->sy.p > 0 && hc->ntr > 0 && hc->nval > 0 && hc->ntest >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-hc_p, -hc_ntrain and -hc_nval must be positive and -hc_ntest >= 0");
  PetscCheck(hc->sy.c >= 2, comm, PETSC_ERR_ARG_OUTOFRANGE, "-hc_c must be at least 2 classes; got %" PetscInt_FMT, hc->sy.c);
  PetscCheck(hc->alpha > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-hc_alpha must be positive (it makes the lower level strongly convex); got %g", (double)hc->alpha);
  PetscCheck(hc->fraction >= 0 && hc->fraction <= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-hc_fraction must be in [0, 1]; got %g", (double)hc->fraction);
  PetscCheck(hc->sy.noise >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-hc_noise must be >= 0; got %g", (double)hc->sy.noise);
  if (hc->sparse) {
    PetscCheck(hc->sy.nnz > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-hc_nnz_per_row must be positive; got %" PetscInt_FMT, hc->sy.nnz);
    PetscCheck(!nnzset || hc->sy.nnz <= hc->sy.p, comm, PETSC_ERR_ARG_OUTOFRANGE, "-hc_nnz_per_row (%" PetscInt_FMT ") cannot exceed the number of features -hc_p (%" PetscInt_FMT ")", hc->sy.nnz, hc->sy.p);
    hc->sy.nnz = PetscMin(hc->sy.nnz, hc->sy.p);
  }
  hc->sy.seed = seed;
  hc->cseed   = csset ? (PetscInt64)cseed : (PetscInt64)seed;
  PetscFunctionReturn(0);
}

static PetscErrorCode View(HGProblem prob, PetscViewer viewer)
{
  HC *hc = (HC *)prob->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "data hypercleaning: p = %" PetscInt_FMT " features, c = %" PetscInt_FMT " classes, %" PetscInt_FMT " train + %" PetscInt_FMT " validation + %" PetscInt_FMT " test (%s)\n", hc->sy.p, hc->sy.c, hc->ntr, hc->nval, hc->ntest, hc->fromdata ? "data files" : "synthetic"));
  PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " training labels corrupted (fraction %g, seed %" PetscInt64_FMT "), alpha = %g, ||X||_2^2 ~ %g\n", hc->ncorrupt, (double)hc->fraction, hc->cseed, (double)hc->alpha, (double)hc->normX2));
  PetscFunctionReturn(0);
}

static PetscErrorCode Destroy(HGProblem prob)
{
  HC *hc = (HC *)prob->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&hc->X));
  PetscCall(MatDestroy(&hc->Xv));
  PetscCall(MatDestroy(&hc->Xt));
  PetscCall(VecDestroy(&hc->y));
  PetscCall(VecDestroy(&hc->yv));
  PetscCall(VecDestroy(&hc->yt));
  PetscCall(VecDestroy(&hc->mask));
  PetscCall(HGClassOpDestroy(&hc->op));
  PetscCall(HGClassOpDestroy(&hc->opv));
  PetscCall(HGClassOpDestroy(&hc->opt));
  PetscCall(VecDestroy(&hc->Z));
  PetscCall(VecDestroy(&hc->P));
  PetscCall(VecDestroy(&hc->R));
  PetscCall(VecDestroy(&hc->U));
  PetscCall(VecDestroy(&hc->Zv));
  PetscCall(VecDestroy(&hc->Rv));
  PetscCall(VecDestroy(&hc->Zt));
  PetscCall(VecDestroy(&hc->s));
  PetscCall(PetscFree(prob->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGProblemCreate_HyperClean(HGProblem prob)
{
  HC *hc;

  PetscFunctionBegin;
  PetscCall(PetscNew(&hc));
  hc->sy.p = 50, hc->sy.c = 10, hc->sy.nnz = 10, hc->sy.noise = 0.5;
  hc->ntr = 500, hc->nval = 500, hc->ntest = 500;
  hc->alpha = 0.01, hc->fraction = 0.1;
  prob->data                = hc;
  prob->ops->setup          = SetUp;
  prob->ops->setfromoptions = SetFromOptions;
  prob->ops->view           = View;
  prob->ops->destroy        = Destroy;
  PetscFunctionReturn(0);
}
