static const char help[] = "t520-eqm-ranks: the eqm problem on N ranks and on one rank: the projection, f, the lower-level\n"
                           "  solution and the hypergradient of AID (gmres, cgne, richardson), ITD and IAD agree to 1e-12.\n";
#include "hgtest.h"

typedef struct {
  const char *hg, *ksp;
} Case;

static const Case cases[] = {
  {HGAID, KSPGMRES}, {HGAID, KSPCGNE}, {HGAID, KSPRICHARDSON}, {HGITD, NULL}, {HGIAD, NULL},
};

/* lambda: the initial one with A scaled by 5, then projected (||A||_2 = 1 - eps) */
static PetscErrorCode Run(MPI_Comm comm, const Case *c, PetscInt t, PetscScalar **lam, PetscScalar **hg_all, PetscScalar **w_all, PetscReal *f, PetscInt *nl, PetscInt *nw)
{
  HGProblem    prob;
  HG           hg;
  Vec          lambda, h, w;
  PetscInt     lo, hi, hdim = 10;
  PetscScalar *l;
  HGInfo       info;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-eqm_h", &hdim, NULL));
  PetscCall(HGTestProblem(comm, HGPROBLEMEQM, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecGetOwnershipRange(lambda, &lo, &hi));
  PetscCall(VecGetArray(lambda, &l));
  for (PetscInt g = lo; g < PetscMin(hi, hdim * hdim); g++) l[g - lo] *= 5.0;
  PetscCall(VecRestoreArray(lambda, &l));
  PetscCall(HGProblemProject(prob, lambda));
  PetscCall(HGTestMethod(prob, c->hg, HGLOWERGD, c->ksp, t, PETSC_DEFAULT, &hg));
  PetscCall(HGSetComputeBounds(hg, PETSC_FALSE)); /* the error bounds are not under test here */
  PetscCall(HGTestCompute(hg, lambda, h));
  PetscCall(HGGetInfo(hg, &info));
  *f = info.upper_objective;
  PetscCall(HGGetLowerSolution(hg, &w));
  PetscCall(VecGetSize(lambda, nl));
  PetscCall(HGVecGatherAll(lambda, lam));
  PetscCall(VecGetSize(h, nl));
  PetscCall(HGVecGatherAll(h, hg_all));
  PetscCall(VecGetSize(w, nw));
  PetscCall(HGVecGatherAll(w, w_all));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

static PetscReal Rel(PetscInt n, const PetscScalar *a, const PetscScalar *b)
{
  PetscReal dn = 0, nn = 0;
  for (PetscInt i = 0; i < n; i++) {
    dn += PetscSqr(PetscRealPart(a[i] - b[i]));
    nn += PetscSqr(PetscRealPart(b[i]));
  }
  return PetscSqrtReal(dn) / (nn > 0 ? PetscSqrtReal(nn) : 1.0);
}

int main(int argc, char **argv)
{
  PetscInt    t = 60;
  PetscMPIInt size;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-t", &t, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    PetscScalar *lp, *ls, *hp, *hs, *wp, *ws;
    PetscInt     nl, nls, nw, nws;
    PetscReal    fp, fs, e;
    const char  *name = cases[c].ksp ? cases[c].ksp : cases[c].hg;

    PetscCall(Run(PETSC_COMM_WORLD, &cases[c], t, &lp, &hp, &wp, &fp, &nl, &nw));
    PetscCall(Run(PETSC_COMM_SELF, &cases[c], t, &ls, &hs, &ws, &fs, &nls, &nws));
    HGTEST_CHECK(nl == nls && nw == nws, "sizes differ between %d ranks and 1 rank", size);
    e = Rel(nl, lp, ls);
    HGTEST_CHECK(e == 0, "%s: the projected lambda on %d ranks differs from 1 rank by %g relative", name, size, (double)e);
    e = Rel(nw, wp, ws);
    HGTEST_CHECK(e <= 1e-12, "%s: the lower-level solution on %d ranks differs from 1 rank by %g relative", name, size, (double)e);
    HGTEST_CHECK(PetscAbsReal(fp - fs) <= 1e-12 * PetscAbsReal(fs), "%s: f on %d ranks (%.17g) differs from 1 rank (%.17g)", name, size, (double)fp, (double)fs);
    e = Rel(nl, hp, hs);
    HGTEST_CHECK(e <= 1e-12, "%s: the hypergradient on %d ranks differs from 1 rank by %g relative (> 1e-12)", name, size, (double)e);
    PetscCall(PetscFree(lp));
    PetscCall(PetscFree(ls));
    PetscCall(PetscFree(hp));
    PetscCall(PetscFree(hs));
    PetscCall(PetscFree(wp));
    PetscCall(PetscFree(ws));
  }
  PetscCall(PetscFinalize());
  return 0;
}
