/*
   HDF5 data files (rank 0, HDF5 C API) and HDF5 vectors.

   A data file holds /y (n labels) and /X, either a dense n x p dataset (row i = sample i)
   or a group in the scipy CSR layout: /X/data (values), /X/indices (0-based column of each
   value, increasing within a row), /X/indptr (n + 1 offsets) and an attribute "shape" =
   (n, p) on the group.  Any numeric HDF5 type is converted to double / 64-bit integers.
*/
#include "dataimpl.h"
#include <errno.h>
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
  PetscCheck(is > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: not an HDF5 file (no HDF5 signature): check the file or choose its format with -data_format", path);
  *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(*file >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: HDF5 cannot open the file (damaged or truncated?)", path);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadCSR(HGReader *r, hid_t grp, hsize_t *nrows)
{
  HGRaw      *raw  = r->raw;
  const char *path = r->path;
  hid_t       ds, attr, aspace;
  int         rank, arank;
  hsize_t     dims[2], adim[2] = {0, 0}, n, nnz, ndata;
  long long   shape[2] = {0, 0}, *ip, *ix;

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
  *nrows = n;
  raw->sparse = PETSC_TRUE;
  raw->N      = (PetscInt)shape[1];
  if (r->opts->nfeatures) {
    PetscCheck(r->opts->nfeatures >= raw->N, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X has %" PetscInt_FMT " features, more than -data_nfeatures %" PetscInt_FMT, path, raw->N, r->opts->nfeatures);
    raw->N = r->opts->nfeatures;
  }
  /* indptr */
  PetscCall(OpenDataset(grp, path, "indptr", &ds, &rank, dims));
  if (rank != 1 || dims[0] != (hsize_t)shape[0] + 1) H5Dclose(ds);
  PetscCheck(rank == 1 && dims[0] == (hsize_t)shape[0] + 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indptr has %llu entries; shape says %lld samples, so it needs %lld", path, (unsigned long long)dims[0], shape[0], shape[0] + 1);
  PetscCall(PetscMalloc1(n + 1, &ip));
  PetscCall(ReadRows(ds, path, "/X/indptr", 1, n + 1, 1, H5T_NATIVE_LLONG, ip));
  PetscCheck(ip[0] == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indptr starts at %lld, not 0", path, ip[0]);
  for (hsize_t i = 0; i < n; i++) PetscCheck(ip[i + 1] >= ip[i], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indptr, record (row) %llu: the offsets decrease (%lld then %lld)", path, (unsigned long long)i, ip[i], ip[i + 1]);
  nnz = (hsize_t)ip[n];
  PetscCheck(nnz < (hsize_t)PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_SUP, "%s: %llu nonzeros: too many for PETSc's 32-bit indices", path, (unsigned long long)nnz);
  /* indices and data */
  PetscCall(OpenDataset(grp, path, "indices", &ds, &rank, dims));
  ndata = dims[0] * dims[1];
  if (ndata < nnz) H5Dclose(ds);
  PetscCheck(ndata >= nnz, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indices has %llu entries, but /X/indptr needs %llu", path, (unsigned long long)ndata, (unsigned long long)nnz);
  PetscCall(PetscMalloc1(nnz, &ix));
  PetscCall(ReadRows(ds, path, "/X/indices", 1, nnz, 1, H5T_NATIVE_LLONG, ix));
  PetscCall(OpenDataset(grp, path, "data", &ds, &rank, dims));
  if (dims[0] * dims[1] < nnz || dims[0] * dims[1] != ndata) H5Dclose(ds);
  PetscCheck(dims[0] * dims[1] >= nnz && dims[0] * dims[1] == ndata, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/data has %llu entries, /X/indices %llu: they must have the same length", path, (unsigned long long)(dims[0] * dims[1]), (unsigned long long)ndata);
  PetscCall(HGRawReserve(raw, (size_t)n + 1, (size_t)nnz));
  PetscCall(ReadRows(ds, path, "/X/data", 1, nnz, 1, H5T_NATIVE_DOUBLE, raw->vals));
  PetscCheck(r->opts->max_samples || ndata == nnz, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/data has %llu entries, but /X/indptr ends at %llu", path, (unsigned long long)ndata, (unsigned long long)nnz);
  for (hsize_t i = 0; i < n; i++) {
    raw->rowptr[i] = (PetscInt)ip[i];
    for (long long k = ip[i]; k < ip[i + 1]; k++) {
      PetscCheck(ix[k] >= 0 && ix[k] < raw->N, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indices, record (row) %llu: column index %lld is out of range 0..%" PetscInt_FMT " (0-based)", path, (unsigned long long)i, ix[k], raw->N - 1);
      PetscCheck(k == ip[i] || ix[k] != ix[k - 1], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indices, record (row) %llu: duplicate column index %lld", path, (unsigned long long)i, ix[k]);
      PetscCheck(k == ip[i] || ix[k] > ix[k - 1], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/indices, record (row) %llu: column index %lld follows %lld: indices are unsorted (sort them, e.g. scipy's sort_indices())", path, (unsigned long long)i, ix[k], ix[k - 1]);
      PetscCheck(!PetscIsInfOrNanScalar(raw->vals[k]), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X/data, record (row) %llu, column %lld: the value is NaN or Inf: remove or fix this sample", path, (unsigned long long)i, ix[k]);
      raw->cols[k] = (PetscInt)ix[k];
    }
  }
  raw->rowptr[n] = (PetscInt)nnz;
  PetscCall(PetscFree(ip));
  PetscCall(PetscFree(ix));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadInner(HGReader *r)
{
  HGRaw      *raw  = r->raw;
  const char *path = r->path;
  hid_t       obj, ds;
  H5I_type_t  type;
  int         rank;
  hsize_t     dims[2], n = 0;

  PetscFunctionBegin;
  PetscCall(OpenFile(path, &r->h5));
  PetscCheck(H5Lexists(r->h5, "X", H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: no /X: a data file needs /X (dense samples x features, or a CSR group with data, indices, indptr and a shape attribute) and /y", path);
  obj  = H5Oopen(r->h5, "X", H5P_DEFAULT);
  type = H5Iget_type(obj);
  if (type == H5I_GROUP) {
    PetscErrorCode ierr = ReadCSR(r, obj, &n);
    H5Oclose(obj);
    PetscCall(ierr);
  } else {
    H5Oclose(obj);
    PetscCall(OpenDataset(r->h5, path, "X", &ds, &rank, dims));
    if (rank != 2) H5Dclose(ds);
    PetscCheck(rank == 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /X is 1-D: a dense /X must be samples x features", path);
    PetscCheck(dims[1] < (hsize_t)PETSC_MAX_INT && dims[0] < (hsize_t)PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_SUP, "%s: /X is too large", path);
    n = dims[0];
    if (r->opts->max_samples > 0) n = PetscMin(n, (hsize_t)r->opts->max_samples);
    raw->sparse = PETSC_FALSE;
    raw->N      = (PetscInt)dims[1];
    PetscCall(HGRawReserve(raw, (size_t)n, (size_t)(n * dims[1])));
    PetscCall(ReadRows(ds, path, "/X", 2, n, dims[1], H5T_NATIVE_DOUBLE, raw->vals));
    PetscCall(CheckFinite(path, "/X", raw->vals, (size_t)(n * dims[1]), (size_t)dims[1], PETSC_TRUE));
  }
  /* labels */
  PetscCall(OpenDataset(r->h5, path, "y", &ds, &rank, dims));
  {
    hsize_t ny = dims[0] * dims[1];
    hsize_t nx = type == H5I_GROUP ? n : n; /* samples read */
    hsize_t nall;
    if (type == H5I_GROUP) {
      hid_t     g = H5Gopen2(r->h5, "X", H5P_DEFAULT), a = H5Aopen(g, "shape", H5P_DEFAULT);
      long long shape[2];
      H5Aread(a, H5T_NATIVE_LLONG, shape);
      H5Aclose(a);
      H5Gclose(g);
      nall = (hsize_t)shape[0];
    } else {
      hid_t   d = H5Dopen2(r->h5, "X", H5P_DEFAULT), s = H5Dget_space(d);
      hsize_t xd[2];
      H5Sget_simple_extent_dims(s, xd, NULL);
      H5Sclose(s);
      H5Dclose(d);
      nall = xd[0];
    }
    if ((rank == 2 && dims[1] != 1) || ny != nall) H5Dclose(ds);
    PetscCheck(!(rank == 2 && dims[1] != 1), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /y is %llu x %llu: labels must be one value per sample", path, (unsigned long long)dims[0], (unsigned long long)dims[1]);
    PetscCheck(ny == nall, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /y has %llu labels, but /X has %llu samples: the label count must equal the sample count", path, (unsigned long long)ny, (unsigned long long)nall);
    PetscCall(ReadRows(ds, path, "/y", 1, nx, 1, H5T_NATIVE_DOUBLE, raw->y));
    PetscCall(CheckFinite(path, "/y", raw->y, (size_t)nx, 1, PETSC_FALSE));
  }
  raw->M = (PetscInt)n;
  PetscFunctionReturn(0);
}

/* fn(r) with HDF5's own error printing off: errors are reported by the checks, with the file
   name; the printing is restored whatever fn returns */
static PetscErrorCode Quietly(PetscErrorCode (*fn)(HGReader *), HGReader *r)
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

PetscErrorCode HGDataRead_HDF5(HGReader *r)
{
  PetscFunctionBegin;
  PetscCall(Quietly(ReadInner, r));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                    */

static PetscErrorCode WriteDataset(hid_t loc, const char *path, const char *name, int rank, const hsize_t *dims, hid_t filetype, hid_t memtype, const void *buf)
{
  hid_t  space = H5Screate_simple(rank, dims, NULL), ds;
  herr_t err   = -1;

  PetscFunctionBegin;
  ds = H5Dcreate2(loc, name, filetype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (ds >= 0) {
    err = H5Dwrite(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dclose(ds);
  }
  H5Sclose(space);
  PetscCheck(ds >= 0 && err >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot write dataset %s (disk full?)", path, name);
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteInner(HGReader *r)
{
  HGRaw      *raw = r->raw;
  const char *tmp = r->labels; /* the temporary file name */
  hsize_t     dims[2];

  PetscFunctionBegin;
  r->h5 = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(r->h5 >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot create the file (directory missing or not writable?)", tmp);
  if (raw->sparse) {
    hid_t     g = H5Gcreate2(r->h5, "X", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), as, a;
    long long shape[2] = {raw->M, raw->N}, *ip;
    hsize_t   two      = 2;
    PetscErrorCode ierr;
    PetscCheck(g >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot create the group /X", tmp);
    as = H5Screate_simple(1, &two, NULL);
    a  = H5Acreate2(g, "shape", H5T_STD_I64LE, as, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_LLONG, shape);
    H5Aclose(a);
    H5Sclose(as);
    dims[0] = (hsize_t)raw->rowptr[raw->M];
    ierr    = WriteDataset(g, tmp, "data", 1, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, raw->vals);
    if (!ierr) ierr = WriteDataset(g, tmp, "indices", 1, dims, H5T_STD_I32LE, H5T_NATIVE_INT, raw->cols);
    if (!ierr) {
      dims[0] = (hsize_t)raw->M + 1;
      ierr    = PetscMalloc1(raw->M + 1, &ip);
      if (!ierr) {
        for (PetscInt i = 0; i <= raw->M; i++) ip[i] = raw->rowptr[i];
        ierr = WriteDataset(g, tmp, "indptr", 1, dims, H5T_STD_I64LE, H5T_NATIVE_LLONG, ip);
        PetscFree(ip);
      }
    }
    H5Gclose(g);
    PetscCall(ierr);
  } else {
    dims[0] = (hsize_t)raw->M;
    dims[1] = (hsize_t)raw->N;
    PetscCall(WriteDataset(r->h5, tmp, "X", 2, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, raw->vals));
  }
  dims[0] = (hsize_t)raw->M;
  PetscCall(WriteDataset(r->h5, tmp, "y", 1, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, raw->y));
  PetscCheck(H5Fclose(r->h5) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: closing the file failed (disk full?)", tmp);
  r->h5 = H5I_INVALID_HID;
  PetscCheck(!rename(tmp, r->path), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot rename %s to it: %s", r->path, tmp, strerror(errno));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteRoot(HGReader *r)
{
  PetscErrorCode ierr;

  PetscFunctionBegin;
  ierr = Quietly(WriteInner, r);
  if (ierr) remove(r->labels);
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/*@C
  HGDataWriteHDF5 - writes a data set as an HDF5 file that `HGDataLoad()` reads back
  (dense /X, or the CSR group /X with data, indices, indptr and attribute shape; /y)

  Collective

  Input Parameters:
+ data - the data set
- path - the file

  Notes:
  Rank 0 gathers and writes; the file is written to path.tmp and renamed to path at the end.

  Level: intermediate

.seealso: HGDataLoad()
@*/
PetscErrorCode HGDataWriteHDF5(HGData *d, const char path[])
{
  HGRaw    raw;
  HGReader r;
  char     tmp[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCheck(d && d->X && d->y, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "HGDataWriteHDF5: the data set is empty");
  PetscCall(HGDataGatherRoot(d, &raw));
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp", path));
  PetscCall(PetscMemzero(&r, sizeof(r)));
  r.path   = path;
  r.labels = tmp;
  r.raw    = &raw;
  {
    PetscErrorCode ierr = HGDataRunOnRoot(PetscObjectComm((PetscObject)d->X), WriteRoot, &r);
    PetscCall(HGRawFree(&raw));
    PetscCall(ierr);
  }
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
  PetscCall(Quietly(VecReadInner, r));
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
