static const char help[] = "t707: the AVX-512 kernel of the CSR row products (-hg_csr_simd 1, the default where the CPU has AVX-512F)\n"
                           "against the plain loop (-hg_csr_simd 0) on sparse logreg (the -lr_* options): the ||X||^2 estimate (through L),\n"
                           "the lower gradient, the Hessian product at a new w (both products in one pass) and at the same w,\n"
                           "within 1e-14 relative, and not bitwise equal (the kernel ran: it adds in another order).\n"
                           "Skips (77) where the CPU or the build has no AVX-512.\n";
#include "hgtest.h"

typedef struct {
  PetscReal L;
  Vec       g, hw, hs; /* gradient, Hessian product at a new w, then again at the same w */
} Out;

static PetscErrorCode Run(const char *simd, Out *o)
{
  HGProblem prob;
  Vec       w1, w2, v, lambda;
  PetscReal mu;
  PetscInt  p;

  PetscFunctionBegin;
  PetscCall(PetscOptionsSetValue(NULL, "-hg_csr_simd", simd));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMLOGREG, &prob));
  PetscCall(HGProblemGetLowerConstants(prob, &o->L, &mu));
  PetscCall(HGProblemCreateVecs(prob, &w1, &lambda));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecGetSize(w1, &p));
  PetscCall(VecDuplicate(w1, &w2));
  PetscCall(VecDuplicate(w1, &v));
  PetscCall(VecDuplicate(w1, &o->g));
  PetscCall(VecDuplicate(w1, &o->hw));
  PetscCall(VecDuplicate(w1, &o->hs));
  PetscCall(HGTestVecSetValues(w1, 1, 3 / PetscSqrtReal((PetscReal)p)));
  PetscCall(HGTestVecSetValues(w2, 2, 3 / PetscSqrtReal((PetscReal)p)));
  PetscCall(HGTestVecSetValues(v, 3, 1.0));
  PetscCall(HGProblemComputeLowerGradient(prob, w1, lambda, o->g));          /* one pass, weights at w1 */
  PetscCall(HGProblemComputeLowerHessianMult(prob, w2, lambda, v, o->hw));  /* new w: weights and product in one pass */
  PetscCall(HGProblemComputeLowerHessianMult(prob, w2, lambda, w1, o->hs)); /* same w: the cached weights */
  PetscCall(VecDestroy(&w1));
  PetscCall(VecDestroy(&w2));
  PetscCall(VecDestroy(&v));
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscOptionsClearValue(NULL, "-hg_csr_simd"));
  PetscFunctionReturn(0);
}

static PetscErrorCode Compare(const char *what, Vec a, Vec b, PetscBool *differ)
{
  PetscReal rel;
  PetscBool eq;

  PetscFunctionBegin;
  PetscCall(HGTestRelDiff(a, b, &rel));
  PetscCall(VecEqual(a, b, &eq));
  PetscCall(PetscInfo(NULL, "%s: relative difference %g\n", what, (double)rel));
  HGTEST_CHECK(rel <= 1e-14, "%s: the AVX-512 kernel differs from the plain loop by %g relative (> 1e-14)", what, (double)rel);
  if (!eq) *differ = PETSC_TRUE;
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  Out       plain, simd;
  PetscBool differ = PETSC_FALSE, have = PETSC_FALSE;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__)) && defined(PETSC_USE_REAL_DOUBLE) && !defined(PETSC_USE_COMPLEX) && !defined(PETSC_USE_64BIT_INDICES)
  __builtin_cpu_init();
  have = __builtin_cpu_supports("avx512f") ? PETSC_TRUE : PETSC_FALSE;
#endif
  if (!have) {
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "t707-csr-simd: skipped: no AVX-512F on this CPU or build (the plain loop is the only kernel)\n"));
    PetscCall(PetscFinalize());
    return 77;
  }
  PetscCall(Run("0", &plain));
  PetscCall(Run("1", &simd));
  HGTEST_CHECK(PetscAbsReal(plain.L - simd.L) <= 1e-14 * plain.L, "L (from the ||X||^2 estimate): %.17g plain, %.17g AVX-512", (double)plain.L, (double)simd.L);
  if (plain.L != simd.L) differ = PETSC_TRUE;
  PetscCall(Compare("gradient", simd.g, plain.g, &differ));
  PetscCall(Compare("Hessian product at a new w", simd.hw, plain.hw, &differ));
  PetscCall(Compare("Hessian product at the same w", simd.hs, plain.hs, &differ));
  HGTEST_CHECK(differ, "-hg_csr_simd 1 and 0 gave bitwise equal results: the AVX-512 kernel did not run");
  PetscCall(VecDestroy(&plain.g));
  PetscCall(VecDestroy(&plain.hw));
  PetscCall(VecDestroy(&plain.hs));
  PetscCall(VecDestroy(&simd.g));
  PetscCall(VecDestroy(&simd.hw));
  PetscCall(VecDestroy(&simd.hs));
  PetscCall(PetscFinalize());
  return 0;
}
