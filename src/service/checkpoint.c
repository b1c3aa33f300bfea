/* HGOuter checkpoints: one HDF5 run file, written collectively with PetscViewerHDF5 to
   FILE.tmp and renamed over FILE only when complete; read back with checks. */
#include "outerimpl.h"
#include <petscviewerhdf5.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/statvfs.h>

#define HG_RUN_FORMAT "hypergrad-run"

static PetscErrorCode ViewNamed(PetscViewer viewer, Vec x, const char name[])
{
  const char *old;
  char       *keep = NULL;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetName((PetscObject)x, &old));
  PetscCall(PetscStrallocpy(old, &keep));
  PetscCall(PetscObjectSetName((PetscObject)x, name));
  PetscCall(VecView(x, viewer));
  PetscCall(PetscObjectSetName((PetscObject)x, keep));
  PetscCall(PetscFree(keep));
  PetscFunctionReturn(0);
}

static PetscErrorCode LoadNamed(PetscViewer viewer, Vec x, const char name[], const char file[])
{
  const char *old;
  char       *keep = NULL;
  PetscBool   has;
  char        path[256];

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s", name));
  PetscCall(PetscViewerHDF5HasDataset(viewer, path, &has));
  PetscCheck(has, PetscObjectComm((PetscObject)x), PETSC_ERR_FILE_UNEXPECTED, "The checkpoint %s has no dataset %s: it is incomplete or not a hypergrad run file; start a new run or give the right file", file, name);
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

/* Writes the whole state to viewer */
static PetscErrorCode WriteState(HGOuter outer, PetscViewer viewer, Vec lambda)
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)outer);
  HG          hg   = outer->hg;
  HGProblem   prob = hg->problem;
  PetscMPIInt size, rank;
  PetscInt    nl, nw, n = outer->nhist;
  PetscReal   nrm[3], elapsed;
  PetscLogDouble now;
  char        version[32], *opts = NULL;
  const char *ptype, *htype, *ltype, *otype;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(VecGetSize(lambda, &nl));
  PetscCall(VecGetSize(outer->wsave, &nw));
  PetscCall(ViewNamed(viewer, lambda, "lambda"));
  PetscCall(ViewNamed(viewer, outer->wsave, "w"));
  PetscCall(ViewNamed(viewer, outer->vsave, "v"));
  PetscCall(PetscViewerHDF5PushGroup(viewer, "/outer"));
  PetscCall(ViewNamed(viewer, outer->lambda_prev, "lambda_prev"));
  PetscCall(PetscViewerHDF5PopGroup(viewer));
  PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/lambda", "description", PETSC_STRING, "hyperparameters after the last outer iteration"));
  PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/w", "description", PETSC_STRING, "lower-level solution at the last hypergradient (warm start of the next lower solve)"));
  PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/v", "description", PETSC_STRING, "adjoint solution at the last hypergradient (warm start of the next adjoint solve)"));
  PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/outer/lambda_prev", "description", PETSC_STRING, "previous outer iterate (Nesterov momentum state)"));
  if (n > 0) {
    Vec          x;
    PetscScalar *a;

    PetscCall(HistoryVec(outer, n, &x));
    PetscCall(PetscViewerHDF5PushGroup(viewer, "/history"));
    for (PetscInt f = 0; f < HG_OUTER_NRECORD; f++) {
      PetscCall(VecGetArray(x, &a));
      if (!rank)
        for (PetscInt i = 0; i < n; i++) {
          PetscReal buf;
          a[i] = *RecordField(&outer->hist[i], f, &buf);
        }
      PetscCall(VecRestoreArray(x, &a));
      PetscCall(ViewNamed(viewer, x, HGOuterRecordNames[f]));
    }
    PetscCall(PetscViewerHDF5PopGroup(viewer));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/history", "description", PETSC_STRING, "one entry per outer iteration: the monitor values"));
    PetscCall(VecDestroy(&x));
  }
  PetscCall(VecNorm(lambda, NORM_2, &nrm[0]));
  PetscCall(VecNorm(outer->wsave, NORM_2, &nrm[1]));
  PetscCall(VecNorm(outer->vsave, NORM_2, &nrm[2]));
  PetscCall(PetscTime(&now));
  elapsed = outer->lambda ? outer->elapsed0 + (PetscReal)(now - outer->tstart) : outer->elapsed0;
  if (n > 0) elapsed = PetscMax(elapsed, outer->hist[n - 1].time);
  PetscCall(HGGetVersion(version, sizeof(version)));
  PetscCall(HGProblemGetType(prob, &ptype));
  PetscCall(HGGetType(hg, &htype));
  PetscCall(HGLowerGetType(hg->lower, &ltype));
  PetscCall(HGOuterGetType(outer, &otype));
  PetscCall(PetscOptionsGetAll(NULL, &opts));
  {
    PetscInt  sz = size, hp = outer->have_prev, hw = outer->have_w, hv = outer->have_v, tl = outer->total_lower, ta = outer->total_adjoint, complete = 1;
    PetscReal step = outer->step;
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "format", PETSC_STRING, HG_RUN_FORMAT));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "version", PETSC_STRING, version));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "problem", PETSC_STRING, ptype ? ptype : "shell"));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "hg_type", PETSC_STRING, htype));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "lower_type", PETSC_STRING, ltype));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "outer_type", PETSC_STRING, otype));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "reason", PETSC_STRING, HGOuterConvergedReasons[outer->reason]));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "options", PETSC_STRING, opts ? opts : ""));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "nranks", PETSC_INT, &sz));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "iteration", PETSC_INT, &outer->it));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "nhistory", PETSC_INT, &n));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "dim_lambda", PETSC_INT, &nl));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "dim_w", PETSC_INT, &nw));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "have_lambda_prev", PETSC_INT, &hp));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "have_w", PETSC_INT, &hw));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "have_v", PETSC_INT, &hv));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "total_lower_its", PETSC_INT, &tl));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "total_adjoint_its", PETSC_INT, &ta));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "elapsed", PETSC_REAL, &elapsed));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "step", PETSC_REAL, &step));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "tol", PETSC_REAL, &outer->tol));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "norm_lambda", PETSC_REAL, &nrm[0]));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "norm_w", PETSC_REAL, &nrm[1]));
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "norm_v", PETSC_REAL, &nrm[2]));
    /* written last: a reader that finds it knows every dataset before it was written */
    PetscCall(PetscViewerHDF5WriteAttribute(viewer, "/", "complete", PETSC_INT, &complete));
  }
  PetscCall(PetscFree(opts));
  PetscFunctionReturn(0);
}

/*@C
  HGOuterWriteCheckpoint - writes the state of the run (lambda, w, v, outer state, history,
  options, ranks, version) to an HDF5 file, atomically: the data go to file.tmp, which is
  flushed to disk and renamed over file only when complete

  Collective

  Input Parameters:
+ outer - the outer driver
- file - the run file

  Notes:
  Between outer iterations lambda is the Vec being solved; outside HGOuterSolve() the
  lambda given to the last HGOuterSolve() or HGOuterLoadCheckpoint() is not kept, so this
  must be called from a monitor or after HGOuterSolve() has written the final checkpoint.

.seealso: HGOuterSetCheckpoint(), HGOuterLoadCheckpoint()

  Level: advanced
@*/
PetscErrorCode HGOuterWriteCheckpoint(HGOuter outer, const char file[])
{
  char        tmp[PETSC_MAX_PATH_LEN + 8];
  MPI_Comm    comm = PetscObjectComm((PetscObject)outer);
  PetscMPIInt rank;
  PetscViewer viewer;
  int            err = 0;
  char           msg[PETSC_MAX_PATH_LEN + 256] = "";
  PetscErrorCode ierr, ierr2;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  PetscCheck(outer->lambda, comm, PETSC_ERR_ORDER, "HGOuterWriteCheckpoint() needs the lambda of a running HGOuterSolve(); call it from a monitor, or use HGOuterSetCheckpoint()");
  PetscCall(HGOuterSetUp(outer));
  PetscCall(PetscLogEventBegin(HGOuter_Checkpoint, outer, 0, 0, 0));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp", file));
  /* A full disk is refused before anything is written: HDF5's collective writes do not
     all fail together when the disk fills, so the free space is checked first */
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
  /* another failure while writing must leave the previous checkpoint as it was */
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = PetscViewerHDF5Open(comm, tmp, FILE_MODE_WRITE, &viewer);
  if (!ierr) {
    ierr = WriteState(outer, viewer, outer->lambda);
    ierr2 = PetscViewerDestroy(&viewer);
    if (!ierr) ierr = ierr2;
  }
  PetscCall(PetscPopErrorHandler());
  if (ierr) {
    err = EIO;
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "writing %s failed with PETSc error %d (disk full, quota or I/O error?)", tmp, (int)ierr));
    if (!rank) (void)unlink(tmp);
  } else if (!rank) {
    /* flush the complete file to disk before it replaces the old one */
    int fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
      err = errno ? errno : EIO;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "flushing %s to disk failed: %s", tmp, strerror(err)));
    }
    if (fd >= 0) close(fd);
    if (!err && rename(tmp, file) != 0) {
      err = errno;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "renaming %s to %s failed: %s", tmp, file, strerror(err)));
    }
    if (err) (void)unlink(tmp);
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPI_INT, MPI_MAX, comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
  PetscCheck(!err, comm, PETSC_ERR_FILE_WRITE, "Checkpoint not written (%s); the previous checkpoint %s is unchanged. Check the disk space and permissions of its directory", msg, file);
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
  int         ok = 1;
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
  if (!rank) ok = access(dir, W_OK | X_OK) == 0;
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
. file - the run file
- every - the period n

  Options Database Keys:
+ -outer_checkpoint <file>    - the file
- -outer_checkpoint_every <n> - the period

  Level: beginner

.seealso: HGOuterLoadCheckpoint(), HGOuterWriteCheckpoint()
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

/* Is file an HDF5 file we can open?  Checked on rank 0 with the HDF5 error stack silenced,
   so that a truncated or foreign file gives our message, not an HDF5 trace */
static PetscErrorCode CheckOpenable(MPI_Comm comm, const char file[])
{
  PetscMPIInt rank;
  int         status = 0; /* 0 ok, 1 missing, 2 not hdf5, 3 cannot open */

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    if (access(file, R_OK) != 0) status = 1;
    else {
      H5E_auto2_t func;
      void       *data;
      htri_t      is;
      H5Eget_auto2(H5E_DEFAULT, &func, &data);
      H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
      is = H5Fis_hdf5(file);
      if (is <= 0) status = 2;
      else {
        hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f < 0) status = 3;
        else {
          htri_t has = H5Aexists(f, "complete");
          if (has <= 0) status = 4;
          H5Fclose(f);
        }
      }
      H5Eset_auto2(H5E_DEFAULT, func, data);
    }
  }
  PetscCallMPI(MPI_Bcast(&status, 1, MPI_INT, 0, comm));
  PetscCheck(status != 1, comm, PETSC_ERR_FILE_OPEN, "Cannot read the checkpoint %s: no such file or not readable. Give the run file written by -outer_checkpoint", file);
  PetscCheck(status != 2, comm, PETSC_ERR_FILE_UNEXPECTED, "The checkpoint %s is not an HDF5 file (corrupt or not a checkpoint); it is left untouched. Give the run file written by -outer_checkpoint", file);
  PetscCheck(status != 3, comm, PETSC_ERR_FILE_UNEXPECTED, "The checkpoint %s cannot be opened as HDF5 (truncated or corrupt); it is left untouched. Resume from an intact copy or start a new run", file);
  PetscCheck(status != 4, comm, PETSC_ERR_FILE_UNEXPECTED, "The checkpoint %s is not a complete hypergrad run file (no 'complete' attribute); it is left untouched. Resume from an intact copy or start a new run", file);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadString(PetscViewer viewer, const char name[], char **s)
{
  PetscFunctionBegin;
  PetscCall(PetscViewerHDF5ReadAttribute(viewer, "/", name, PETSC_STRING, "", s));
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

/*@C
  HGOuterLoadCheckpoint - restores a run from its checkpoint: lambda, w, v, the outer
  optimizer's state and the history; the next HGOuterSolve() continues it

  Collective

  Input Parameters:
+ outer  - the outer driver, with its HG set (and set from options) as for the original run
. file   - the run file
- lambda - receives the hyperparameters

  Notes:
  The file is checked against the run: the same problem type, method, lower solver and
  outer type, and the same dimensions of lambda and w; the norms of lambda, w and v
  recorded in the file are verified after reading.  The number of ranks may differ.  A
  file that fails a check is refused with a message and never modified.

  Options Database Key:
. -resume <file> - (hgrun) resume from this file

.seealso: HGOuterWriteCheckpoint(), HGOuterSetCheckpoint()

  Level: beginner
@*/
PetscErrorCode HGOuterLoadCheckpoint(HGOuter outer, const char file[], Vec lambda)
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)outer);
  PetscViewer viewer;
  HG          hg;
  PetscInt    nl, nw, fnl = -1, fnw = -1, n = 0, it = 0, hp = 0, hw = 0, hv = 0, tl = 0, ta = 0, neg = -1;
  PetscReal   elapsed = 0, nrm[3] = {0, 0, 0}, zero = 0, step = 0, tol = 0;
  char       *fmt = NULL, *ptype = NULL, *htype = NULL, *ltype = NULL, *otype = NULL;
  const char *mytype[4];
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(outer, HGOUTER_CLASSID, 1);
  PetscCall(HGOuterSetUp(outer));
  hg = outer->hg;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(CheckOpenable(comm, file));
  PetscCall(PetscViewerHDF5Open(comm, file, FILE_MODE_READ, &viewer));
  PetscCall(ReadString(viewer, "format", &fmt));
  PetscCall(ReadString(viewer, "problem", &ptype));
  PetscCall(ReadString(viewer, "hg_type", &htype));
  PetscCall(ReadString(viewer, "lower_type", &ltype));
  PetscCall(ReadString(viewer, "outer_type", &otype));
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
  PetscCheck(fnl == nl && fnw == nw, comm, PETSC_ERR_ARG_SIZ, "The checkpoint %s holds lambda of dimension %" PetscInt_FMT " and w of dimension %" PetscInt_FMT " but this problem has %" PetscInt_FMT " and %" PetscInt_FMT ": give the problem options of the original run (stored in its 'options' attribute); the file is left untouched", file, fnl, fnw, nl, nw);
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
