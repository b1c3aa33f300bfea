/*MC
   HGOUTERADAPTIVE - hypergradient descent with adaptive accuracy, in the spirit of MAID
   (Salehi, Mukherjee, Roberts, Ehrhardt): the lower-level and adjoint tolerance eps (absolute
   residuals) is set from the a-posteriori error bound of each hypergradient, and a
   backtracking line search on the inexact upper objective decides the step:

     1. tighten eps (eps <- nu eps) until the bound B of h(lambda) is at most theta ||h||
        (or eps reaches eps_min);
     2. try lambda+ = P(lambda - alpha h): accept when
          f~(lambda+) <= f~(lambda) - c alpha ||h||^2 + 2 e_f,
        e_f = ||grad_w E|| * (bound on ||w_t - w*||), the error of the inexact objectives;
        else alpha <- rho alpha;
     3. after max_ls rejections tighten eps and start again from lambda; after an accepted
        step alpha <- min(alpha / rho, alpha_max)... grown by 1.25 and eps loosened by 1.25
        (never above eps_0).
   The hypergradient of an accepted trial point is that of the next iteration: one
   evaluation per accepted step when no backtracking is needed.

   Options: -outer_tol0 <1e-3> initial eps, -outer_tol_min <1e-12>, -outer_theta <0.5>,
   -outer_ls_c <1e-4>, -outer_ls_rho <0.5>, -outer_ls_max <8>, -outer_step (initial alpha),
   -outer_step_max <1e6>.  Needs -hg_type aid (tolerance-based adjoint); the bound is
   switched on.

   Level: intermediate

.seealso: HGOUTERGD, HGSetAdjointTolerances(), HGLowerSetTolerances()
M*/
#include "outerimpl.h"

typedef struct {
  PetscReal tol0, tol_min, theta, c, rho, step_max;
  PetscInt  max_ls;
} HGOuter_Adaptive;

static PetscErrorCode SetTolerance(HGOuter outer, PetscReal eps)
{
  HGLower lower;

  PetscFunctionBegin;
  PetscCall(HGGetLower(outer->hg, &lower));
  PetscCall(HGLowerSetTolerances(lower, 0.0, eps, lower->dtol > 0 ? lower->dtol : 1e10));
  PetscCall(HGSetAdjointTolerances(outer->hg, 0.0, eps));
  PetscFunctionReturn(0);
}

/* One evaluation at lambda: record, objective error margin e_f */
static PetscErrorCode Eval(HGOuter outer, Vec lambda, Vec h, HGOuterRecord *rec, PetscReal *ef)
{
  HGInfo    info;
  PetscReal g;

  PetscFunctionBegin;
  PetscCall(HGOuterEvaluate(outer, lambda, h, rec));
  PetscCall(HGGetInfo(outer->hg, &info));
  PetscCall(VecNorm(outer->hg->rhs, NORM_2, &g));
  *ef = info.lower_error_bound >= 0 ? g * info.lower_error_bound : 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGOuterSolve_Adaptive(HGOuter outer, Vec lambda)
{
  HGOuter_Adaptive *a    = (HGOuter_Adaptive *)outer->data;
  HGProblem         prob = outer->hg->problem;
  PetscBool         stop = PETSC_FALSE;
  HGOuterRecord     cur, trial;
  PetscReal         ef, eft, eps, alpha = outer->step;
  Vec               lt, ht;

  PetscFunctionBegin;
  eps = outer->tol > 0 ? outer->tol : a->tol0;
  PetscCall(VecDuplicate(lambda, &lt));
  PetscCall(VecDuplicate(lambda, &ht));
  PetscCall(SetTolerance(outer, eps));
  PetscCall(Eval(outer, lambda, outer->h, &cur, &ef));
  while (!stop && outer->reason >= 0) {
    PetscReal lower_its = cur.lower_its, adjoint_its = cur.adjoint_its;
    PetscBool accepted  = PETSC_FALSE;

    /* 1. accuracy: the bound must be small against ||h|| */
    while (outer->reason >= 0 && cur.bound >= 0 && cur.bound > a->theta * cur.hypergradient_norm && eps > a->tol_min) {
      eps = PetscMax(a->tol_min, 0.1 * eps);
      PetscCall(SetTolerance(outer, eps));
      PetscCall(Eval(outer, lambda, outer->h, &cur, &ef));
      lower_its += cur.lower_its;
      adjoint_its += cur.adjoint_its;
    }
    /* 2. backtracking on the inexact objective */
    for (PetscInt j = 0; j < a->max_ls && outer->reason >= 0; j++) {
      PetscCall(VecWAXPY(lt, -alpha, outer->h, lambda));
      PetscCall(HGProblemProject(prob, lt));
      PetscCall(Eval(outer, lt, ht, &trial, &eft));
      lower_its += trial.lower_its;
      adjoint_its += trial.adjoint_its;
      if (outer->reason < 0) break;
      if (trial.upper_objective <= cur.upper_objective - a->c * alpha * cur.hypergradient_norm * cur.hypergradient_norm + 2 * (ef + eft)) {
        accepted = PETSC_TRUE;
        break;
      }
      alpha *= a->rho;
    }
    if (outer->reason < 0) {
      PetscCall(HGOuterEndIteration(outer, &cur, &stop));
      break;
    }
    if (accepted) {
      PetscCall(VecCopy(lt, lambda));
      PetscCall(VecCopy(ht, outer->h));
      cur   = trial;
      ef    = eft;
      alpha = PetscMin(1.25 * alpha, a->step_max);
      eps   = PetscMin(1.25 * eps, a->tol0);
      PetscCall(SetTolerance(outer, eps));
    } else {
      /* 3. no decrease at this accuracy: tighten and re-evaluate at lambda */
      PetscCheck(eps > a->tol_min, PetscObjectComm((PetscObject)outer), PETSC_ERR_NOT_CONVERGED, "Adaptive outer loop: no decrease at the tightest tolerance %g after %" PetscInt_FMT " backtracking steps (step %g); raise -outer_ls_max or lower -outer_tol_min", (double)eps, a->max_ls, (double)alpha);
      eps = PetscMax(a->tol_min, 0.1 * eps);
      PetscCall(SetTolerance(outer, eps));
      PetscCall(Eval(outer, lambda, outer->h, &cur, &ef));
      lower_its += cur.lower_its;
      adjoint_its += cur.adjoint_its;
    }
    outer->it++;
    outer->step = alpha;
    outer->tol  = eps;
    {
      HGOuterRecord rec = cur;
      rec.step          = accepted ? alpha / 1.25 : 0;
      rec.lower_its     = lower_its; /* every evaluation of this iteration */
      rec.adjoint_its   = adjoint_its;
      PetscCall(HGOuterEndIteration(outer, &rec, &stop));
    }
  }
  PetscCall(VecDestroy(&lt));
  PetscCall(VecDestroy(&ht));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGOuterSetFromOptions_Adaptive(HGOuter outer, PetscOptionItems *PetscOptionsObject)
{
  HGOuter_Adaptive *a = (HGOuter_Adaptive *)outer->data;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "HGOuter adaptive-accuracy options");
  PetscCall(PetscOptionsReal("-outer_tol0", "Initial (and largest) lower/adjoint tolerance", "HGOUTERADAPTIVE", a->tol0, &a->tol0, NULL));
  PetscCall(PetscOptionsReal("-outer_tol_min", "Smallest tolerance", "HGOUTERADAPTIVE", a->tol_min, &a->tol_min, NULL));
  PetscCall(PetscOptionsReal("-outer_theta", "Required bound / ||h||", "HGOUTERADAPTIVE", a->theta, &a->theta, NULL));
  PetscCall(PetscOptionsReal("-outer_ls_c", "Sufficient-decrease constant", "HGOUTERADAPTIVE", a->c, &a->c, NULL));
  PetscCall(PetscOptionsReal("-outer_ls_rho", "Backtracking factor", "HGOUTERADAPTIVE", a->rho, &a->rho, NULL));
  PetscCall(PetscOptionsInt("-outer_ls_max", "Backtracking steps before the tolerance is tightened", "HGOUTERADAPTIVE", a->max_ls, &a->max_ls, NULL));
  PetscCall(PetscOptionsReal("-outer_step_max", "Largest step", "HGOUTERADAPTIVE", a->step_max, &a->step_max, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(a->tol0 > 0 && a->tol_min > 0 && a->tol_min <= a->tol0, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "Need 0 < -outer_tol_min <= -outer_tol0; got %g and %g", (double)a->tol_min, (double)a->tol0);
  PetscCheck(a->theta > 0 && a->c > 0 && a->c < 1 && a->rho > 0 && a->rho < 1 && a->max_ls >= 1 && a->step_max > 0, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "Need -outer_theta > 0, 0 < -outer_ls_c < 1, 0 < -outer_ls_rho < 1, -outer_ls_max >= 1, -outer_step_max > 0");
  PetscFunctionReturn(0);
}

static PetscErrorCode HGOuterDestroy_Adaptive(HGOuter outer)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(outer->data));
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
  PetscFunctionReturn(0);
}
