/*
   The stationary lower-level iterations that ITD differentiates:

     gd:        w_{i+1} = Phi(w_i)                              (Phi = w - alpha grad_w l)
     heavyball: w_{i+1} = Phi(w_i) + beta (w_i - w_{i-1}),   w_{-1} = w_0

   and their reverse passes.  heavyball.c only sets the momentum flag; the iteration is here.

   The reverse pass needs w_{t-1}, ..., w_{t-k}.  With -lower_trajectory_type full they are all
   stored; with every, w_i is stored for i = 0, m, 2m, ... (and w_{i-1} for heavy ball) and each
   segment is recomputed forward into a buffer of m - 1 vectors before it is walked backwards;
   with revolve, s snapshots are placed by the binomial rule (Griewank's revolve) and the
   reverse pass recomputes from them recursively.  Every forward step, first or recomputed, goes
   through Update() with the same operations, so the recomputed iterates, and the
   hypergradient, are bitwise those of the stored trajectory.
*/
#include <hypergrad/hgimpl.h>

typedef struct {
  PetscInt pos;  /* iteration index of the state; -1: free */
  Vec      w, wm; /* w_pos and, for heavy ball, w_{pos-1} */
} Snap;

typedef struct {
  PetscBool heavyball;
  Vec       d, wprev, tmp, tmp2, hw;
  /* checkpointed trajectories */
  Vec       rd, work[3];  /* direction and cur/prev/next of forward (re)computations */
  Snap     *snap;         /* checkpoints (every) or snapshots (revolve) */
  PetscInt  nsnap, msnap; /* allocated, array length */
  Vec      *seg;          /* every: w_{a+1} .. w_{a+m-1} of the segment being reversed */
  PetscInt  nseg;
  PetscInt  m, s;         /* interval (every) or free snapshots (revolve) used by the last solve */
  PetscInt *plan, nplan;  /* revolve: the positions stored by the forward pass */
  /* state of the reverse pass */
  Vec       pc, pn, pp, vacc, lambda, h;
  PetscInt  lo;
  PetscBool frozen;
} HGLower_Stationary;

/*MC
   HGLOWERGD - the fixed-point iteration w <- Phi(w, lambda); for optimization-form problems
   gradient descent with step alpha (default 2/(L+mu), the optimal contraction (kappa-1)/(kappa+1)).

   Options: -lower_max_it t, -lower_step alpha, -lower_rtol, -lower_atol, -lower_dtol,
   -lower_trajectory_type full|every|revolve (how ITD keeps the iterates, HGLowerSetTrajectoryType())
M*/

/* Phi(w) - w = coef * d, with d = grad_w l(w) and coef = -alpha (optimization form) or
   d = Phi(w) - w and coef = 1; rnorm = ||d|| (not computed when rnorm is NULL).  Unscaled, so
   the step applies coef in its AXPY. */
static PetscErrorCode Direction(HGLower lower, Vec w, Vec lambda, Vec d, PetscReal *rnorm, PetscReal *coef)
{
  HGProblem prob = lower->problem;

  PetscFunctionBegin;
  *coef = 1.0;
  if (prob->form == HG_FORM_OPTIMIZATION) {
    PetscCall(HGProblemComputeLowerGradient(prob, w, lambda, d));
    *coef = -lower->step_used;
  } else {
    PetscCall(HGProblemComputeMap(prob, w, lambda, d));
    PetscCall(VecAXPY(d, -1.0, w));
  }
  if (rnorm) PetscCall(VecNorm(d, NORM_2, rnorm));
  PetscFunctionReturn(0);
}

/* w_{i+1} = w_i + coef d + beta (w_i - w_{i-1}) (no momentum at i = 0): the single formula of every
   stored or recomputed step */
static PetscErrorCode Update(PetscReal coef, PetscReal beta, PetscInt i, Vec d, Vec cur, Vec prev, Vec next)
{
  PetscFunctionBegin;
  PetscCall(VecWAXPY(next, coef, d, cur));
  if (beta != 0.0 && i > 0) PetscCall(VecAXPBYPCZ(next, beta, -beta, 1.0, cur, prev));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerSetUp_Stationary(HGLower lower)
{
  HGLower_Stationary *s = (HGLower_Stationary *)lower->data;

  PetscFunctionBegin;
  PetscCall(HGLowerResolveStep(lower, s->heavyball));
  if (!s->d) {
    PetscCall(VecDuplicate(lower->problem->wtemplate, &s->d));
    PetscCall(VecDuplicate(lower->problem->wtemplate, &s->tmp));
    PetscCall(VecDuplicate(lower->problem->wtemplate, &s->tmp2));
    PetscCall(VecDuplicate(lower->problem->wtemplate, &s->wprev));
    PetscCall(VecDuplicate(lower->problem->ltemplate, &s->hw));
  }
  PetscFunctionReturn(0);
}

/* ---- checkpoint storage ---- */
static PetscInt SnapVecs(HGLower_Stationary *s)
{
  return s->nsnap * (s->heavyball ? 2 : 1);
}

static PetscErrorCode SnapFind(HGLower_Stationary *s, PetscInt pos, Snap **snap)
{
  PetscFunctionBegin;
  *snap = NULL;
  for (PetscInt i = 0; i < s->nsnap; i++)
    if (s->snap[i].pos == pos) *snap = &s->snap[i];
  PetscFunctionReturn(0);
}

/* the stored state with the largest position in [a, c] */
static PetscErrorCode SnapFindBest(HGLower_Stationary *s, PetscInt a, PetscInt c, Snap **snap)
{
  PetscFunctionBegin;
  *snap = NULL;
  for (PetscInt i = 0; i < s->nsnap; i++)
    if (s->snap[i].pos >= a && s->snap[i].pos <= c && (!*snap || s->snap[i].pos > (*snap)->pos)) *snap = &s->snap[i];
  PetscFunctionReturn(0);
}

static PetscErrorCode UpdatePeak(HGLower lower)
{
  HGLower_Stationary *s = (HGLower_Stationary *)lower->data;

  PetscFunctionBegin;
  lower->traj_peak = PetscMax(lower->traj_peak, SnapVecs(s) + s->nseg + 4);
  PetscFunctionReturn(0);
}

/* a free slot (allocated on demand) for the state at pos; the pointer is valid until the next acquire */
static PetscErrorCode SnapAcquire(HGLower lower, PetscInt pos, Snap **snap)
{
  HGLower_Stationary *s = (HGLower_Stationary *)lower->data;
  PetscInt            i;

  PetscFunctionBegin;
  for (i = 0; i < s->nsnap; i++)
    if (s->snap[i].pos < 0) break;
  if (i == s->nsnap) {
    if (s->nsnap == s->msnap) {
      Snap *n;
      s->msnap = PetscMax(8, 2 * s->msnap);
      PetscCall(PetscCalloc1(s->msnap, &n));
      if (s->nsnap) PetscCall(PetscArraycpy(n, s->snap, s->nsnap));
      PetscCall(PetscFree(s->snap));
      s->snap = n;
    }
    PetscCall(VecDuplicate(lower->problem->wtemplate, &s->snap[i].w));
    if (s->heavyball) PetscCall(VecDuplicate(lower->problem->wtemplate, &s->snap[i].wm));
    s->nsnap++;
    PetscCall(UpdatePeak(lower));
  }
  s->snap[i].pos = pos;
  *snap          = &s->snap[i];
  PetscFunctionReturn(0);
}

static PetscErrorCode SnapDestroyAll(HGLower_Stationary *s)
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < s->nsnap; i++) {
    PetscCall(VecDestroy(&s->snap[i].w));
    PetscCall(VecDestroy(&s->snap[i].wm));
  }
  PetscCall(PetscFree(s->snap));
  s->nsnap = s->msnap = 0;
  if (s->seg) PetscCall(VecDestroyVecs(s->nseg, &s->seg));
  s->nseg = 0;
  PetscCall(VecDestroy(&s->rd));
  for (int j = 0; j < 3; j++) PetscCall(VecDestroy(&s->work[j]));
  PetscFunctionReturn(0);
}

/* binomial(s + r, s): the most steps s snapshots reverse with r recomputations of each step */
static PetscReal Beta(PetscInt s, PetscInt r)
{
  PetscReal b = 1;
  for (PetscInt i = 1; i <= s; i++) {
    b = b * (PetscReal)(r + i) / (PetscReal)i;
    if (b > 1e18) return 1e18;
  }
  return b;
}

/* where revolve puts the next snapshot when reversing [a, b) with s free snapshots (-1: none) */
static PetscInt Split(PetscInt a, PetscInt b, PetscInt s)
{
  PetscInt l = b - a, r = 1;

  if (s <= 0 || l <= 1) return -1;
  while (Beta(s, r) < (PetscReal)l) r++;
  return a + PetscMax(1, PetscMin((PetscInt)Beta(s, r - 1), l - 1));
}

/* interval m or snapshot count s for a run of at most T steps */
static PetscErrorCode ResolveCheckpoints(HGLower lower)
{
  HGLower_Stationary *s = (HGLower_Stationary *)lower->data;
  PetscInt            T = PetscMax(lower->max_it, 1);

  PetscFunctionBegin;
  if (lower->trajtype == HG_LOWER_TRAJECTORY_EVERY) {
    /* checkpoints T/m (twice as many vectors for heavy ball) plus m - 1 recomputed */
    s->m = lower->traj_param > 0 ? lower->traj_param : (PetscInt)PetscCeilReal(PetscSqrtReal((s->heavyball ? 2.0 : 1.0) * T));
    s->m = PetscMax(1, s->m);
  } else if (lower->trajtype == HG_LOWER_TRAJECTORY_REVOLVE) {
    s->s = lower->traj_param >= 0 ? lower->traj_param : (PetscInt)PetscCeilReal(PetscLog2Real((PetscReal)T + 1));
    /* the first sweep of revolve for T steps: the root and a chain of at most s snapshots */
    PetscCall(PetscFree(s->plan));
    PetscCall(PetscMalloc1(s->s + 1, &s->plan));
    s->nplan = 0;
    s->plan[s->nplan++] = 0;
    for (PetscInt a = 0, f = s->s, c; (c = Split(a, T, f)) >= 0; a = c, f--) s->plan[s->nplan++] = c;
  }
  PetscFunctionReturn(0);
}

static PetscBool InPlan(HGLower_Stationary *s, PetscInt i)
{
  for (PetscInt j = 0; j < s->nplan; j++)
    if (s->plan[j] == i) return PETSC_TRUE;
  return PETSC_FALSE;
}

static PetscErrorCode HGLowerSolve_Stationary(HGLower lower, Vec lambda, Vec w)
{
  HGLower_Stationary *s    = (HGLower_Stationary *)lower->data;
  PetscReal           beta = s->heavyball ? lower->momentum_used : 0.0, rnorm, coef;
  PetscBool           done;
  Vec                 cur;

  PetscFunctionBegin;
  lower->traj_peak       = 0;
  lower->traj_recomputed = 0;
  if (lower->store && lower->trajtype != HG_LOWER_TRAJECTORY_FULL) {
    /* checkpointed: three rotating vectors, states stored at the checkpoints */
    Vec  prev, next, swap;
    Snap *sn;

    PetscCall(ResolveCheckpoints(lower));
    if (!s->rd) {
      PetscCall(VecDuplicate(lower->problem->wtemplate, &s->rd));
      for (int j = 0; j < 3; j++) PetscCall(VecDuplicate(lower->problem->wtemplate, &s->work[j]));
    }
    for (PetscInt i = 0; i < s->nsnap; i++) s->snap[i].pos = -1;
    PetscCall(UpdatePeak(lower));
    cur = s->work[0], prev = s->work[1], next = s->work[2];
    PetscCall(VecCopy(w, cur));
    for (lower->its = 0;; lower->its++) {
      PetscCall(Direction(lower, cur, lambda, s->d, &rnorm, &coef));
      PetscCall(HGLowerCheckConvergence(lower, rnorm, &done));
      if (done) break;
      if ((lower->trajtype == HG_LOWER_TRAJECTORY_EVERY && lower->its % s->m == 0) || (lower->trajtype == HG_LOWER_TRAJECTORY_REVOLVE && InPlan(s, lower->its))) {
        PetscCall(SnapAcquire(lower, lower->its, &sn));
        PetscCall(VecCopy(cur, sn->w));
        if (s->heavyball && lower->its > 0) PetscCall(VecCopy(prev, sn->wm));
      }
      PetscCall(Update(coef, beta, lower->its, s->d, cur, prev, next));
      swap = prev, prev = cur, cur = next, next = swap;
    }
    PetscCall(VecCopy(cur, w));
    PetscFunctionReturn(0);
  }
  if (lower->store) {
    /* all t + 1 iterates are needed when no tolerance can stop early: refuse before the first
       step what cannot fit; the vectors are allocated as the iteration reaches them */
    if (lower->atol == 0 && lower->rtol == 0) PetscCall(HGLowerCheckTrajectoryMemory(lower, lower->max_it + 1));
    PetscCall(HGLowerEnsureTrajectory(lower, PetscMin(lower->max_it + 1, 16)));
    PetscCall(VecCopy(w, lower->traj[0]));
    cur = lower->traj[0];
  } else cur = w;
  if (beta != 0.0) PetscCall(VecCopy(cur, s->wprev));
  for (lower->its = 0;; lower->its++) {
    PetscCall(Direction(lower, cur, lambda, s->d, &rnorm, &coef));
    PetscCall(HGLowerCheckConvergence(lower, rnorm, &done));
    if (done) break;
    if (lower->store) {
      Vec next;
      if (lower->its + 2 > lower->ntraj) PetscCall(HGLowerEnsureTrajectory(lower, PetscMin(lower->max_it + 1, PetscMax(lower->its + 2, 2 * lower->ntraj))));
      next = lower->traj[lower->its + 1];
      PetscCall(Update(coef, beta, lower->its, s->d, cur, lower->its > 0 ? lower->traj[lower->its - 1] : NULL, next));
      cur = next;
    } else {
      if (beta != 0.0) {
        PetscCall(VecAXPBYPCZ(s->d, beta, -beta, coef, cur, s->wprev));
        PetscCall(VecCopy(cur, s->wprev));
        PetscCall(VecAXPY(cur, 1.0, s->d));
      } else PetscCall(VecAXPY(cur, coef, s->d));
    }
  }
  if (lower->store) {
    PetscCall(VecCopy(cur, w));
    lower->traj_peak = lower->ntraj;
  }
  PetscFunctionReturn(0);
}

/*
   Reverse pass.  With J_i = d_w Phi(w_i) and B_i = d_lambda Phi(w_i) (J_i, B_i at w_t when frozen):
     p_t = seed, p_{t+1} = 0
     h  += B_i^T p_{i+1}
     p_i = (J_i^T + beta I) p_{i+1} - beta p_{i+2}
   for i = t-1 down to t-k.  Frozen, the B_i are equal, so h += B_t^T (sum p) in one product.
   v = s * sum p, with s = alpha in the optimization form, solves the adjoint system of AID.
   ReverseStep() does step i; the steps come in decreasing order whatever the storage.
*/
static PetscErrorCode ReverseStep(HGLower lower, PetscInt i, Vec wi)
{
  HGLower_Stationary *s     = (HGLower_Stationary *)lower->data;
  HGProblem           prob  = lower->problem;
  PetscReal           alpha = lower->step_used, beta = s->heavyball ? lower->momentum_used : 0.0;
  Vec                 swap;

  PetscFunctionBegin;
  if (!s->frozen) {
    PetscCall(HGProblemApplyMapParamJacobianTranspose(prob, alpha, wi, s->lambda, s->pc, s->hw));
    PetscCall(VecAXPY(s->h, 1.0, s->hw));
  }
  PetscCall(VecAXPY(s->vacc, 1.0, s->pc));
  if (i == s->lo) PetscFunctionReturn(0);
  PetscCall(HGProblemApplyMapJacobianTranspose(prob, alpha, wi, s->lambda, s->pc, s->pn));
  if (beta != 0.0) {
    PetscCall(VecAXPBYPCZ(s->pn, beta, -beta, 1.0, s->pc, s->pp));
    swap = s->pp, s->pp = s->pc, s->pc = s->pn, s->pn = swap;
  } else swap = s->pc, s->pc = s->pn, s->pn = swap;
  PetscFunctionReturn(0);
}

/* From the stored state sn, run the steps up to position c; *wc and *wcm (may be NULL) point to
   w_c and w_{c-1} in the work vectors (or in sn when c is its position) */
static PetscErrorCode Advance(HGLower lower, Vec lambda, Snap *sn, PetscInt c, Vec *wc, Vec *wcm)
{
  HGLower_Stationary *s    = (HGLower_Stationary *)lower->data;
  PetscReal           beta = s->heavyball ? lower->momentum_used : 0.0, coef;
  Vec                 cur = sn->w, prev = sn->wm, next, swap, free[3];
  PetscInt            nfree = 3;

  PetscFunctionBegin;
  for (int j = 0; j < 3; j++) free[j] = s->work[j];
  for (PetscInt i = sn->pos; i < c; i++) {
    /* the next iterate goes to a work vector that holds neither cur nor prev */
    next = NULL;
    for (int j = 0; j < nfree; j++)
      if (free[j] != cur && free[j] != prev) next = free[j];
    PetscCall(Direction(lower, cur, lambda, s->rd, NULL, &coef));
    PetscCall(Update(coef, beta, i, s->rd, cur, prev, next));
    swap = prev, prev = cur, cur = next;
    (void)swap;
    lower->traj_recomputed++;
  }
  *wc = cur;
  if (wcm) *wcm = prev;
  PetscFunctionReturn(0);
}

/* Revolve: reverse the steps [max(a, lo), b) from the snapshot at a with f free snapshots */
static PetscErrorCode ReverseRevolve(HGLower lower, PetscInt a, PetscInt b, PetscInt f)
{
  HGLower_Stationary *s = (HGLower_Stationary *)lower->data;
  Snap               *sa, *sc;
  PetscInt            c;
  Vec                 wc, wcm;

  PetscFunctionBegin;
  if (b <= s->lo) PetscFunctionReturn(0);
  PetscCall(SnapFind(s, a, &sa));
  PetscCheck(sa, PETSC_COMM_SELF, PETSC_ERR_COR, "Revolve: no snapshot at iteration %" PetscInt_FMT, a);
  if (b - a == 1) {
    PetscCall(ReverseStep(lower, a, sa->w));
    PetscFunctionReturn(0);
  }
  c = Split(a, b, f);
  if (c < 0) { /* no snapshot left: recompute from a for each step */
    for (PetscInt i = b - 1; i >= PetscMax(a, s->lo); i--) {
      PetscCall(SnapFind(s, a, &sa));
      PetscCall(Advance(lower, s->lambda, sa, i, &wc, NULL));
      PetscCall(ReverseStep(lower, i, wc));
    }
    PetscFunctionReturn(0);
  }
  PetscCall(SnapFind(s, c, &sc));
  if (!sc) {
    Snap *best;
    PetscCall(SnapFindBest(s, a, c, &best));
    PetscCall(Advance(lower, s->lambda, best, c, &wc, &wcm));
    PetscCall(SnapAcquire(lower, c, &sc));
    PetscCall(VecCopy(wc, sc->w));
    if (s->heavyball && c > 0) PetscCall(VecCopy(wcm, sc->wm));
  }
  PetscCall(ReverseRevolve(lower, c, b, f - 1));
  PetscCall(SnapFind(s, c, &sc));
  sc->pos = -1;
  PetscCall(ReverseRevolve(lower, a, c, f));
  PetscFunctionReturn(0);
}

/* Every m-th: reverse the segments [a, a + m) from the last one down */
static PetscErrorCode ReverseEvery(HGLower lower, PetscInt t)
{
  HGLower_Stationary *s    = (HGLower_Stationary *)lower->data;
  PetscReal           beta = s->heavyball ? lower->momentum_used : 0.0, coef;
  PetscInt            m    = s->m, nbuf = PetscMin(m, t) - 1;

  PetscFunctionBegin;
  if (s->nseg < nbuf) {
    if (s->seg) PetscCall(VecDestroyVecs(s->nseg, &s->seg));
    PetscCall(VecDuplicateVecs(lower->problem->wtemplate, nbuf, &s->seg));
    s->nseg = nbuf;
    PetscCall(UpdatePeak(lower));
  }
  for (PetscInt a = ((t - 1) / m) * m; a >= 0; a -= m) {
    PetscInt b = PetscMin(a + m, t);
    Snap    *sa;

    if (b <= s->lo) break;
    PetscCall(SnapFind(s, a, &sa));
    PetscCheck(sa, PETSC_COMM_SELF, PETSC_ERR_COR, "Checkpoint of iteration %" PetscInt_FMT " missing", a);
    /* seg[j-1] = w_{a+j}, j = 1 .. b-a-1 (only those at or after lo - 1 are needed, but the
       recurrence starts at a) */
    for (PetscInt j = 1; j < b - a; j++) {
      Vec cur = j == 1 ? sa->w : s->seg[j - 2], prev = j == 1 ? sa->wm : (j == 2 ? sa->w : s->seg[j - 3]);
      PetscCall(Direction(lower, cur, s->lambda, s->rd, NULL, &coef));
      PetscCall(Update(coef, beta, a + j - 1, s->rd, cur, prev, s->seg[j - 1]));
      lower->traj_recomputed++;
    }
    for (PetscInt i = b - 1; i >= PetscMax(a, s->lo); i--) PetscCall(ReverseStep(lower, i, i == a ? sa->w : s->seg[i - a - 1]));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerAdjoint_Stationary(HGLower lower, Vec lambda, Vec wt, PetscInt k, PetscBool frozen, Vec p, Vec h, Vec v)
{
  HGLower_Stationary *s     = (HGLower_Stationary *)lower->data;
  HGProblem           prob  = lower->problem;
  PetscReal           alpha = lower->step_used, beta = s->heavyball ? lower->momentum_used : 0.0;
  PetscInt            t     = lower->its;

  PetscFunctionBegin;
  k = PetscMin(k, t);
  if (!frozen && lower->trajtype == HG_LOWER_TRAJECTORY_FULL) PetscCheck(lower->ntraj > t, PetscObjectComm((PetscObject)lower), PETSC_ERR_ORDER, "The stored trajectory has %" PetscInt_FMT " iterates, the reverse pass needs %" PetscInt_FMT, lower->ntraj, t + 1);
  s->pc = p, s->pn = s->tmp, s->pp = s->tmp2, s->vacc = v ? v : s->d;
  s->lambda = lambda, s->h = h, s->lo = t - k, s->frozen = frozen;
  PetscCall(VecSet(s->vacc, 0.0));
  if (beta != 0.0) PetscCall(VecSet(s->pp, 0.0));
  if (k > 0) {
    if (frozen) {
      for (PetscInt i = t - 1; i >= s->lo; i--) PetscCall(ReverseStep(lower, i, wt));
    } else if (lower->trajtype == HG_LOWER_TRAJECTORY_FULL) {
      for (PetscInt i = t - 1; i >= s->lo; i--) PetscCall(ReverseStep(lower, i, lower->traj[i]));
    } else if (lower->trajtype == HG_LOWER_TRAJECTORY_EVERY) {
      PetscCall(ReverseEvery(lower, t));
    } else {
      Snap *sn;
      /* the planned snapshots past t (the lower level stopped early) are no longer needed */
      for (PetscInt i = 0; i < s->nsnap; i++)
        if (s->snap[i].pos >= t) s->snap[i].pos = -1;
      PetscCall(SnapFind(s, 0, &sn));
      PetscCheck(sn, PetscObjectComm((PetscObject)lower), PETSC_ERR_ORDER, "The reverse pass needs the snapshots of the last lower solve: call HGLowerSetStoreTrajectory() before HGLowerSolve()");
      PetscCall(ReverseRevolve(lower, 0, t, s->s));
    }
  }
  if (prob->form == HG_FORM_OPTIMIZATION) PetscCall(VecScale(s->vacc, alpha));
  if (frozen && k > 0) PetscCall(HGProblemAdjointAddParamTerm(prob, wt, lambda, s->vacc, s->hw, h));
  if (s->pc != p) PetscCall(VecCopy(s->pc, p));
  s->lambda = s->h = NULL;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerView_Stationary(HGLower lower, PetscViewer viewer)
{
  HGLower_Stationary *s = (HGLower_Stationary *)lower->data;

  PetscFunctionBegin;
  if (lower->trajtype == HG_LOWER_TRAJECTORY_EVERY && s->m > 0) PetscCall(PetscViewerASCIIPrintf(viewer, "trajectory: every %" PetscInt_FMT "-th iterate stored, segments recomputed\n", s->m));
  else if (lower->trajtype == HG_LOWER_TRAJECTORY_REVOLVE && s->plan) PetscCall(PetscViewerASCIIPrintf(viewer, "trajectory: binomial checkpointing with %" PetscInt_FMT " snapshots\n", s->s));
  if (lower->traj_peak > 0) PetscCall(PetscViewerASCIIPrintf(viewer, "last reverse pass: %" PetscInt_FMT " vectors held, %" PetscInt_FMT " steps recomputed\n", lower->traj_peak, lower->traj_recomputed));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGLowerDestroy_Stationary(HGLower lower)
{
  HGLower_Stationary *s = (HGLower_Stationary *)lower->data;

  PetscFunctionBegin;
  PetscCall(VecDestroy(&s->d));
  PetscCall(VecDestroy(&s->tmp));
  PetscCall(VecDestroy(&s->tmp2));
  PetscCall(VecDestroy(&s->wprev));
  PetscCall(VecDestroy(&s->hw));
  PetscCall(SnapDestroyAll(s));
  PetscCall(PetscFree(s->plan));
  PetscCall(PetscFree(lower->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGLowerCreate_Stationary(HGLower lower, PetscBool heavyball)
{
  HGLower_Stationary *s;

  PetscFunctionBegin;
  PetscCall(PetscNew(&s));
  s->heavyball        = heavyball;
  lower->data         = s;
  lower->ops->setup   = HGLowerSetUp_Stationary;
  lower->ops->solve   = HGLowerSolve_Stationary;
  lower->ops->adjoint = HGLowerAdjoint_Stationary;
  lower->ops->view    = HGLowerView_Stationary;
  lower->ops->destroy = HGLowerDestroy_Stationary;
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGLowerCreate_GD(HGLower lower)
{
  PetscFunctionBegin;
  PetscCall(HGLowerCreate_Stationary(lower, PETSC_FALSE));
  PetscFunctionReturn(0);
}
