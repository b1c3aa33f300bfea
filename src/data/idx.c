/*
   IDX reader (rank 0): MNIST / Fashion-MNIST images (magic 0x00000803: unsigned bytes,
   n x rows x cols) and labels (0x00000801: n unsigned bytes), gzip-compressed or not.
   Each image is one sample of rows*cols features scaled to [0, 1] (pixel / 255); the
   matrix is dense.  When no labels file is given, the one beside the images with
   "images-idx3" replaced by "labels-idx1" in its name is used.
*/
#include "dataimpl.h"

/* Read exactly n bytes or report what is wrong with the file */
static PetscErrorCode ReadBytes(gzFile gz, const char *path, void *buf, size_t n, const char *what, PetscInt64 record, PetscBool *eof)
{
  int got = gzread(gz, buf, (unsigned)n);

  PetscFunctionBegin;
  if (eof) *eof = PETSC_FALSE;
  if (got == (int)n) PetscFunctionReturn(0);
  {
    int         zerr;
    const char *zmsg = gzerror(gz, &zerr);
    if (got == 0 && eof && zerr == Z_OK) {
      *eof = PETSC_TRUE;
      PetscFunctionReturn(0);
    }
    PetscCheck(zerr == Z_OK || zerr == Z_STREAM_END || zerr == Z_BUF_ERROR, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: %s %" PetscInt64_FMT ": the gzip stream is corrupt (%s): re-create or re-download the file", path, what, record, zmsg);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s %" PetscInt64_FMT ": the file is truncated (%d of %zu bytes%s%s): re-create or re-download it", path, what, record, got < 0 ? 0 : got, n, zerr != Z_OK ? "; zlib: " : "", zerr != Z_OK ? zmsg : "");
  }
}

static PetscErrorCode Header(gzFile gz, const char *path, int wantdims, const char *kind, PetscInt64 dims[3], int *ndims)
{
  unsigned char m[4], d[4];
  const int     expect = wantdims == 1 ? 0x801 : 0x803;

  PetscFunctionBegin;
  {
    int got = gzread(gz, m, 4);
    PetscCheck(got != 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: the file is empty: expected an IDX %s file (magic 0x%08x)", path, kind, expect);
    PetscCheck(got == 4, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: record 0 (header): the file is truncated (%d of 4 bytes of the magic number)", path, got < 0 ? 0 : got);
  }
  PetscCheck(m[0] == 0 && m[1] == 0 && m[3] >= 1 && m[3] <= 3, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: record 0 (header): bad magic number 0x%02x%02x%02x%02x: not an IDX %s file (expected 0x%08x)", path, m[0], m[1], m[2], m[3], kind, expect);
  PetscCheck(m[2] == 0x08, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: record 0 (header): IDX element type 0x%02x is not supported: only unsigned bytes (0x08, as in MNIST)", path, m[2]);
  *ndims = m[3];
  PetscCheck(wantdims == 1 ? m[3] == 1 : m[3] >= 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: record 0 (header): bad magic number 0x%02x%02x%02x%02x: %d dimensions, an IDX %s file has %s (magic 0x%08x)", path, m[0], m[1], m[2], m[3], m[3], kind, wantdims == 1 ? "1" : "2 or 3", expect);
  for (int k = 0; k < m[3]; k++) {
    PetscCall(ReadBytes(gz, path, d, 4, "record 0 (header), dimension", k, NULL));
    dims[k] = ((PetscInt64)d[0] << 24) | ((PetscInt64)d[1] << 16) | ((PetscInt64)d[2] << 8) | (PetscInt64)d[3];
    PetscCheck(dims[k] > 0 || (k == 0 && dims[k] == 0), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: record 0 (header): dimension %d is %" PetscInt64_FMT, path, k, dims[k]);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode HGDataRead_IDX(HGReader *r)
{
  HGRaw        *raw  = r->raw;
  const char   *path = r->path;
  char          lpath[PETSC_MAX_PATH_LEN];
  PetscInt64    dims[3] = {0, 0, 0}, ldims[3] = {0, 0, 0}, n, N = 1;
  int           nd, lnd;
  unsigned char *buf;
  PetscBool     eof;

  PetscFunctionBegin;
  raw->sparse = PETSC_FALSE;
  if (r->labels) PetscCall(PetscStrncpy(lpath, r->labels, sizeof(lpath)));
  else {
    const char *at = strstr(path, "images-idx3");
    PetscCheck(at, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "%s: IDX images need a labels file: give it with -data_labels (or -data_train_labels, ...)", path);
    PetscCall(PetscStrncpy(lpath, path, sizeof(lpath)));
    memcpy(lpath + (at - path), "labels-idx1", 11);
  }
  r->gz = gzopen(path, "rb");
  PetscCheck(r->gz, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot open the IDX images file: %s", path, strerror(errno));
  r->gzl = gzopen(lpath, "rb");
  PetscCheck(r->gzl, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot open the IDX labels file of %s: %s", lpath, path, strerror(errno));
  PetscCall(Header(r->gz, path, 3, "images", dims, &nd));
  PetscCall(Header(r->gzl, lpath, 1, "labels", ldims, &lnd));
  for (int k = 1; k < nd; k++) N *= dims[k];
  PetscCheck(N < PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: record 0 (header): images of %" PetscInt64_FMT " pixels are too large", path, N);
  PetscCheck(ldims[0] == dims[0], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %" PetscInt64_FMT " labels, but the images file %s has %" PetscInt64_FMT " images: the label count must equal the sample count (wrong labels file?)", lpath, ldims[0], path, dims[0]);
  n = dims[0];
  if (r->opts->max_samples > 0) n = PetscMin(n, r->opts->max_samples);
  PetscCall(PetscMalloc1(N, &buf));
  r->tmp[0] = buf; /* freed with the reader, also on errors */
  PetscCall(HGReaderStart(r, n, (PetscInt)N, PETSC_FALSE, NULL));
  /* image i and label i together: each sample goes to its rank as soon as it is read */
  for (PetscInt64 i = 0; i < n; i++) {
    unsigned char l;
    PetscScalar  *row;
    PetscCall(ReadBytes(r->gz, path, buf, (size_t)N, "image", i, NULL));
    PetscCall(ReadBytes(r->gzl, lpath, &l, 1, "label", i, NULL));
    PetscCall(HGRawReserve(raw, (size_t)raw->M + 1, (size_t)(raw->M + 1) * N));
    row = raw->vals + (size_t)raw->M * N;
    for (PetscInt64 j = 0; j < N; j++) row[j] = buf[j] / 255.0;
    raw->y[raw->M++] = l;
    PetscCall(HGReaderRowDone(r));
  }
  if (n == dims[0]) { /* the whole file: nothing may follow */
    PetscCall(ReadBytes(r->gz, path, buf, 1, "after image", n - 1, &eof));
    PetscCheck(eof, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: data after the %" PetscInt64_FMT " images its header declares: the header or the file is wrong", path, n);
    PetscCall(ReadBytes(r->gzl, lpath, buf, 1, "after label", n - 1, &eof));
    PetscCheck(eof, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: data after the %" PetscInt64_FMT " labels its header declares: the header or the file is wrong", lpath, n);
  }
  PetscFunctionReturn(0);
}
