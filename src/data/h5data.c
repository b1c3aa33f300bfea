/*
   HDF5 data files (rank 0, HDF5 C API) and HDF5 vectors.

   A data file holds /y (n labels) and /X, either a dense n x p dataset (row i = sample i)
   or a group in the scipy CSR layout: /X/data (values), /X/indices (0-based column of each
   value, increasing within a row), /X/indptr (n + 1 offsets) and an attribute "shape" =
   (n, p) on the group.  Any numeric HDF5 type is converted to double / 64-bit integers.
*/
#include "dataimpl.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <petscviewerhdf5.h>

/* Open dataset name (under loc) of rank 1 or 2; dims[0] is the length of the first dimension,
   dims[1] that of the second (1 for rank 1) */
static PetscErrorCode OpenDataset(hid_t loc, const char *path, const char *name, hid_t *dset, int *rank, hsize_t dims[2])
{
  hid_t space;

  PetscFunctionBegin;
  PetscCheck(H5Lexists(loc, name, H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: no dataset %s: a data file needs /X (dense, or a CSR group with data, indices, indptr) and /y", path, name);
  *dset = H5Dopen2(loc, name, H5P_DEFAULT);
  PetscCheck(*dset >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s is not a dataset", path, name);
  space = H5Dget_space(*dset);
  *rank = H5Sget_simple_extent_ndims(space);
  dims[0] = dims[1] = 1;
  if (*rank >= 1 && *rank <= 2) H5Sget_simple_extent_dims(space, dims, NULL);
  H5Sclose(space);
  if (*rank < 1 || *rank > 2) H5Dclose(*dset);
  PetscCheck(*rank >= 1 && *rank <= 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset %s has %d dimensions; expected 1 or 2", path, name, *rank);
  if (*rank == 1) dims[1] = 1;
  PetscFunctionReturn(0);
}

/* Read rows [0, count) of an open dataset (all columns), converted to memtype; closes dset */
static PetscErrorCode ReadRows(hid_t dset, const char *path, const char *name, int rank, hsize_t count, hsize_t ncols, hid_t memtype, void *buf)
{
  hid_t   fspace, mspace;
  hsize_t start[2] = {0, 0}, cnt[2] = {count, ncols}, mdim = count * ncols;
  herr_t  err      = 0;

  PetscFunctionBegin;
  if (mdim > 0) {
    fspace = H5Dget_space(dset);
    H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, cnt, NULL);
    (void)rank;
    mspace = H5Screate_simple(1, &mdim, NULL);
    err    = H5Dread(dset, memtype, mspace, fspace, H5P_DEFAULT, buf);
    H5Sclose(mspace);
    H5Sclose(fspace);
  }
  H5Dclose(dset);
  PetscCheck(err >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: cannot read dataset %s (not numeric, or the file is damaged)", path, name);
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckFinite(const char *path, const char *name, const PetscScalar *v, size_t n, size_t ncols, PetscBool rowcol)
{
  PetscFunctionBegin;
  for (size_t k = 0; k < n; k++)
    if (PetscIsInfOrNanScalar(v[k])) {
      if (rowcol) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset %s, record (row) %zu, column %zu: the value is NaN or Inf: remove or fix this sample", path, name, k / ncols, k % ncols);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset %s, entry %zu: the value is NaN or Inf: remove or fix it", path, name, k);
    }
  PetscFunctionReturn(0);
}


static PetscErrorCode OpenFile(const char *path, hid_t *file)
{
  FILE  *fp = fopen(path, "rb");
  htri_t is;

  PetscFunctionBegin;
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot open the HDF5 file: %s", path, strerror(errno));
  {
    int c = fgetc(fp);
    fclose(fp);
    PetscCheck(c != EOF, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: the file is empty: expected an HDF5 file", path);
  }
  is = H5Fis_hdf5(path);
  PetscCheck(is >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: HDF5 cannot open the file to check its signature (permissions, or a file system error): check that this rank can read it", path);
  PetscCheck(is > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: not an HDF5 file (no HDF5 signature): check the file or choose its format with -data_format", path);
  *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(*file >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: HDF5 cannot open the file (damaged or truncated?)", path);
  PetscFunctionReturn(0);
}

/* Read count entries from start of a 1-D dataset (rank 0, serial); does not close dset */
static herr_t ReadAt(hid_t dset, hsize_t start, hsize_t count, hid_t memtype, void *buf)
{
  hid_t  fspace = H5Dget_space(dset), mspace = H5Screate_simple(1, &count, NULL);
  herr_t err    = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &count, NULL);

  if (err >= 0) err = H5Dread(dset, memtype, mspace, fspace, H5P_DEFAULT, buf);
  H5Sclose(mspace);
  H5Sclose(fspace);
  return err;
}

/* What rank 0 finds in the file's metadata, broadcast to every rank before the parallel read */
typedef struct {
  PetscInt64 sparse, M, N, nall; /* CSR or dense; samples read (max_samples applied); features; samples in the file */
  PetscInt64 ncols;              /* dense: columns of /X */
} H5Header;

static PetscErrorCode HeaderCSR(HGReader *r, hid_t grp, H5Header *h)
{
  const char *path = r->path;
  hid_t       ds, attr, aspace;
  int         rank, arank;
  hsize_t     dims[2], adim[2] = {0, 0}, n, nnz, ndata;
  long long   shape[2] = {0, 0}, ip0 = 0, ipn = 0;

  PetscFunctionBegin;
  PetscCheck(H5Aexists(grp, "shape") > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: the CSR group /X has no attribute \"shape\" (number of samples, number of features)", path);
  attr   = H5Aopen(grp, "shape", H5P_DEFAULT);
  aspace = H5Aget_space(attr);
  arank  = H5Sget_simple_extent_ndims(aspace);
  if (arank == 1) H5Sget_simple_extent_dims(aspace, adim, NULL);
  H5Sclose(aspace);
  if (arank != 1 || adim[0] != 2) H5Aclose(attr);
  PetscCheck(arank == 1 && adim[0] == 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: the attribute shape of /X must hold 2 integers (samples, features)", path);
  {
    herr_t e = H5Aread(attr, H5T_NATIVE_LLONG, shape);
    H5Aclose(attr);
    PetscCheck(e >= 0 && shape[0] >= 0 && shape[1] >= 0 && shape[1] < PETSC_MAX_INT && shape[0] < PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: the attribute shape of /X is unreadable or out of range (%lld, %lld)", path, shape[0], shape[1]);
  }
  n = (hsize_t)shape[0];
  if (r->opts->max_samples > 0) n = PetscMin(n, (hsize_t)r->opts->max_samples);
  h->sparse = 1, h->M = (PetscInt64)n, h->nall = shape[0], h->N = shape[1];
  if (r->opts->nfeatures) {
    PetscCheck(r->opts->nfeatures >= h->N, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X has %" PetscInt64_FMT " features, more than -data_nfeatures %" PetscInt_FMT, path, h->N, r->opts->nfeatures);
    h->N = r->opts->nfeatures;
  }
  /* indptr: its length, first and last offsets (the ranks check the rest of it) */
  PetscCall(OpenDataset(grp, path, "indptr", &ds, &rank, dims));
  if (rank != 1 || dims[0] != (hsize_t)shape[0] + 1) H5Dclose(ds);
  PetscCheck(rank == 1 && dims[0] == (hsize_t)shape[0] + 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indptr has %llu entries; shape says %lld samples, so it needs %lld", path, (unsigned long long)dims[0], shape[0], shape[0] + 1);
  {
    herr_t e = ReadAt(ds, 0, 1, H5T_NATIVE_LLONG, &ip0);
    if (e >= 0) e = ReadAt(ds, n, 1, H5T_NATIVE_LLONG, &ipn);
    H5Dclose(ds);
    PetscCheck(e >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: cannot read dataset /X/indptr (not numeric, or the file is damaged)", path);
  }
  PetscCheck(ip0 == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indptr starts at %lld, not 0", path, ip0);
  PetscCheck(ipn >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indptr, record (row) %llu: the offsets decrease (to %lld)", path, (unsigned long long)n, ipn);
  nnz = (hsize_t)ipn;
  PetscCheck(nnz < (hsize_t)PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_SUP, "%s: %llu nonzeros: too many for PETSc's 32-bit indices", path, (unsigned long long)nnz);
  /* indices and data */
  PetscCall(OpenDataset(grp, path, "indices", &ds, &rank, dims));
  H5Dclose(ds);
  ndata = dims[0] * dims[1];
  PetscCheck(ndata >= nnz, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indices has %llu entries, but /X/indptr needs %llu", path, (unsigned long long)ndata, (unsigned long long)nnz);
  PetscCall(OpenDataset(grp, path, "data", &ds, &rank, dims));
  H5Dclose(ds);
  PetscCheck(dims[0] * dims[1] >= nnz && dims[0] * dims[1] == ndata, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/data has %llu entries, /X/indices %llu: they must have the same length", path, (unsigned long long)(dims[0] * dims[1]), (unsigned long long)ndata);
  PetscCheck(r->opts->max_samples || ndata == nnz, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/data has %llu entries, but /X/indptr ends at %llu", path, (unsigned long long)ndata, (unsigned long long)nnz);
  PetscFunctionReturn(0);
}

/* Rank 0: the file opens (serial driver), its layout is that of a data file and the sizes agree */
static PetscErrorCode HeaderInner(HGReader *r)
{
  H5Header   *h    = (H5Header *)r->raw; /* carried in the raw slot */
  const char *path = r->path;
  hid_t       obj, ds;
  H5I_type_t  type;
  int         rank;
  hsize_t     dims[2];

  PetscFunctionBegin;
  PetscCall(OpenFile(path, &r->h5));
  PetscCheck(H5Lexists(r->h5, "X", H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: no /X: a data file needs /X (dense samples x features, or a CSR group with data, indices, indptr and a shape attribute) and /y", path);
  obj  = H5Oopen(r->h5, "X", H5P_DEFAULT);
  type = H5Iget_type(obj);
  if (type == H5I_GROUP) {
    PetscErrorCode ierr = HeaderCSR(r, obj, h);
    H5Oclose(obj);
    PetscCall(ierr);
  } else {
    H5Oclose(obj);
    PetscCall(OpenDataset(r->h5, path, "X", &ds, &rank, dims));
    H5Dclose(ds);
    PetscCheck(rank == 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X is 1-D: a dense /X must be samples x features", path);
    PetscCheck(dims[1] < (hsize_t)PETSC_MAX_INT && dims[0] < (hsize_t)PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_SUP, "%s: /X is too large", path);
    h->sparse = 0, h->nall = (PetscInt64)dims[0], h->N = h->ncols = (PetscInt64)dims[1];
    h->M      = h->nall;
    if (r->opts->max_samples > 0) h->M = PetscMin(h->M, (PetscInt64)r->opts->max_samples);
  }
  /* labels */
  PetscCall(OpenDataset(r->h5, path, "y", &ds, &rank, dims));
  H5Dclose(ds);
  PetscCheck(!(rank == 2 && dims[1] != 1), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /y is %llu x %llu: labels must be one value per sample", path, (unsigned long long)dims[0], (unsigned long long)dims[1]);
  PetscCheck(dims[0] * dims[1] == (hsize_t)h->nall, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /y has %llu labels, but /X has %llu samples: the label count must equal the sample count", path, (unsigned long long)(dims[0] * dims[1]), (unsigned long long)h->nall);
  PetscFunctionReturn(0);
}

static PetscErrorCode HeaderRoot(HGReader *r)
{
  PetscFunctionBegin;
  PetscCall(HGDataQuietly(HeaderInner, r));
  PetscFunctionReturn(0);
}

/* The first error a rank meets while the ranks read together: recorded, not raised, so that
   the rank keeps taking part in the collective reads; HGDataAgree() raises it on every rank */
typedef struct {
  PetscErrorCode code;
  char           msg[1024];
} LocalError;

static void SetError(LocalError *e, PetscErrorCode code, const char *fmt, ...)
{
  va_list ap;
  if (e->code) return;
  e->code = code;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
  va_end(ap);
}

/* Bytes of the buffer each rank reads through (X in pieces of at most this size) */
#define HG_H5_BUFFER (32 * 1024 * 1024)
/* CSR pieces: 1 MiB of indices and values (87,381 nonzeros), so that a piece is still in L2 when it
   is checked and (several ranks) sorted into the two blocks.  On the 50 M-nonzero benchmark file
   the load took 0.70 s (1 rank) and 0.73 s (2 ranks) against 0.79 and 0.78 s with 32 MiB pieces
   (medians of 3 and 4 alternated runs); 4 MiB pieces were as slow as 32 at 1 rank. */
#define HG_H5_CSR_PIECE (1024 * 1024)

/* Collective read of count entries from start of a 1-D or 2-D (rows start.., all ncols) dataset;
   count = 0 takes part with an empty selection */
static herr_t ReadPart(hid_t dset, hid_t dxpl, int rank, hsize_t start, hsize_t count, hsize_t ncols, hid_t memtype, void *buf)
{
  hsize_t st[2] = {start, 0}, cnt[2] = {count, ncols};

  (void)rank;
  return HGH5ReadBlock(dset, dxpl, 2, st, cnt, memtype, buf);
}

/* Dense rows [lo, lo + m) into *a (column major, lda = m; PetscMalloc1, not zeroed: the
   reads fill every entry, and zeroing would touch every page once more) */
/* Map the pages of base[from, from + count) (elements of el bytes) before they are written: one
   madvise(MADV_POPULATE_WRITE, Linux 5.14) per piece and array instead of a page fault per 4 KiB
   page.  Only whole pages inside the range, so nothing outside it becomes resident; a hint (errors,
   older kernels and other systems: the pages fault in as before).  At 2 ranks on the 50 M-nonzero
   file the read pass took 0.22-0.28 s with it against 0.25-0.30 s without (4 paired runs). */
static void Populate(void *base, size_t el, size_t from, size_t count)
{
#if defined(MADV_POPULATE_WRITE)
  static size_t pg = 0;
  if (!pg) pg = (size_t)sysconf(_SC_PAGESIZE);
  uintptr_t a = (uintptr_t)base + from * el, b = a + count * el;
  a = (a + pg - 1) / pg * pg;
  b = b / pg * pg;
  if (b > a) (void)madvise((void *)a, b - a, MADV_POPULATE_WRITE);
#endif
}

/* A NaN or Inf among the n values of a piece (dense or CSR): x * 0 is NaN exactly for those; eight partial
   sums, so that the additions do not wait on each other */
static PetscBool PieceHasNonFinite(size_t n, const PetscScalar *restrict x)
{
  PetscReal z[8] = {0, 0, 0, 0, 0, 0, 0, 0}, t = 0;
  size_t    q    = 0;

  for (; q + 8 <= n; q += 8)
    for (int l = 0; l < 8; l++) z[l] += PetscRealPart(x[q + l]) * 0.0;
  for (; q < n; q++) t += PetscRealPart(x[q]) * 0.0;
  for (int l = 0; l < 8; l++) t += z[l];
  return t != 0 ? PETSC_TRUE : PETSC_FALSE; /* NaN != 0 */
}

static PetscErrorCode ReadDenseX(MPI_Comm comm, const char *path, hid_t file, hid_t dxpl, const H5Header *h, PetscInt lo, PetscInt m, PetscScalar **a_out, LocalError *err)
{
  hid_t        ds = H5Dopen2(file, "X", H5P_DEFAULT);
  PetscInt     N  = (PetscInt)h->N, lda = m, cr, mine, nchunks;
  PetscScalar *a, *buf;

  PetscFunctionBegin;
  if (ds < 0) SetError(err, PETSC_ERR_FILE_READ, "%s: cannot open /X", path);
  cr   = (PetscInt)PetscMax(1, HG_H5_BUFFER / (sizeof(PetscScalar) * (size_t)PetscMax(N, 1)));
  mine = (m + cr - 1) / cr;
  PetscCall(MPIU_Allreduce(&mine, &nchunks, 1, MPIU_INT, MPI_MAX, comm));
  PetscCall(PetscMalloc1((size_t)PetscMin(cr, PetscMax(m, 1)) * N, &buf));
  PetscCall(PetscMalloc1((size_t)PetscMax(m, 1) * N, &a));
  Populate(a, sizeof(PetscScalar), 0, (size_t)m * N); /* every entry is written below: 0.80-0.85 s against 0.89-1.00 s for a 1-rank load of the 800 MB benchmark file (3 paired runs) */
  for (PetscInt c = 0; c < nchunks; c++) {
    PetscInt  r0 = c * cr, nr = c < mine ? PetscMin(cr, m - r0) : 0;
    herr_t    e  = ds < 0 ? -1 : ReadPart(ds, dxpl, 2, (hsize_t)(lo + r0), (hsize_t)nr, (hsize_t)N, H5T_NATIVE_DOUBLE, buf);
    if (e < 0) SetError(err, PETSC_ERR_FILE_READ, "%s: cannot read dataset /X (not numeric, or the file is damaged)", path);
    if (err->code || !nr) continue;
    if (PieceHasNonFinite((size_t)nr * N, buf))
      for (size_t k = 0; k < (size_t)nr * N; k++)
        if (PetscIsInfOrNanScalar(buf[k])) {
          SetError(err, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset /X, record (row) %" PetscInt_FMT ", column %" PetscInt_FMT ": the value is NaN or Inf: remove or fix this sample", path, lo + r0 + (PetscInt)(k / N), (PetscInt)(k % N));
          break;
        }
    if (err->code) continue;
    /* row major piece -> column major local rows, in 32 x 32 tiles */
    for (PetscInt i0 = 0; i0 < nr; i0 += 32)
      for (PetscInt j0 = 0; j0 < N; j0 += 32)
        for (PetscInt j = j0; j < PetscMin(j0 + 32, N); j++)
          for (PetscInt i = i0; i < PetscMin(i0 + 32, nr); i++) a[r0 + i + (size_t)j * lda] = buf[(size_t)i * N + j];
  }
  PetscCall(PetscFree(buf));
  if (ds >= 0) H5Dclose(ds);
  *a_out = a;
  PetscFunctionReturn(0);
}

/* the arrays of a CSR X: Ai, Bi (PetscMalloc), Aj, Bj, Aa, Ba (malloc: see ReadCSRX) */
static PetscErrorCode FreeArrays(void *ctx)
{
  void **v = (void **)ctx;

  PetscFunctionBegin;
  PetscCall(PetscFree(v[0]));
  PetscCall(PetscFree(v[1]));
  for (int k = 2; k < 6; k++) free(v[k]);
  PetscCall(PetscFree(v));
  PetscFunctionReturn(0);
}

/* CSR rows [lo, lo + m): the indptr slice, then indices and data in pieces cut at row ends,
   checked and sorted straight into the diagonal and off-diagonal blocks of an MPIAIJ matrix
   (MatCreateMPIAIJWithSplitArrays: no copy; a container frees the arrays with X).
   With several ranks the sizes of the two blocks are known only after the rows are read, so
   each block's arrays are reserved for all of the rank's nnz entries (malloc, untouched: only
   the pages that the entries fill become resident, so the peak resident memory stays the
   share; one counting pass over the indices is saved, 0.08-0.11 s of a 0.92 s load of 50 M
   nonzeros at 2 ranks).  Where the reservation is refused (strict overcommit), a first pass
   over the indices counts each row's diagonal-block entries and the arrays are exact. */
/* Whether some row of a CSR piece (rows 0..nr-1, offsets ip[] into the file, columns j[] of the
   piece) has columns that are not strictly increasing from >= 0 to < N: out of range, repeated or
   unsorted (branch-free) */
static PetscBool PieceHasBadColumns(PetscInt nr, const long long *ip, const PetscInt *restrict j, PetscInt N)
{
  int s = 0;

  for (PetscInt i = 0; i < nr; i++) {
    const PetscInt *r = j + (ip[i] - ip[0]);
    PetscInt        n = (PetscInt)(ip[i + 1] - ip[i]);
    if (n) s |= (r[0] < 0) | (r[n - 1] >= N);
    for (PetscInt k = 1; k < n; k++) s |= (r[k] <= r[k - 1]);
  }
  return s ? PETSC_TRUE : PETSC_FALSE;
}

/* Sort the entries of a checked CSR piece (rows 0..nr-1) into the diagonal block (columns
   [clo, chi), numbered from clo) and the off-diagonal one; Ai[i], Bi[i] are where row i starts in
   each, and with lazy (blocks reserved, not counted) Ai[i + 1], Bi[i + 1] are set here */
static void SplitPiece(PetscInt nr, const long long *ip, const PetscInt *restrict j, const PetscScalar *restrict x, PetscInt clo, PetscInt chi, PetscInt *restrict Ai, PetscInt *restrict Aj, PetscScalar *restrict Aa, PetscInt *restrict Bi, PetscInt *restrict Bj, PetscScalar *restrict Ba, PetscBool lazy)
{
  for (PetscInt i = 0; i < nr; i++) {
    PetscInt na = Ai[i], nb = Bi[i];
    for (long long q = ip[i] - ip[0]; q < ip[i + 1] - ip[0]; q++) {
      PetscInt col = j[q];
      if (col >= clo && col < chi) Aj[na] = col - clo, Aa[na++] = x[q];
      else Bj[nb] = col, Ba[nb++] = x[q];
    }
    if (lazy) Ai[i + 1] = na, Bi[i + 1] = nb;
  }
}

static PetscErrorCode ReadCSRX(MPI_Comm comm, const char *path, hid_t file, hid_t dxpl, const H5Header *h, PetscInt lo, PetscInt m, PetscBool count, Mat *X, LocalError *err)
{
  hid_t        dp = H5Dopen2(file, "X/indptr", H5P_DEFAULT), di = H5Dopen2(file, "X/indices", H5P_DEFAULT), dd = H5Dopen2(file, "X/data", H5P_DEFAULT);
  hid_t        itype = sizeof(PetscInt) == 8 ? H5T_NATIVE_LLONG : H5T_NATIVE_INT;
  long long   *ip;
  PetscInt    *ib, *cstart, nchunk = 0, nchunks, N = (PetscInt)h->N, clo, chi, nc = PETSC_DECIDE, cap, *Ai, *Aj, *Bi, *Bj;
  PetscScalar *vb, *Aa, *Ba;
  PetscMPIInt  size;
  PetscBool    bad = PETSC_FALSE, check = PETSC_FALSE, lazy = PETSC_FALSE;
  PetscLogDouble t0, t1, t2, t3;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (dp < 0 || di < 0 || dd < 0) SetError(err, PETSC_ERR_FILE_READ, "%s: cannot open the CSR datasets of /X", path);
  PetscCall(PetscMalloc1(m + 1, &ip));
  if (ReadPart(dp, dxpl, 1, (hsize_t)lo, (hsize_t)(m + 1), 1, H5T_NATIVE_LLONG, ip) < 0) SetError(err, PETSC_ERR_FILE_READ, "%s: cannot read dataset /X/indptr (not numeric, or the file is damaged)", path);
  for (PetscInt i = 0; i < m && !err->code; i++)
    if (ip[i + 1] < ip[i]) SetError(err, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indptr, record (row) %" PetscInt_FMT ": the offsets decrease (%lld then %lld)", path, lo + i, ip[i], ip[i + 1]);
  /* an error in indptr makes the pieces meaningless: agree now */
  {
    PetscErrorCode ierr = HGDataAgree(comm, err->code, err->msg);
    if (ierr) {
      PetscCall(PetscFree(ip));
      if (dp >= 0) H5Dclose(dp);
      if (di >= 0) H5Dclose(di);
      if (dd >= 0) H5Dclose(dd);
      PetscCall(ierr);
    }
  }
  PetscCheck(ip[m] - ip[0] < PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_SUP, "%s: %lld nonzeros on one rank: too many for PETSc's 32-bit indices; use more ranks", path, ip[m] - ip[0]);
  /* pieces: row ranges holding at most cap nonzeros (or one longer row) */
  cap = (PetscInt)(HG_H5_CSR_PIECE / (sizeof(PetscInt) + sizeof(PetscScalar)));
  PetscCall(PetscMalloc1(m + 1, &cstart));
  cstart[0] = 0;
  for (PetscInt i = 0; i < m;) {
    PetscInt j = i + 1;
    while (j < m && ip[j + 1] - ip[i] <= cap) j++;
    cstart[++nchunk] = j;
    i                = j;
  }
  PetscCall(MPIU_Allreduce(&nchunk, &nchunks, 1, MPIU_INT, MPI_MAX, comm));
  {
    long long big = 0;
    for (PetscInt c = 0; c < nchunk; c++) big = PetscMax(big, ip[cstart[c + 1]] - ip[cstart[c]]);
    if (size == 1) big = 0; /* read in place */
    PetscCall(PetscMalloc2(PetscMax(big, 1), &ib, PetscMax(big, 1), &vb));
  }
  PetscCall(PetscSplitOwnership(comm, &nc, &N));
  PetscCallMPI(MPI_Scan(&nc, &chi, 1, MPIU_INT, MPI_SUM, comm));
  clo = chi - nc;
  /* row pointers of the two blocks: Ai counts the entries in [clo, chi), Bi the others */
  PetscCall(PetscCalloc1(m + 1, &Ai));
  PetscCall(PetscCalloc1(m + 1, &Bi));
  PetscCall(PetscTime(&t0));
  if (size > 1 && !count) { /* reserve nnz entries for each block */
    size_t nloc = (size_t)PetscMax(ip[m] - ip[0], 1);
    Aj = (PetscInt *)malloc(nloc * sizeof(PetscInt)), Bj = (PetscInt *)malloc(nloc * sizeof(PetscInt));
    Aa = (PetscScalar *)malloc(nloc * sizeof(PetscScalar)), Ba = (PetscScalar *)malloc(nloc * sizeof(PetscScalar));
    lazy = Aj && Bj && Aa && Ba ? PETSC_TRUE : PETSC_FALSE;
    if (!lazy) {
      free(Aj), free(Bj), free(Aa), free(Ba);
      Aj = Bj = NULL, Aa = Ba = NULL;
    }
  }
  for (PetscInt c = 0; c < (size > 1 && !lazy ? nchunks : 0); c++) {
    PetscInt r0 = c < nchunk ? cstart[c] : m, r1 = c < nchunk ? cstart[c + 1] : m;
    if (ReadPart(di, dxpl, 1, (hsize_t)ip[r0], (hsize_t)(ip[r1] - ip[r0]), 1, itype, ib) < 0) SetError(err, PETSC_ERR_FILE_READ, "%s: cannot read dataset /X/indices (not numeric, or the file is damaged)", path);
    if (err->code) continue;
    for (PetscInt i = r0; i < r1; i++)
      for (long long k = ip[i]; k < ip[i + 1]; k++) {
        PetscInt col = ib[k - ip[r0]];
        if (col >= clo && col < chi) Ai[i + 1]++;
      }
  }
  if (!lazy) {
    for (PetscInt i = 0; i < m; i++) {
      PetscInt len = (PetscInt)(ip[i + 1] - ip[i]), d = size > 1 ? Ai[i + 1] : len;
      Ai[i + 1] = Ai[i] + d;
      Bi[i + 1] = Bi[i] + len - d;
    }
    Aj = (PetscInt *)malloc((size_t)PetscMax(Ai[m], 1) * sizeof(PetscInt)), Bj = (PetscInt *)malloc((size_t)PetscMax(Bi[m], 1) * sizeof(PetscInt));
    Aa = (PetscScalar *)malloc((size_t)PetscMax(Ai[m], 1) * sizeof(PetscScalar)), Ba = (PetscScalar *)malloc((size_t)PetscMax(Bi[m], 1) * sizeof(PetscScalar));
    if (!Aj || !Bj || !Aa || !Ba) {
      free(Aj), free(Bj), free(Aa), free(Ba);
      PetscCall(PetscFree(Ai));
      PetscCall(PetscFree(Bi));
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_MEM, "%s: cannot allocate %.0f MiB for this rank's share of /X: use more ranks", path, (double)(ip[m] - ip[0]) * (sizeof(PetscInt) + sizeof(PetscScalar)) / 1048576.0);
    }
  }
  PetscCall(PetscTime(&t1));
  /* pass 2: check every row and sort its entries into the blocks (several ranks) */
  for (PetscInt c = 0; c < nchunks; c++) {
    PetscInt r0 = c < nchunk ? cstart[c] : m, r1 = c < nchunk ? cstart[c + 1] : m;
    hsize_t  off = (hsize_t)ip[r0], cnt = (hsize_t)(ip[r1] - ip[r0]);
    /* one rank: every entry belongs to the diagonal block at its own position, so the piece
       is read straight into Aj and Aa (no copy) and only checked there */
    PetscInt    *jb = size == 1 ? Aj + (ip[r0] - ip[0]) : ib;
    PetscScalar *xb = size == 1 ? Aa + (ip[r0] - ip[0]) : vb;
    if (size == 1) Populate(jb, sizeof(PetscInt), 0, (size_t)cnt), Populate(xb, sizeof(PetscScalar), 0, (size_t)cnt);
    if (ReadPart(di, dxpl, 1, off, cnt, 1, itype, jb) < 0) SetError(err, PETSC_ERR_FILE_READ, "%s: cannot read dataset /X/indices (not numeric, or the file is damaged)", path);
    if (ReadPart(dd, dxpl, 1, off, cnt, 1, H5T_NATIVE_DOUBLE, xb) < 0) SetError(err, PETSC_ERR_FILE_READ, "%s: cannot read dataset /X/data (not numeric, or the file is damaged)", path);
    check = PETSC_FALSE;
    if (!err->code) { /* only a piece with a problem has each entry tested, in row order, for the message */
      bad   = PieceHasNonFinite((size_t)cnt, xb);
      check = bad || PieceHasBadColumns(r1 - r0, ip + r0, jb, N) ? PETSC_TRUE : PETSC_FALSE;
    }
    if (!err->code && !check && size > 1) { /* at most cnt entries go to each block from here, and never past its end */
      size_t ca = (size_t)PetscMin((PetscInt)cnt, (lazy ? (PetscInt)(ip[m] - ip[0]) : Ai[m]) - Ai[r0]);
      size_t cb = (size_t)PetscMin((PetscInt)cnt, (lazy ? (PetscInt)(ip[m] - ip[0]) : Bi[m]) - Bi[r0]);
      Populate(Aj, sizeof(PetscInt), (size_t)Ai[r0], ca), Populate(Aa, sizeof(PetscScalar), (size_t)Ai[r0], ca);
      Populate(Bj, sizeof(PetscInt), (size_t)Bi[r0], cb), Populate(Ba, sizeof(PetscScalar), (size_t)Bi[r0], cb);
    }
    if (!err->code && !check && size > 1) SplitPiece(r1 - r0, ip + r0, jb, xb, clo, chi, Ai + r0, Aj, Aa, Bi + r0, Bj, Ba, lazy);
    /* a piece that failed a check holds a bad entry: find the first, in row order, for the message */
    for (PetscInt i = r0; i < r1 && check && !err->code; i++) {
      PetscInt row = lo + i;
      for (long long k = ip[i]; k < ip[i + 1] && !err->code; k++) {
        long long q = k - ip[r0];
        PetscInt  col = jb[q];
        if (col < 0 || col >= N) SetError(err, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indices, record (row) %" PetscInt_FMT ": column index %" PetscInt_FMT " is out of range 0..%" PetscInt_FMT " (0-based)", path, row, col, N - 1);
        else if (k > ip[i] && col == jb[q - 1]) SetError(err, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indices, record (row) %" PetscInt_FMT ": duplicate column index %" PetscInt_FMT, path, row, col);
        else if (k > ip[i] && col < jb[q - 1]) SetError(err, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indices, record (row) %" PetscInt_FMT ": column index %" PetscInt_FMT " follows %" PetscInt_FMT ": indices are unsorted (sort them, e.g. scipy's sort_indices())", path, row, col, jb[q - 1]);
        else if (bad && PetscIsInfOrNanScalar(xb[q])) SetError(err, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/data, record (row) %" PetscInt_FMT ", column %" PetscInt_FMT ": the value is NaN or Inf: remove or fix this sample", path, row, col);
      }
    }
    if (check && !err->code) SetError(err, PETSC_ERR_PLIB, "%s: rows %" PetscInt_FMT "..%" PetscInt_FMT " of /X failed a check but no bad entry was found (a bug: please report)", path, lo + r0, lo + r1 - 1);
  }
  PetscCall(PetscFree2(ib, vb));
  PetscCall(PetscFree(cstart));
  PetscCall(PetscFree(ip));
  H5Dclose(dp);
  H5Dclose(di);
  H5Dclose(dd);
  {
    PetscErrorCode ierr = HGDataAgree(comm, err->code, err->msg);
    if (ierr) {
      PetscCall(PetscFree(Ai));
      PetscCall(PetscFree(Bi));
      free(Aj), free(Aa), free(Bj), free(Ba);
      PetscCall(ierr);
    }
  }
  PetscCall(PetscTime(&t2));
  PetscCall(MatCreateMPIAIJWithSplitArrays(comm, m, nc, PETSC_DETERMINE, N, Ai, Aj, Aa, Bi, Bj, Ba, X));
  PetscCall(PetscTime(&t3));
  PetscCall(PetscInfo(NULL, "%s: CSR rows %" PetscInt_FMT "..%" PetscInt_FMT ": %" PetscInt_FMT " + %" PetscInt_FMT " entries in the diagonal and off-diagonal blocks; %s %.3f s, read pass %.3f s, MatCreateMPIAIJWithSplitArrays %.3f s\n", path, lo, lo + m, Ai[m], Bi[m], lazy ? "blocks reserved (no counting pass)" : "counting pass", t1 - t0, t2 - t1, t3 - t2));
  {
    PetscContainer cont;
    void         **v;
    PetscCall(PetscMalloc1(6, &v));
    v[0] = Ai, v[1] = Bi, v[2] = Aj, v[3] = Bj, v[4] = Aa, v[5] = Ba;
    PetscCall(PetscContainerCreate(comm, &cont));
    PetscCall(PetscContainerSetPointer(cont, v));
    PetscCall(PetscContainerSetUserDestroy(cont, FreeArrays));
    PetscCall(PetscObjectCompose((PetscObject)*X, "HGData_csr", (PetscObject)cont));
    PetscCall(PetscContainerDestroy(&cont));
  }
  PetscFunctionReturn(0);
}

/*
  HGH5OpenParallel - opens an HDF5 file read-only on every rank of comm, for reads of each
  rank's part; every rank gets the file or the same error (a rank that cannot see the file, a
  file that is not HDF5 there, no MPI-IO driver).  By default every rank opens the file on its
  own with HDF5's POSIX driver and reads its part with pread, so that a failed read is an HDF5
  error on that rank (agreed by the caller); with mpiio it is opened collectively with the
  MPI-IO driver.  POSIX is the default because Open MPI 4.1's OMPIO reports a failed read (EIO)
  as success: the rows came back as garbage on 2 ranks and the read hung on 3
  (t602-mpiio-fault_read); the reads must then use a dxpl without MPI-IO properties, or the
  MPI-IO dxpl only when mpiio is true.
*/
PetscErrorCode HGH5OpenParallel(MPI_Comm comm, const char path[], PetscBool mpiio, hid_t *file_out)
{
  PetscMPIInt    rank, size;
  LocalError     err;
  hid_t          fapl, file = H5I_INVALID_HID;
  H5E_auto2_t    func;
  void          *fdata;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  *file_out = H5I_INVALID_HID;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscMemzero(&err, sizeof(err)));
  /* every rank must see the file (a path that is not on a shared file system fails here) */
  if (rank > 0) {
    FILE *fp = fopen(path, "rb");
    if (!fp) SetError(&err, PETSC_ERR_FILE_OPEN, "%s: cannot open the HDF5 file on rank %d of %d (%s), although rank 0 can: every rank reads its own part, so the file must be on a file system that all ranks see", path, rank, size, strerror(errno));
    else fclose(fp);
  }
  H5Eget_auto2(H5E_DEFAULT, &func, &fdata);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (!err.code && rank > 0 && H5Fis_hdf5(path) <= 0) SetError(&err, PETSC_ERR_FILE_UNEXPECTED, "%s: on rank %d of %d the file is not an HDF5 file, while rank 0 reads one: every rank must see the same file (a shared file system)", path, rank, size);
  ierr = HGDataAgree(comm, err.code, err.msg);
  if (ierr) H5Eset_auto2(H5E_DEFAULT, func, fdata);
  PetscCall(ierr);
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0 || (mpiio ? H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) : H5Pset_fapl_sec2(fapl)) < 0) SetError(&err, PETSC_ERR_LIB, mpiio ? "%s: HDF5 has no MPI-IO driver (link against the parallel HDF5 library, libhdf5-openmpi, or remove -data_hdf5_mpiio)" : "%s: HDF5's POSIX driver is not available", path);
  else {
    file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (file < 0 && mpiio) SetError(&err, PETSC_ERR_FILE_OPEN, "%s: HDF5's MPI-IO driver cannot open the file on rank %d of %d (MPI-IO failure: check that the file system supports MPI-IO, e.g. ROMIO/OMPIO settings, and that all ranks see the same file; or remove -data_hdf5_mpiio)", path, rank, size);
    else if (file < 0) SetError(&err, PETSC_ERR_FILE_OPEN, "%s: HDF5 cannot open the file on rank %d of %d (damaged, or not the file rank 0 reads: every rank must see the same file)", path, rank, size);
  }
  if (fapl >= 0) H5Pclose(fapl);
  ierr = HGDataAgree(comm, err.code, err.msg);
  if (ierr) {
    if (file >= 0) H5Fclose(file);
    H5Eset_auto2(H5E_DEFAULT, func, fdata);
    PetscCall(ierr);
  }
  H5Eset_auto2(H5E_DEFAULT, func, fdata);
  *file_out = file;
  PetscFunctionReturn(0);
}

/*
  HGH5ReadBlock - collective read of the block start[0..nd) + [0, count[0..nd)) of an nd-D
  dataset into buf (row major); an empty block (a count of 0) takes part with an empty selection
*/
herr_t HGH5ReadBlock(hid_t dset, hid_t dxpl, int nd, const hsize_t start[], const hsize_t count[], hid_t memtype, void *buf)
{
  hid_t   fspace = H5Dget_space(dset), mspace;
  hsize_t mdim = 1, one = 1;
  herr_t  err;

  for (int k = 0; k < nd; k++) mdim *= count[k];
  if (mdim > 0) {
    err    = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
    mspace = H5Screate_simple(1, &mdim, NULL);
  } else {
    err    = H5Sselect_none(fspace);
    mspace = H5Screate_simple(1, &one, NULL);
    H5Sselect_none(mspace);
  }
  if (err >= 0) err = H5Dread(dset, memtype, mspace, fspace, dxpl, buf);
  H5Sclose(mspace);
  H5Sclose(fspace);
  return err;
}

/*
  Every rank reads its own rows [lo, lo + m) of the file (layout PETSC_DECIDE), X and y, with
  hyperslab reads (its own POSIX reads, or HDF5's MPI-IO driver with -data_hdf5_mpiio), X in
  pieces of at most HG_H5_BUFFER bytes (dense) or HG_H5_CSR_PIECE bytes (CSR).  Rank 0 checks the layout first (serial driver) and
  every rank checks that it can open the file, so that a file some ranks cannot see is a clear
  error on every rank, not a hang in a collective call; errors met while reading are agreed
  after each phase (HGDataAgree()).
*/
PetscErrorCode HGDataLoad_HDF5(MPI_Comm comm, HGReader *r, HGData *data)
{
  H5Header     h;
  PetscMPIInt  rank, size;
  LocalError   err;
  PetscInt     M, lo, m = PETSC_DECIDE;
  hid_t        file = H5I_INVALID_HID, dxpl = H5I_INVALID_HID;
  PetscBool    usempi;
  H5E_auto2_t  func;
  void        *fdata;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscMemzero(&h, sizeof(h)));
  PetscCall(PetscMemzero(&err, sizeof(err)));
  r->raw = (HGRaw *)&h;
  PetscCall(HGDataRunOnRoot(comm, HeaderRoot, r));
  r->raw = NULL;
  PetscCallMPI(MPI_Bcast(&h, 5, MPIU_INT64, 0, comm));
  PetscCheck(h.M > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: the file contains no samples (is it empty?)", r->path);
  PetscCheck(h.N > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: the samples have no features (a LIBSVM file with no index:value pairs needs -data_nfeatures)", r->path);
  usempi = (r->opts && r->opts->hdf5_mpiio) ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(HGH5OpenParallel(comm, r->path, usempi, &file));
  H5Eget_auto2(H5E_DEFAULT, &func, &fdata);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  /* the file each rank opened is the one rank 0 checked: /X of the same kind, /y of the same length */
  {
    hid_t      obj = H5Oopen(file, "X", H5P_DEFAULT), ds = H5Dopen2(file, "y", H5P_DEFAULT);
    H5I_type_t type = obj >= 0 ? H5Iget_type(obj) : H5I_BADID;
    hsize_t    dims[2] = {0, 1};
    if (ds >= 0) {
      hid_t sp = H5Dget_space(ds);
      int   nd = H5Sget_simple_extent_ndims(sp);
      if (nd >= 1 && nd <= 2) H5Sget_simple_extent_dims(sp, dims, NULL);
      if (nd == 1) dims[1] = 1;
      H5Sclose(sp);
      H5Dclose(ds);
    }
    if (obj >= 0) H5Oclose(obj);
    if ((type == H5I_GROUP) != (h.sparse != 0) || (type != H5I_GROUP && type != H5I_DATASET) || dims[0] * dims[1] != (hsize_t)h.nall) SetError(&err, PETSC_ERR_FILE_UNEXPECTED, "%s: on rank %d of %d the file differs from the one rank 0 reads (/X or /y have another layout or size): every rank must see the same file (a shared file system)", r->path, rank, size);
  }
  ierr = HGDataAgree(comm, err.code, err.msg);
  if (ierr) {
    H5Fclose(file);
    H5Eset_auto2(H5E_DEFAULT, func, fdata);
    PetscCall(ierr);
  }
  dxpl = H5Pcreate(H5P_DATASET_XFER);
  /* MPI-IO: independent reads: each rank's rows are one contiguous range of the file, which
     two-phase collective I/O would only pass through its aggregators (measured: collective
     reads were up to 1.2x slower here, never faster) */
  if (usempi) H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_INDEPENDENT);
  M = (PetscInt)h.M;
  PetscCall(PetscSplitOwnership(comm, &m, &M));
  PetscCallMPI(MPI_Scan(&m, &lo, 1, MPIU_INT, MPI_SUM, comm));
  lo -= m;
  data->nsamples = M, data->nfeatures = (PetscInt)h.N;
  /* labels */
  {
    hid_t        ds = H5Dopen2(file, "y", H5P_DEFAULT);
    PetscScalar *ly;
    PetscCall(VecCreateMPI(comm, m, M, &data->y));
    PetscCall(VecGetArrayWrite(data->y, &ly));
    if (ds < 0 || ReadPart(ds, dxpl, 1, (hsize_t)lo, (hsize_t)m, 1, H5T_NATIVE_DOUBLE, ly) < 0) SetError(&err, PETSC_ERR_FILE_READ, "%s: cannot read dataset /y (not numeric, or the file is damaged)", r->path);
    for (PetscInt i = 0; i < m && !err.code; i++)
      if (PetscIsInfOrNanScalar(ly[i])) SetError(&err, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset /y, entry %" PetscInt_FMT ": the value is NaN or Inf: remove or fix it", r->path, lo + i);
    PetscCall(VecRestoreArrayWrite(data->y, &ly));
    if (ds >= 0) H5Dclose(ds);
  }
  /* X */
  if (h.sparse) ierr = ReadCSRX(comm, r->path, file, dxpl, &h, lo, m, (r->opts && r->opts->hdf5_csr_count) ? PETSC_TRUE : PETSC_FALSE, &data->X, &err);
  else {
    PetscScalar *a = NULL;
    ierr = ReadDenseX(comm, r->path, file, dxpl, &h, lo, m, &a, &err);
    /* the rows become the matrix's array (no copy); a container frees it with X */
    if (!ierr) ierr = MatCreateDense(comm, m, PETSC_DECIDE, M, (PetscInt)h.N, a, &data->X);
    if (!ierr) {
      PetscContainer c;
      ierr = PetscContainerCreate(comm, &c);
      if (!ierr) ierr = PetscContainerSetPointer(c, a);
      if (!ierr) ierr = PetscContainerSetUserDestroy(c, PetscContainerUserDestroyDefault);
      if (!ierr) ierr = PetscObjectCompose((PetscObject)data->X, "HGData_rows", (PetscObject)c);
      if (!ierr) ierr = PetscContainerDestroy(&c);
    } else PetscFree(a);
  }
  H5Pclose(dxpl);
  H5Fclose(file);
  H5Eset_auto2(H5E_DEFAULT, func, fdata);
  if (!ierr) ierr = HGDataAgree(comm, err.code, err.msg);
  if (ierr) {
    PetscCall(HGDataDestroy(data));
    PetscCall(ierr);
  }
  if (!h.sparse) { /* (the CSR matrix is assembled by MatCreateMPIAIJWithSplitArrays) */
    PetscCall(MatAssemblyBegin(data->X, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(data->X, MAT_FINAL_ASSEMBLY));
  }
  PetscFunctionReturn(0);
}

/* fn(r) with HDF5's own error printing off: errors are reported by the checks, with the file
   name; the printing is restored whatever fn returns */
PetscErrorCode HGDataQuietly(PetscErrorCode (*fn)(HGReader *), HGReader *r)
{
  H5E_auto2_t    func;
  void          *data;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  H5Eget_auto2(H5E_DEFAULT, &func, &data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  ierr = (*fn)(r);
  H5Eset_auto2(H5E_DEFAULT, func, data);
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------ */
/* Vectors                                                                    */

typedef struct {
  const char  *name;
  PetscInt     N;
  PetscScalar *v;
} VecRead;

static PetscErrorCode VecReadInner(HGReader *r)
{
  VecRead *vr = (VecRead *)r->raw; /* carried in the raw slot */
  hid_t    ds;
  int      rank;
  hsize_t  dims[2];

  PetscFunctionBegin;
  PetscCall(OpenFile(r->path, &r->h5));
  PetscCall(OpenDataset(r->h5, r->path, vr->name, &ds, &rank, dims));
  if (dims[0] * dims[1] != (hsize_t)vr->N || (rank == 2 && dims[0] != 1 && dims[1] != 1)) H5Dclose(ds);
  PetscCheck(!(rank == 2 && dims[0] != 1 && dims[1] != 1), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset %s is %llu x %llu; expected a vector of %" PetscInt_FMT " values", r->path, vr->name, (unsigned long long)dims[0], (unsigned long long)dims[1], vr->N);
  PetscCheck(dims[0] * dims[1] == (hsize_t)vr->N, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset %s has %llu values, but the vector has %" PetscInt_FMT ": wrong size (a file written for another problem or data set?)", r->path, vr->name, (unsigned long long)(dims[0] * dims[1]), vr->N);
  PetscCall(PetscMalloc1(vr->N, &vr->v));
  PetscCall(ReadRows(ds, r->path, vr->name, 1, (hsize_t)vr->N, 1, H5T_NATIVE_DOUBLE, vr->v));
  PetscCall(CheckFinite(r->path, vr->name, vr->v, (size_t)vr->N, 1, PETSC_FALSE));
  PetscFunctionReturn(0);
}

static PetscErrorCode VecReadRoot(HGReader *r)
{
  PetscFunctionBegin;
  PetscCall(HGDataQuietly(VecReadInner, r));
  PetscFunctionReturn(0);
}

/*@C
  HGVecLoadHDF5 - reads a vector from a dataset of an HDF5 file into v (whose size it must have)

  Collective

  Input Parameters:
+ v    - the vector (its layout is kept)
. path - the HDF5 file
- name - the dataset, e.g. "/lambda" (1-D, or 2-D with one dimension 1)

  Notes:
  Rank 0 reads and scatters.  A missing file or dataset, a size other than that of v and
  NaN or Inf values are errors that name the file and the dataset.

  Level: intermediate

.seealso: HGVecsWriteHDF5()
@*/
PetscErrorCode HGVecLoadHDF5(Vec v, const char path[], const char name[])
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)v);
  HGReader     r;
  VecRead      vr;
  PetscMPIInt  rank, size, *counts = NULL, *displs = NULL;
  PetscInt     n;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscMemzero(&r, sizeof(r)));
  PetscCall(PetscMemzero(&vr, sizeof(vr)));
  vr.name = name;
  PetscCall(VecGetSize(v, &vr.N));
  r.path = path;
  r.raw  = (HGRaw *)&vr;
  {
    PetscErrorCode ierr = HGDataRunOnRoot(comm, VecReadRoot, &r);
    if (ierr) PetscCall(PetscFree(vr.v));
    PetscCall(ierr);
  }
  PetscCall(VecGetLocalSize(v, &n));
  if (rank == 0) {
    const PetscInt *ranges;
    PetscCall(VecGetOwnershipRanges(v, &ranges));
    PetscCall(PetscMalloc2(size, &counts, size, &displs));
    for (PetscMPIInt p = 0; p < size; p++) counts[p] = (PetscMPIInt)(ranges[p + 1] - ranges[p]), displs[p] = (PetscMPIInt)ranges[p];
  }
  PetscCall(VecGetArrayWrite(v, &a));
  PetscCallMPI(MPI_Scatterv(vr.v, counts, displs, MPIU_SCALAR, a, (PetscMPIInt)n, MPIU_SCALAR, 0, comm));
  PetscCall(VecRestoreArrayWrite(v, &a));
  if (rank == 0) PetscCall(PetscFree2(counts, displs));
  PetscCall(PetscFree(vr.v));
  PetscFunctionReturn(0);
}

/*@C
  HGVecsWriteHDF5 - writes vectors as datasets of a new HDF5 file (PetscViewerHDF5, collective)

  Collective

  Input Parameters:
+ path  - the file; written as path.tmp and renamed at the end, so that an existing file is
          replaced only by a complete one
. n     - number of vectors
. vecs  - the vectors (all on the same communicator)
- names - their dataset names (e.g. "hypergradient", "w")

  Level: intermediate

.seealso: HGVecLoadHDF5()
@*/
PetscErrorCode HGVecsWriteHDF5(const char path[], PetscInt n, Vec vecs[], const char *const names[])
{
  MPI_Comm    comm;
  PetscViewer viewer;
  char        tmp[PETSC_MAX_PATH_LEN], msg[512] = "";
  PetscMPIInt rank;
  int         failed = 0;

  PetscFunctionBegin;
  PetscCheck(n > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "HGVecsWriteHDF5: no vectors to write");
  comm = PetscObjectComm((PetscObject)vecs[0]);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp", path));
  PetscCall(PetscViewerHDF5Open(comm, tmp, FILE_MODE_WRITE, &viewer));
  for (PetscInt k = 0; k < n; k++) {
    const char *old;
    char        save[256] = "";
    PetscCall(PetscObjectGetName((PetscObject)vecs[k], &old));
    if (old) PetscCall(PetscStrncpy(save, old, sizeof(save)));
    PetscCall(PetscObjectSetName((PetscObject)vecs[k], names[k]));
    PetscCall(VecView(vecs[k], viewer));
    PetscCall(PetscObjectSetName((PetscObject)vecs[k], save[0] ? save : NULL));
  }
  PetscCall(PetscViewerDestroy(&viewer));
  if (rank == 0 && rename(tmp, path)) {
    failed = 1;
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot rename %s to it: %s", path, tmp, strerror(errno)));
  }
  PetscCallMPI(MPI_Bcast(&failed, 1, MPI_INT, 0, comm));
  if (failed) {
    PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
    SETERRQ(comm, PETSC_ERR_FILE_WRITE, "%s", msg);
  }
  PetscFunctionReturn(0);
}
