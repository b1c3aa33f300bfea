/*
   Image stacks in HDF5 for the denoising problem: datasets /clean and (optionally) /noisy of
   shape (N, H, W), any numeric type (read as double), values in [0, 1].  Rank 0 checks the
   shapes; then every rank reads its own pixel block of the images [first, first + count) of a
   2-D DMDA with one degree of freedom per image (DMDA natural ordering (row, column, image))
   through HDF5's MPI-IO driver, one image at a time: a rank holds its block of the images and
   a buffer of its block of one image, never the whole stack.
*/
#include "dataimpl.h"
#include <petscdmda.h>

typedef struct {
  PetscInt  N, H, W; /* of /clean */
  PetscBool hasnoisy;
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

static PetscErrorCode QuietInfo(HGReader *r)
{
  PetscFunctionBegin;
  PetscCall(HGDataQuietly(InfoInner, r));
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
   da (2-D, M = W, N = H, dof = count); values checked finite, and in [0, 1] when check01.
   Collective: each rank reads its own block; the first bad pixel of the lowest rank that
   finds one is the error on every rank */
PetscErrorCode HGImagesLoadHDF5(DM da, const char path[], const char name[], PetscInt N, PetscInt first, PetscBool check01, Vec v)
{
  MPI_Comm       comm = PetscObjectComm((PetscObject)da);
  PetscInt       H, W, count, xs, ys, xm, ym;
  hid_t          file, ds, dxpl;
  hsize_t        dims[3] = {0, 0, 0}, start[3], cnt[3];
  H5E_auto2_t    func;
  void          *fdata;
  PetscErrorCode code = 0, ierr;
  char           msg[1024] = "";
  PetscScalar   *a;
  double        *buf;

  PetscFunctionBegin;
  PetscCall(DMDAGetInfo(da, NULL, &W, &H, NULL, NULL, NULL, NULL, &count, NULL, NULL, NULL, NULL, NULL));
  PetscCall(DMDAGetCorners(da, &xs, &ys, NULL, &xm, &ym, NULL));
  PetscCall(HGH5OpenParallel(comm, path, PETSC_FALSE, &file)); /* POSIX reads: a failed read is an error (h5data.c) */
  H5Eget_auto2(H5E_DEFAULT, &func, &fdata);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  ds = H5Dopen2(file, name, H5P_DEFAULT);
  if (ds >= 0) {
    hid_t sp = H5Dget_space(ds);
    if (H5Sget_simple_extent_ndims(sp) == 3) H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
  }
  if (ds < 0 || !(dims[0] == (hsize_t)N && dims[1] == (hsize_t)H && dims[2] == (hsize_t)W)) {
    code = PETSC_ERR_FILE_UNEXPECTED;
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: /%s changed while it was read, or another rank sees another file: every rank must see the same file", path, name));
  }
  ierr = HGDataAgree(comm, code, msg);
  if (ierr) {
    if (ds >= 0) H5Dclose(ds);
    H5Fclose(file);
    H5Eset_auto2(H5E_DEFAULT, func, fdata);
    PetscCall(ierr);
  }
  dxpl = H5Pcreate(H5P_DATASET_XFER);
  ierr = PetscMalloc1((size_t)xm * (size_t)ym, &buf);
  if (!ierr) ierr = VecGetArrayWrite(v, &a);
  /* every rank makes the same count of collective reads, also after an error of its own */
  for (PetscInt d = 0; d < count && !ierr; d++) {
    start[0] = (hsize_t)(first + d), start[1] = (hsize_t)ys, start[2] = (hsize_t)xs;
    cnt[0] = 1, cnt[1] = (hsize_t)ym, cnt[2] = (hsize_t)xm;
    if (HGH5ReadBlock(ds, dxpl, 3, start, cnt, H5T_NATIVE_DOUBLE, buf) < 0 && !code) {
      code = PETSC_ERR_FILE_READ;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot read dataset /%s (not numeric, or the file is damaged)", path, name));
    }
    for (PetscInt j = 0; j < ym && !code; j++)
      for (PetscInt i = 0; i < xm && !code; i++) {
        PetscReal val = buf[j * xm + i];
        if (PetscIsInfOrNanReal(val)) {
          code = PETSC_ERR_FILE_UNEXPECTED;
          PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: /%s, image %" PetscInt_FMT ", row %" PetscInt_FMT ", column %" PetscInt_FMT " is NaN or Inf: fix or drop that image", path, name, first + d, ys + j, xs + i));
        } else if (check01 && !(val >= 0 && val <= 1)) {
          code = PETSC_ERR_FILE_UNEXPECTED;
          PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: /%s, image %" PetscInt_FMT ", row %" PetscInt_FMT ", column %" PetscInt_FMT " is %g, outside [0, 1]: scale the intensities to [0, 1] (e.g. divide 8-bit values by 255)", path, name, first + d, ys + j, xs + i, (double)val));
        } else a[((size_t)j * (size_t)xm + (size_t)i) * (size_t)count + (size_t)d] = val;
      }
  }
  if (!ierr) ierr = VecRestoreArrayWrite(v, &a);
  PetscCall(PetscFree(buf));
  H5Pclose(dxpl);
  H5Dclose(ds);
  H5Fclose(file);
  H5Eset_auto2(H5E_DEFAULT, func, fdata);
  PetscCall(ierr);
  PetscCall(HGDataAgree(comm, code, msg));
  PetscFunctionReturn(0);
}
