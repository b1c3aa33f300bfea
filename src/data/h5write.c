/* HGDataWriteHDF5: every rank writes its own rows of a data set into the HDF5 layout that
   HGDataLoad() reads, with its own POSIX writes (no MPI-IO, no gather) */
#include "dataimpl.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static PetscInt64 piece = 32 * 1024 * 1024; /* bytes per write (-data_write_piece_bytes, for tests) */

/* n bytes of buf to fd at offset off, in writes of at most piece bytes (a short write is
   continued); returns 0 or the errno of the failed write */
static int WritePieces(int fd, const void *buf, size_t n, off_t off)
{
  const char *p = (const char *)buf;

  while (n > 0) {
    size_t  k = (size_t)PetscMin((PetscInt64)n, piece);
    ssize_t w = pwrite(fd, p, k, off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? errno : EIO;
    p += w, off += (off_t)w, n -= (size_t)w;
  }
  return 0;
}

/* A contiguous dataset whose space is allocated when it is created (no fill values written), so
   that its raw data has a fixed place in the file (H5Dget_offset) before any rank writes */
static hid_t CreateDataset(hid_t loc, const char *name, hid_t type, int rank, hsize_t d0, hsize_t d1, haddr_t *addr)
{
  hsize_t dims[2] = {d0, d1};
  hid_t   sp = H5Screate_simple(rank, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE), ds = -1;

  if (sp >= 0 && dcpl >= 0 && H5Pset_layout(dcpl, H5D_CONTIGUOUS) >= 0 && H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0 && H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0) ds = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (sp >= 0) H5Sclose(sp);
  if (dcpl >= 0) H5Pclose(dcpl);
  *addr = ds >= 0 ? H5Dget_offset(ds) : HADDR_UNDEF;
  /* an empty dataset has no raw data and no offset */
  if (ds >= 0 && *addr == HADDR_UNDEF && (d0 == 0 || (rank == 2 && d1 == 0))) *addr = 0;
  else if (ds >= 0 && *addr == HADDR_UNDEF) H5Dclose(ds), ds = -1;
  return ds;
}

/* Rank 0: tmp created with the datasets of the layout at their full sizes (dense /X, or the CSR
   group /X with data, indices, indptr and the attribute shape; /y), all contiguous with their
   space allocated, and closed; addr[] their raw data offsets (X or X/data, X/indices, X/indptr, y) */
static int CreateLayout(const char *tmp, PetscBool dense, PetscInt M, PetscInt N, PetscInt64 total, haddr_t addr[4], char *msg, size_t len)
{
  hid_t     file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), g = -1, ds[4] = {-1, -1, -1, -1};
  long long shape[2] = {M, N};
  hsize_t   two = 2;
  int       err = 0;

  if (file < 0) {
    PetscSNPrintf(msg, len, "%s: cannot create the file on rank 0 (directory missing or not writable?)", tmp);
    return 1;
  }
  if (dense) {
    ds[0] = CreateDataset(file, "X", H5T_IEEE_F64LE, 2, (hsize_t)M, (hsize_t)N, &addr[0]);
    if (ds[0] < 0) err = 1, PetscSNPrintf(msg, len, "%s: cannot create dataset /X of %" PetscInt_FMT " x %" PetscInt_FMT " values (disk full?)", tmp, M, N);
  } else {
    g = H5Gcreate2(file, "X", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) err = 1, PetscSNPrintf(msg, len, "%s: cannot create the group /X (disk full?)", tmp);
    else {
      hid_t as = H5Screate_simple(1, &two, NULL), at = as < 0 ? -1 : H5Acreate2(g, "shape", H5T_STD_I64LE, as, H5P_DEFAULT, H5P_DEFAULT);
      if (at < 0 || H5Awrite(at, H5T_NATIVE_LLONG, shape) < 0) err = 1, PetscSNPrintf(msg, len, "%s: cannot write the attribute shape of /X (disk full?)", tmp);
      if (at >= 0) H5Aclose(at);
      if (as >= 0) H5Sclose(as);
      ds[0] = CreateDataset(g, "data", H5T_IEEE_F64LE, 1, (hsize_t)total, 0, &addr[0]);
      ds[1] = CreateDataset(g, "indices", H5T_STD_I32LE, 1, (hsize_t)total, 0, &addr[1]);
      ds[2] = CreateDataset(g, "indptr", H5T_STD_I64LE, 1, (hsize_t)M + 1, 0, &addr[2]);
      if (!err && (ds[0] < 0 || ds[1] < 0 || ds[2] < 0)) err = 1, PetscSNPrintf(msg, len, "%s: cannot create the datasets of /X with %" PetscInt64_FMT " nonzeros (disk full?)", tmp, total);
    }
  }
  ds[3] = CreateDataset(file, "y", H5T_IEEE_F64LE, 1, (hsize_t)M, 0, &addr[3]);
  if (!err && ds[3] < 0) err = 1, PetscSNPrintf(msg, len, "%s: cannot create dataset /y (disk full?)", tmp);
  for (int i = 0; i < 4; i++)
    if (ds[i] >= 0) H5Dclose(ds[i]);
  if (g >= 0) H5Gclose(g);
  if (H5Fclose(file) < 0 && !err) err = 1, PetscSNPrintf(msg, len, "%s: closing the new file failed on rank 0 (disk full?)", tmp);
  return err;
}

/*
  The data set as the HDF5 layout that HGDataLoad() reads, written without MPI-IO (Open MPI 4.1's
  OMPIO reports a failed write as success and ROMIO hangs, so a disk that fills on one rank hung
  the collective writes):
  1. rank 0 creates tmp with all datasets at their full sizes (sizes from reductions; contiguous,
     space allocated at creation, no fill values written) and closes it; every rank gets the
     datasets' raw data offsets by a broadcast;
  2. every rank opens tmp with open(2) and writes its own rows with pwrite(2) at those offsets,
     in pieces of at most piece bytes (dense rows converted to row major; CSR nonzeros at the
     prefix sum of the lower ranks' counts), then fsync(2) and close(2); no rank waits on another
     here, so a failed write on one rank cannot hang the others;
  3. the ranks agree on the outcome (a reduction); rank 0 renames tmp to path, or removes it and
     every rank fails with the message of the lowest failing rank, naming the file.
  No rank holds more than its rows and one piece.  The file lies on a file system all ranks see.
*/
static PetscErrorCode WriteParallel(HGData *d, const char *path, const char *tmp)
{
  MPI_Comm           comm = PetscObjectComm((PetscObject)d->X);
  PetscMPIInt        rank;
  PetscInt           lo, hi, m, M = d->nsamples, N = d->nfeatures;
  PetscBool          dense;
  PetscInt64         nnz = 0, off = 0, total = 0;
  haddr_t            addr[4] = {0, 0, 0, 0};
  long long          a64[4];
  int                err = 0, fd = -1, e = 0;
  char               msg[PETSC_MAX_PATH_LEN + 200] = "";
  H5E_auto2_t        func;
  void              *fdata;
  const PetscScalar *y;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(MatGetOwnershipRange(d->X, &lo, &hi));
  m = hi - lo;
  PetscCall(PetscObjectTypeCompareAny((PetscObject)d->X, &dense, MATMPIDENSE, MATSEQDENSE, MATDENSE, ""));
  /* the values are written as they lie in memory: the file's types must be this machine's */
  PetscCheck(H5Tequal(H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE) > 0 && H5Tequal(H5T_NATIVE_INT, H5T_STD_I32LE) > 0 && H5Tequal(H5T_NATIVE_LLONG, H5T_STD_I64LE) > 0, comm, PETSC_ERR_SUP, "hgconvert writes little-endian files and runs on little-endian machines only");
  if (!dense) {
    for (PetscInt i = lo; i < hi; i++) {
      PetscInt nc;
      PetscCall(MatGetRow(d->X, i, &nc, NULL, NULL));
      nnz += nc;
      PetscCall(MatRestoreRow(d->X, i, &nc, NULL, NULL));
    }
    PetscCallMPI(MPI_Exscan(&nnz, &off, 1, MPIU_INT64, MPI_SUM, comm));
    if (!rank) off = 0;
    PetscCall(MPIU_Allreduce(&nnz, &total, 1, MPIU_INT64, MPI_SUM, comm));
    PetscCheck(N <= PETSC_MAX_INT, comm, PETSC_ERR_SUP, "%" PetscInt_FMT " features do not fit the 32-bit /X/indices of the layout", N);
  }
  /* 1. rank 0 lays out the file */
  if (!rank) {
    H5Eget_auto2(H5E_DEFAULT, &func, &fdata);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    err = CreateLayout(tmp, dense, M, N, total, addr, msg, sizeof(msg));
    H5Eset_auto2(H5E_DEFAULT, func, fdata);
    if (err) remove(tmp);
    for (int i = 0; i < 4; i++) a64[i] = (long long)addr[i];
  }
  PetscCall(HGDataAgree(comm, err ? PETSC_ERR_FILE_WRITE : 0, msg));
  PetscCallMPI(MPI_Bcast(a64, 4, MPI_LONG_LONG, 0, comm));
  /* 2. every rank writes its rows */
  fd = open(tmp, O_WRONLY);
  if (fd < 0) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: cannot open the file on rank %d: %s (not on a file system all ranks see?)", tmp, (int)rank, strerror(errno));
  if (!err && dense && m > 0 && N > 0) {
    PetscInt           rows = PetscMax(1, (PetscInt)(piece / (PetscInt64)(sizeof(PetscScalar) * N))), lda;
    PetscScalar       *buf;
    const PetscScalar *a;
    PetscCall(PetscMalloc1((size_t)PetscMin(rows, m) * N, &buf));
    PetscCall(MatDenseGetLDA(d->X, &lda));
    PetscCall(MatDenseGetArrayRead(d->X, &a));
    for (PetscInt r0 = 0; r0 < m && !err; r0 += rows) {
      PetscInt r1 = PetscMin(r0 + rows, m);
      for (PetscInt i = r0; i < r1; i++)
        for (PetscInt j = 0; j < N; j++) buf[(size_t)(i - r0) * N + j] = a[i + (size_t)j * lda];
      e = WritePieces(fd, buf, (size_t)(r1 - r0) * N * sizeof(PetscScalar), (off_t)(a64[0] + (long long)(lo + r0) * N * (long long)sizeof(PetscScalar)));
      if (e) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: writing rows %" PetscInt_FMT "..%" PetscInt_FMT " of /X failed on rank %d: %s (disk full?)", tmp, lo + r0, lo + r1 - 1, (int)rank, strerror(e));
    }
    PetscCall(MatDenseRestoreArrayRead(d->X, &a));
    PetscCall(PetscFree(buf));
  } else if (!err && !dense) {
    /* indptr: entries [lo, hi), and the last rank with rows also entry M (the total) */
    PetscInt64 cap = PetscMax(1, piece / (PetscInt64)(sizeof(PetscScalar) + sizeof(int))), big = 0, cur = 0;
    long long *ip;
    int       *cb;
    PetscScalar *vb;
    PetscCall(PetscMalloc1(m + 1, &ip));
    ip[0] = off;
    for (PetscInt i = lo; i < hi; i++) {
      PetscInt nc;
      PetscCall(MatGetRow(d->X, i, &nc, NULL, NULL));
      ip[i - lo + 1] = ip[i - lo] + nc;
      if (cur > 0 && cur + nc > cap) big = PetscMax(big, cur), cur = 0;
      cur += nc;
      PetscCall(MatRestoreRow(d->X, i, &nc, NULL, NULL));
    }
    big = PetscMax(big, cur);
    e = WritePieces(fd, ip, (size_t)(m + (hi == M && m > 0 ? 1 : 0)) * sizeof(long long), (off_t)(a64[2] + (long long)lo * (long long)sizeof(long long)));
    if (e) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: writing /X/indptr failed on rank %d: %s (disk full?)", tmp, (int)rank, strerror(e));
    PetscCall(PetscFree(ip));
    /* indices and data, rows in pieces of at most cap nonzeros (or one longer row) */
    PetscCall(PetscMalloc2(PetscMax(big, 1), &cb, PetscMax(big, 1), &vb));
    for (PetscInt row = lo, k = 0; row < hi && !err; k = 0) {
      while (row < hi) {
        PetscInt           nc;
        const PetscInt    *c;
        const PetscScalar *v;
        PetscCall(MatGetRow(d->X, row, &nc, &c, &v));
        if (k > 0 && k + nc > cap) {
          PetscCall(MatRestoreRow(d->X, row, &nc, &c, &v));
          break;
        }
        for (PetscInt j = 0; j < nc; j++) cb[k + j] = (int)c[j];
        PetscCall(PetscArraycpy(vb + k, v, nc));
        k += nc; /* (before MatRestoreRow, which zeroes nc) */
        PetscCall(MatRestoreRow(d->X, row, &nc, &c, &v));
        row++;
      }
      e = WritePieces(fd, cb, (size_t)k * sizeof(int), (off_t)(a64[1] + off * (long long)sizeof(int)));
      if (e) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: writing /X/indices failed on rank %d: %s (disk full?)", tmp, (int)rank, strerror(e));
      else if ((e = WritePieces(fd, vb, (size_t)k * sizeof(PetscScalar), (off_t)(a64[0] + off * (long long)sizeof(PetscScalar))))) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: writing /X/data failed on rank %d: %s (disk full?)", tmp, (int)rank, strerror(e));
      off += k;
    }
    PetscCall(PetscFree2(cb, vb));
  }
  if (!err && m > 0) {
    PetscCall(VecGetArrayRead(d->y, &y));
    e = WritePieces(fd, y, (size_t)m * sizeof(PetscScalar), (off_t)(a64[3] + (long long)lo * (long long)sizeof(PetscScalar)));
    if (e) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: writing /y failed on rank %d: %s (disk full?)", tmp, (int)rank, strerror(e));
    PetscCall(VecRestoreArrayRead(d->y, &y));
  }
  /* a write that the file system reports only later (NFS) fails here */
  if (fd >= 0 && !err && fsync(fd)) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: flushing the file failed on rank %d: %s (disk full?)", tmp, (int)rank, strerror(errno));
  if (fd >= 0 && close(fd) && !err) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: closing the file failed on rank %d: %s (disk full?)", tmp, (int)rank, strerror(errno));
  /* 3. all ranks have closed the file: rank 0 renames it, or removes it after a failure */
  {
    int any = err, code = 0;
    PetscCallMPI(MPI_Allreduce(&err, &any, 1, MPI_INT, MPI_MAX, comm));
    if (!rank) {
      if (any) remove(tmp);
      else if (rename(tmp, path)) code = 1, PetscSNPrintf(msg, sizeof(msg), "%s: cannot rename %s to it: %s", path, tmp, strerror(errno));
    }
    if (any) PetscCall(HGDataAgree(comm, err ? PETSC_ERR_FILE_WRITE : 0, msg));
    PetscCall(HGDataAgree(comm, code ? PETSC_ERR_FILE_WRITE : 0, msg));
  }
  PetscFunctionReturn(0);
}


/*@C
  HGDataWriteHDF5 - writes a data set as an HDF5 file that `HGDataLoad()` reads back
  (dense /X, or the CSR group /X with data, indices, indptr and attribute shape; /y)

  Collective

  Input Parameters:
+ data - the data set
- path - the file

  Options Database Keys:
. -data_write_piece_bytes <33554432> - bytes per write (tests use small pieces)

  Notes:
  Rank 0 lays the file out (every dataset contiguous, its space allocated) in path.tmp; then
  every rank writes its own rows at their places with its own POSIX writes, in pieces, and
  flushes them; one reduction decides: rank 0 renames path.tmp to path, or removes it, and a
  write that failed on any rank is an error on every rank naming that rank. No rank gathers
  the data or holds more than its rows and one piece, and no rank waits on another while it
  writes, so a failed write (a full disk on one rank) never hangs the others; an existing file
  at path is replaced only by a whole file. The file must be on a file system all ranks see.

  Level: intermediate

.seealso: HGDataLoad(), HGDataLoadWithOptions()
@*/
PetscErrorCode HGDataWriteHDF5(HGData *d, const char path[])
{
  char      tmp[PETSC_MAX_PATH_LEN];
  PetscInt  pb = 32 * 1024 * 1024;
  PetscBool set;

  PetscFunctionBegin;
  PetscCheck(d && d->X && d->y, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "HGDataWriteHDF5: the data set is empty");
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-data_write_piece_bytes", &pb, &set));
  PetscCheck(pb > 0, PetscObjectComm((PetscObject)d->X), PETSC_ERR_ARG_OUTOFRANGE, "-data_write_piece_bytes must be positive; got %" PetscInt_FMT, pb);
  piece = pb;
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp", path));
  PetscCall(WriteParallel(d, path, tmp));
  PetscFunctionReturn(0);
}
