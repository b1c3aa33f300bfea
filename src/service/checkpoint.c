/* HGOuter checkpoints: one HDF5 run file, written collectively with PetscViewerHDF5 to
   FILE.tmp, sealed on rank 0 with a checksum table over every dataset and attribute
   (src/service/runfile.c) and renamed over FILE only when complete; on resume the whole
   file is verified on rank 0 before any rank reads it in parallel. */
#include "outerimpl.h"
#include <petscviewerhdf5.h>
#include <petscdmda.h>
#include <hdf5.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <ctype.h>
#include <stdlib.h>

#define HG_RUN_FORMAT "hypergrad-run"

/* The DMDA of x, or NULL: the run file holds such a vector in the DMDA's natural ordering (the
   ordering of the grid, independent of the number of ranks), as one 1-D dataset like any other */
static PetscErrorCode VecNaturalDA(Vec x, DM *da)
{
  DM        dm;
  PetscBool isda = PETSC_FALSE;

  PetscFunctionBegin;
  *da = NULL;
  PetscCall(VecGetDM(x, &dm));
  if (dm) PetscCall(PetscObjectTypeCompare((PetscObject)dm, DMDA, &isda));
  if (isda) *da = dm;
  PetscFunctionReturn(0);
}

static PetscErrorCode LoadNamed(PetscViewer viewer, Vec x, const char name[], const char file[])
{
  const char *old;
  char       *keep = NULL;
  PetscBool   has;
  char        path[256];
  DM          da;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s", name));
  PetscCall(PetscViewerHDF5HasDataset(viewer, path, &has));
  PetscCheck(has, PetscObjectComm((PetscObject)x), PETSC_ERR_FILE_UNEXPECTED, "The checkpoint %s has no dataset %s: it is incomplete or not a hypergrad run file; start a new run or give the right file", file, name);
  PetscCall(VecNaturalDA(x, &da));
  if (da) { /* a plain vector in natural ordering (VecLoad() of a DMDA vector wants a dataset of the grid's shape) */
    Vec                nat, p;
    PetscInt           n;
    const PetscScalar *pa;
    PetscScalar       *na;
    PetscCall(DMDACreateNaturalVector(da, &nat));
    PetscCall(VecGetLocalSize(nat, &n));
    /* block size 1, as written (the natural vector's block size is the DMDA's dof) */
    PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)x), n, PETSC_DETERMINE, &p));
    PetscCall(PetscObjectSetName((PetscObject)p, name));
    PetscCall(VecLoad(p, viewer));
    PetscCall(VecGetArrayRead(p, &pa));
    PetscCall(VecGetArray(nat, &na));
    PetscCall(PetscArraycpy(na, pa, n));
    PetscCall(VecRestoreArray(nat, &na));
    PetscCall(VecRestoreArrayRead(p, &pa));
    PetscCall(VecDestroy(&p));
    PetscCall(DMDANaturalToGlobalBegin(da, nat, INSERT_VALUES, x));
    PetscCall(DMDANaturalToGlobalEnd(da, nat, INSERT_VALUES, x));
    PetscCall(VecDestroy(&nat));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscObjectGetName((PetscObject)x, &old));
  PetscCall(PetscStrallocpy(old, &keep));
  PetscCall(PetscObjectSetName((PetscObject)x, name));
  PetscCall(VecLoad(x, viewer));
  PetscCall(PetscObjectSetName((PetscObject)x, keep));
  PetscCall(PetscFree(keep));
  PetscFunctionReturn(0);
}

/* The history as one Vec per field, all entries on rank 0 */
static PetscErrorCode HistoryVec(HGOuter outer, PetscInt n, Vec *x)
{
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)outer), &rank));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)outer), rank ? 0 : n, n, x));
  PetscFunctionReturn(0);
}

static PetscReal *RecordField(HGOuterRecord *r, PetscInt f, PetscReal *itbuf)
{
  switch (f) {
  case 0:
    *itbuf = (PetscReal)r->iteration;
    return itbuf;
  case 1: return &r->time;
  case 2: return &r->upper_objective;
  case 3: return &r->hypergradient_norm;
  case 4: return &r->step;
  case 5: return &r->lower_its;
  case 6: return &r->adjoint_its;
  case 7: return &r->lower_residual;
  case 8: return &r->adjoint_residual;
  case 9: return &r->val_accuracy;
  case 10: return &r->test_accuracy;
  case 11: return &r->bound;
  default: return &r->bound_estimated;
  }
}

/* The writer of a run file.  Only rank 0 touches the file, with serial HDF5; the other ranks
   send it their part of each Vec, one rank at a time.  A failed write (disk full, quota, I/O
   error) therefore happens on rank 0 alone, which goes on receiving and skips the rest of
   the writing, and the outcome is broadcast at the end: every rank leaves the write together.
   (With parallel HDF5 a write that failed on one rank left the others waiting in a collective
   call inside VecView() or H5Fclose() forever.) */
typedef struct {
  MPI_Comm    comm;
  PetscMPIInt rank, size;
  hid_t       file;    /* rank 0: the file being written */
  int         failed;  /* rank 0: a write failed; the rest is skipped */
  char        msg[PETSC_MAX_PATH_LEN + 256];
  H5E_auto2_t efunc;
  void       *edata;
} RunWriter;

static void WriterFail(RunWriter *w, const char what[], const char path[])
{
  if (w->failed) return;
  w->failed = 1;
  if (errno) snprintf(w->msg, sizeof(w->msg), "writing %s %s failed: %s", what, path, strerror(errno));
  else snprintf(w->msg, sizeof(w->msg), "writing %s %s failed", what, path);
}

/* the object at path, creating the groups up to it (rank 0) */
static hid_t WriterLcpl(void)
{
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  if (lcpl >= 0) H5Pset_create_intermediate_group(lcpl, 1);
  return lcpl;
}

static PetscErrorCode WriterVecPlain(RunWriter *, const char[], Vec);

/* Collective: x as a 1-D dataset of doubles at path (as VecView() writes it: VecLoad() reads it);
   a DMDA vector in the DMDA's natural ordering */
static PetscErrorCode WriterVec(RunWriter *w, const char path[], Vec x)
{
  DM  da;
  Vec nat;

  PetscFunctionBegin;
  PetscCall(VecNaturalDA(x, &da));
  if (!da) {
    PetscCall(WriterVecPlain(w, path, x));
    PetscFunctionReturn(0);
  }
  PetscCall(DMDACreateNaturalVector(da, &nat));
  PetscCall(DMDAGlobalToNaturalBegin(da, x, INSERT_VALUES, nat));
  PetscCall(DMDAGlobalToNaturalEnd(da, x, INSERT_VALUES, nat));
  PetscCall(WriterVecPlain(w, path, nat));
  PetscCall(VecDestroy(&nat));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriterVecPlain(RunWriter *w, const char path[], Vec x)
{
  PetscInt           N, nloc, maxloc = 0;
  const PetscInt    *ranges;
  const PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetSize(x, &N));
  PetscCall(VecGetLocalSize(x, &nloc));
  PetscCall(VecGetOwnershipRanges(x, &ranges));
  PetscCall(VecGetArrayRead(x, &a));
  if (w->rank) {
    if (nloc) PetscCallMPI(MPI_Send((void *)a, (PetscMPIInt)nloc, MPIU_SCALAR, 0, 7716, w->comm));
  } else {
    hid_t        space = -1, d = -1, lcpl = -1, ms = -1;
    hsize_t      dim   = (hsize_t)N;
    PetscScalar *buf   = NULL;

    for (PetscMPIInt r = 0; r < w->size; r++) maxloc = PetscMax(maxloc, ranges[r + 1] - ranges[r]);
    if (!w->failed) {
      if ((space = H5Screate_simple(1, &dim, NULL)) < 0 || (lcpl = WriterLcpl()) < 0 || (d = H5Dcreate2(w->file, path, H5T_IEEE_F64LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT)) < 0) WriterFail(w, "the dataset", path);
    }
    PetscCall(PetscMalloc1(PetscMax(maxloc, 1), &buf));
    for (PetscMPIInt r = 0; r < w->size; r++) {
      PetscInt           n = ranges[r + 1] - ranges[r];
      const PetscScalar *src = a;
      if (!n) continue;
      if (r) {
        PetscCallMPI(MPI_Recv(buf, (PetscMPIInt)n, MPIU_SCALAR, r, 7716, w->comm, MPI_STATUS_IGNORE));
        src = buf;
      }
      if (!w->failed) {
        hsize_t start = (hsize_t)ranges[r], count = (hsize_t)n;
        if ((ms = H5Screate_simple(1, &count, NULL)) < 0 || H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 || H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, space, H5P_DEFAULT, src) < 0) WriterFail(w, "the dataset", path);
        if (ms >= 0) H5Sclose(ms);
        ms = -1;
      }
    }
    PetscCall(PetscFree(buf));
    if (d >= 0 && H5Dclose(d) < 0) WriterFail(w, "the dataset", path);
    if (lcpl >= 0) H5Pclose(lcpl);
    if (space >= 0) H5Sclose(space);
  }
  PetscCall(VecRestoreArrayRead(x, &a));
  PetscFunctionReturn(0);
}

/* Not collective (rank 0 writes, the others return): a scalar attribute of the object at obj */
static PetscErrorCode WriterAttr(RunWriter *w, const char obj[], const char name[], PetscDataType dtype, const void *value)
{
  hid_t type = -1, space = -1, at = -1, mtype;
  char  where[PETSC_MAX_PATH_LEN + 64];

  PetscFunctionBegin;
  if (w->rank || w->failed) PetscFunctionReturn(0);
  if (dtype == PETSC_STRING) {
    type  = H5Tcopy(H5T_C_S1);
    if (type >= 0) H5Tset_size(type, strlen((const char *)value) + 1);
    mtype = type;
  } else if (dtype == PETSC_INT) {
    type  = H5Tcopy(sizeof(PetscInt) == 8 ? H5T_STD_I64LE : H5T_STD_I32LE);
    mtype = sizeof(PetscInt) == 8 ? H5T_NATIVE_LLONG : H5T_NATIVE_INT;
  } else {
    PetscCheck(dtype == PETSC_REAL, PETSC_COMM_SELF, PETSC_ERR_SUP, "Run file attributes are strings, PetscInt or PetscReal");
    type  = H5Tcopy(H5T_IEEE_F64LE);
    mtype = H5T_NATIVE_DOUBLE;
  }
  PetscCall(PetscSNPrintf(where, sizeof(where), "'%s' of %s", name, obj));
  if (type < 0 || (space = H5Screate(H5S_SCALAR)) < 0 || (at = H5Acreate_by_name(w->file, obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 || H5Awrite(at, mtype, value) < 0) WriterFail(w, "the attribute", where);
  if (at >= 0 && H5Aclose(at) < 0) WriterFail(w, "the attribute", where);
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  PetscFunctionReturn(0);
}

/* Collective; rank 0 creates path (H5F_ACC_TRUNC) */
static PetscErrorCode WriterOpen(MPI_Comm comm, const char path[], RunWriter *w)
{
  PetscFunctionBegin;
  PetscCall(PetscMemzero(w, sizeof(*w)));
  w->comm = comm;
  w->file = -1;
  PetscCallMPI(MPI_Comm_rank(comm, &w->rank));
  PetscCallMPI(MPI_Comm_size(comm, &w->size));
  if (!w->rank) {
    H5Eget_auto2(H5E_DEFAULT, &w->efunc, &w->edata);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    errno      = 0;
    /* the first bytes hold the checksum record (HGRunFileSeal()) */
    if (fcpl >= 0 && H5Pset_userblock(fcpl, HG_RUNFILE_USERBLOCK) >= 0) w->file = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    if (fcpl >= 0) H5Pclose(fcpl);
    if (w->file < 0) WriterFail(w, "the file", path);
  }
  PetscFunctionReturn(0);
}

/* Rank 0: closes the file; returns whether all went well (msg says what failed) */
static PetscErrorCode WriterClose(RunWriter *w, const char path[])
{
  PetscFunctionBegin;
  if (!w->rank) {
    if (w->file >= 0 && H5Fclose(w->file) < 0) WriterFail(w, "(closing) the file", path);
    w->file = -1;
    H5Eset_auto2(H5E_DEFAULT, w->efunc, w->edata);
  }
  PetscFunctionReturn(0);
}

/* the shortest of %.15g, %.16g, %.17g that reads back as v */
static const char *Num(char buf[32], PetscReal v)
{
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, 32, "%.*g", prec, (double)v);
    if (strtod(buf, NULL) == (double)v) break;
  }
  return buf;
}

/* The options that define the trajectory, one "-name value" per line: the outer, method and
   lower-solver settings as the objects hold them (set by options or by calls; not the lower
   tolerances, which tolerance schedules change as they go), then every
   other option of the database except those that only say how long to run, what to print
   or where to write, and the layout (-multi_nsubcomm; the ranks are no option) */
static PetscErrorCode TrajectoryText(HGOuter outer, char **text)
{
  HG          hg = outer->hg;
  char       *opts = NULL, *t, line[PETSC_MAX_PATH_LEN + 64], nb[32];
  size_t      cap;
  PetscBool   adaptive;
  const char *skip[] = {"outer_max_it", "outer_max_time", "outer_gatol", "outer_checkpoint", "outer_resume_force", "outer_signals", "multi_nsubcomm", "outer_view", "resume", "log", "info", "help", "malloc", "options_", "history", "viewer", "fp_trap", "on_error", "no_signal_handler", "error_output", "check_pointer", "memory_view", "objects_dump", "nox", "use_gpu_aware_mpi", "mpi", "start_in_debugger", "debugger", "stop_for_debugger", "skip_petscrc", "saws", "display", "hg_test", "hg_view", "outer_type", "problem", "hg_type", "lower_type"};

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)outer, HGOUTERADAPTIVE, &adaptive));
  PetscCall(PetscOptionsGetAll(NULL, &opts));
  cap = 2048 + (opts ? strlen(opts) : 0) * 2;
  PetscCall(PetscMalloc1(cap, &t));
  t[0] = 0;
#define ADDLINE(...) \
  do { \
    PetscCall(PetscSNPrintf(line, sizeof(line), __VA_ARGS__)); \
    PetscCall(PetscStrlcat(t, line, cap)); \
  } while (0)
  if (!adaptive) ADDLINE("-outer_step %s\n", Num(nb, outer->step)); /* the adaptive step is state */
  ADDLINE("-outer_momentum %s\n", Num(nb, outer->momentum));
  ADDLINE("-outer_warm_start %d\n", (int)outer->warm);
  ADDLINE("-outer_tol_schedule %" PetscInt_FMT "\n", outer->tol_schedule);
  if (outer->tol_schedule) {
    ADDLINE("-outer_tol0 %s\n", Num(nb, outer->tol0));
    ADDLINE("-outer_tol_decay %s\n", Num(nb, outer->tol_decay));
    ADDLINE("-outer_tol_min %s\n", Num(nb, outer->tol_min));
  }
  if (hg) {
    ADDLINE("-hg_k %" PetscInt_FMT "\n", hg->k);
    if (hg->lower) {
      ADDLINE("-lower_max_it %" PetscInt_FMT "\n", hg->lower->max_it);
      ADDLINE("-lower_step %s\n", Num(nb, hg->lower->step));
      ADDLINE("-lower_momentum %s\n", Num(nb, hg->lower->momentum));
    }
  }
  /* the database: " -name value -flag -name value"; a value never starts with '-' and a letter */
  if (opts) {
    char *p = opts;
    while (*p) {
      char  *name, *val = NULL, *end;
      size_t nl;
      while (*p == ' ') p++;
      if (*p != '-') {
        while (*p && *p != ' ') p++;
        continue;
      }
      name = p + 1;
      while (*p && *p != ' ') p++;
      nl = (size_t)(p - name);
      end = p;
      while (*end == ' ') end++;
      if (*end && !(end[0] == '-' && (isalpha((unsigned char)end[1]) || end[1] == '_'))) {
        val = end;
        while (*end && *end != ' ') end++;
        p = end;
      }
      {
        PetscBool drop = PETSC_FALSE;
        char      nm[256];
        PetscCall(PetscStrncpy(nm, name, PetscMin(nl + 1, sizeof(nm))));
        for (size_t k = 0; k < PETSC_STATIC_ARRAY_LENGTH(skip) && !drop; k++) PetscCall(PetscStrbeginswith(nm, skip[k], &drop));
        if (!drop && (strstr(nm, "monitor") || strstr(nm, "_view"))) drop = PETSC_TRUE;
        if (!drop) { /* already listed from the objects */
          char key[300];
          PetscCall(PetscSNPrintf(key, sizeof(key), "\n-%s ", nm));
          if (!strncmp(t, key + 1, strlen(key + 1)) || strstr(t, key)) drop = PETSC_TRUE;
        }
        if (!drop) {
          if (val) ADDLINE("-%s %.*s\n", nm, (int)(p - val), val);
          else ADDLINE("-%s\n", nm);
        }
      }
    }
  }
#undef ADDLINE
  PetscCall(PetscFree(opts));
  *text = t;
  PetscFunctionReturn(0);
}

/* The fingerprint of the problem's data (HGProblemSetFingerprint()), "none" without one */
static PetscErrorCode DataFingerprint(HGProblem prob, char fp[], size_t len)
{
  PetscFunctionBegin;
  PetscCall(HGProblemGetFingerprint(prob, fp, len));
  if (!fp[0]) PetscCall(PetscStrncpy(fp, "none", len));
  PetscFunctionReturn(0);
}

/* Writes the whole state (collective; a failed write is recorded in w on rank 0) */
static PetscErrorCode WriteState(HGOuter outer, RunWriter *w, Vec lambda)
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)outer);
  HG          hg   = outer->hg;
  HGProblem   prob = hg->problem;
  PetscMPIInt size, rank;
  PetscInt    nl, nw, n = outer->nhist;
  PetscReal   nrm[3], elapsed;
  PetscLogDouble now;
  char        version[32], *opts = NULL, *traj = NULL, fp[256];
  const char *ptype, *htype, *ltype, *otype;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(VecGetSize(lambda, &nl));
  PetscCall(VecGetSize(outer->wsave, &nw));
  PetscCall(VecNorm(lambda, NORM_2, &nrm[0]));
  PetscCall(VecNorm(outer->wsave, NORM_2, &nrm[1]));
  PetscCall(VecNorm(outer->vsave, NORM_2, &nrm[2]));
  PetscCall(DataFingerprint(prob, fp, sizeof(fp)));
  PetscCall(WriterVec(w, "/lambda", lambda));
  PetscCall(WriterVec(w, "/w", outer->wsave));
  PetscCall(WriterVec(w, "/v", outer->vsave));
  PetscCall(WriterVec(w, "/outer/lambda_prev", outer->lambda_prev));
  PetscCall(WriterAttr(w, "/lambda", "description", PETSC_STRING, "hyperparameters after the last outer iteration"));
  PetscCall(WriterAttr(w, "/w", "description", PETSC_STRING, "lower-level solution at the last hypergradient (warm start of the next lower solve)"));
  PetscCall(WriterAttr(w, "/v", "description", PETSC_STRING, "adjoint solution at the last hypergradient (warm start of the next adjoint solve)"));
  PetscCall(WriterAttr(w, "/outer/lambda_prev", "description", PETSC_STRING, "previous outer iterate (Nesterov momentum state)"));
  if (n > 0) {
    Vec          x;
    PetscScalar *a;

    PetscCall(HistoryVec(outer, n, &x));
    for (PetscInt f = 0; f < HG_OUTER_NRECORD; f++) {
      PetscCall(VecGetArray(x, &a));
      if (!rank)
        for (PetscInt i = 0; i < n; i++) {
          PetscReal buf;
          a[i] = *RecordField(&outer->hist[i], f, &buf);
        }
      PetscCall(VecRestoreArray(x, &a));
      {
        char path[128];
        PetscCall(PetscSNPrintf(path, sizeof(path), "/history/%s", HGOuterRecordNames[f]));
        PetscCall(WriterVec(w, path, x));
      }
    }
      PetscCall(WriterAttr(w, "/history", "description", PETSC_STRING, "one entry per outer iteration: the monitor values"));
    PetscCall(VecDestroy(&x));
  }
  PetscCall(PetscTime(&now));
  elapsed = outer->lambda ? outer->elapsed0 + (PetscReal)(now - outer->tstart) : outer->elapsed0;
  if (n > 0) elapsed = PetscMax(elapsed, outer->hist[n - 1].time);
  PetscCall(HGGetVersion(version, sizeof(version)));
  PetscCall(HGProblemGetType(prob, &ptype));
  PetscCall(HGGetType(hg, &htype));
  PetscCall(HGLowerGetType(hg->lower, &ltype));
  PetscCall(HGOuterGetType(outer, &otype));
  PetscCall(PetscOptionsGetAll(NULL, &opts));
  PetscCall(TrajectoryText(outer, &traj));
  {
    PetscInt  sz = size, hp = outer->have_prev, hw = outer->have_w, hv = outer->have_v, tl = outer->total_lower, ta = outer->total_adjoint;
    PetscReal step = outer->step;
    PetscCall(WriterAttr(w, "/", "format", PETSC_STRING, HG_RUN_FORMAT));
    PetscCall(WriterAttr(w, "/", "version", PETSC_STRING, version));
    PetscCall(WriterAttr(w, "/", "problem", PETSC_STRING, ptype ? ptype : "shell"));
    PetscCall(WriterAttr(w, "/", "hg_type", PETSC_STRING, htype));
    PetscCall(WriterAttr(w, "/", "lower_type", PETSC_STRING, ltype));
    PetscCall(WriterAttr(w, "/", "outer_type", PETSC_STRING, otype));
    PetscCall(WriterAttr(w, "/", "reason", PETSC_STRING, HGOuterConvergedReasons[outer->reason]));
    PetscCall(WriterAttr(w, "/", "options", PETSC_STRING, opts ? opts : ""));
    PetscCall(WriterAttr(w, "/", "trajectory", PETSC_STRING, traj));
    PetscCall(WriterAttr(w, "/", "fingerprint_data", PETSC_STRING, fp));
    PetscCall(WriterAttr(w, "/", "nranks", PETSC_INT, &sz));
    PetscCall(WriterAttr(w, "/", "iteration", PETSC_INT, &outer->it));
    PetscCall(WriterAttr(w, "/", "nhistory", PETSC_INT, &n));
    PetscCall(WriterAttr(w, "/", "dim_lambda", PETSC_INT, &nl));
    PetscCall(WriterAttr(w, "/", "dim_w", PETSC_INT, &nw));
    PetscCall(WriterAttr(w, "/", "have_lambda_prev", PETSC_INT, &hp));
    PetscCall(WriterAttr(w, "/", "have_w", PETSC_INT, &hw));
    PetscCall(WriterAttr(w, "/", "have_v", PETSC_INT, &hv));
    PetscCall(WriterAttr(w, "/", "total_lower_its", PETSC_INT, &tl));
    PetscCall(WriterAttr(w, "/", "total_adjoint_its", PETSC_INT, &ta));
    PetscCall(WriterAttr(w, "/", "elapsed", PETSC_REAL, &elapsed));
    PetscCall(WriterAttr(w, "/", "step", PETSC_REAL, &step));
    PetscCall(WriterAttr(w, "/", "tol", PETSC_REAL, &outer->tol));
    PetscCall(WriterAttr(w, "/", "norm_lambda", PETSC_REAL, &nrm[0]));
    PetscCall(WriterAttr(w, "/", "norm_w", PETSC_REAL, &nrm[1]));
    PetscCall(WriterAttr(w, "/", "norm_v", PETSC_REAL, &nrm[2]));
    /* 'integrity' (the checksums of all of the above) and then 'complete' are written by
       rank 0 when the file is sealed (HGRunFileSeal()) */
  }
  PetscCall(PetscFree(opts));
  PetscCall(PetscFree(traj));
  PetscFunctionReturn(0);
}

/*@C
  HGOuterWriteCheckpoint - writes the state of the run (lambda, w, v, outer state, history,
  options, ranks, version) to an HDF5 file, atomically: the data go to file.tmp, which is
  sealed with a checksum table, flushed to disk and renamed over file only when complete

  Collective

  Input Parameters:
+ outer - the outer driver, inside HGOuterSolve()
- file  - the run file

  Notes:
  Between outer iterations lambda is the Vec being solved; outside HGOuterSolve() the
  lambda given to the last HGOuterSolve() or HGOuterLoadCheckpoint() is not kept, so this
  must be called from a monitor or after HGOuterSolve() has written the final checkpoint.

  Rank 0 writes the file with serial HDF5 while the other ranks send it their parts of the
  vectors.  When the write fails (disk full, quota, I/O error), every rank returns the same
  error; file.tmp is removed and file keeps the previous checkpoint.

  The checksum table (root attribute 'integrity') covers every dataset and every attribute
  in the file, including datasets and attributes other parts of the library add to it.

  Level: intermediate

.seealso: HGOuterSetCheckpoint(), HGOuterLoadCheckpoint()

  Level: advanced
@*/
PetscErrorCode HGOuterWriteCheckpoint(HGOuter outer, const char file[])
{
  char         tmp[PETSC_MAX_PATH_LEN + 8];
  MPI_Comm     comm = PetscObjectComm((PetscObject)outer);
  PetscMPIInt  rank;
  int          err = 0;
  char         msg[PETSC_MAX_PATH_LEN + 512] = "";
  RunWriter    w;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  PetscCheck(outer->lambda, comm, PETSC_ERR_ORDER, "HGOuterWriteCheckpoint() needs the lambda of a running HGOuterSolve(); call it from a monitor, or use HGOuterSetCheckpoint()");
  PetscCall(HGOuterSetUp(outer));
  PetscCall(PetscLogEventBegin(HGOuter_Checkpoint, outer, 0, 0, 0));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp", file));
  /* A full disk is refused before anything is written */
  if (!rank) {
    struct statvfs st;
    char           dir[PETSC_MAX_PATH_LEN], *slash;
    PetscInt       nl, nw;
    double         need, avail;
    PetscCall(VecGetSize(outer->lambda, &nl));
    PetscCall(VecGetSize(outer->wsave, &nw));
    need = 2.0 * (8.0 * (2.0 * nl + 2.0 * nw + HG_OUTER_NRECORD * (double)outer->nhist) + 65536.0) + 262144.0;
    PetscCall(PetscStrncpy(dir, file, sizeof(dir)));
    slash = strrchr(dir, '/');
    if (!slash) PetscCall(PetscStrncpy(dir, ".", sizeof(dir)));
    else if (slash == dir) dir[1] = 0;
    else *slash = 0;
    if (statvfs(dir, &st) == 0) {
      avail = (double)st.f_bavail * (double)st.f_frsize;
      if (avail < need) {
        err = ENOSPC;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "only %.0f bytes free in %s, about %.0f needed: disk full", avail, dir, need));
      }
    }
  }
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, comm));
  if (err) {
    PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
    SETERRQ(comm, PETSC_ERR_FILE_WRITE, "Checkpoint not written (%s); the previous checkpoint %s is unchanged. Free some space or choose another -outer_checkpoint, then continue with -resume", msg, file);
  }
  /* The disk may still fill (or fail) during the write: only rank 0 writes (RunWriter) */
  PetscCall(WriterOpen(comm, tmp, &w));
  PetscCall(WriteState(outer, &w, outer->lambda));
  PetscCall(WriterClose(&w, tmp));
  if (!rank) {
    if (w.failed) {
      err = EIO;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s", w.msg));
    } else {
      /* seal: checksums of everything written, read back from the file, then 'complete' */
      PetscCall(HGRunFileSeal(tmp, msg, sizeof(msg)));
      if (msg[0]) err = EIO;
    }
    if (!err) {
      /* flush the complete file to disk before it replaces the old one */
      int fd = open(tmp, O_RDONLY);
      errno  = 0;
      if (fd < 0 || fsync(fd) != 0) {
        err = errno ? errno : EIO;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "flushing %s to disk failed: %s", tmp, strerror(err)));
      }
      if (fd >= 0) close(fd);
      if (!err && rename(tmp, file) != 0) {
        err = errno;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "renaming %s to %s failed: %s", tmp, file, strerror(err)));
      }
    }
    if (err) (void)unlink(tmp);
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPI_INT, MPI_MAX, comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
  PetscCheck(!err, comm, PETSC_ERR_FILE_WRITE, "Checkpoint not written (%s); the previous checkpoint %s is unchanged and %s is removed. Check the disk space and permissions of its directory, then continue with -resume", msg, file, tmp);
  PetscCall(PetscLogEventEnd(HGOuter_Checkpoint, outer, 0, 0, 0));
  PetscCall(PetscInfo(outer, "Checkpoint of outer iteration %" PetscInt_FMT " written to %s\n", outer->it, file));
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterCheckpointCurrent(HGOuter outer, Vec lambda)
{
  Vec keep = outer->lambda;

  PetscFunctionBegin;
  if (lambda) outer->lambda = lambda;
  PetscCall(HGOuterWriteCheckpoint(outer, outer->ckfile));
  outer->lambda = keep;
  PetscFunctionReturn(0);
}

/* Before a run starts: can the checkpoint be written where it is asked for? */
PetscErrorCode HGOuterCheckpointCheckDirectory(HGOuter outer)
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)outer);
  PetscMPIInt rank;
  int         ok = 1, isdir = 0;
  char        dir[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  if (!outer->ckfile[0]) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscStrncpy(dir, outer->ckfile, sizeof(dir)));
  {
    char *slash = strrchr(dir, '/');
    if (!slash) PetscCall(PetscStrncpy(dir, ".", sizeof(dir)));
    else if (slash == dir) dir[1] = 0;
    else *slash = 0;
  }
  if (!rank) {
    struct stat st;
    size_t      l = strlen(outer->ckfile);
    isdir = (stat(outer->ckfile, &st) == 0 && S_ISDIR(st.st_mode)) || outer->ckfile[l - 1] == '/';
    ok    = access(dir, W_OK | X_OK) == 0;
  }
  PetscCallMPI(MPI_Bcast(&isdir, 1, MPI_INT, 0, comm));
  PetscCheck(!isdir, comm, PETSC_ERR_FILE_OPEN, "The checkpoint %s is a directory: give -outer_checkpoint a file name (e.g. %s%srun.h5)", outer->ckfile, outer->ckfile, outer->ckfile[strlen(outer->ckfile) - 1] == '/' ? "" : "/");
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  PetscCheck(ok, comm, PETSC_ERR_FILE_OPEN, "Cannot write the checkpoint %s: its directory %s does not exist or is not writable. Create it or choose another -outer_checkpoint", outer->ckfile, dir);
  PetscFunctionReturn(0);
}

/*@C
  HGOuterSetCheckpoint - the HDF5 file that receives checkpoints: every n outer
  iterations (n = 0: only at the end and when a signal stops the run)

  Logically Collective

  Input Parameters:
+ outer - the outer driver
. file  - the run file (NULL or "": no checkpoints)
- every - the period n

  Options Database Keys:
+ -outer_checkpoint <file>    - the file
- -outer_checkpoint_every <n> - the period

  Notes:
  While HGOuterSolve() runs, rank 0 holds an advisory lock on file.lock: a second run with
  the same file is refused.

  Level: beginner

.seealso: HGOuterWriteCheckpoint(), HGOuterLoadCheckpoint()
@*/
PetscErrorCode HGOuterSetCheckpoint(HGOuter outer, const char file[], PetscInt every)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  PetscCheck(every >= 0, PetscObjectComm((PetscObject)outer), PETSC_ERR_ARG_OUTOFRANGE, "-outer_checkpoint_every must be >= 0 (0: at the end only); got %" PetscInt_FMT, every);
  if (file != outer->ckfile) PetscCall(PetscStrncpy(outer->ckfile, file ? file : "", sizeof(outer->ckfile)));
  outer->ckevery = every;
  PetscFunctionReturn(0);
}

/*@
  HGOuterSetResumeForce - lets HGOuterLoadCheckpoint() resume a run file whose data
  fingerprint or trajectory options differ from those of this run (it says what differs and
  goes on), or a run file without checksums written by an older hypergrad

  Logically Collective

  Input Parameters:
+ outer - the outer driver
- flg   - PETSC_TRUE to resume anyway

  Options Database Key:
. -outer_resume_force - resume anyway

  Notes:
  A run file whose content does not match its checksums is refused even so.

  Level: advanced

.seealso: HGOuterLoadCheckpoint(), HGProblemSetFingerprint()
@*/
PetscErrorCode HGOuterSetResumeForce(HGOuter outer, PetscBool flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  outer->resume_force = flg;
  PetscFunctionReturn(0);
}

static PetscErrorCode LoadCheckpoint(HGOuter, const char[], Vec);

/* The whole file is checked on rank 0 (serial HDF5, errors silenced) before any rank reads it:
   a damaged file gives our message, never an HDF5 trace, a crash or ranks that disagree */
static PetscErrorCode CheckIntact(HGOuter outer, const char file[])
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)outer);
  PetscMPIInt rank;
  char        msg[PETSC_MAX_PATH_LEN + 512] = "";
  PetscBool   old = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) PetscCall(HGRunFileVerify(file, msg, sizeof(msg)));
  PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
  if (!msg[0]) PetscFunctionReturn(0);
  old = strstr(msg, "written by an older hypergrad") ? PETSC_TRUE : PETSC_FALSE;
  if (old && outer->resume_force) {
    PetscCall(PetscInfo(outer, "The checkpoint %s %s: resumed without checking it (-outer_resume_force)\n", file, msg));
    PetscFunctionReturn(0);
  }
  SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "The checkpoint %s %s; it is left untouched. Resume from an intact copy or start a new run%s", file, msg, old ? " (or pass -outer_resume_force to resume it unchecked)" : "");
}

static PetscErrorCode ReadString(PetscViewer viewer, const char file[], const char name[], char **s)
{
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(PetscViewerHDF5HasAttribute(viewer, "/", name, &has));
  PetscCheck(has, PetscObjectComm((PetscObject)viewer), PETSC_ERR_FILE_UNEXPECTED, "The checkpoint %s has no attribute '%s': it is damaged or not a hypergrad run file; it is left untouched. Resume from an intact copy or start a new run", file, name);
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", name, PETSC_STRING, NULL, s));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckNorm(MPI_Comm comm, const char file[], const char what[], Vec x, PetscReal stored)
{
  PetscReal nrm;

  PetscFunctionBegin;
  PetscCall(VecNorm(x, NORM_2, &nrm));
  PetscCheck(PetscAbsReal(nrm - stored) <= 1e-12 * PetscMax(1.0, PetscAbsReal(stored)) && !PetscIsInfOrNanReal(nrm), comm, PETSC_ERR_FILE_UNEXPECTED, "The checkpoint %s is corrupt: the norm of %s read back is %.17g but %.17g was written; it is left untouched. Resume from an intact copy or start a new run", file, what, (double)nrm, (double)stored);
  PetscFunctionReturn(0);
}

/* First line where "-name value" lists differ, as "-name: A in the run file, B in this run" */
static PetscErrorCode TrajectoryDiff(const char file_t[], const char now_t[], char msg[], size_t len)
{
  const char *lists[2] = {file_t, now_t};

  PetscFunctionBegin;
  msg[0] = 0;
  for (int side = 0; side < 2 && !msg[0]; side++) {
    const char *p = lists[side], *o = lists[1 - side];
    while (p && *p && !msg[0]) {
      const char *e = strchr(p, '\n'), *sp;
      size_t      n = e ? (size_t)(e - p) : strlen(p);
      char        line[PETSC_MAX_PATH_LEN], key[PETSC_MAX_PATH_LEN], found[PETSC_MAX_PATH_LEN] = "";
      if (n >= sizeof(line)) n = sizeof(line) - 1;
      memcpy(line, p, n);
      line[n] = 0;
      p       = e ? e + 1 : NULL;
      if (line[0] != '-') continue;
      /* is the very same line in the other list? */
      {
        const char *q = o;
        PetscBool   same = PETSC_FALSE;
        sp               = strchr(line, ' ');
        PetscCall(PetscSNPrintf(key, sizeof(key), "%.*s", (int)(sp ? (size_t)(sp - line) : strlen(line)), line));
        while (q && *q) {
          const char *qe = strchr(q, '\n');
          size_t      m  = qe ? (size_t)(qe - q) : strlen(q);
          if (m == strlen(line) && !strncmp(q, line, m)) same = PETSC_TRUE;
          if (!strncmp(q, key, strlen(key)) && (q[strlen(key)] == ' ' || q[strlen(key)] == '\n' || !q[strlen(key)])) PetscCall(PetscSNPrintf(found, sizeof(found), "%.*s", (int)m, q));
          q = qe ? qe + 1 : NULL;
        }
        if (same) continue;
      }
      {
        const char *v  = sp ? sp + 1 : "(set)";
        const char *fv = found[0] ? (strchr(found, ' ') ? strchr(found, ' ') + 1 : "(set)") : "(not given)";
        if (side == 0) PetscCall(PetscSNPrintf(msg, len, "%s: %s in the run file, %s in this run", key, v, fv));
        else PetscCall(PetscSNPrintf(msg, len, "%s: %s in the run file, %s in this run", key, fv, v));
      }
    }
  }
  PetscFunctionReturn(0);
}

/* The run file must come from the same data and the same trajectory options */
static PetscErrorCode CheckFingerprints(HGOuter outer, PetscViewer viewer, const char file[])
{
  MPI_Comm comm = PetscObjectComm((PetscObject)outer);
  char    *ffp = NULL, *ftraj = NULL, *freason = NULL, *traj = NULL, fp[256], what[2 * PETSC_MAX_PATH_LEN + 512] = "";
  PetscBool same, diverged;

  PetscFunctionBegin;
  PetscCall(ReadString(viewer, file, "fingerprint_data", &ffp));
  PetscCall(ReadString(viewer, file, "trajectory", &ftraj));
  PetscCall(ReadString(viewer, file, "reason", &freason));
  /* a run that diverged is continued with other options (a smaller -outer_step): that is what
     its message advises, so only its data must match */
  diverged = freason && !strncmp(freason, "DIVERGED_", 9) ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(DataFingerprint(outer->hg->problem, fp, sizeof(fp)));
  PetscCall(PetscStrcmp(ffp, fp, &same));
  if (!same) PetscCall(PetscSNPrintf(what, sizeof(what), "the data differ (fingerprint \"%s\" in the run file, \"%s\" of this run's data)", ffp, fp));
  PetscCall(TrajectoryText(outer, &traj));
  {
    char diff[PETSC_MAX_PATH_LEN];
    PetscCall(TrajectoryDiff(ftraj, traj, diff, sizeof(diff)));
    if (diff[0] && diverged) PetscCall(PetscPrintf(comm, "Resuming %s, a run that ended %s, with other options: %s\n", file, freason, diff));
    else if (diff[0]) {
      size_t l = strlen(what);
      PetscCall(PetscSNPrintf(what + l, sizeof(what) - l, "%san option that defines the trajectory differs (%s)", l ? "; " : "", diff));
    }
  }
  PetscCall(PetscFree(traj));
  PetscCall(PetscFree(ffp));
  PetscCall(PetscFree(ftraj));
  PetscCall(PetscFree(freason));
  if (!what[0]) PetscFunctionReturn(0);
  if (outer->resume_force) {
    PetscCall(PetscPrintf(comm, "Warning: resuming %s although %s (-outer_resume_force)\n", file, what));
    PetscFunctionReturn(0);
  }
  SETERRQ(comm, PETSC_ERR_ARG_INCOMP, "The checkpoint %s was written by another run: %s. Give the data and options of the original run (its options are in the 'options' attribute), or pass -outer_resume_force to resume anyway; the file is left untouched", file, what);
}

/*@C
  HGOuterLoadCheckpoint - restores a run from its checkpoint: lambda, w, v, the outer
  optimizer's state and the history; the next HGOuterSolve() continues it

  Collective

  Input Parameters:
+ outer  - the outer driver, with its HG set (and set from options) as for the original run
. file   - the run file
- lambda - receives the hyperparameters

  Options Database Keys:
+ -resume <file>      - (hgrun) resume from this file
- -outer_resume_force - resume although the data fingerprint or the trajectory options differ

  Notes:
  The whole file is verified first against the checksum table written with it: a file
  with any dataset or attribute changed, missing or added is refused with a message that
  names the file and what differs.  It is then checked against the run: the same problem
  type, method, lower solver and outer type, the same dimensions of lambda and w, the same
  data fingerprint (HGProblemSetFingerprint()) and the same options that define the
  trajectory (-outer_step, -hg_k, -lower_*, problem options; not -outer_max_it, monitors or
  checkpoint options).  The number of ranks and of sub-communicators (-multi_nsubcomm) may differ.  A file that fails a check is refused
  with a message and never modified.  From here to the end of the next HGOuterSolve(),
  rank 0 holds the lock file.lock: a file in use by another run is refused.

  Level: beginner

.seealso: HGOuterWriteCheckpoint(), HGOuterSetCheckpoint(), HGOuterSetResumeForce()
@*/
PetscErrorCode HGOuterLoadCheckpoint(HGOuter outer, const char file[], Vec lambda)
{
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  ierr = LoadCheckpoint(outer, file, lambda);
  if (ierr) { /* refused: the lock is given back and its file left as found (removed if this call created it) */
    (void)HGOuterLockAbandon(outer);
    PetscCall(ierr);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode LoadCheckpoint(HGOuter outer, const char file[], Vec lambda)
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)outer);
  PetscViewer viewer;
  HG          hg;
  PetscInt    nl, nw, fnl = -1, fnw = -1, n = 0, it = 0, hp = 0, hw = 0, hv = 0, tl = 0, ta = 0, neg = -1;
  PetscReal   elapsed = 0, nrm[3] = {0, 0, 0}, zero = 0, step = 0, tol = 0;
  char       *fmt = NULL, *ptype = NULL, *htype = NULL, *ltype = NULL, *otype = NULL;
  const char *mytype[4];
  PetscMPIInt rank;
  int         exists = 0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  PetscCall(HGOuterSetUp(outer));
  hg = outer->hg;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    struct stat st;
    exists = stat(file, &st) == 0 ? (S_ISDIR(st.st_mode) ? 2 : (access(file, R_OK) == 0 ? 1 : 0)) : 0;
  }
  PetscCallMPI(MPI_Bcast(&exists, 1, MPI_INT, 0, comm));
  PetscCheck(exists != 0, comm, PETSC_ERR_FILE_OPEN, "Cannot read the checkpoint %s: no such file or not readable. Give the run file written by -outer_checkpoint", file);
  PetscCheck(exists != 2, comm, PETSC_ERR_FILE_OPEN, "The checkpoint %s is a directory: give the run file written by -outer_checkpoint", file);
  /* no other run may write the file while it is read and continued */
  PetscCall(HGOuterLockAcquire(outer, file));
  PetscCall(CheckIntact(outer, file));
  PetscCall(PetscViewerHDF5Open(comm, file, FILE_MODE_READ, &viewer));
  PetscCall(ReadString(viewer, file, "format", &fmt));
  PetscCall(ReadString(viewer, file, "problem", &ptype));
  PetscCall(ReadString(viewer, file, "hg_type", &htype));
  PetscCall(ReadString(viewer, file, "lower_type", &ltype));
  PetscCall(ReadString(viewer, file, "outer_type", &otype));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "dim_lambda", PETSC_INT, &neg, &fnl));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "dim_w", PETSC_INT, &neg, &fnw));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "iteration", PETSC_INT, &neg, &it));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "nhistory", PETSC_INT, &neg, &n));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "have_lambda_prev", PETSC_INT, &neg, &hp));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "have_w", PETSC_INT, &neg, &hw));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "have_v", PETSC_INT, &neg, &hv));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "total_lower_its", PETSC_INT, &neg, &tl));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "total_adjoint_its", PETSC_INT, &neg, &ta));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "elapsed", PETSC_REAL, &zero, &elapsed));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "step", PETSC_REAL, &zero, &step));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "tol", PETSC_REAL, &zero, &tol));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "norm_lambda", PETSC_REAL, &zero, &nrm[0]));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "norm_w", PETSC_REAL, &zero, &nrm[1]));
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", "norm_v", PETSC_REAL, &zero, &nrm[2]));
  {
    PetscBool ok;
    PetscCall(PetscStrcmp(fmt, HG_RUN_FORMAT, &ok));
    PetscCheck(ok, comm, PETSC_ERR_FILE_UNEXPECTED, "%s is an HDF5 file but not a hypergrad run file (format \"%s\"); it is left untouched", file, fmt);
    PetscCheck(fnl >= 0 && fnw >= 0 && it >= 0 && n >= 0 && n <= it + 1 && tl >= 0 && ta >= 0, comm, PETSC_ERR_FILE_UNEXPECTED, "The checkpoint %s has missing or invalid attributes (dim_lambda %" PetscInt_FMT ", dim_w %" PetscInt_FMT ", iteration %" PetscInt_FMT ", nhistory %" PetscInt_FMT "); it is left untouched", file, fnl, fnw, it, n);
  }
  PetscCall(HGProblemGetType(hg->problem, &mytype[0]));
  PetscCall(HGGetType(hg, &mytype[1]));
  PetscCall(HGLowerGetType(hg->lower, &mytype[2]));
  PetscCall(HGOuterGetType(outer, &mytype[3]));
  {
    const char *theirs[4] = {ptype, htype, ltype, otype}, *what[4] = {"problem (-problem)", "hypergradient method (-hg_type)", "lower-level solver (-lower_type)", "outer optimizer (-outer_type)"};
    for (PetscInt i = 0; i < 4; i++) {
      PetscBool same;
      PetscCall(PetscStrcmp(theirs[i], mytype[i] ? mytype[i] : "shell", &same));
      PetscCheck(same, comm, PETSC_ERR_ARG_INCOMP, "The checkpoint %s was written with %s %s but this run uses %s: give the options of the original run to resume it (they are stored in its 'options' attribute); the file is left untouched", file, what[i], theirs[i], mytype[i]);
    }
  }
  PetscCall(VecGetSize(lambda, &nl));
  PetscCall(VecGetSize(outer->wsave, &nw));
  PetscCheck(fnl == nl && fnw == nw, comm, PETSC_ERR_ARG_SIZ, "The checkpoint %s holds lambda of dimension %" PetscInt_FMT " and w of dimension %" PetscInt_FMT " but this problem has %" PetscInt_FMT " and %" PetscInt_FMT ": give the problem options of the original run (stored in its 'options' attribute)%s; the file is left untouched", file, fnl, fnw, nl, nw, mytype[0] && !strcmp(mytype[0], HGPROBLEMMULTI) ? " (with -problem multi, w stacks the instances: -multi_n must be that of the original run)" : "");
  PetscCall(CheckFingerprints(outer, viewer, file));
  PetscCall(LoadNamed(viewer, lambda, "/lambda", file));
  PetscCall(LoadNamed(viewer, outer->wsave, "/w", file));
  PetscCall(LoadNamed(viewer, outer->vsave, "/v", file));
  PetscCall(LoadNamed(viewer, outer->lambda_prev, "/outer/lambda_prev", file));
  PetscCall(CheckNorm(comm, file, "lambda", lambda, nrm[0]));
  PetscCall(CheckNorm(comm, file, "w", outer->wsave, nrm[1]));
  PetscCall(CheckNorm(comm, file, "v", outer->vsave, nrm[2]));
  PetscCall(HGOuterHistoryReserve(outer, n + outer->max_it));
  if (n > 0) {
    PetscReal *vals;
    Vec        x;

    PetscCall(PetscMalloc1(HG_OUTER_NRECORD * n, &vals));
    PetscCall(HistoryVec(outer, n, &x));
    for (PetscInt f = 0; f < HG_OUTER_NRECORD; f++) {
      char path[128];
      PetscCall(PetscSNPrintf(path, sizeof(path), "/history/%s", HGOuterRecordNames[f]));
      if (f == 12) { /* bound_estimated: absent from files of earlier versions (NaN: not known) */
        PetscBool has;
        PetscCall(PetscViewerHDF5HasDataset(viewer, path, &has));
        if (!has) {
          for (PetscInt i = 0; i < n; i++) vals[f * n + i] = (PetscReal)NAN;
          continue;
        }
      }
      PetscCall(LoadNamed(viewer, x, path, file));
      if (!rank) {
        const PetscScalar *a;
        PetscCall(VecGetArrayRead(x, &a));
        for (PetscInt i = 0; i < n; i++) vals[f * n + i] = PetscRealPart(a[i]);
        PetscCall(VecRestoreArrayRead(x, &a));
      }
    }
    PetscCallMPI(MPI_Bcast(vals, (PetscMPIInt)(HG_OUTER_NRECORD * n), MPIU_REAL, 0, comm));
    for (PetscInt i = 0; i < n; i++) {
      HGOuterRecord r;
      PetscReal     buf;
      for (PetscInt f = 0; f < HG_OUTER_NRECORD; f++) *RecordField(&r, f, &buf) = vals[f * n + i];
      r.iteration = (PetscInt)vals[i];
      PetscCall(HGOuterHistoryAppend(outer, &r));
    }
    PetscCall(VecDestroy(&x));
    PetscCall(PetscFree(vals));
  }
  PetscCall(PetscViewerDestroy(&viewer));
  outer->it            = it;
  outer->elapsed0      = elapsed;
  outer->have_prev     = hp ? PETSC_TRUE : PETSC_FALSE;
  outer->have_w        = hw ? PETSC_TRUE : PETSC_FALSE;
  outer->have_v        = hv ? PETSC_TRUE : PETSC_FALSE;
  outer->total_lower   = tl;
  outer->total_adjoint = ta;
  outer->resumed       = PETSC_TRUE;
  outer->tol           = tol; /* state of adaptive tolerances */
  {
    PetscBool adaptive;
    PetscCall(PetscObjectTypeCompare((PetscObject)outer, HGOUTERADAPTIVE, &adaptive));
    if (adaptive && step > 0) outer->step = step; /* the adaptive step is state; a fixed step comes from the options */
  }
  if (!outer->ckfile[0]) PetscCall(PetscStrncpy(outer->ckfile, file, sizeof(outer->ckfile)));
  PetscCall(PetscFree(fmt));
  PetscCall(PetscFree(ptype));
  PetscCall(PetscFree(htype));
  PetscCall(PetscFree(ltype));
  PetscCall(PetscFree(otype));
  PetscCall(PetscInfo(outer, "Resumed from %s at outer iteration %" PetscInt_FMT "\n", file, it));
  PetscFunctionReturn(0);
}
