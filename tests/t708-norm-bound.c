static const char help[] = "t708: HGMatNormSquaredBound() against the closed form: X diagonal (AIJ or dense), so ||X||_2^2 is its largest\n"
                           "squared entry (the Lanczos start is rotation invariant, so a diagonal X stands for any X of that spectrum).\n"
                           "Five spectra of X^T X with top 1: gap-free uniform, a Marchenko-Pastur-like edge, a top eigenvalue apart,\n"
                           "a fivefold top eigenvalue, and n = 1, 2, 3; 40 seeds each.  Every bound lies in [1, ||X||_F^2]; a run that\n"
                           "stops before 20 steps is within 15%; a top apart takes at most 10 steps; the bound on this communicator equals\n"
                           "the one of the same matrix on one rank to 1e-10 (the start vector is keyed by the global index).\n";
#include "hgtest.h"
#include <hypergrad/hgdata.h>

#define NSEEDS 40

/* squared singular value i of spectrum kind (n entries, the largest exactly 1) */
static PetscReal Lambda(PetscInt kind, PetscInt n, PetscInt i)
{
  PetscReal u = (i + 1.0) / n;
  switch (kind) {
  case 0:
    return u; /* uniform on (0, 1] */
  case 1:
    return 1 - 0.9 * PetscPowReal(1 - u, 2.0 / 3.0); /* density ~ sqrt(1 - lambda) at the top edge */
  case 2:
    return i == n - 1 ? 1 : 0.5 * u; /* one eigenvalue twice as large as the others */
  default:
    return i >= n - 5 ? 1 : 0.9 * u; /* the top one five times */
  }
}

static PetscErrorCode Diagonal(MPI_Comm comm, PetscInt kind, PetscInt n, PetscBool dense, Mat *X, PetscReal *fro2)
{
  PetscInt lo, hi;

  PetscFunctionBegin;
  PetscCall(MatCreate(comm, X));
  PetscCall(MatSetSizes(*X, PETSC_DECIDE, PETSC_DECIDE, n, n));
  PetscCall(MatSetType(*X, dense ? MATDENSE : MATAIJ));
  PetscCall(MatSetUp(*X));
  PetscCall(MatGetOwnershipRange(*X, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) PetscCall(MatSetValue(*X, i, i, PetscSqrtReal(Lambda(kind, n, i)), INSERT_VALUES));
  PetscCall(MatAssemblyBegin(*X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*X, MAT_FINAL_ASSEMBLY));
  *fro2 = 0;
  for (PetscInt i = 0; i < n; i++) *fro2 += Lambda(kind, n, i);
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  const char *names[] = {"uniform", "edge", "apart", "fivefold"};
  MPI_Comm    comm;
  PetscMPIInt size;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  for (PetscInt kind = 0; kind < 4; kind++) {
    for (PetscInt dense = 0; dense < 2; dense++) {
      const PetscInt n = dense ? 300 : 4000;
      Mat            X, Xs;
      PetscReal      fro2, lo = PETSC_MAX_REAL, hi = 0;
      PetscInt       smin = 100, smax = 0;

      PetscCall(Diagonal(comm, kind, n, (PetscBool)dense, &X, &fro2));
      PetscCall(Diagonal(PETSC_COMM_SELF, kind, n, (PetscBool)dense, &Xs, &fro2));
      for (PetscInt seed = 1; seed <= NSEEDS; seed++) {
        PetscReal b, bs;
        PetscInt  steps, ss;

        PetscCall(HGMatNormSquaredBound(X, seed, &b, &steps));
        HGTEST_CHECK(b >= 1 - 1e-12, "%s spectrum (%s), seed %d: bound %.15g below ||X||^2 = 1", names[kind], dense ? "dense" : "AIJ", (int)seed, (double)b);
        HGTEST_CHECK(b <= fro2 * (1 + 1e-12), "%s spectrum, seed %d: bound %g above ||X||_F^2 = %g", names[kind], (int)seed, (double)b, (double)fro2);
        HGTEST_CHECK(steps >= 1 && steps <= 20, "%s spectrum, seed %d: %d steps", names[kind], (int)seed, (int)steps);
        HGTEST_CHECK(steps == 20 || b <= 1.15 * (1 + 1e-12), "%s spectrum, seed %d: stopped after %d steps with bound %g, not within 15%%", names[kind], (int)seed, (int)steps, (double)b);
        if (kind == 2) HGTEST_CHECK(steps <= 10, "top eigenvalue apart (1 against at most 0.5), seed %d: %d steps, expected at most 10", (int)seed, (int)steps);
        if (seed <= 3) { /* the same matrix on one rank: the same bound */
          PetscCall(HGMatNormSquaredBound(Xs, seed, &bs, &ss));
          HGTEST_CHECK(ss == steps && PetscAbsReal(b - bs) <= 1e-10 * bs, "%s spectrum, seed %d: bound %.15g (%d steps) on %d ranks, %.15g (%d steps) on one", names[kind], (int)seed, (double)b, (int)steps, size, (double)bs, (int)ss);
        }
        lo = PetscMin(lo, b), hi = PetscMax(hi, b);
        smin = PetscMin(smin, steps), smax = PetscMax(smax, steps);
      }
      PetscCall(PetscPrintf(comm, "%-8s %s n = %4d: bounds %.4f to %.4f of ||X||^2 (||X||_F^2 = %.0f), %d to %d steps\n", names[kind], dense ? "dense" : "AIJ  ", (int)n, (double)lo, (double)hi, (double)fro2, (int)smin, (int)smax));
      PetscCall(MatDestroy(&X));
      PetscCall(MatDestroy(&Xs));
    }
  }
  /* tiny n: Lanczos spans the whole space after at most n steps (beta = 0: the bound is the Ritz value, exact) */
  for (PetscInt n = 1; n <= 3; n++) {
    Mat       X;
    PetscReal b, fro2;
    PetscInt  steps;

    PetscCall(Diagonal(comm, 0, n, PETSC_FALSE, &X, &fro2));
    PetscCall(HGMatNormSquaredBound(X, 7, &b, &steps));
    PetscCall(PetscPrintf(comm, "n = %d: bound %.15g after %d steps\n", (int)n, (double)b, (int)steps));
    HGTEST_CHECK(steps <= n && b >= 1 - 1e-12 && b <= 1.15 * (1 + 1e-12), "n = %d: bound %.15g after %d steps, expected [1, 1.15] after at most %d", (int)n, (double)b, (int)steps, (int)n);
    if (n == 1) HGTEST_CHECK(PetscAbsReal(b - 1) <= 1e-14, "n = 1: bound %.17g, expected exactly 1", (double)b);
    PetscCall(MatDestroy(&X));
  }
  PetscCall(PetscFinalize());
  return 0;
}
