/*
   hypergrad service: the outer hypergradient descent (HGOuter), its HDF5 checkpoints and
   run history.  Included by <hypergrad.h> (after the HG declarations).

   A run file (checkpoint) is one HDF5 file, written by rank 0 (the other ranks send it their
   parts of the vectors) and read back in parallel with PetscViewerHDF5:

     /lambda, /w, /v            the current hyperparameters, lower solution, adjoint solution
     /outer/lambda_prev         the previous iterate (Nesterov momentum state)
     /history/<name>            one 1-D dataset per monitor value, one entry per outer iteration:
                                iteration, time, upper_objective, hypergradient_norm, step,
                                lower_its, adjoint_its, lower_residual, adjoint_residual,
                                val_accuracy, test_accuracy (NaN where the problem has none),
                                bound (a-posteriori error bound; NaN when not computed),
                                bound_estimated (0: bound is rigorous; else the HGBoundConstant bits of
                                the constants estimated, and bound is an estimate)
     attributes of /            format = "hypergrad-run", version, problem, hg_type, lower_type,
                                outer_type, nranks, iteration, dim_lambda, dim_w, elapsed,
                                step, reason, options (the options database as one string),
                                trajectory (the options that define the trajectory, one per
                                line), fingerprint_data (HGProblemSetFingerprint(), or "none"),
                                integrity (a checksum per dataset and attribute), complete
     user block (16 KiB)        the checksum record: file size, a checksum of the data of each
                                dataset and one of all other bytes, checked before HDF5 opens it

   A run that diverged (a failed hypergradient) leaves the checkpoint of the last iterate whose
   hypergradient converged, with reason DIVERGED_HG or DIVERGED_NANORINF (HGOuterSolve()).

   Writing goes to FILE.tmp, which replaces FILE (rename) only when complete and checksummed.
   While a run uses FILE, rank 0 holds an fcntl() lock on FILE.lock.
*/
#pragma once

typedef struct _p_HGOuter *HGOuter;
PETSC_EXTERN PetscClassId  HGOUTER_CLASSID;

typedef const char *HGOuterType;
#define HGOUTERGD       "gd"       /* lambda <- P(lambda - eta h) */
#define HGOUTERNESTEROV "nesterov" /* y = lambda + beta (lambda - lambda_prev), lambda <- P(y - eta h(y)) */
#define HGOUTERTAO      "tao"      /* any TAO solver (e.g. bounded L-BFGS) with f and h */
#define HGOUTERADAPTIVE "adaptive" /* MAID-like: tolerances from the error bound, backtracking on the inexact f */

typedef enum {
  HG_OUTER_CONVERGED_ITS     = 1, /* max_it outer iterations done */
  HG_OUTER_CONVERGED_GATOL   = 2, /* ||h|| <= gatol */
  HG_OUTER_CONVERGED_TIME    = 3, /* max_time reached */
  HG_OUTER_CONVERGED_TAO     = 4,
  HG_OUTER_STOPPED_SIGNAL    = 5, /* SIGTERM/SIGINT: checkpoint written, stopped cleanly */
  HG_OUTER_ITERATING         = 0,
  HG_OUTER_DIVERGED_HG       = -1, /* a hypergradient failed (see HGConvergedReason) */
  HG_OUTER_DIVERGED_NANORINF = -2,
  HG_OUTER_DIVERGED_TAO      = -3
} HGOuterConvergedReason;
PETSC_EXTERN const char *const *HGOuterConvergedReasons;

/* One monitor record: what each outer iteration reports and the history keeps */
typedef struct {
  PetscInt  iteration;
  PetscReal time;               /* elapsed seconds since the start of the run (including earlier runs when resumed) */
  PetscReal upper_objective;    /* f(lambda) = E(w_t, lambda) at the lambda the hypergradient was taken */
  PetscReal hypergradient_norm;
  PetscReal step;
  PetscReal lower_its, adjoint_its;
  PetscReal lower_residual, adjoint_residual;
  PetscReal val_accuracy, test_accuracy; /* NaN when the problem has none */
  PetscReal bound;                       /* a-posteriori error bound (HGInfo bound_aposteriori); NaN when not computed */
  PetscReal bound_estimated;             /* HGInfo bound_estimated: 0 when bound is rigorous (every constant from the problem), else
                                            the HGBoundConstant bits of the constants estimated (bound is then an estimate); NaN with no bound */
} HGOuterRecord;
#define HG_OUTER_NRECORD 13
PETSC_EXTERN const char *const HGOuterRecordNames[];

PETSC_EXTERN PetscFunctionList HGOuterList;
PETSC_EXTERN PetscErrorCode    HGOuterRegister(const char[], PetscErrorCode (*)(HGOuter));
PETSC_EXTERN PetscErrorCode    HGOuterCreate(MPI_Comm, HGOuter *);
PETSC_EXTERN PetscErrorCode    HGOuterSetType(HGOuter, HGOuterType);
PETSC_EXTERN PetscErrorCode    HGOuterGetType(HGOuter, HGOuterType *);
PETSC_EXTERN PetscErrorCode    HGOuterSetHG(HGOuter, HG);
PETSC_EXTERN PetscErrorCode    HGOuterGetHG(HGOuter, HG *);
PETSC_EXTERN PetscErrorCode    HGOuterSetOptionsPrefix(HGOuter, const char[]);
PETSC_EXTERN PetscErrorCode    HGOuterSetFromOptions(HGOuter);
PETSC_EXTERN PetscErrorCode    HGOuterSetUp(HGOuter);
PETSC_EXTERN PetscErrorCode    HGOuterSolve(HGOuter, Vec lambda);
PETSC_EXTERN PetscErrorCode    HGOuterView(HGOuter, PetscViewer);
PETSC_EXTERN PetscErrorCode    HGOuterDestroy(HGOuter *);

PETSC_EXTERN PetscErrorCode HGOuterSetMaxIterations(HGOuter, PetscInt);
PETSC_EXTERN PetscErrorCode HGOuterSetMaxTime(HGOuter, PetscReal seconds);
PETSC_EXTERN PetscErrorCode HGOuterSetTolerance(HGOuter, PetscReal gatol);
PETSC_EXTERN PetscErrorCode HGOuterSetStepSize(HGOuter, PetscReal);
PETSC_EXTERN PetscErrorCode HGOuterSetMomentum(HGOuter, PetscReal);
PETSC_EXTERN PetscErrorCode HGOuterSetWarmStart(HGOuter, PetscBool);
PETSC_EXTERN PetscErrorCode HGOuterGetIterationNumber(HGOuter, PetscInt *);
PETSC_EXTERN PetscErrorCode HGOuterGetConvergedReason(HGOuter, HGOuterConvergedReason *);
PETSC_EXTERN PetscErrorCode HGOuterGetHistory(HGOuter, PetscInt *n, const HGOuterRecord **);
PETSC_EXTERN PetscErrorCode HGOuterGetTotalIterations(HGOuter, PetscInt *lower, PetscInt *adjoint);
PETSC_EXTERN PetscErrorCode HGOuterGetFailure(HGOuter, PetscInt *nfailed, HGInfo *, PetscInt *it, PetscReal *lambda_norm, PetscBool *trial);

/*S
  HGOuterMonitorFn - a monitor of the outer loop, called after each outer iteration

  Collective

  Calling Sequence:
$ PetscErrorCode fn(HGOuter outer, const HGOuterRecord *rec, void *ctx)

  Input Parameters:
+ outer - the outer driver
. rec   - the record of the iteration just done (read-only; valid during the call)
- ctx   - the context given to HGOuterMonitorSet()

  Level: intermediate

.seealso: HGOuterMonitorSet(), HGOuterMonitorDefault(), HGOuterRecord
S*/
typedef PetscErrorCode (*HGOuterMonitorFn)(HGOuter, const HGOuterRecord *, void *);
PETSC_EXTERN PetscErrorCode HGOuterMonitorSet(HGOuter, HGOuterMonitorFn, void *, PetscErrorCode (*)(void **));
PETSC_EXTERN PetscErrorCode HGOuterMonitorDefault(HGOuter, const HGOuterRecord *, void *);

/* Checkpoints: every n outer iterations (0: only at the end and on signal) to file */
PETSC_EXTERN PetscErrorCode HGOuterSetCheckpoint(HGOuter, const char file[], PetscInt every);
PETSC_EXTERN PetscErrorCode HGOuterGetCheckpoint(HGOuter, const char *file[], PetscInt *every);
PETSC_EXTERN PetscErrorCode HGOuterWriteCheckpoint(HGOuter, const char file[]);
/* Resume: restores lambda, w, v, the outer state and the history from file (checked
   against the problem and sizes); the next HGOuterSolve() continues from there */
PETSC_EXTERN PetscErrorCode HGOuterLoadCheckpoint(HGOuter, const char file[], Vec lambda);
/* Resume although the data fingerprint or trajectory options differ (-outer_resume_force) */
PETSC_EXTERN PetscErrorCode HGOuterSetResumeForce(HGOuter, PetscBool);
/*S
  HGProblemFingerprintFn - writes a fingerprint of the data that define a problem

  Collective

  Calling Sequence:
$ PetscErrorCode fn(HGProblem prob, char fp[], size_t len, void *ctx)

  Input Parameters:
+ prob - the problem
. len  - the size of fp in bytes
- ctx  - the context given to HGProblemSetFingerprint()

  Output Parameter:
. fp - a NUL-terminated string of at most len - 1 characters (overwritten), for example a hash
       in hex from HGVecHash() and HGMatHash(); the same on every rank and for any number of ranks

  Notes:
  Run files store it and HGOuterLoadCheckpoint() refuses a run file whose fingerprint differs.

  Level: intermediate

.seealso: HGProblemSetFingerprint(), HGProblemGetFingerprint(), HGVecHash(), HGMatHash()
S*/
typedef PetscErrorCode (*HGProblemFingerprintFn)(HGProblem, char fp[], size_t len, void *ctx);
PETSC_EXTERN PetscErrorCode HGProblemSetFingerprint(HGProblem, HGProblemFingerprintFn, void *ctx);
PETSC_EXTERN PetscErrorCode HGProblemGetFingerprint(HGProblem, char fp[], size_t len);
PETSC_EXTERN PetscErrorCode HGProblemSetDataFingerprint(HGProblem, HGData *, HGData *, HGData *);
PETSC_EXTERN PetscErrorCode HGVecHash(Vec, PetscInt64 *);
PETSC_EXTERN PetscErrorCode HGMatHash(Mat, PetscInt64 *);
/* SIGTERM/SIGINT: finish the iteration, checkpoint, stop (HG_OUTER_STOPPED_SIGNAL); a second
   signal ends the process at once (the last checkpoint stays intact) */
PETSC_EXTERN PetscErrorCode HGOuterSetSignalHandling(HGOuter, PetscBool);

/*S
  HGProblemAccuracyFn - the validation and test accuracy of a problem's classifier at (w, lambda)

  Collective

  Calling Sequence:
$ PetscErrorCode fn(HGProblem prob, Vec w, Vec lambda, PetscReal *val, PetscReal *test, void *ctx)

  Input Parameters:
+ prob   - the problem
. w      - the lower-level solution (space of w; read-only)
. lambda - the hyperparameters (space of lambda; read-only)
- ctx    - the context of HGProblemSetContext()

  Output Parameters:
+ val  - validation accuracy in [0, 1], or NaN when the problem has no validation set
- test - test accuracy in [0, 1], or NaN when the problem has no test set

  Level: intermediate

.seealso: HGProblemSetAccuracy(), HGProblemComputeAccuracy()
S*/
typedef PetscErrorCode (*HGProblemAccuracyFn)(HGProblem, Vec w, Vec lambda, PetscReal *val, PetscReal *test, void *);
PETSC_EXTERN PetscErrorCode HGProblemSetAccuracy(HGProblem, HGProblemAccuracyFn);
PETSC_EXTERN PetscErrorCode HGProblemComputeAccuracy(HGProblem, Vec w, Vec lambda, PetscReal *val, PetscReal *test);
