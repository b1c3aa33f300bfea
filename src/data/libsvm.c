/*
   LIBSVM / svmlight text reader (rank 0): one sample per line,

     <label> <index>:<value> <index>:<value> ... [# comment]

   indices 1-based and strictly increasing; qid:<n> tokens are ignored; blank lines and lines
   starting with '#' are skipped; gzip-compressed files are read as well.  The matrix is
   sparse (CSR); its width is -data_nfeatures when given (an index above it is an error),
   else the largest index in the file.
*/
#include "dataimpl.h"

#define LIBSVM_HINT "(LIBSVM format: <label> <index>:<value> ... with 1-based, strictly increasing indices)"

PetscErrorCode HGDataRead_LIBSVM(HGReader *r)
{
  HGRaw         *raw  = r->raw;
  const char    *path = r->path;
  PetscInt       maxidx = 0, nf = r->opts->nfeatures, maxs = r->opts->max_samples;
  PetscInt64     lineno = 0, count = 0;
  size_t         nnz, len;
  PetscBool      eof;

  PetscFunctionBegin;
  raw->sparse = PETSC_TRUE;
  r->gz       = gzopen(path, "rb");
  PetscCheck(r->gz, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot open the data file: %s", path, strerror(errno));
  /* first pass: the number of samples (lines with something before any '#') */
  for (;;) {
    const char *c;
    PetscCall(HGReaderGetLine(r, &eof, &len));
    if (eof) break;
    for (c = r->line; *c && *c != '#' && (*c == ' ' || *c == '\t'); c++) {}
    if (*c && *c != '#') count++;
  }
  PetscCheck(gzrewind(r->gz) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: cannot rewind the file", path);
  PetscCall(HGReaderStart(r, maxs > 0 ? PetscMin(count, (PetscInt64)maxs) : count, 0, PETSC_TRUE));
  for (;;) {
    char     *s, *tok, *save = NULL;
    PetscReal label;
    PetscInt  prev = 0;
    int       st;

    if (r->emitted >= r->M) break;
    PetscCall(HGReaderGetLine(r, &eof, &len));
    if (eof) break;
    lineno++;
    s = r->line;
    if ((tok = strchr(s, '#'))) *tok = 0; /* comment */
    tok = strtok_r(s, " \t", &save);
    if (!tok) continue; /* blank line */
    st = HGParseReal(tok, &label);
    PetscCheck(st != 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": the label \"%.64s\" is not a number %s", path, lineno, tok, LIBSVM_HINT);
    PetscCheck(st != 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": the label is %.64s (NaN or Inf): remove or fix this sample", path, lineno, tok);
    nnz = (size_t)raw->rowptr[raw->M];
    PetscCall(HGRawReserve(raw, (size_t)raw->M + 2, nnz));
    raw->y[raw->M] = label;
    while ((tok = strtok_r(NULL, " \t", &save))) {
      char     *colon = strchr(tok, ':'), *end;
      long long idx;
      PetscReal v;

      PetscCheck(colon, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": \"%.64s\" is not an index:value pair %s", path, lineno, tok, LIBSVM_HINT);
      if (!strncmp(tok, "qid:", 4)) continue;
      *colon = 0;
      idx    = strtoll(tok, &end, 10);
      PetscCheck(end != tok && !*end, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": the feature index \"%.64s\" is not an integer %s", path, lineno, tok, LIBSVM_HINT);
      PetscCheck(idx >= 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": feature index %lld is out of range: indices start at 1 %s", path, lineno, idx, LIBSVM_HINT);
      PetscCheck(!nf || idx <= nf, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": feature index %lld is out of range 1..%" PetscInt_FMT " (-data_nfeatures): raise -data_nfeatures or fix the file", path, lineno, idx, nf);
      PetscCheck(idx < PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": feature index %lld is out of range (larger than PETSc's 32-bit indices)", path, lineno, idx);
      PetscCheck(idx != prev, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": duplicate feature index %lld %s", path, lineno, idx, LIBSVM_HINT);
      PetscCheck(idx > prev, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": feature index %lld follows index %" PetscInt_FMT ": indices are unsorted %s; sort each line by index", path, lineno, idx, prev, LIBSVM_HINT);
      st = HGParseReal(colon + 1, &v);
      PetscCheck(st != 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": the value \"%.64s\" of feature %lld is not a number %s", path, lineno, colon + 1, idx, LIBSVM_HINT);
      PetscCheck(st != 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": the value of feature %lld is %.64s (NaN or Inf): remove or fix this sample", path, lineno, idx, colon + 1);
      PetscCall(HGRawReserve(raw, (size_t)raw->M + 2, nnz + 1));
      raw->cols[nnz] = (PetscInt)(idx - 1);
      raw->vals[nnz] = v;
      nnz++;
      prev   = (PetscInt)idx;
      maxidx = PetscMax(maxidx, prev);
    }
    raw->M++;
    raw->rowptr[raw->M] = (PetscInt)nnz;
    PetscCall(HGReaderRowDone(r));
  }
  raw->N = nf ? nf : maxidx;
  PetscFunctionReturn(0);
}
