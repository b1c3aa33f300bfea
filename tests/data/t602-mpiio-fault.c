static const char help[] = "t602-mpiio-fault: a read of an HDF5 data file that fails on one rank only (LD_PRELOAD shim\n"
                           "faultread) is one clear error naming the file on every rank, for dense and CSR files and for\n"
                           "the first and the last rank; no hang (the test has a timeout); the same files load once the\n"
                           "fault is gone.  A file truncated after its header is an error on every rank.\n\n"
                           "  -dir <D>        directory for the test files (deleted at the end)\n"
                           "  -fault <mode>   read: the data reads of one rank fail (EIO);\n"
                           "                  open: one rank cannot open the file (EACCES); truncate: no shim, a truncated file\n";
#include "../hgtest.h"
#include <stdlib.h>

#define M 20000
#define N 20

/* dense: x_ij = sin(i N + j); CSR: the same values where (i + j) % 2 == 0 (10 of 20 per row) */
static PetscErrorCode Write(MPI_Comm comm, PetscBool sparse, const char *path)
{
  HGData   d;
  PetscInt lo, hi;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&d, sizeof(d)));
  if (sparse) PetscCall(MatCreateAIJ(comm, PETSC_DECIDE, PETSC_DECIDE, M, N, N, NULL, N, NULL, &d.X));
  else PetscCall(MatCreateDense(comm, PETSC_DECIDE, PETSC_DECIDE, M, N, NULL, &d.X));
  PetscCall(MatGetOwnershipRange(d.X, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++)
    for (PetscInt j = 0; j < N; j++)
      if (!sparse || (i + j) % 2 == 0) PetscCall(MatSetValue(d.X, i, j, PetscSinReal((PetscReal)(i * N + j)), INSERT_VALUES));
  PetscCall(MatAssemblyBegin(d.X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(d.X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatCreateVecs(d.X, NULL, &d.y));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(d.y, i, (PetscReal)(i % 2), INSERT_VALUES));
  PetscCall(VecAssemblyBegin(d.y));
  PetscCall(VecAssemblyEnd(d.y));
  d.nsamples = M, d.nfeatures = N;
  PetscCall(HGDataWriteHDF5(&d, path));
  PetscCall(HGDataDestroy(&d));
  PetscFunctionReturn(0);
}

/* The load with the fault on rank bad: every rank must get an error whose message names the file */
static PetscErrorCode LoadFails(MPI_Comm comm, const char *path, PetscMPIInt bad)
{
  HGData         d;
  PetscErrorCode ierr;
  char           buf[16], *msg = NULL;
  PetscMPIInt    rank;
  int            ok, allok;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%d", (int)bad));
  setenv("HG_FAULT_RANK", buf, 1);
  setenv("HG_FAULT_ARMED", "1", 1);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = HGDataLoad(comm, path, NULL, HG_DATA_AUTO, &d);
  PetscCall(PetscPopErrorHandler());
  setenv("HG_FAULT_ARMED", "0", 1);
  if (ierr) PetscCall(PetscErrorMessage(ierr, NULL, &msg));
  else PetscCall(HGDataDestroy(&d));
  ok = ierr && msg && strstr(msg, path) ? 1 : 0;
  PetscCall(PetscSynchronizedPrintf(comm, "  fault on rank %d, rank %d: error %d: %s\n", (int)bad, (int)rank, (int)ierr, msg ? msg : "(none)"));
  PetscCall(PetscSynchronizedFlush(comm, PETSC_STDOUT));
  PetscCallMPI(MPI_Allreduce(&ok, &allok, 1, MPI_INT, MPI_MIN, comm));
  HGTEST_CHECK(allok, "%s, read fault on rank %d: not every rank got an error naming the file", path, (int)bad);
  PetscFunctionReturn(0);
}

/* rank 0 copies the first half of src to dst */
static PetscErrorCode Truncate(MPI_Comm comm, const char *src, const char *dst)
{
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    FILE  *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    long   n;
    char  *buf;
    HGTEST_CHECK(in && out, "cannot copy %s to %s", src, dst);
    fseek(in, 0, SEEK_END);
    n = ftell(in) / 2;
    fseek(in, 0, SEEK_SET);
    PetscCall(PetscMalloc1(n, &buf));
    HGTEST_CHECK(fread(buf, 1, (size_t)n, in) == (size_t)n && fwrite(buf, 1, (size_t)n, out) == (size_t)n, "cannot copy %s", src);
    PetscCall(PetscFree(buf));
    fclose(in);
    fclose(out);
  }
  PetscCallMPI(MPI_Barrier(comm));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char        dir[PETSC_MAX_PATH_LEN] = ".", path[3][PETSC_MAX_PATH_LEN], mode[16] = "read";
  MPI_Comm    comm;
  PetscMPIInt rank, size;
  PetscBool   truncate;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-dir", dir, sizeof(dir), NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-fault", mode, sizeof(mode), NULL));
  truncate = strcmp(mode, "truncate") ? PETSC_FALSE : PETSC_TRUE;
  HGTEST_CHECK(truncate || !strcmp(mode, "read") || !strcmp(mode, "open"), "-fault read, open or truncate");
  HGTEST_CHECK(truncate || (getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "faultread")), "run with LD_PRELOAD=.../faultread.so (the fault injection shim)");
  setenv("HG_FAULT_OPEN", strcmp(mode, "open") ? "0" : "1", 1);
  for (int s = 0; s < 2; s++) {
    PetscCall(PetscSNPrintf(path[s], sizeof(path[s]), "%s/t602-%s-np%d-%s.h5", dir, mode, (int)size, s ? "csr" : "dense"));
    PetscCall(Write(comm, (PetscBool)s, path[s]));
  }
  if (truncate) {
    PetscCall(PetscSNPrintf(path[2], sizeof(path[2]), "%s/t602-truncated-np%d.h5", dir, (int)size));
    for (int s = 0; s < 2; s++) {
      PetscCall(Truncate(comm, path[s], path[2]));
      PetscCall(LoadFails(comm, path[2], 0));
    }
  } else
    for (int s = 0; s < 2; s++) {
      HGData d;
      PetscCall(LoadFails(comm, path[s], 0));
      PetscCall(LoadFails(comm, path[s], size - 1));
      /* without the fault the same file loads: the errors came from the injected failures */
      PetscCall(HGDataLoad(comm, path[s], NULL, HG_DATA_AUTO, &d));
      HGTEST_CHECK(d.nsamples == M && d.nfeatures == N, "%s: %" PetscInt_FMT " x %" PetscInt_FMT " after the faults", path[s], d.nsamples, d.nfeatures);
      PetscCall(HGDataDestroy(&d));
    }
  PetscCallMPI(MPI_Barrier(comm));
  if (!rank)
    for (int s = 0; s < (truncate ? 3 : 2); s++) remove(path[s]);
  PetscCall(PetscPrintf(comm, "t602-mpiio-fault (%s): an error naming the file on all %d ranks\n", mode, (int)size));
  PetscCall(PetscFinalize());
  return 0;
}
