static const char help[] = "ITD in bounded memory: with every-m-th and binomial (revolve) checkpointing of the lower\n"
                           "trajectory, the hypergradient and the adjoint are bitwise those of the stored trajectory, for\n"
                           "gd and heavy ball, k = t and truncated k < t, fixed t and a tolerance that stops early; and\n"
                           "the vectors held and the steps recomputed stay within their bounds.\n"
                           "  -problem <quadratic|logreg|eqm|...>, -v (heavy ball on a fixed-point problem needs -lower_momentum)\n\n";
#include "hgtest.h"

/* bitwise equality of two Vecs with the same layout, on every rank */
static PetscErrorCode VecBitwiseEqual(Vec a, Vec b, PetscBool *eq)
{
  const PetscScalar *x, *y;
  PetscInt           n;
  int                loc, glob;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(a, &n));
  PetscCall(VecGetArrayRead(a, &x));
  PetscCall(VecGetArrayRead(b, &y));
  loc = memcmp(x, y, (size_t)n * sizeof(PetscScalar)) == 0;
  PetscCall(VecRestoreArrayRead(a, &x));
  PetscCall(VecRestoreArrayRead(b, &y));
  PetscCallMPI(MPI_Allreduce(&loc, &glob, 1, MPI_INT, MPI_LAND, PetscObjectComm((PetscObject)a)));
  *eq = glob ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* ITD with the given storage; returns h, the adjoint v and the lower solution w (copies) */
static PetscErrorCode RunITD(HGProblem prob, const char *lowertype, PetscInt t, PetscInt k, PetscReal rtol, HGLowerTrajectoryType tt, PetscInt param, Vec lambda, Vec h, Vec v, Vec w, PetscInt *its, PetscInt *vecs, PetscInt *recomp)
{
  HG      hg;
  HGLower lower;
  Vec     hv, hw;

  PetscFunctionBegin;
  PetscCall(HGTestMethod(prob, HGITD, lowertype, NULL, t, k, &hg));
  PetscCall(HGSetComputeBounds(hg, PETSC_FALSE));
  PetscCall(HGSetFromOptions(hg)); /* e.g. -lower_momentum, needed by heavy ball on a fixed-point problem */
  PetscCall(HGGetLower(hg, &lower));
  PetscCall(HGLowerSetTolerances(lower, rtol, 0, 1e8));
  PetscCall(HGLowerSetTrajectoryType(lower, tt, param));
  PetscCall(HGTestCompute(hg, lambda, h));
  PetscCall(HGGetAdjointSolution(hg, &hv));
  PetscCall(HGGetLowerSolution(hg, &hw));
  PetscCall(VecCopy(hv, v));
  PetscCall(VecCopy(hw, w));
  PetscCall(HGLowerGetIterationNumber(lower, its));
  PetscCall(HGLowerGetTrajectoryStatistics(lower, vecs, recomp));
  /* a second hypergradient with the same object reuses the storage and gives the same bits */
  {
    Vec       h2;
    PetscBool eq;
    PetscCall(VecDuplicate(h, &h2));
    PetscCall(HGTestCompute(hg, lambda, h2));
    PetscCall(VecBitwiseEqual(h, h2, &eq));
    HGTEST_CHECK(eq, "%s: a second ITD hypergradient with %s storage differs from the first", lowertype, HGLowerTrajectoryTypes[tt]);
    PetscCall(VecDestroy(&h2));
  }
  PetscCall(HGDestroy(&hg));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem   prob;
  Vec         lambda, h0, v0, w0, h1, v1, w1;
  char        ptype[64] = "quadratic";
  PetscBool   verbose   = PETSC_FALSE;
  const char *lowers[]  = {HGLOWERGD, HGLOWERHEAVYBALL};
  /* (t, k, rtol): full reversal, truncation, an early stop on a tolerance */
  const PetscInt  ts[] = {60, 60, 60, 1, 37};
  const PetscInt  ks[] = {-1, 17, 1, -1, 5};
  const PetscReal rs[] = {0, 0, 0, 0, 0};
  /* storage variants: (type, param) */
  const HGLowerTrajectoryType types[]  = {HG_LOWER_TRAJECTORY_EVERY, HG_LOWER_TRAJECTORY_EVERY, HG_LOWER_TRAJECTORY_EVERY, HG_LOWER_TRAJECTORY_EVERY, HG_LOWER_TRAJECTORY_REVOLVE, HG_LOWER_TRAJECTORY_REVOLVE, HG_LOWER_TRAJECTORY_REVOLVE, HG_LOWER_TRAJECTORY_REVOLVE};
  const PetscInt              params[] = {PETSC_DEFAULT, 1, 7, 1000, PETSC_DEFAULT, 0, 1, 3};
  PetscInt                    ncases   = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-problem", ptype, sizeof(ptype), NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-v", &verbose, NULL));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, ptype, &prob));
  PetscCall(HGProblemCreateVecs(prob, &w0, &lambda));
  PetscCall(VecDuplicate(lambda, &h0));
  PetscCall(VecDuplicate(lambda, &h1));
  PetscCall(VecDuplicate(w0, &v0));
  PetscCall(VecDuplicate(w0, &v1));
  PetscCall(VecDuplicate(w0, &w1));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));

  for (int l = 0; l < 2; l++) {
    for (size_t c = 0; c < sizeof(ts) / sizeof(ts[0]) + 1; c++) {
      PetscBool tol = c == sizeof(ts) / sizeof(ts[0]) ? PETSC_TRUE : PETSC_FALSE;
      PetscInt  t = tol ? 200 : ts[c], k = tol ? 9 : (ks[c] < 0 ? PETSC_DEFAULT : ks[c]), its0, its1, vecs0, vecs1, rec0, rec1;
      PetscReal rtol = tol ? 1e-3 : rs[c];

      PetscCall(RunITD(prob, lowers[l], t, k, rtol, HG_LOWER_TRAJECTORY_FULL, PETSC_DEFAULT, lambda, h0, v0, w0, &its0, &vecs0, &rec0));
      HGTEST_CHECK(rec0 == 0, "full trajectory recomputed %" PetscInt_FMT " steps", rec0);
      if (tol) HGTEST_CHECK(its0 < t, "%s: the tolerance did not stop the lower level early (%" PetscInt_FMT " of %" PetscInt_FMT " its): the early-stop case is not exercised", lowers[l], its0, t);
      for (size_t v = 0; v < sizeof(types) / sizeof(types[0]); v++) {
        PetscBool eqh, eqv, eqw;
        PetscInt  T = its0, kk = k == PETSC_DEFAULT ? T : PetscMin(k, T), bound, hb = l == 1 ? 2 : 1;

        PetscCall(RunITD(prob, lowers[l], t, k, rtol, types[v], params[v], lambda, h1, v1, w1, &its1, &vecs1, &rec1));
        PetscCall(VecBitwiseEqual(h0, h1, &eqh));
        PetscCall(VecBitwiseEqual(v0, v1, &eqv));
        PetscCall(VecBitwiseEqual(w0, w1, &eqw));
        if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-9s t %3" PetscInt_FMT " k %3" PetscInt_FMT " %-7s param %5" PetscInt_FMT ": vectors %4" PetscInt_FMT " (full %4" PetscInt_FMT "), recomputed %4" PetscInt_FMT ", bitwise h %d v %d w %d\n", lowers[l], T, kk, HGLowerTrajectoryTypes[types[v]], params[v], vecs1, vecs0, rec1, (int)eqh, (int)eqv, (int)eqw));
        HGTEST_CHECK(its1 == its0, "%s %s: %" PetscInt_FMT " lower iterations instead of %" PetscInt_FMT, lowers[l], HGLowerTrajectoryTypes[types[v]], its1, its0);
        HGTEST_CHECK(eqw && eqv && eqh, "%s t=%" PetscInt_FMT " k=%" PetscInt_FMT " %s(%" PetscInt_FMT "): not bitwise equal to the full trajectory (h %d, v %d, w %d)", lowers[l], T, kk, HGLowerTrajectoryTypes[types[v]], params[v], (int)eqh, (int)eqv, (int)eqw);
        /* memory and recomputation within their bounds (4 = direction and three rotating vectors) */
        if (types[v] == HG_LOWER_TRAJECTORY_EVERY) {
          PetscInt m = params[v] > 0 ? params[v] : (PetscInt)PetscCeilReal(PetscSqrtReal((PetscReal)hb * t));
          bound      = hb * (t / m + 1) + PetscMin(m, T) - 1 + 4;
          HGTEST_CHECK(rec1 <= T, "every: %" PetscInt_FMT " steps recomputed for t = %" PetscInt_FMT, rec1, T);
        } else {
          PetscInt s = params[v] >= 0 ? params[v] : (PetscInt)PetscCeilReal(PetscLog2Real((PetscReal)t + 1));
          bound      = hb * (s + 1) + 4;
          if (T < t) bound += hb * s; /* the planned snapshots of an early stop stay */
          PetscInt  r = 1; /* revolve recomputes each step at most r times, binomial(s + r, s) >= t */
          PetscReal b;
          do {
            b = 1;
            for (PetscInt i = 1; i <= s; i++) b = b * (r + i) / i;
          } while (s > 0 && b < T && ++r);
          HGTEST_CHECK(rec1 <= (s == 0 ? T * (T - 1) / 2 : r * T), "revolve(%" PetscInt_FMT "): %" PetscInt_FMT " steps recomputed for t = %" PetscInt_FMT " (r = %" PetscInt_FMT ")", s, rec1, T, r);
        }
        HGTEST_CHECK(vecs1 <= bound, "%s %s(%" PetscInt_FMT "): %" PetscInt_FMT " vectors held, more than the %" PetscInt_FMT " allowed", lowers[l], HGLowerTrajectoryTypes[types[v]], params[v], vecs1, bound);
        ncases++;
      }
    }
  }
  HGTEST_CHECK(ncases == 2 * 6 * 8, "ran %" PetscInt_FMT " cases", ncases);
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h0));
  PetscCall(VecDestroy(&h1));
  PetscCall(VecDestroy(&v0));
  PetscCall(VecDestroy(&v1));
  PetscCall(VecDestroy(&w0));
  PetscCall(VecDestroy(&w1));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
