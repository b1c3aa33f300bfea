static const char help[] = "t850: a problem of n instances on sub-communicators (-problem multi, -hg_type multi) against\n"
                           "the sum of n separate single-instance hypergradients on the whole communicator, on every\n"
                           "count of sub-communicators (1e-12 relative), bitwise reproducible for one layout; with -fd\n"
                           "(converged solves) against central finite differences of f.\n"
                           "  -converged      solves to tolerances: iterations, residuals and bounds may differ by rounding\n"
                           "  -batch <B>      also mini-batches of B instances against the drawn single-instance ones\n"
                           "  -fd             also the finite-difference check (implies -converged)\n"
                           "  -cv_samples <N> the instances are the K folds of N samples (w of size the fold's training set)\n"
                           "  -closed_form    compare with the sum of the instances' exact hypergradients (hyperrep tasks)\n";
#include "hgtest.h"

/* The multi problem and its HG with nsub sub-communicators (options: -multi_*, -sub_*) */
static PetscErrorCode CreateMulti(PetscInt nsub, HGProblem *prob, HG *hg)
{
  PetscFunctionBegin;
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, prob));
  PetscCall(HGProblemSetType(*prob, HGPROBLEMMULTI));
  PetscCall(HGProblemSetFromOptions(*prob));
  PetscCall(HGProblemMultiSetNumberSubcomms(*prob, nsub));
  PetscCall(HGProblemSetUp(*prob));
  PetscCall(HGCreate(PETSC_COMM_WORLD, hg));
  PetscCall(HGSetProblem(*hg, *prob));
  PetscCall(HGSetType(*hg, HGMULTI));
  PetscCall(HGSetFromOptions(*hg));
  PetscFunctionReturn(0);
}

static PetscErrorCode MultiHypergradient(PetscInt nsub, Vec lambda, Vec h, HGInfo *info)
{
  HGProblem prob;
  HG        hg;

  PetscFunctionBegin;
  PetscCall(CreateMulti(nsub, &prob, &hg));
  PetscCall(HGTestCompute(hg, lambda, h));
  if (info) PetscCall(HGGetInfo(hg, info));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

/* Instance i of n on its own, on the whole communicator (its options: the -sub_ ones);
   h_i, its info, and (closed) its exact hypergradient */
static PetscErrorCode SingleHypergradient(PetscInt i, PetscInt n, Vec lambda, Vec h, HGInfo *info, PetscBool closed, Vec hexact)
{
  HGProblem prob;
  HG        hg;
  PetscReal f;

  PetscFunctionBegin;
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetOptionsPrefix(prob, "sub_"));
  PetscCall(HGProblemSetInstance(prob, i, n));
  PetscCall(HGProblemSetFromOptions(prob));
  PetscCall(HGProblemSetUp(prob));
  PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
  PetscCall(HGSetOptionsPrefix(hg, "sub_"));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(HGTestCompute(hg, lambda, h));
  PetscCall(HGGetInfo(hg, info));
  if (closed) PetscCall(HGProblemComputeExactHypergradient(prob, lambda, hexact, &f));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem   prob;
  HG          hg;
  Vec         lambda, h, href, hi, hex, hexsum, ref1;
  HGInfo      info, si;
  PetscMPIInt size;
  Vec        *hs;
  PetscInt    batch = 0, *first_draw = NULL;
  PetscInt    n, nsubmax, lits = 0, aits = 0;
  PetscReal   rel, c, lres = 0, ares = 0, bsum = 0, E = 0;
  PetscBool   conv = PETSC_FALSE, fd = PETSC_FALSE, closed = PETSC_FALSE, sum = PETSC_FALSE, nobound = PETSC_FALSE;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-fd", &fd, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-closed_form", &closed, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-converged", &conv, NULL));
  conv = conv || fd ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-multi_sum", &sum, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(CreateMulti(PETSC_DEFAULT, &prob, &hg));
  PetscCall(HGProblemMultiGetNumberInstances(prob, &n));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecDuplicate(lambda, &href));
  PetscCall(VecDuplicate(lambda, &hi));
  PetscCall(VecDuplicate(lambda, &hex));
  PetscCall(VecDuplicate(lambda, &hexsum));
  PetscCall(VecDuplicate(lambda, &ref1));
  c = sum ? 1.0 : 1.0 / (PetscReal)n;
  PetscCall(VecDuplicateVecs(lambda, n, &hs));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-batch", &batch, NULL));

  /* truth: sum of the separate single-instance hypergradients on the whole communicator */
  PetscCall(VecSet(href, 0.0));
  PetscCall(VecSet(hexsum, 0.0));
  for (PetscInt i = 0; i < n; i++) {
    PetscCall(SingleHypergradient(i, n, lambda, hi, &si, closed, hex));
    PetscCall(VecAXPY(href, c, hi));
    PetscCall(VecCopy(hi, hs[i]));
    if (closed) PetscCall(VecAXPY(hexsum, c, hex));
    lits += si.lower_its;
    aits += si.adjoint_its;
    lres = PetscMax(lres, si.lower_residual);
    ares = PetscMax(ares, si.adjoint_residual);
    E += c * si.upper_objective;
    if (si.bound_aposteriori < 0) nobound = PETSC_TRUE;
    bsum += c * si.bound_aposteriori;
  }

  /* -cv_samples N (k-fold cross-validation of N training samples whose w is one entry per sample,
     krr): fold k trains on the samples outside fold k, so the dimensions of the w_i add up to (K-1) N */
  {
    PetscInt N = 0, off, dim, tot = 0;
    PetscCall(PetscOptionsGetInt(NULL, NULL, "-cv_samples", &N, NULL));
    if (N > 0) {
      for (PetscInt i = 0; i < n; i++) {
        PetscCall(HGProblemMultiGetInstanceOffset(prob, i, &off, &dim));
        HGTEST_CHECK(dim > 0 && dim < N, "fold %" PetscInt_FMT " trains on %" PetscInt_FMT " of the %" PetscInt_FMT " samples", i, dim, N);
        tot += dim;
      }
      HGTEST_CHECK(tot == (n - 1) * N, "the %" PetscInt_FMT " folds train on %" PetscInt_FMT " samples in all, not (K-1) N = %" PetscInt_FMT ": the folds do not partition the training set", n, tot, (n - 1) * N);
    }
  }

  /* every count of sub-communicators against the truth, and against each other */
  nsubmax = PetscMin((PetscInt)size, n);
  for (PetscInt nsub = 1; nsub <= nsubmax; nsub++) {
    PetscCall(MultiHypergradient(nsub, lambda, h, &info));
    PetscCall(HGTestRelDiff(h, href, &rel));
    HGTEST_CHECK(rel <= 1e-12, "%" PetscInt_FMT " instances on %d ranks, %" PetscInt_FMT " sub-communicators: the hypergradient differs from the sum of the single-instance ones by %g relative (> 1e-12)", n, size, nsub, (double)rel);
    if (nsub == 1) PetscCall(VecCopy(h, ref1));
    else {
      PetscCall(HGTestRelDiff(h, ref1, &rel));
      HGTEST_CHECK(rel <= 1e-12, "%" PetscInt_FMT " and 1 sub-communicators differ by %g relative (> 1e-12)", nsub, (double)rel);
    }
    /* the aggregated report */
    /* with tolerances (-converged, -fd) a solve may stop one iteration apart on another layout */
    HGTEST_CHECK(PetscAbsInt(info.lower_its - lits) <= (conv ? n : 0) && PetscAbsInt(info.adjoint_its - aits) <= (conv ? n : 0), "%" PetscInt_FMT " sub-communicators: total iterations %" PetscInt_FMT "/%" PetscInt_FMT ", the separate runs %" PetscInt_FMT "/%" PetscInt_FMT, nsub, info.lower_its, info.adjoint_its, lits, aits);
    HGTEST_CHECK(conv || (PetscAbsReal(info.lower_residual - lres) <= 1e-6 * lres && PetscAbsReal(info.adjoint_residual - ares) <= 1e-6 * ares), "largest residuals %g/%g, the separate runs %g/%g", (double)info.lower_residual, (double)info.adjoint_residual, (double)lres, (double)ares);
    HGTEST_CHECK(PetscAbsReal(info.upper_objective - E) <= 1e-12 * PetscAbsReal(E), "f = %.16g, the separate runs %.16g", (double)info.upper_objective, (double)E);
    if (nobound) HGTEST_CHECK(info.bound_aposteriori < 0, "a bound of the sum while an instance has none");
    else if (!conv) HGTEST_CHECK(PetscAbsReal(info.bound_aposteriori - bsum) <= 1e-6 * bsum, "bound of the sum %g, sum of c_i bound_i %g", (double)info.bound_aposteriori, (double)bsum);
  }

  /* bitwise: the same layout twice, on fresh objects */
  {
    Vec        h2;
    PetscBool  eq;
    PetscCall(VecDuplicate(lambda, &h2));
    PetscCall(MultiHypergradient(nsubmax, lambda, h, NULL));
    PetscCall(MultiHypergradient(nsubmax, lambda, h2, NULL));
    PetscCall(VecEqual(h, h2, &eq));
    HGTEST_CHECK(eq, "two runs with %" PetscInt_FMT " sub-communicators on %d ranks are not bitwise identical", nsubmax, size);
    PetscCall(VecDestroy(&h2));
  }

  /* mini-batches: (n/B) sum over the drawn instances of c_i h_i, the same draws on every layout,
     the instances not drawn keep their warm starts */
  if (batch > 0) {
    PetscCall(PetscMalloc1(2 * batch, &first_draw));
    for (PetscInt nsub = 1; nsub <= nsubmax; nsub++) {
      HGProblem       p2;
      HG              g2;
      Vec             W0, Ws, hb;
      PetscInt        B, lo, hi2;
      const PetscInt *idx;

      PetscCall(CreateMulti(nsub, &p2, &g2));
      PetscCall(HGMultiSetBatch(g2, batch, 5));
      PetscCall(HGProblemCreateVecs(p2, &W0, NULL));
      PetscCall(VecDuplicate(lambda, &hb));
      for (PetscInt draw = 0; draw < 2; draw++) {
        if (draw == 1) { /* warm start from 0.25 (the first draw started from 0, like the single-instance runs) */
          PetscCall(VecSet(W0, 0.25));
          PetscCall(HGSetLowerInitialGuess(g2, W0));
        }
        PetscCall(HGTestCompute(g2, lambda, h));
        PetscCall(HGMultiGetBatch(g2, &B, &idx));
        HGTEST_CHECK(B == batch, "batch of %" PetscInt_FMT " instances, asked %" PetscInt_FMT, B, batch);
        PetscCall(VecSet(hb, 0.0));
        for (PetscInt b = 0; b < B; b++) {
          HGTEST_CHECK(idx[b] >= 0 && idx[b] < n && (b == 0 || idx[b] > idx[b - 1]), "draw %" PetscInt_FMT ": instances not distinct and increasing", draw);
          PetscCall(VecAXPY(hb, c * (PetscReal)n / (PetscReal)B, hs[idx[b]]));
          if (nsub == 1) first_draw[draw * batch + b] = idx[b];
          else HGTEST_CHECK(first_draw[draw * batch + b] == idx[b], "draw %" PetscInt_FMT " with %" PetscInt_FMT " sub-communicators took instance %" PetscInt_FMT ", with 1 instance %" PetscInt_FMT, draw, nsub, idx[b], first_draw[draw * batch + b]);
        }
        PetscCall(HGTestRelDiff(h, hb, &rel));
        HGTEST_CHECK(draw == 1 || rel <= 1e-12, "mini-batch %" PetscInt_FMT " with %" PetscInt_FMT " sub-communicators: differs from (n/B) sum of the drawn single-instance hypergradients by %g relative", draw, nsub, (double)rel);
        /* the blocks of the instances not drawn are still the initial guess 0.25 */
        PetscCall(HGGetLowerSolution(g2, &Ws));
        PetscCall(VecGetOwnershipRange(Ws, &lo, &hi2));
        for (PetscInt i = 0; i < n; i++) {
          PetscInt           off, sz, b, drawn = 0;
          const PetscScalar *wa;
          for (b = 0; b < B; b++)
            if (idx[b] == i) drawn = 1;
          PetscCall(HGProblemMultiGetInstanceOffset(p2, i, &off, &sz));
          PetscCall(VecGetArrayRead(Ws, &wa));
          for (PetscInt j = PetscMax(off, lo); j < PetscMin(off + sz, hi2); j++) HGTEST_CHECK(draw == 0 || drawn || wa[j - lo] == 0.25, "instance %" PetscInt_FMT " was not drawn but its w changed", i);
          PetscCall(VecRestoreArrayRead(Ws, &wa));
        }
      }
      PetscCall(VecDestroy(&W0));
      PetscCall(VecDestroy(&hb));
      PetscCall(HGDestroy(&g2));
      PetscCall(HGProblemDestroy(&p2));
    }
    PetscCall(PetscFree(first_draw));
  }

  /* closed forms: the sum of the instances' exact hypergradients */
  if (closed) {
    PetscCall(HGTestRelDiff(h, hexsum, &rel));
    HGTEST_CHECK(rel <= 1e-8, "the multi hypergradient differs from the sum of the closed forms by %g relative (> 1e-8)", (double)rel);
  }

  /* finite differences of f(lambda) = sum_i c_i E_i(w_i(lambda)) along two directions */
  if (fd) {
    Vec       d, lp;
    PetscReal fp, fm, hd, eps, nl;
    PetscCall(VecDuplicate(lambda, &d));
    PetscCall(VecDuplicate(lambda, &lp));
    PetscCall(VecNorm(lambda, NORM_2, &nl));
    eps = 1e-4 * PetscMax(nl, 1.0);
    PetscCall(HGTestCompute(hg, lambda, h));
    for (PetscInt dir = 0; dir < 2; dir++) {
      PetscInt     lo, hi2;
      PetscScalar *da;
      PetscCall(VecGetOwnershipRange(d, &lo, &hi2));
      PetscCall(VecGetArrayWrite(d, &da));
      for (PetscInt j = lo; j < hi2; j++) da[j - lo] = PetscSinReal(1.3 * (PetscReal)j + (PetscReal)dir);
      PetscCall(VecRestoreArrayWrite(d, &da));
      PetscCall(VecNormalize(d, NULL));
      PetscCall(VecDot(h, d, &hd));
      PetscCall(VecWAXPY(lp, eps, d, lambda));
      PetscCall(HGTestCompute(hg, lp, hi));
      PetscCall(HGGetInfo(hg, &info));
      fp = info.upper_objective;
      PetscCall(VecWAXPY(lp, -eps, d, lambda));
      PetscCall(HGTestCompute(hg, lp, hi));
      PetscCall(HGGetInfo(hg, &info));
      fm = info.upper_objective;
      rel = PetscAbsReal((fp - fm) / (2 * eps) - hd) / PetscMax(PetscAbsReal(hd), 1e-12);
      HGTEST_CHECK(rel <= 1e-5, "direction %" PetscInt_FMT ": finite difference %.10e, h.d %.10e (relative %g > 1e-5)", dir, (double)((fp - fm) / (2 * eps)), (double)hd, (double)rel);
    }
    PetscCall(VecDestroy(&d));
    PetscCall(VecDestroy(&lp));
  }

  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&href));
  PetscCall(VecDestroy(&hi));
  PetscCall(VecDestroy(&hex));
  PetscCall(VecDestroy(&hexsum));
  PetscCall(VecDestroy(&ref1));
  PetscCall(VecDestroyVecs(n, &hs));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
