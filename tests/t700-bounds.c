static const char help[] = "Error bounds: on a problem with an exact hypergradient, the a-posteriori bound (and the\n"
                           "a-priori one where it applies) is never below the true error over a grid of lower and\n"
                           "adjoint accuracies (fixed t and k, and tolerances), for AID-CG, AID-FP, ITD and IAD with gd\n"
                           "and heavy ball.  -v prints the tightness bound / error (min, median, max) per method.\n"
                           "  -problem <quadratic|biasreg|krr>, -v\n\n";
#include "hgtest.h"

typedef struct {
  const char *name, *hg, *lower, *ksp;
} Method;

static const Method methods[] = {
  {"AID-CG gd",   HGAID, HGLOWERGD,        KSPCG        },
  {"AID-FP gd",   HGAID, HGLOWERGD,        KSPRICHARDSON},
  {"AID-CG hb",   HGAID, HGLOWERHEAVYBALL, KSPCG        },
  {"ITD gd",      HGITD, HGLOWERGD,        NULL         },
  {"ITD hb",      HGITD, HGLOWERHEAVYBALL, NULL         },
  {"IAD gd",      HGIAD, HGLOWERGD,        NULL         },
  {"IAD hb",      HGIAD, HGLOWERHEAVYBALL, NULL         },
};
#define NMETHODS ((int)(sizeof(methods) / sizeof(methods[0])))
#define MAXPTS   256

static int CmpReal(const void *a, const void *b)
{
  PetscReal x = *(const PetscReal *)a, y = *(const PetscReal *)b;
  return x < y ? -1 : (x > y ? 1 : 0);
}

/* min, median, max of n values (sorted in place) */
static void Stats(PetscReal *r, PetscInt n, PetscReal *mn, PetscReal *md, PetscReal *mx)
{
  qsort(r, (size_t)n, sizeof(PetscReal), CmpReal);
  *mn = n ? r[0] : 0;
  *mx = n ? r[n - 1] : 0;
  *md = n ? (n % 2 ? r[n / 2] : 0.5 * (r[n / 2 - 1] + r[n / 2])) : 0;
}

int main(int argc, char **argv)
{
  HGProblem prob;
  Vec       lambda, h, g;
  PetscReal gnorm;
  char      ptype[64] = "quadratic";
  PetscBool verbose   = PETSC_FALSE;
  /* fixed iterations and tolerances: t, k; then (lower rtol, adjoint rtol) pairs */
  const PetscInt  tl[] = {5, 10, 20, 50, 100, 200}, kl[] = {3, 10, 30, -1};
  const PetscReal rl[] = {1e-1, 1e-2, 1e-4, 1e-6};
  PetscReal      *post[NMETHODS], *prio[NMETHODS];
  PetscInt        npost[NMETHODS], nprio[NMETHODS], nround = 0, nchecked = 0, estimated = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-problem", ptype, sizeof(ptype), NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-v", &verbose, NULL));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, ptype, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecDuplicate(lambda, &g));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGProblemComputeExactHypergradient(prob, lambda, g, NULL));
  PetscCall(VecNorm(g, NORM_2, &gnorm));
  for (int m = 0; m < NMETHODS; m++) {
    PetscCall(PetscMalloc2(MAXPTS, &post[m], MAXPTS, &prio[m]));
    npost[m] = nprio[m] = 0;
  }

  for (int m = 0; m < NMETHODS; m++) {
    const Method *M = &methods[m];
    for (size_t it = 0; it < sizeof(tl) / sizeof(tl[0]) + sizeof(rl) / sizeof(rl[0]); it++) {
      PetscBool tolmode = it >= sizeof(tl) / sizeof(tl[0]) ? PETSC_TRUE : PETSC_FALSE;
      for (size_t ik = 0; ik < (tolmode ? sizeof(rl) / sizeof(rl[0]) : sizeof(kl) / sizeof(kl[0])); ik++) {
        HG        hg;
        HGLower   lower;
        HGInfo    info;
        PetscReal err;
        PetscInt  t = tolmode ? 5000 : tl[it], k = tolmode ? PETSC_DEFAULT : (kl[ik] < 0 ? t : PetscMin(kl[ik], t));

        /* tolerances only where the method uses them: the lower level always, the adjoint for aid */
        if (tolmode && ik > 0 && strcmp(M->hg, HGAID)) continue;
        if (!tolmode && kl[ik] >= t) continue; /* the same as k = t */
        PetscCall(HGTestMethod(prob, M->hg, M->lower, M->ksp, t, k, &hg));
        PetscCall(HGGetLower(hg, &lower));
        if (tolmode) {
          PetscReal rlow = rl[it - sizeof(tl) / sizeof(tl[0])];
          PetscCall(HGLowerSetTolerances(lower, rlow, 0, 1e8));
          if (!strcmp(M->hg, HGAID)) {
            char val[32];
            PetscCall(PetscSNPrintf(val, sizeof(val), "%g", (double)rl[ik]));
            PetscCall(PetscOptionsSetValue(NULL, "-hg_adjoint_rtol", val));
            PetscCall(HGSetIterations(hg, t, 5000));
          }
        }
        PetscCall(HGSetFromOptions(hg));
        PetscCall(PetscOptionsClearValue(NULL, "-hg_adjoint_rtol"));
        PetscCall(HGTestCompute(hg, lambda, h));
        PetscCall(HGGetInfo(hg, &info));
        PetscCall(HGTestRelDiff(h, g, &err));
        err *= gnorm;
        estimated |= info.bound_estimated;
        HGTEST_CHECK(info.bound_aposteriori >= 0, "%s t=%" PetscInt_FMT ": no a-posteriori bound", M->name, t);
        if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-10s t %5" PetscInt_FMT " k %5" PetscInt_FMT " G %.2e R %.2e  error %.3e  a-posteriori %.3e  a-priori %.3e\n", M->name, info.lower_its, info.adjoint_its, (double)info.lower_residual, (double)info.adjoint_residual, (double)err, (double)info.bound_aposteriori, (double)info.bound_apriori));
        /* both in exact arithmetic; below 1e-10 ||grad f|| the error is rounding (of h and of the direct solve) */
        if (err < 1e-10 * gnorm) {
          nround++;
          HGTEST_CHECK(info.bound_aposteriori >= err - 1e-10 * gnorm, "%s t=%" PetscInt_FMT " k=%" PetscInt_FMT ": a-posteriori bound %g below the error %g", M->name, info.lower_its, info.adjoint_its, (double)info.bound_aposteriori, (double)err);
        } else {
          nchecked++;
          HGTEST_CHECK(info.bound_aposteriori >= err, "%s t=%" PetscInt_FMT " k=%" PetscInt_FMT ": a-posteriori bound %g below the error %g", M->name, info.lower_its, info.adjoint_its, (double)info.bound_aposteriori, (double)err);
          if (info.bound_apriori >= 0) HGTEST_CHECK(info.bound_apriori >= err, "%s t=%" PetscInt_FMT " k=%" PetscInt_FMT ": a-priori bound %g below the error %g", M->name, info.lower_its, info.adjoint_its, (double)info.bound_apriori, (double)err);
          if (npost[m] < MAXPTS) post[m][npost[m]++] = info.bound_aposteriori / err;
          if (info.bound_apriori >= 0 && nprio[m] < MAXPTS) prio[m][nprio[m]++] = info.bound_apriori / err;
        }
        PetscCall(HGDestroy(&hg));
      }
    }
  }
  HGTEST_CHECK(nchecked >= 50, "only %" PetscInt_FMT " grid points above rounding level", nchecked);
  if (verbose) {
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\n%s: %" PetscInt_FMT " points checked (%" PetscInt_FMT " more at rounding level), constants %s\n", ptype, nchecked, nround, estimated ? "partly estimated" : "from the problem"));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "method       a-posteriori / error: n, min, median, max      a-priori / error: n, min, median, max\n"));
    for (int m = 0; m < NMETHODS; m++) {
      PetscReal a0, a1, a2, b0, b1, b2;
      Stats(post[m], npost[m], &a0, &a1, &a2);
      Stats(prio[m], nprio[m], &b0, &b1, &b2);
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-10s   %3" PetscInt_FMT "  %9.3g %9.3g %9.3g", methods[m].name, npost[m], (double)a0, (double)a1, (double)a2));
      if (nprio[m]) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "      %3" PetscInt_FMT "  %9.3g %9.3g %9.3g\n", nprio[m], (double)b0, (double)b1, (double)b2));
      else PetscCall(PetscPrintf(PETSC_COMM_WORLD, "        -\n"));
    }
  }
  for (int m = 0; m < NMETHODS; m++) PetscCall(PetscFree2(post[m], prio[m]));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&g));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
