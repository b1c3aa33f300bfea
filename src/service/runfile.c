/* The run file's integrity: a checksum table over every dataset and every attribute, written
   and verified on rank 0 with serial HDF5 (a damaged file then cannot make the ranks
   disagree); the advisory lock beside the run file; layout-independent hashes of Vecs and
   Mats for the fingerprint of a problem's data. */
#include "outerimpl.h"
#include <hdf5.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#define HG_INTEGRITY_HEADER "hypergrad-integrity 1\n"

/* ---------------------------------------------------------------- hashing */
static inline uint64_t Mix64(uint64_t x)
{
  /* the splitmix64 finalizer: a bijection of 64-bit words */
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/* A stream hash: every step is a bijection of the state for fixed input, so two streams that
   differ in any one 8-byte word (a flipped bit, a changed value) never hash alike */
typedef struct {
  uint64_t      h, n;
  unsigned char buf[8];
  int           nbuf;
} Hasher;

static void HasherInit(Hasher *s, uint64_t seed)
{
  s->h    = Mix64(seed + 0x9E3779B97F4A7C15ULL);
  s->n    = 0;
  s->nbuf = 0;
}

static void HasherWord(Hasher *s, const unsigned char b[8])
{
  uint64_t w;
  memcpy(&w, b, 8);
  s->h = Mix64(s->h ^ w) + 0x9E3779B97F4A7C15ULL;
}

static void HasherAdd(Hasher *s, const void *data, size_t len)
{
  const unsigned char *p = (const unsigned char *)data;

  s->n += len;
  while (len && s->nbuf) {
    s->buf[s->nbuf++] = *p++;
    len--;
    if (s->nbuf == 8) {
      HasherWord(s, s->buf);
      s->nbuf = 0;
    }
  }
  for (; len >= 8; p += 8, len -= 8) HasherWord(s, p);
  for (; len; len--) s->buf[s->nbuf++] = *p++;
}

static uint64_t HasherEnd(Hasher *s)
{
  if (s->nbuf) {
    memset(s->buf + s->nbuf, 0, 8 - s->nbuf);
    HasherWord(s, s->buf);
  }
  return Mix64(s->h ^ s->n);
}

/* The hash of one entry (index, value): a sum of these over all entries does not depend on
   the order, hence not on the number of ranks or the layout */
static inline uint64_t EntryHash(uint64_t i, uint64_t j, double v)
{
  uint64_t b;
  if (v == 0) v = 0; /* -0 and 0 alike */
  memcpy(&b, &v, 8);
  return Mix64(Mix64(Mix64(i + 0x632BE59BD9B4E019ULL) ^ j) ^ b);
}

/*@C
  HGVecHash - a 64-bit hash of the entries of a Vec and their global indices, the same on any
  number of ranks and with any layout

  Collective

  Input Parameter:
. x - the vector

  Output Parameter:
. hash - the hash

  Notes:
  Meant for fingerprints (HGProblemSetFingerprint()): equal vectors hash alike, and a change
  of any entry changes the hash except with probability about 2^-64.

  Level: intermediate

.seealso: HGMatHash(), HGProblemSetFingerprint()
@*/
PetscErrorCode HGVecHash(Vec x, PetscInt64 *hash)
{
  PetscInt           lo, hi, N;
  const PetscScalar *a;
  uint64_t           s = 0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(x, VEC_CLASSID, 1);
  PetscCall(VecGetSize(x, &N));
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscCall(VecGetArrayRead(x, &a));
  for (PetscInt i = lo; i < hi; i++) s += EntryHash((uint64_t)i, 0, (double)PetscRealPart(a[i - lo]));
  PetscCall(VecRestoreArrayRead(x, &a));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &s, 1, MPI_UINT64_T, MPI_SUM, PetscObjectComm((PetscObject)x)));
  *hash = (PetscInt64)Mix64(s ^ (uint64_t)N);
  PetscFunctionReturn(0);
}

/*@C
  HGMatHash - a 64-bit hash of the nonzero entries of a Mat with their (row, column)
  indices, the same on any number of ranks

  Collective

  Input Parameter:
. A - the matrix (any type that supports MatGetRow(), e.g. AIJ or dense)

  Output Parameter:
. hash - the hash

  Notes:
  Explicitly stored zeros do not count, so the same matrix hashes alike whether it is
  stored sparse or dense.

  Level: intermediate

.seealso: HGVecHash(), HGProblemSetFingerprint()
@*/
PetscErrorCode HGMatHash(Mat A, PetscInt64 *hash)
{
  PetscInt lo, hi, M, N;
  uint64_t s = 0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(A, MAT_CLASSID, 1);
  PetscCall(MatGetSize(A, &M, &N));
  PetscCall(MatGetOwnershipRange(A, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) {
    PetscInt           nc;
    const PetscInt    *cols;
    const PetscScalar *vals;
    PetscCall(MatGetRow(A, i, &nc, &cols, &vals));
    for (PetscInt k = 0; k < nc; k++)
      if (vals[k] != 0.0) s += EntryHash((uint64_t)i, (uint64_t)cols[k] + 1, (double)PetscRealPart(vals[k]));
    PetscCall(MatRestoreRow(A, i, &nc, &cols, &vals));
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &s, 1, MPI_UINT64_T, MPI_SUM, PetscObjectComm((PetscObject)A)));
  *hash = (PetscInt64)Mix64(Mix64(s ^ (uint64_t)M) ^ (uint64_t)N);
  PetscFunctionReturn(0);
}

/* ---------------------------------------------------------------- integrity table (rank 0, serial HDF5) */
typedef struct {
  char  *text;
  size_t len, cap;
  int    failed;
  char   msg[PETSC_MAX_PATH_LEN + 256];
  char  *regions; /* "path offset size\n" of the raw data of each contiguous dataset */
  size_t rlen, rcap;
} Table;

static int Append(char **text, size_t *len, size_t *cap, const char *line)
{
  size_t n = strlen(line);
  if (*len + n + 1 > *cap) {
    size_t c = 2 * (*cap + n + 1024);
    char  *p = (char *)realloc(*text, c);
    if (!p) return -1;
    *text = p;
    *cap  = c;
  }
  memcpy(*text + *len, line, n + 1);
  *len += n;
  return 0;
}

static int TableAppend(Table *t, const char *line)
{
  return Append(&t->text, &t->len, &t->cap, line);
}

/* hash of the raw bytes of a dataset or an attribute, read in its own file type (no conversion) */
static int HashDataset(hid_t d, uint64_t *hash)
{
  hid_t         ftype = -1, space = -1, mspace = -1;
  int           ndims, ret = -1;
  hsize_t       dims[H5S_MAX_RANK], start[H5S_MAX_RANK], count[H5S_MAX_RANK], rowelems = 1, rowsper, npoints;
  size_t        esize;
  unsigned char *buf = NULL;
  Hasher        s;

  if ((ftype = H5Dget_type(d)) < 0 || (space = H5Dget_space(d)) < 0) goto done;
  if (H5Tdetect_class(ftype, H5T_VLEN) != 0 || H5Tis_variable_str(ftype) != 0) goto done; /* not hashable: refused */
  esize = H5Tget_size(ftype);
  ndims = H5Sget_simple_extent_ndims(space);
  if (ndims < 0 || H5Sget_simple_extent_dims(space, dims, NULL) < 0) goto done;
  npoints = (hsize_t)H5Sget_simple_extent_npoints(space);
  HasherInit(&s, 0x44415441ULL);
  HasherAdd(&s, &esize, sizeof(esize));
  {
    H5T_class_t c = H5Tget_class(ftype);
    HasherAdd(&s, &c, sizeof(c));
  }
  HasherAdd(&s, &ndims, sizeof(ndims));
  HasherAdd(&s, dims, ndims * sizeof(hsize_t));
  if (npoints > 0 && ndims == 0) {
    if (!(buf = (unsigned char *)malloc(esize))) goto done;
    if (H5Dread(d, ftype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) goto done;
    HasherAdd(&s, buf, esize);
  } else if (npoints > 0) {
    for (int k = 1; k < ndims; k++) rowelems *= dims[k];
    rowsper = (8u << 20) / (rowelems * esize);
    if (rowsper < 1) rowsper = 1;
    if (rowsper > dims[0]) rowsper = dims[0];
    if (!(buf = (unsigned char *)malloc(rowsper * rowelems * esize))) goto done;
    for (hsize_t r = 0; r < dims[0]; r += rowsper) {
      hsize_t nr = dims[0] - r < rowsper ? dims[0] - r : rowsper, mdim = nr * rowelems;
      for (int k = 0; k < ndims; k++) {
        start[k] = k ? 0 : r;
        count[k] = k ? dims[k] : nr;
      }
      if (H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL) < 0) goto done;
      if ((mspace = H5Screate_simple(1, &mdim, NULL)) < 0) goto done;
      if (H5Dread(d, ftype, mspace, space, H5P_DEFAULT, buf) < 0) goto done;
      H5Sclose(mspace);
      mspace = -1;
      HasherAdd(&s, buf, mdim * esize);
    }
  }
  *hash = HasherEnd(&s);
  ret   = 0;
done:
  free(buf);
  if (mspace >= 0) H5Sclose(mspace);
  if (space >= 0) H5Sclose(space);
  if (ftype >= 0) H5Tclose(ftype);
  return ret;
}

static int HashAttribute(hid_t a, uint64_t *hash)
{
  hid_t          ftype = -1, space = -1;
  int            ret   = -1;
  hssize_t       np;
  size_t         esize;
  unsigned char *buf = NULL;
  Hasher         s;

  if ((ftype = H5Aget_type(a)) < 0 || (space = H5Aget_space(a)) < 0) goto done;
  if (H5Tdetect_class(ftype, H5T_VLEN) != 0 || H5Tis_variable_str(ftype) != 0) goto done;
  esize = H5Tget_size(ftype);
  np    = H5Sget_simple_extent_npoints(space);
  if (np < 0) goto done;
  HasherInit(&s, 0x41545452ULL);
  HasherAdd(&s, &esize, sizeof(esize));
  {
    H5T_class_t c = H5Tget_class(ftype);
    HasherAdd(&s, &c, sizeof(c));
  }
  HasherAdd(&s, &np, sizeof(np));
  if (np > 0) {
    if (!(buf = (unsigned char *)calloc((size_t)np, esize))) goto done;
    if (H5Aread(a, ftype, buf) < 0) goto done;
    HasherAdd(&s, buf, (size_t)np * esize);
  }
  *hash = HasherEnd(&s);
  ret   = 0;
done:
  free(buf);
  if (space >= 0) H5Sclose(space);
  if (ftype >= 0) H5Tclose(ftype);
  return ret;
}

typedef struct {
  Table      *t;
  const char *obj;
  PetscBool   root;
} AttrCtx;

/* attributes of the root that are not covered: the table itself, and 'complete', written after it */
static PetscBool Unsealed(PetscBool root, const char *name)
{
  return root && (!strcmp(name, "integrity") || !strcmp(name, "complete")) ? PETSC_TRUE : PETSC_FALSE;
}

static herr_t AttrVisit(hid_t loc, const char *name, const H5A_info_t *info, void *ctx)
{
  AttrCtx *c = (AttrCtx *)ctx;
  hid_t    a;
  uint64_t h;
  char     line[1024];

  if (Unsealed(c->root, name)) return 0;
  if ((a = H5Aopen(loc, name, H5P_DEFAULT)) < 0 || HashAttribute(a, &h)) {
    if (a >= 0) H5Aclose(a);
    snprintf(c->t->msg, sizeof(c->t->msg), "attribute %s of %s cannot be read", name, c->obj);
    c->t->failed = 1;
    return -1;
  }
  H5Aclose(a);
  snprintf(line, sizeof(line), "A %s %s %016" PRIx64 "\n", c->obj, name, h);
  return TableAppend(c->t, line) ? -1 : 0;
}

static herr_t ObjectVisit(hid_t file, const char *name, const H5O_info_t *info, void *ctx)
{
  Table  *t = (Table *)ctx;
  char    path[1024], line[1100];
  AttrCtx ac;
  hid_t   obj;

  if (!strcmp(name, ".")) snprintf(path, sizeof(path), "/");
  else snprintf(path, sizeof(path), "/%s", name);
  if (info->type == H5O_TYPE_DATASET) {
    hid_t    d = H5Dopen2(file, path, H5P_DEFAULT);
    uint64_t h;
    if (d < 0 || HashDataset(d, &h)) {
      if (d >= 0) H5Dclose(d);
      snprintf(t->msg, sizeof(t->msg), "dataset %s cannot be read (truncated or corrupt)", path);
      t->failed = 1;
      return -1;
    }
    {
      haddr_t off = H5Dget_offset(d);
      hsize_t sz  = H5Dget_storage_size(d);
      if (off != HADDR_UNDEF && sz > 0) {
        snprintf(line, sizeof(line), "%s %" PRIu64 " %" PRIu64 "\n", path, (uint64_t)off, (uint64_t)sz);
        if (Append(&t->regions, &t->rlen, &t->rcap, line)) return -1;
      }
    }
    H5Dclose(d);
    snprintf(line, sizeof(line), "D %s %016" PRIx64 "\n", path, h);
    if (TableAppend(t, line)) return -1;
  }
  ac.t    = t;
  ac.obj  = path;
  ac.root = strcmp(path, "/") ? PETSC_FALSE : PETSC_TRUE;
  if ((obj = H5Oopen(file, path, H5P_DEFAULT)) < 0) {
    snprintf(t->msg, sizeof(t->msg), "object %s cannot be opened", path);
    t->failed = 1;
    return -1;
  }
  {
    hsize_t idx = 0;
    herr_t  e   = H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, AttrVisit, &ac);
    H5Oclose(obj);
    if (e < 0) {
      if (!t->failed) snprintf(t->msg, sizeof(t->msg), "the attributes of %s cannot be read", path);
      t->failed = 1;
      return -1;
    }
  }
  return 0;
}

/* The table of an open file: one line per dataset and attribute, then a line with the hash of
   those lines.  Returns 0, or -1 with a message in t->msg */
static int ComputeTable(hid_t file, Table *t)
{
  Hasher s;
  char   line[64];

  memset(t, 0, sizeof(*t));
  if (TableAppend(t, HG_INTEGRITY_HEADER)) return -1;
  if (H5Ovisit(file, H5_INDEX_NAME, H5_ITER_INC, ObjectVisit, t) < 0) {
    if (!t->failed) snprintf(t->msg, sizeof(t->msg), "its objects cannot be listed (corrupt)");
    return -1;
  }
  HasherInit(&s, 0x5441424CULL);
  HasherAdd(&s, t->text, t->len);
  snprintf(line, sizeof(line), "T %016" PRIx64 "\n", HasherEnd(&s));
  return TableAppend(t, line);
}

static const char *NextLine(const char *p, char line[], size_t len)
{
  size_t n = 0;
  if (!p || !*p) return NULL;
  while (*p && *p != '\n') {
    if (n + 1 < len) line[n++] = *p;
    p++;
  }
  line[n] = 0;
  return *p ? p + 1 : p;
}

static PetscBool TableHas(const char *text, const char *line)
{
  char        l[1100];
  const char *p = text;
  while ((p = NextLine(p, l, sizeof(l))))
    if (!strcmp(l, line)) return PETSC_TRUE;
  return PETSC_FALSE;
}

/* the entry of the same object in text ("D /lambda", "A / iteration"), or NULL */
static PetscBool TableFind(const char *text, const char *key, char found[], size_t len)
{
  char        l[1100];
  const char *p = text;
  size_t      k = strlen(key);
  while ((p = NextLine(p, l, sizeof(l)))) {
    if (!strncmp(l, key, k) && l[k] == ' ') {
      snprintf(found, len, "%s", l);
      return PETSC_TRUE;
    }
  }
  return PETSC_FALSE;
}

/* "D /lambda 0123..." -> key "D /lambda"; what: "dataset /lambda" */
static void EntryKey(const char *line, char key[], size_t klen, char what[], size_t wlen)
{
  const char *sp = strrchr(line, ' ');
  size_t      n  = sp ? (size_t)(sp - line) : strlen(line);
  if (n >= klen) n = klen - 1;
  memcpy(key, line, n);
  key[n] = 0;
  if (key[0] == 'D') snprintf(what, wlen, "dataset %s", key + 2);
  else {
    char obj[1024];
    const char *s = strchr(key + 2, ' ');
    size_t      m = s ? (size_t)(s - key - 2) : 0;
    if (m >= sizeof(obj)) m = sizeof(obj) - 1;
    memcpy(obj, key + 2, m);
    obj[m] = 0;
    snprintf(what, wlen, "attribute '%s' of %s", s ? s + 1 : key + 2, obj);
  }
}

/* Compares the stored table with the recomputed one; names the first difference */
static void CompareTables(const char *stored, const char *now, char msg[], size_t len)
{
  char        l[1100], key[1100], what[1200], other[1100];
  const char *p;
  Hasher      s;
  const char *last;
  size_t      body;

  /* the stored table must be intact itself: its last line is the hash of the lines before */
  last = stored[0] ? strrchr(stored, 'T') : NULL;
  if (strncmp(stored, HG_INTEGRITY_HEADER, strlen(HG_INTEGRITY_HEADER)) || !last || (last != stored && last[-1] != '\n')) {
    snprintf(msg, len, "its checksum table is damaged");
    return;
  }
  body = (size_t)(last - stored);
  HasherInit(&s, 0x5441424CULL);
  HasherAdd(&s, stored, body);
  snprintf(l, sizeof(l), "T %016" PRIx64, HasherEnd(&s));
  if (strncmp(last, l, strlen(l)) || (last[strlen(l)] != '\n' && last[strlen(l)] != 0)) {
    snprintf(msg, len, "its checksum table is damaged");
    return;
  }
  p = now;
  while ((p = NextLine(p, l, sizeof(l)))) {
    if (l[0] != 'D' && l[0] != 'A') continue;
    if (TableHas(stored, l)) continue;
    EntryKey(l, key, sizeof(key), what, sizeof(what));
    if (TableFind(stored, key, other, sizeof(other))) snprintf(msg, len, "%s does not match its checksum (changed after it was written)", what);
    else snprintf(msg, len, "%s was not in the file when it was written (added later)", what);
    return;
  }
  p = stored;
  while ((p = NextLine(p, l, sizeof(l)))) {
    if (l[0] != 'D' && l[0] != 'A') continue;
    if (TableHas(now, l)) continue;
    EntryKey(l, key, sizeof(key), what, sizeof(what));
    snprintf(msg, len, "%s is missing", what);
    return;
  }
  snprintf(msg, len, "its checksum table does not match its content");
}

/* ---------------------------------------------------------------- the checksum record in the user block */
/* The first HG_RUNFILE_USERBLOCK bytes of a run file are an HDF5 user block (HDF5 skips them)
   holding a record of checksums over the raw bytes of the file: one per dataset's data and
   one for everything else (the metadata: attributes, groups, headers).  It is checked with
   plain reads before HDF5 parses anything, so a damaged file never reaches HDF5's parser. */
#define HG_RAW_HEADER "hypergrad-run-checksums 1\n"

typedef struct {
  uint64_t off, size;
  char     path[512];
} Region;

static int HashRange(int fd, uint64_t off, uint64_t n, Hasher *s)
{
  unsigned char buf[65536];
  while (n) {
    size_t  k = n < sizeof(buf) ? (size_t)n : sizeof(buf);
    ssize_t r = pread(fd, buf, k, (off_t)off);
    if (r <= 0) return -1;
    HasherAdd(s, buf, (size_t)r);
    off += (uint64_t)r;
    n -= (uint64_t)r;
  }
  return 0;
}

static int CompareRegions(const void *a, const void *b)
{
  const Region *x = (const Region *)a, *y = (const Region *)b;
  return x->off < y->off ? -1 : x->off > y->off;
}

/* The record of fd (size bytes) with the data regions given as "path offset size" lines */
static int RawRecord(int fd, uint64_t size, const char *regions, char rec[], size_t reclen, char msg[], size_t len)
{
  Region     *r = NULL;
  int         n = 0, cap = 0, ret = -1;
  const char *p = regions;
  char        line[1200];
  uint64_t    pos = HG_RUNFILE_USERBLOCK;
  Hasher      meta, s;
  size_t      used;

  while (p && *p) {
    const char *e = strchr(p, '\n');
    size_t      k = e ? (size_t)(e - p) : strlen(p);
    Region      g;
    if (k >= sizeof(line)) k = sizeof(line) - 1;
    memcpy(line, p, k);
    line[k] = 0;
    p       = e ? e + 1 : NULL;
    if (sscanf(line, "%511s %" SCNu64 " %" SCNu64, g.path, &g.off, &g.size) != 3) continue;
    if (n == cap) {
      Region *q = (Region *)realloc(r, (size_t)(cap = 2 * cap + 16) * sizeof(Region));
      if (!q) goto done;
      r = q;
    }
    r[n++] = g;
  }
  if (n) qsort(r, (size_t)n, sizeof(Region), CompareRegions);
  snprintf(rec, reclen, "%ssize %" PRIu64 "\n", HG_RAW_HEADER, size);
  HasherInit(&meta, 0x4D455441ULL);
  for (int i = 0; i < n; i++) {
    if (r[i].off < pos || r[i].off + r[i].size > size) {
      snprintf(msg, len, "the data of %s lie outside the file or overlap", r[i].path);
      goto done;
    }
    if (HashRange(fd, pos, r[i].off - pos, &meta)) goto ioerr;
    HasherInit(&s, 0x52415744ULL);
    if (HashRange(fd, r[i].off, r[i].size, &s)) goto ioerr;
    used = strlen(rec);
    snprintf(rec + used, reclen - used, "R %" PRIu64 " %" PRIu64 " %016" PRIx64 " %s\n", r[i].off, r[i].size, HasherEnd(&s), r[i].path);
    pos = r[i].off + r[i].size;
  }
  if (HashRange(fd, pos, size - pos, &meta)) goto ioerr;
  used = strlen(rec);
  snprintf(rec + used, reclen - used, "M %016" PRIx64 "\n", HasherEnd(&meta));
  used = strlen(rec);
  HasherInit(&s, 0x53454C46ULL);
  HasherAdd(&s, rec, used);
  snprintf(rec + used, reclen - used, "T %016" PRIx64 "\n", HasherEnd(&s));
  if (strlen(rec) + 1 >= reclen) {
    snprintf(msg, len, "too many datasets for the checksum record (%d)", n);
    goto done;
  }
  ret = 0;
  goto done;
ioerr:
  snprintf(msg, len, "the file cannot be read (truncated?)");
done:
  free(r);
  return ret;
}

/* Rank 0, after HDF5 has closed the file: writes the record into the user block */
static int RawSeal(const char file[], const char *regions, char msg[], size_t len)
{
  int         fd = open(file, O_RDWR), ret = -1;
  struct stat st;
  char       *rec = (char *)calloc(HG_RUNFILE_USERBLOCK, 1);

  if (fd < 0 || !rec || fstat(fd, &st)) snprintf(msg, len, "reopening %s failed", file);
  else if (!RawRecord(fd, (uint64_t)st.st_size, regions, rec, HG_RUNFILE_USERBLOCK, msg, len)) {
    errno = 0;
    if (pwrite(fd, rec, HG_RUNFILE_USERBLOCK, 0) != HG_RUNFILE_USERBLOCK) snprintf(msg, len, "writing the checksums into %s failed: %s", file, errno ? strerror(errno) : "short write");
    else ret = 0;
  }
  if (fd >= 0 && close(fd) && !ret) {
    ret = -1;
    snprintf(msg, len, "closing %s failed: %s", file, strerror(errno));
  }
  free(rec);
  return ret;
}

/* Rank 0: checks the record; 0 intact, 1 no record (not ours, or older), -1 damaged (msg) */
static int RawVerify(const char file[], char msg[], size_t len)
{
  int         fd = open(file, O_RDONLY), ret = -1;
  struct stat st;
  char       *stored = (char *)calloc(HG_RUNFILE_USERBLOCK + 1, 1), *now = (char *)calloc(HG_RUNFILE_USERBLOCK, 1), *regions = NULL, *tline;
  size_t      rlen = 0, rcap = 0;
  uint64_t    size = 0;
  Hasher      s;

  if (fd < 0 || !stored || !now || fstat(fd, &st)) {
    snprintf(msg, len, "cannot be read");
    goto done;
  }
  if (pread(fd, stored, HG_RUNFILE_USERBLOCK, 0) <= 0 || strncmp(stored, HG_RAW_HEADER, strlen(HG_RAW_HEADER))) {
    ret = 1;
    goto done;
  }
  stored[HG_RUNFILE_USERBLOCK] = 0;
  /* the record itself: its last line is the hash of the lines before */
  tline = strstr(stored, "\nT ");
  if (!tline) {
    snprintf(msg, len, "is corrupt: its checksum record is damaged");
    goto done;
  }
  HasherInit(&s, 0x53454C46ULL);
  HasherAdd(&s, stored, (size_t)(tline + 1 - stored));
  {
    char t[64];
    snprintf(t, sizeof(t), "T %016" PRIx64 "\n", HasherEnd(&s));
    if (strncmp(tline + 1, t, strlen(t))) {
      snprintf(msg, len, "is corrupt: its checksum record is damaged");
      goto done;
    }
  }
  /* nothing but zeros after the record */
  {
    const char *end = strchr(tline + 1, '\n');
    for (const char *q = end ? end + 1 : stored + HG_RUNFILE_USERBLOCK; q < stored + HG_RUNFILE_USERBLOCK; q++)
      if (*q) {
        snprintf(msg, len, "is corrupt: its checksum record is damaged");
        goto done;
      }
  }
  if (sscanf(stored + strlen(HG_RAW_HEADER), "size %" SCNu64, &size) != 1) {
    snprintf(msg, len, "is corrupt: its checksum record is damaged");
    goto done;
  }
  if ((uint64_t)st.st_size != size) {
    snprintf(msg, len, "is truncated or corrupt: %" PRIu64 " bytes, but %" PRIu64 " were written", (uint64_t)st.st_size, size);
    goto done;
  }
  /* recompute with the regions of the record, then compare line by line */
  {
    const char *p = stored;
    char        line[1200], path[600];
    uint64_t    off, sz;
    while ((p = NextLine(p, line, sizeof(line)))) {
      if (line[0] != 'R' || sscanf(line, "R %" SCNu64 " %" SCNu64 " %*s %599s", &off, &sz, path) != 3) continue;
      snprintf(line, sizeof(line), "%s %" PRIu64 " %" PRIu64 "\n", path, off, sz);
      if (Append(&regions, &rlen, &rcap, line)) goto done;
    }
  }
  if (RawRecord(fd, size, regions ? regions : "", now, HG_RUNFILE_USERBLOCK, msg, len)) {
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s", msg);
    snprintf(msg, len, "is truncated or corrupt (%s)", tmp);
    goto done;
  }
  {
    const char *p = stored;
    char        line[1200], other[1200];
    while ((p = NextLine(p, line, sizeof(line)))) {
      if (line[0] == 'R' && !TableHas(now, line)) {
        const char *path = strrchr(line, ' ');
        snprintf(msg, len, "is corrupt: the data of dataset %s do not match their checksum (changed after the file was written)", path ? path + 1 : "?");
        goto done;
      }
      if (line[0] == 'M' && !TableHas(now, line)) {
        snprintf(msg, len, "is corrupt: its metadata (attributes, dataset headers or groups) do not match their checksum (changed after the file was written)");
        goto done;
      }
    }
    (void)other;
  }
  ret = 0;
done:
  if (fd >= 0) close(fd);
  free(stored);
  free(now);
  free(regions);
  return ret;
}

/* Rank 0, serial: seals a just-written run file: the table and then 'complete' */
PetscErrorCode HGRunFileSeal(const char file[], char msg[], size_t len)
{
  H5E_auto2_t func;
  void       *data;
  hid_t       f, space = -1, type = -1, attr = -1;
  Table       t;
  int         ok = 0, one = 1;

  PetscFunctionBegin;
  msg[0] = 0;
  H5Eget_auto2(H5E_DEFAULT, &func, &data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  memset(&t, 0, sizeof(t));
  f = H5Fopen(file, H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) snprintf(msg, len, "reopening %s to seal it failed", file);
  else if (ComputeTable(f, &t)) snprintf(msg, len, "reading %s back failed: %s", file, t.msg[0] ? t.msg : "out of memory");
  else if ((space = H5Screate(H5S_SCALAR)) < 0 || (type = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(type, t.len + 1) < 0 || (attr = H5Acreate2(f, "integrity", type, space, H5P_DEFAULT, H5P_DEFAULT)) < 0 || H5Awrite(attr, type, t.text) < 0)
    snprintf(msg, len, "writing the checksums into %s failed (disk full?)", file);
  else {
    H5Aclose(attr);
    attr = H5Acreate2(f, "complete", H5T_NATIVE_INT, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0 || H5Awrite(attr, H5T_NATIVE_INT, &one) < 0) snprintf(msg, len, "writing into %s failed (disk full?)", file);
    else ok = 1;
  }
  if (attr >= 0) H5Aclose(attr);
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
  if (f >= 0 && H5Fclose(f) < 0 && ok) {
    ok = 0;
    snprintf(msg, len, "closing %s failed (disk full?)", file);
  }
  H5Eset_auto2(H5E_DEFAULT, func, data);
  if (ok && RawSeal(file, t.regions ? t.regions : "", msg, len)) ok = 0;
  free(t.text);
  free(t.regions);
  if (!ok && !msg[0]) snprintf(msg, len, "sealing %s failed", file);
  PetscFunctionReturn(0);
}

/* Rank 0, serial: opens file and checks it completely.  msg empty: intact */
PetscErrorCode HGRunFileVerify(const char file[], char msg[], size_t len)
{
  H5E_auto2_t func;
  void       *data;
  hid_t       f = -1, a = -1, type = -1, space = -1;
  Table       t;
  char       *stored = NULL;
  struct stat st;
  int         raw;

  PetscFunctionBegin;
  msg[0] = 0;
  memset(&t, 0, sizeof(t));
  if (stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
    snprintf(msg, len, "is a directory, not a run file");
    PetscFunctionReturn(0);
  }
  if (access(file, R_OK) != 0) {
    snprintf(msg, len, "does not exist or is not readable");
    PetscFunctionReturn(0);
  }
  /* first the raw bytes against the record in the user block, without HDF5 */
  raw = RawVerify(file, msg, len);
  if (raw < 0) PetscFunctionReturn(0);
  H5Eget_auto2(H5E_DEFAULT, &func, &data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (H5Fis_hdf5(file) <= 0) snprintf(msg, len, "is not an HDF5 file (corrupt or not a checkpoint)");
  else if (raw == 1) snprintf(msg, len, "has no checksum record: it was written by an older hypergrad, or damaged");
  else if ((f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) snprintf(msg, len, "cannot be opened as HDF5 (truncated or corrupt)");
  else if (H5Aexists(f, "complete") <= 0) snprintf(msg, len, "is not a complete hypergrad run file (no 'complete' attribute)");
  else if (H5Aexists(f, "integrity") <= 0) snprintf(msg, len, "has no checksum table ('integrity' attribute): it was written by an older hypergrad or damaged");
  else if ((a = H5Aopen(f, "integrity", H5P_DEFAULT)) < 0 || (type = H5Aget_type(a)) < 0 || H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) != 0 || (space = H5Aget_space(a)) < 0 || H5Sget_simple_extent_npoints(space) != 1)
    snprintf(msg, len, "its checksum table is damaged");
  else {
    size_t n = H5Tget_size(type);
    stored   = (char *)calloc(n + 1, 1);
    if (!stored || H5Aread(a, type, stored) < 0) snprintf(msg, len, "its checksum table cannot be read");
    else if (ComputeTable(f, &t)) snprintf(msg, len, "%s", t.msg[0] ? t.msg : "it cannot be read completely (truncated or corrupt)");
    else if (strcmp(stored, t.text)) CompareTables(stored, t.text, msg, len);
  }
  if (f >= 0) {
    int one = 0;
    hid_t c = H5Aexists(f, "complete") > 0 ? H5Aopen(f, "complete", H5P_DEFAULT) : -1;
    if (!msg[0] && (c < 0 || H5Aread(c, H5T_NATIVE_INT, &one) < 0 || one != 1)) snprintf(msg, len, "is not marked complete");
    if (c >= 0) H5Aclose(c);
  }
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  if (a >= 0) H5Aclose(a);
  if (f >= 0) H5Fclose(f);
  H5Eset_auto2(H5E_DEFAULT, func, data);
  free(stored);
  free(t.text);
  free(t.regions);
  PetscFunctionReturn(0);
}

/* ---------------------------------------------------------------- advisory lock */
/* Rank 0 holds an fcntl() write lock on FILE.lock for the whole run; the lock file says who
   holds it.  The kernel drops the lock when the process dies (kill -9 included), so a lock file
   left by a killed job is taken over; a lock still held for a process that no longer exists
   (a file system that keeps the locks of dead clients) is reported as stale with how to break it. */
PetscErrorCode HGOuterLockAcquire(HGOuter outer, const char file[])
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)outer);
  PetscMPIInt rank;
  int         status = 0; /* 0 locked or locking unsupported, 1 held by a live run, 2 stale */
  char        msg[PETSC_MAX_PATH_LEN + 512] = "";

  PetscFunctionBegin;
  if (outer->locked && !strcmp(outer->lockfile, file)) PetscFunctionReturn(0);
  PetscCall(HGOuterLockRelease(outer));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    char lock[PETSC_MAX_PATH_LEN + 8];
    PetscCall(PetscSNPrintf(lock, sizeof(lock), "%s.lock", file));
    for (int attempt = 0; attempt < 20; attempt++) {
      struct flock fl;
      struct stat  a, b;
      int          created = 1, fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0 && errno == EEXIST) { /* left by an earlier run, or held by a live one */
        created = 0;
        fd      = open(lock, O_RDWR | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) continue; /* removed by its holder in between */
      }
      if (fd < 0) {
        PetscCall(PetscInfo(outer, "Cannot create the lock file %s (%s): running without a lock\n", lock, strerror(errno)));
        break;
      }
      memset(&fl, 0, sizeof(fl));
      fl.l_type   = F_WRLCK;
      fl.l_whence = SEEK_SET;
      if (fcntl(fd, F_SETLK, &fl) != 0) {
        if (errno == EACCES || errno == EAGAIN) {
          char    owner[512] = "", host[256] = "";
          ssize_t n          = pread(fd, owner, sizeof(owner) - 1, 0);
          long    pid        = 0;
          owner[n > 0 ? n : 0] = 0;
          if (sscanf(owner, "pid %ld host %255s", &pid, host) != 2) {
            pid = 0;
            PetscCall(PetscStrncpy(host, "unknown", sizeof(host)));
          }
          close(fd);
          {
            char me[256] = "";
            (void)gethostname(me, sizeof(me) - 1);
            if (pid > 0 && !strcmp(me, host) && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
              status = 2;
              PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s is locked by %s for pid %ld on host %s, but no such process runs on this host: the lock is stale. Make sure no job uses %s, then remove %s to break the lock", file, lock, pid, host, file, lock));
            } else {
              status = 1;
              PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s is in use by another run (pid %ld, host %s): wait for it to end or use another file. If that run no longer exists, the lock is stale: remove %s to break it", file, pid, host, lock));
            }
          }
          break;
        }
        PetscCall(PetscInfo(outer, "The file system of %s does not support locks (%s): running without a lock\n", lock, strerror(errno)));
        close(fd);
        break;
      }
      /* the file may have been removed by its previous holder between open() and fcntl() */
      if (fstat(fd, &a) != 0 || stat(lock, &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
        close(fd);
        continue;
      }
      {
        char old[512] = "", line[512], host[256] = "";
        ssize_t n = pread(fd, old, sizeof(old) - 1, 0);
        old[n > 0 ? n : 0] = 0;
        outer->lockcreated = created ? PETSC_TRUE : PETSC_FALSE;
        PetscCall(PetscStrncpy(outer->lockold, old, sizeof(outer->lockold)));
        if (n > 0) PetscCall(PetscInfo(outer, "Taking over %s, left by a run that ended without removing it (%s)\n", lock, old));
        (void)gethostname(host, sizeof(host) - 1);
        PetscCall(PetscSNPrintf(line, sizeof(line), "pid %ld host %s\n", (long)getpid(), host));
        if (ftruncate(fd, 0) != 0 || pwrite(fd, line, strlen(line), 0) < 0) PetscCall(PetscInfo(outer, "Cannot write the owner into %s\n", lock));
      }
      outer->lockfd = fd;
      break;
    }
  }
  PetscCallMPI(MPI_Bcast(&status, 1, MPI_INT, 0, comm));
  if (status) {
    PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
    SETERRQ(comm, PETSC_ERR_FILE_OPEN, "%s", msg);
  }
  PetscCall(PetscStrncpy(outer->lockfile, file, sizeof(outer->lockfile)));
  outer->locked = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterLockRelease(HGOuter outer)
{
  PetscFunctionBegin;
  if (outer->lockfd >= 0) {
    char lock[PETSC_MAX_PATH_LEN + 8];
    PetscCall(PetscSNPrintf(lock, sizeof(lock), "%s.lock", outer->lockfile));
    (void)unlink(lock); /* while still locked: a waiting process then sees a new file */
    close(outer->lockfd);
  }
  outer->lockfd      = -1;
  outer->locked      = PETSC_FALSE;
  outer->lockfile[0] = 0;
  outer->lockcreated = PETSC_FALSE;
  outer->lockold[0]  = 0;
  PetscFunctionReturn(0);
}

/* A refused run (a -resume or a start that fails a check before the first iteration) leaves
   the directory as it found it: the lock file it created is removed; a leftover one it took over
   gets its old content back.  A lock held by another run was never taken, so it is not touched.
   Local to rank 0's fd (no communication): safe on an error path that not every rank took. */
PetscErrorCode HGOuterLockAbandon(HGOuter outer)
{
  PetscFunctionBegin;
  if (outer->lockfd >= 0 && !outer->lockcreated) {
    size_t n = strlen(outer->lockold);
    if (ftruncate(outer->lockfd, 0) != 0 || (n && pwrite(outer->lockfd, outer->lockold, n, 0) < 0)) PetscCall(PetscInfo(outer, "Cannot restore the content of %s.lock\n", outer->lockfile));
    close(outer->lockfd); /* kept on disk, as found */
    outer->lockfd = -1;
  }
  PetscCall(HGOuterLockRelease(outer)); /* a created one: removed while still locked, then closed */
  PetscFunctionReturn(0);
}

/* ---------------------------------------------------------------- fingerprint of a problem's data */
typedef struct {
  HGProblemFingerprintFn fn;
  void                  *ctx;
} FingerprintCtx;

static PetscErrorCode FingerprintCtxDestroy(void *p)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(p));
  PetscFunctionReturn(0);
}

/*@C
  HGProblemSetFingerprint - sets the callback that computes a fingerprint of the data that
  define the problem; run files store it, and HGOuterLoadCheckpoint() refuses a run file
  whose fingerprint differs from the current problem's

  Logically Collective

  Input Parameters:
+ prob - the problem
. fn   - the callback, fn(prob, fp, len, ctx): writes a string of at most len - 1 characters
         (e.g. a hash in hex) into fp; it must be the same on every rank and for every
         number of ranks (NULL: no fingerprint)
- ctx  - its context (may be NULL)

  Notes:
  HGVecHash() and HGMatHash() hash distributed data independently of the number of ranks.
  Without a fingerprint the run file stores "none", and only the options that define the
  trajectory (synthetic data seeds and sizes, data file names, steps) are compared on resume.

  Level: intermediate

.seealso: HGProblemGetFingerprint(), HGVecHash(), HGMatHash(), HGOuterLoadCheckpoint(), HGOuterSetResumeForce()
@*/
PetscErrorCode HGProblemSetFingerprint(HGProblem prob, HGProblemFingerprintFn fn, void *ctx)
{
  PetscContainer  c;
  FingerprintCtx *f;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  if (!fn) {
    PetscCall(PetscObjectCompose((PetscObject)prob, "HGProblemFingerprint", NULL));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscNew(&f));
  f->fn  = fn;
  f->ctx = ctx;
  PetscCall(PetscContainerCreate(PetscObjectComm((PetscObject)prob), &c));
  PetscCall(PetscContainerSetPointer(c, f));
  PetscCall(PetscContainerSetUserDestroy(c, FingerprintCtxDestroy));
  PetscCall(PetscObjectCompose((PetscObject)prob, "HGProblemFingerprint", (PetscObject)c));
  PetscCall(PetscContainerDestroy(&c));
  PetscFunctionReturn(0);
}

/*@C
  HGProblemGetFingerprint - computes the fingerprint of the problem's data with the callback
  of HGProblemSetFingerprint()

  Collective

  Input Parameters:
+ prob - the problem
- len  - the size of fp

  Output Parameter:
. fp - the fingerprint; empty when the problem has no fingerprint callback

  Level: intermediate

.seealso: HGProblemSetFingerprint()
@*/
PetscErrorCode HGProblemGetFingerprint(HGProblem prob, char fp[], size_t len)
{
  PetscContainer  c = NULL;
  FingerprintCtx *f;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  fp[0] = 0;
  PetscCall(PetscObjectQuery((PetscObject)prob, "HGProblemFingerprint", (PetscObject *)&c));
  if (!c) PetscFunctionReturn(0);
  PetscCall(PetscContainerGetPointer(c, (void **)&f));
  PetscCall((*f->fn)(prob, fp, len, f->ctx));
  fp[len - 1] = 0;
  for (char *p = fp; *p; p++)
    if (*p == '\n') *p = ' ';
  PetscFunctionReturn(0);
}

static PetscErrorCode StoredDataFingerprint(HGProblem prob, char fp[], size_t len, void *ctx)
{
  PetscContainer c = NULL;
  const char    *s = NULL;

  PetscFunctionBegin;
  fp[0] = 0;
  PetscCall(PetscObjectQuery((PetscObject)prob, "HGProblemDataFingerprint", (PetscObject *)&c));
  if (c) PetscCall(PetscContainerGetPointer(c, (void **)&s));
  if (s) PetscCall(PetscStrncpy(fp, s, len));
  PetscFunctionReturn(0);
}

/*@C
  HGProblemSetDataFingerprint - makes the fingerprint of a problem the hashes of the data sets it
  was built from (HGDataGetFromOptions()), for the run files

  Collective

  Input Parameters:
+ prob  - the problem
. train - the training set, or NULL
. val   - the validation set, or NULL
- test  - the test set, or NULL

  Notes:
  The hashes (HGMatHash() of X, HGVecHash() of y) are taken once, here, and are the same on any
  number of ranks; the problem's fingerprint callback (HGProblemSetFingerprint()) then returns
  them.  Sets without a matrix (no data were read) are skipped; with none the fingerprint is left
  as it was.  The built-in problems that read data call it after loading, so that a resume with
  another file of the same name, or the same file changed, is refused.

  Level: developer

.seealso: HGProblemSetFingerprint(), HGProblemGetFingerprint(), HGDataGetFromOptions(), HGOuterLoadCheckpoint()
@*/
PetscErrorCode HGProblemSetDataFingerprint(HGProblem prob, HGData *train, HGData *val, HGData *test)
{
  HGData        *sets[3] = {train, val, test};
  char          *s;
  size_t         len = 64 + 3 * 40, used;
  PetscBool      any = PETSC_FALSE;
  PetscContainer c;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  PetscCall(PetscCalloc1(len, &s));
  PetscCall(PetscSNPrintf(s, len, "data"));
  for (PetscInt k = 0; k < 3; k++) {
    PetscInt64 hx = 0, hy = 0;
    if (!sets[k] || !sets[k]->X) continue;
    any = PETSC_TRUE;
    PetscCall(HGMatHash(sets[k]->X, &hx));
    if (sets[k]->y) PetscCall(HGVecHash(sets[k]->y, &hy));
    PetscCall(PetscStrlen(s, &used));
    PetscCall(PetscSNPrintf(s + used, len - used, " %016llx %016llx", (unsigned long long)hx, (unsigned long long)hy));
  }
  if (!any) {
    PetscCall(PetscFree(s));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscContainerCreate(PetscObjectComm((PetscObject)prob), &c));
  PetscCall(PetscContainerSetPointer(c, s));
  PetscCall(PetscContainerSetUserDestroy(c, PetscContainerUserDestroyDefault));
  PetscCall(PetscObjectCompose((PetscObject)prob, "HGProblemDataFingerprint", (PetscObject)c));
  PetscCall(PetscContainerDestroy(&c));
  PetscCall(HGProblemSetFingerprint(prob, StoredDataFingerprint, NULL));
  PetscFunctionReturn(0);
}
