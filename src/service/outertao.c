/*MC
   HGOUTERTAO - a TAO solver as the outer optimizer (for example bounded L-BFGS,
   -outer_tao_type blmvm), with f(lambda) and the hypergradient from the HG object

   Options: -outer_tao_* (the TAO's options, prefix "outer_"), -outer_lb <l> and
   -outer_ub <u> (scalar bounds on every lambda_j), -outer_max_it (hypergradient
   evaluations), -outer_gatol (TAO's gatol)

   Notes:
   One history record per hypergradient evaluation (line searches included).  The TAO's
   internal state (the L-BFGS pairs) is not part of a checkpoint: a resumed tao run
   restarts the TAO from the checkpointed lambda, w and v.

   A hypergradient that fails at a trial point of a line search gives TAO f = +inf there, so
   that the line search backs off (armijo does; more-thuente steps back to the last accepted
   point, from where lmvm went on and blmvm gave up in the case tested); the trial is monitored
   but not in the history.
   Where the line search cannot back off, the run ends with the failed trial's reason
   (HGOuterGetFailure()).  TAO's evaluation cap (-outer_max_it, trials included) ends the run
   with CONVERGED_ITS.

   Mini-batches of a multi HG (-hg_multi_batch B < n) are refused: every TAO method assumes
   one deterministic f (line searches compare f at two points, quasi-Newton and CG updates
   difference two gradients), and each evaluation would be another random function; use
   gd or nesterov with mini-batches.

.seealso: HGOUTERGD, HGOUTERNESTEROV
M*/
#include "outerimpl.h"

typedef struct {
  Tao                    tao;
  PetscReal              lb, ub;
  PetscBool              stop;
  PetscInt               nevals;     /* evaluations in this TaoSolve() */
  PetscInt               nfail_iter; /* failed trials since the last TAO iteration ended */
  HGOuterConvergedReason failreason; /* the outer reason of the last failed trial */
} HGOuter_Tao;

/* A failed hypergradient at a trial point of a line search does not end the run: TAO gets
   f = +inf there, and armijo backs off (it multiplies the step by beta_inf); more-thuente's
   interpolated step is NaN at f = +inf and is clamped to the lower end of its interval, so it
   steps back to the last accepted point and halts: lmvm then went on from there in t831,
   blmvm gave up (TAO_DIVERGED_LS_FAILURE).  A failure at
   TAO's first evaluation (no line search runs yet) or at the trial of a unit line search (which
   takes every trial) ends the run at once; a line search that cannot back off ends it in
   HGOuterSolve_Tao() with the failed trial's reason. */
static PetscErrorCode FormFunctionGradient(Tao tao, Vec x, PetscReal *f, Vec g, void *ctx)
{
  HGOuter       outer = (HGOuter)ctx;
  HGOuter_Tao  *t     = (HGOuter_Tao *)outer->data;
  HGOuterRecord rec;
  PetscBool     trial = t->nevals++ > 0 ? PETSC_TRUE : PETSC_FALSE, unit = PETSC_FALSE;
  TaoLineSearch ls;

  PetscFunctionBegin;
  PetscCall(HGOuterEvaluate(outer, x, g, &rec));
  rec.step = (PetscReal)NAN;
  PetscCall(TaoGetLineSearch(tao, &ls));
  if (ls) PetscCall(PetscObjectTypeCompare((PetscObject)ls, TAOLINESEARCHUNIT, &unit));
  if (outer->reason < 0 && trial) outer->failtrial = PETSC_TRUE;
  if (outer->reason < 0 && trial && !unit) { /* the unit line search takes every trial: the run ends below */
    t->failreason = outer->reason;
    t->nfail_iter++;
    *f = PETSC_INFINITY;
    PetscCall(VecSet(g, 0.0)); /* not used by the line searches at f = +inf; no NaN left for TAO */
    PetscCall(PetscInfo(outer, "Line-search trial after outer iteration %" PetscInt_FMT " (|lambda| %g): the hypergradient failed (%s); f = +inf given to TAO, which backs off\n", outer->it, (double)outer->failnorm, HGConvergedReasons[outer->failinfo.reason]));
    /* monitored, but neither in the history (which holds one record per outer iteration and
       ends at the last iterate a checkpoint keeps) nor checkpointed */
    PetscCall(HGOuterRecordMonitor(outer, &rec, PETSC_FALSE));
    outer->reason = HG_OUTER_ITERATING;
    PetscFunctionReturn(0);
  }
  *f = outer->reason < 0 ? PETSC_INFINITY : rec.upper_objective;
  if (outer->reason >= 0) outer->it++;
  PetscCall(HGOuterEndIteration(outer, &rec, &t->stop));
  PetscFunctionReturn(0);
}

static PetscErrorCode ConvergenceTest(Tao tao, void *ctx)
{
  HGOuter      outer = (HGOuter)ctx;
  HGOuter_Tao *t     = (HGOuter_Tao *)outer->data;

  PetscFunctionBegin;
  PetscCall(TaoDefaultConvergenceTest(tao, NULL));
  if (t->stop) PetscCall(TaoSetConvergedReason(tao, TAO_CONVERGED_USER));
  t->nfail_iter = 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGOuterSolve_Tao(HGOuter outer, Vec lambda)
{
  HGOuter_Tao       *t = (HGOuter_Tao *)outer->data;
  TaoConvergedReason r;
  Vec                lb = NULL, ub = NULL;

  PetscFunctionBegin;
  t->stop       = PETSC_FALSE;
  t->nevals     = 0;
  t->nfail_iter = 0;
  PetscCall(TaoSetSolution(t->tao, lambda));
  PetscCall(TaoSetObjectiveAndGradient(t->tao, NULL, FormFunctionGradient, outer));
  PetscCall(TaoSetConvergenceTest(t->tao, ConvergenceTest, outer));
  if (t->lb > PETSC_NINFINITY || t->ub < PETSC_INFINITY) {
    PetscCall(VecDuplicate(lambda, &lb));
    PetscCall(VecDuplicate(lambda, &ub));
    PetscCall(VecSet(lb, t->lb));
    PetscCall(VecSet(ub, t->ub));
    PetscCall(TaoSetVariableBounds(t->tao, lb, ub));
  }
  PetscCall(TaoSetMaximumIterations(t->tao, outer->max_it - outer->it));
  PetscCall(TaoSetMaximumFunctionEvaluations(t->tao, outer->max_it - outer->it));
  PetscCall(TaoSetTolerances(t->tao, outer->gatol, 0.0, 0.0));
  PetscCall(TaoSolve(t->tao));
  PetscCall(TaoGetConvergedReason(t->tao, &r));
  /* TAO gave up (its line search could not back off) right after failed trials: the run
     diverged for the failed hypergradient (HGOuterGetFailure() names it), not for TAO */
  if (outer->reason == HG_OUTER_ITERATING && r < 0 && t->nfail_iter > 0) outer->reason = t->failreason;
  /* the budget of -outer_max_it hypergradient evaluations (trials included) is spent */
  if (outer->reason == HG_OUTER_ITERATING && r == TAO_DIVERGED_MAXFCN) outer->reason = HG_OUTER_CONVERGED_ITS;
  if (outer->reason == HG_OUTER_ITERATING) outer->reason = r > 0 ? HG_OUTER_CONVERGED_TAO : HG_OUTER_DIVERGED_TAO;
  PetscCall(VecDestroy(&lb));
  PetscCall(VecDestroy(&ub));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGOuterSetFromOptions_Tao(HGOuter outer, PetscOptionItems *PetscOptionsObject)
{
  HGOuter_Tao *t = (HGOuter_Tao *)outer->data;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "HGOuter tao options");
  PetscCall(HGOptionsReal("-outer_lb", "Lower bound on every lambda_j", "HGOUTERTAO", t->lb, &t->lb, NULL));
  PetscCall(HGOptionsReal("-outer_ub", "Upper bound on every lambda_j", "HGOUTERTAO", t->ub, &t->ub, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(t->lb < t->ub, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_lb %g must be below -outer_ub %g", (double)t->lb, (double)t->ub);
  PetscCall(TaoSetFromOptions(t->tao));
  PetscFunctionReturn(0);
}

/* Every TAO method assumes one deterministic f: the line searches (also of the CG and
   quasi-Newton methods) compare f at two points, the L-BFGS and CG updates difference the
   gradients of two evaluations, and a unit step without a line search is only gd */
static PetscErrorCode HGOuterCheck_Tao(HGOuter outer)
{
  HGOuter_Tao *t = (HGOuter_Tao *)outer->data;
  TaoType      type;
  char         why[256];

  PetscFunctionBegin;
  PetscCall(TaoGetType(t->tao, &type));
  PetscCall(PetscSNPrintf(why, sizeof(why), "(TAO %s) assumes one deterministic f: its line searches compare f at two points and its quasi-Newton or conjugate-gradient updates difference the gradients of two evaluations", type));
  PetscCall(HGOuterRefuseBatches(outer, why));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGOuterDestroy_Tao(HGOuter outer)
{
  HGOuter_Tao *t = (HGOuter_Tao *)outer->data;

  PetscFunctionBegin;
  PetscCall(TaoDestroy(&t->tao));
  PetscCall(PetscFree(outer->data));
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterCreate_Tao(HGOuter outer)
{
  HGOuter_Tao *t;
  const char  *prefix;

  PetscFunctionBegin;
  PetscCall(PetscNew(&t));
  t->lb = PETSC_NINFINITY;
  t->ub = PETSC_INFINITY;
  PetscCall(TaoCreate(PetscObjectComm((PetscObject)outer), &t->tao));
  PetscCall(TaoSetType(t->tao, TAOBLMVM));
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)outer, &prefix));
  PetscCall(TaoSetOptionsPrefix(t->tao, prefix));
  PetscCall(TaoAppendOptionsPrefix(t->tao, "outer_"));
  outer->data                = t;
  outer->ops->solve          = HGOuterSolve_Tao;
  outer->ops->setfromoptions = HGOuterSetFromOptions_Tao;
  outer->ops->destroy        = HGOuterDestroy_Tao;
  outer->ops->check          = HGOuterCheck_Tao;
  PetscFunctionReturn(0);
}
