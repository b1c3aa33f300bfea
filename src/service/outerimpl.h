/* Private to src/service: the HGOuter struct */
#pragma once
#include <hypergrad/hgimpl.h>

#define HG_OUTER_MAXMONITORS 5

typedef struct _HGOuterOps *HGOuterOps;
struct _HGOuterOps {
  PetscErrorCode (*setfromoptions)(HGOuter, PetscOptionItems *);
  PetscErrorCode (*solve)(HGOuter, Vec);
  PetscErrorCode (*destroy)(HGOuter);
  PetscErrorCode (*check)(HGOuter); /* refuses an HG the type cannot use, before anything is written */
};

struct _p_HGOuter {
  PETSCHEADER(struct _HGOuterOps);
  HG                     hg;
  Vec                    lambda; /* borrowed during HGOuterSolve() */
  PetscInt               max_it;
  PetscReal              max_time, gatol, step, momentum; /* momentum PETSC_DEFAULT: k/(k+3) */
  PetscReal              tol;      /* current lower/adjoint tolerance of adaptive schedules (0: none) */
  PetscReal              tol0, tol_decay, tol_min; /* -outer_tol_schedule of gd/nesterov */
  PetscInt               tol_schedule; /* 0 none, 1 geometric eps0 decay^k, 2 power eps0 (k+1)^-decay */
  PetscBool              warm;
  Vec                    lambda_prev, y, h, wsave, vsave;
  PetscBool              have_w, have_v, have_prev;
  /* the state before the last hypergradient that converged (or the start): where a diverged run is
     rolled back to, and what its checkpoint holds */
  Vec                    lambda_good, lambda_prev_good;
  PetscBool              have_prev_good;
  PetscInt               it_good, nhist_good, total_lower_good, total_adjoint_good;
  PetscInt               it;      /* outer iterations done (including before a resume) */
  PetscReal              elapsed0; /* seconds spent before this run (from the checkpoint) */
  PetscLogDouble         tstart;
  HGOuterConvergedReason reason;
  HGOuterRecord         *hist;
  PetscInt               nhist, nalloc;
  PetscInt               total_lower, total_adjoint;
  PetscInt               nfailed;      /* failed hypergradients in this HGOuterSolve() (tao: line-search trials included) */
  HGInfo                 failinfo;     /* the last one that failed: its HGInfo, outer iteration, |lambda| */
  PetscInt               failit;
  PetscReal              failnorm;
  PetscBool              failtrial;    /* it was a trial point of a TAO line search */
  char                   ckfile[PETSC_MAX_PATH_LEN];
  PetscInt               ckevery;
  PetscBool              ckoverwrite, resumed;
  PetscBool              resume_force; /* -outer_resume_force: resume despite other data or options */
  int                    lockfd;       /* rank 0: the fd of ckfile.lock, -1 when none */
  PetscBool              locked;       /* all ranks: lockfile is locked by this run */
  char                   lockfile[PETSC_MAX_PATH_LEN];
  PetscBool              lockcreated;  /* rank 0: this run created ckfile.lock (else took over a leftover one) */
  char                   lockold[512]; /* rank 0: the content of the leftover lock file taken over */
  PetscBool              signals;
  PetscInt               monitor_every;
  HGOuterMonitorFn       monitor[HG_OUTER_MAXMONITORS];
  void                  *monitorctx[HG_OUTER_MAXMONITORS];
  PetscErrorCode       (*monitordestroy[HG_OUTER_MAXMONITORS])(void **);
  PetscInt               nmonitors;
  void                  *data;
  PetscBool              setupcalled;
};

PETSC_INTERN PetscLogEvent HGOuter_Solve, HGOuter_Checkpoint;
/* One outer step's bookkeeping shared by the types: hypergradient at lambda (with warm
   starts), record, monitors.  h is the hypergradient; returns the record */
PETSC_INTERN PetscErrorCode HGOuterEvaluate(HGOuter, Vec lambda, Vec h, HGOuterRecord *);
/* The absolute tolerance of the lower and adjoint solves (of every instance's with -hg_type multi) */
PETSC_INTERN PetscErrorCode HGOuterSetSolveTolerances(HG, PetscReal eps);
/* After an iteration: append the record, monitor, checkpoint, test signals and stop criteria */
PETSC_INTERN PetscErrorCode HGOuterEndIteration(HGOuter, HGOuterRecord *, PetscBool *stop);
PETSC_INTERN PetscErrorCode HGOuterRecordMonitor(HGOuter, HGOuterRecord *, PetscBool append);
PETSC_INTERN PetscErrorCode HGOuterSignalPending(HGOuter, PetscBool *stop, PetscBool *checkpoint);
PETSC_INTERN PetscErrorCode HGOuterSignalInstall(HGOuter);
PETSC_INTERN PetscErrorCode HGOuterSignalRestore(HGOuter);
/* Write the checkpoint file with the current state (lambda NULL: the one being solved) */
PETSC_INTERN PetscErrorCode HGOuterCheckpointCurrent(HGOuter, Vec lambda);
PETSC_INTERN PetscErrorCode HGOuterHistoryReserve(HGOuter, PetscInt);
PETSC_INTERN PetscErrorCode HGOuterHistoryAppend(HGOuter, const HGOuterRecord *);
PETSC_INTERN PetscErrorCode HGOuterCheckpointCheckDirectory(HGOuter);
/* For the types that need one deterministic f (adaptive, tao): an error when the HG is a multi HG
   drawing mini-batches (B < n); why says what the type does with f */
PETSC_INTERN PetscErrorCode HGOuterRefuseBatches(HGOuter, const char why[]);
/* Run files begin with an HDF5 user block of this size holding the checksum record */
#define HG_RUNFILE_USERBLOCK 16384
/* src/service/runfile.c: the checksum table (rank 0, serial HDF5; msg empty on success) and the lock */
PETSC_INTERN PetscErrorCode HGRunFileSeal(const char file[], char msg[], size_t len);
PETSC_INTERN PetscErrorCode HGRunFileVerify(const char file[], char msg[], size_t len);
PETSC_INTERN PetscErrorCode HGOuterLockAcquire(HGOuter, const char file[]);
PETSC_INTERN PetscErrorCode HGOuterLockRelease(HGOuter);
PETSC_INTERN PetscErrorCode HGOuterLockAbandon(HGOuter);
