/* Shared helpers of the tests: silent on success, a PETSc error (non-zero exit) on failure. */
#pragma once
#include <hypergrad.h>

/* PETSC_ERR_NOT_CONVERGED (91), not PETSC_ERR_PLIB: its value 77 is CTest's skip code */
#define HGTEST_CHECK(cond, ...) PetscCheck(cond, PETSC_COMM_WORLD, PETSC_ERR_NOT_CONVERGED, __VA_ARGS__)

/* call must fail with the error code `code` and a message that contains `text` */
#define EXPECT_ERROR(call, code, text) \
  do { \
    PetscErrorCode ierr_; \
    char          *msg_ = NULL, *has_ = NULL; \
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL)); \
    ierr_ = (call); \
    PetscCall(PetscPopErrorHandler()); \
    HGTEST_CHECK(ierr_ == (code), "%s: expected error %d, got %d", #call, (int)(code), (int)ierr_); \
    PetscCall(PetscErrorMessage(ierr_, NULL, &msg_)); \
    PetscCall(PetscStrstr(msg_ ? msg_ : "", text, &has_)); \
    HGTEST_CHECK(has_, "%s: the message \"%s\" does not mention \"%s\"", #call, msg_ ? msg_ : "", text); \
  } while (0)

/* A deterministic value in [-1, 1) of (stream, global index i): the same on any number of ranks */
static inline PetscReal HGTestValue(PetscInt64 stream, PetscInt64 i)
{
  PetscReal x = PetscSinReal(12.9898 * (i + 1) + 78.233 * stream) * 43758.5453;
  return 2 * (x - PetscFloorReal(x)) - 1;
}

/* x_i = scale HGTestValue(stream, i) for the entries this rank owns */
static inline PetscErrorCode HGTestVecSetValues(Vec x, PetscInt64 stream, PetscReal scale)
{
  PetscInt     lo, hi;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscCall(VecGetArrayWrite(x, &a));
  for (PetscInt i = lo; i < hi; i++) a[i - lo] = scale * HGTestValue(stream, i);
  PetscCall(VecRestoreArrayWrite(x, &a));
  PetscFunctionReturn(0);
}

/* ||a - b|| / ||b|| */
static inline PetscErrorCode HGTestRelDiff(Vec a, Vec b, PetscReal *rel)
{
  Vec       d;
  PetscReal nb, nd;

  PetscFunctionBegin;
  PetscCall(VecDuplicate(a, &d));
  PetscCall(VecWAXPY(d, -1.0, b, a));
  PetscCall(VecNorm(d, NORM_2, &nd));
  PetscCall(VecNorm(b, NORM_2, &nb));
  *rel = nd / (nb > 0 ? nb : 1.0);
  PetscCall(VecDestroy(&d));
  PetscFunctionReturn(0);
}

/* A problem of the given type, read from the options after the defaults given here */
static inline PetscErrorCode HGTestProblem(MPI_Comm comm, const char *type, HGProblem *prob)
{
  PetscFunctionBegin;
  PetscCall(HGProblemCreate(comm, prob));
  PetscCall(HGProblemSetType(*prob, type));
  PetscCall(HGProblemSetFromOptions(*prob));
  PetscCall(HGProblemSetUp(*prob));
  PetscFunctionReturn(0);
}

/* An HG of the given method on prob: lower type, KSP type (aid only; NULL otherwise), t, k */
static inline PetscErrorCode HGTestMethod(HGProblem prob, const char *hgtype, const char *lowertype, const char *ksptype, PetscInt t, PetscInt k, HG *hg)
{
  HGLower lower;

  PetscFunctionBegin;
  PetscCall(HGCreate(PetscObjectComm((PetscObject)prob), hg));
  PetscCall(HGSetProblem(*hg, prob));
  PetscCall(HGSetType(*hg, hgtype));
  PetscCall(HGGetLower(*hg, &lower));
  PetscCall(HGLowerSetType(lower, lowertype));
  if (ksptype) {
    KSP ksp;
    PetscCall(HGGetKSP(*hg, &ksp));
    PetscCall(KSPSetType(ksp, ksptype));
  }
  PetscCall(HGSetIterations(*hg, t, k));
  PetscFunctionReturn(0);
}

/* Hypergradient of a method at lambda; checks a positive converged reason */
static inline PetscErrorCode HGTestCompute(HG hg, Vec lambda, Vec h)
{
  HGConvergedReason reason;
  HGType            type;

  PetscFunctionBegin;
  PetscCall(HGComputeHypergradient(hg, lambda, h));
  PetscCall(HGGetConvergedReason(hg, &reason));
  PetscCall(HGGetType(hg, &type));
  HGTEST_CHECK(reason > 0, "hypergradient %s did not converge: %s", type, HGConvergedReasons[reason]);
  PetscFunctionReturn(0);
}
