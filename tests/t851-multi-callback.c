static const char help[] = "t851: instances from a user callback, each a 1-D denoising problem on its own DMDA on the\n"
                           "sub-communicator (the shape of the image-denoising instances): the multi hypergradient against\n"
                           "the sum of separate runs and central finite differences; bad callbacks and options give clear errors.\n";
#include "hgtest.h"
#include <petscdmda.h>

/* Instance i: w = argmin 1/2 ||w - b_i||^2 + e^lambda/2 sum_j (w_{j+1} - w_j)^2 on a DMDA of M points,
   E_i = 1/2 ||w - x_i||^2 with x_i(j) = sin(2 pi (i + 1) j / M), b_i = x_i + 0.2 noise; lambda in R^1 */
typedef struct {
  DM  da;
  Vec x, b, wl, Lw;
} Den;

static PetscErrorCode DenDestroy(void *ctx)
{
  Den *d = (Den *)ctx;

  PetscFunctionBegin;
  PetscCall(VecDestroy(&d->x));
  PetscCall(VecDestroy(&d->b));
  PetscCall(VecDestroy(&d->wl));
  PetscCall(VecDestroy(&d->Lw));
  PetscCall(DMDestroy(&d->da));
  PetscCall(PetscFree(d));
  PetscFunctionReturn(0);
}

/* out = L w, L = D^T D the 1-D Laplacian with free ends */
static PetscErrorCode Laplacian(Den *d, Vec w, Vec out)
{
  PetscInt           xs, xm, M;
  const PetscScalar *a;
  PetscScalar       *o;

  PetscFunctionBegin;
  PetscCall(DMGlobalToLocal(d->da, w, INSERT_VALUES, d->wl));
  PetscCall(DMDAGetCorners(d->da, &xs, NULL, NULL, &xm, NULL, NULL));
  PetscCall(DMDAGetInfo(d->da, NULL, &M, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  PetscCall(DMDAVecGetArrayRead(d->da, d->wl, &a));
  PetscCall(DMDAVecGetArray(d->da, out, &o));
  for (PetscInt j = xs; j < xs + xm; j++) {
    PetscScalar t = 0;
    if (j > 0) t += a[j] - a[j - 1];
    if (j < M - 1) t += a[j] - a[j + 1];
    o[j] = t;
  }
  PetscCall(DMDAVecRestoreArray(d->da, out, &o));
  PetscCall(DMDAVecRestoreArrayRead(d->da, d->wl, &a));
  PetscFunctionReturn(0);
}

static PetscErrorCode Weight(Vec lambda, PetscReal *t)
{
  PetscScalar *a, v = 0;
  PetscInt     n;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(lambda, &n));
  PetscCall(VecGetArray(lambda, &a));
  if (n) v = a[0];
  PetscCall(VecRestoreArray(lambda, &a));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPIU_SCALAR, MPIU_SUM, PetscObjectComm((PetscObject)lambda)));
  *t = PetscExpReal(PetscRealPart(v));
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerGradient(HGProblem p, Vec w, Vec lambda, Vec g, void *ctx)
{
  Den      *d = (Den *)ctx;
  PetscReal t;

  PetscFunctionBegin;
  PetscCall(Weight(lambda, &t));
  PetscCall(Laplacian(d, w, g));
  PetscCall(VecAXPBYPCZ(g, 1.0, -1.0, t, w, d->b));
  PetscFunctionReturn(0);
}

static PetscErrorCode HessianMult(HGProblem p, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  Den      *d = (Den *)ctx;
  PetscReal t;

  PetscFunctionBegin;
  PetscCall(Weight(lambda, &t));
  PetscCall(Laplacian(d, v, out));
  PetscCall(VecAYPX(out, t, v));
  PetscFunctionReturn(0);
}

/* (d_lambda grad_w l)^T v = e^lambda (L w) . v */
static PetscErrorCode MixedMultTranspose(HGProblem p, Vec w, Vec lambda, Vec v, Vec out, void *ctx)
{
  Den         *d = (Den *)ctx;
  PetscReal    t;
  PetscScalar  dot, *o;
  PetscInt     n;

  PetscFunctionBegin;
  PetscCall(Weight(lambda, &t));
  PetscCall(Laplacian(d, w, d->Lw));
  PetscCall(VecDot(d->Lw, v, &dot));
  PetscCall(VecGetLocalSize(out, &n));
  PetscCall(VecGetArrayWrite(out, &o));
  if (n) o[0] = t * dot;
  PetscCall(VecRestoreArrayWrite(out, &o));
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperObjective(HGProblem p, Vec w, Vec lambda, PetscReal *E, void *ctx)
{
  Den      *d = (Den *)ctx;
  PetscReal nrm;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(d->Lw, -1.0, d->x, w));
  PetscCall(VecNorm(d->Lw, NORM_2, &nrm));
  *E = 0.5 * nrm * nrm;
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperGradient(HGProblem p, Vec w, Vec lambda, Vec gw, Vec gl, void *ctx)
{
  Den *d = (Den *)ctx;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(gw, -1.0, d->x, w));
  PetscCall(VecSet(gl, 0.0));
  PetscFunctionReturn(0);
}

typedef struct {
  PetscInt  M;
  PetscBool wrongcomm, wrongsize; /* bad callbacks */
  PetscBool failing;              /* the last instance's lower level diverges */
} CreateCtx;

static PetscErrorCode CreateDenoising(MPI_Comm comm, PetscInt i, PetscInt M, PetscInt nl, HGProblem *prob)
{
  Den         *d;
  Vec          w, lambda;
  PetscInt     xs, xm;
  PetscScalar *xa, *ba;

  PetscFunctionBegin;
  PetscCall(PetscNew(&d));
  PetscCall(DMDACreate1d(comm, DM_BOUNDARY_NONE, M, 1, 1, NULL, &d->da));
  PetscCall(DMSetUp(d->da));
  PetscCall(DMCreateGlobalVector(d->da, &d->x));
  PetscCall(VecDuplicate(d->x, &d->b));
  PetscCall(VecDuplicate(d->x, &d->Lw));
  PetscCall(DMCreateLocalVector(d->da, &d->wl));
  PetscCall(DMDAGetCorners(d->da, &xs, NULL, NULL, &xm, NULL, NULL));
  PetscCall(VecGetArray(d->x, &xa));
  PetscCall(VecGetArray(d->b, &ba));
  for (PetscInt j = xs; j < xs + xm; j++) {
    xa[j - xs] = PetscSinReal(2 * PETSC_PI * (PetscReal)((i + 1) * j) / (PetscReal)M);
    ba[j - xs] = xa[j - xs] + 0.2 * PetscSinReal(7.3 * (PetscReal)j + 3.1 * (PetscReal)i); /* a fixed perturbation */
  }
  PetscCall(VecRestoreArray(d->x, &xa));
  PetscCall(VecRestoreArray(d->b, &ba));
  PetscCall(HGProblemCreate(comm, prob));
  PetscCall(HGProblemSetContext(*prob, d, DenDestroy));
  PetscCall(DMCreateGlobalVector(d->da, &w));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, nl, &lambda));
  PetscCall(HGProblemSetVecTemplates(*prob, w, lambda));
  PetscCall(VecSet(lambda, -1.0));
  PetscCall(HGProblemSetInitialHyperparameters(*prob, lambda));
  PetscCall(HGProblemSetLowerGradient(*prob, LowerGradient));
  PetscCall(HGProblemSetLowerHessianMult(*prob, HessianMult));
  PetscCall(HGProblemSetLowerMixedMultTranspose(*prob, MixedMultTranspose));
  PetscCall(HGProblemSetUpperObjective(*prob, UpperObjective));
  PetscCall(HGProblemSetUpperGradient(*prob, UpperGradient));
  PetscCall(HGProblemSetLowerConstants(*prob, 1.0 + 4.0 * PetscExpReal(-0.5), 1.0)); /* valid for lambda <= -0.5 */
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscFunctionReturn(0);
}

static PetscErrorCode Create(HGProblem multi, PetscInt i, MPI_Comm subcomm, HGProblem *inst, PetscReal *c, void *ctx)
{
  CreateCtx *cc = (CreateCtx *)ctx;

  PetscFunctionBegin;
  PetscCall(CreateDenoising(cc->wrongcomm ? PETSC_COMM_WORLD : subcomm, i, cc->M, cc->wrongsize && i == 1 ? 2 : 1, inst));
  if (cc->failing && i == 2) PetscCall(HGProblemSetLowerConstants(*inst, 0.01, 0.01)); /* L far too small: the step 2/(L+mu) = 100 diverges */
  *c = 1.0 + 0.5 * (PetscReal)i; /* weights of our own */
  PetscFunctionReturn(0);
}

static PetscErrorCode MultiCreate(PetscInt n, PetscInt nsub, CreateCtx *cc, HGProblem *prob)
{
  PetscFunctionBegin;
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, prob));
  PetscCall(HGProblemSetType(*prob, HGPROBLEMMULTI));
  PetscCall(HGProblemMultiSetNumberInstances(*prob, n));
  PetscCall(HGProblemMultiSetNumberSubcomms(*prob, nsub));
  PetscCall(HGProblemMultiSetInstanceCreate(*prob, Create, cc));
  PetscFunctionReturn(0);
}

/* A converged aid-cg HG (prefix sub_ for the instances) */
static PetscErrorCode Method(HG hg)
{
  PetscFunctionBegin;
  PetscCall(HGSetFromOptions(hg));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  const PetscInt n = 3;
  CreateCtx      cc = {64, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE};
  HGProblem      prob, single, bad;
  HG             hg, hs;
  Vec            lambda, h, href, hi, lp, ls, hsi;
  PetscReal      rel, fp, fm, eps = 1e-4, hd;
  PetscScalar    dval, tot;
  PetscMPIInt    size;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscOptionsSetValue(NULL, "-sub_hg_type", "aid"));
  PetscCall(PetscOptionsSetValue(NULL, "-sub_hg_ksp_type", "cg"));
  PetscCall(PetscOptionsSetValue(NULL, "-sub_hg_k", "200"));
  PetscCall(PetscOptionsSetValue(NULL, "-sub_hg_adjoint_atol", "1e-13"));
  PetscCall(PetscOptionsSetValue(NULL, "-sub_lower_max_it", "20000"));
  PetscCall(PetscOptionsSetValue(NULL, "-sub_lower_atol", "1e-13"));

  /* the multi hypergradient */
  PetscCall(MultiCreate(n, PETSC_DEFAULT, &cc, &prob));
  PetscCall(HGProblemSetUp(prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecDuplicate(lambda, &href));
  PetscCall(VecDuplicate(lambda, &hi));
  PetscCall(VecDuplicate(lambda, &lp));
  PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetType(hg, HGMULTI));
  PetscCall(Method(hg));
  PetscCall(HGTestCompute(hg, lambda, h));

  /* truth 1: sum_i c_i h_i of separate instances on the whole communicator */
  tot = 0;
  for (PetscInt i = 0; i < n; i++) {
    PetscCall(CreateDenoising(PETSC_COMM_WORLD, i, cc.M, 1, &single));
    PetscCall(HGProblemSetUp(single));
    PetscCall(HGProblemCreateVecs(single, NULL, &ls));
    PetscCall(VecDuplicate(ls, &hsi));
    PetscCall(VecSet(ls, -1.0));
    PetscCall(HGCreate(PETSC_COMM_WORLD, &hs));
    PetscCall(HGSetOptionsPrefix(hs, "sub_"));
    PetscCall(HGSetProblem(hs, single));
    PetscCall(HGSetFromOptions(hs));
    PetscCall(HGTestCompute(hs, ls, hsi));
    PetscCall(VecSum(hsi, &dval));
    tot += (1.0 + 0.5 * (PetscReal)i) * dval; /* lambda is one number */
    PetscCall(VecDestroy(&ls));
    PetscCall(VecDestroy(&hsi));
    PetscCall(HGDestroy(&hs));
    PetscCall(HGProblemDestroy(&single));
  }
  PetscCall(VecSet(href, tot));
  PetscCall(HGTestRelDiff(h, href, &rel));
  HGTEST_CHECK(rel <= 1e-9, "callback instances on DMDAs: the multi hypergradient differs from the sum of the separate runs by %g relative", (double)rel);

  /* truth 2: central finite differences of f = sum_i c_i E_i */
  {
    HGInfo info;
    PetscCall(VecSum(h, &dval));
    hd = PetscRealPart(dval);
    PetscCall(VecCopy(lambda, lp));
    PetscCall(VecShift(lp, eps));
    PetscCall(HGTestCompute(hg, lp, hi));
    PetscCall(HGGetInfo(hg, &info));
    fp = info.upper_objective;
    PetscCall(VecShift(lp, -2 * eps));
    PetscCall(HGTestCompute(hg, lp, hi));
    PetscCall(HGGetInfo(hg, &info));
    fm = info.upper_objective;
    rel = PetscAbsReal((fp - fm) / (2 * eps) - hd) / PetscAbsReal(hd);
    HGTEST_CHECK(rel <= 1e-6, "finite difference %.10e, hypergradient %.10e (relative %g)", (double)((fp - fm) / (2 * eps)), (double)hd, (double)rel);
  }

  /* bad input */
  EXPECT_ERROR(HGProblemMultiSetNumberSubcomms(prob, size + 1), PETSC_ERR_ARG_OUTOFRANGE, "multi_nsubcomm");
  EXPECT_ERROR(HGProblemMultiSetNumberInstances(prob, 0), PETSC_ERR_ARG_OUTOFRANGE, "multi_n");
  EXPECT_ERROR(HGMultiSetBatch(hg, n + 1, 0), PETSC_ERR_ARG_OUTOFRANGE, "hg_multi_batch");
  EXPECT_ERROR(HGMultiSetBatch(hg, -1, 0), PETSC_ERR_ARG_OUTOFRANGE, "hg_multi_batch");
  {
    HG other; /* a method other than multi on a multi problem */
    PetscCall(HGCreate(PETSC_COMM_WORLD, &other));
    PetscCall(HGSetProblem(other, prob));
    PetscCall(HGSetType(other, HGAID));
    EXPECT_ERROR(HGComputeHypergradient(other, lambda, h), PETSC_ERR_ARG_WRONGSTATE, "-hg_type multi");
    PetscCall(HGDestroy(&other));
  }
  /* one instance fails (on the last sub-communicator only, with 2 or more ranks): every rank
     gets the error of the multi HG, none waits in the reduction; with the error off, a
     negative reason and h unchanged */
  {
    HG        hf;
    HGInfo    info;
    PetscReal d;
    cc.failing = PETSC_TRUE;
    PetscCall(MultiCreate(n, PETSC_DEFAULT, &cc, &bad));
    PetscCall(HGProblemSetUp(bad));
    PetscCall(HGCreate(PETSC_COMM_WORLD, &hf));
    PetscCall(HGSetProblem(hf, bad));
    PetscCall(HGSetType(hf, HGMULTI));
    PetscCall(Method(hf));
    EXPECT_ERROR(HGComputeHypergradient(hf, lambda, hi), PETSC_ERR_NOT_CONVERGED, "Hypergradient failed");
    PetscCall(HGSetErrorIfNotConverged(hf, PETSC_FALSE));
    PetscCall(VecCopy(h, hi));
    PetscCall(HGComputeHypergradient(hf, lambda, hi));
    PetscCall(HGGetInfo(hf, &info));
    HGTEST_CHECK(info.reason == HG_DIVERGED_LOWER, "one failing instance: reason %s, expected DIVERGED_LOWER", HGConvergedReasons[info.reason]);
    PetscCall(HGTestRelDiff(hi, h, &d));
    HGTEST_CHECK(d == 0, "one failing instance: h was changed (%g relative)", (double)d);
    PetscCall(HGDestroy(&hf));
    PetscCall(HGProblemDestroy(&bad));
    cc.failing = PETSC_FALSE;
  }
  /* an instance with another lambda size */
  cc.wrongsize = PETSC_TRUE;
  PetscCall(MultiCreate(n, PETSC_DEFAULT, &cc, &bad));
  EXPECT_ERROR(HGProblemSetUp(bad), PETSC_ERR_ARG_SIZ, "same lambda space");
  PetscCall(HGProblemDestroy(&bad));
  cc.wrongsize = PETSC_FALSE;
  if (size >= 2) {
    /* an instance on the whole communicator instead of its sub-communicator */
    cc.wrongcomm = PETSC_TRUE;
    PetscCall(MultiCreate(2, 2, &cc, &bad));
    EXPECT_ERROR(HGProblemSetUp(bad), PETSC_ERR_ARG_NOTSAMECOMM, "another communicator");
    PetscCall(HGProblemDestroy(&bad));
    cc.wrongcomm = PETSC_FALSE;
    /* more sub-communicators than instances */
    PetscCall(MultiCreate(1, 2, &cc, &bad));
    EXPECT_ERROR(HGProblemSetUp(bad), PETSC_ERR_ARG_OUTOFRANGE, "exceeds the number of instances");
    PetscCall(HGProblemDestroy(&bad));
  }
  /* K < 2 folds and K above the number of samples (logreg on its own, as fold 0 of K) */
  {
    HGProblem lr;
    PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &lr));
    PetscCall(HGProblemSetType(lr, HGPROBLEMLOGREG));
    PetscCall(HGProblemSetInstance(lr, 0, 1));
    EXPECT_ERROR(HGProblemSetUp(lr), PETSC_ERR_ARG_OUTOFRANGE, "K >= 2");
    PetscCall(HGProblemDestroy(&lr));
    PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &lr));
    PetscCall(HGProblemSetType(lr, HGPROBLEMLOGREG));
    PetscCall(HGProblemSetInstance(lr, 0, 2000));
    EXPECT_ERROR(HGProblemSetUp(lr), PETSC_ERR_ARG_OUTOFRANGE, "samples");
    PetscCall(HGProblemDestroy(&lr));
  }
  /* the same for the folds of krr; a built-in type without folds or tasks is refused by name */
  {
    HGProblem kr, mb;
    PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &kr));
    PetscCall(HGProblemSetType(kr, HGPROBLEMKRR));
    PetscCall(HGProblemSetInstance(kr, 0, 1));
    EXPECT_ERROR(HGProblemSetUp(kr), PETSC_ERR_ARG_OUTOFRANGE, "K >= 2");
    PetscCall(HGProblemDestroy(&kr));
    PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &kr));
    PetscCall(HGProblemSetType(kr, HGPROBLEMKRR));
    PetscCall(HGProblemSetInstance(kr, 0, 101));
    EXPECT_ERROR(HGProblemSetUp(kr), PETSC_ERR_ARG_OUTOFRANGE, "samples");
    PetscCall(HGProblemDestroy(&kr));
    PetscCall(PetscOptionsSetValue(NULL, "-nofold_sub_problem", "quadratic"));
    PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &mb));
    PetscCall(HGProblemSetOptionsPrefix(mb, "nofold_"));
    PetscCall(HGProblemSetType(mb, HGPROBLEMMULTI));
    PetscCall(HGProblemMultiSetNumberInstances(mb, 2));
    PetscCall(HGProblemSetFromOptions(mb));
    EXPECT_ERROR(HGProblemSetUp(mb), PETSC_ERR_SUP, "problem quadratic has no folds");
    PetscCall(HGProblemDestroy(&mb));
    PetscCall(PetscOptionsClearValue(NULL, "-nofold_sub_problem"));
  }

  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&href));
  PetscCall(VecDestroy(&hi));
  PetscCall(VecDestroy(&lp));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
