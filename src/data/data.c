/*
   Data sets: dispatch to the readers (rank 0), scatter to the row layout, classes, seeded
   splits, standardization, gathering and the -data_* options.
*/
#include "dataimpl.h"
#include <errno.h>

const char *const HGDataFormats[] = {"auto", "libsvm", "csv", "idx", "hdf5", "HGDataFormat", "HG_DATA_", NULL};

enum { STREAM_SPLIT = 601 };

/* ------------------------------------------------------------------------ */
/* Reader plumbing shared by the formats                                      */

PetscErrorCode HGRawFree(HGRaw *raw)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(raw->rowptr));
  PetscCall(PetscFree(raw->cols));
  PetscCall(PetscFree(raw->vals));
  PetscCall(PetscFree(raw->y));
  PetscCall(PetscMemzero(raw, sizeof(*raw)));
  PetscFunctionReturn(0);
}

/* Grow the arrays so that rows samples and nnz values (CSR) fit; dense readers pass nnz = rows*N */
PetscErrorCode HGRawReserve(HGRaw *raw, size_t rows, size_t nnz)
{
  PetscFunctionBegin;
  if (rows > raw->caprows) {
    size_t cap = PetscMax(rows, 2 * raw->caprows + 16);
    PetscCall(PetscRealloc(cap * sizeof(PetscScalar), &raw->y));
    if (raw->sparse) PetscCall(PetscRealloc((cap + 1) * sizeof(PetscInt), &raw->rowptr));
    raw->caprows = cap;
  }
  if (nnz > raw->capnnz) {
    size_t cap = PetscMax(nnz, 2 * raw->capnnz + 64);
    PetscCall(PetscRealloc(cap * sizeof(PetscScalar), &raw->vals));
    if (raw->sparse) PetscCall(PetscRealloc(cap * sizeof(PetscInt), &raw->cols));
    raw->capnnz = cap;
  }
  PetscFunctionReturn(0);
}

int HGParseReal(const char *s, PetscReal *v)
{
  char  *end;
  double d;

  if (!s || !*s) return 1;
  errno = 0;
  d     = strtod(s, &end);
  if (end == s || *end) return 1;
  if (PetscIsInfOrNanReal((PetscReal)d)) return 2;
  *v = (PetscReal)d;
  return 0;
}

PetscErrorCode HGReaderGetLine(HGReader *r, PetscBool *eof, size_t *len)
{
  size_t n = 0;

  PetscFunctionBegin;
  *eof = PETSC_FALSE;
  if (!r->line) {
    r->linecap = 4096;
    PetscCall(PetscMalloc1(r->linecap, &r->line));
  }
  for (;;) {
    if (!gzgets(r->gz, r->line + n, (int)PetscMin(r->linecap - n, (size_t)INT_MAX))) {
      int         zerr;
      const char *zmsg = gzerror(r->gz, &zerr);
      PetscCheck(zerr == Z_OK || zerr == Z_STREAM_END, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: the file is corrupt or truncated (%s): re-create or re-download it", r->path, zmsg);
      if (n == 0) *eof = PETSC_TRUE;
      break;
    }
    n += strlen(r->line + n);
    if (n > 0 && r->line[n - 1] == '\n') break;
    if (n + 1 < r->linecap) { /* end of file without a newline, or a NUL byte in the line */
      if (gzeof(r->gz)) break;
      PetscCheck(0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: a line contains a NUL byte: this is not a text file (choose the format with -data_format)", r->path);
    }
    r->linecap *= 2;
    PetscCall(PetscRealloc(r->linecap, &r->line));
  }
  while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r')) r->line[--n] = 0;
  *len = n;
  PetscFunctionReturn(0);
}

void HGReaderClose(HGReader *r)
{
  if (r->gz) gzclose(r->gz);
  if (r->gzl) gzclose(r->gzl);
  if (r->fp) fclose(r->fp);
  if (r->h5 > 0) H5Fclose(r->h5);
  r->gz = r->gzl = NULL;
  r->fp          = NULL;
  r->h5          = H5I_INVALID_HID;
  PetscFree(r->line);
  for (int k = 0; k < 4; k++) PetscFree(r->tmp[k]);
}

/* Runs fn on rank 0 with errors returned rather than printed, then raises the same error
   (code and message) on every rank of comm, so that a bad file is one collective error. */
PetscErrorCode HGDataRunOnRoot(MPI_Comm comm, PetscErrorCode (*fn)(HGReader *), HGReader *r)
{
  PetscMPIInt rank;
  int         code = 0;
  char        msg[1024];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  msg[0] = 0;
  if (rank == 0) {
    PetscErrorCode ierr;
    r->h5 = H5I_INVALID_HID;
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = fn(r);
    PetscCall(PetscPopErrorHandler());
    HGReaderClose(r);
    if (ierr) {
      char *specific = NULL;
      PetscCall(PetscErrorMessage(ierr, NULL, &specific));
      PetscCall(PetscStrncpy(msg, specific && specific[0] ? specific : "error while reading the file", sizeof(msg)));
      code = (int)ierr;
    }
  }
  PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, 0, comm));
  if (code) {
    PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
    SETERRQ(comm, (PetscErrorCode)code, "%s", msg);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode HGDataAgree(MPI_Comm comm, PetscErrorCode ierr, const char *msg)
{
  PetscMPIInt rank, size, mine, first;
  int         code = (int)ierr;
  char        buf[1024];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  mine = ierr ? rank : size;
  PetscCallMPI(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == size) PetscFunctionReturn(0);
  buf[0] = 0;
  if (rank == first) PetscCall(PetscStrncpy(buf, msg && msg[0] ? msg : "error while reading the file", sizeof(buf)));
  PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, first, comm));
  PetscCallMPI(MPI_Bcast(buf, sizeof(buf), MPI_CHAR, first, comm));
  SETERRQ(comm, (PetscErrorCode)code, "%s", buf);
}

/* ------------------------------------------------------------------------ */

/*@C
  HGDataLoadOptionsDefault - the default options of the readers: all samples, LIBSVM width
  from the file, CSV with a header, ',' separated, label in the last column, no column dropped

  Not Collective

  Output Parameter:
. opts - the options, filled with the defaults

  Level: intermediate

.seealso: HGDataLoadWithOptions()
@*/
PetscErrorCode HGDataLoadOptionsDefault(HGDataLoadOptions *opts)
{
  PetscFunctionBegin;
  PetscCall(PetscMemzero(opts, sizeof(*opts)));
  opts->csv_header    = PETSC_TRUE;
  opts->csv_delimiter = ',';
  PetscFunctionReturn(0);
}

static PetscBool EndsWith(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return (n >= m && !strcasecmp(s + n - m, suffix)) ? PETSC_TRUE : PETSC_FALSE;
}

/* The format from the file name, else from its first bytes (HDF5 signature), else LIBSVM */
static PetscErrorCode DetectFormat(HGReader *r)
{
  const char *p = r->path;

  PetscFunctionBegin;
  if (r->format != HG_DATA_AUTO) PetscFunctionReturn(0);
  if (EndsWith(p, ".csv") || EndsWith(p, ".csv.gz")) r->format = HG_DATA_CSV;
  else if (EndsWith(p, ".h5") || EndsWith(p, ".hdf5") || EndsWith(p, ".he5")) r->format = HG_DATA_HDF5;
  else if (strstr(p, "-ubyte") || EndsWith(p, ".idx") || EndsWith(p, ".idx.gz")) r->format = HG_DATA_IDX;
  else {
    FILE         *fp = fopen(p, "rb");
    unsigned char sig[8];
    PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot open the data file: %s", p, strerror(errno));
    r->fp     = fp;
    r->format = (fread(sig, 1, 8, fp) == 8 && !memcmp(sig, "\211HDF\r\n\032\n", 8)) ? HG_DATA_HDF5 : HG_DATA_LIBSVM;
    fclose(fp);
    r->fp = NULL;
    if (r->format == HG_DATA_LIBSVM) { /* a first line with a comma is CSV (LIBSVM has none) */
      PetscBool eof;
      size_t    len;
      r->gz = gzopen(p, "rb");
      PetscCheck(r->gz, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot open the data file: %s", p, strerror(errno));
      PetscCall(HGReaderGetLine(r, &eof, &len));
      if (!eof && strchr(r->line, ',')) r->format = HG_DATA_CSV;
      gzclose(r->gz);
      r->gz = NULL;
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode Detect(HGReader *r)
{
  PetscFunctionBegin;
  PetscCall(DetectFormat(r));
  PetscCheck(!r->labels || r->format == HG_DATA_IDX, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "%s: a separate labels file (%s) is read only for IDX data; %s files carry their labels (drop the *_labels option)", r->path, r->labels, HGDataFormats[r->format]);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadAny(HGReader *r)
{
  PetscFunctionBegin;
  switch (r->format) {
  case HG_DATA_LIBSVM:
    PetscCall(HGDataRead_LIBSVM(r));
    break;
  case HG_DATA_CSV:
    PetscCall(HGDataRead_CSV(r));
    break;
  case HG_DATA_IDX:
    PetscCall(HGDataRead_IDX(r));
    break;
  default:
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "%s: unknown data format %d", r->path, (int)r->format);
  }
  PetscFunctionReturn(0);
}

/* Distinct values of a local array in ascending order, by insertion into a sorted list of at
   most cap values (binary search): O(n log cap).  *k = cap + 1 when there are more than cap. */
static PetscErrorCode DistinctBounded(PetscInt n, const PetscScalar *y, PetscInt cap, PetscReal *vals, PetscInt *k)
{
  PetscFunctionBegin;
  *k = 0;
  for (PetscInt i = 0; i < n; i++) {
    PetscReal v  = PetscRealPart(y[i]);
    PetscInt  lo = 0, hi = *k;
    while (lo < hi) {
      PetscInt mid = (lo + hi) / 2;
      if (vals[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo < *k && vals[lo] == v) continue;
    if (*k == cap) {
      *k = cap + 1;
      break;
    }
    PetscCall(PetscArraymove(vals + lo + 1, vals + lo, *k - lo));
    vals[lo] = v;
    (*k)++;
  }
  PetscFunctionReturn(0);
}

#define HG_MAX_CLASSES 1000

static int CompareReal(const void *a, const void *b)
{
  PetscReal x = *(const PetscReal *)a, y = *(const PetscReal *)b;
  return x < y ? -1 : (x > y ? 1 : 0);
}

/* Sort and drop repeated values.  The C library's qsort, not PetscSortReal: PETSc's quicksort
   takes quadratic time on arrays with few distinct values (labels). */
static PetscErrorCode SortRemoveDups(PetscInt *n, PetscReal *v)
{
  PetscInt k = 0;

  PetscFunctionBegin;
  if (*n > 1) qsort(v, (size_t)*n, sizeof(PetscReal), CompareReal);
  for (PetscInt i = 0; i < *n; i++)
    if (!k || v[i] != v[k - 1]) v[k++] = v[i];
  *n = k;
  PetscFunctionReturn(0);
}

/* Number of distinct labels of y (collective) when all are integers and there are at most
   1000, else 0: each rank lists its distinct values (at most 1000, by counting), the lists
   are gathered and merged.  Linear in the number of samples. */
static PetscErrorCode CountClasses(Vec y, PetscInt *nclasses)
{
  MPI_Comm           comm = PetscObjectComm((PetscObject)y);
  const PetscScalar *a;
  PetscReal         *vals, *all;
  PetscInt           n, k, ok = 1, okall, kall;
  PetscMPIInt        size, *counts, *displs, kk;

  PetscFunctionBegin;
  *nclasses = 0;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(VecGetLocalSize(y, &n));
  PetscCall(VecGetArrayRead(y, &a));
  for (PetscInt i = 0; i < n && ok; i++)
    if (PetscRealPart(a[i]) != PetscFloorReal(PetscRealPart(a[i]))) ok = 0;
  PetscCall(PetscMalloc1(HG_MAX_CLASSES + 1, &vals));
  k = 0;
  if (ok) PetscCall(DistinctBounded(n, a, HG_MAX_CLASSES, vals, &k));
  PetscCall(VecRestoreArrayRead(y, &a));
  if (k > HG_MAX_CLASSES) ok = 0;
  PetscCall(MPIU_Allreduce(&ok, &okall, 1, MPIU_INT, MPI_MIN, comm));
  if (!okall) {
    PetscCall(PetscFree(vals));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  kk = (PetscMPIInt)k;
  PetscCallMPI(MPI_Allgather(&kk, 1, MPI_INT, counts, 1, MPI_INT, comm));
  displs[0] = 0;
  for (PetscMPIInt r = 1; r < size; r++) displs[r] = displs[r - 1] + counts[r - 1];
  kall = displs[size - 1] + counts[size - 1];
  PetscCall(PetscMalloc1(PetscMax(kall, 1), &all));
  PetscCallMPI(MPI_Allgatherv(vals, kk, MPIU_REAL, all, counts, displs, MPIU_REAL, comm));
  PetscCall(SortRemoveDups(&kall, all));
  if (kall <= HG_MAX_CLASSES) *nclasses = kall;
  PetscCall(PetscFree(all));
  PetscCall(PetscFree2(counts, displs));
  PetscCall(PetscFree(vals));
  PetscFunctionReturn(0);
}

/*@C
  HGDataLoadWithOptions - reads a data file into a distributed matrix and label Vec

  Collective

  Input Parameters:
+ comm   - the communicator of the data set
. path   - the data file (gzip-compressed text and IDX files are read as well)
. labels - IDX only: the labels file (NULL: the *-labels-idx1-ubyte file beside the images)
. format - `HG_DATA_AUTO` to decide from the name (and the HDF5 signature), or the format
- opts   - reader options (`HGDataLoadOptionsDefault()`), or NULL for the defaults

  Output Parameter:
. data - X (MPIAIJ for LIBSVM and CSR HDF5 groups, MPIDENSE otherwise) and y

  Notes:
  The rows are laid out PETSC_DECIDE and no rank holds more than its share plus a bounded
  buffer: every rank reads its own rows of an HDF5 file (collective hyperslab reads through
  HDF5's MPI-IO driver; every rank must see the file), while text and IDX files are parsed by
  rank 0, which sends each rank its rows in chunks as they are parsed.  The result is the same
  on any number of ranks.  A bad file is a PETSc error (code `PETSC_ERR_FILE_OPEN`,
  `PETSC_ERR_FILE_READ` or `PETSC_ERR_FILE_UNEXPECTED`) on every rank whose message names the
  file, the line or record (or the rank that cannot open it), and what is wrong.  The load is
  logged as the event HGDataLoad.

  Level: beginner

.seealso: `HGDataLoad()`, `HGDataGetFromOptions()`, `HGDataDestroy()`, `HGDataWriteHDF5()`
@*/
PetscErrorCode HGDataLoadWithOptions(MPI_Comm comm, const char path[], const char labels[], HGDataFormat format, const HGDataLoadOptions *opts, HGData *data)
{
  HGDataLoadOptions defaults;
  HGReader          r;
  HGRaw             raw;

  PetscFunctionBegin;
  PetscCheck(path && path[0], comm, PETSC_ERR_ARG_NULL, "no data file name given");
  PetscCheck((int)format >= 0 && format <= HG_DATA_HDF5, comm, PETSC_ERR_ARG_OUTOFRANGE, "unknown data format %d", (int)format);
  if (!opts) {
    PetscCall(HGDataLoadOptionsDefault(&defaults));
    opts = &defaults;
  }
  PetscCall(HGInitializePackage());
  PetscCall(PetscMemzero(data, sizeof(*data)));
  PetscCall(PetscMemzero(&r, sizeof(r)));
  PetscCall(PetscMemzero(&raw, sizeof(raw)));
  r.path   = path;
  r.labels = (labels && labels[0]) ? labels : NULL;
  r.format = format;
  r.opts   = opts;
  r.raw    = &raw;
  r.h5     = H5I_INVALID_HID;
  PetscCall(PetscLogEventBegin(HGData_Load, 0, 0, 0, 0));
  PetscCall(HGDataRunOnRoot(comm, Detect, &r));
  {
    int f = (int)r.format;
    PetscCallMPI(MPI_Bcast(&f, 1, MPI_INT, 0, comm));
    r.format = (HGDataFormat)f;
  }
  if (r.format == HG_DATA_HDF5) PetscCall(HGDataLoad_HDF5(comm, &r, data));
  else {
    PetscErrorCode ierr = HGDataStream(comm, ReadAny, &r, data);
    PetscCall(HGRawFree(&raw));
    PetscCall(ierr);
  }
  PetscCall(CountClasses(data->y, &data->nclasses));
  PetscCall(PetscLogEventEnd(HGData_Load, 0, 0, 0, 0));
  PetscCall(PetscInfo(NULL, "%s: %" PetscInt_FMT " samples x %" PetscInt_FMT " features (%s), %" PetscInt_FMT " classes\n", path, data->nsamples, data->nfeatures, r.format == HG_DATA_AUTO ? "auto" : HGDataFormats[r.format], data->nclasses));
  PetscFunctionReturn(0);
}

/*@C
  HGDataLoad - reads a data file with the default reader options (see `HGDataLoadWithOptions()`)

  Collective

  Input Parameters:
+ comm - the communicator
. path - the file
. labels - IDX only: the labels file, or NULL
- format - HG_DATA_AUTO or the format

  Output Parameter:
. data - the data set

  Level: beginner

.seealso: HGDataLoadWithOptions(), HGDataDestroy()
@*/
PetscErrorCode HGDataLoad(MPI_Comm comm, const char path[], const char labels[], HGDataFormat format, HGData *data)
{
  PetscFunctionBegin;
  PetscCall(HGDataLoadWithOptions(comm, path, labels, format, NULL, data));
  PetscFunctionReturn(0);
}

/*@C
  HGDataDestroy - frees X and y and zeroes the struct

  Collective

  Input Parameter:
. data - the data set

  Level: beginner

.seealso: HGDataLoad()
@*/
PetscErrorCode HGDataDestroy(HGData *data)
{
  PetscFunctionBegin;
  if (!data) PetscFunctionReturn(0);
  PetscCall(MatDestroy(&data->X));
  PetscCall(VecDestroy(&data->y));
  PetscCall(PetscMemzero(data, sizeof(*data)));
  PetscFunctionReturn(0);
}

/*@C
  HGDataGetClasses - the sorted distinct label values of a data set (on every rank)

  Collective

  Input Parameter:
. data - the data set

  Output Parameters:
+ nclasses - their number
- values   - the values (PetscMalloc1; the caller PetscFree()s them)

  Notes:
  Each rank sorts its own labels (the C library's qsort: n log n even when there are only two
  values, where PetscSortReal's quicksort is quadratic) and the ranks' distinct values are
  merged; no rank gathers the labels.  Logged as the event HGDataClasses.

  Level: intermediate

.seealso: `HGDataLoad()`, `HGData`
@*/
PetscErrorCode HGDataGetClasses(HGData *data, PetscInt *nclasses, PetscReal **values)
{
  MPI_Comm           comm;
  const PetscScalar *a;
  PetscReal         *loc;
  PetscInt           n, k, kall;
  PetscMPIInt        size, *counts, *displs, kk;

  PetscFunctionBegin;
  PetscCheck(data->y, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "the data set has no labels (load it first)");
  comm = PetscObjectComm((PetscObject)data->y);
  PetscCall(HGInitializePackage());
  PetscCall(PetscLogEventBegin(HGData_Classes, 0, 0, 0, 0));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  /* this rank's distinct values, then the union of the ranks' lists */
  PetscCall(VecGetLocalSize(data->y, &n));
  PetscCall(PetscMalloc1(PetscMax(n, 1), &loc));
  PetscCall(VecGetArrayRead(data->y, &a));
  for (PetscInt i = 0; i < n; i++) loc[i] = PetscRealPart(a[i]);
  PetscCall(VecRestoreArrayRead(data->y, &a));
  k = n;
  PetscCall(SortRemoveDups(&k, loc));
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  kk = (PetscMPIInt)k;
  PetscCallMPI(MPI_Allgather(&kk, 1, MPI_INT, counts, 1, MPI_INT, comm));
  displs[0] = 0;
  for (PetscMPIInt r = 1; r < size; r++) displs[r] = displs[r - 1] + counts[r - 1];
  kall = displs[size - 1] + counts[size - 1];
  PetscCall(PetscMalloc1(PetscMax(kall, 1), values));
  PetscCallMPI(MPI_Allgatherv(loc, kk, MPIU_REAL, *values, counts, displs, MPIU_REAL, comm));
  PetscCall(SortRemoveDups(&kall, *values));
  *nclasses = kall;
  PetscCall(PetscFree2(counts, displs));
  PetscCall(PetscFree(loc));
  PetscCall(PetscLogEventEnd(HGData_Classes, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* The part of n samples made of the selected rows of X: this rank's selected rows sel[0..ns)
   (global indices, ascending) take positions first, first + 1, ... of the part, whose rows are
   laid out PETSC_DECIDE.  P (n x M, one 1 per row) is assembled from the rows' owners (entries
   for other ranks' rows go through the assembly stash), out = P X. */
static PetscErrorCode SelectRows(HGData *in, PetscInt n, PetscInt ns, const PetscInt sel[], PetscInt first, HGData *out)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)in->X);
  PetscInt  m = PETSC_DECIDE, ml;
  Mat       P;
  PetscBool seq;

  PetscFunctionBegin;
  PetscCall(PetscSplitOwnership(comm, &m, &n));
  PetscCall(MatGetLocalSize(in->X, &ml, NULL));
  PetscCall(PetscObjectTypeCompareAny((PetscObject)in->X, &seq, MATSEQAIJ, MATSEQDENSE, ""));
  /* P has the family of X (seq or mpi): PETSc multiplies seqaij*seqaij and mpiaij*mpiaij, not seqaij by mpiaij */
  PetscCall(MatCreate(comm, &P));
  PetscCall(MatSetSizes(P, m, ml, n, in->nsamples));
  PetscCall(MatSetType(P, seq ? MATSEQAIJ : MATMPIAIJ));
  PetscCall(MatSeqAIJSetPreallocation(P, 1, NULL));
  PetscCall(MatMPIAIJSetPreallocation(P, 1, NULL, 1, NULL));
  for (PetscInt i = 0; i < ns; i++) PetscCall(MatSetValue(P, first + i, sel[i], 1.0, INSERT_VALUES));
  PetscCall(MatAssemblyBegin(P, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(P, MAT_FINAL_ASSEMBLY));
  PetscCall(MatMatMult(P, in->X, MAT_INITIAL_MATRIX, PETSC_DEFAULT, &out->X));
  PetscCall(MatCreateVecs(P, NULL, &out->y));
  PetscCall(MatMult(P, in->y, out->y));
  PetscCall(MatDestroy(&P));
  out->nsamples  = n;
  out->nfeatures = in->nfeatures;
  PetscCall(CountClasses(out->y, &out->nclasses));
  PetscFunctionReturn(0);
}

/* The bit pattern of a key in (0, 1): ordered like the key */
static inline uint64_t KeyBits(PetscReal k)
{
  uint64_t b;
  memcpy(&b, &k, sizeof(b));
  return b;
}

/* For each of the nb positions e[b] of the sorted order of the M keys (key, then index:
   lexicographic), the threshold key T[b] (bits) and how many of the keys equal to it, counted
   in index order, fall before the position (tie[b]): the sample with key bits u and index i is
   before e[b] iff u < T[b], or u == T[b] and it is among the first tie[b] such samples.  A
   bisection on the bits, each step one pass over this rank's keys and one reduction: no rank
   holds more than its own keys. */
static PetscErrorCode SplitThresholds(MPI_Comm comm, PetscInt m, const uint64_t *u, PetscInt nb, const PetscInt e[], uint64_t T[], PetscInt64 tie[])
{
  uint64_t   *lo, *hi;
  PetscInt64 *cnt, *all;

  PetscFunctionBegin;
  PetscCall(PetscMalloc4(nb + 1, &lo, nb + 1, &hi, nb + 1, &cnt, nb + 1, &all));
  for (PetscInt b = 0; b < nb; b++) lo[b] = 0, hi[b] = KeyBits(1.0);
  /* smallest T with #(u <= T) >= e */
  for (int it = 0; it < 70; it++) {
    PetscBool done = PETSC_TRUE;
    for (PetscInt b = 0; b < nb; b++) {
      uint64_t mid = lo[b] + (hi[b] - lo[b]) / 2;
      cnt[b]       = 0;
      if (lo[b] < hi[b]) done = PETSC_FALSE;
      for (PetscInt i = 0; i < m; i++) cnt[b] += u[i] <= mid;
    }
    if (done) break;
    PetscCall(MPIU_Allreduce(cnt, all, nb, MPIU_INT64, MPI_SUM, comm));
    for (PetscInt b = 0; b < nb; b++) {
      uint64_t mid = lo[b] + (hi[b] - lo[b]) / 2;
      if (lo[b] >= hi[b]) continue;
      if (all[b] >= e[b]) hi[b] = mid;
      else lo[b] = mid + 1;
    }
  }
  /* ties: e minus the number of keys below T */
  for (PetscInt b = 0; b < nb; b++) {
    T[b]   = lo[b];
    cnt[b] = 0;
    for (PetscInt i = 0; i < m; i++) cnt[b] += u[i] < T[b];
  }
  PetscCall(MPIU_Allreduce(cnt, all, nb, MPIU_INT64, MPI_SUM, comm));
  for (PetscInt b = 0; b < nb; b++) tie[b] = e[b] - all[b];
  PetscCall(PetscFree4(lo, hi, cnt, all));
  PetscFunctionReturn(0);
}

/*@C
  HGDataSplit - splits a data set at random into parts (train/validation/test)

  Collective

  Input Parameters:
+ data      - the data set (not changed)
. nparts    - the number of parts
. fractions - their fractions of the samples (positive, summing to 1; the paper uses thirds)
- seed      - the seed of the permutation

  Output Parameter:
. parts - nparts data sets; part k holds the samples whose position in the permutation falls
          in the k-th interval of the cumulative fractions, kept in their original order

  Notes:
  The permutation sorts the samples by a hash of (seed, index): it is the same on any number
  of ranks, and so are the parts (rows are copied exactly).  Part k has
  round(c_k M) - round(c_{k-1} M) samples, c the cumulative fractions; every part must get
  at least one sample.

  Level: intermediate

.seealso: HGDataGetFromOptions()
@*/
PetscErrorCode HGDataSplit(HGData *data, PetscInt nparts, const PetscReal fractions[], PetscInt64 seed, HGData parts[])
{
  MPI_Comm   comm;
  PetscInt   M = data->nsamples, start = 0;
  PetscReal  sum = 0, cum = 0;

  PetscFunctionBegin;
  PetscCheck(data->X && data->y, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "HGDataSplit: the data set is empty (load it first)");
  comm = PetscObjectComm((PetscObject)data->X);
  PetscCheck(nparts >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "HGDataSplit: nparts must be positive, got %" PetscInt_FMT, nparts);
  for (PetscInt k = 0; k < nparts; k++) {
    PetscCheck(fractions[k] > 0 && fractions[k] <= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-data_split: fraction %" PetscInt_FMT " is %g; fractions must lie in (0, 1]", k, (double)fractions[k]);
    sum += fractions[k];
  }
  PetscCheck(PetscAbsReal(sum - 1.0) < 1e-3, comm, PETSC_ERR_ARG_OUTOFRANGE, "-data_split: the fractions sum to %g, not 1", (double)sum);
  for (PetscInt k = 0; k < nparts; k++) { /* every part non-empty, checked before anything is allocated */
    PetscInt end;
    cum += fractions[k] / sum;
    end = k == nparts - 1 ? M : (PetscInt)PetscFloorReal(cum * M + 0.5);
    PetscCheck(end - start > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "HGDataSplit: part %" PetscInt_FMT " of the %" PetscInt_FMT " samples would be empty (fraction %g): use larger fractions or more data", k, M, (double)fractions[k]);
    start = end;
  }
  start = 0, cum = 0;
  PetscCall(HGInitializePackage());
  PetscCall(PetscLogEventBegin(HGData_Split, 0, 0, 0, 0));
  {
    PetscInt    lo, hi, m, *e, *sel, *part;
    uint64_t   *u, *T;
    PetscInt64 *tie, *teq, *tbefore, *scan;
    PetscMPIInt rank;

    PetscCallMPI(MPI_Comm_rank(comm, &rank));
    PetscCall(VecGetOwnershipRange(data->y, &lo, &hi));
    m = hi - lo;
    PetscCall(PetscMalloc6(nparts, &e, nparts, &T, nparts, &tie, nparts, &teq, nparts, &tbefore, nparts, &scan));
    for (PetscInt k = 0; k < nparts; k++) { /* the ends of the parts in the sorted order */
      cum += fractions[k] / sum;
      e[k] = k == nparts - 1 ? M : (PetscInt)PetscFloorReal(cum * M + 0.5);
    }
    PetscCall(PetscMalloc3(PetscMax(m, 1), &u, PetscMax(m, 1), &sel, PetscMax(m, 1), &part));
    for (PetscInt i = 0; i < m; i++) u[i] = KeyBits(HGHashUniform(seed, STREAM_SPLIT, lo + i));
    PetscCall(SplitThresholds(comm, m, u, nparts - 1, e, T, tie));
    /* keys equal to a threshold are taken in index order: this rank's first ones are preceded by
       those of the lower ranks */
    for (PetscInt b = 0; b < nparts - 1; b++) {
      teq[b] = 0;
      for (PetscInt i = 0; i < m; i++) teq[b] += u[i] == T[b];
    }
    if (nparts > 1) PetscCallMPI(MPI_Exscan(teq, scan, (PetscMPIInt)(nparts - 1), MPIU_INT64, MPI_SUM, comm));
    for (PetscInt b = 0; b < nparts - 1; b++) tbefore[b] = rank ? scan[b] : 0;
    /* part of every local sample: the number of boundaries it is not before */
    for (PetscInt i = 0; i < m; i++) {
      PetscInt k = 0;
      for (PetscInt b = 0; b < nparts - 1; b++) {
        PetscBool before = u[i] < T[b] ? PETSC_TRUE : PETSC_FALSE;
        if (u[i] == T[b]) before = tbefore[b]++ < tie[b] ? PETSC_TRUE : PETSC_FALSE;
        if (!before) k = b + 1;
      }
      part[i] = k;
    }
    for (PetscInt k = 0; k < nparts; k++) {
      PetscInt end = e[k], ns = 0, first = 0;
      for (PetscInt i = 0; i < m; i++)
        if (part[i] == k) sel[ns++] = lo + i;
      PetscCallMPI(MPI_Exscan(&ns, &first, 1, MPIU_INT, MPI_SUM, comm));
      if (!rank) first = 0;
      PetscCall(SelectRows(data, end - start, ns, sel, first, &parts[k]));
      start = end;
    }
    PetscCall(PetscFree3(u, sel, part));
    PetscCall(PetscFree6(e, T, tie, teq, tbefore, scan));
  }
  PetscCall(PetscLogEventEnd(HGData_Split, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* Column means and scales (1/std, 1 for constant columns) of X over all its rows, in one
   pass over the data: sums of x - K_j and (x - K_j)^2 with a shift K_j = X(0, j) (broadcast
   from the rank that owns row 0), so that the variance does not cancel when |mean| >> std. */
static PetscErrorCode ColumnStats(Mat X, PetscInt M, PetscInt N, PetscBool sparse, PetscReal *mean, PetscReal *scale)
{
  MPI_Comm   comm = PetscObjectComm((PetscObject)X);
  PetscInt   lo, hi;
  PetscReal *K, *loc, *glob; /* loc/glob: [0, N) sums, [N, 2N) sums of squares, [2N, 3N) counts */

  PetscFunctionBegin;
  PetscCall(MatGetOwnershipRange(X, &lo, &hi));
  PetscCall(PetscCalloc3(N, &K, 3 * N, &loc, 3 * N, &glob));
  if (lo == 0 && hi > 0) { /* the shift: row 0 */
    PetscInt           nc;
    const PetscInt    *c;
    const PetscScalar *v;
    PetscCall(MatGetRow(X, 0, &nc, &c, &v));
    for (PetscInt k = 0; k < nc; k++) K[c[k]] = PetscRealPart(v[k]);
    PetscCall(MatRestoreRow(X, 0, &nc, &c, &v));
  }
  PetscCall(MPIU_Allreduce(K, loc, N, MPIU_REAL, MPIU_SUM, comm)); /* only the owner of row 0 contributes */
  PetscCall(PetscArraycpy(K, loc, N));
  PetscCall(PetscArrayzero(loc, N));
  if (sparse) {
    for (PetscInt i = lo; i < hi; i++) {
      PetscInt           nc;
      const PetscInt    *c;
      const PetscScalar *v;
      PetscCall(MatGetRow(X, i, &nc, &c, &v));
      for (PetscInt k = 0; k < nc; k++) {
        PetscReal d = PetscRealPart(v[k]) - K[c[k]];
        loc[c[k]] += d;
        loc[N + c[k]] += d * d;
        loc[2 * N + c[k]] += 1;
      }
      PetscCall(MatRestoreRow(X, i, &nc, &c, &v));
    }
  } else {
    const PetscScalar *a;
    PetscInt           lda;
    PetscCall(MatDenseGetLDA(X, &lda));
    PetscCall(MatDenseGetArrayRead(X, &a));
    for (PetscInt j = 0; j < N; j++) {
      PetscReal s1 = 0, s2 = 0;
      for (PetscInt i = 0; i < hi - lo; i++) {
        PetscReal d = PetscRealPart(a[i + (size_t)j * lda]) - K[j];
        s1 += d;
        s2 += d * d;
      }
      loc[j] = s1, loc[N + j] = s2, loc[2 * N + j] = hi - lo;
    }
    PetscCall(MatDenseRestoreArrayRead(X, &a));
  }
  PetscCall(MPIU_Allreduce(loc, glob, 3 * N, MPIU_REAL, MPIU_SUM, comm));
  for (PetscInt j = 0; j < N; j++) {
    PetscReal s1 = glob[j], s2 = glob[N + j], zeros = M - glob[2 * N + j], v, sd;
    /* the implicit zeros of sparse data: x - K = -K each */
    s1 += zeros * (-K[j]);
    s2 += zeros * K[j] * K[j];
    mean[j]  = K[j] + s1 / M;
    v        = PetscMax(s2 / M - (s1 / M) * (s1 / M), 0.0);
    sd       = PetscSqrtReal(v);
    scale[j] = (sd > 0 && sd > 64 * PETSC_MACHINE_EPSILON * PetscAbsReal(mean[j])) ? 1.0 / sd : 1.0;
  }
  PetscCall(PetscFree3(K, loc, glob));
  PetscFunctionReturn(0);
}

static PetscErrorCode ApplyAffine(HGData *d, PetscBool sparse, const PetscReal *mean, const PetscReal *scale)
{
  PetscFunctionBegin;
  if (sparse) {
    Vec          s;
    PetscInt     lo, hi;
    PetscScalar *a;
    PetscCall(MatCreateVecs(d->X, &s, NULL));
    PetscCall(VecGetOwnershipRange(s, &lo, &hi));
    PetscCall(VecGetArrayWrite(s, &a));
    for (PetscInt j = lo; j < hi; j++) a[j - lo] = scale[j];
    PetscCall(VecRestoreArrayWrite(s, &a));
    PetscCall(MatDiagonalScale(d->X, NULL, s));
    PetscCall(VecDestroy(&s));
  } else {
    PetscScalar *a;
    PetscInt     lda, m;
    PetscCall(MatGetLocalSize(d->X, &m, NULL));
    PetscCall(MatDenseGetLDA(d->X, &lda));
    PetscCall(MatDenseGetArray(d->X, &a));
    for (PetscInt j = 0; j < d->nfeatures; j++)
      for (PetscInt i = 0; i < m; i++) a[i + (size_t)j * lda] = (a[i + (size_t)j * lda] - mean[j]) * scale[j];
    PetscCall(MatDenseRestoreArray(d->X, &a));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode IsSparse(Mat X, PetscBool *sparse)
{
  PetscBool dense;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompareAny((PetscObject)X, &dense, MATMPIDENSE, MATSEQDENSE, MATDENSE, ""));
  *sparse = dense ? PETSC_FALSE : PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*@C
  HGDataStandardize - standardizes the features: the column means and standard deviations
  of ref (population variance, over all its samples) define x -> (x - mean) / std, applied to
  ref and to every set in others

  Collective

  Input Parameters:
+ ref - the set whose statistics are used (changed)
. nothers - number of other sets
- others - the other sets (changed)

  Notes:
  Constant columns are only centered.  Sparse (MPIAIJ) data are only scaled, x -> x / std,
  so that they stay sparse (the std is still that of the full column, zeros included).
  The statistics take one pass over the data (sums of x - K and (x - K)^2 with K the first
  row, so that the variance does not cancel) and one reduction across ranks: results agree
  across rank counts to rounding.  Logged as the event HGDataStandardiz.

  Level: intermediate

.seealso: HGDataSplit()
@*/
PetscErrorCode HGDataStandardize(HGData *ref, PetscInt nothers, HGData others[])
{
  PetscReal *mean, *scale;
  PetscBool  sparse, osparse;

  PetscFunctionBegin;
  PetscCheck(ref && ref->X, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "HGDataStandardize: the reference data set is empty");
  PetscCall(IsSparse(ref->X, &sparse));
  for (PetscInt k = 0; k < nothers; k++) {
    if (!others[k].X) continue;
    PetscCheck(others[k].nfeatures == ref->nfeatures, PetscObjectComm((PetscObject)ref->X), PETSC_ERR_ARG_SIZ, "HGDataStandardize: data set %" PetscInt_FMT " has %" PetscInt_FMT " features, the reference set %" PetscInt_FMT, k, others[k].nfeatures, ref->nfeatures);
  }
  PetscCall(HGInitializePackage());
  PetscCall(PetscLogEventBegin(HGData_Standardize, 0, 0, 0, 0));
  PetscCall(PetscMalloc2(ref->nfeatures, &mean, ref->nfeatures, &scale));
  PetscCall(ColumnStats(ref->X, ref->nsamples, ref->nfeatures, sparse, mean, scale));
  PetscCall(ApplyAffine(ref, sparse, mean, scale));
  for (PetscInt k = 0; k < nothers; k++) {
    if (!others[k].X) continue;
    PetscCall(IsSparse(others[k].X, &osparse));
    PetscCall(ApplyAffine(&others[k], (PetscBool)(sparse || osparse), mean, scale));
  }
  PetscCall(PetscFree2(mean, scale));
  PetscCall(PetscLogEventEnd(HGData_Standardize, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* This rank's rows as CSR (global columns) or dense row major */
static PetscErrorCode LocalRows(HGData *d, PetscBool sparse, PetscInt *m, PetscInt **ii, PetscInt **jj, PetscScalar **aa)
{
  PetscInt lo, hi, N = d->nfeatures;

  PetscFunctionBegin;
  PetscCall(MatGetOwnershipRange(d->X, &lo, &hi));
  *m = hi - lo;
  if (sparse) {
    PetscInt nnz = 0;
    PetscCall(PetscMalloc1(*m + 1, ii));
    (*ii)[0] = 0;
    for (PetscInt i = lo; i < hi; i++) {
      PetscInt nc;
      PetscCall(MatGetRow(d->X, i, &nc, NULL, NULL));
      nnz += nc;
      (*ii)[i - lo + 1] = nnz;
      PetscCall(MatRestoreRow(d->X, i, &nc, NULL, NULL));
    }
    PetscCall(PetscMalloc2(nnz, jj, nnz, aa));
    for (PetscInt i = lo; i < hi; i++) {
      PetscInt           nc;
      const PetscInt    *c;
      const PetscScalar *v;
      PetscCall(MatGetRow(d->X, i, &nc, &c, &v));
      PetscCall(PetscArraycpy(*jj + (*ii)[i - lo], c, nc));
      PetscCall(PetscArraycpy(*aa + (*ii)[i - lo], v, nc));
      PetscCall(MatRestoreRow(d->X, i, &nc, &c, &v));
    }
  } else {
    const PetscScalar *a;
    PetscInt           lda;
    *ii = *jj = NULL;
    PetscCall(PetscMalloc1((size_t)(*m) * N, aa));
    PetscCall(MatDenseGetLDA(d->X, &lda));
    PetscCall(MatDenseGetArrayRead(d->X, &a));
    for (PetscInt i = 0; i < *m; i++)
      for (PetscInt j = 0; j < N; j++) (*aa)[(size_t)i * N + j] = a[i + (size_t)j * lda];
    PetscCall(MatDenseRestoreArrayRead(d->X, &a));
  }
  PetscFunctionReturn(0);
}

/*@C
  HGDataGatherDense - the whole data matrix, row major, on every rank (for small dense
  problems that need all samples everywhere, e.g. kernel matrices)

  Collective

  Input Parameter:
. data - the data set

  Output Parameter:
. x - nsamples * nfeatures values, sample i at x + i * nfeatures (PetscFree() it)

  Level: advanced
@*/
PetscErrorCode HGDataGatherDense(HGData *d, PetscScalar **x)
{
  MPI_Comm     comm;
  PetscMPIInt  size, *counts, *displs;
  PetscInt     m = 0, N = d->nfeatures, *ii, *jj;
  PetscScalar *aa, *rows;
  PetscBool    sparse;

  PetscFunctionBegin;
  PetscCheck(d->X, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "HGDataGatherDense: the data set is empty");
  comm = PetscObjectComm((PetscObject)d->X);
  PetscCheck((PetscInt64)d->nsamples * N < PETSC_MPI_INT_MAX, comm, PETSC_ERR_SUP, "HGDataGatherDense: %" PetscInt_FMT " x %" PetscInt_FMT " is too large to gather on every rank", d->nsamples, N);
  PetscCall(IsSparse(d->X, &sparse));
  PetscCall(LocalRows(d, sparse, &m, &ii, &jj, &aa));
  if (sparse) {
    PetscCall(PetscCalloc1((size_t)m * N, &rows));
    for (PetscInt i = 0; i < m; i++)
      for (PetscInt k = ii[i]; k < ii[i + 1]; k++) rows[(size_t)i * N + jj[k]] = aa[k];
    PetscCall(PetscFree(ii));
    PetscCall(PetscFree2(jj, aa));
  } else rows = aa;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  {
    PetscMPIInt c = (PetscMPIInt)(m * N);
    PetscCallMPI(MPI_Allgather(&c, 1, MPI_INT, counts, 1, MPI_INT, comm));
  }
  displs[0] = 0;
  for (PetscMPIInt r = 1; r < size; r++) displs[r] = displs[r - 1] + counts[r - 1];
  PetscCall(PetscMalloc1((size_t)d->nsamples * N, x));
  PetscCallMPI(MPI_Allgatherv(rows, (PetscMPIInt)(m * N), MPIU_SCALAR, *x, counts, displs, MPIU_SCALAR, comm));
  PetscCall(PetscFree2(counts, displs));
  PetscCall(PetscFree(rows));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------ */
/* Options                                                                    */

/* Widen or check the feature counts of the sets read from files: LIBSVM files are re-read
   with the largest width seen, other formats must agree */
typedef struct {
  char          file[PETSC_MAX_PATH_LEN], labels[PETSC_MAX_PATH_LEN];
  const char   *opt;
  HGData       *d;
} DataFile;

/*@C
  HGDataLoadOptionsSetFromOptions - reads the format and the reader options (-data_format,
  -data_max_samples, -data_nfeatures, -data_csv_*) from the options database

  Collective

  Input Parameters:
+ comm   - the communicator of the data
- prefix - the options prefix, or NULL

  Output Parameters:
+ format - the format (HG_DATA_AUTO unless -data_format is given)
- opts   - the reader options (HGDataLoadOptionsDefault() where not given)

  Options Database Keys:
+ -data_format <auto,libsvm,csv,idx,hdf5> - format of the data files
. -data_max_samples <0>                   - read only the first N samples of each file
. -data_nfeatures <0>                     - LIBSVM: number of features (0: the largest index seen)
. -data_csv_label_column <last>           - CSV: label column, header name or 0-based index
. -data_csv_skip_columns <a,b>            - CSV: columns to drop (names or 0-based indices)
. -data_csv_header <true>                 - CSV: the first line is a header
. -data_csv_delimiter <,>                 - CSV: the field separator (one character, or \\t)
. -data_hdf5_mpiio <false>                - HDF5: read through HDF5's MPI-IO driver instead of every rank's own POSIX reads of its rows
- -data_hdf5_csr_count <false>            - HDF5 CSR, several ranks: a counting pass over the indices sizes the diagonal and off-diagonal blocks exactly (default: each is reserved for the rank's nonzeros, only the filled pages become resident; the reader falls back to counting when the reservation is refused)

  Level: developer

.seealso: HGDataGetFromOptions(), HGDataLoadWithOptions(), HGDataLoadOptionsDefault()
@*/
PetscErrorCode HGDataLoadOptionsSetFromOptions(MPI_Comm comm, const char prefix[], HGDataFormat *format, HGDataLoadOptions *opts)
{
  char      label[256] = "", delim[8] = ",";
  char     *skip[HG_DATA_MAX_COLUMNS];
  PetscInt  nskip   = HG_DATA_MAX_COLUMNS;
  PetscBool skipset = PETSC_FALSE;

  PetscFunctionBegin;
  *format = HG_DATA_AUTO;
  PetscCall(HGDataLoadOptionsDefault(opts));
  PetscOptionsBegin(comm, prefix, "Data readers (hypergrad)", "HGData");
  PetscCall(PetscOptionsEnum("-data_format", "Format of the data files", "HGDataLoad", HGDataFormats, (PetscEnum)*format, (PetscEnum *)format, NULL));
  PetscCall(PetscOptionsInt("-data_max_samples", "Read only the first N samples of each file (0: all)", "HGDataLoad", opts->max_samples, &opts->max_samples, NULL));
  PetscCall(PetscOptionsInt("-data_nfeatures", "LIBSVM: number of features (0: the largest index)", "HGDataLoad", opts->nfeatures, &opts->nfeatures, NULL));
  PetscCall(PetscOptionsString("-data_csv_label_column", "CSV: label column, by header name or 0-based index (default: the last)", "HGDataLoad", label, label, sizeof(label), NULL));
  PetscCall(PetscOptionsStringArray("-data_csv_skip_columns", "CSV: columns to drop, by header name or 0-based index", "HGDataLoad", skip, &nskip, &skipset));
  PetscCall(PetscOptionsBool("-data_csv_header", "CSV: the first line is a header", "HGDataLoad", opts->csv_header, &opts->csv_header, NULL));
  PetscCall(PetscOptionsString("-data_csv_delimiter", "CSV: field separator", "HGDataLoad", delim, delim, sizeof(delim), NULL));
  PetscCall(PetscOptionsBool("-data_hdf5_mpiio", "HDF5: read through HDF5's MPI-IO driver (default: every rank reads its rows with its own POSIX reads)", "HGDataLoad", opts->hdf5_mpiio, &opts->hdf5_mpiio, NULL));
  PetscCall(PetscOptionsBool("-data_hdf5_csr_count", "HDF5 CSR, several ranks: size the two blocks by a counting pass over the indices (default: reserve the rank's nonzeros for each)", "HGDataLoad", opts->hdf5_csr_count, &opts->hdf5_csr_count, NULL));
  PetscOptionsEnd();
  if (!skipset) nskip = 0;
  PetscCall(PetscStrncpy(opts->csv_label, label, sizeof(opts->csv_label)));
  opts->csv_nskip = nskip;
  for (PetscInt k = 0; k < nskip; k++) {
    PetscCall(PetscStrncpy(opts->csv_skip[k], skip[k], sizeof(opts->csv_skip[k])));
    PetscCall(PetscFree(skip[k]));
  }
  if (!strcmp(delim, "\\t") || !strcmp(delim, "tab")) opts->csv_delimiter = '\t';
  else {
    PetscCheck(strlen(delim) == 1, comm, PETSC_ERR_ARG_WRONG, "-data_csv_delimiter must be one character (or \\t), got \"%s\"", delim);
    opts->csv_delimiter = delim[0];
  }
  PetscCheck(opts->max_samples >= 0 && opts->nfeatures >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-data_max_samples and -data_nfeatures must be >= 0");
  PetscFunctionReturn(0);
}

/*@C
  HGDataGetFromOptions - loads the training, validation and (optionally) test sets named by
  the options of a problem

  Collective

  Input Parameters:
+ comm   - the communicator of the data
- prefix - the options prefix of the problem (or NULL)

  Output Parameters:
+ found - PETSC_FALSE when no -data option was given (the problem uses its synthetic data)
. train - the training set
. val   - the validation set
- test  - the test set (may be NULL; zeroed when no test set is given)

  Options Database Keys:
+ -data_train <file>, -data_train_labels <file> - training set (labels: IDX only)
. -data_val <file>, -data_val_labels <file>     - validation set
. -data_test <file>, -data_test_labels <file>   - test set
. -data <file>, -data_labels <file>             - one file, split at random with -data_split
. -data_split <1/3,1/3,1/3>                     - fractions of train, validation (and test)
. -data_seed <0>                                - seed of the split
. -data_format <auto,libsvm,csv,idx,hdf5>       - file format (auto: from the name)
. -data_standardize                             - standardize the features with the training statistics
. -data_max_samples <0>                         - read only the first N samples of each file
. -data_nfeatures <0>                           - LIBSVM: number of features (0: the largest index seen)
. -data_csv_label_column <last>                 - CSV: label column, header name or 0-based index
. -data_csv_skip_columns <a,b>                  - CSV: columns to drop (names or 0-based indices)
. -data_csv_header <true>                       - CSV: the first line is a header
- -data_csv_delimiter <,>                       - CSV: the field separator

  Notes:
  The training and validation sets (and test set) must have the same number of features:
  LIBSVM files are widened to the largest index found in any of them; other formats must agree.

  Level: intermediate

.seealso: HGDataLoad(), HGDataSplit(), HGDataStandardize()
@*/
PetscErrorCode HGDataGetFromOptions(MPI_Comm comm, const char prefix[], PetscBool *found, HGData *train, HGData *val, HGData *test)
{
  HGDataLoadOptions opts;
  HGDataFormat      format = HG_DATA_AUTO;
  char              one[PETSC_MAX_PATH_LEN] = "", onel[PETSC_MAX_PATH_LEN] = "";
  PetscInt          seed = 0, nfrac = 3;
  PetscReal         frac[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
  PetscBool         standardize = PETSC_FALSE, fset = PETSC_FALSE, hasone, hastr, hasval, hastest;
  DataFile          f[3];
  HGData            dummy;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(train, sizeof(*train)));
  PetscCall(PetscMemzero(val, sizeof(*val)));
  if (test) PetscCall(PetscMemzero(test, sizeof(*test)));
  PetscCall(PetscMemzero(f, sizeof(f)));
  PetscCall(PetscMemzero(&dummy, sizeof(dummy)));
  f[0].opt = "-data_train", f[1].opt = "-data_val", f[2].opt = "-data_test";
  f[0].d = train, f[1].d = val, f[2].d = test ? test : &dummy;
  PetscOptionsBegin(comm, prefix, "Data sets (hypergrad)", "HGData");
  PetscCall(PetscOptionsString("-data", "One data file, split with -data_split", "HGDataGetFromOptions", one, one, sizeof(one), &hasone));
  PetscCall(PetscOptionsString("-data_labels", "Labels file of -data (IDX)", "HGDataGetFromOptions", onel, onel, sizeof(onel), NULL));
  PetscCall(PetscOptionsString("-data_train", "Training data file", "HGDataGetFromOptions", f[0].file, f[0].file, sizeof(f[0].file), &hastr));
  PetscCall(PetscOptionsString("-data_train_labels", "Labels file of -data_train (IDX)", "HGDataGetFromOptions", f[0].labels, f[0].labels, sizeof(f[0].labels), NULL));
  PetscCall(PetscOptionsString("-data_val", "Validation data file", "HGDataGetFromOptions", f[1].file, f[1].file, sizeof(f[1].file), &hasval));
  PetscCall(PetscOptionsString("-data_val_labels", "Labels file of -data_val (IDX)", "HGDataGetFromOptions", f[1].labels, f[1].labels, sizeof(f[1].labels), NULL));
  PetscCall(PetscOptionsString("-data_test", "Test data file", "HGDataGetFromOptions", f[2].file, f[2].file, sizeof(f[2].file), &hastest));
  PetscCall(PetscOptionsString("-data_test_labels", "Labels file of -data_test (IDX)", "HGDataGetFromOptions", f[2].labels, f[2].labels, sizeof(f[2].labels), NULL));
  PetscCall(PetscOptionsRealArray("-data_split", "Fractions of train, validation (and test) for -data", "HGDataSplit", frac, &nfrac, &fset));
  PetscCall(PetscOptionsInt("-data_seed", "Seed of the split", "HGDataSplit", seed, &seed, NULL));
  PetscCall(PetscOptionsBool("-data_standardize", "Standardize the features (statistics of the training set)", "HGDataStandardize", standardize, &standardize, NULL));
  PetscOptionsEnd();
  if (!fset) { /* not given: equal thirds (PetscOptionsRealArray resets the count) */
    nfrac = 3;
    for (PetscInt k = 0; k < 3; k++) frac[k] = 1.0 / 3;
  }
  PetscCall(HGDataLoadOptionsSetFromOptions(comm, prefix, &format, &opts));

  *found = (hasone || hastr || hasval || hastest) ? PETSC_TRUE : PETSC_FALSE;
  if (!*found) PetscFunctionReturn(0);
  if (hasone) {
    HGData all, parts[3];
    PetscCheck(!hastr && !hasval && !hastest, comm, PETSC_ERR_ARG_INCOMP, "give either -data FILE (split with -data_split) or -data_train/-data_val/-data_test, not both");
    PetscCheck(nfrac == 2 || nfrac == 3, comm, PETSC_ERR_ARG_SIZ, "-data_split takes 2 or 3 fractions (train,val[,test]); got %" PetscInt_FMT, nfrac);
    PetscCall(HGDataLoadWithOptions(comm, one, onel, format, &opts, &all));
    PetscCall(HGDataSplit(&all, nfrac, frac, seed, parts));
    PetscCall(HGDataDestroy(&all));
    *train = parts[0];
    *val   = parts[1];
    if (nfrac == 3) {
      if (test) *test = parts[2];
      else PetscCall(HGDataDestroy(&parts[2]));
    }
  } else {
    PetscInt nmax = 0;
    PetscCheck(hastr && hasval, comm, PETSC_ERR_ARG_WRONG, "%s given without %s: give both -data_train FILE and -data_val FILE, or one -data FILE to split", hastr ? "-data_train" : "-data_val", hastr ? "-data_val" : "-data_train");
    PetscCheck(!fset, comm, PETSC_ERR_ARG_INCOMP, "-data_split applies to -data FILE only");
    for (PetscInt k = 0; k < 3; k++) {
      if (!f[k].file[0]) continue;
      PetscCall(HGDataLoadWithOptions(comm, f[k].file, f[k].labels, format, &opts, f[k].d));
      nmax = PetscMax(nmax, f[k].d->nfeatures);
    }
    for (PetscInt k = 0; k < 3; k++) {
      PetscBool sparse;
      if (!f[k].file[0] || f[k].d->nfeatures == nmax) continue;
      PetscCall(IsSparse(f[k].d->X, &sparse));
      PetscCheck(sparse && !opts.nfeatures, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %" PetscInt_FMT " features, but another data file has %" PetscInt_FMT ": training, validation and test data must have the same features", f[k].file, f[k].d->nfeatures, nmax);
      /* LIBSVM (or CSR HDF5): re-read as wide as the widest */
      PetscCall(HGDataDestroy(f[k].d));
      opts.nfeatures = nmax;
      PetscCall(HGDataLoadWithOptions(comm, f[k].file, f[k].labels, format, &opts, f[k].d));
      opts.nfeatures = 0;
      PetscCheck(f[k].d->nfeatures == nmax, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %" PetscInt_FMT " features, but another data file has %" PetscInt_FMT ": training, validation and test data must have the same features", f[k].file, f[k].d->nfeatures, nmax);
    }
    if (!test) PetscCall(HGDataDestroy(&dummy));
  }
  if (standardize) {
    HGData others[2];
    others[0] = *val;
    PetscCall(PetscMemzero(&others[1], sizeof(HGData)));
    if (test) others[1] = *test;
    PetscCall(HGDataStandardize(train, 2, others));
  }
  PetscFunctionReturn(0);
}
