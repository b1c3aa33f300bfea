static const char help[] = "t852: the outer loops' tolerances on a problem of n instances (-problem multi, -hg_type multi),\n"
                           "and -hg_test_hypergradient on it.\n";
/* The instances come from the options (-multi_*, -sub_*; the test gives loose -sub_lower_rtol and
   -sub_hg_adjoint_rtol, so a tolerance that did not reach the instances shows in their residuals):
   1. -outer_type adaptive: after every iteration, every local instance's lower and adjoint residual
      (HGGetInfo() of the instance's own HG) is below the loop's current tolerance, the aggregated
      bound is that of every instance (>= 0), the inexact f never rises on an accepted step, and
      the run ends with a smaller |h| than it started; the final lambda equals that of the same run
      on one rank (PETSC_COMM_SELF, one sub-communicator) to 1e-8 relative;
   2. gd with -outer_tol_schedule geometric: every instance's residuals are below the schedule's
      tolerance of the iteration;
   3. HGTestHypergradient() (-hg_test_hypergradient) on the multi HG, with converged solves: the
      hypergradient against central differences of f = sum_i c_i E_i, with and without a mini-batch;
   4. -outer_type adaptive with a mini-batch is refused, naming -hg_multi_batch.
   The monitor reads the loop's tolerance through the private struct (white-box). */
#include "hgtest.h"
#include "../src/service/outerimpl.h"

typedef struct {
  PetscInt  n, accepted;
  PetscReal fprev, worst; /* largest instance residual / tolerance */
} Check;

static PetscErrorCode CreateMulti(MPI_Comm comm, HGProblem *prob, HG *hg)
{
  PetscFunctionBegin;
  PetscCall(HGProblemCreate(comm, prob));
  PetscCall(HGProblemSetType(*prob, HGPROBLEMMULTI));
  PetscCall(HGProblemSetFromOptions(*prob));
  PetscCall(HGProblemSetUp(*prob));
  PetscCall(HGCreate(comm, hg));
  PetscCall(HGSetProblem(*hg, *prob));
  PetscCall(HGSetType(*hg, HGMULTI));
  PetscCall(HGSetFromOptions(*hg));
  PetscFunctionReturn(0);
}

/* every local instance's residuals against the loop's tolerance after each iteration */
static PetscErrorCode MonitorCheck(HGOuter outer, const HGOuterRecord *r, void *ctx)
{
  Check    *c = (Check *)ctx;
  HG        hg, *sub;
  HGInfo    info;
  PetscInt  nloc;
  PetscReal eps = outer->tol;

  PetscFunctionBegin;
  PetscCall(HGOuterGetHG(outer, &hg));
  PetscCall(HGMultiGetSubHG(hg, NULL, &nloc, &sub));
  HGTEST_CHECK(eps > 0, "iteration %" PetscInt_FMT ": the loop has no tolerance", r->iteration);
  for (PetscInt j = 0; j < nloc; j++) {
    HGInfo si;
    PetscCall(HGGetInfo(sub[j], &si));
    c->worst = PetscMax(c->worst, PetscMax(si.lower_residual, si.adjoint_residual) / eps);
    HGTEST_CHECK(si.lower_residual <= eps, "iteration %" PetscInt_FMT ": local instance %" PetscInt_FMT ": lower residual %g above the loop's tolerance %g (the tolerance did not reach the instance)", r->iteration, j, (double)si.lower_residual, (double)eps);
    /* CG stops on its recursive residual; the recorded one is the true ||A v - g||: rounding allowed */
    HGTEST_CHECK(si.adjoint_residual <= eps * (1 + 1e-6) + 1e-13, "iteration %" PetscInt_FMT ": local instance %" PetscInt_FMT ": adjoint residual %g above the loop's tolerance %g (the tolerance did not reach the instance)", r->iteration, j, (double)si.adjoint_residual, (double)eps);
  }
  PetscCall(HGGetInfo(hg, &info));
  HGTEST_CHECK(info.lower_residual <= eps && info.adjoint_residual <= eps * (1 + 1e-6) + 1e-13, "iteration %" PetscInt_FMT ": the largest residuals %g, %g exceed the tolerance %g", r->iteration, (double)info.lower_residual, (double)info.adjoint_residual, (double)eps);
  HGTEST_CHECK(info.bound_aposteriori >= 0 && r->bound >= 0, "iteration %" PetscInt_FMT ": an instance gave no a-posteriori bound (%g)", r->iteration, (double)info.bound_aposteriori);
  if (r->step > 0) {
    HGTEST_CHECK(r->upper_objective < c->fprev, "iteration %" PetscInt_FMT ": an accepted step raised f~ from %.15g to %.15g", r->iteration, (double)c->fprev, (double)r->upper_objective);
    c->accepted++;
  }
  if (r->step != 0) c->fprev = r->upper_objective;
  c->n++;
  PetscFunctionReturn(0);
}

/* An outer loop of type type on a fresh multi problem on comm: lambda at the end, the history */
static PetscErrorCode Run(MPI_Comm comm, HGOuterType type, PetscInt max_it, PetscBool monitor, Vec *lambda, PetscReal *h0, PetscReal *h1, Check *c)
{
  HGProblem              prob;
  HG                     hg;
  HGOuter                outer;
  HGOuterConvergedReason reason;
  const HGOuterRecord   *hist;
  PetscInt               nh;

  PetscFunctionBegin;
  PetscCall(CreateMulti(comm, &prob, &hg));
  PetscCall(HGOuterCreate(comm, &outer));
  PetscCall(HGOuterSetHG(outer, hg));
  PetscCall(HGOuterSetType(outer, type));
  PetscCall(HGOuterSetFromOptions(outer));
  PetscCall(HGOuterSetMaxIterations(outer, max_it));
  if (monitor) {
    c->fprev = PETSC_MAX_REAL;
    PetscCall(HGOuterMonitorSet(outer, MonitorCheck, c, NULL));
  }
  PetscCall(HGProblemCreateVecs(prob, NULL, lambda));
  PetscCall(HGProblemGetInitialHyperparameters(prob, *lambda));
  PetscCall(HGOuterSolve(outer, *lambda));
  PetscCall(HGOuterGetConvergedReason(outer, &reason));
  HGTEST_CHECK(reason > 0, "HGOuter %s on the instances stopped with %s", type, HGOuterConvergedReasons[reason]);
  PetscCall(HGOuterGetHistory(outer, &nh, &hist));
  HGTEST_CHECK(nh >= 2, "HGOuter %s: %" PetscInt_FMT " records", type, nh);
  if (h0) *h0 = hist[0].hypergradient_norm;
  if (h1) *h1 = hist[nh - 1].hypergradient_norm;
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

/* lambda (any communicator) gathered onto every rank */
static PetscErrorCode Gather(Vec x, Vec *all)
{
  VecScatter sc;

  PetscFunctionBegin;
  PetscCall(VecScatterCreateToAll(x, &sc, all));
  PetscCall(VecScatterBegin(sc, x, *all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, x, *all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterDestroy(&sc));
  PetscFunctionReturn(0);
}

/* The finite-difference check of the multi HG at the initial lambda, converged solves */
static PetscErrorCode CheckFD(const char *batch, PetscBool verbose)
{
  HGProblem   prob;
  HG          hg;
  Vec         lambda, h;
  PetscReal   rel;
  PetscViewer viewer = NULL;

  PetscFunctionBegin;
  PetscCall(PetscOptionsSetValue(NULL, "-sub_lower_rtol", "0"));
  PetscCall(PetscOptionsSetValue(NULL, "-sub_lower_atol", "1e-13"));
  PetscCall(PetscOptionsSetValue(NULL, "-sub_hg_adjoint_rtol", "0"));
  PetscCall(PetscOptionsSetValue(NULL, "-sub_hg_adjoint_atol", "1e-13"));
  if (batch) PetscCall(PetscOptionsSetValue(NULL, "-hg_multi_batch", batch));
  PetscCall(CreateMulti(PETSC_COMM_WORLD, &prob, &hg));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecShift(lambda, 0.3));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGTestCompute(hg, lambda, h));
  if (!verbose) PetscCall(PetscViewerASCIIOpen(PETSC_COMM_WORLD, "/dev/null", &viewer));
  PetscCall(HGTestHypergradient(hg, lambda, h, 3, 1e-5, viewer, &rel));
  HGTEST_CHECK(rel < 1e-6, "hypergradient of the instances%s%s against central differences of f: relative error %g", batch ? " with a mini-batch of " : "", batch ? batch : "", (double)rel);
  PetscCall(PetscViewerDestroy(&viewer));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscOptionsClearValue(NULL, "-sub_lower_rtol"));
  PetscCall(PetscOptionsClearValue(NULL, "-sub_lower_atol"));
  PetscCall(PetscOptionsClearValue(NULL, "-sub_hg_adjoint_rtol"));
  PetscCall(PetscOptionsClearValue(NULL, "-sub_hg_adjoint_atol"));
  if (batch) PetscCall(PetscOptionsClearValue(NULL, "-hg_multi_batch"));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  Vec       lw, ls, aw, as;
  PetscReal h0, h1, rel;
  PetscBool verbose = PETSC_FALSE;
  Check     c = {0};

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));

  /* 1. adaptive: the instances meet the loop's tolerance; the same lambda as on one rank */
  PetscCall(Run(PETSC_COMM_WORLD, HGOUTERADAPTIVE, 12, PETSC_TRUE, &lw, &h0, &h1, &c));
  HGTEST_CHECK(c.n == 12 && c.accepted >= 6, "adaptive: %" PetscInt_FMT " iterations monitored, %" PetscInt_FMT " accepted steps", c.n, c.accepted);
  HGTEST_CHECK(h1 < 0.9 * h0, "adaptive: |h| went from %g to %g only", (double)h0, (double)h1);
  HGTEST_CHECK(c.worst > 1e-3, "adaptive: the instances' residuals are all below 1e-3 of the tolerance (%g): the tolerance did not stop the solves", (double)c.worst);
  PetscCall(Run(PETSC_COMM_SELF, HGOUTERADAPTIVE, 12, PETSC_FALSE, &ls, NULL, NULL, NULL));
  PetscCall(Gather(lw, &aw));
  PetscCall(Gather(ls, &as));
  PetscCall(HGTestRelDiff(aw, as, &rel));
  HGTEST_CHECK(rel <= 1e-8, "adaptive: lambda after 12 iterations differs from the one-rank run by %g relative", rel);
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "adaptive: %" PetscInt_FMT " accepted of %" PetscInt_FMT ", |h| %g -> %g, worst residual/tol %g, vs one rank %g\n", c.accepted, c.n, (double)h0, (double)h1, (double)c.worst, (double)rel));
  PetscCall(VecDestroy(&lw));
  PetscCall(VecDestroy(&ls));
  PetscCall(VecDestroy(&aw));
  PetscCall(VecDestroy(&as));

  /* 2. gd with a tolerance schedule */
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol_schedule", "geometric"));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol0", "1e-3"));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol_decay", "0.5"));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_tol_min", "1e-8"));
  PetscCall(PetscOptionsSetValue(NULL, "-outer_step", "0.1"));
  c.n = c.accepted = 0;
  c.worst          = 0;
  PetscCall(Run(PETSC_COMM_WORLD, HGOUTERGD, 8, PETSC_TRUE, &lw, &h0, &h1, &c));
  HGTEST_CHECK(c.n == 8, "gd with a schedule: %" PetscInt_FMT " iterations monitored", c.n);
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "gd schedule: worst residual/tol %g\n", (double)c.worst));
  PetscCall(VecDestroy(&lw));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol_schedule"));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol0"));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol_decay"));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_tol_min"));
  PetscCall(PetscOptionsClearValue(NULL, "-outer_step"));

  /* 3. finite differences of f on the instances (whole and a mini-batch of 2) */
  PetscCall(CheckFD(NULL, verbose));
  PetscCall(CheckFD("2", verbose));

  /* 4. a mini-batch with the adaptive loop is refused */
  {
    HGProblem prob;
    HG        hg;
    HGOuter   outer;
    Vec       lambda;
    PetscCall(PetscOptionsSetValue(NULL, "-hg_multi_batch", "2"));
    PetscCall(CreateMulti(PETSC_COMM_WORLD, &prob, &hg));
    PetscCall(HGOuterCreate(PETSC_COMM_WORLD, &outer));
    PetscCall(HGOuterSetHG(outer, hg));
    PetscCall(HGOuterSetType(outer, HGOUTERADAPTIVE));
    PetscCall(HGOuterSetFromOptions(outer));
    PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
    PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
    EXPECT_ERROR(HGOuterSolve(outer, lambda), PETSC_ERR_ARG_INCOMP, "-hg_multi_batch");
    PetscCall(VecDestroy(&lambda));
    PetscCall(HGOuterDestroy(&outer));
    PetscCall(HGDestroy(&hg));
    PetscCall(HGProblemDestroy(&prob));
    PetscCall(PetscOptionsClearValue(NULL, "-hg_multi_batch"));
  }
  PetscCall(PetscFinalize());
  return 0;
}
