static const char help[] = "t170: the denoising problem (-problem denoise, TV or FoE by -denoise_reg):\n"
                           "  every entry of the mixed product against central differences of the gradient (coordinate\n"
                           "  directions: theta0, alpha, nu and each filter entry); L and mu at a perturbed lambda against\n"
                           "  the extreme Rayleigh quotients of the Hessian (power iteration); every callback on this\n"
                           "  communicator against the same problem on one rank (natural ordering, 1e-12); the problem\n"
                           "  holding all images against the sum of the problems holding one image each (count 1, N given):\n"
                           "  objectives, mixed products and the ITD hypergradient; an overflowing lambda.\n"
                           "  -verbose  -tol <1e-6>\n";
#include "hgtest.h"
#include <petscdmda.h>

/* A problem with the options given plus extra (first, count, ntotal < 0: the defaults) */
static PetscErrorCode Make(MPI_Comm comm, PetscInt first, PetscInt count, PetscInt ntotal, HGProblem *prob)
{
  PetscFunctionBegin;
  PetscCall(HGProblemCreate(comm, prob));
  PetscCall(HGProblemSetType(*prob, HGPROBLEMDENOISE));
  PetscCall(HGProblemSetFromOptions(*prob));
  if (count > 0) PetscCall(HGProblemDenoiseSetImages(*prob, first, count));
  if (ntotal > 0) PetscCall(HGProblemDenoiseSetTrainingSetSize(*prob, ntotal));
  PetscCall(HGProblemSetUp(*prob));
  PetscFunctionReturn(0);
}

/* The whole of a DMDA vector in natural ordering (row, column, image), on every rank */
static PetscErrorCode Natural(HGProblem prob, Vec g, PetscScalar **all)
{
  DM  da;
  Vec nat;

  PetscFunctionBegin;
  PetscCall(HGProblemDenoiseGetDM(prob, &da));
  PetscCall(DMDACreateNaturalVector(da, &nat));
  PetscCall(DMDAGlobalToNaturalBegin(da, g, INSERT_VALUES, nat));
  PetscCall(DMDAGlobalToNaturalEnd(da, g, INSERT_VALUES, nat));
  PetscCall(HGVecGatherAll(nat, all));
  PetscCall(VecDestroy(&nat));
  PetscFunctionReturn(0);
}

/* g from natural-order values: entry (p, d) of g is all[p * stride + off + d] */
static PetscErrorCode FromNatural(HGProblem prob, const PetscScalar *all, PetscInt stride, PetscInt off, Vec g)
{
  DM           da;
  Vec          nat;
  PetscInt     lo, hi, dof;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(HGProblemDenoiseGetDM(prob, &da));
  PetscCall(DMDAGetInfo(da, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &dof, NULL, NULL, NULL, NULL, NULL));
  PetscCall(DMDACreateNaturalVector(da, &nat));
  PetscCall(VecGetOwnershipRange(nat, &lo, &hi));
  PetscCall(VecGetArrayWrite(nat, &a));
  for (PetscInt i = lo; i < hi; i++) a[i - lo] = all[(i / dof) * stride + off + i % dof];
  PetscCall(VecRestoreArrayWrite(nat, &a));
  PetscCall(DMDANaturalToGlobalBegin(da, nat, INSERT_VALUES, g));
  PetscCall(DMDANaturalToGlobalEnd(da, nat, INSERT_VALUES, g));
  PetscCall(VecDestroy(&nat));
  PetscFunctionReturn(0);
}

/* Values in [lo, hi) from the global index (the same on any number of ranks) */
static PetscErrorCode Fill(Vec x, PetscInt64 stream, PetscReal lo_v, PetscReal hi_v)
{
  PetscInt     lo, hi;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscCall(VecGetArrayWrite(x, &a));
  for (PetscInt i = lo; i < hi; i++) {
    uint64_t z = (uint64_t)i * 0x9E3779B97F4A7C15ULL + (uint64_t)stream * 0xD1B54A32D192ED03ULL;
    z          = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z          = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    a[i - lo] = lo_v + (hi_v - lo_v) * (PetscReal)(z >> 11) / 9007199254740992.0;
  }
  PetscCall(VecRestoreArrayWrite(x, &a));
  PetscFunctionReturn(0);
}

static PetscErrorCode NatToGlobal(DM da, Vec nat, Vec g)
{
  PetscFunctionBegin;
  PetscCall(DMDANaturalToGlobalBegin(da, nat, INSERT_VALUES, g));
  PetscCall(DMDANaturalToGlobalEnd(da, nat, INSERT_VALUES, g));
  PetscFunctionReturn(0);
}

/* A layout-independent point: lambda0 + 0.2 u (u uniform in [-1, 1] by global index), and
   w, v, u with natural-order hash values (w in [0, 1]) */
static PetscErrorCode Point(HGProblem prob, Vec w, Vec lambda, Vec v, Vec u)
{
  DM       da;
  Vec      nat;

  PetscFunctionBegin;
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecDuplicate(lambda, &nat));
  PetscCall(Fill(nat, 1, -0.2, 0.2));
  PetscCall(VecAXPY(lambda, 1.0, nat));
  PetscCall(VecDestroy(&nat));
  PetscCall(HGProblemDenoiseGetDM(prob, &da));
  PetscCall(DMDACreateNaturalVector(da, &nat));
  PetscCall(Fill(nat, 2, 0.0, 1.0));
  PetscCall(NatToGlobal(da, nat, w));
  PetscCall(Fill(nat, 3, -1.0, 1.0));
  PetscCall(NatToGlobal(da, nat, v));
  PetscCall(Fill(nat, 4, -1.0, 1.0));
  PetscCall(NatToGlobal(da, nat, u));
  PetscCall(VecDestroy(&nat));
  PetscFunctionReturn(0);
}

static PetscErrorCode RelArr(PetscInt n, const PetscScalar *a, const PetscScalar *b, PetscReal *rel)
{
  PetscReal d = 0, nb = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) d += PetscSqr(PetscRealPart(a[i] - b[i])), nb += PetscSqr(PetscRealPart(b[i]));
  *rel = PetscSqrtReal(d) / PetscMax(PetscSqrtReal(nb), 1e-300);
  PetscFunctionReturn(0);
}

/* (1) each entry of (d_lambda grad_w l)^T v against v . (grad(l + e e_j) - grad(l - e e_j)) / 2e */
static PetscErrorCode TestMixedCoordinates(HGProblem prob, PetscReal tol, PetscBool verbose)
{
  Vec          w, lambda, v, u, g1, m, lp;
  PetscInt     n;
  PetscReal    mnrm, maxrel = 0;
  PetscScalar *ma;
  PetscMPIInt  rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)prob), &rank));
  PetscCall(HGProblemCreateVecs(prob, &w, &lambda));
  PetscCall(VecDuplicate(w, &v));
  PetscCall(VecDuplicate(w, &u));
  PetscCall(VecDuplicate(w, &g1));
  PetscCall(VecDuplicate(lambda, &m));
  PetscCall(VecDuplicate(lambda, &lp));
  PetscCall(Point(prob, w, lambda, v, u));
  PetscCall(HGProblemComputeLowerMixedMultTranspose(prob, w, lambda, v, m));
  PetscCall(VecNorm(m, NORM_2, &mnrm));
  PetscCall(HGVecGatherAll(m, &ma));
  PetscCall(VecGetSize(lambda, &n));
  for (PetscInt j = 0; j < n; j++) {
    /* fourth-order differences: the regularizer bends on the scale e^nu, so second-order ones
       with a step small enough would be swamped by rounding */
    const PetscReal eps = 3e-5, c[4] = {-2, -1, 1, 2}, wgt[4] = {1, -8, 8, -1};
    PetscScalar     fd = 0, dv;
    PetscReal       rel;

    for (PetscInt q = 0; q < 4; q++) {
      PetscCall(VecCopy(lambda, lp));
      if (!rank) PetscCall(VecSetValue(lp, j, c[q] * eps, ADD_VALUES)); /* one rank adds */
      PetscCall(VecAssemblyBegin(lp));
      PetscCall(VecAssemblyEnd(lp));
      PetscCall(HGProblemComputeLowerGradient(prob, w, lp, g1));
      PetscCall(VecDot(g1, v, &dv));
      fd += wgt[q] * dv;
    }
    fd /= 12 * eps;
    rel    = PetscAbsScalar(fd - ma[j]) / PetscMax(PetscMax(PetscAbsScalar(fd), PetscAbsScalar(ma[j])), 1e-6 * mnrm);
    maxrel = PetscMax(maxrel, rel);
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  mixed entry %3" PetscInt_FMT ": % .10e  fd % .10e  rel %.2e\n", j, (double)PetscRealPart(ma[j]), (double)PetscRealPart(fd), (double)rel));
  }
  HGTEST_CHECK(maxrel <= tol, "denoise: an entry of the mixed product differs from differences of the gradient by %g relative (> %g); rerun with -verbose", (double)maxrel, (double)tol);
  PetscCall(PetscFree(ma));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&v));
  PetscCall(VecDestroy(&u));
  PetscCall(VecDestroy(&g1));
  PetscCall(VecDestroy(&m));
  PetscCall(VecDestroy(&lp));
  PetscFunctionReturn(0);
}

/* (2) mu <= u.Hu/u.u <= L at a perturbed lambda (L, mu as a lower solve there sees them): the
   power iteration's Rayleigh quotient approaches the largest eigenvalue from below */
static PetscErrorCode TestConstants(HGProblem prob, PetscBool verbose)
{
  Vec       w, lambda, v, u, hu, w0;
  HGLower   lower;
  PetscReal L, mu, L0, mu0, nrm, rq = 0, rqmin = PETSC_MAX_REAL;
  PetscScalar d;

  PetscFunctionBegin;
  PetscCall(HGProblemCreateVecs(prob, &w, &lambda));
  PetscCall(VecDuplicate(w, &v));
  PetscCall(VecDuplicate(w, &u));
  PetscCall(VecDuplicate(w, &hu));
  PetscCall(VecDuplicate(w, &w0));
  PetscCall(Point(prob, w, lambda, v, u));
  PetscCall(HGProblemGetLowerConstants(prob, &L0, &mu0));
  PetscCall(HGLowerCreate(PetscObjectComm((PetscObject)prob), &lower));
  PetscCall(HGLowerSetType(lower, HGLOWERGD));
  PetscCall(HGLowerSetProblem(lower, prob));
  PetscCall(HGLowerSetMaxIterations(lower, 1));
  PetscCall(HGLowerSolve(lower, lambda, w0));
  PetscCall(HGProblemGetLowerConstants(prob, &L, &mu));
  HGTEST_CHECK(L != L0, "denoise: L did not follow lambda (%g at lambda0 and at the perturbed lambda)", (double)L);
  /* a nearly flat x makes the curvature of the regularizer largest (at zero differences) */
  PetscCall(VecScale(w, 1e-3));
  for (PetscInt it = 0; it < 300; it++) {
    PetscCall(VecNormalize(v, &nrm));
    PetscCall(HGProblemComputeLowerHessianMult(prob, w, lambda, v, hu));
    PetscCall(VecDot(hu, v, &d));
    rq = PetscRealPart(d);
    PetscCall(VecCopy(hu, v));
  }
  for (PetscInt k = 0; k < 5; k++) {
    PetscCall(Fill(u, 10 + k, -1.0, 1.0));
    PetscCall(VecNormalize(u, &nrm));
    PetscCall(HGProblemComputeLowerHessianMult(prob, w, lambda, u, hu));
    PetscCall(VecDot(hu, u, &d));
    rqmin = PetscMin(rqmin, PetscRealPart(d));
  }
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  constants: L = %.6e (power iteration %.6e, ratio %.3f), mu = %.6e (smallest quotient seen %.6e)\n", (double)L, (double)rq, (double)(L / rq), (double)mu, (double)rqmin));
  HGTEST_CHECK(rq <= L * (1 + 1e-12), "denoise: the Hessian has a Rayleigh quotient %g above the bound L = %g", (double)rq, (double)L);
  HGTEST_CHECK(rqmin >= mu * (1 - 1e-12), "denoise: the Hessian has a Rayleigh quotient %g below mu = %g", (double)rqmin, (double)mu);
  PetscCall(HGLowerDestroy(&lower));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&w0));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&v));
  PetscCall(VecDestroy(&u));
  PetscCall(VecDestroy(&hu));
  PetscFunctionReturn(0);
}

/* Every callback at the same (layout-independent) point, natural order, on every rank */
typedef struct {
  PetscReal    f, E;
  PetscInt     nw, nl;
  PetscScalar *g, *hu, *m, *gE, *clean;
} Values;

static PetscErrorCode Evaluate(HGProblem prob, Values *val)
{
  Vec w, lambda, v, u, a, m, b;

  PetscFunctionBegin;
  PetscCall(HGProblemCreateVecs(prob, &w, &lambda));
  PetscCall(VecDuplicate(w, &v));
  PetscCall(VecDuplicate(w, &u));
  PetscCall(VecDuplicate(w, &a));
  PetscCall(VecDuplicate(lambda, &m));
  PetscCall(VecDuplicate(lambda, &b));
  PetscCall(Point(prob, w, lambda, v, u));
  PetscCall(VecGetSize(w, &val->nw));
  PetscCall(VecGetSize(lambda, &val->nl));
  PetscCall(HGProblemComputeLowerObjective(prob, w, lambda, &val->f));
  PetscCall(HGProblemComputeUpperObjective(prob, w, lambda, &val->E));
  PetscCall(HGProblemComputeLowerGradient(prob, w, lambda, a));
  PetscCall(Natural(prob, a, &val->g));
  PetscCall(HGProblemComputeLowerHessianMult(prob, w, lambda, u, a));
  PetscCall(Natural(prob, a, &val->hu));
  PetscCall(HGProblemComputeUpperGradient(prob, w, lambda, a, b));
  PetscCall(Natural(prob, a, &val->gE));
  PetscCall(HGProblemComputeLowerMixedMultTranspose(prob, w, lambda, v, m));
  PetscCall(HGVecGatherAll(m, &val->m));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&v));
  PetscCall(VecDestroy(&u));
  PetscCall(VecDestroy(&a));
  PetscCall(VecDestroy(&m));
  PetscCall(VecDestroy(&b));
  PetscFunctionReturn(0);
}

static PetscErrorCode ValuesFree(Values *val)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(val->g));
  PetscCall(PetscFree(val->hu));
  PetscCall(PetscFree(val->m));
  PetscCall(PetscFree(val->gE));
  PetscFunctionReturn(0);
}

/* (3) this communicator against one rank */
static PetscErrorCode TestRanks(PetscBool verbose)
{
  HGProblem   pw, ps;
  Values      a, b;
  PetscReal   r[6];
  PetscMPIInt size;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(Make(PETSC_COMM_WORLD, 0, -1, -1, &pw));
  PetscCall(Make(PETSC_COMM_SELF, 0, -1, -1, &ps));
  PetscCall(Evaluate(pw, &a));
  PetscCall(Evaluate(ps, &b));
  HGTEST_CHECK(a.nw == b.nw && a.nl == b.nl, "denoise: sizes differ between %d ranks and one", size);
  r[0] = PetscAbsReal(a.f - b.f) / PetscAbsReal(b.f);
  r[1] = PetscAbsReal(a.E - b.E) / PetscAbsReal(b.E);
  PetscCall(RelArr(a.nw, a.g, b.g, &r[2]));
  PetscCall(RelArr(a.nw, a.hu, b.hu, &r[3]));
  PetscCall(RelArr(a.nl, a.m, b.m, &r[4]));
  PetscCall(RelArr(a.nw, a.gE, b.gE, &r[5]));
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %d ranks vs 1: l %.1e E %.1e grad %.1e Hu %.1e mixed %.1e grad E %.1e\n", size, (double)r[0], (double)r[1], (double)r[2], (double)r[3], (double)r[4], (double)r[5]));
  for (PetscInt k = 0; k < 6; k++) HGTEST_CHECK(r[k] <= 1e-12, "denoise: callback %d differs by %g relative between %d ranks and one (> 1e-12)", (int)k, (double)r[k], size);
  PetscCall(ValuesFree(&a));
  PetscCall(ValuesFree(&b));
  PetscCall(HGProblemDestroy(&pw));
  PetscCall(HGProblemDestroy(&ps));
  PetscFunctionReturn(0);
}

static PetscErrorCode ITD(HGProblem prob, Vec lambda, Vec h)
{
  HG hg;

  PetscFunctionBegin;
  PetscCall(HGTestMethod(prob, HGITD, HGLOWERGD, NULL, 40, PETSC_DEFAULT, &hg));
  PetscCall(HGTestCompute(hg, lambda, h));
  PetscCall(HGDestroy(&hg));
  PetscFunctionReturn(0);
}

/* (4) all images in one problem against one problem per image (count 1, N = all): the lower and
   upper objectives and the mixed products add up, and so do the ITD hypergradients (gd with the
   same step on decoupled images takes the same iterates).  The one-image problems live on two
   sub-communicators (ranks of even and odd rank; image d on the (d mod 2)-th), as instances do */
static PetscErrorCode TestInstances(PetscBool verbose)
{
  HGProblem    full, one;
  Vec          lambda, h, hi, w, li, v, wi, vi, m, mi;
  PetscInt     n, nl;
  PetscReal    f, E, fi, Ei, fs = 0, Es = 0, rel[4];
  PetscScalar *wa, *va, *hs, *ms, *hf, *mf, *tmp, *lall;
  PetscMPIInt  rank, size, nsub, color, subrank;
  MPI_Comm     sub;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  nsub  = size > 1 ? 2 : 1;
  color = rank % nsub;
  PetscCallMPI(MPI_Comm_split(PETSC_COMM_WORLD, color, rank, &sub));
  PetscCallMPI(MPI_Comm_rank(sub, &subrank));
  PetscCall(Make(PETSC_COMM_WORLD, 0, -1, -1, &full));
  PetscCall(HGProblemCreateVecs(full, &w, &lambda));
  PetscCall(VecDuplicate(w, &v));
  PetscCall(VecDuplicate(w, &wi)); /* scratch for Point */
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecDuplicate(lambda, &m));
  PetscCall(Point(full, w, lambda, v, wi));
  PetscCall(VecDestroy(&wi));
  PetscCall(HGProblemComputeLowerObjective(full, w, lambda, &f));
  PetscCall(HGProblemComputeUpperObjective(full, w, lambda, &E));
  PetscCall(HGProblemComputeLowerMixedMultTranspose(full, w, lambda, v, m));
  PetscCall(ITD(full, lambda, h));
  PetscCall(Natural(full, w, &wa));
  PetscCall(Natural(full, v, &va));
  PetscCall(HGVecGatherAll(h, &hf));
  PetscCall(HGVecGatherAll(m, &mf));
  PetscCall(HGVecGatherAll(lambda, &lall));
  PetscCall(VecGetSize(lambda, &nl));
  PetscCall(PetscCalloc2(nl, &hs, nl, &ms));
  {
    DM       da;
    PetscInt dof;
    PetscCall(HGProblemDenoiseGetDM(full, &da));
    PetscCall(DMDAGetInfo(da, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &dof, NULL, NULL, NULL, NULL, NULL));
    n = dof;
  }
  for (PetscInt d = 0; d < n; d++) {
    if (d % nsub != color) continue;
    PetscCall(Make(sub, d, 1, n, &one));
    PetscCall(HGProblemCreateVecs(one, &wi, &li));
    PetscCall(VecDuplicate(wi, &vi));
    PetscCall(VecDuplicate(li, &hi));
    PetscCall(VecDuplicate(li, &mi));
    { /* lambda lives on the whole communicator: its entries onto li's layout */
      PetscInt     lo, hi;
      PetscScalar *la;
      PetscCall(VecGetOwnershipRange(li, &lo, &hi));
      PetscCall(VecGetArrayWrite(li, &la));
      for (PetscInt j = lo; j < hi; j++) la[j - lo] = lall[j];
      PetscCall(VecRestoreArrayWrite(li, &la));
    }
    PetscCall(FromNatural(one, wa, n, d, wi));
    PetscCall(FromNatural(one, va, n, d, vi));
    PetscCall(HGProblemComputeLowerObjective(one, wi, li, &fi));
    PetscCall(HGProblemComputeUpperObjective(one, wi, li, &Ei));
    fs += fi, Es += Ei;
    PetscCall(HGProblemComputeLowerMixedMultTranspose(one, wi, li, vi, mi));
    PetscCall(HGVecGatherAll(mi, &tmp));
    for (PetscInt j = 0; j < nl; j++) ms[j] += tmp[j];
    PetscCall(PetscFree(tmp));
    PetscCall(ITD(one, li, hi));
    PetscCall(HGVecGatherAll(hi, &tmp));
    for (PetscInt j = 0; j < nl; j++) hs[j] += tmp[j];
    PetscCall(PetscFree(tmp));
    PetscCall(VecDestroy(&wi));
    PetscCall(VecDestroy(&li));
    PetscCall(VecDestroy(&vi));
    PetscCall(VecDestroy(&hi));
    PetscCall(VecDestroy(&mi));
    PetscCall(HGProblemDestroy(&one));
  }
  /* the sums over the sub-communicators: one rank of each contributes */
  if (subrank) {
    fs = Es = 0;
    for (PetscInt j = 0; j < nl; j++) hs[j] = ms[j] = 0;
  }
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &fs, 1, MPIU_REAL, MPIU_SUM, PETSC_COMM_WORLD));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &Es, 1, MPIU_REAL, MPIU_SUM, PETSC_COMM_WORLD));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, hs, (PetscMPIInt)nl, MPIU_SCALAR, MPIU_SUM, PETSC_COMM_WORLD));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, ms, (PetscMPIInt)nl, MPIU_SCALAR, MPIU_SUM, PETSC_COMM_WORLD));
  PetscCallMPI(MPI_Comm_free(&sub));
  rel[0] = PetscAbsReal(fs - f) / PetscAbsReal(f);
  rel[1] = PetscAbsReal(Es - E) / PetscAbsReal(E);
  PetscCall(RelArr(nl, ms, mf, &rel[2]));
  PetscCall(RelArr(nl, hs, hf, &rel[3]));
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %" PetscInt_FMT " one-image problems on %d sub-communicators vs one problem: l %.1e E %.1e mixed %.1e ITD hypergradient %.1e\n", n, nsub, (double)rel[0], (double)rel[1], (double)rel[2], (double)rel[3]));
  for (PetscInt k = 0; k < 4; k++) HGTEST_CHECK(rel[k] <= 1e-12, "denoise: the one-image problems do not add up to the whole (quantity %d: %g relative, > 1e-12)", (int)k, (double)rel[k]);
  PetscCall(PetscFree2(hs, ms));
  PetscCall(PetscFree(wa));
  PetscCall(PetscFree(va));
  PetscCall(PetscFree(hf));
  PetscCall(PetscFree(mf));
  PetscCall(PetscFree(lall));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&v));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&m));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemDestroy(&full));
  PetscFunctionReturn(0);
}

/* (5) theta0 = 800: e^theta0 overflows; a clear error or a negative reason, never a crash */
static PetscErrorCode TestOverflow(PetscBool verbose)
{
  HGProblem         prob;
  HG                hg;
  Vec               lambda, h;
  PetscErrorCode    ierr;
  HGConvergedReason reason = HG_ITERATING;
  char             *msg    = NULL;

  PetscFunctionBegin;
  PetscCall(Make(PETSC_COMM_WORLD, 0, -1, -1, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecSetValue(lambda, 0, 800.0, INSERT_VALUES)); /* every rank inserts the same value */
  PetscCall(VecAssemblyBegin(lambda));
  PetscCall(VecAssemblyEnd(lambda));
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCG, 50, 50, &hg));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = HGComputeHypergradient(hg, lambda, h);
  PetscCall(PetscPopErrorHandler());
  if (!ierr) PetscCall(HGGetConvergedReason(hg, &reason));
  else PetscCall(PetscErrorMessage(ierr, NULL, &msg));
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  theta0 = 800: error %d (%s), reason %s\n", (int)ierr, msg ? msg : "", HGConvergedReasons[reason]));
  HGTEST_CHECK(ierr || reason < 0, "denoise: theta0 = 800 gave neither an error nor a negative reason");
  if (ierr) {
    char *has;
    PetscCall(PetscStrstr(msg, "lambda", &has));
    HGTEST_CHECK(has, "denoise: the overflow message \"%s\" does not point at lambda", msg);
  }
  PetscCall(HGDestroy(&hg));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem prob;
  PetscBool verbose = PETSC_FALSE;
  PetscReal tol     = 1e-6;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-tol", &tol, NULL));
  PetscCall(Make(PETSC_COMM_WORLD, 0, -1, -1, &prob));
  PetscCall(TestMixedCoordinates(prob, tol, verbose));
  PetscCall(TestConstants(prob, verbose));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(TestRanks(verbose));
  PetscCall(TestInstances(verbose));
  PetscCall(TestOverflow(verbose));
  PetscCall(PetscFinalize());
  return 0;
}
