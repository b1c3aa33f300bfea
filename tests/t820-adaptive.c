static const char help[] = "t820: adaptive accuracy (-outer_type adaptive, -outer_tol_schedule) against the closed-form hypergradient.\n";
/* On the quadratic problem, whose true f and hypergradient come from a dense Cholesky solve
   (HGProblemComputeExactHypergradient), independent of the iterative solvers:
   1. -outer_type adaptive: at every iteration the true f does not increase (the line search
      only accepts certified decreases), the recorded bound is >= the true error of the
      hypergradient at the recorded point, |f~ - f| <= the margin the line search assumes,
      and after 40 iterations the true f is within 2.5 % of f0 - f* of f* (f* by CG on
      the Hessian of f), which 40 exact steps of the initial step 0.01 do not reach;
      with loose tolerances the failed line searches tighten them (step 0 recorded, lambda
      kept) and the true f still never rises;
   2. -outer_tol_schedule geometric and power: each recorded lower and adjoint residual is at
      most the tolerance the schedule promises for that iteration, and the solves stop near it;
   3. an adaptive run stopped after 5 iterations and resumed from its checkpoint ends where an
      uninterrupted run ends (compared to 1e-10; -verbose says whether bitwise);
   4. bad options and an unsuitable set-up are refused with messages naming the option.
   The monitor reads the current lambda and h through the private struct (white-box). */
#include "hgtest.h"
#include "../src/service/outerimpl.h"

typedef struct {
  HGProblem prob;
  Vec       g, gw, gl;
  PetscReal fprev, ratio_max, margin_ratio_max;
  PetscInt  n, accepted;
} Check;

/* after every adaptive iteration: true f, true error of h, margin of f~ */
static PetscErrorCode MonitorCheck(HGOuter outer, const HGOuterRecord *r, void *ctx)
{
  Check    *c = (Check *)ctx;
  HG        hg;
  HGInfo    info;
  Vec       w;
  PetscReal f, err, gwn, etaw, e, margin;

  PetscFunctionBegin;
  PetscCall(HGOuterGetHG(outer, &hg));
  PetscCall(HGProblemComputeExactHypergradient(c->prob, outer->lambda, c->g, &f));
  PetscCall(VecAXPY(c->g, -1.0, outer->h));
  PetscCall(VecNorm(c->g, NORM_2, &err));
  HGTEST_CHECK(r->bound >= err, "iteration %" PetscInt_FMT ": the recorded bound %g is below the true error %g of the hypergradient", r->iteration, (double)r->bound, (double)err);
  if (err > 0) c->ratio_max = PetscMax(c->ratio_max, err / r->bound);
  HGTEST_CHECK(f <= c->fprev * (1 + 1e-13), "iteration %" PetscInt_FMT ": the true f rose from %.15g to %.15g (step %g)", r->iteration, (double)c->fprev, (double)f, (double)r->step);
  if (r->step > 0) {
    HGTEST_CHECK(f < c->fprev, "iteration %" PetscInt_FMT ": an accepted step (%g) did not lower the true f %.15g", r->iteration, (double)r->step, (double)f);
    c->accepted++;
  }
  /* the error margin of the inexact objective that the line search relies on */
  PetscCall(HGGetInfo(hg, &info));
  PetscCall(HGGetLowerSolution(hg, &w));
  PetscCall(HGProblemComputeUpperGradient(c->prob, w, outer->lambda, c->gw, c->gl));
  PetscCall(VecNorm(c->gw, NORM_2, &gwn));
  PetscCall(HGProblemGetBoundConstants(c->prob, &etaw, NULL, NULL, NULL, NULL));
  e      = info.lower_error_bound;
  margin = gwn * e + 0.5 * etaw * e * e;
  HGTEST_CHECK(PetscAbsReal(r->upper_objective - f) <= margin, "iteration %" PetscInt_FMT ": |f~ - f| = %g exceeds the margin %g", r->iteration, (double)PetscAbsReal(r->upper_objective - f), (double)margin);
  if (margin > 0) c->margin_ratio_max = PetscMax(c->margin_ratio_max, PetscAbsReal(r->upper_objective - f) / margin);
  c->fprev = f;
  c->n++;
  PetscFunctionReturn(0);
}

/* An outer loop of the given type from the options set; a fresh HG each time */
static PetscErrorCode Outer(HGProblem prob, HGOuterType type, PetscInt max_it, HGOuter *outer)
{
  HG hg;

  PetscFunctionBegin;
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERHEAVYBALL, KSPCG, 5000, 2000, &hg));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(HGOuterCreate(PETSC_COMM_WORLD, outer));
  PetscCall(HGOuterSetHG(*outer, hg));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGOuterSetType(*outer, type));
  PetscCall(HGOuterSetFromOptions(*outer));
  PetscCall(HGOuterSetMaxIterations(*outer, max_it));
  PetscFunctionReturn(0);
}

static PetscErrorCode Solve(HGOuter outer, Vec lambda)
{
  HGOuterConvergedReason reason;
  HGOuterType            type;

  PetscFunctionBegin;
  PetscCall(HGOuterSolve(outer, lambda));
  PetscCall(HGOuterGetConvergedReason(outer, &reason));
  PetscCall(HGOuterGetType(outer, &type));
  HGTEST_CHECK(reason > 0, "HGOuter %s stopped with %s", type, HGOuterConvergedReasons[reason]);
  PetscFunctionReturn(0);
}

/* Every record's residuals against the schedule eps_k = max(tol0 r^k or tol0 (k+1)^-r, tol_min), k = iteration - 1 */
static PetscErrorCode CheckSchedule(HGProblem prob, Vec l0, const char *sched, PetscReal tol0, PetscReal decay, PetscReal tol_min, PetscInt n, PetscBool verbose)
{
  HGOuter              outer;
  Vec                  lambda;
  const HGOuterRecord *hist;
  PetscInt             nh, near = 0;
  char                 buf[32];

  PetscFunctionBegin;
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol_schedule", sched));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%g", (double)tol0));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol0", buf));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%g", (double)decay));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol_decay", buf));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%g", (double)tol_min));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol_min", buf));
  PetscCall(Outer(prob, HGOUTERGD, n, &outer));
  PetscCall(HGOuterSetStepSize(outer, 0.03));
  PetscCall(VecDuplicate(l0, &lambda));
  PetscCall(VecCopy(l0, lambda));
  PetscCall(Solve(outer, lambda));
  PetscCall(HGOuterGetHistory(outer, &nh, &hist));
  HGTEST_CHECK(nh == n, "%s schedule: %" PetscInt_FMT " records for %" PetscInt_FMT " iterations", sched, nh, n);
  for (PetscInt j = 0; j < nh; j++) {
    PetscInt  k   = hist[j].iteration - 1;
    PetscReal eps = PetscMax(tol_min, sched[0] == 'g' ? tol0 * PetscPowReal(decay, (PetscReal)k) : tol0 * PetscPowReal((PetscReal)(k + 1), -decay));

    HGTEST_CHECK(hist[j].lower_residual <= eps, "%s schedule, iteration %" PetscInt_FMT ": lower residual %g above the promised tolerance %g", sched, k + 1, (double)hist[j].lower_residual, (double)eps);
    /* CG stops on its recursive residual; the recorded one is the true ||A v - g||: rounding allowed */
    HGTEST_CHECK(hist[j].adjoint_residual <= eps * (1 + 1e-6) + 1e-13, "%s schedule, iteration %" PetscInt_FMT ": adjoint residual %g above the promised tolerance %g", sched, k + 1, (double)hist[j].adjoint_residual, (double)eps);
    if (hist[j].lower_residual > 0.01 * eps && hist[j].lower_its > 0) near++;
  }
  /* the schedule, not a fixed iteration count, stopped the solves */
  HGTEST_CHECK(near >= (8 * nh) / 10, "%s schedule: only %" PetscInt_FMT " of %" PetscInt_FMT " lower solves stopped within a factor 100 of their tolerance", sched, near, nh);
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s schedule: %" PetscInt_FMT " iterations, last tolerance %g, residuals %g / %g\n", sched, nh, (double)outer->tol, (double)hist[nh - 1].lower_residual, (double)hist[nh - 1].adjoint_residual));
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(VecDestroy(&lambda));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol_schedule"));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol0"));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol_decay"));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol_min"));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem   prob;
  HGOuter     outer;
  HG          hg;
  Vec         l0, a, b, g;
  Check       c;
  PetscReal   f0, f, fstar, ftarget, fref = 0, rel;
  PetscInt    n = 40, tl, ta, sum_l = 0, sum_a = 0, nh;
  PetscBool   verbose = PETSC_FALSE, same;
  PetscMPIInt size, rank;
  char        file[64];
  const HGOuterRecord *hist;
  double      t0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  t0 = MPI_Wtime();
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMQUADRATIC, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &l0));
  PetscCall(HGProblemGetInitialHyperparameters(prob, l0));
  PetscCall(VecDuplicate(l0, &a));
  PetscCall(VecDuplicate(l0, &b));
  PetscCall(VecDuplicate(l0, &g));

  /* f is quadratic in lambda (w* is affine in it): f* and its minimizer by CG on the Hessian,
     whose products are differences of exact hypergradients; the target, 2.5 % of f0 - f*
     above f*, is out of reach of 40 steps of the initial step 0.01 on the exact hypergradient */
  {
    Vec       x, r, p, q, g0;
    PetscReal rr, rr1, pq, gnorm;

    PetscCall(VecDuplicate(l0, &x));
    PetscCall(VecDuplicate(l0, &r));
    PetscCall(VecDuplicate(l0, &p));
    PetscCall(VecDuplicate(l0, &q));
    PetscCall(VecDuplicate(l0, &g0));
    PetscCall(HGProblemComputeExactHypergradient(prob, l0, g0, &f0));
    PetscCall(VecSet(x, 0.0));
    PetscCall(VecCopy(g0, r));
    PetscCall(VecScale(r, -1.0));
    PetscCall(VecCopy(r, p));
    PetscCall(VecDot(r, r, &rr));
    for (PetscInt k = 0; k < 200 && rr > 1e-24; k++) {
      PetscCall(VecWAXPY(a, 1.0, p, l0)); /* H p = g(l0 + p) - g(l0) */
      PetscCall(HGProblemComputeExactHypergradient(prob, a, q, &f));
      PetscCall(VecAXPY(q, -1.0, g0));
      PetscCall(VecDot(p, q, &pq));
      PetscCall(VecAXPY(x, rr / pq, p));
      PetscCall(VecAXPY(r, -rr / pq, q));
      PetscCall(VecDot(r, r, &rr1));
      PetscCall(VecAYPX(p, rr1 / rr, r));
      rr = rr1;
    }
    PetscCall(VecWAXPY(a, 1.0, x, l0));
    PetscCall(HGProblemComputeExactHypergradient(prob, a, g, &fstar));
    PetscCall(VecNorm(g, NORM_2, &gnorm));
    HGTEST_CHECK(gnorm < 1e-6, "the reference minimizer of f is not one: |grad f| = %g", (double)gnorm);
    PetscCall(VecCopy(l0, a));
    for (PetscInt k = 0; k < n; k++) {
      PetscCall(HGProblemComputeExactHypergradient(prob, a, g, &f));
      PetscCall(VecAXPY(a, -0.01, g));
    }
    PetscCall(HGProblemComputeExactHypergradient(prob, a, g, &fref));
    ftarget = fstar + 0.025 * (f0 - fstar);
    HGTEST_CHECK(fref > ftarget, "the target f %g is reached by 40 fixed steps of 0.01 on the exact hypergradient (%g): it tests nothing", (double)ftarget, (double)fref);
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "[%.2f s] quadratic: f0 %g, f* %.10g (|grad f| %.1e there), target %g; 40 exact steps of 0.01: %g\n", MPI_Wtime() - t0, (double)f0, (double)fstar, (double)gnorm, (double)ftarget, (double)fref));
    PetscCall(VecDestroy(&x));
    PetscCall(VecDestroy(&r));
    PetscCall(VecDestroy(&p));
    PetscCall(VecDestroy(&q));
    PetscCall(VecDestroy(&g0));
  }

  /* 1. adaptive: true f, bound, margins, target */
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol0", "1e-2"));
  PetscCall(Outer(prob, HGOUTERADAPTIVE, n, &outer));
  PetscCall(HGOuterSetStepSize(outer, 0.01));
  PetscCall(PetscMemzero(&c, sizeof(c)));
  c.prob = prob;
  PetscCall(VecDuplicate(l0, &c.g));
  PetscCall(VecDuplicate(l0, &c.gl));
  PetscCall(HGProblemCreateVecs(prob, &c.gw, NULL));
  c.fprev = f0;
  PetscCall(HGOuterMonitorSet(outer, MonitorCheck, &c, NULL));
  PetscCall(VecCopy(l0, a));
  PetscCall(Solve(outer, a));
  PetscCall(HGProblemComputeExactHypergradient(prob, a, g, &f));
  HGTEST_CHECK(c.n == n, "the monitor saw %" PetscInt_FMT " of %" PetscInt_FMT " iterations", c.n, n);
  HGTEST_CHECK(f <= ftarget, "adaptive: true f %g after %" PetscInt_FMT " iterations, above the target %g (from %g)", (double)f, n, (double)ftarget, (double)f0);
  HGTEST_CHECK(c.accepted >= n / 2, "adaptive: only %" PetscInt_FMT " of %" PetscInt_FMT " steps accepted", c.accepted, n);
  PetscCall(HGOuterGetTotalIterations(outer, &tl, &ta));
  PetscCall(HGOuterGetHistory(outer, &nh, &hist));
  for (PetscInt j = 0; j < nh; j++) sum_l += (PetscInt)hist[j].lower_its, sum_a += (PetscInt)hist[j].adjoint_its;
  HGTEST_CHECK(sum_l == tl && sum_a == ta, "adaptive: the history counts %" PetscInt_FMT " lower and %" PetscInt_FMT " adjoint iterations, the totals %" PetscInt_FMT " and %" PetscInt_FMT, sum_l, sum_a, tl, ta);
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "[%.2f s] adaptive: true f %g -> %g in %" PetscInt_FMT " iterations (%" PetscInt_FMT " accepted; 40 steps of 0.01 on the exact hypergradient: %g), %" PetscInt_FMT " lower + %" PetscInt_FMT " adjoint iterations; largest true error / bound %.3g, |f~ - f| / margin %.3g, last tolerance %g\n", MPI_Wtime() - t0, (double)f0, (double)f, n, c.accepted, (double)fref, tl, ta, (double)c.ratio_max, (double)c.margin_ratio_max, (double)outer->tol));
  PetscCall(HGOuterDestroy(&outer));
  /* 1b. the tightening path: loose tolerances and two backtracking steps make the line search
     fail; the iterations that tighten keep lambda (step 0), the others still lower the true f */
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol0", "1"));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_theta", "10"));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_ls_max", "2"));
  PetscCall(Outer(prob, HGOUTERADAPTIVE, 15, &outer));
  PetscCall(HGOuterSetStepSize(outer, 0.01));
  c.fprev = f0;
  c.n = c.accepted = 0;
  PetscCall(HGOuterMonitorSet(outer, MonitorCheck, &c, NULL));
  PetscCall(VecCopy(l0, a));
  PetscCall(Solve(outer, a));
  HGTEST_CHECK(c.n == 15 && c.accepted >= 5 && c.accepted < 15, "adaptive with -outer_tol0 1 -outer_ls_max 2: %" PetscInt_FMT " of %" PetscInt_FMT " steps accepted; expected some rejections that tighten the tolerance", c.accepted, c.n);
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "adaptive, tightening path: true f %g -> %g in 15 iterations, %" PetscInt_FMT " accepted, last tolerance %g\n", (double)f0, (double)c.fprev, c.accepted, (double)outer->tol));
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_theta"));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_ls_max"));

  /* 2. HOAG-like schedules keep their promises */
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol0"));
  PetscCall(CheckSchedule(prob, l0, "geometric", 1e-2, 0.7, 1e-9, 30, verbose));
  PetscCall(CheckSchedule(prob, l0, "power", 1e-2, 2.0, 1e-9, 20, verbose));

  /* 3. resume: 5 iterations + checkpoint, then resume to 12 = 12 uninterrupted */
  PetscCall(PetscSNPrintf(file, sizeof(file), "t820-adaptive-np%d.h5", (int)size));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol0", "1e-2"));
  PetscCall(Outer(prob, HGOUTERADAPTIVE, 12, &outer));
  PetscCall(HGOuterSetStepSize(outer, 0.01));
  PetscCall(VecCopy(l0, a));
  PetscCall(Solve(outer, a));
  PetscCall(HGOuterGetTotalIterations(outer, &tl, &ta));
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_checkpoint_overwrite", NULL));
  PetscCall(Outer(prob, HGOUTERADAPTIVE, 5, &outer));
  PetscCall(HGOuterSetStepSize(outer, 0.01));
  PetscCall(HGOuterSetCheckpoint(outer, file, 0));
  PetscCall(VecCopy(l0, b));
  PetscCall(Solve(outer, b));
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_checkpoint_overwrite"));
  PetscCall(Outer(prob, HGOUTERADAPTIVE, 12, &outer));
  PetscCall(HGOuterSetStepSize(outer, 0.5)); /* ignored: the step of an adaptive run is state from the checkpoint */
  PetscCall(VecSet(b, 0.0));
  PetscCall(HGOuterLoadCheckpoint(outer, file, b));
  PetscCall(Solve(outer, b));
  PetscCall(HGTestRelDiff(b, a, &rel));
  PetscCall(VecEqual(a, b, &same));
  HGTEST_CHECK(rel <= 1e-10, "adaptive resumed at 5 ends %g from the uninterrupted run", (double)rel);
  {
    PetscInt tl2, ta2;
    PetscCall(HGOuterGetTotalIterations(outer, &tl2, &ta2));
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "resume at 5 of 12 on %d ranks: lambda %s (relative difference %g); iterations %" PetscInt_FMT "/%" PetscInt_FMT " resumed, %" PetscInt_FMT "/%" PetscInt_FMT " uninterrupted\n", (int)size, same ? "bitwise equal" : "not bitwise equal", (double)rel, tl2, ta2, tl, ta));
  }
  PetscCall(HGOuterDestroy(&outer));
  if (!rank) (void)remove(file);

  /* 4. bad options and set-ups */
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol_min", "1"));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol0", "0.1"));
  EXPECT_ERROR(Outer(prob, HGOUTERADAPTIVE, 1, &outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_tol_min 1. is larger than -outer_tol0 0.1");
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol_schedule", "geometric"));
  EXPECT_ERROR(Outer(prob, HGOUTERGD, 1, &outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_tol_min 1. is larger than -outer_tol0 0.1");
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol_min"));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol0"));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol_decay", "1.5"));
  EXPECT_ERROR(Outer(prob, HGOUTERGD, 1, &outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_tol_decay in (0,1)");
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol_decay"));
  EXPECT_ERROR(Outer(prob, HGOUTERADAPTIVE, 1, &outer), PETSC_ERR_ARG_INCOMP, "-outer_tol_schedule is the fixed schedule of gd and nesterov");
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol_schedule"));
  {
    const char *opt[][2] = {
      {"-outer_theta", "0"},
      {"-outer_ls_c", "1.5"},
      {"-outer_ls_rho", "1"},
      {"-outer_ls_max", "0"},
      {"-outer_step_max", "-1"},
      {"-outer_tol0", "-1e-3"}
    };
    for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
      PetscCall(PetscOptionsSetValue(NULL, opt[i][0], opt[i][1]));
      EXPECT_ERROR(Outer(prob, HGOUTERADAPTIVE, 1, &outer), PETSC_ERR_ARG_OUTOFRANGE, opt[i][0]);
      PetscCall(HGOuterDestroy(&outer));
      PetscCall(PetscOptionsClearValue(NULL, opt[i][0]));
    }
  }
  /* set-ups the adaptive loop cannot work with, refused when the solve starts */
  PetscCall(Outer(prob, HGOUTERADAPTIVE, 3, &outer));
  PetscCall(HGOuterGetHG(outer, &hg));
  PetscCall(HGSetComputeBounds(hg, PETSC_FALSE));
  PetscCall(VecCopy(l0, a));
  EXPECT_ERROR(HGOuterSolve(outer, a), PETSC_ERR_ARG_WRONGSTATE, "-hg_bound 0");
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(Outer(prob, HGOUTERADAPTIVE, 3, &outer));
  PetscCall(HGOuterGetHG(outer, &hg));
  PetscCall(HGSetType(hg, HGITD));
  EXPECT_ERROR(HGOuterSolve(outer, a), PETSC_ERR_ARG_WRONGSTATE, "use -hg_type aid");
  PetscCall(HGOuterDestroy(&outer));
  /* a lower cap below what the tolerance needs */
  PetscCall(Outer(prob, HGOUTERADAPTIVE, 3, &outer));
  PetscCall(HGOuterGetHG(outer, &hg));
  PetscCall(HGSetIterations(hg, 3, 2000));
  EXPECT_ERROR(HGOuterSolve(outer, a), PETSC_ERR_NOT_CONVERGED, "raise -lower_max_it");
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol_schedule", "geometric"));
  PetscCall(Outer(prob, HGOUTERGD, 3, &outer));
  PetscCall(HGOuterGetHG(outer, &hg));
  PetscCall(HGSetIterations(hg, 5000, 2));
  EXPECT_ERROR(HGOuterSolve(outer, a), PETSC_ERR_NOT_CONVERGED, "raise -hg_k");
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol_schedule"));

  PetscCall(VecDestroy(&c.g));
  PetscCall(VecDestroy(&c.gl));
  PetscCall(VecDestroy(&c.gw));
  PetscCall(VecDestroy(&l0));
  PetscCall(VecDestroy(&a));
  PetscCall(VecDestroy(&b));
  PetscCall(VecDestroy(&g));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
