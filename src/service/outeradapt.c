/*MC
   HGOUTERADAPTIVE - hypergradient descent with adaptive accuracy, in the spirit of MAID
   (Salehi, Mukherjee, Roberts, Ehrhardt): one tolerance eps bounds the absolute residuals of
   the lower solve (||grad_w l||) and of the adjoint solve; it is set from the a-posteriori
   error bound B of each hypergradient (HGInfo bound_aposteriori), and a backtracking line
   search on the inexact upper objective decides the step.  Iteration k, at lambda with
   hypergradient h, inexact objective f~ = E(w_t, lambda) and its error margin e_f:

     1. accuracy: while B > theta ||h|| (and eps > eps_min), eps <- eps/10 and h, f~, B are
        recomputed at lambda (warm-started, so this costs a few iterations);
     2. backtracking: lambda+ = P(lambda - alpha h) is accepted when
          f~(lambda+) + e_f(lambda+) <= f~(lambda) - e_f(lambda) - (c/alpha) ||lambda+ - lambda||^2
        (= c alpha ||h||^2 without a projection),
        which implies the same decrease of the true f (MAID's test: the bounds of both values
        are on the pessimistic side); e_f = ||grad_w E(w_t)|| e + eta_w e^2/2 with
        e = ||w_t - w(lambda)|| <= G/mu (HGInfo lower_error_bound; the eta_w term only where the
        problem gives eta_w, HGProblemSetBoundConstants()); else alpha <- rho alpha;
     3. after max_ls rejections: eps <- eps/10, alpha <- rho alpha0 (alpha0 the step the
        iteration started with: the failure is blamed on the accuracy first), h, f~ recomputed
        at lambda (the iteration is recorded with step 0);
        after an acceptance: alpha <- min(1.25 alpha, alpha_max), eps <- min(1.25 eps, eps_0).
   The hypergradient of an accepted trial point is that of the next iteration: one
   evaluation per iteration when no backtracking or tightening is needed.  The record of an
   iteration holds f~, ||h||, the residuals and B at the new lambda and, in lower_its and
   adjoint_its, the iterations of every evaluation of the iteration (their sum over the
   history is the run's total).

   Options: -outer_step <0.1> initial alpha, -outer_tol0 <1e-3> initial (and largest) eps,
   -outer_tol_min <1e-12>, -outer_theta <0.5>, -outer_ls_c <1e-4>, -outer_ls_rho <0.5>,
   -outer_ls_max <8>, -outer_step_max <1e6>.  Needs -hg_type aid (a tolerance-based adjoint
   solve) with the bounds on (-hg_bound, the default), or -hg_type multi with -sub_hg_type aid
   and every instance's bound on (the tolerance then reaches every instance, the bound and the
   margin of f~ are the sums over the instances; mini-batches are refused); -lower_max_it and
   -hg_k are the caps of each solve, and a solve that reaches one before eps is an error that says so.  The current
   eps and alpha are part of the checkpoint; a resumed run recomputes h at lambda from the
   stored w and v (zero iterations when they already meet eps), so with warm starts it
   continues as if never stopped.

   Level: intermediate

.seealso: HGOUTERGD, HGSetAdjointTolerances(), HGLowerSetTolerances(), HGSetComputeBounds()
M*/
#include "outerimpl.h"

typedef struct {
  PetscReal tol0, tol_min, theta, c, rho, step_max;
  PetscInt  max_ls;
  Vec       lt, ht, dl; /* work vectors, kept with the object so that an error on the way leaks none */
} HGOuter_Adaptive;

static PetscErrorCode SetTolerance(HGOuter outer, PetscReal eps)
{
  PetscFunctionBegin;
  PetscCall(HGOuterSetSolveTolerances(outer->hg, eps));
  PetscFunctionReturn(0);
}

/* One evaluation at lambda: record, error margin ef of the inexact objective; a solve stopped
   by its iteration cap before the tolerance is an error naming the cap */
static PetscErrorCode Eval(HGOuter outer, PetscReal eps, Vec lambda, Vec h, HGOuterRecord *rec, PetscReal *ef)
{
  HG        hg = outer->hg;
  HGInfo    info;
  PetscReal g, etaw, e;
  PetscInt  t, k;
  PetscBool ismulti;

  PetscFunctionBegin;
  PetscCall(HGOuterEvaluate(outer, lambda, h, rec));
  PetscCall(HGGetInfo(hg, &info));
  PetscCall(HGGetIterations(hg, &t, &k));
  PetscCheck(info.lower_reason != HG_LOWER_DIVERGED_MAXIT, PetscObjectComm((PetscObject)outer), PETSC_ERR_NOT_CONVERGED, "Adaptive outer loop, iteration %" PetscInt_FMT ": the lower solver stopped at its cap -lower_max_it %" PetscInt_FMT " with residual %g above the tolerance %g: raise -lower_max_it (the cap of each lower solve), or raise -outer_tol_min", outer->it, info.lower_its, (double)info.lower_residual, (double)eps);
  PetscCheck(info.ksp_reason != KSP_DIVERGED_ITS, PetscObjectComm((PetscObject)outer), PETSC_ERR_NOT_CONVERGED, "Adaptive outer loop, iteration %" PetscInt_FMT ": the adjoint KSP stopped at its cap -hg_k %" PetscInt_FMT " with residual %g above the tolerance %g: raise -hg_k (the cap of each adjoint solve; default -lower_max_it), or raise -outer_tol_min", outer->it, info.adjoint_its, (double)info.adjoint_residual, (double)eps);
  PetscCheck(outer->reason < 0 || !PetscIsNanReal(rec->bound), PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_WRONGSTATE, "Adaptive outer loop: this problem has no a-posteriori error bound (its constants are unknown and could not be estimated, e.g. a map that is not known to be a contraction): give them (HGProblemSetLowerConstants(), HGProblemSetMapContraction(), HGProblemSetBoundConstants()), or use gd/nesterov with -outer_tol_schedule");
  PetscCall(PetscObjectTypeCompare((PetscObject)hg, HGMULTI, &ismulti));
  if (ismulti) { /* the sum over the instances of |c_i| times their margins */
    PetscCall(HGMultiGetUpperErrorMargin(hg, ef));
    if (*ef < 0) *ef = 0;
  } else {
    PetscCall(VecNorm(hg->rhs, NORM_2, &g));
    PetscCall(HGProblemGetBoundConstants(hg->problem, &etaw, NULL, NULL, NULL, NULL));
    e   = info.lower_error_bound;
    *ef = e >= 0 ? g * e + (etaw > 0 ? 0.5 * etaw * e * e : 0) : 0;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode HGOuterSolve_Adaptive(HGOuter outer, Vec lambda)
{
  HGOuter_Adaptive *a    = (HGOuter_Adaptive *)outer->data;
  HG                hg   = outer->hg;
  HGProblem         prob = hg->problem;
  MPI_Comm          comm = PetscObjectComm((PetscObject)outer);
  PetscBool         stop = PETSC_FALSE, isaid, ismulti;
  HGOuterRecord     cur, trial;
  PetscReal         ef, eft, eps, alpha = outer->step, pend_lower, pend_adjoint, dnorm;
  Vec               lt, ht, dl;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)hg, HGMULTI, &ismulti));
  if (ismulti) {
    PetscBool allaid, allbound;
    PetscCall(HGMultiCheckAdaptive(hg, &allaid, &allbound));
    PetscCheck(allaid, comm, PETSC_ERR_ARG_WRONGSTATE, "-outer_type adaptive sets the adjoint tolerance of every instance, which only aid has: use -sub_hg_type aid");
    PetscCheck(hg->bound && allbound, comm, PETSC_ERR_ARG_WRONGSTATE, "-outer_type adaptive sets its tolerances from the a-posteriori error bound of every instance: remove -hg_bound 0 and -sub_hg_bound 0");
  } else {
    PetscCall(PetscObjectTypeCompare((PetscObject)hg, HGAID, &isaid));
    PetscCheck(isaid, comm, PETSC_ERR_ARG_WRONGSTATE, "-outer_type adaptive sets the adjoint tolerance, which only aid has: use -hg_type aid (this run has -hg_type %s)", ((PetscObject)hg)->type_name);
    PetscCheck(hg->bound, comm, PETSC_ERR_ARG_WRONGSTATE, "-outer_type adaptive sets its tolerances from the a-posteriori error bound: remove -hg_bound 0 (or HGSetComputeBounds(hg, PETSC_FALSE))");
  }
  PetscCheck(!outer->tol_schedule, comm, PETSC_ERR_ARG_INCOMP, "-outer_tol_schedule is the fixed schedule of gd and nesterov; -outer_type adaptive sets the tolerances itself: remove one of them");
  /* a new run starts from -outer_tol0; a resumed one from the tolerance in the checkpoint */
  eps = outer->resumed && outer->tol > 0 ? PetscMin(PetscMax(outer->tol, a->tol_min), a->tol0) : a->tol0;
  outer->tol = eps;
  if (!a->lt) {
    PetscCall(VecDuplicate(lambda, &a->lt));
    PetscCall(VecDuplicate(lambda, &a->ht));
    PetscCall(VecDuplicate(lambda, &a->dl));
  }
  lt = a->lt, ht = a->ht, dl = a->dl;
  PetscCall(SetTolerance(outer, eps));
  PetscCall(Eval(outer, eps, lambda, outer->h, &cur, &ef));
  pend_lower   = cur.lower_its; /* counted in the first record */
  pend_adjoint = cur.adjoint_its;
  while (!stop) {
    PetscReal lower_its = pend_lower, adjoint_its = pend_adjoint, alpha0 = alpha, accepted_step = 0;
    PetscBool accepted = PETSC_FALSE, failed_trial = PETSC_FALSE;

    pend_lower = pend_adjoint = 0;
    /* 1. accuracy: the bound must be small against ||h|| */
    while (outer->reason >= 0 && cur.bound > a->theta * cur.hypergradient_norm && eps > a->tol_min) {
      eps = PetscMax(a->tol_min, 0.1 * eps);
      PetscCall(SetTolerance(outer, eps));
      PetscCall(Eval(outer, eps, lambda, outer->h, &cur, &ef));
      lower_its += cur.lower_its;
      adjoint_its += cur.adjoint_its;
    }
    /* 2. backtracking on the inexact objective, with the error margins on the safe side */
    for (PetscInt j = 0; j < a->max_ls && outer->reason >= 0; j++) {
      PetscCall(VecWAXPY(lt, -alpha, outer->h, lambda));
      PetscCall(HGProblemProject(prob, lt));
      PetscCall(Eval(outer, eps, lt, ht, &trial, &eft));
      lower_its += trial.lower_its;
      adjoint_its += trial.adjoint_its;
      if (outer->reason < 0) {
        failed_trial = PETSC_TRUE;
        break;
      }
      PetscCall(VecWAXPY(dl, -1.0, lambda, lt));
      PetscCall(VecNorm(dl, NORM_2, &dnorm)); /* ||lambda+ - lambda||: alpha ||h|| without projection */
      if (trial.upper_objective + eft <= cur.upper_objective - ef - a->c * dnorm * dnorm / alpha) {
        accepted = PETSC_TRUE;
        break;
      }
      alpha *= a->rho;
    }
    if (outer->reason < 0) {
      HGOuterRecord rec = failed_trial ? trial : cur; /* the evaluation that failed */
      rec.lower_its     = lower_its;
      rec.adjoint_its   = adjoint_its;
      PetscCall(HGOuterEndIteration(outer, &rec, &stop));
      break;
    }
    if (accepted) {
      PetscCall(VecCopy(lt, lambda));
      PetscCall(VecCopy(ht, outer->h));
      cur           = trial;
      ef            = eft;
      accepted_step = alpha;
      alpha         = PetscMin(1.25 * alpha, a->step_max);
      eps           = PetscMin(1.25 * eps, a->tol0);
      PetscCall(SetTolerance(outer, eps));
    } else {
      /* 3. no safe decrease at this accuracy: tighten and re-evaluate at lambda */
      PetscCheck(eps > a->tol_min, comm, PETSC_ERR_NOT_CONVERGED, "Adaptive outer loop, iteration %" PetscInt_FMT ": no certified decrease at the tightest tolerance %g (-outer_tol_min) after %" PetscInt_FMT " backtracking steps down to step %g; |h| = %g, f = %g with error margin %g: lower -outer_tol_min (within what the solvers can reach), raise -outer_ls_max, or stop earlier (-outer_gatol)", outer->it, (double)eps, a->max_ls, (double)(alpha / a->rho), (double)cur.hypergradient_norm, (double)cur.upper_objective, (double)ef);
      eps   = PetscMax(a->tol_min, 0.1 * eps);
      alpha = a->rho * alpha0;
      PetscCall(SetTolerance(outer, eps));
      PetscCall(Eval(outer, eps, lambda, outer->h, &cur, &ef));
      lower_its += cur.lower_its;
      adjoint_its += cur.adjoint_its;
    }
    outer->it++;
    outer->step = alpha;
    outer->tol  = eps;
    {
      HGOuterRecord rec = cur;
      rec.step          = accepted_step; /* 0: rejected, tolerance tightened */
      rec.lower_its     = lower_its;     /* every evaluation of this iteration */
      rec.adjoint_its   = adjoint_its;
      PetscCall(HGOuterEndIteration(outer, &rec, &stop));
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode HGOuterSetFromOptions_Adaptive(HGOuter outer, PetscOptionItems *PetscOptionsObject)
{
  HGOuter_Adaptive *a    = (HGOuter_Adaptive *)outer->data;
  MPI_Comm          comm = PetscObjectComm((PetscObject)outer);

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "HGOuter adaptive-accuracy options");
  PetscCall(HGOptionsReal("-outer_tol0", "Initial (and largest) lower/adjoint tolerance", "HGOUTERADAPTIVE", a->tol0, &a->tol0, NULL));
  PetscCall(HGOptionsReal("-outer_tol_min", "Smallest tolerance", "HGOUTERADAPTIVE", a->tol_min, &a->tol_min, NULL));
  PetscCall(HGOptionsReal("-outer_theta", "Required bound / ||h||", "HGOUTERADAPTIVE", a->theta, &a->theta, NULL));
  PetscCall(HGOptionsReal("-outer_ls_c", "Sufficient-decrease constant", "HGOUTERADAPTIVE", a->c, &a->c, NULL));
  PetscCall(HGOptionsReal("-outer_ls_rho", "Backtracking factor", "HGOUTERADAPTIVE", a->rho, &a->rho, NULL));
  PetscCall(HGOptionsInt("-outer_ls_max", "Backtracking steps before the tolerance is tightened", "HGOUTERADAPTIVE", a->max_ls, &a->max_ls, NULL));
  PetscCall(HGOptionsReal("-outer_step_max", "Largest step", "HGOUTERADAPTIVE", a->step_max, &a->step_max, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(!outer->tol_schedule, comm, PETSC_ERR_ARG_INCOMP, "-outer_tol_schedule is the fixed schedule of gd and nesterov; -outer_type adaptive sets the tolerances itself: remove one of them");
  PetscCheck(a->tol0 > 0 && a->tol_min > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-outer_tol0 and -outer_tol_min must be positive (absolute residual tolerances); got %g and %g", (double)a->tol0, (double)a->tol_min);
  PetscCheck(a->tol_min <= a->tol0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-outer_tol_min %g is larger than -outer_tol0 %g: the smallest tolerance must not exceed the initial one", (double)a->tol_min, (double)a->tol0);
  PetscCheck(a->theta > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-outer_theta must be positive (the largest error bound / ||h|| accepted; below 1 for a descent direction); got %g", (double)a->theta);
  PetscCheck(a->c > 0 && a->c < 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-outer_ls_c must lie in (0,1); got %g", (double)a->c);
  PetscCheck(a->rho > 0 && a->rho < 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-outer_ls_rho must lie in (0,1); got %g", (double)a->rho);
  PetscCheck(a->max_ls >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-outer_ls_max must be >= 1; got %" PetscInt_FMT, a->max_ls);
  PetscCheck(a->step_max > 0 && PetscIsNormalReal(a->step_max), comm, PETSC_ERR_ARG_OUTOFRANGE, "-outer_step_max must be a positive finite number; got %g", (double)a->step_max);
  PetscFunctionReturn(0);
}

static PetscErrorCode HGOuterDestroy_Adaptive(HGOuter outer)
{
  HGOuter_Adaptive *a = (HGOuter_Adaptive *)outer->data;

  PetscFunctionBegin;
  PetscCall(VecDestroy(&a->lt));
  PetscCall(VecDestroy(&a->ht));
  PetscCall(VecDestroy(&a->dl));
  PetscCall(PetscFree(outer->data));
  PetscFunctionReturn(0);
}

/* each evaluation would draw another batch: f~ at lambda and at the trial point would be two
   different random functions, and the certified decrease compares them */
static PetscErrorCode HGOuterCheck_Adaptive(HGOuter outer)
{
  PetscFunctionBegin;
  PetscCall(HGOuterRefuseBatches(outer, "certifies each step by comparing f at two points"));
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterCreate_Adaptive(HGOuter outer)
{
  HGOuter_Adaptive *a;

  PetscFunctionBegin;
  PetscCall(PetscNew(&a));
  a->tol0                    = 1e-3;
  a->tol_min                 = 1e-12;
  a->theta                   = 0.5;
  a->c                       = 1e-4;
  a->rho                     = 0.5;
  a->max_ls                  = 8;
  a->step_max                = 1e6;
  outer->data                = a;
  outer->ops->solve          = HGOuterSolve_Adaptive;
  outer->ops->setfromoptions = HGOuterSetFromOptions_Adaptive;
  outer->ops->destroy        = HGOuterDestroy_Adaptive;
  outer->ops->check          = HGOuterCheck_Adaptive;
  PetscFunctionReturn(0);
}
