/*
   Text and IDX data streamed from rank 0: the reader (rank 0) parses rows into a chunk
   (r->raw) of at most HG_STREAM_CHUNK bytes and hands every chunk to the rank that owns its
   rows in the final layout (PETSC_DECIDE over the samples, known from a first pass that
   counts them), as soon as it is full or that rank's rows are complete.  Rank 0 thus holds
   its own rows plus one chunk; every other rank its own rows plus one chunk while it receives.

   Protocol: each rank > 0 receives from rank 0, in order, BEGIN (sizes), DATA chunks for its
   own rows, and END (the reader's outcome: the error code and message, or the number of
   features).  Rank 0 sends END to every rank whether the reader succeeded or failed, so a bad
   file is one error on every rank and never a hang.
*/
#include "dataimpl.h"

#define HG_STREAM_CHUNK (32 * 1024 * 1024)
enum { TAG_HDR = 6101, TAG_Y, TAG_ROWLEN, TAG_COLS, TAG_VALS, TAG_MSG };
enum { MSG_BEGIN = 1, MSG_DATA, MSG_END };

/* This rank's rows as they arrive: dense column major (lda = m), or sparse rows sorted straight
   into the diagonal (columns [clo, chi)) and off-diagonal blocks of an MPIAIJ matrix, whose
   exact sizes rank 0 counted in a pass over the file: the arrays become the matrix's own
   (MatCreateMPIAIJWithSplitArrays, no copy), so no rank ever holds its rows twice. */
struct _HGStreamLocal {
  PetscInt     M, N, m, lo, filled; /* N: the number of features (columns) */
  PetscInt     clo, chi;            /* sparse: this rank's diagonal-block columns */
  PetscInt64   nA, nB;              /* sparse: entries of the two blocks, counted by rank 0 */
  PetscBool    sparse, begun, changed; /* changed: more entries arrived than counted (dropped) */
  PetscScalar *a, *y, *Aa, *Ba;
  PetscInt    *Ai, *Aj, *Bi, *Bj;
};

/* The PETSC_DECIDE split of n items over size ranks: [lo, hi) of rank r, and the owner of item i */
static void Ownership(PetscInt64 n, PetscMPIInt size, PetscMPIInt r, PetscInt64 *lo, PetscInt64 *hi)
{
  *lo = r * (n / size) + PetscMin(r, n % size);
  *hi = *lo + n / size + (r < n % size ? 1 : 0);
}

PetscMPIInt HGOwnerOf(PetscInt64 n, PetscMPIInt size, PetscInt64 i)
{
  PetscInt64 b = n / size, rem = n % size;
  return (PetscMPIInt)(i < rem * (b + 1) ? i / (b + 1) : rem + (i - rem * (b + 1)) / b);
}

static PetscErrorCode LocalBegin(HGStreamLocal *L, PetscMPIInt rank, PetscMPIInt size, PetscInt M, PetscInt N, PetscBool sparse, PetscInt64 nA, PetscInt64 nB)
{
  PetscInt64 lo, hi;

  PetscFunctionBegin;
  L->M = M, L->N = N, L->sparse = sparse, L->begun = PETSC_TRUE;
  Ownership(M, size, rank, &lo, &hi);
  L->m = (PetscInt)(hi - lo), L->lo = (PetscInt)lo;
  PetscCall(PetscMalloc1(PetscMax(L->m, 1), &L->y));
  if (!sparse) PetscCall(PetscMalloc1((size_t)PetscMax(L->m, 1) * N, &L->a));
  else {
    PetscCheck(nA < PETSC_MAX_INT && nB < PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_SUP, "%" PetscInt64_FMT " nonzeros on one rank: too many for PETSc's 32-bit indices; use more ranks", nA + nB);
    Ownership(N, size, rank, &lo, &hi);
    L->clo = (PetscInt)lo, L->chi = (PetscInt)hi, L->nA = nA, L->nB = nB;
    PetscCall(PetscCalloc1(L->m + 1, &L->Ai));
    PetscCall(PetscCalloc1(L->m + 1, &L->Bi));
    PetscCall(PetscMalloc1(PetscMax(nA, 1), &L->Aj));
    PetscCall(PetscMalloc1(PetscMax(nA, 1), &L->Aa));
    PetscCall(PetscMalloc1(PetscMax(nB, 1), &L->Bj));
    PetscCall(PetscMalloc1(PetscMax(nB, 1), &L->Ba));
  }
  PetscFunctionReturn(0);
}

/* Append nrows rows (y, and row major values or CSR row lengths/cols/vals) to the local rows */
static PetscErrorCode LocalAppend(HGStreamLocal *L, PetscInt nrows, const PetscScalar *y, const PetscScalar *vals, const PetscInt *rowlen, const PetscInt *cols, PetscInt64 nnz)
{
  PetscFunctionBegin;
  PetscCheck(L->filled + nrows <= L->m, PETSC_COMM_SELF, PETSC_ERR_PLIB, "data stream: %" PetscInt_FMT " rows beyond this rank's %" PetscInt_FMT, L->filled + nrows, L->m);
  PetscCall(PetscArraycpy(L->y + L->filled, y, nrows));
  if (!L->sparse) {
    for (PetscInt i = 0; i < nrows; i++)
      for (PetscInt j = 0; j < L->N; j++) L->a[L->filled + i + (size_t)j * L->m] = vals[(size_t)i * L->N + j];
  } else {
    PetscInt64 k = 0;
    for (PetscInt i = 0; i < nrows; i++) {
      PetscInt r = L->filled + i, na = L->Ai[r], nb = L->Bi[r];
      for (PetscInt q = 0; q < rowlen[i]; q++, k++) {
        PetscInt c = cols[k];
        /* more entries than counted (the file changed between the passes): dropped, and an error
           on every rank at the end (an error here would leave rank 0 sending to nobody) */
        if (c >= L->clo && c < L->chi) {
          if (na < L->nA) L->Aj[na] = c - L->clo, L->Aa[na++] = vals[k];
          else L->changed = PETSC_TRUE;
        } else {
          if (nb < L->nB) L->Bj[nb] = c, L->Ba[nb++] = vals[k];
          else L->changed = PETSC_TRUE;
        }
      }
      L->Ai[r + 1] = na, L->Bi[r + 1] = nb;
    }
    PetscCheck(k == nnz, PETSC_COMM_SELF, PETSC_ERR_PLIB, "data stream: %" PetscInt64_FMT " values for %" PetscInt64_FMT " nonzeros", k, nnz);
  }
  L->filled += nrows;
  PetscFunctionReturn(0);
}

static PetscErrorCode LocalFree(HGStreamLocal *L)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(L->a));
  PetscCall(PetscFree(L->y));
  PetscCall(PetscFree(L->Ai));
  PetscCall(PetscFree(L->Bi));
  PetscCall(PetscFree(L->Aj));
  PetscCall(PetscFree(L->Aa));
  PetscCall(PetscFree(L->Bj));
  PetscCall(PetscFree(L->Ba));
  PetscCall(PetscMemzero(L, sizeof(*L)));
  PetscFunctionReturn(0);
}

/*
  Called by a reader (rank 0) once it knows the number of samples M it will read and, for
  dense data, the number of features N (0 for LIBSVM: known at the end).  Tells every rank.
*/
PetscErrorCode HGReaderStart(HGReader *r, PetscInt64 M, PetscInt N, PetscBool sparse, const PetscInt64 nnz[])
{
  PetscInt64 hdr[6] = {MSG_BEGIN, M, N, sparse, 0, 0};

  PetscFunctionBegin;
  PetscCheck(M > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: the file contains no samples (is it empty?)", r->path);
  PetscCheck(M < PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_SUP, "%s: %" PetscInt64_FMT " samples: too many for PETSc's 32-bit indices", r->path, M);
  PetscCheck(!sparse || nnz, PETSC_COMM_SELF, PETSC_ERR_PLIB, "sparse data stream without the counts of the blocks");
  for (PetscMPIInt p = 1; p < r->size; p++) {
    if (sparse) hdr[4] = nnz[2 * p], hdr[5] = nnz[2 * p + 1];
    PetscCallMPI(MPI_Send(hdr, 6, MPIU_INT64, p, TAG_HDR, r->comm));
  }
  r->raw->sparse = sparse;
  r->raw->N      = N;
  r->M           = M;
  r->emitted     = 0;
  r->dest        = 0;
  PetscCall(LocalBegin(r->local, 0, r->size, (PetscInt)M, N, sparse, sparse ? nnz[0] : 0, sparse ? nnz[1] : 0));
  PetscCall(HGRawReserve(r->raw, 16, sparse ? 1024 : (size_t)16 * N));
  if (sparse) r->raw->rowptr[0] = 0;
  r->raw->M = 0;
  /* skip ranks without rows */
  while (r->dest < r->size && r->emitted == (PetscInt64)((r->dest + 1) * (M / r->size) + PetscMin(r->dest + 1, M % r->size))) r->dest++;
  PetscFunctionReturn(0);
}

/* Hand the chunk to the rank that owns its rows, and empty it */
static PetscErrorCode Flush(HGReader *r)
{
  HGRaw     *raw = r->raw;
  PetscInt64 nnz = raw->sparse ? raw->rowptr[raw->M] : (PetscInt64)raw->M * raw->N;
  PetscInt  *len = NULL;

  PetscFunctionBegin;
  if (!raw->M) PetscFunctionReturn(0);
  if (raw->sparse) {
    PetscCall(PetscMalloc1(raw->M, &len));
    for (PetscInt i = 0; i < raw->M; i++) len[i] = raw->rowptr[i + 1] - raw->rowptr[i];
  }
  if (r->dest == 0) PetscCall(LocalAppend(r->local, raw->M, raw->y, raw->vals, len, raw->cols, nnz));
  else {
    PetscInt64 hdr[6] = {MSG_DATA, raw->M, nnz, 0, 0, 0};
    PetscCallMPI(MPI_Send(hdr, 6, MPIU_INT64, r->dest, TAG_HDR, r->comm));
    PetscCallMPI(MPI_Send(raw->y, (PetscMPIInt)raw->M, MPIU_SCALAR, r->dest, TAG_Y, r->comm));
    if (raw->sparse) {
      PetscCallMPI(MPI_Send(len, (PetscMPIInt)raw->M, MPIU_INT, r->dest, TAG_ROWLEN, r->comm));
      PetscCallMPI(MPI_Send(raw->cols, (PetscMPIInt)nnz, MPIU_INT, r->dest, TAG_COLS, r->comm));
    }
    PetscCallMPI(MPI_Send(raw->vals, (PetscMPIInt)nnz, MPIU_SCALAR, r->dest, TAG_VALS, r->comm));
  }
  PetscCall(PetscFree(len));
  raw->M = 0;
  if (raw->sparse) raw->rowptr[0] = 0;
  PetscFunctionReturn(0);
}

/* Called by a reader after each row it appended to r->raw (raw->M incremented) */
PetscErrorCode HGReaderRowDone(HGReader *r)
{
  HGRaw     *raw = r->raw;
  PetscInt64 M = r->M, end;
  size_t     bytes;

  PetscFunctionBegin;
  r->emitted++;
  end   = (r->dest + 1) * (M / r->size) + PetscMin(r->dest + 1, M % r->size);
  bytes = raw->sparse ? (size_t)raw->rowptr[raw->M] * (sizeof(PetscScalar) + sizeof(PetscInt)) : (size_t)raw->M * raw->N * sizeof(PetscScalar);
  if (r->emitted == end || bytes >= HG_STREAM_CHUNK) PetscCall(Flush(r));
  while (r->dest < r->size && r->emitted == (r->dest + 1) * (M / r->size) + PetscMin(r->dest + 1, M % r->size)) r->dest++;
  PetscFunctionReturn(0);
}

/* Rank > 0: receive BEGIN, this rank's DATA and END; *code and msg: the reader's error */
static PetscErrorCode Receive(MPI_Comm comm, PetscMPIInt rank, PetscMPIInt size, HGStreamLocal *L, PetscInt64 *N, int *code, char msg[1024])
{
  PetscScalar *vbuf = NULL, *ybuf = NULL;
  PetscInt    *lbuf = NULL, *cbuf = NULL;
  size_t       vcap = 0, rcap = 0, ccap = 0;

  PetscFunctionBegin;
  *code = 0;
  for (;;) {
    PetscInt64 hdr[6];
    PetscCallMPI(MPI_Recv(hdr, 6, MPIU_INT64, 0, TAG_HDR, comm, MPI_STATUS_IGNORE));
    if (hdr[0] == MSG_BEGIN) PetscCall(LocalBegin(L, rank, size, (PetscInt)hdr[1], (PetscInt)hdr[2], hdr[3] ? PETSC_TRUE : PETSC_FALSE, hdr[4], hdr[5]));
    else if (hdr[0] == MSG_DATA) {
      PetscInt   nrows = (PetscInt)hdr[1];
      PetscInt64 nnz   = hdr[2];
      if ((size_t)nrows > rcap) {
        rcap = nrows;
        PetscCall(PetscFree(ybuf));
        PetscCall(PetscFree(lbuf));
        PetscCall(PetscMalloc1(rcap, &ybuf));
        if (L->sparse) PetscCall(PetscMalloc1(rcap, &lbuf));
      }
      if ((size_t)nnz > vcap) {
        vcap = (size_t)nnz;
        PetscCall(PetscFree(vbuf));
        PetscCall(PetscMalloc1(vcap, &vbuf));
      }
      if (L->sparse && (size_t)nnz > ccap) {
        ccap = (size_t)nnz;
        PetscCall(PetscFree(cbuf));
        PetscCall(PetscMalloc1(ccap, &cbuf));
      }
      PetscCallMPI(MPI_Recv(ybuf, (PetscMPIInt)nrows, MPIU_SCALAR, 0, TAG_Y, comm, MPI_STATUS_IGNORE));
      if (L->sparse) {
        PetscCallMPI(MPI_Recv(lbuf, (PetscMPIInt)nrows, MPIU_INT, 0, TAG_ROWLEN, comm, MPI_STATUS_IGNORE));
        PetscCallMPI(MPI_Recv(cbuf, (PetscMPIInt)nnz, MPIU_INT, 0, TAG_COLS, comm, MPI_STATUS_IGNORE));
      }
      PetscCallMPI(MPI_Recv(vbuf, (PetscMPIInt)nnz, MPIU_SCALAR, 0, TAG_VALS, comm, MPI_STATUS_IGNORE));
      PetscCall(LocalAppend(L, nrows, ybuf, vbuf, lbuf, cbuf, nnz));
    } else {
      *code = (int)hdr[1];
      *N    = hdr[2];
      if (*code) PetscCallMPI(MPI_Recv(msg, 1024, MPI_CHAR, 0, TAG_MSG, comm, MPI_STATUS_IGNORE));
      break;
    }
  }
  PetscCall(PetscFree(vbuf));
  PetscCall(PetscFree(ybuf));
  PetscCall(PetscFree(lbuf));
  PetscCall(PetscFree(cbuf));
  PetscFunctionReturn(0);
}

static PetscErrorCode FreeSplit(void *ctx)
{
  void **v = (void **)ctx;

  PetscFunctionBegin;
  for (int k = 0; k < 6; k++) PetscCall(PetscFree(v[k]));
  PetscCall(PetscFree(v));
  PetscFunctionReturn(0);
}

/*
  Runs the reader fn on rank 0 (errors returned, not printed) while the other ranks receive
  their rows; then builds X (MPIDENSE or MPIAIJ) and y in the PETSC_DECIDE row layout.  A
  reader error is raised on every rank with rank 0's code and message.
*/
PetscErrorCode HGDataStream(MPI_Comm comm, PetscErrorCode (*fn)(HGReader *), HGReader *r, HGData *data)
{
  PetscMPIInt   rank, size;
  HGStreamLocal L;
  int           code = 0;
  char          msg[1024];
  PetscInt64    N = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscMemzero(&L, sizeof(L)));
  msg[0] = 0;
  if (rank == 0) {
    PetscErrorCode ierr;
    r->comm  = comm;
    r->size  = size;
    r->local = &L;
    r->h5    = H5I_INVALID_HID;
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = fn(r);
    if (!ierr && r->emitted != r->M) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_FILE_UNEXPECTED, PETSC_ERROR_INITIAL, "%s: %" PetscInt64_FMT " samples read, %" PetscInt64_FMT " counted: the file changed while it was read", r->path, r->emitted, r->M);
    if (!ierr && r->raw->N <= 0) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_FILE_UNEXPECTED, PETSC_ERROR_INITIAL, "%s: the samples have no features (a LIBSVM file with no index:value pairs needs -data_nfeatures)", r->path);
    PetscCall(PetscPopErrorHandler());
    HGReaderClose(r);
    if (ierr) {
      char *specific = NULL;
      PetscCall(PetscErrorMessage(ierr, NULL, &specific));
      PetscCall(PetscStrncpy(msg, specific && specific[0] ? specific : "error while reading the file", sizeof(msg)));
      code = (int)ierr;
    }
    N = r->raw->N;
    for (PetscMPIInt p = 1; p < size; p++) {
      PetscInt64 hdr[6] = {MSG_END, code, N, 0, 0, 0};
      PetscCallMPI(MPI_Send(hdr, 6, MPIU_INT64, p, TAG_HDR, comm));
      if (code) PetscCallMPI(MPI_Send(msg, 1024, MPI_CHAR, p, TAG_MSG, comm));
    }
  } else PetscCall(Receive(comm, rank, size, &L, &N, &code, msg));
  if (code) {
    PetscCall(LocalFree(&L));
    SETERRQ(comm, (PetscErrorCode)code, "%s", msg);
  }
  PetscCheck(L.filled == L.m, PETSC_COMM_SELF, PETSC_ERR_PLIB, "data stream: %" PetscInt_FMT " of this rank's %" PetscInt_FMT " rows arrived", L.filled, L.m);
  data->nsamples = L.M, data->nfeatures = (PetscInt)N;
  {
    PetscScalar *a;
    PetscCall(VecCreateMPI(comm, L.m, L.M, &data->y));
    PetscCall(VecGetArrayWrite(data->y, &a));
    PetscCall(PetscArraycpy(a, L.y, L.m));
    PetscCall(VecRestoreArrayWrite(data->y, &a));
  }
  PetscCall(PetscFree(L.y));
  if (L.sparse) {
    /* the two blocks become the matrix's own arrays (no copy); a container frees them with X */
    PetscContainer c;
    void         **v;
    char           buf[PETSC_MAX_PATH_LEN + 128] = "";
    PetscErrorCode ierr = 0;
    if (L.changed || N != L.N || L.Ai[L.m] != L.nA || L.Bi[L.m] != L.nB) {
      ierr = PETSC_ERR_FILE_UNEXPECTED;
      PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s: the nonzeros or the width differ from those counted in the first pass: the file changed while it was read", r->path ? r->path : "data stream"));
    }
    ierr = HGDataAgree(comm, ierr, buf);
    if (ierr) PetscCall(LocalFree(&L));
    PetscCall(ierr);
    PetscCall(MatCreateMPIAIJWithSplitArrays(comm, L.m, L.chi - L.clo, L.M, (PetscInt)N, L.Ai, L.Aj, L.Aa, L.Bi, L.Bj, L.Ba, &data->X));
    PetscCall(PetscMalloc1(6, &v));
    v[0] = L.Ai, v[1] = L.Bi, v[2] = L.Aj, v[3] = L.Bj, v[4] = L.Aa, v[5] = L.Ba;
    L.Ai = L.Bi = L.Aj = L.Bj = NULL;
    L.Aa = L.Ba = NULL;
    PetscCall(PetscContainerCreate(comm, &c));
    PetscCall(PetscContainerSetPointer(c, v));
    PetscCall(PetscContainerSetUserDestroy(c, FreeSplit));
    PetscCall(PetscObjectCompose((PetscObject)data->X, "HGData_csr", (PetscObject)c));
    PetscCall(PetscContainerDestroy(&c));
  } else {
    /* the column-major rows become the matrix's array (no copy); a container frees it with X */
    PetscContainer c;
    PetscCall(MatCreateDense(comm, L.m, PETSC_DECIDE, L.M, (PetscInt)N, L.a, &data->X));
    PetscCall(PetscContainerCreate(comm, &c));
    PetscCall(PetscContainerSetPointer(c, L.a));
    PetscCall(PetscContainerSetUserDestroy(c, PetscContainerUserDestroyDefault));
    PetscCall(PetscObjectCompose((PetscObject)data->X, "HGData_rows", (PetscObject)c));
    PetscCall(PetscContainerDestroy(&c));
    L.a = NULL;
  }
  PetscCall(LocalFree(&L));
  PetscFunctionReturn(0);
}
