static const char help[] = "t172: denoising with one instance per training image (or per block of images): -problem multi\n"
                           "-sub_problem denoise against the single denoise problem holding all the images (the truth: the\n"
                           "mean of the instances is that problem), on every count of sub-communicators (1e-12 relative);\n"
                           "central finite differences of f; mini-batches against (n/B) c sum of the drawn instances'\n"
                           "separate hypergradients, and their mean over every B-subset against the full hypergradient.\n"
                           "Options: the -multi_* and -sub_* ones of the instances (the whole problem reads the -sub_ ones).\n"
                           "  -batch <B>   also the mini-batch checks\n"
                           "  -fd          also the finite-difference check\n"
                           "  -shift <s>   lambda = the initial one + s (default 1.5)\n";
#include "hgtest.h"

static PetscInt wsize_whole; /* the dimension of the lower level of the problem of all the images */

static PetscErrorCode MultiHypergradient(PetscInt nsub, PetscInt batch, PetscInt *nbatch, PetscInt *drawn, Vec lambda, Vec h, PetscReal *f)
{
  HGProblem prob;
  HG        hg;
  HGInfo    info;
  Vec       W;
  PetscInt  nw;

  PetscFunctionBegin;
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetType(prob, HGPROBLEMMULTI));
  PetscCall(HGProblemSetFromOptions(prob));
  PetscCall(HGProblemMultiSetNumberSubcomms(prob, nsub));
  PetscCall(HGProblemSetUp(prob));
  /* every image in exactly one instance: the stacked lower variable has the pixels of the set */
  PetscCall(HGProblemCreateVecs(prob, &W, NULL));
  PetscCall(VecGetSize(W, &nw));
  PetscCall(VecDestroy(&W));
  HGTEST_CHECK(nw == wsize_whole, "the instances hold %" PetscInt_FMT " pixels, the data set %" PetscInt_FMT ": each image must be in exactly one instance", nw, wsize_whole);
  PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetType(hg, HGMULTI));
  PetscCall(HGSetFromOptions(hg));
  if (batch > 0) PetscCall(HGMultiSetBatch(hg, batch, 3));
  PetscCall(HGTestCompute(hg, lambda, h));
  if (batch > 0) {
    const PetscInt *idx;
    PetscCall(HGMultiGetBatch(hg, nbatch, &idx));
    PetscCall(PetscArraycpy(drawn, idx, *nbatch));
  }
  PetscCall(HGGetInfo(hg, &info));
  if (f) *f = info.upper_objective;
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

/* The denoise problem on the whole communicator with the -sub_ options: all the images
   (i < 0), or instance i of n on its own */
static PetscErrorCode SingleHypergradient(PetscInt i, PetscInt n, Vec lambda, Vec h, PetscReal *f)
{
  HGProblem prob;
  HG        hg;
  HGInfo    info;

  PetscFunctionBegin;
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetOptionsPrefix(prob, "sub_"));
  if (i >= 0) PetscCall(HGProblemSetInstance(prob, i, n));
  PetscCall(HGProblemSetFromOptions(prob));
  PetscCall(HGProblemSetUp(prob));
  PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
  PetscCall(HGSetOptionsPrefix(hg, "sub_"));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(HGTestCompute(hg, lambda, h));
  PetscCall(HGGetInfo(hg, &info));
  if (f) *f = info.upper_objective;
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem   whole;
  Vec         lambda, h, href, hb, hsum, *hs;
  PetscMPIInt size;
  PetscInt    n = 0, batch = 0, nsubmax, nb, drawn[64];
  PetscReal   rel, fref, f, shift = 1.5;
  PetscBool   fd = PETSC_FALSE;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-multi_n", &n, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-batch", &batch, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-fd", &fd, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-shift", &shift, NULL));
  HGTEST_CHECK(n >= 1 && batch <= n && batch < 64, "give -multi_n n >= 1 and -batch B <= n");
  /* lambda: the initial one, moved off the default so that the regularizer matters */
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &whole));
  PetscCall(HGProblemSetOptionsPrefix(whole, "sub_"));
  PetscCall(HGProblemSetFromOptions(whole));
  PetscCall(HGProblemSetUp(whole));
  PetscCall(HGProblemCreateVecs(whole, &h, &lambda));
  PetscCall(VecGetSize(h, &wsize_whole));
  PetscCall(VecDestroy(&h));
  PetscCall(HGProblemGetInitialHyperparameters(whole, lambda));
  PetscCall(VecShift(lambda, shift));
  PetscCall(HGProblemDestroy(&whole));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecDuplicate(lambda, &href));
  PetscCall(VecDuplicate(lambda, &hb));
  PetscCall(VecDuplicate(lambda, &hsum));
  PetscCall(VecDuplicateVecs(lambda, n, &hs));

  /* truth: all the images in one problem on the whole communicator */
  PetscCall(SingleHypergradient(-1, 0, lambda, href, &fref));
  nsubmax = PetscMin((PetscInt)size, n);
  for (PetscInt nsub = 1; nsub <= nsubmax; nsub++) {
    PetscCall(MultiHypergradient(nsub, 0, NULL, NULL, lambda, h, &f));
    PetscCall(HGTestRelDiff(h, href, &rel));
    HGTEST_CHECK(rel <= 1e-12, "%" PetscInt_FMT " denoise instances on %d ranks, %" PetscInt_FMT " sub-communicators: the hypergradient differs from the one of the problem holding all the images by %g relative (> 1e-12)", n, size, nsub, (double)rel);
    HGTEST_CHECK(PetscAbsReal(f - fref) <= 1e-12 * PetscAbsReal(fref), "%" PetscInt_FMT " sub-communicators: f = %.16g, all the images in one problem %.16g", nsub, (double)f, (double)fref);
  }

  if (batch > 0) {
    /* each instance alone on the whole communicator; their mean is the full hypergradient */
    PetscCall(VecSet(hsum, 0.0));
    for (PetscInt i = 0; i < n; i++) {
      PetscCall(SingleHypergradient(i, n, lambda, hs[i], NULL));
      PetscCall(VecAXPY(hsum, 1.0 / (PetscReal)n, hs[i]));
    }
    PetscCall(HGTestRelDiff(hsum, href, &rel));
    HGTEST_CHECK(rel <= 1e-12, "the mean of the %" PetscInt_FMT " separate instances differs from the whole problem by %g relative", n, (double)rel);
    /* one draw on every count of sub-communicators: (n/B)(1/n) sum of the drawn instances */
    for (PetscInt nsub = 1; nsub <= nsubmax; nsub++) {
      PetscCall(MultiHypergradient(nsub, batch, &nb, drawn, lambda, h, NULL));
      HGTEST_CHECK(nb == batch, "a batch of %" PetscInt_FMT " instances, asked %" PetscInt_FMT, nb, batch);
      PetscCall(VecSet(hb, 0.0));
      for (PetscInt b = 0; b < nb; b++) PetscCall(VecAXPY(hb, 1.0 / (PetscReal)batch, hs[drawn[b]]));
      PetscCall(HGTestRelDiff(h, hb, &rel));
      HGTEST_CHECK(rel <= 1e-12, "mini-batch with %" PetscInt_FMT " sub-communicators: differs from the mean of the drawn instances by %g relative", nsub, (double)rel);
    }
    /* unbiased: the mean over every B-subset S of (n/B)(1/n) sum_{i in S} h_i (the weights
       HGMULTI applies, checked above) is the full hypergradient */
    {
      PetscInt sub[64], nsubsets = 0, j;
      PetscCall(VecSet(hsum, 0.0));
      for (j = 0; j < batch; j++) sub[j] = j;
      while (1) {
        for (j = 0; j < batch; j++) PetscCall(VecAXPY(hsum, 1.0 / (PetscReal)batch, hs[sub[j]]));
        nsubsets++;
        for (j = batch - 1; j >= 0 && sub[j] == n - batch + j; j--) { }
        if (j < 0) break;
        sub[j]++;
        for (PetscInt k = j + 1; k < batch; k++) sub[k] = sub[k - 1] + 1;
      }
      PetscCall(VecScale(hsum, 1.0 / (PetscReal)nsubsets));
      PetscCall(HGTestRelDiff(hsum, href, &rel));
      HGTEST_CHECK(rel <= 1e-12, "the mean mini-batch hypergradient over all %" PetscInt_FMT " draws differs from the full one by %g relative", nsubsets, (double)rel);
    }
  }

  /* central finite differences of f along two directions (converged solves) */
  if (fd) {
    Vec       d, lp;
    PetscReal fp, fm, hd, eps = 1e-4;
    PetscCall(VecDuplicate(lambda, &d));
    PetscCall(VecDuplicate(lambda, &lp));
    PetscCall(MultiHypergradient(nsubmax, 0, NULL, NULL, lambda, h, NULL));
    for (PetscInt dir = 0; dir < 2; dir++) {
      PetscInt     lo, hi;
      PetscScalar *da;
      PetscCall(VecGetOwnershipRange(d, &lo, &hi));
      PetscCall(VecGetArrayWrite(d, &da));
      for (PetscInt j = lo; j < hi; j++) da[j - lo] = PetscSinReal(1.3 * (PetscReal)j + (PetscReal)dir + 0.4);
      PetscCall(VecRestoreArrayWrite(d, &da));
      PetscCall(VecNormalize(d, NULL));
      PetscCall(VecDot(h, d, &hd));
      PetscCall(VecWAXPY(lp, eps, d, lambda));
      PetscCall(MultiHypergradient(nsubmax, 0, NULL, NULL, lp, hb, &fp));
      PetscCall(VecWAXPY(lp, -eps, d, lambda));
      PetscCall(MultiHypergradient(nsubmax, 0, NULL, NULL, lp, hb, &fm));
      rel = PetscAbsReal((fp - fm) / (2 * eps) - hd) / PetscMax(PetscAbsReal(hd), 1e-12);
      HGTEST_CHECK(rel <= 1e-5, "direction %" PetscInt_FMT ": finite difference %.10e, h.d %.10e (relative %g > 1e-5)", dir, (double)((fp - fm) / (2 * eps)), (double)hd, (double)rel);
    }
    PetscCall(VecDestroy(&d));
    PetscCall(VecDestroy(&lp));
  }
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&href));
  PetscCall(VecDestroy(&hb));
  PetscCall(VecDestroy(&hsum));
  PetscCall(VecDestroyVecs(n, &hs));
  PetscCall(PetscFinalize());
  return 0;
}
