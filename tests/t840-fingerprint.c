static const char help[] = "Fingerprints of the data in run files:\n"
                           "  1. HGVecHash() and HGMatHash() of distributed objects equal the hashes of sequential\n"
                           "     copies on one rank (the same on any number of ranks), and change with any entry;\n"
                           "  2. a user problem with its own fingerprint (HGProblemSetFingerprint()): a run file\n"
                           "     resumes with the same data, and is refused with other data (another seed) or\n"
                           "     another outer step, unless HGOuterSetResumeForce().\n";
#include <hypergrad.h>
#include "hgtest.h"

/* entries that depend on the global index only */
static PetscScalar Entry(PetscInt i, PetscInt j, PetscInt seed)
{
  return PetscSinReal((PetscReal)(i * 37 + j * 11 + 1 + seed)) * (j == i % 5 ? 0.0 : 1.0);
}

static PetscErrorCode FillVec(Vec x, PetscInt seed)
{
  PetscInt     lo, hi;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscCall(VecGetArrayWrite(x, &a));
  for (PetscInt i = lo; i < hi; i++) a[i - lo] = Entry(i, 0, seed) + 2.0;
  PetscCall(VecRestoreArrayWrite(x, &a));
  PetscFunctionReturn(0);
}

static PetscErrorCode FillMat(Mat A, PetscInt N)
{
  PetscInt lo, hi;

  PetscFunctionBegin;
  PetscCall(MatGetOwnershipRange(A, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++)
    for (PetscInt j = 0; j < N; j++) {
      PetscScalar v = Entry(i, j, 0);
      if (v != 0.0) PetscCall(MatSetValue(A, i, j, v, INSERT_VALUES));
    }
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

/* the user's fingerprint: the hash of their data vector */
static PetscErrorCode UserFingerprint(HGProblem prob, char fp[], size_t len, void *ctx)
{
  PetscInt64 h;

  PetscFunctionBegin;
  PetscCall(HGVecHash((Vec)ctx, &h));
  PetscCall(PetscSNPrintf(fp, len, "user data %016llx", (unsigned long long)h));
  PetscFunctionReturn(0);
}

static PetscErrorCode MakeOuter(HGProblem prob, PetscInt max_it, PetscReal step, HGOuter *outer)
{
  HG hg;

  PetscFunctionBegin;
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCG, 200, 100, &hg));
  PetscCall(HGOuterCreate(PETSC_COMM_WORLD, outer));
  PetscCall(HGOuterSetHG(*outer, hg));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGOuterSetType(*outer, HGOUTERGD));
  PetscCall(HGOuterSetFromOptions(*outer));
  PetscCall(HGOuterSetMaxIterations(*outer, max_it));
  PetscCall(HGOuterSetStepSize(*outer, step));
  PetscFunctionReturn(0);
}

/* resumes file with the problem's current data and the given step; returns the error code */
static PetscErrorCode TryResume(HGProblem prob, const char file[], PetscReal step, PetscBool force, PetscErrorCode *ierr)
{
  HGOuter outer;
  Vec     lambda;

  PetscFunctionBegin;
  PetscCall(MakeOuter(prob, 5, step, &outer));
  PetscCall(HGOuterSetResumeForce(outer, force));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  *ierr = HGOuterLoadCheckpoint(outer, file, lambda);
  PetscCall(PetscPopErrorHandler());
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGOuterDestroy(&outer));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscMPIInt rank, size;
  PetscInt64  h, h0, hm, hm0, hother;
  Vec         x, x0, data;
  VecScatter  sc;
  Mat         A, B;
  PetscInt    N = 37;
  char        file[64];

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));

  /* 1. hashes of distributed objects = hashes of one-rank copies */
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, N, &x));
  PetscCall(FillVec(x, 0));
  PetscCall(HGVecHash(x, &h));
  PetscCall(VecScatterCreateToZero(x, &sc, &x0));
  PetscCall(VecScatterBegin(sc, x, x0, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, x, x0, INSERT_VALUES, SCATTER_FORWARD));
  if (!rank) PetscCall(HGVecHash(x0, &h0)); /* x0 lives on PETSC_COMM_SELF */
  PetscCallMPI(MPI_Bcast(&h0, 1, MPIU_INT64, 0, PETSC_COMM_WORLD));
  HGTEST_CHECK(h == h0, "HGVecHash on %d ranks %llx differs from the one-rank copy's %llx", size, (unsigned long long)h, (unsigned long long)h0);
  /* any one entry changed (its lowest bit), or two entries swapped: another hash */
  {
    PetscScalar v;
    PetscInt    i = N / 2;
    if (!rank) {
      PetscCall(VecGetValues(x0, 1, &i, &v));
      v = PetscRealPart(v) * (1 + PETSC_MACHINE_EPSILON);
    }
    PetscCallMPI(MPI_Bcast(&v, 1, MPIU_SCALAR, 0, PETSC_COMM_WORLD));
    if (!rank) PetscCall(VecSetValue(x, i, v, INSERT_VALUES));
    PetscCall(VecAssemblyBegin(x));
    PetscCall(VecAssemblyEnd(x));
    PetscCall(HGVecHash(x, &hother));
    HGTEST_CHECK(hother != h, "HGVecHash does not see the lowest bit of entry %" PetscInt_FMT, i);
    PetscCall(FillVec(x, 0));
    if (!rank) {
      PetscScalar a[2];
      PetscInt    idx[2] = {0, N - 1}, sw[2] = {N - 1, 0};
      PetscCall(VecGetValues(x0, 2, idx, a));
      PetscCall(VecSetValues(x, 2, sw, a, INSERT_VALUES));
    }
    PetscCall(VecAssemblyBegin(x));
    PetscCall(VecAssemblyEnd(x));
    PetscCall(HGVecHash(x, &hother));
    HGTEST_CHECK(hother != h, "HGVecHash does not see two entries swapped");
  }
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&x0));
  PetscCall(VecDestroy(&x));
  /* a sparse matrix on all ranks, and the same one dense on each rank alone */
  PetscCall(MatCreateAIJ(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, N, N - 3, N, NULL, N, NULL, &A));
  PetscCall(FillMat(A, N - 3));
  PetscCall(HGMatHash(A, &hm));
  PetscCall(MatCreateSeqDense(PETSC_COMM_SELF, N, N - 3, NULL, &B));
  PetscCall(FillMat(B, N - 3));
  PetscCall(HGMatHash(B, &hm0));
  HGTEST_CHECK(hm == hm0, "HGMatHash of the AIJ matrix on %d ranks %llx differs from the dense one on one rank %llx", size, (unsigned long long)hm, (unsigned long long)hm0);
  PetscCall(MatDestroy(&A));
  PetscCall(MatDestroy(&B));

  /* 2. a user problem with its own fingerprint */
  {
    HGProblem              prob;
    HGOuter                outer;
    Vec                    lambda;
    PetscErrorCode         ierr;
    HGOuterConvergedReason reason;

    PetscCall(PetscSNPrintf(file, sizeof(file), "t840-np%d.h5", (int)size));
    PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMQUADRATIC, &prob));
    PetscCall(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, 50, &data));
    PetscCall(FillVec(data, 1));
    PetscCall(HGProblemSetFingerprint(prob, UserFingerprint, data));
    PetscCall(MakeOuter(prob, 3, 0.1, &outer));
    PetscCall(PetscOptionsSetValue(NULL, "-outer_checkpoint_overwrite", NULL));
    PetscCall(HGOuterSetFromOptions(outer));
    PetscCall(HGOuterSetCheckpoint(outer, file, 0));
    PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
    PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
    PetscCall(HGOuterSolve(outer, lambda));
    PetscCall(HGOuterGetConvergedReason(outer, &reason));
    HGTEST_CHECK(reason > 0, "the run to be resumed stopped with %s", HGOuterConvergedReasons[reason]);
    PetscCall(VecDestroy(&lambda));
    PetscCall(HGOuterDestroy(&outer));
    PetscCall(PetscOptionsClearValue(NULL, "-outer_checkpoint_overwrite"));

    PetscCall(TryResume(prob, file, 0.1, PETSC_FALSE, &ierr));
    HGTEST_CHECK(!ierr, "the same data and step: resume refused (error %d)", (int)ierr);
    PetscCall(FillVec(data, 2)); /* other data of the same size */
    PetscCall(TryResume(prob, file, 0.1, PETSC_FALSE, &ierr));
    HGTEST_CHECK(ierr == PETSC_ERR_ARG_INCOMP, "other data: resume not refused (error %d)", (int)ierr);
    PetscCall(TryResume(prob, file, 0.1, PETSC_TRUE, &ierr));
    HGTEST_CHECK(!ierr, "other data with HGOuterSetResumeForce(): refused (error %d)", (int)ierr);
    PetscCall(FillVec(data, 1));
    PetscCall(TryResume(prob, file, 0.2, PETSC_FALSE, &ierr));
    HGTEST_CHECK(ierr == PETSC_ERR_ARG_INCOMP, "another outer step: resume not refused (error %d)", (int)ierr);
    PetscCall(HGProblemDestroy(&prob));
    PetscCall(VecDestroy(&data));
    if (!rank) (void)remove(file);
  }
  PetscCall(PetscFinalize());
  return 0;
}
