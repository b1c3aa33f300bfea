/*MC
   HGMULTI - the hypergradient of a problem of type multi (HGPROBLEMMULTI): one HG per
   instance, on the instance's sub-communicator, h = sum_i c_i h_i

   Each sub-communicator computes the hypergradients of its instances one after the other
   (every HG with its own lower solver, adjoint solver and warm starts), sums c_i h_i in
   instance order, and the sums of the sub-communicators are added in their order onto
   lambda's layout on the whole communicator: with the same ranks and sub-communicators the
   result is bitwise reproducible; on other layouts it differs by rounding only.

   The lower-level and adjoint solutions of the HG are the stacked vectors (w_0, ..., w_{n-1})
   and (v_0, ..., v_{n-1}) in instance order; HGSetLowerInitialGuess() and
   HGSetAdjointInitialGuess() with them warm-start every instance (what HGOuter does between
   outer steps). HGGetInfo() aggregates: lower_its and adjoint_its are the totals over the
   instances, lower_residual and adjoint_residual the largest, reason the worst, times the
   longest sub-communicator's, upper_objective sum_i c_i E_i, bound_aposteriori (and
   bound_apriori) sum_i |c_i| bound_i (-1 when one instance has none), lower_error_bound the
   norm of the stacked bound.

   Mini-batches (HGMultiSetBatch()): each hypergradient uses B of the n instances, drawn
   without replacement by a seeded, layout-independent generator (the B smallest of
   HGHashUniform(seed, draw, i), i = 0 .. n-1), with weights n/B c_i (an unbiased estimate
   of the full hypergradient); the others are not solved and keep their warm starts.  The
   draw number counts the hypergradients computed; hgrun sets it to the outer iteration when
   it resumes a run, so a resumed run with one hypergradient per iteration (gd, nesterov)
   draws the same batches as an uninterrupted one.  -outer_type adaptive refuses mini-batches (its
   line search compares two evaluations, which a batch makes two different random functions).

   Tolerances: HGSetAdjointTolerances() on the multi HG sets those of every instance; the outer
   loops' tolerances (-outer_tol_schedule, -outer_type adaptive) reach every instance's lower and
   adjoint solves.  HGTestHypergradient() (-hg_test_hypergradient) differentiates
   sum_i c_i E_i with every instance converged (over the last draw, with its weights, for a
   mini-batch).  The multi HG has no lower solver of its own: only the stacked w and v exist.

   Options Database Keys:
+  -hg_multi_batch <B>        - instances per hypergradient (default: all)
.  -hg_multi_batch_seed <s>   - seed of the draws (default 0)
-  -sub_hg_type, -sub_hg_ksp_type, -sub_lower_type, -sub_lower_max_it, ... - the method of each instance
   (every HG option with the prefix sub_)

   Level: intermediate

.seealso: HGPROBLEMMULTI, HGMultiGetSubHG(), HGMultiSetBatch(), PCBJACOBI
M*/
#include "multiimpl.h"

typedef struct {
  HG        *sub;      /* one per local instance, on the sub-communicator */
  Vec        hsum, hj; /* lambda on the sub-communicator */
  PetscInt   batch;    /* B; 0: every instance */
  PetscInt64 seed, counter;
  PetscInt  *drawn;    /* the instances of the last draw, increasing */
  PetscInt   ndrawn;
  PetscBool *active;
  PetscReal  adj_rtol, adj_atol; /* HGSetAdjointTolerances() on the multi HG: given to every instance */
  PetscBool  adj_set;
  PetscReal  ef;       /* sum_i |c_i| (||grad_w E_i|| e_i + eta_w,i e_i^2/2) of the last hypergradient (-1: unknown) */
} HG_Multi;

static PetscErrorCode HGMultiGetData(HG hg, HG_Multi **mh)
{
  PetscBool ismulti;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(hg, HG_CLASSID, 1);
  PetscCall(PetscObjectTypeCompare((PetscObject)hg, HGMULTI, &ismulti));
  PetscCheck(ismulti, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_WRONG, "This function needs an HG of type multi (-hg_type multi)");
  *mh = (HG_Multi *)hg->data;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGSetUp_Multi(HG hg)
{
  HG_Multi        *mh = (HG_Multi *)hg->data;
  HGProblem_Multi *m;
  PetscBool        ismulti;
  const char      *prefix;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)hg->problem, HGPROBLEMMULTI, &ismulti));
  PetscCheck(ismulti, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_WRONG, "-hg_type multi needs a problem of type multi (-problem multi -sub_problem <type>, or HGPROBLEMMULTI with an instance callback)");
  m = (HGProblem_Multi *)hg->problem->data;
  PetscCheck(mh->batch <= m->n, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_OUTOFRANGE, "-hg_multi_batch %" PetscInt_FMT " exceeds the number of instances -multi_n %" PetscInt_FMT ": give 1 <= B <= %" PetscInt_FMT " (or omit it to use every instance)", mh->batch, m->n, m->n);
  if (mh->sub) PetscFunctionReturn(0);
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)hg, &prefix));
  PetscCall(PetscMalloc1(m->nloc, &mh->sub));
  for (PetscInt j = 0; j < m->nloc; j++) {
    char p[256] = "";
    if (prefix) PetscCall(PetscStrncpy(p, prefix, sizeof(p)));
    PetscCall(PetscStrlcat(p, "sub_", sizeof(p)));
    PetscCall(HGCreate(m->subcomm, &mh->sub[j]));
    PetscCall(HGSetOptionsPrefix(mh->sub[j], p));
    PetscCall(HGSetProblem(mh->sub[j], m->inst[j]));
    PetscCall(HGSetFromOptions(mh->sub[j]));
    /* an instance that fails must not raise an error on its sub-communicator alone (the others
       would wait in the reduction): it reports its reason, and the worst reason of all decides
       on the whole communicator, by the setting of the multi HG */
    PetscCall(HGSetErrorIfNotConverged(mh->sub[j], PETSC_FALSE));
    if (mh->adj_set) PetscCall(HGSetAdjointTolerances(mh->sub[j], mh->adj_rtol, mh->adj_atol));
    PetscCall(PetscObjectTypeCompare((PetscObject)mh->sub[j], HGMULTI, &ismulti));
    PetscCheck(!ismulti, m->subcomm, PETSC_ERR_ARG_WRONG, "-sub_hg_type multi: the method of an instance cannot be multi; choose aid, itd or iad");
    PetscCall(HGSetUp(mh->sub[j]));
  }
  PetscCall(VecDuplicate(m->lsub, &mh->hsum));
  PetscCall(VecDuplicate(m->lsub, &mh->hj));
  PetscCall(PetscCalloc2(m->n, &mh->drawn, m->n, &mh->active));
  PetscFunctionReturn(0);
}

/* The instances of draw number k: the B smallest hashes (ties: the smaller index) */
static PetscErrorCode Draw(HG_Multi *mh, PetscInt n, PetscInt64 k)
{
  PetscReal *u;
  PetscInt  *idx;

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(n, &u, n, &idx));
  for (PetscInt i = 0; i < n; i++) {
    u[i]   = HGHashUniform(mh->seed, 1000 + k, i);
    idx[i] = i;
  }
  PetscCall(PetscSortRealWithArrayInt(n, u, idx));
  mh->ndrawn = mh->batch;
  for (PetscInt i = 0; i < n; i++) mh->active[i] = PETSC_FALSE;
  for (PetscInt b = 0; b < mh->batch; b++) {
    mh->drawn[b]          = idx[b];
    mh->active[idx[b]] = PETSC_TRUE;
  }
  PetscCall(PetscSortInt(mh->ndrawn, mh->drawn));
  PetscCall(PetscFree2(u, idx));
  PetscFunctionReturn(0);
}

enum { R_LITS, R_AITS, R_LRES, R_ARES, R_REASON, R_LREASON, R_KREASON, R_TL, R_TA, R_BMISS, R_BSUM, R_AMISS, R_ASUM, R_LERR2, R_LMISS, R_E, R_EF, R_EFMISS, R_EST, R_N = R_EST + 7 };

static PetscErrorCode HGCompute_Multi(HG hg, Vec lambda, Vec h)
{
  HG_Multi        *mh   = (HG_Multi *)hg->data;
  HGProblem        prob = hg->problem;
  HGProblem_Multi *m    = (HGProblem_Multi *)prob->data;
  PetscReal        scale = 1.0, loc[R_N], out[R_N];
  MPI_Op           ops[R_N];
  Vec              w, v;

  PetscFunctionBegin;
  if (mh->batch > 0 && mh->batch < m->n) {
    PetscCall(Draw(mh, m->n, mh->counter));
    mh->counter++;
    scale = (PetscReal)m->n / (PetscReal)mh->batch;
    PetscCall(HGProblemMultiSetActive(prob, mh->active, scale));
  } else {
    mh->ndrawn = m->n;
    for (PetscInt i = 0; i < m->n; i++) mh->drawn[i] = i;
    PetscCall(HGProblemMultiSetActive(prob, NULL, 1.0));
  }
  if (!hg->w0_given) PetscCall(VecSet(hg->w, 0.0));
  if (!hg->v0_given) PetscCall(VecSet(hg->v, 0.0));
  PetscCall(HGProblemMultiLambdaToSub(prob, lambda, m->lsub));
  PetscCall(VecSet(mh->hsum, 0.0));
  for (PetscInt k = 0; k < R_N; k++) {
    loc[k] = 0;
    ops[k] = MPI_SUM;
  }
  ops[R_LRES] = ops[R_ARES] = ops[R_TL] = ops[R_TA] = ops[R_BMISS] = ops[R_AMISS] = ops[R_LMISS] = ops[R_EFMISS] = MPI_MAX;
  ops[R_REASON] = ops[R_LREASON] = ops[R_KREASON] = MPI_MIN;
  for (PetscInt b = 0; b < 7; b++) ops[R_EST + b] = MPI_MAX;
  loc[R_REASON] = loc[R_LREASON] = loc[R_KREASON] = PETSC_MAX_REAL;
  for (PetscInt j = 0; j < m->nloc; j++) {
    HGInfo    si;
    PetscReal c = scale * m->c[j];

    if (!m->active[m->first + j]) continue;
    if (hg->w0_given) {
      PetscCall(HGProblemMultiStackedToInstance(prob, hg->w, j, m->wn[j]));
      PetscCall(HGSetLowerInitialGuess(mh->sub[j], m->wn[j]));
    }
    if (hg->v0_given) {
      PetscCall(HGProblemMultiStackedToInstance(prob, hg->v, j, m->wn[j]));
      PetscCall(HGSetAdjointInitialGuess(mh->sub[j], m->wn[j]));
    }
    PetscCall(HGComputeHypergradient(mh->sub[j], m->lsub, mh->hj));
    PetscCall(HGGetInfo(mh->sub[j], &si));
    PetscCall(VecAXPY(mh->hsum, c, mh->hj));
    PetscCall(HGGetLowerSolution(mh->sub[j], &w));
    PetscCall(HGGetAdjointSolution(mh->sub[j], &v));
    PetscCall(HGProblemMultiInstanceToStacked(prob, j, w, hg->w));
    PetscCall(HGProblemMultiInstanceToStacked(prob, j, v, hg->v));
    loc[R_LITS] += si.lower_its;
    loc[R_AITS] += si.adjoint_its;
    loc[R_LRES]    = PetscMax(loc[R_LRES], si.lower_residual);
    loc[R_ARES]    = PetscMax(loc[R_ARES], si.adjoint_residual);
    loc[R_REASON]  = PetscMin(loc[R_REASON], (PetscReal)si.reason);
    loc[R_LREASON] = PetscMin(loc[R_LREASON], (PetscReal)si.lower_reason);
    loc[R_KREASON] = PetscMin(loc[R_KREASON], (PetscReal)si.ksp_reason);
    loc[R_TL] += si.time_lower;
    loc[R_TA] += si.time_adjoint;
    if (si.bound_aposteriori < 0) loc[R_BMISS] = 1;
    else loc[R_BSUM] += PetscAbsReal(c) * si.bound_aposteriori;
    if (si.bound_apriori < 0) loc[R_AMISS] = 1;
    else loc[R_ASUM] += PetscAbsReal(c) * si.bound_apriori;
    if (si.lower_error_bound < 0) loc[R_LMISS] = 1;
    else loc[R_LERR2] += PetscSqr(si.lower_error_bound);
    loc[R_E] += c * si.upper_objective;
    /* the error margin of c_i E_i(w_t) (what the adaptive outer loop's line search adds) */
    if (si.lower_error_bound < 0) loc[R_EFMISS] = 1;
    else {
      PetscReal g, etaw, e = si.lower_error_bound;
      PetscCall(VecNorm(mh->sub[j]->rhs, NORM_2, &g));
      PetscCall(HGProblemGetBoundConstants(m->inst[j], &etaw, NULL, NULL, NULL, NULL));
      loc[R_EF] += PetscAbsReal(c) * (g * e + (etaw > 0 ? 0.5 * etaw * e * e : 0));
    }
    for (PetscInt b = 0; b < 7; b++)
      if (si.bound_estimated & (1 << b)) loc[R_EST + b] = 1;
  }
  hg->w0_given = hg->v0_given = PETSC_FALSE;
  /* the stacked w, v changed on the ranks of the drawn instances only: a new state on every rank,
     or a norm cached on the others would skip the reduction of the next VecNorm() (a hang) */
  PetscCall(PetscObjectStateIncrease((PetscObject)hg->w));
  PetscCall(PetscObjectStateIncrease((PetscObject)hg->v));
  PetscCall(HGProblemMultiSumToLambda(prob, mh->hsum, -1, h));
  PetscCall(HGProblemMultiReduce(prob, R_N, loc, ops, out));
  hg->info.lower_its        = (PetscInt)out[R_LITS];
  hg->info.adjoint_its      = (PetscInt)out[R_AITS];
  hg->info.lower_residual   = out[R_LRES];
  hg->info.adjoint_residual = out[R_ARES];
  hg->info.lower_reason     = (HGLowerConvergedReason)(PetscInt)out[R_LREASON];
  hg->info.ksp_reason       = (KSPConvergedReason)(PetscInt)out[R_KREASON];
  if (out[R_REASON] < 0) hg->info.reason = (HGConvergedReason)(PetscInt)out[R_REASON];
  hg->info.time_lower        = out[R_TL];
  hg->info.time_adjoint      = out[R_TA];
  hg->info.upper_objective   = out[R_E];
  hg->info.bound_aposteriori = out[R_BMISS] > 0 ? -1 : out[R_BSUM];
  hg->info.bound_apriori     = out[R_AMISS] > 0 ? -1 : out[R_ASUM];
  hg->info.lower_error_bound = out[R_LMISS] > 0 ? -1 : PetscSqrtReal(out[R_LERR2]);
  hg->info.bound_estimated   = 0;
  for (PetscInt b = 0; b < 7; b++)
    if (out[R_EST + b] > 0) hg->info.bound_estimated |= 1 << b;
  mh->ef = out[R_EFMISS] > 0 ? -1 : out[R_EF];
  PetscFunctionReturn(0);
}

/* f(lambda) = sum_i c_i E_i(w_i(lambda), lambda) with every lower level converged to a relative residual of
   1e-13 by a solver of the instance's kind (from 0, as for one lower level): what HGTestHypergradient() differentiates.
   With mini-batches, the sum over the last draw with its weights (the function whose gradient h estimates). */
static PetscErrorCode HGTestObjective_Multi(HG hg, Vec lambda, PetscReal *f)
{
  HG_Multi        *mh   = (HG_Multi *)hg->data;
  HGProblem        prob = hg->problem;
  HGProblem_Multi *m    = (HGProblem_Multi *)prob->data;
  PetscReal        loc = 0, c;
  MPI_Op           op  = MPI_SUM;
  Vec              lsub;

  PetscFunctionBegin;
  PetscCall(VecDuplicate(m->lsub, &lsub));
  PetscCall(HGProblemMultiLambdaToSub(prob, lambda, lsub));
  for (PetscInt j = 0; j < m->nloc; j++) {
    HGLower     tl, sl = mh->sub[j]->lower;
    HGLowerType type;
    Vec         w, w0;

    PetscReal   E;

    if (!m->active[m->first + j]) continue;
    c = m->scale * m->c[j];
    PetscCall(HGLowerCreate(m->subcomm, &tl));
    PetscCall(HGLowerGetType(sl, &type));
    PetscCall(HGLowerSetType(tl, type));
    PetscCall(HGLowerSetProblem(tl, m->inst[j]));
    tl->step     = sl->step;
    tl->momentum = sl->momentum;
    PetscCall(HGLowerSetTolerances(tl, 1e-13, 0.0, 1e8));
    PetscCall(HGLowerSetMaxIterations(tl, 1000000));
    PetscCall(HGLowerSetUp(tl));
    PetscCall(HGGetLowerSolution(mh->sub[j], &w0));
    PetscCall(VecDuplicate(w0, &w)); /* from 0: the tolerance is relative to the first residual */
    PetscCall(VecSet(w, 0.0));
    PetscCall(HGLowerSolve(tl, lsub, w));
    /* collective on the sub-communicator only: no error raised here (the others would wait in the reduction) */
    if (tl->reason > 0) {
      PetscCall(HGProblemComputeUpperObjective(m->inst[j], w, lsub, &E));
      loc += c * E;
    } else loc = (PetscReal)NAN;
    PetscCall(VecDestroy(&w));
    PetscCall(HGLowerDestroy(&tl));
  }
  PetscCall(VecDestroy(&lsub));
  PetscCall(HGProblemMultiReduce(prob, 1, &loc, &op, f));
  PetscCheck(!PetscIsNanReal(*f), PetscObjectComm((PetscObject)hg), PETSC_ERR_NOT_CONVERGED, "The finite-difference check (-hg_test_hypergradient) could not converge the lower level of an instance to a relative residual of 1e-13: raise the instances' caps or check -sub_lower_step");
  PetscFunctionReturn(0);
}

/* HGSetAdjointTolerances() on the multi HG: those of every instance (kept for instances set up later) */
static PetscErrorCode HGSetAdjointTolerances_Multi(HG hg, PetscReal rtol, PetscReal atol)
{
  HG_Multi *mh = (HG_Multi *)hg->data;

  PetscFunctionBegin;
  mh->adj_rtol = rtol;
  mh->adj_atol = atol;
  mh->adj_set  = PETSC_TRUE;
  if (mh->sub) {
    HGProblem_Multi *m = (HGProblem_Multi *)hg->problem->data;
    for (PetscInt j = 0; j < m->nloc; j++) PetscCall(HGSetAdjointTolerances(mh->sub[j], rtol, atol));
  }
  PetscFunctionReturn(0);
}

/* Private to the library (the outer loops): the tolerances of every instance's lower and adjoint solves */
PetscErrorCode HGMultiSetSolveTolerances(HG hg, PetscReal atol)
{
  HG_Multi        *mh;
  HGProblem_Multi *m;

  PetscFunctionBegin;
  PetscCall(HGMultiGetData(hg, &mh));
  PetscCall(HGSetUp(hg));
  m = (HGProblem_Multi *)hg->problem->data;
  for (PetscInt j = 0; j < m->nloc; j++) {
    HGLower lower = mh->sub[j]->lower;
    PetscCall(HGLowerSetTolerances(lower, 0.0, atol, lower->dtol > 0 ? lower->dtol : 1e10));
  }
  PetscCall(HGSetAdjointTolerances(hg, 0.0, atol));
  PetscFunctionReturn(0);
}

/* Private: is every instance's method aid with its bound on (what the adaptive loop needs)? Same answer on every rank */
PetscErrorCode HGMultiCheckAdaptive(HG hg, PetscBool *allaid, PetscBool *allbound)
{
  HG_Multi        *mh;
  HGProblem_Multi *m;
  PetscMPIInt      loc[2], all[2];

  PetscFunctionBegin;
  PetscCall(HGMultiGetData(hg, &mh));
  PetscCall(HGSetUp(hg));
  m      = (HGProblem_Multi *)hg->problem->data;
  loc[0] = loc[1] = 1;
  for (PetscInt j = 0; j < m->nloc; j++) {
    PetscBool isaid;
    PetscCall(PetscObjectTypeCompare((PetscObject)mh->sub[j], HGAID, &isaid));
    if (!isaid) loc[0] = 0;
    if (!mh->sub[j]->bound) loc[1] = 0;
  }
  PetscCall(MPIU_Allreduce(loc, all, 2, MPI_INT, MPI_MIN, PetscObjectComm((PetscObject)hg)));
  *allaid   = all[0] ? PETSC_TRUE : PETSC_FALSE;
  *allbound = all[1] ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* Private: the error margin of f~ = sum_i c_i E_i(w_t,i) of the last hypergradient (-1: an instance has no bound),
   and the configured batch size (0: every instance) */
PetscErrorCode HGMultiGetUpperErrorMargin(HG hg, PetscReal *ef)
{
  HG_Multi *mh;

  PetscFunctionBegin;
  PetscCall(HGMultiGetData(hg, &mh));
  *ef = mh->ef;
  PetscFunctionReturn(0);
}

PetscErrorCode HGMultiGetBatchSize(HG hg, PetscInt *B, PetscInt *n)
{
  HG_Multi *mh;

  PetscFunctionBegin;
  PetscCall(HGMultiGetData(hg, &mh));
  PetscCall(HGSetUp(hg));
  *B = mh->batch;
  *n = ((HGProblem_Multi *)hg->problem->data)->n;
  PetscFunctionReturn(0);
}

/* The bounds are those of the instances, summed by HGCompute_Multi() */
static PetscErrorCode HGComputeBounds_Multi(HG hg, Vec lambda, Vec h)
{
  PetscFunctionBegin;
  if (!hg->bound) {
    hg->info.bound_aposteriori = -1;
    hg->info.bound_apriori     = -1;
    hg->info.lower_error_bound = -1;
    hg->info.bound_estimated   = 0;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode HGSetFromOptions_Multi(HG hg, PetscOptionItems *PetscOptionsObject)
{
  HG_Multi *mh   = (HG_Multi *)hg->data;
  PetscInt  b    = mh->batch, seed = (PetscInt)mh->seed;
  PetscBool flg;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Hypergradient of a multi problem (HGMULTI)");
  PetscCall(PetscOptionsInt("-hg_multi_batch", "Instances per hypergradient (mini-batch; default all)", "HGMultiSetBatch", b, &b, &flg));
  PetscCall(PetscOptionsInt("-hg_multi_batch_seed", "Seed of the mini-batch draws", "HGMultiSetBatch", seed, &seed, NULL));
  PetscCheck(!flg || b >= 1, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_OUTOFRANGE, "-hg_multi_batch must be at least 1 (instances per hypergradient; omit it to use all of them); got %" PetscInt_FMT, b);
  if (flg || seed != (PetscInt)mh->seed) PetscCall(HGMultiSetBatch(hg, b, seed));
  PetscOptionsHeadEnd();
  PetscFunctionReturn(0);
}

static PetscErrorCode HGView_Multi(HG hg, PetscViewer viewer)
{
  HG_Multi *mh = (HG_Multi *)hg->data;

  PetscFunctionBegin;
  if (mh->batch > 0) PetscCall(PetscViewerASCIIPrintf(viewer, "mini-batches of %" PetscInt_FMT " instances, seed %" PetscInt64_FMT ", %" PetscInt64_FMT " drawn so far\n", mh->batch, mh->seed, mh->counter));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "every instance at each hypergradient\n"));
  if (mh->sub) {
    HGType t;
    PetscInt tt, kk;
    PetscCall(HGGetType(mh->sub[0], &t));
    PetscCall(HGGetIterations(mh->sub[0], &tt, &kk));
    PetscCall(PetscViewerASCIIPrintf(viewer, "method of each instance: %s, t = %" PetscInt_FMT ", k = %" PetscInt_FMT " (-sub_hg_* options)\n", t, tt, kk));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode HGDestroy_Multi(HG hg)
{
  HG_Multi *mh = (HG_Multi *)hg->data;

  PetscFunctionBegin;
  if (mh->sub) {
    HGProblem_Multi *m = (HGProblem_Multi *)hg->problem->data;
    for (PetscInt j = 0; j < m->nloc; j++) PetscCall(HGDestroy(&mh->sub[j]));
  }
  PetscCall(PetscFree(mh->sub));
  PetscCall(VecDestroy(&mh->hsum));
  PetscCall(VecDestroy(&mh->hj));
  PetscCall(PetscFree2(mh->drawn, mh->active));
  PetscCall(PetscObjectComposeFunction((PetscObject)hg, "HGSetAdjointTolerances_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)hg, "HGTestObjective_C", NULL));
  PetscCall(PetscFree(hg->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGCreate_Multi(HG hg)
{
  HG_Multi *mh;

  PetscFunctionBegin;
  PetscCall(PetscNew(&mh));
  hg->data                = mh;
  hg->ops->setup          = HGSetUp_Multi;
  hg->ops->compute        = HGCompute_Multi;
  hg->ops->computebounds  = HGComputeBounds_Multi;
  hg->ops->setfromoptions = HGSetFromOptions_Multi;
  hg->ops->view           = HGView_Multi;
  hg->ops->destroy        = HGDestroy_Multi;
  mh->ef                  = -1;
  hg->nolower             = PETSC_TRUE; /* the instances' HGs solve; no stacked lower solver, rhs or work */
  PetscCall(PetscObjectComposeFunction((PetscObject)hg, "HGSetAdjointTolerances_C", HGSetAdjointTolerances_Multi));
  PetscCall(PetscObjectComposeFunction((PetscObject)hg, "HGTestObjective_C", HGTestObjective_Multi));
  PetscFunctionReturn(0);
}

/*@C
  HGMultiGetSubHG - the HGs of the instances of this rank's sub-communicator

  Not Collective

  Input Parameter:
. hg - the HG of type multi (set up here if it is not yet)

  Output Parameters:
+ first  - the index of the first local instance
. nlocal - the number of local instances
- sub    - their HGs (owned by hg), on the sub-communicator, options prefix sub_

  Level: intermediate

.seealso: HGMULTI, HGProblemMultiGetLocalInstances()
@*/
PetscErrorCode HGMultiGetSubHG(HG hg, PetscInt *first, PetscInt *nlocal, HG **sub)
{
  HG_Multi        *mh;
  HGProblem_Multi *m;

  PetscFunctionBegin;
  PetscCall(HGMultiGetData(hg, &mh));
  PetscCall(HGSetUp(hg));
  m = (HGProblem_Multi *)hg->problem->data;
  if (first) *first = m->first;
  if (nlocal) *nlocal = m->nloc;
  if (sub) *sub = mh->sub;
  PetscFunctionReturn(0);
}

/*@
  HGMultiSetBatch - use a random mini-batch of B instances for each hypergradient

  Logically Collective

  Input Parameters:
+ hg   - the HG of type multi
. B    - instances per hypergradient, 1 <= B <= n (0: all)
- seed - seed of the draws

  Options Database Keys:
+ -hg_multi_batch <B>      - the batch size
- -hg_multi_batch_seed <s> - the seed

  Notes:
  Draw k takes the B instances with the smallest HGHashUniform(seed, 1000 + k, i): the same on
  any number of ranks and sub-communicators. The hypergradient is (n/B) sum over the batch of
  c_i h_i, an unbiased estimate of the full one; only the drawn instances are solved, the
  others keep their w_i and v_i for their next draw. HGGetInfo() reports the batch.

  Level: intermediate

.seealso: HGMULTI, HGMultiSetBatchCounter(), HGMultiGetBatch()
@*/
PetscErrorCode HGMultiSetBatch(HG hg, PetscInt B, PetscInt64 seed)
{
  HG_Multi *mh;

  PetscFunctionBegin;
  PetscCall(HGMultiGetData(hg, &mh));
  PetscCheck(B >= 0, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_OUTOFRANGE, "-hg_multi_batch must be at least 1 (instances per hypergradient; 0 or omitted: all of them); got %" PetscInt_FMT, B);
  if (hg->problem && hg->problem->setupcalled) {
    HGProblem_Multi *m;
    PetscBool        ismulti;
    PetscCall(PetscObjectTypeCompare((PetscObject)hg->problem, HGPROBLEMMULTI, &ismulti));
    PetscCheck(ismulti, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_WRONG, "-hg_type multi needs a problem of type multi");
    m = (HGProblem_Multi *)hg->problem->data;
    PetscCheck(B <= m->n, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_OUTOFRANGE, "-hg_multi_batch %" PetscInt_FMT " exceeds the number of instances -multi_n %" PetscInt_FMT ": give 1 <= B <= %" PetscInt_FMT, B, m->n, m->n);
  }
  mh->batch = B;
  mh->seed  = seed;
  PetscFunctionReturn(0);
}

/*@
  HGMultiSetBatchCounter - sets the number of the next mini-batch draw

  Logically Collective

  Input Parameters:
+ hg - the HG of type multi
- k  - the draw number (the number of hypergradients computed so far in the run)

  Notes:
  hgrun sets it to the outer iteration of the run file it resumes, so that the resumed run
  draws the batches the uninterrupted run would have drawn (one hypergradient per outer
  iteration: -outer_type gd or nesterov).

  Level: advanced

.seealso: HGMultiSetBatch()
@*/
PetscErrorCode HGMultiSetBatchCounter(HG hg, PetscInt64 k)
{
  HG_Multi *mh;

  PetscFunctionBegin;
  PetscCall(HGMultiGetData(hg, &mh));
  PetscCheck(k >= 0, PetscObjectComm((PetscObject)hg), PETSC_ERR_ARG_OUTOFRANGE, "The draw number must be >= 0; got %" PetscInt64_FMT, k);
  mh->counter = k;
  PetscFunctionReturn(0);
}

/*@C
  HGMultiGetBatch - the instances used by the last hypergradient

  Not Collective

  Input Parameter:
. hg - the HG of type multi

  Output Parameters:
+ B         - their number
- instances - their indices, increasing (owned by hg)

  Level: intermediate

.seealso: HGMultiSetBatch()
@*/
PetscErrorCode HGMultiGetBatch(HG hg, PetscInt *B, const PetscInt **instances)
{
  HG_Multi *mh;

  PetscFunctionBegin;
  PetscCall(HGMultiGetData(hg, &mh));
  if (B) *B = mh->ndrawn;
  if (instances) *instances = mh->drawn;
  PetscFunctionReturn(0);
}
