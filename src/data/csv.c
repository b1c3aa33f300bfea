/*
   CSV reader (rank 0): a header line naming the columns (unless -data_csv_header false),
   then one sample per line; fields separated by ',' (-data_csv_delimiter), surrounding
   spaces and double quotes stripped, CRLF or LF line ends, blank lines skipped, gzip read
   as well.  The label is the last column unless -data_csv_label_column names another (by
   header name or 0-based index); -data_csv_skip_columns drops columns (e.g. an id or name
   column).  Every other field must be a finite number.  The matrix is dense.
*/
#include "dataimpl.h"
#include <ctype.h>

typedef struct {
  char   **f;
  PetscInt n, cap;
} Fields;

static char *Trim(char *s)
{
  size_t n;
  while (*s && isspace((unsigned char)*s)) s++;
  n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = 0;
  if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
    s[n - 1] = 0;
    s++;
  }
  return s;
}

/* Split line in place at delim (not inside double quotes) */
static PetscErrorCode Split(char *line, char delim, Fields *fs)
{
  char     *p = line;
  PetscBool quoted = PETSC_FALSE;

  PetscFunctionBegin;
  fs->n = 0;
  for (;;) {
    char *start = p;
    for (; *p; p++) {
      if (*p == '"') quoted = (PetscBool)!quoted;
      else if (*p == delim && !quoted) break;
    }
    if (fs->n == fs->cap) {
      fs->cap = 2 * fs->cap + 16;
      PetscCall(PetscRealloc(fs->cap * sizeof(char *), &fs->f));
    }
    fs->f[fs->n++] = start;
    if (!*p) break;
    *p++ = 0;
  }
  for (PetscInt k = 0; k < fs->n; k++) fs->f[k] = Trim(fs->f[k]);
  PetscFunctionReturn(0);
}

/* Column by header name, else by 0-based index; -1 when neither */
static PetscInt FindColumn(const char *key, char **names, PetscInt H)
{
  char *end;
  long  v;

  if (names)
    for (PetscInt k = 0; k < H; k++)
      if (!strcmp(names[k], key)) return k;
  v = strtol(key, &end, 10);
  if (end != key && !*end && v >= 0 && v < H) return (PetscInt)v;
  return -1;
}

static PetscErrorCode ColumnList(char **names, PetscInt H, char *buf, size_t len)
{
  PetscFunctionBegin;
  buf[0] = 0;
  for (PetscInt k = 0; k < H && strlen(buf) + 8 < len; k++) {
    size_t n = strlen(buf);
    if (names) snprintf(buf + n, len - n, "%s%s", k ? ", " : "", names[k]);
    else snprintf(buf + n, len - n, "%s%" PetscInt_FMT, k ? ", " : "", k);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode HGDataRead_CSV(HGReader *r)
{
  HGRaw                   *raw  = r->raw;
  const char              *path = r->path;
  const HGDataLoadOptions *o    = r->opts;
  Fields                   fs   = {NULL, 0, 0};
  char                   **names = NULL, *hdr = NULL, cols[512];
  PetscInt                 H = -1, lab, *role = NULL, N = 0; /* role: -1 skipped, -2 label, else feature index */
  PetscInt64               lineno = 0, count = 0;
  size_t                   len;
  PetscBool                eof, pending = PETSC_FALSE;

  PetscFunctionBegin;
  raw->sparse = PETSC_FALSE;
  r->gz       = gzopen(path, "rb");
  PetscCheck(r->gz, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot open the data file: %s", path, strerror(errno));
  /* first pass: the number of non-blank lines (samples, and the header) */
  for (;;) {
    PetscCall(HGReaderGetLine(r, &eof, &len));
    if (eof) break;
    if (Trim(r->line)[0]) count++;
  }
  if (o->csv_header && count > 0) count--;
  PetscCheck(gzrewind(r->gz) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: cannot rewind the file", path);
  /* first non-blank line: the header, or the first sample */
  for (;;) {
    PetscCall(HGReaderGetLine(r, &eof, &len));
    PetscCheck(!eof, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: the file is empty: a CSV file needs %sone line per sample", path, o->csv_header ? "a header line and " : "");
    lineno++;
    if (Trim(r->line)[0]) break;
  }
  PetscCall(PetscStrallocpy(r->line, &hdr));
  r->tmp[0] = hdr; /* the work arrays are freed with the reader, also on errors */
  PetscCall(Split(hdr, o->csv_delimiter, &fs));
  r->tmp[1] = fs.f;
  H         = fs.n;
  if (o->csv_header) {
    PetscCall(PetscMalloc1(H, &names));
    r->tmp[2] = names;
    for (PetscInt k = 0; k < H; k++) names[k] = fs.f[k];
  } else pending = PETSC_TRUE; /* the line just read is a sample */
  PetscCheck(H >= 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": only one column: a CSV data file needs features and a label separated by '%c' (-data_csv_delimiter)", path, lineno, o->csv_delimiter);
  PetscCall(ColumnList(names, H, cols, sizeof(cols)));
  /* roles of the columns */
  PetscCall(PetscMalloc1(H, &role));
  r->tmp[3] = role;
  for (PetscInt k = 0; k < H; k++) role[k] = 0;
  lab = o->csv_label[0] ? FindColumn(o->csv_label, names, H) : H - 1;
  PetscCheck(lab >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: -data_csv_label_column \"%s\" is neither a column name nor an index 0..%" PetscInt_FMT "; the columns are: %s", path, o->csv_label, H - 1, cols);
  role[lab] = -2;
  for (PetscInt s = 0; s < o->csv_nskip; s++) {
    PetscInt c = FindColumn(o->csv_skip[s], names, H);
    PetscCheck(c >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: -data_csv_skip_columns \"%s\" is neither a column name nor an index 0..%" PetscInt_FMT "; the columns are: %s", path, o->csv_skip[s], H - 1, cols);
    PetscCheck(c != lab, PETSC_COMM_SELF, PETSC_ERR_ARG_INCOMP, "%s: column \"%s\" is both the label (-data_csv_label_column) and dropped (-data_csv_skip_columns)", path, o->csv_skip[s]);
    role[c] = -1;
  }
  for (PetscInt k = 0; k < H; k++)
    if (role[k] >= 0) role[k] = N++;
  PetscCheck(N > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: no feature columns are left after the label and the dropped columns", path);
  PetscCall(HGReaderStart(r, o->max_samples > 0 ? PetscMin(count, (PetscInt64)o->max_samples) : count, N, PETSC_FALSE, NULL));
  for (;;) {
    PetscReal *row;
    if (r->emitted >= r->M) break;
    if (!pending) {
      PetscCall(HGReaderGetLine(r, &eof, &len));
      if (eof) break;
      lineno++;
      if (!Trim(r->line)[0]) continue;
      PetscCall(Split(r->line, o->csv_delimiter, &fs));
      r->tmp[1] = fs.f;
    } else pending = PETSC_FALSE; /* no header: hdr holds the first sample, already split */
    PetscCheck(fs.n == H, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ": %" PetscInt_FMT " fields, but %s has %" PetscInt_FMT ": every line needs the same number of fields (ragged rows)", path, lineno, fs.n, o->csv_header ? "the header" : "the first line", H);
    PetscCall(HGRawReserve(raw, (size_t)raw->M + 1, (size_t)(raw->M + 1) * N));
    row = raw->vals + (size_t)raw->M * N;
    for (PetscInt k = 0; k < H; k++) {
      PetscReal v = 0;
      int       st;
      if (role[k] == -1) continue;
      st = HGParseReal(fs.f[k], &v);
      PetscCheck(fs.f[k][0], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ", column %" PetscInt_FMT " (%s): empty field (missing value): fill it in or drop the column with -data_csv_skip_columns", path, lineno, k, names ? names[k] : "no header");
      PetscCheck(st != 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ", column %" PetscInt_FMT " (%s): \"%.64s\" is not a number: fix it or drop the column with -data_csv_skip_columns", path, lineno, k, names ? names[k] : "no header", fs.f[k]);
      PetscCheck(st != 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %" PetscInt64_FMT ", column %" PetscInt_FMT " (%s): the value is %.64s (NaN or Inf): remove or fix this sample", path, lineno, k, names ? names[k] : "no header", fs.f[k]);
      if (role[k] == -2) raw->y[raw->M] = v;
      else row[role[k]] = v;
    }
    raw->M++;
    PetscCall(HGReaderRowDone(r));
  }
  PetscFunctionReturn(0);
}
