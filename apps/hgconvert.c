static const char help[] = "hgconvert: converts a data set (LIBSVM, CSV, IDX or HDF5) into the HDF5 layout of hypergrad,\n"
                           "which every rank then reads in parallel (its own rows).\n\n"
                           "  ./hgconvert -in a9a -out a9a.h5\n"
                           "  mpiexec -n 4 ./hgconvert -in train-images-idx3-ubyte.gz -out mnist.h5\n"
                           "  ./hgconvert -in parkinsons.data -data_format csv -data_csv_skip_columns name -out parkinsons.h5\n\n"
                           "Options:\n"
                           "  -in <F>                  the data file (format from the name, or -data_format)\n"
                           "  -in_labels <F>           IDX: the labels file (default: the *-labels-idx1-ubyte file beside -in)\n"
                           "  -out <F.h5>              the HDF5 file: dense /X (samples x features) or the CSR group /X (data,\n"
                           "                           indices, indptr, attribute shape) for sparse input, and /y; written to\n"
                           "                           F.h5.tmp and renamed, so an existing F.h5 is replaced only by a whole file;\n"
                           "                           every rank writes its own rows (collective writes through HDF5's MPI-IO driver)\n"
                           "  -data_format, -data_max_samples, -data_nfeatures, -data_csv_*: as for the problems' -data options\n";
#include <hypergrad.h>
#include <hdf5.h>
#include <stdio.h>
#include <errno.h>

static PetscInt64 piece = 32 * 1024 * 1024; /* bytes of values per collective write (-hgconvert_piece_bytes, for tests) */

/* Rows [start, start + count) of a 1-D (ncols = 0) or 2-D dataset (all ncols columns) from buf,
   collectively; count = 0 writes nothing from this rank. Returns < 0 on failure. */
static herr_t WriteRows(hid_t ds, hid_t dxpl, hid_t memtype, hsize_t start, hsize_t count, hsize_t ncols, const void *buf)
{
  int     rank  = ncols ? 2 : 1;
  hsize_t st[2] = {start, 0}, ct[2] = {count, ncols}, mdims[2] = {count ? count : 1, ncols ? ncols : 1};
  hid_t   fs = H5Dget_space(ds), ms = H5Screate_simple(rank, mdims, NULL);
  herr_t  err = (fs < 0 || ms < 0) ? -1 : 0;

  if (!err) err = count ? H5Sselect_hyperslab(fs, H5S_SELECT_SET, st, NULL, ct, NULL) : H5Sselect_none(fs);
  if (!err && !count) err = H5Sselect_none(ms);
  if (!err) err = H5Dwrite(ds, memtype, ms, fs, dxpl, buf);
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  return err;
}

static hid_t CreateDataset(hid_t loc, const char *name, hid_t type, int rank, hsize_t d0, hsize_t d1)
{
  hsize_t dims[2] = {d0, d1};
  hid_t   sp      = H5Screate_simple(rank, dims, NULL), ds;

  ds = sp < 0 ? -1 : H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (sp >= 0) H5Sclose(sp);
  return ds;
}

/* The lowest failing rank's message on every rank (err: this rank's, 0 if none), as an error */
static PetscErrorCode Agree(MPI_Comm comm, int err, const char *msg)
{
  PetscMPIInt rank, size, mine, first;
  char        buf[PETSC_MAX_PATH_LEN + 256];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  mine = err ? rank : size;
  PetscCallMPI(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == size) PetscFunctionReturn(0);
  if (rank == first) PetscCall(PetscStrncpy(buf, msg, sizeof(buf)));
  PetscCallMPI(MPI_Bcast(buf, sizeof(buf), MPI_CHAR, first, comm));
  SETERRQ(comm, PETSC_ERR_FILE_WRITE, "%s", buf);
}

/*
  The data set as the HDF5 layout that HGDataLoad() reads (dense /X, or the CSR group /X with
  data, indices, indptr and the attribute shape; /y), written by all ranks at once: every rank
  writes its own rows with collective hyperslab writes through the MPI-IO driver, in pieces of
  at most piece bytes (CSR offsets by a prefix sum of the ranks' nonzeros), so that no
  rank holds more than its rows and one piece.  Written to tmp, renamed to path by rank 0 once
  the file is closed; on any failure tmp is removed and path is left as it was.
*/
static PetscErrorCode WriteParallel(HGData *d, const char *path, const char *tmp)
{
  MPI_Comm           comm = PetscObjectComm((PetscObject)d->X);
  PetscMPIInt        rank, size;
  PetscInt           lo, hi, m, M = d->nsamples, N = d->nfeatures;
  PetscBool          dense;
  hid_t              fapl, file = -1, dxpl = -1, g = -1;
  int                err = 0;
  char               msg[PETSC_MAX_PATH_LEN + 200] = "";
  H5E_auto2_t        func;
  void              *fdata;
  const PetscScalar *y;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(MatGetOwnershipRange(d->X, &lo, &hi));
  m = hi - lo;
  PetscCall(PetscObjectTypeCompareAny((PetscObject)d->X, &dense, MATMPIDENSE, MATSEQDENSE, MATDENSE, ""));
  H5Eget_auto2(H5E_DEFAULT, &func, &fdata);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0 || H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: HDF5 has no MPI-IO driver (link against the parallel HDF5 library, libhdf5-openmpi)", tmp);
  else {
    file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (file < 0) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: cannot create the file on rank %d (directory missing or not writable, or not on a file system all ranks see?)", tmp, (int)rank);
  }
  if (fapl >= 0) H5Pclose(fapl);
  {
    PetscErrorCode ierr = Agree(comm, err, msg);
    if (ierr) {
      if (file >= 0) H5Fclose(file);
      H5Eset_auto2(H5E_DEFAULT, func, fdata);
      if (!rank) remove(tmp);
      PetscCall(ierr);
    }
  }
  dxpl = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
  if (dense) {
    /* rows in pieces of at most piece bytes, row major; every rank takes part in as many
       collective writes as the rank with the most pieces */
    hid_t              ds = CreateDataset(file, "X", H5T_IEEE_F64LE, 2, (hsize_t)M, (hsize_t)N);
    PetscInt           rows = PetscMax(1, (PetscInt)(piece / (PetscInt64)(sizeof(PetscScalar) * PetscMax(N, 1)))), np, npall, lda;
    PetscScalar       *buf;
    const PetscScalar *a;
    np = (m + rows - 1) / rows;
    PetscCall(MPIU_Allreduce(&np, &npall, 1, MPIU_INT, MPI_MAX, comm));
    PetscCall(PetscMalloc1((size_t)PetscMax(PetscMin(rows, m), 1) * N, &buf));
    PetscCall(MatDenseGetLDA(d->X, &lda));
    PetscCall(MatDenseGetArrayRead(d->X, &a));
    if (ds < 0) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: cannot create dataset /X (disk full?)", tmp);
    for (PetscInt p = 0; p < npall; p++) {
      PetscInt r0 = PetscMin(p * rows, m), r1 = PetscMin(r0 + rows, m);
      for (PetscInt i = r0; i < r1; i++)
        for (PetscInt j = 0; j < N; j++) buf[(size_t)(i - r0) * N + j] = a[i + (size_t)j * lda];
      if (ds >= 0 && WriteRows(ds, dxpl, H5T_NATIVE_DOUBLE, (hsize_t)(lo + r0), (hsize_t)(r1 - r0), (hsize_t)N, buf) < 0 && !err) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: writing rows %" PetscInt_FMT "..%" PetscInt_FMT " of /X failed on rank %d (disk full?)", tmp, lo + r0, lo + r1 - 1, (int)rank);
    }
    PetscCall(MatDenseRestoreArrayRead(d->X, &a));
    PetscCall(PetscFree(buf));
    if (ds >= 0) H5Dclose(ds);
  } else {
    /* CSR: this rank's nonzeros start at the sum of the lower ranks' (a prefix sum) */
    PetscInt64   nnz = 0, off = 0, total = 0, cap = PetscMax(1, piece / (PetscInt64)(sizeof(PetscScalar) + sizeof(PetscInt))), np = 0, npall;
    long long   *ip, shape[2] = {M, N};
    PetscInt    *cb;
    PetscScalar *vb;
    hid_t        dd, di, dp, as, at;
    hsize_t      two = 2;
    for (PetscInt i = lo; i < hi; i++) {
      PetscInt nc;
      PetscCall(MatGetRow(d->X, i, &nc, NULL, NULL));
      nnz += nc;
      PetscCall(MatRestoreRow(d->X, i, &nc, NULL, NULL));
    }
    PetscCallMPI(MPI_Exscan(&nnz, &off, 1, MPIU_INT64, MPI_SUM, comm));
    if (!rank) off = 0;
    PetscCall(MPIU_Allreduce(&nnz, &total, 1, MPIU_INT64, MPI_SUM, comm));
    g = H5Gcreate2(file, "X", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: cannot create the group /X", tmp);
    else {
      as = H5Screate_simple(1, &two, NULL);
      at = H5Acreate2(g, "shape", H5T_STD_I64LE, as, H5P_DEFAULT, H5P_DEFAULT);
      if (at < 0 || H5Awrite(at, H5T_NATIVE_LLONG, shape) < 0) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: cannot write the attribute shape of /X", tmp);
      if (at >= 0) H5Aclose(at);
      H5Sclose(as);
    }
    dd = g < 0 ? -1 : CreateDataset(g, "data", H5T_IEEE_F64LE, 1, (hsize_t)total, 0);
    di = g < 0 ? -1 : CreateDataset(g, "indices", H5T_STD_I32LE, 1, (hsize_t)total, 0);
    dp = g < 0 ? -1 : CreateDataset(g, "indptr", H5T_STD_I64LE, 1, (hsize_t)M + 1, 0);
    if (g >= 0 && (dd < 0 || di < 0 || dp < 0)) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: cannot create the datasets of /X (disk full?)", tmp);
    /* indptr: entries [lo, hi), and the last rank with rows also entry M (the total) */
    PetscCall(PetscMalloc1(m + 1, &ip));
    ip[0] = off;
    for (PetscInt i = lo; i < hi; i++) {
      PetscInt nc;
      PetscCall(MatGetRow(d->X, i, &nc, NULL, NULL));
      ip[i - lo + 1] = ip[i - lo] + nc;
      PetscCall(MatRestoreRow(d->X, i, &nc, NULL, NULL));
    }
    if (dp >= 0 && WriteRows(dp, dxpl, H5T_NATIVE_LLONG, (hsize_t)lo, (hsize_t)(m + (hi == M && m > 0 ? 1 : 0)), 0, ip) < 0 && !err) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: writing /X/indptr failed on rank %d (disk full?)", tmp, (int)rank);
    PetscCall(PetscFree(ip));
    /* indices and data, rows in pieces of at most cap nonzeros (or one longer row) */
    {
      PetscInt64 big = 0, cur = 0;
      for (PetscInt i = lo; i < hi; i++) {
        PetscInt nc;
        PetscCall(MatGetRow(d->X, i, &nc, NULL, NULL));
        if (cur > 0 && cur + nc > cap) np++, big = PetscMax(big, cur), cur = 0;
        cur += nc;
        PetscCall(MatRestoreRow(d->X, i, &nc, NULL, NULL));
      }
      if (cur > 0) np++, big = PetscMax(big, cur);
      PetscCall(PetscMalloc2(PetscMax(big, 1), &cb, PetscMax(big, 1), &vb));
    }
    PetscCall(MPIU_Allreduce(&np, &npall, 1, MPIU_INT64, MPI_MAX, comm));
    {
      PetscInt   row = lo;
      PetscInt64 pos = off;
      for (PetscInt64 p = 0; p < npall; p++) {
        PetscInt64 k = 0;
        while (row < hi) {
          PetscInt           nc;
          const PetscInt    *c;
          const PetscScalar *v;
          PetscInt           len;
          PetscCall(MatGetRow(d->X, row, &nc, NULL, NULL));
          len = nc;
          PetscCall(MatRestoreRow(d->X, row, &nc, NULL, NULL));
          if (k > 0 && k + len > cap) break;
          PetscCall(MatGetRow(d->X, row, &nc, &c, &v));
          PetscCall(PetscArraycpy(cb + k, c, nc));
          PetscCall(PetscArraycpy(vb + k, v, nc));
          k += nc; /* (before MatRestoreRow, which zeroes nc) */
          PetscCall(MatRestoreRow(d->X, row, &nc, &c, &v));
          row++;
        }
        if (di >= 0 && WriteRows(di, dxpl, sizeof(PetscInt) == 8 ? H5T_NATIVE_LLONG : H5T_NATIVE_INT, (hsize_t)pos, (hsize_t)k, 0, cb) < 0 && !err) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: writing /X/indices failed on rank %d (disk full?)", tmp, (int)rank);
        if (dd >= 0 && WriteRows(dd, dxpl, H5T_NATIVE_DOUBLE, (hsize_t)pos, (hsize_t)k, 0, vb) < 0 && !err) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: writing /X/data failed on rank %d (disk full?)", tmp, (int)rank);
        pos += k;
      }
    }
    PetscCall(PetscFree2(cb, vb));
    if (dd >= 0) H5Dclose(dd);
    if (di >= 0) H5Dclose(di);
    if (dp >= 0) H5Dclose(dp);
    if (g >= 0) H5Gclose(g);
  }
  {
    hid_t ds = CreateDataset(file, "y", H5T_IEEE_F64LE, 1, (hsize_t)M, 0);
    PetscCall(VecGetArrayRead(d->y, &y));
    if (ds < 0 || WriteRows(ds, dxpl, H5T_NATIVE_DOUBLE, (hsize_t)lo, (hsize_t)m, 0, y) < 0) {
      if (!err) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: writing /y failed on rank %d (disk full?)", tmp, (int)rank);
    }
    PetscCall(VecRestoreArrayRead(d->y, &y));
    if (ds >= 0) H5Dclose(ds);
  }
  H5Pclose(dxpl);
  if (H5Fclose(file) < 0 && !err) err = 1, PetscSNPrintf(msg, sizeof(msg), "%s: closing the file failed on rank %d (disk full?)", tmp, (int)rank);
  H5Eset_auto2(H5E_DEFAULT, func, fdata);
  /* all ranks have closed the file: rank 0 renames it, or removes it after a failure */
  {
    int any = err, code = 0;
    PetscCallMPI(MPI_Allreduce(&err, &any, 1, MPI_INT, MPI_MAX, comm));
    if (!rank) {
      if (any) remove(tmp);
      else if (rename(tmp, path)) code = 1, PetscSNPrintf(msg, sizeof(msg), "%s: cannot rename %s to it: %s", path, tmp, strerror(errno));
    }
    if (any) PetscCall(Agree(comm, err, msg));
    PetscCall(Agree(comm, code, msg));
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char              in[PETSC_MAX_PATH_LEN] = "", labels[PETSC_MAX_PATH_LEN] = "", out[PETSC_MAX_PATH_LEN] = "";
  HGDataFormat      format;
  HGDataLoadOptions opts;
  HGData            d;
  MPI_Comm          comm;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscOptionsBegin(comm, NULL, "hgconvert: data set to HDF5", "hgconvert");
  PetscCall(PetscOptionsString("-in", "Input data file", "hgconvert", in, in, sizeof(in), NULL));
  PetscCall(PetscOptionsString("-in_labels", "IDX labels file", "hgconvert", labels, labels, sizeof(labels), NULL));
  PetscCall(PetscOptionsString("-out", "Output HDF5 file", "hgconvert", out, out, sizeof(out), NULL));
  {
    PetscInt pb = (PetscInt)PetscMin(piece, (PetscInt64)PETSC_MAX_INT);
    PetscCall(PetscOptionsInt("-hgconvert_piece_bytes", "Bytes of values per collective write (tests use small pieces)", "hgconvert", pb, &pb, NULL));
    piece = pb;
  }
  PetscOptionsEnd();
  PetscCall(HGDataLoadOptionsSetFromOptions(comm, NULL, &format, &opts)); /* -data_format, -data_max_samples, -data_nfeatures, -data_csv_* */
  PetscCheck(piece > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-hgconvert_piece_bytes must be positive");
  PetscCheck(in[0], comm, PETSC_ERR_ARG_WRONG, "give the input data file with -in FILE");
  PetscCheck(out[0], comm, PETSC_ERR_ARG_WRONG, "give the output HDF5 file with -out FILE.h5");
  PetscCheck(strcmp(in, out), comm, PETSC_ERR_ARG_INCOMP, "-in and -out name the same file %s: write to another file", in);
  PetscCall(HGDataLoadWithOptions(comm, in, labels[0] ? labels : NULL, format, &opts, &d));
  {
    char tmp[PETSC_MAX_PATH_LEN];
    PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp", out));
    PetscCall(WriteParallel(&d, out, tmp));
  }
  PetscCall(PetscPrintf(comm, "%s: %" PetscInt_FMT " samples x %" PetscInt_FMT " features (%s) written to %s\n", in, d.nsamples, d.nfeatures, d.nclasses ? "class labels" : "real targets", out));
  PetscCall(HGDataDestroy(&d));
  PetscCall(PetscFinalize());
  return 0;
}
