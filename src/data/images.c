/*
   Image stacks in HDF5 for the denoising problem: datasets /clean and (optionally) /noisy of
   shape (N, H, W), any numeric type (read as double), values in [0, 1].  Rank 0 reads the
   images [first, first + count) and scatters them to the pixel blocks of a 2-D DMDA with one
   degree of freedom per image (DMDA natural ordering (row, column, image)).
*/
#include "dataimpl.h"
#include <petscdmda.h>

typedef struct {
  const char  *name;     /* dataset to read */
  PetscInt     first, count;
  PetscInt     N, H, W;  /* info: from /clean; read: expected */
  PetscBool    hasnoisy;
  PetscBool    check01;
  PetscScalar *buf;      /* read: count * H * W, image major */
} ImgRead;

/* Open dataset name of rank 3; dims of it */
static PetscErrorCode OpenStack(hid_t file, const char *path, const char *name, hid_t *dset, hsize_t dims[3])
{
  hid_t space;
  int   rank;

  PetscFunctionBegin;
  PetscCheck(H5Lexists(file, name, H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: no dataset %s: an image file needs /clean (N x H x W, values in [0, 1]) and optionally /noisy of the same shape (see datasets/prep_kodak.py)", path, name);
  *dset = H5Dopen2(file, name, H5P_DEFAULT);
  PetscCheck(*dset >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s is not a dataset", path, name);
  space = H5Dget_space(*dset);
  rank  = H5Sget_simple_extent_ndims(space);
  if (rank == 3) H5Sget_simple_extent_dims(space, dims, NULL);
  H5Sclose(space);
  if (rank != 3) H5Dclose(*dset);
  PetscCheck(rank == 3, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset %s has %d dimensions; expected 3 (number of images x height x width; one grayscale image of one size per index)", path, name, rank);
  PetscFunctionReturn(0);
}

static PetscErrorCode InfoInner(HGReader *r)
{
  ImgRead *ir = (ImgRead *)r->raw;
  hid_t    ds;
  hsize_t  dc[3], dn[3];

  PetscFunctionBegin;
  PetscCheck(H5Fis_hdf5(r->path) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot open it, or not an HDF5 file: give an image file made by datasets/prep_kodak.py", r->path);
  r->h5 = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(r->h5 >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: HDF5 cannot open the file (damaged or truncated?)", r->path);
  PetscCall(OpenStack(r->h5, r->path, "clean", &ds, dc));
  H5Dclose(ds);
  PetscCheck(dc[0] > 0 && dc[1] > 0 && dc[2] > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /clean is %llu x %llu x %llu: it holds no pixels", r->path, (unsigned long long)dc[0], (unsigned long long)dc[1], (unsigned long long)dc[2]);
  ir->hasnoisy = H5Lexists(r->h5, "noisy", H5P_DEFAULT) > 0 ? PETSC_TRUE : PETSC_FALSE;
  if (ir->hasnoisy) {
    PetscCall(OpenStack(r->h5, r->path, "noisy", &ds, dn));
    H5Dclose(ds);
    PetscCheck(dn[0] == dc[0] && dn[1] == dc[1] && dn[2] == dc[2], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /noisy is %llu x %llu x %llu but /clean is %llu x %llu x %llu: every noisy image must pair with a clean one of the same size", r->path, (unsigned long long)dn[0],
               (unsigned long long)dn[1], (unsigned long long)dn[2], (unsigned long long)dc[0], (unsigned long long)dc[1], (unsigned long long)dc[2]);
  }
  ir->N = (PetscInt)dc[0], ir->H = (PetscInt)dc[1], ir->W = (PetscInt)dc[2];
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadInner(HGReader *r)
{
  ImgRead *ir = (ImgRead *)r->raw;
  hid_t    ds, fspace, mspace;
  hsize_t  dims[3], start[3], cnt[3], n;
  herr_t   err;
  size_t   npix;

  PetscFunctionBegin;
  r->h5 = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(r->h5 >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: HDF5 cannot open the file", r->path);
  PetscCall(OpenStack(r->h5, r->path, ir->name, &ds, dims));
  if (!(dims[0] == (hsize_t)ir->N && dims[1] == (hsize_t)ir->H && dims[2] == (hsize_t)ir->W)) H5Dclose(ds);
  PetscCheck(dims[0] == (hsize_t)ir->N && dims[1] == (hsize_t)ir->H && dims[2] == (hsize_t)ir->W, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /%s changed while it was read", r->path, ir->name);
  npix = (size_t)ir->H * (size_t)ir->W;
  PetscCall(PetscMalloc1((size_t)ir->count * npix, &ir->buf));
  start[0] = (hsize_t)ir->first, start[1] = start[2] = 0;
  cnt[0] = (hsize_t)ir->count, cnt[1] = dims[1], cnt[2] = dims[2];
  n      = cnt[0] * cnt[1] * cnt[2];
  fspace = H5Dget_space(ds);
  H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, cnt, NULL);
  mspace = H5Screate_simple(1, &n, NULL);
  err    = H5Dread(ds, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, ir->buf);
  H5Sclose(mspace);
  H5Sclose(fspace);
  H5Dclose(ds);
  PetscCheck(err >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: cannot read dataset /%s (not numeric, or the file is damaged)", r->path, ir->name);
  for (size_t k = 0; k < (size_t)ir->count * npix; k++) {
    PetscReal v = PetscRealPart(ir->buf[k]);
    size_t    img = k / npix, row = (k % npix) / (size_t)ir->W, col = k % (size_t)ir->W;
    PetscCheck(!PetscIsInfOrNanReal(v), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /%s, image %zu, row %zu, column %zu is NaN or Inf: fix or drop that image", r->path, ir->name, (size_t)ir->first + img, row, col);
    PetscCheck(!ir->check01 || (v >= 0 && v <= 1), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /%s, image %zu, row %zu, column %zu is %g, outside [0, 1]: scale the intensities to [0, 1] (e.g. divide 8-bit values by 255)", r->path, ir->name, (size_t)ir->first + img, row, col, (double)v);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode QuietInfo(HGReader *r)
{
  PetscFunctionBegin;
  PetscCall(HGDataQuietly(InfoInner, r));
  PetscFunctionReturn(0);
}

static PetscErrorCode QuietRead(HGReader *r)
{
  PetscFunctionBegin;
  PetscCall(HGDataQuietly(ReadInner, r));
  PetscFunctionReturn(0);
}

/* Number of images N, height H, width W of /clean, and whether /noisy is there (collective;
   rank 0 reads, every rank gets the same answer or the same error) */
PetscErrorCode HGImagesGetInfoHDF5(MPI_Comm comm, const char path[], PetscInt *N, PetscInt *H, PetscInt *W, PetscBool *hasnoisy)
{
  HGReader r;
  ImgRead  ir;
  PetscInt v[4];

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&r, sizeof(r)));
  PetscCall(PetscMemzero(&ir, sizeof(ir)));
  r.path = path;
  r.raw  = (HGRaw *)&ir;
  PetscCall(HGDataRunOnRoot(comm, QuietInfo, &r));
  v[0] = ir.N, v[1] = ir.H, v[2] = ir.W, v[3] = ir.hasnoisy;
  PetscCallMPI(MPI_Bcast(v, 4, MPIU_INT, 0, comm));
  *N = v[0], *H = v[1], *W = v[2], *hasnoisy = v[3] ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* Images [first, first + count) of dataset name (N x H x W as given) into the global Vec v of
   da (2-D, M = W, N = H, dof = count); values checked finite, and in [0, 1] when check01 */
PetscErrorCode HGImagesLoadHDF5(DM da, const char path[], const char name[], PetscInt N, PetscInt first, PetscBool check01, Vec v)
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)da);
  HGReader     r;
  ImgRead      ir;
  PetscMPIInt  rank, size, *counts = NULL, *displs = NULL;
  PetscInt     H, W, count, n;
  Vec          nat;
  PetscScalar *a, *perm = NULL;

  PetscFunctionBegin;
  PetscCall(DMDAGetInfo(da, NULL, &W, &H, NULL, NULL, NULL, NULL, &count, NULL, NULL, NULL, NULL, NULL));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscMemzero(&r, sizeof(r)));
  PetscCall(PetscMemzero(&ir, sizeof(ir)));
  ir.name = name, ir.first = first, ir.count = count, ir.N = N, ir.H = H, ir.W = W, ir.check01 = check01;
  r.path = path;
  r.raw  = (HGRaw *)&ir;
  {
    PetscErrorCode ierr = HGDataRunOnRoot(comm, QuietRead, &r);
    if (ierr) PetscCall(PetscFree(ir.buf));
    PetscCall(ierr);
  }
  /* image-major (d, row, col) on rank 0 -> natural order (row, col, d) -> the DMDA's blocks */
  PetscCall(DMDACreateNaturalVector(da, &nat));
  if (rank == 0) {
    const PetscInt *ranges;
    size_t          npix = (size_t)H * (size_t)W;

    PetscCall(PetscMalloc1(npix * (size_t)count, &perm));
    for (size_t p = 0; p < npix; p++)
      for (PetscInt d = 0; d < count; d++) perm[p * (size_t)count + (size_t)d] = ir.buf[(size_t)d * npix + p];
    PetscCall(VecGetOwnershipRanges(nat, &ranges));
    PetscCall(PetscMalloc2(size, &counts, size, &displs));
    for (PetscMPIInt p = 0; p < size; p++) counts[p] = (PetscMPIInt)(ranges[p + 1] - ranges[p]), displs[p] = (PetscMPIInt)ranges[p];
  }
  PetscCall(VecGetLocalSize(nat, &n));
  PetscCall(VecGetArrayWrite(nat, &a));
  PetscCallMPI(MPI_Scatterv(perm, counts, displs, MPIU_SCALAR, a, (PetscMPIInt)n, MPIU_SCALAR, 0, comm));
  PetscCall(VecRestoreArrayWrite(nat, &a));
  PetscCall(DMDANaturalToGlobalBegin(da, nat, INSERT_VALUES, v));
  PetscCall(DMDANaturalToGlobalEnd(da, nat, INSERT_VALUES, v));
  PetscCall(VecDestroy(&nat));
  if (rank == 0) PetscCall(PetscFree2(counts, displs));
  PetscCall(PetscFree(perm));
  PetscCall(PetscFree(ir.buf));
  PetscFunctionReturn(0);
}
