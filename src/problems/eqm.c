/*MC
   HGPROBLEMEQM - an equilibrium model (Grazzi et al. 2020, 3.2 "Equilibrium Models", eq. 23)
   in the fixed-point form.  For each training example x_i in R^p the state w_i in R^h solves

     w_i = phi_i(w_i, lambda) = tanh(A w_i + B x_i + c),

   and a multiclass logistic classifier on the states is trained together with the dynamics:

     f(lambda) = E(w(lambda), lambda) = sum_i CE(W w_i + b, y_i),
     lambda = (A, B, c, W, b) in R^{h x h} x R^{h x p} x R^h x R^{C x h} x R^C,

   the cross-entropy CE(z, y) = log sum_k e^{z_k} - z_y summed (not averaged) over the training
   examples, as in the paper, where gamma = (A, B, c) are the parameters of the dynamics and
   theta = (W, b) those of the classifier.  The lower-level vector w stacks the states of all
   training examples (w_i at entries i h .. i h + h - 1; each rank holds the states of its own
   examples); lambda is one distributed Vec holding A, B, W column-major, in the order above.
   A, B and c are gathered on every rank (cached while lambda does not change), so Phi,
   d_w Phi^T v and d_w Phi u are local; d_lambda Phi^T v and grad_lambda E sum every rank's
   examples with one MPI_Reduce_scatter onto the layout of lambda.

   The Jacobian d_w phi_i = diag(1 - tanh^2) A is not symmetric: AID uses GMRES (the default)
   or CG on the normal equations (-hg_ksp_type cgne or lsqr: d_w Phi u is provided).  Since
   |tanh'| <= 1, Phi is a contraction with q = ||A||_2 when ||A||_2 < 1.  With -eqm_project
   (the default) the projection onto Lambda clips the singular values of A to [0, 1 - eps]
   (a dense SVD, LAPACK gesvd, of the h x h matrix on rank 0, broadcast), so every projected
   lambda gives a contraction; the contraction constant q of the problem is ||A||_2 of the
   initial lambda, updated to ||A||_2 of the result at every projection.

   Data.  Synthetic by default, seeded, identical on any number of ranks: label y_i uniform in
   0..C-1, x_i = s mu_{y_i} + N(0, I_p) with class means mu_k ~ N(0, I_p) and separation s
   (-eqm_separation); -eqm_n training, -eqm_nval validation and -eqm_ntest test examples.  Real data (MNIST, ...)
   through the data options of HGDataGetFromOptions() with the problem's prefix (-data_train,
   -data_test, -data, -data_split, -data_standardize, ...): the training part gives the states
   and E, the validation and test parts (when present) are used for accuracies only; the
   classes are the distinct labels of the training part.  Standardize raw pixel data
   (-data_standardize): B x must be O(1) for tanh not to saturate.

   The initial lambda (seeded by -eqm_init_seed, default -eqm_seed): A = 0.25 G / sqrt(h)
   (||A||_2 about 0.5), B = G / sqrt(p), W = G / sqrt(h) with G standard normal, c = b = 0;
   projected when -eqm_project.

   Accuracies: HGProblemEqmComputeAccuracy() (private to the library) gives the fraction of
   correctly classified training, validation or test examples; the states of the held-out
   examples are computed by the fixed-point iteration, warm-started from the previous call,
   to a relative change of -eqm_acc_rtol (max norm) or -eqm_acc_max_it iterations (without
   the projection Phi may not contract and the states are then those of the last iterate).  The
   validation and test accuracies are the problem's accuracy callback (HGProblemSetAccuracy(),
   HGProblemComputeAccuracy(); NaN for a set that is absent).

   Options: -eqm_h <200> state dimension, -eqm_n <500> training examples, -eqm_nval <0>, -eqm_ntest <500>,
            -eqm_p <50> input dimension, -eqm_classes <10>, -eqm_separation <0.5>,
            -eqm_seed <0>, -eqm_init_seed, -eqm_project <true>, -eqm_eps <0.05>,
            -eqm_acc_max_it <1000>, -eqm_acc_rtol <1e-10>
M*/
#include <hypergrad/hgimpl.h>
#include <petscblaslapack.h>

enum { STREAM_Y = 51, STREAM_X = 54, STREAM_MU = 57, STREAM_LAMBDA = 58 };
enum { SET_TRAIN = 0, SET_VAL = 1, SET_TEST = 2, NSETS = 3 };
static const char *const SetNames[] = {"training", "validation", "test"};

typedef struct {
  PetscInt     n, nloc; /* examples: global and on this rank (0 when the set is absent) */
  PetscScalar *X;       /* p x nloc, column major: this rank's inputs */
  PetscInt    *y;       /* class index 0..C-1 of each local example, -1 if not a training class */
  PetscScalar *W;       /* held-out sets: the last states computed (h x nloc), the next warm start */
} EqmSet;

typedef struct {
  PetscInt    h, p, C, nl;                /* sizes; nl = dim lambda */
  PetscInt    offA, offB, offc, offW, offb;
  PetscInt    ntrain, nval, ntest;         /* synthetic sizes from options */
  PetscInt64  seed, initseed;
  PetscReal   sep, eps, acc_rtol;
  PetscInt    acc_max_it;
  PetscBool   project, fromdata, setup;
  EqmSet      set[NSETS];
  /* lambda gathered on every rank, with U = B X + c 1^T of the training set */
  VecScatter       lsc;
  Vec              lall;
  PetscObjectId    l_id;
  const void      *l_ptr;
  PetscObjectState l_state;
  PetscBool        l_valid;
  PetscInt         l_version;
  PetscScalar     *U;
  /* S = 1 - tanh^2(A w + U), cached for the last (w, lambda) */
  PetscScalar     *S;
  PetscObjectId    s_id;
  const void      *s_ptr;
  PetscObjectState s_state;
  PetscInt         s_version;
  PetscBool        s_valid;
  /* work */
  PetscScalar *G, *L, *gfull;
  PetscMPIInt *counts;
  PetscReal    normA0, last_E, last_acc;
} Eqm;

/* ---- lambda on every rank ---- */
static PetscErrorCode KeyOf(Vec x, PetscObjectId *id, const void **ptr, PetscObjectState *state)
{
  PetscFunctionBegin;
  PetscCall(PetscObjectGetId((PetscObject)x, id));
  PetscCall(PetscObjectStateGet((PetscObject)x, state));
  *ptr = (const void *)x;
  PetscFunctionReturn(0);
}

/* U = B X + c 1^T for a set, from the gathered lambda la */
static PetscErrorCode Drive(Eqm *eq, const PetscScalar *la, EqmSet *s, PetscScalar *U)
{
  const PetscInt h = eq->h;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < s->nloc; i++)
    for (PetscInt r = 0; r < h; r++) U[r + i * h] = la[eq->offc + r];
  PetscCall(HGDenseGemm("N", "N", h, s->nloc, eq->p, 1.0, la + eq->offB, h, s->X, eq->p, 1.0, U, h));
  PetscFunctionReturn(0);
}

/* Gathers lambda on every rank and recomputes U, unless lambda is the one seen last */
static PetscErrorCode GatherLambda(Eqm *eq, Vec lambda, const PetscScalar **la)
{
  PetscObjectId    id;
  const void      *ptr;
  PetscObjectState state;

  PetscFunctionBegin;
  PetscCall(KeyOf(lambda, &id, &ptr, &state));
  if (!(eq->l_valid && id == eq->l_id && ptr == eq->l_ptr && state == eq->l_state)) {
    const PetscScalar *a;
    PetscCall(VecScatterBegin(eq->lsc, lambda, eq->lall, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(eq->lsc, lambda, eq->lall, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecGetArrayRead(eq->lall, &a));
    PetscCall(Drive(eq, a, &eq->set[SET_TRAIN], eq->U));
    PetscCall(VecRestoreArrayRead(eq->lall, &a));
    eq->l_id = id, eq->l_ptr = ptr, eq->l_state = state, eq->l_valid = PETSC_TRUE;
    eq->l_version++;
  }
  PetscCall(VecGetArrayRead(eq->lall, la));
  PetscFunctionReturn(0);
}

static PetscErrorCode RestoreLambda(Eqm *eq, const PetscScalar **la)
{
  PetscFunctionBegin;
  PetscCall(VecRestoreArrayRead(eq->lall, la));
  PetscFunctionReturn(0);
}

/* S = 1 - tanh^2(A w + U) at (w, lambda), cached */
static PetscErrorCode Slopes(Eqm *eq, Vec w, const PetscScalar *la)
{
  PetscObjectId      id;
  const void        *ptr;
  PetscObjectState   state;
  const PetscScalar *wa;
  const PetscInt     h = eq->h, m = h * eq->set[SET_TRAIN].nloc;

  PetscFunctionBegin;
  PetscCall(KeyOf(w, &id, &ptr, &state));
  if (eq->s_valid && id == eq->s_id && ptr == eq->s_ptr && state == eq->s_state && eq->s_version == eq->l_version) PetscFunctionReturn(0);
  PetscCall(PetscArraycpy(eq->S, eq->U, m));
  PetscCall(VecGetArrayRead(w, &wa));
  PetscCall(HGDenseGemm("N", "N", h, eq->set[SET_TRAIN].nloc, h, 1.0, la + eq->offA, h, wa, h, 1.0, eq->S, h));
  PetscCall(VecRestoreArrayRead(w, &wa));
  for (PetscInt k = 0; k < m; k++) {
    PetscReal t = PetscTanhReal(PetscRealPart(eq->S[k]));
    eq->S[k]    = 1.0 - t * t;
  }
  eq->s_id = id, eq->s_ptr = ptr, eq->s_state = state, eq->s_version = eq->l_version, eq->s_valid = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* out (lambda layout) = the sum over ranks of this rank's full-length gfull */
static PetscErrorCode ReduceToLambda(HGProblem prob, Eqm *eq, Vec out)
{
  PetscScalar *oa;
  PetscMPIInt  size;
  MPI_Comm     comm = PetscObjectComm((PetscObject)prob);

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(VecGetArrayWrite(out, &oa));
  if (size == 1) PetscCall(PetscArraycpy(oa, eq->gfull, eq->nl));
  else PetscCallMPI(MPI_Reduce_scatter(eq->gfull, oa, eq->counts, MPIU_SCALAR, MPIU_SUM, comm));
  PetscCall(VecRestoreArrayWrite(out, &oa));
  PetscFunctionReturn(0);
}

/* ---- the callbacks ---- */
static PetscErrorCode Map(HGProblem prob, Vec w, Vec lambda, Vec out, void *ctx)
{
  Eqm               *eq = (Eqm *)ctx;
  const PetscScalar *la, *wa;
  PetscScalar       *oa;
  const PetscInt     h = eq->h, nloc = eq->set[SET_TRAIN].nloc;

  PetscFunctionBegin;
  PetscCall(GatherLambda(eq, lambda, &la));
  PetscCall(VecGetArrayRead(w, &wa));
  PetscCall(VecGetArrayWrite(out, &oa));
  PetscCall(PetscArraycpy(oa, eq->U, h * nloc));
  PetscCall(HGDenseGemm("N", "N", h, nloc, h, 1.0, la + eq->offA, h, wa, h, 1.0, oa, h));
  for (PetscInt k = 0; k < h * nloc; k++) oa[k] = PetscTanhReal(PetscRealPart(oa[k]));
  PetscCall(VecRestoreArrayWrite(out, &oa));
  PetscCall(VecRestoreArrayRead(w, &wa));
  PetscCall(RestoreLambda(eq, &la));
  PetscFunctionReturn(0);
}

/* d_w Phi^T v: per example A^T (s_i .* v_i) */
static PetscErrorCode MapJacobianTransposeMult(HGProblem prob, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  Eqm               *eq = (Eqm *)ctx;
  const PetscScalar *la, *va;
  PetscScalar       *oa;
  const PetscInt     h = eq->h, nloc = eq->set[SET_TRAIN].nloc;

  PetscFunctionBegin;
  PetscCall(GatherLambda(eq, lambda, &la));
  PetscCall(Slopes(eq, w, la));
  PetscCall(VecGetArrayRead(v, &va));
  for (PetscInt k = 0; k < h * nloc; k++) eq->G[k] = eq->S[k] * va[k];
  PetscCall(VecRestoreArrayRead(v, &va));
  PetscCall(VecGetArrayWrite(out, &oa));
  PetscCall(HGDenseGemm("T", "N", h, nloc, h, 1.0, la + eq->offA, h, eq->G, h, 0.0, oa, h));
  PetscCall(VecRestoreArrayWrite(out, &oa));
  PetscCall(RestoreLambda(eq, &la));
  PetscFunctionReturn(0);
}

/* d_w Phi u: per example s_i .* (A u_i) */
static PetscErrorCode MapJacobianMult(HGProblem prob, Vec w, Vec lambda, Vec u, Vec out, void *ctx)
{
  Eqm               *eq = (Eqm *)ctx;
  const PetscScalar *la, *ua;
  PetscScalar       *oa;
  const PetscInt     h = eq->h, nloc = eq->set[SET_TRAIN].nloc;

  PetscFunctionBegin;
  PetscCall(GatherLambda(eq, lambda, &la));
  PetscCall(Slopes(eq, w, la));
  PetscCall(VecGetArrayRead(u, &ua));
  PetscCall(VecGetArrayWrite(out, &oa));
  PetscCall(HGDenseGemm("N", "N", h, nloc, h, 1.0, la + eq->offA, h, ua, h, 0.0, oa, h));
  for (PetscInt k = 0; k < h * nloc; k++) oa[k] *= eq->S[k];
  PetscCall(VecRestoreArrayWrite(out, &oa));
  PetscCall(VecRestoreArrayRead(u, &ua));
  PetscCall(RestoreLambda(eq, &la));
  PetscFunctionReturn(0);
}

/* d_lambda Phi^T v: with G = S .* V (h x nloc): dA = G W^T, dB = G X^T, dc = G 1, dW = db = 0 */
static PetscErrorCode MapParamJacobianTransposeMult(HGProblem prob, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  Eqm               *eq = (Eqm *)ctx;
  const PetscScalar *la, *va, *wa;
  EqmSet            *tr = &eq->set[SET_TRAIN];
  const PetscInt     h = eq->h, nloc = tr->nloc;

  PetscFunctionBegin;
  PetscCall(GatherLambda(eq, lambda, &la));
  PetscCall(Slopes(eq, w, la));
  PetscCall(VecGetArrayRead(v, &va));
  for (PetscInt k = 0; k < h * nloc; k++) eq->G[k] = eq->S[k] * va[k];
  PetscCall(VecRestoreArrayRead(v, &va));
  PetscCall(PetscArrayzero(eq->gfull, eq->nl));
  PetscCall(VecGetArrayRead(w, &wa));
  PetscCall(HGDenseGemm("N", "T", h, h, nloc, 1.0, eq->G, h, wa, h, 0.0, eq->gfull + eq->offA, h));
  PetscCall(VecRestoreArrayRead(w, &wa));
  PetscCall(HGDenseGemm("N", "T", h, eq->p, nloc, 1.0, eq->G, h, tr->X, eq->p, 0.0, eq->gfull + eq->offB, h));
  for (PetscInt i = 0; i < nloc; i++)
    for (PetscInt r = 0; r < h; r++) eq->gfull[eq->offc + r] += eq->G[r + i * h];
  PetscCall(RestoreLambda(eq, &la));
  PetscCall(ReduceToLambda(prob, eq, out));
  PetscFunctionReturn(0);
}

/* Logits L = W states + b (C x nloc) of nloc states */
static PetscErrorCode Logits(Eqm *eq, const PetscScalar *la, PetscInt nloc, const PetscScalar *states, PetscScalar *L)
{
  const PetscInt C = eq->C;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < nloc; i++)
    for (PetscInt k = 0; k < C; k++) L[k + i * C] = la[eq->offb + k];
  PetscCall(HGDenseGemm("N", "N", C, nloc, eq->h, 1.0, la + eq->offW, C, states, eq->h, 1.0, L, C));
  PetscFunctionReturn(0);
}

/* Cross-entropy summed over the columns of L, the number of correct argmax; with grad, L is
   overwritten by softmax(L) - onehot(y) */
static void CrossEntropy(PetscInt C, PetscInt nloc, PetscScalar *L, const PetscInt *y, PetscBool grad, PetscReal *ce, PetscReal *correct)
{
  *ce = 0, *correct = 0;
  for (PetscInt i = 0; i < nloc; i++) {
    PetscScalar *l = L + i * C;
    PetscReal    m = PetscRealPart(l[0]), z = 0;
    PetscInt     am = 0;
    for (PetscInt k = 1; k < C; k++)
      if (PetscRealPart(l[k]) > m) m = PetscRealPart(l[k]), am = k;
    for (PetscInt k = 0; k < C; k++) z += PetscExpReal(PetscRealPart(l[k]) - m);
    if (y[i] >= 0) *ce += m + PetscLogReal(z) - PetscRealPart(l[y[i]]);
    if (am == y[i]) *correct += 1;
    if (grad) {
      for (PetscInt k = 0; k < C; k++) l[k] = PetscExpReal(PetscRealPart(l[k]) - m) / z;
      if (y[i] >= 0) l[y[i]] -= 1.0;
    }
  }
}

static PetscErrorCode UpperObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *E, void *ctx)
{
  Eqm               *eq = (Eqm *)ctx;
  const PetscScalar *la, *wa;
  EqmSet            *tr = &eq->set[SET_TRAIN];
  PetscReal          loc[2], glob[2];

  PetscFunctionBegin;
  PetscCall(GatherLambda(eq, lambda, &la));
  PetscCall(VecGetArrayRead(w, &wa));
  PetscCall(Logits(eq, la, tr->nloc, wa, eq->L));
  PetscCall(VecRestoreArrayRead(w, &wa));
  PetscCall(RestoreLambda(eq, &la));
  CrossEntropy(eq->C, tr->nloc, eq->L, tr->y, PETSC_FALSE, &loc[0], &loc[1]);
  PetscCall(MPIU_Allreduce(loc, glob, 2, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)prob)));
  *E           = glob[0];
  eq->last_E   = glob[0];
  eq->last_acc = tr->n > 0 ? glob[1] / (PetscReal)tr->n : 0;
  PetscFunctionReturn(0);
}

/* grad_w E = W^T P per example; grad_lambda E: dW = P states^T, db = P 1, zero for A, B, c */
static PetscErrorCode UpperGradient(HGProblem prob, Vec w, Vec lambda, Vec gw, Vec gl, void *ctx)
{
  Eqm               *eq = (Eqm *)ctx;
  const PetscScalar *la, *wa;
  PetscScalar       *ga;
  EqmSet            *tr = &eq->set[SET_TRAIN];
  const PetscInt     C = eq->C, nloc = tr->nloc;
  PetscReal          ce, correct;

  PetscFunctionBegin;
  PetscCall(GatherLambda(eq, lambda, &la));
  PetscCall(VecGetArrayRead(w, &wa));
  PetscCall(Logits(eq, la, nloc, wa, eq->L));
  CrossEntropy(C, nloc, eq->L, tr->y, PETSC_TRUE, &ce, &correct);
  PetscCall(VecGetArrayWrite(gw, &ga));
  PetscCall(HGDenseGemm("T", "N", eq->h, nloc, C, 1.0, la + eq->offW, C, eq->L, C, 0.0, ga, eq->h));
  PetscCall(VecRestoreArrayWrite(gw, &ga));
  PetscCall(PetscArrayzero(eq->gfull, eq->nl));
  PetscCall(HGDenseGemm("N", "T", C, eq->h, nloc, 1.0, eq->L, C, wa, eq->h, 0.0, eq->gfull + eq->offW, C));
  for (PetscInt i = 0; i < nloc; i++)
    for (PetscInt k = 0; k < C; k++) eq->gfull[eq->offb + k] += eq->L[k + i * C];
  PetscCall(VecRestoreArrayRead(w, &wa));
  PetscCall(RestoreLambda(eq, &la));
  PetscCall(ReduceToLambda(prob, eq, gl));
  PetscFunctionReturn(0);
}

/* ---- projection: singular values of A clipped to [0, 1 - eps] ---- */

/* Singular values (descending) of the h x h column-major a, overwritten; with U, VT (h x h)
   also the singular vectors */
static PetscErrorCode DenseSVD(PetscInt h, PetscScalar *a, PetscReal *sv, PetscScalar *U, PetscScalar *VT)
{
  PetscBLASInt bh, lwork, info;
  PetscScalar *work, dummy = 0;

  PetscFunctionBegin;
  PetscCall(PetscBLASIntCast(h, &bh));
  lwork = 5 * bh + 64;
  PetscCall(PetscMalloc1(lwork, &work));
#if defined(PETSC_USE_COMPLEX)
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_SUP, "The eqm problem needs real scalars: configure PETSc without complex numbers");
#else
  {
    PetscBLASInt one = 1;
    if (U) PetscCallBLAS("LAPACKgesvd", LAPACKgesvd_("A", "A", &bh, &bh, a, &bh, sv, U, &bh, VT, &bh, work, &lwork, &info));
    else PetscCallBLAS("LAPACKgesvd", LAPACKgesvd_("N", "N", &bh, &bh, a, &bh, sv, &dummy, &one, &dummy, &one, work, &lwork, &info));
  }
#endif
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK gesvd failed on the %" PetscInt_FMT " x %" PetscInt_FMT " matrix A (info %d): A holds a NaN or Inf; lower the outer step", h, h, (int)info);
  PetscCall(PetscFree(work));
  PetscFunctionReturn(0);
}

/* Spectral norm of the A block of lambda (rank 0 computes, all get it); with clip > 0 the A
   block is replaced by its projection (singular values min(sigma, clip)) when ||A|| > clip */
static PetscErrorCode ProjectA(HGProblem prob, Eqm *eq, Vec lambda, PetscReal clip, PetscReal *normA, PetscReal *normAafter)
{
  MPI_Comm           comm = PetscObjectComm((PetscObject)prob);
  PetscMPIInt        rank;
  const PetscInt     h = eq->h, hh = h * h;
  PetscScalar       *a, *U = NULL, *VT = NULL;
  PetscReal         *sv, info[2] = {0, 0};
  const PetscScalar *la;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscMalloc2(hh, &a, h, &sv));
  PetscCall(GatherLambda(eq, lambda, &la));
  if (rank == 0) {
    PetscCall(PetscArraycpy(a, la + eq->offA, hh));
    if (clip > 0) PetscCall(PetscMalloc2(hh, &U, hh, &VT));
    PetscCall(DenseSVD(h, a, sv, U, VT));
    info[0] = sv[0];
    info[1] = sv[0];
    if (clip > 0 && sv[0] > clip) {
      /* A = U diag(min(sv, clip)) VT: scale the columns of U, then one product */
      for (PetscInt j = 0; j < h; j++) {
        PetscReal s = PetscMin(sv[j], clip);
        for (PetscInt i = 0; i < h; i++) U[i + j * h] *= s;
      }
      PetscCall(HGDenseGemm("N", "N", h, h, h, 1.0, U, h, VT, h, 0.0, a, h));
      info[1] = clip;
    }
    if (U) PetscCall(PetscFree2(U, VT));
  }
  PetscCall(RestoreLambda(eq, &la));
  PetscCallMPI(MPI_Bcast(info, 2, MPIU_REAL, 0, comm));
  if (clip > 0 && info[0] > clip) {
    PetscInt     lo, hi;
    PetscScalar *l;
    PetscMPIInt  mhh;
    PetscCall(PetscMPIIntCast(hh, &mhh));
    PetscCallMPI(MPI_Bcast(a, mhh, MPIU_SCALAR, 0, comm));
    PetscCall(VecGetOwnershipRange(lambda, &lo, &hi));
    PetscCall(VecGetArray(lambda, &l));
    for (PetscInt g = PetscMax(lo, eq->offA); g < PetscMin(hi, eq->offA + hh); g++) l[g - lo] = a[g - eq->offA];
    PetscCall(VecRestoreArray(lambda, &l));
  }
  PetscCall(PetscFree2(a, sv));
  if (normA) *normA = info[0];
  if (normAafter) *normAafter = info[1];
  PetscFunctionReturn(0);
}

static PetscErrorCode Projection(HGProblem prob, Vec lambda, void *ctx)
{
  Eqm      *eq = (Eqm *)ctx;
  PetscReal before, after;

  PetscFunctionBegin;
  PetscCall(ProjectA(prob, eq, lambda, 1.0 - eq->eps, &before, &after));
  PetscCall(PetscInfo(prob, "eqm projection: ||A||_2 = %g -> %g\n", (double)before, (double)after));
  PetscCall(HGProblemSetMapContraction(prob, after));
  PetscFunctionReturn(0);
}

/* ---- accuracy ---- */

/* The states of a held-out set by the fixed-point iteration (local: examples are independent),
   warm-started from the states of the previous call, to a relative change of acc_rtol in the
   max norm or acc_max_it iterations */
static PetscErrorCode HeldOutStates(Eqm *eq, const PetscScalar *la, EqmSet *s)
{
  const PetscInt h = eq->h, m = h * s->nloc;
  PetscScalar   *U, *Wn, *W;

  PetscFunctionBegin;
  if (!s->W) PetscCall(PetscCalloc1(m, &s->W));
  W = s->W;
  PetscCall(PetscMalloc2(m, &U, m, &Wn));
  PetscCall(Drive(eq, la, s, U));
  for (PetscInt it = 0; it < eq->acc_max_it; it++) {
    PetscReal dmax = 0, wmax = 0;
    PetscCall(PetscArraycpy(Wn, U, m));
    PetscCall(HGDenseGemm("N", "N", h, s->nloc, h, 1.0, la + eq->offA, h, W, h, 1.0, Wn, h));
    for (PetscInt k = 0; k < m; k++) {
      PetscReal t = PetscTanhReal(PetscRealPart(Wn[k]));
      dmax        = PetscMax(dmax, PetscAbsReal(t - PetscRealPart(W[k])));
      wmax        = PetscMax(wmax, PetscAbsReal(t));
      W[k]        = t;
    }
    if (dmax <= eq->acc_rtol * PetscMax(wmax, 1e-300)) break;
  }
  PetscCall(PetscFree2(U, Wn));
  PetscFunctionReturn(0);
}

/*
  HGProblemEqmComputeAccuracy - fraction of correctly classified examples (argmax of the
  logits W w_i + b equal to the label) of an eqm problem, for the training set (set 0, from
  the states w, e.g. the lower-level solution; the fixed point is computed when w is NULL), the
  validation set (1) or the test set (2) (their states by the fixed-point iteration,
  warm-started from those of the previous call, to a relative change of -eqm_acc_rtol, at most
  -eqm_acc_max_it iterations).  acc = NaN when the set is absent.

  Collective.  Private to the library (declared where it is used); the validation and test
  accuracies are also the problem's public accuracy callback (HGProblemComputeAccuracy()).
*/
PETSC_INTERN PetscErrorCode HGProblemEqmComputeAccuracy(HGProblem prob, Vec lambda, Vec w, PetscInt which, PetscReal *acc)
{
  Eqm               *eq;
  PetscBool          iseqm;
  const PetscScalar *la, *wa = NULL;
  PetscBool          fromw = PETSC_FALSE;
  EqmSet            *s;
  PetscReal          ce, loc, correct = 0;
  MPI_Comm           comm = PetscObjectComm((PetscObject)prob);

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)prob, HGPROBLEMEQM, &iseqm));
  PetscCheck(iseqm, comm, PETSC_ERR_ARG_WRONG, "Accuracy is defined for the eqm problem only; this problem is %s", ((PetscObject)prob)->type_name);
  PetscCheck(which >= 0 && which < NSETS, comm, PETSC_ERR_ARG_OUTOFRANGE, "Data set %" PetscInt_FMT " does not exist: use 0 (training), 1 (validation) or 2 (test)", which);
  PetscCall(HGProblemSetUp(prob));
  PetscCall(HGProblemCheckVec(prob, lambda, PETSC_TRUE, "lambda"));
  eq = (Eqm *)prob->data;
  s  = &eq->set[which];
  if (s->n == 0) {
    *acc = (PetscReal)NAN;
    PetscFunctionReturn(0);
  }
  PetscCall(GatherLambda(eq, lambda, &la));
  if (which == SET_TRAIN && w) {
    PetscCall(HGProblemCheckVec(prob, w, PETSC_FALSE, "w"));
    PetscCall(VecGetArrayRead(w, &wa));
    fromw = PETSC_TRUE;
  } else {
    PetscCall(HeldOutStates(eq, la, s));
    wa = s->W;
  }
  {
    PetscScalar *L;
    PetscCall(PetscMalloc1(eq->C * s->nloc, &L));
    PetscCall(Logits(eq, la, s->nloc, wa, L));
    CrossEntropy(eq->C, s->nloc, L, s->y, PETSC_FALSE, &ce, &loc);
    PetscCall(PetscFree(L));
  }
  if (fromw) PetscCall(VecRestoreArrayRead(w, &wa));
  PetscCall(RestoreLambda(eq, &la));
  PetscCall(MPIU_Allreduce(&loc, &correct, 1, MPIU_REAL, MPIU_SUM, comm));
  *acc = correct / (PetscReal)s->n;
  PetscFunctionReturn(0);
}

/* The accuracy callback of HGProblemSetAccuracy(): validation and test sets (NaN when absent) */
static PetscErrorCode Accuracy(HGProblem prob, Vec w, Vec lambda, PetscReal *val, PetscReal *test, void *ctx)
{
  PetscFunctionBegin;
  PetscCall(HGProblemEqmComputeAccuracy(prob, lambda, w, SET_VAL, val));
  PetscCall(HGProblemEqmComputeAccuracy(prob, lambda, w, SET_TEST, test));
  PetscFunctionReturn(0);
}

/* ---- data ---- */

/* Synthetic set: label uniform in 0..C-1, x = sep mu_y + N(0, I) on this rank's examples */
static PetscErrorCode SyntheticSet(Eqm *eq, MPI_Comm comm, PetscInt which, PetscInt n, EqmSet *s)
{
  PetscInt lo = 0, nloc = PETSC_DECIDE, N = n;

  PetscFunctionBegin;
  s->n = n;
  PetscCall(PetscSplitOwnership(comm, &nloc, &N));
  PetscCallMPI(MPI_Scan(&nloc, &lo, 1, MPIU_INT, MPI_SUM, comm));
  lo -= nloc;
  s->nloc = nloc;
  PetscCall(PetscMalloc2(eq->p * nloc, &s->X, nloc, &s->y));
  for (PetscInt i = 0; i < nloc; i++) {
    PetscInt64 g = lo + i;
    PetscInt   y = (PetscInt)(HGHashUniform(eq->seed, STREAM_Y + which, g) * (PetscReal)eq->C);
    if (y >= eq->C) y = eq->C - 1;
    s->y[i] = y;
    for (PetscInt j = 0; j < eq->p; j++) s->X[j + i * eq->p] = eq->sep * HGHashNormal(eq->seed, STREAM_MU, (PetscInt64)y * eq->p + j) + HGHashNormal(eq->seed, STREAM_X + which, g * eq->p + j);
  }
  PetscFunctionReturn(0);
}

/* A loaded set: this rank's rows of X as columns, labels as indices into the training classes */
static PetscErrorCode DataSet(Eqm *eq, HGData *d, const char *name, PetscInt nclasses, const PetscReal *classes, EqmSet *s)
{
  PetscInt           lo, hi, ncols;
  const PetscInt    *cols;
  const PetscScalar *vals, *ya;

  PetscFunctionBegin;
  s->n = d->nsamples;
  if (!d->X || d->nsamples == 0) PetscFunctionReturn(0);
  PetscCheck(d->nfeatures == eq->p, PetscObjectComm((PetscObject)d->X), PETSC_ERR_ARG_SIZ, "The %s data have %" PetscInt_FMT " features but the training data have %" PetscInt_FMT ": give files with the same features (for LIBSVM, -data_nfeatures)", name, d->nfeatures, eq->p);
  PetscCall(MatGetOwnershipRange(d->X, &lo, &hi));
  s->nloc = hi - lo;
  PetscCall(PetscMalloc2(eq->p * s->nloc, &s->X, s->nloc, &s->y));
  PetscCall(PetscArrayzero(s->X, eq->p * s->nloc));
  for (PetscInt i = lo; i < hi; i++) {
    PetscCall(MatGetRow(d->X, i, &ncols, &cols, &vals));
    for (PetscInt k = 0; k < ncols; k++) s->X[cols[k] + (i - lo) * eq->p] = vals[k];
    PetscCall(MatRestoreRow(d->X, i, &ncols, &cols, &vals));
  }
  PetscCall(VecGetArrayRead(d->y, &ya));
  for (PetscInt i = 0; i < s->nloc; i++) {
    PetscReal v = PetscRealPart(ya[i]);
    PetscInt  a = 0, b = nclasses - 1;
    s->y[i] = -1;
    while (a <= b) {
      PetscInt m = (a + b) / 2;
      if (classes[m] == v) {
        s->y[i] = m;
        break;
      } else if (classes[m] < v) a = m + 1;
      else b = m - 1;
    }
  }
  PetscCall(VecRestoreArrayRead(d->y, &ya));
  PetscFunctionReturn(0);
}

static PetscErrorCode LoadData(HGProblem prob, Eqm *eq, PetscBool *found)
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)prob);
  HGData      d[NSETS];
  PetscInt    nclasses;
  PetscReal  *classes;
  const char *prefix;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(d, sizeof(d)));
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)prob, &prefix));
  PetscCall(HGDataGetFromOptions(comm, prefix, found, &d[SET_TRAIN], &d[SET_VAL], &d[SET_TEST]));
  PetscCall(HGProblemSetDataFingerprint(prob, &d[SET_TRAIN], &d[SET_VAL], &d[SET_TEST])); /* run files refuse other data */
  if (!*found) PetscFunctionReturn(0);
  PetscCheck(d[SET_TRAIN].X && d[SET_TRAIN].nsamples > 0, comm, PETSC_ERR_ARG_WRONG, "The eqm problem got data options but no training examples: give -data_train FILE or -data FILE");
  PetscCall(HGDataGetClasses(&d[SET_TRAIN], &nclasses, &classes));
  PetscCheck(nclasses >= 2 && nclasses <= 1000, comm, PETSC_ERR_ARG_WRONG, "The eqm problem classifies: the training labels must be integer class values, 2 to 1000 distinct ones; got %" PetscInt_FMT " classes", nclasses);
  eq->C = nclasses;
  eq->p = d[SET_TRAIN].nfeatures;
  for (PetscInt k = 0; k < NSETS; k++) PetscCall(DataSet(eq, &d[k], SetNames[k], nclasses, classes, &eq->set[k]));
  PetscCall(PetscFree(classes));
  for (PetscInt k = 0; k < NSETS; k++) PetscCall(HGDataDestroy(&d[k]));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUp(HGProblem prob)
{
  Eqm        *eq   = (Eqm *)prob->data;
  MPI_Comm    comm = PetscObjectComm((PetscObject)prob);
  Vec         w, lambda;
  PetscInt    h, lo, hi, nloc;
  PetscMPIInt size;
  PetscBool   found = PETSC_FALSE;
  PetscReal   after;

  PetscFunctionBegin;
  if (eq->setup) PetscFunctionReturn(0);
  PetscCall(LoadData(prob, eq, &found));
  eq->fromdata = found;
  if (!found) {
    PetscCall(SyntheticSet(eq, comm, SET_TRAIN, eq->ntrain, &eq->set[SET_TRAIN]));
    if (eq->nval > 0) PetscCall(SyntheticSet(eq, comm, SET_VAL, eq->nval, &eq->set[SET_VAL]));
    if (eq->ntest > 0) PetscCall(SyntheticSet(eq, comm, SET_TEST, eq->ntest, &eq->set[SET_TEST]));
  }
  h    = eq->h;
  nloc = eq->set[SET_TRAIN].nloc;
  eq->offA = 0;
  eq->offB = eq->offA + h * h;
  eq->offc = eq->offB + h * eq->p;
  eq->offW = eq->offc + h;
  eq->offb = eq->offW + eq->C * h;
  eq->nl   = eq->offb + eq->C;
  PetscCall(VecCreateMPI(comm, h * nloc, PETSC_DETERMINE, &w));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, eq->nl, &lambda));
  PetscCall(VecScatterCreateToAll(lambda, &eq->lsc, &eq->lall));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscMalloc1(size, &eq->counts));
  {
    const PetscInt *ranges;
    PetscCall(VecGetOwnershipRanges(lambda, &ranges));
    for (PetscMPIInt r = 0; r < size; r++) PetscCall(PetscMPIIntCast(ranges[r + 1] - ranges[r], &eq->counts[r]));
  }
  PetscCall(PetscMalloc5(h * nloc, &eq->U, h * nloc, &eq->S, h * nloc, &eq->G, eq->C * nloc, &eq->L, eq->nl, &eq->gfull));
  /* initial lambda: N(0,1) by global index, scaled block by block */
  PetscCall(HGVecSetHashNormal(lambda, eq->initseed, STREAM_LAMBDA));
  PetscCall(VecGetOwnershipRange(lambda, &lo, &hi));
  {
    PetscScalar *l;
    PetscCall(VecGetArray(lambda, &l));
    for (PetscInt g = lo; g < hi; g++) {
      PetscReal s;
      if (g < eq->offB) s = 0.25 / PetscSqrtReal((PetscReal)h);
      else if (g < eq->offc) s = 1.0 / PetscSqrtReal((PetscReal)eq->p);
      else if (g < eq->offW) s = 0.0;
      else if (g < eq->offb) s = 1.0 / PetscSqrtReal((PetscReal)h);
      else s = 0.0;
      l[g - lo] *= s;
    }
    PetscCall(VecRestoreArray(lambda, &l));
  }
  eq->setup = PETSC_TRUE;
  PetscCall(ProjectA(prob, eq, lambda, eq->project ? 1.0 - eq->eps : 0.0, &eq->normA0, &after));
  PetscCall(HGProblemSetVecTemplates(prob, w, lambda));
  PetscCall(HGProblemSetInitialHyperparameters(prob, lambda));
  PetscCall(HGProblemSetContext(prob, eq, NULL));
  PetscCall(HGProblemSetMap(prob, Map));
  PetscCall(HGProblemSetMapJacobianTransposeMult(prob, MapJacobianTransposeMult));
  PetscCall(HGProblemSetMapJacobianMult(prob, MapJacobianMult));
  PetscCall(HGProblemSetMapParamJacobianTransposeMult(prob, MapParamJacobianTransposeMult));
  PetscCall(HGProblemSetUpperObjective(prob, UpperObjective));
  PetscCall(HGProblemSetUpperGradient(prob, UpperGradient));
  PetscCall(HGProblemSetSymmetric(prob, PETSC_FALSE));
  if (eq->project) PetscCall(HGProblemSetProjection(prob, Projection));
  PetscCall(HGProblemSetAccuracy(prob, Accuracy));
  if (after < 1) PetscCall(HGProblemSetMapContraction(prob, after));
  else PetscCall(PetscInfo(prob, "eqm: ||A||_2 = %g >= 1 at the initial lambda: the contraction constant is unknown\n", (double)after));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetFromOptions(HGProblem prob, PetscOptionItems *PetscOptionsObject)
{
  Eqm      *eq   = (Eqm *)prob->data;
  PetscInt  seed = (PetscInt)eq->seed, iseed = -1;
  MPI_Comm  comm = PetscObjectComm((PetscObject)prob);
  PetscBool iset;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Equilibrium model w_i = tanh(A w_i + B x_i + c) with a logistic classifier (Grazzi et al. 3.2)");
  PetscCall(HGOptionsInt("-eqm_h", "State dimension h", "", eq->h, &eq->h, NULL));
  PetscCall(HGOptionsInt("-eqm_n", "Training examples (synthetic data)", "", eq->ntrain, &eq->ntrain, NULL));
  PetscCall(HGOptionsInt("-eqm_nval", "Validation examples, for accuracy only (synthetic data; 0: none)", "", eq->nval, &eq->nval, NULL));
  PetscCall(HGOptionsInt("-eqm_ntest", "Test examples, for accuracy only (synthetic data; 0: none)", "", eq->ntest, &eq->ntest, NULL));
  PetscCall(HGOptionsInt("-eqm_p", "Input dimension (synthetic data)", "", eq->p, &eq->p, NULL));
  PetscCall(HGOptionsInt("-eqm_classes", "Number of classes (synthetic data)", "", eq->C, &eq->C, NULL));
  PetscCall(HGOptionsReal("-eqm_separation", "Distance scale of the class means (synthetic data)", "", eq->sep, &eq->sep, NULL));
  PetscCall(HGOptionsInt("-eqm_seed", "Random seed of the synthetic data and of the initial lambda", "", seed, &seed, NULL));
  PetscCall(HGOptionsInt("-eqm_init_seed", "Random seed of the initial lambda (default: -eqm_seed)", "", iseed, &iseed, &iset));
  PetscCall(PetscOptionsBool("-eqm_project", "Project the singular values of A onto [0, 1 - eps] (keeps Phi a contraction)", "", eq->project, &eq->project, NULL));
  PetscCall(HGOptionsReal("-eqm_eps", "Margin eps of the projection: ||A||_2 <= 1 - eps", "", eq->eps, &eq->eps, NULL));
  PetscCall(HGOptionsInt("-eqm_acc_max_it", "Fixed-point iterations at most for the states of the validation and test examples (accuracy)", "", eq->acc_max_it, &eq->acc_max_it, NULL));
  PetscCall(HGOptionsReal("-eqm_acc_rtol", "Relative change (max norm) at which the held-out states are converged", "", eq->acc_rtol, &eq->acc_rtol, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(eq->h > 0 && eq->ntrain > 0 && eq->p > 0 && eq->nval >= 0 && eq->ntest >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-eqm_h, -eqm_n and -eqm_p must be positive, -eqm_nval and -eqm_ntest >= 0; got %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT, eq->h, eq->ntrain, eq->p, eq->nval, eq->ntest);
  PetscCheck(eq->C >= 2, comm, PETSC_ERR_ARG_OUTOFRANGE, "-eqm_classes must be at least 2; got %" PetscInt_FMT, eq->C);
  PetscCheck(eq->eps > 0 && eq->eps < 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-eqm_eps must lie in (0,1) so that 1 - eps is a contraction constant; got %g", (double)eq->eps);
  PetscCheck(eq->acc_max_it >= 1 && eq->acc_rtol >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-eqm_acc_max_it must be >= 1 and -eqm_acc_rtol >= 0; got %" PetscInt_FMT " and %g", eq->acc_max_it, (double)eq->acc_rtol);
  PetscCheck(eq->sep >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-eqm_separation must be >= 0; got %g", (double)eq->sep);
  PetscCheck(seed >= 0 && (!iset || iseed >= 0), comm, PETSC_ERR_ARG_OUTOFRANGE, "-eqm_seed and -eqm_init_seed must be >= 0");
  eq->seed     = seed;
  eq->initseed = iset ? iseed : seed;
  PetscFunctionReturn(0);
}

static PetscErrorCode View(HGProblem prob, PetscViewer viewer)
{
  Eqm *eq = (Eqm *)prob->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "equilibrium model w_i = tanh(A w_i + B x_i + c), classifier W w_i + b: h = %" PetscInt_FMT ", p = %" PetscInt_FMT ", %" PetscInt_FMT " classes\n", eq->h, eq->p, eq->C));
  if (!eq->setup) PetscFunctionReturn(0);
  if (eq->fromdata) PetscCall(PetscViewerASCIIPrintf(viewer, "data from files: %" PetscInt_FMT " training, %" PetscInt_FMT " validation, %" PetscInt_FMT " test examples\n", eq->set[SET_TRAIN].n, eq->set[SET_VAL].n, eq->set[SET_TEST].n));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "synthetic data (seed %" PetscInt64_FMT ", separation %g): %" PetscInt_FMT " training, %" PetscInt_FMT " validation, %" PetscInt_FMT " test examples\n", eq->seed, (double)eq->sep, eq->set[SET_TRAIN].n, eq->set[SET_VAL].n, eq->set[SET_TEST].n));
  PetscCall(PetscViewerASCIIPrintf(viewer, "lambda = (A, B, c, W, b): %" PetscInt_FMT " entries; ||A||_2 = %g at the initial lambda (seed %" PetscInt64_FMT ")\n", eq->nl, (double)eq->normA0, eq->initseed));
  if (eq->project) PetscCall(PetscViewerASCIIPrintf(viewer, "projection: singular values of A clipped to [0, %g]\n", (double)(1.0 - eq->eps)));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "no projection (-eqm_project 0): Phi is a contraction only while ||A||_2 < 1\n"));
  if (prob->nupper > 0) PetscCall(PetscViewerASCIIPrintf(viewer, "last upper evaluation: E = %g, training accuracy %.4f\n", (double)eq->last_E, (double)eq->last_acc));
  PetscFunctionReturn(0);
}

static PetscErrorCode Destroy(HGProblem prob)
{
  Eqm *eq = (Eqm *)prob->data;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < NSETS; k++) {
    PetscCall(PetscFree2(eq->set[k].X, eq->set[k].y));
    PetscCall(PetscFree(eq->set[k].W));
  }
  PetscCall(VecScatterDestroy(&eq->lsc));
  PetscCall(VecDestroy(&eq->lall));
  PetscCall(PetscFree5(eq->U, eq->S, eq->G, eq->L, eq->gfull));
  PetscCall(PetscFree(eq->counts));
  PetscCall(PetscFree(prob->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGProblemCreate_Eqm(HGProblem prob)
{
  Eqm *eq;

  PetscFunctionBegin;
  PetscCall(PetscNew(&eq));
  eq->h = 200, eq->p = 50, eq->C = 10, eq->ntrain = 500, eq->ntest = 500;
  eq->sep = 0.5, eq->eps = 0.05, eq->project = PETSC_TRUE;
  eq->acc_max_it = 1000, eq->acc_rtol = 1e-10;
  prob->data                = eq;
  prob->ops->setup          = SetUp;
  prob->ops->setfromoptions = SetFromOptions;
  prob->ops->view           = View;
  prob->ops->destroy        = Destroy;
  PetscFunctionReturn(0);
}
