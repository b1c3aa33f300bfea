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

/* The next feature index on a line (after *c, up to a '#'): tokens without ':' (the label, bad
   tokens) and qid: are skipped; the third pass checks every token */
static PetscBool NextIndex(const char **c, long long *idx)
{
  const char *p = *c;

  for (;;) {
    const char *t, *colon = NULL;
    char       *end;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p || *p == '#') break;
    for (t = p; *p && *p != ' ' && *p != '\t' && *p != '#'; p++)
      if (*p == ':' && !colon) colon = p;
    if (!colon || !strncmp(t, "qid:", 4)) continue;
    *idx = strtoll(t, &end, 10);
    if (end != colon) continue;
    *c = p;
    return PETSC_TRUE;
  }
  *c = p;
  return PETSC_FALSE;
}

/* The largest index of a line (the last one: indices increase; a line where they do not is an
   error of the third pass), skipping a trailing qid: and anything after a '#' */
static PetscBool LastIndex(const char *c, long long *idx)
{
  const char *end = strchr(c, '#'), *p;

  if (!end) end = c + strlen(c);
  for (p = end; p > c;) {
    const char *t, *colon;
    char       *e;
    while (p > c && (p[-1] == ' ' || p[-1] == '\t')) p--;
    for (t = p; t > c && t[-1] != ' ' && t[-1] != '\t'; t--) {}
    if (t == p) break;
    colon = memchr(t, ':', (size_t)(p - t));
    if (colon && strncmp(t, "qid:", 4)) {
      *idx = strtoll(t, &e, 10);
      return e == colon ? PETSC_TRUE : PETSC_FALSE;
    }
    p = t;
  }
  return PETSC_FALSE;
}

PetscErrorCode HGDataRead_LIBSVM(HGReader *r)
{
  HGRaw         *raw  = r->raw;
  const char    *path = r->path;
  PetscInt       maxidx = 0, nf = r->opts->nfeatures, maxs = r->opts->max_samples;
  PetscInt64     lineno = 0, count = 0, M, *nnzp, clo = 0, chi = 0;
  PetscMPIInt    cdest = -1;
  PetscInt       N;
  size_t         nnz, len;
  PetscBool      eof;

  PetscFunctionBegin;
  raw->sparse = PETSC_TRUE;
  r->gz       = gzopen(path, "rb");
  PetscCheck(r->gz, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot open the data file: %s", path, strerror(errno));
  /* first pass: the number of samples (lines with something before any '#') and, unless
     -data_nfeatures gives it, the width (the largest index) */
  for (;;) {
    const char *c;
    long long   idx;
    if (maxs > 0 && count == maxs) break;
    PetscCall(HGReaderGetLine(r, &eof, &len));
    if (eof) break;
    for (c = r->line; *c && *c != '#' && (*c == ' ' || *c == '\t'); c++) {}
    if (!*c || *c == '#') continue;
    count++;
    if (!nf && LastIndex(c, &idx)) maxidx = (PetscInt)PetscMin((long long)PETSC_MAX_INT - 1, PetscMax((long long)maxidx, idx));
  }
  M = count;
  N = nf ? nf : maxidx;
  /* second pass: for every rank, the entries of its rows inside and outside its diagonal block
     of columns, so that every rank allocates its rows exactly once */
  PetscCheck(gzrewind(r->gz) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: cannot rewind the file", path);
  PetscCall(PetscCalloc1(2 * (size_t)r->size, &nnzp));
  r->tmp[0] = nnzp;
  for (PetscInt64 i = 0; i < M;) {
    const char *c;
    long long   idx;
    PetscMPIInt dest;
    PetscCall(HGReaderGetLine(r, &eof, &len));
    if (eof) break;
    for (c = r->line; *c && *c != '#' && (*c == ' ' || *c == '\t'); c++) {}
    if (!*c || *c == '#') continue;
    dest = HGOwnerOf(M, r->size, i++);
    if (dest != cdest) { /* the 1-based indices in dest's diagonal block: (clo, chi] */
      cdest = dest;
      clo   = (PetscInt64)dest * (N / r->size) + PetscMin((PetscInt64)dest, (PetscInt64)(N % r->size));
      chi   = clo + N / r->size + (dest < N % r->size ? 1 : 0);
    }
    while (NextIndex(&c, &idx)) {
      if (idx > clo && idx <= chi) nnzp[2 * dest]++;
      else nnzp[2 * dest + 1]++;
    }
  }
  PetscCheck(gzrewind(r->gz) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: cannot rewind the file", path);
  PetscCall(HGReaderStart(r, M, N, PETSC_TRUE, nnzp));
  maxidx = 0;
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
  PetscCheck(raw->N == N, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: the largest feature index was %" PetscInt_FMT " in the first pass, %" PetscInt_FMT " in the last: the file changed while it was read", path, N, raw->N);
  PetscFunctionReturn(0);
}
