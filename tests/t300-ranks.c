static const char help[] = "t300: the same hypergradient on N ranks and on one rank (every method, gd and heavy ball).\n";
#include "hgtest.h"

typedef struct {
  const char *hgtype, *lower, *ksptype;
} Case;

static const Case cases[] = {
  {HGAID, HGLOWERGD, KSPCG},
  {HGAID, HGLOWERGD, KSPRICHARDSON},
  {HGAID, HGLOWERHEAVYBALL, KSPGMRES},
  {HGITD, HGLOWERGD, NULL},
  {HGITD, HGLOWERHEAVYBALL, NULL},
  {HGIAD, HGLOWERGD, NULL},
  {HGIAD, HGLOWERHEAVYBALL, NULL},
};

static PetscErrorCode Hypergradient(MPI_Comm comm, const char *type, const Case *c, PetscInt t, PetscScalar **all, PetscInt *n)
{
  HGProblem prob;
  HG        hg;
  Vec       lambda, h;

  PetscFunctionBegin;
  PetscCall(HGTestProblem(comm, type, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGTestMethod(prob, c->hgtype, c->lower, c->ksptype, t, PETSC_DEFAULT, &hg));
  PetscCall(HGTestCompute(hg, lambda, h));
  PetscCall(VecGetSize(h, n));
  PetscCall(HGVecGatherAll(h, all));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char        type[64] = HGPROBLEMQUADRATIC;
  PetscInt    t        = 50;
  PetscMPIInt size;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-problem", type, sizeof(type), NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-t", &t, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    PetscScalar *hp, *hs;
    PetscInt     n, ns;
    PetscReal    dn = 0, nn = 0;

    PetscCall(Hypergradient(PETSC_COMM_WORLD, type, &cases[c], t, &hp, &n));
    PetscCall(Hypergradient(PETSC_COMM_SELF, type, &cases[c], t, &hs, &ns));
    HGTEST_CHECK(n == ns, "sizes differ");
    for (PetscInt i = 0; i < n; i++) {
      dn += PetscSqr(PetscRealPart(hp[i] - hs[i]));
      nn += PetscSqr(PetscRealPart(hs[i]));
    }
    HGTEST_CHECK(PetscSqrtReal(dn) <= 1e-12 * PetscSqrtReal(nn), "%s: %s with %s lower level: %d ranks and 1 rank differ by %g relative (> 1e-12)", type, cases[c].hgtype, cases[c].lower, size, (double)(PetscSqrtReal(dn) / PetscSqrtReal(nn)));
    PetscCall(PetscFree(hp));
    PetscCall(PetscFree(hs));
  }
  PetscCall(PetscFinalize());
  return 0;
}
