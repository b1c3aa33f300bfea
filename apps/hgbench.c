static const char help[] = "hgbench: cost of one hypergradient against one lower-level gradient, bandwidth against a\n"
                           "STREAM-like triad, and peak memory, as the number of iterations t grows.\n\n"
                           "  mpiexec -n 2 ./hgbench -problem biasreg -br_p 1000 -hg_type aid -hg_ksp_type cg -bench_t 10,100,1000\n\n"
                           "Benchmark options (the problem and the method come from -problem, -hg_type, -hg_ksp_type, -lower_type, ...):\n"
                           "  -bench_t <10,30,100,300,1000>  lower-level iterations t to run, in this order\n"
                           "  -bench_k <-1>                  adjoint iterations / reverse steps k (-1: k = t)\n"
                           "  -bench_reps <3>                hypergradients per t; the fastest is reported\n"
                           "  -bench_triad_n <50000000>      global length of the triad vectors (3 of them; keep them well above the L3 cache)\n"
                           "  -bench_bytes_per_entry <8>     bytes per matrix entry read: 8 for dense, 8 + sizeof(PetscInt) for AIJ\n"
                           "  -bench_bytes_per_grad <bytes>  bytes one gradient (and one Hessian product) moves; overrides the model\n"
                           "  -bench_csv <file>              also write the table as CSV (rank 0)\n"
                           "  -bench_new_lambda              scale lambda by 1 + 1e-6 n before the n-th hypergradient, so that what a\n"
                           "                                 problem builds per lambda (krr's kernel matrices) is rebuilt and timed, as in an outer loop\n"
                           "The error bounds of each hypergradient are off here (their cost is not the method's) unless -hg_bound is given;\n"
                           "for itd, -lower_trajectory_type every|revolve bounds the memory of the trajectory (rows give vectors held, steps recomputed).\n\n";

#include <hypergrad.h>
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>
#if defined(__GLIBC__)
  #include <malloc.h>
#endif

#define BENCH_MAX_T 128

/* Events the library logs around every call into the problem's callbacks (their names are what
   -log_view prints).  Their counts and times say how many products a hypergradient really did
   and how much of its time went elsewhere (vector operations, norms, setup). */
enum { EV_GRAD, EV_HESS, EV_MIXED, EV_UPPER, EV_MAP, EV_MAPJT, EV_N };
static const char *const ev_names[EV_N] = {"HGPLowerGrad", "HGPHessMult", "HGPMixedMult", "HGPUpper", "HGPMap", "HGPMapJacT"};

typedef struct {
  PetscInt       count[EV_N];
  PetscLogDouble time[EV_N];
} EventSnap;

typedef struct {
  PetscInt       t_req, k_req, t, k; /* requested and done (HGInfo) */
  PetscLogDouble time, time_lower, time_adjoint;
  PetscLogDouble cpu;                                   /* least CPU time of a repetition (max over ranks) */
  PetscLogDouble peak_max, peak_sum, hwm_max, hwm_sum, cur_max; /* bytes */
  EventSnap      ev;                                    /* counts and times of the fastest repetition */
  PetscInt       trajvecs, recomputed;                  /* itd: w vectors the trajectory held, lower steps recomputed */
  HGConvergedReason reason;
} Row;

static PetscErrorCode EventSnapshot(const PetscLogEvent ids[], EventSnap *s)
{
  PetscFunctionBegin;
  for (int e = 0; e < EV_N; e++) {
    PetscEventPerfInfo info;

    s->count[e] = 0;
    s->time[e]  = 0;
    if (ids[e] < 0) continue;
    PetscCall(PetscLogEventGetPerfInfo(PETSC_DETERMINE, ids[e], &info));
    s->count[e] = info.count;
    s->time[e]  = info.time;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode CurrentMemory(PetscLogDouble *);

/* CPU time of this process (all its threads): on a shared machine it leaves out the time the
   process waited for a core, which wall-clock time does not */
static PetscLogDouble CpuTime(void)
{
  struct timespec ts;

  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)) return 0;
  return (PetscLogDouble)ts.tv_sec + 1e-9 * (PetscLogDouble)ts.tv_nsec;
}

static PetscErrorCode CpuMax(MPI_Comm comm, PetscLogDouble c0, PetscLogDouble *dc)
{
  PetscLogDouble local = CpuTime() - c0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(&local, dc, 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscFunctionReturn(0);
}

/* PETSc samples the resident set size into PetscMemoryGetMaximumUsage() only when an object is
   destroyed; destroying a scratch object takes a sample now. */
static PetscErrorCode SampleMemory(void)
{
  PetscContainer c;

  PetscFunctionBegin;
  PetscCall(PetscContainerCreate(PETSC_COMM_SELF, &c));
  PetscCall(PetscContainerDestroy(&c));
  PetscFunctionReturn(0);
}

/* High-water marks: PETSc's sampled one and the kernel's (getrusage, includes transient peaks);
   max and sum over ranks; and the resident set now (max over ranks) */
static PetscErrorCode PeakMemory(MPI_Comm comm, PetscLogDouble *pmax, PetscLogDouble *psum, PetscLogDouble *hmax, PetscLogDouble *hsum, PetscLogDouble *cmax)
{
  PetscLogDouble peak, hwm, in[3], mx[3], sm[3];
  struct rusage  ru;

  PetscFunctionBegin;
  PetscCall(SampleMemory());
  PetscCall(PetscMemoryGetMaximumUsage(&peak));
  hwm = 0;
  if (!getrusage(RUSAGE_SELF, &ru)) hwm = 1024.0 * (PetscLogDouble)ru.ru_maxrss; /* kilobytes on Linux */
  PetscCall(CurrentMemory(&in[2]));
  in[0] = peak;
  in[1] = hwm;
  PetscCallMPI(MPI_Allreduce(in, mx, 3, MPI_DOUBLE, MPI_MAX, comm));
  PetscCallMPI(MPI_Allreduce(in, sm, 3, MPI_DOUBLE, MPI_SUM, comm));
  *cmax = mx[2];
  *pmax = mx[0];
  *psum = sm[0];
  *hmax = mx[1];
  *hsum = sm[1];
  PetscFunctionReturn(0);
}

/* Resident set size after giving freed heap memory back to the system (glibc keeps freed blocks
   resident otherwise, and the set-up of a problem frees large temporaries) */
static PetscErrorCode CurrentMemory(PetscLogDouble *mem)
{
  PetscFunctionBegin;
#if defined(__GLIBC__)
  (void)malloc_trim(0);
#endif
  PetscCall(PetscMemoryGetCurrentUsage(mem));
  PetscFunctionReturn(0);
}

/* Flops logged inside one of the problem's callback events (for a gradient: every product and
   vector operation it did) */
static PetscErrorCode EventFlops(PetscLogEvent id, PetscLogDouble *flops)
{
  PetscEventPerfInfo info;

  PetscFunctionBegin;
  *flops = 0;
  if (id < 0) PetscFunctionReturn(0);
  PetscCall(PetscLogEventGetPerfInfo(PETSC_DETERMINE, id, &info));
  *flops = info.flops;
  PetscFunctionReturn(0);
}

/* Flops logged by the matrix products (for a matrix-vector product about 2 per entry read) */
static const char *const mat_events[] = {"MatMult", "MatMultAdd", "MatMultTranspose", "MatMultTrAdd"};

static PetscErrorCode MatFlops(PetscLogDouble *flops)
{
  PetscFunctionBegin;
  *flops = 0;
  for (size_t e = 0; e < sizeof(mat_events) / sizeof(mat_events[0]); e++) {
    PetscLogEvent      id;
    PetscEventPerfInfo info;

    PetscCall(PetscLogEventGetId(mat_events[e], &id));
    if (id < 0) continue;
    PetscCall(PetscLogEventGetPerfInfo(PETSC_DETERMINE, id, &info));
    *flops += info.flops;
  }
  PetscFunctionReturn(0);
}

/* The slowest rank's time of one call, between barriers */
static PetscErrorCode TimeMax(MPI_Comm comm, PetscLogDouble t0, PetscLogDouble *dt)
{
  PetscLogDouble t1, local;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Barrier(comm));
  PetscCall(PetscTime(&t1));
  local = t1 - t0;
  PetscCallMPI(MPI_Allreduce(&local, dt, 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscFunctionReturn(0);
}

/* Best of nrep: one lower-level gradient (or map Phi) and one Hessian-vector product (or
   d_w Phi^T v) at the default lambda and w = 0 */
static PetscErrorCode TimeKernels(HGProblem prob, PetscInt nrep, const PetscLogEvent ev[], PetscLogDouble *tgrad, PetscLogDouble *thess, PetscLogDouble *cgrad, PetscLogDouble *egrad, PetscLogDouble *ehess, PetscLogDouble *fgrad, PetscLogDouble *fhess)
{
  MPI_Comm       comm = PetscObjectComm((PetscObject)prob);
  HGProblemForm  form;
  Vec            w, lambda, g, x;
  PetscLogDouble t0, dt, f0, f1, g0, g1, c0, dc;
  PetscLogEvent  eg, eh;

  PetscFunctionBegin;
  PetscCall(HGProblemGetForm(prob, &form));
  eg = ev[form == HG_FORM_OPTIMIZATION ? EV_GRAD : EV_MAP];
  eh = ev[form == HG_FORM_OPTIMIZATION ? EV_HESS : EV_MAPJT];
  PetscCall(HGProblemCreateVecs(prob, &w, &lambda));
  PetscCall(VecDuplicate(w, &g));
  PetscCall(VecDuplicate(w, &x));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecSet(w, 0.0));
  PetscCall(VecSet(x, 1.0));
  *tgrad = *thess = *cgrad = PETSC_MAX_REAL;
  for (PetscInt r = 0; r <= nrep; r++) { /* r = 0 warms up */
    if (r == 1) PetscCall(MatFlops(&f0));
    if (r == 1) PetscCall(EventFlops(eg, &g0));
    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(PetscTime(&t0));
    c0 = CpuTime();
    if (form == HG_FORM_OPTIMIZATION) PetscCall(HGProblemComputeLowerGradient(prob, w, lambda, g));
    else PetscCall(HGProblemComputeMap(prob, w, lambda, g));
    PetscCall(CpuMax(comm, c0, &dc));
    PetscCall(TimeMax(comm, t0, &dt));
    if (r > 0) *tgrad = PetscMin(*tgrad, dt);
    if (r > 0) *cgrad = PetscMin(*cgrad, dc);
  }
  PetscCall(MatFlops(&f1));
  PetscCall(EventFlops(eg, &g1));
  dt = (f1 - f0) / (2.0 * nrep);
  PetscCallMPI(MPI_Allreduce(&dt, egrad, 1, MPI_DOUBLE, MPI_SUM, comm));
  dt = (g1 - g0) / nrep;
  PetscCallMPI(MPI_Allreduce(&dt, fgrad, 1, MPI_DOUBLE, MPI_SUM, comm));
  for (PetscInt r = 0; r <= nrep; r++) {
    if (r == 1) PetscCall(MatFlops(&f0));
    if (r == 1) PetscCall(EventFlops(eh, &g0));
    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(PetscTime(&t0));
    if (form == HG_FORM_OPTIMIZATION) PetscCall(HGProblemComputeLowerHessianMult(prob, w, lambda, x, g));
    else PetscCall(HGProblemComputeMapJacobianTransposeMult(prob, w, lambda, x, g));
    PetscCall(TimeMax(comm, t0, &dt));
    if (r > 0) *thess = PetscMin(*thess, dt);
  }
  PetscCall(MatFlops(&f1));
  PetscCall(EventFlops(eh, &g1));
  dt = (f1 - f0) / (2.0 * nrep);
  PetscCallMPI(MPI_Allreduce(&dt, ehess, 1, MPI_DOUBLE, MPI_SUM, comm));
  dt = (g1 - g0) / nrep;
  PetscCallMPI(MPI_Allreduce(&dt, fhess, 1, MPI_DOUBLE, MPI_SUM, comm));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&g));
  PetscCall(VecDestroy(&x));
  PetscFunctionReturn(0);
}

/* STREAM-like triad a = b + s c on three Vecs of global length n, best of nrep; bytes counted:
   two reads and one write of 8-byte values (write-allocate traffic not counted, as in STREAM) */
static PetscErrorCode Triad(MPI_Comm comm, PetscInt n, PetscInt nrep, PetscLogDouble *best, PetscLogDouble *bw)
{
  Vec            a, b, c;
  PetscLogDouble t0, dt;

  PetscFunctionBegin;
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, n, &a));
  PetscCall(VecDuplicate(a, &b));
  PetscCall(VecDuplicate(a, &c));
  PetscCall(VecSet(a, 0.0)); /* touch every page before timing */
  PetscCall(VecSet(b, 1.0));
  PetscCall(VecSet(c, 2.0));
  *best = PETSC_MAX_REAL;
  for (PetscInt r = 0; r <= nrep; r++) {
    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(PetscTime(&t0));
    PetscCall(VecWAXPY(a, 3.0, c, b));
    PetscCall(TimeMax(comm, t0, &dt));
    if (r > 0) *best = PetscMin(*best, dt);
  }
  *bw = 3.0 * sizeof(PetscScalar) * (PetscLogDouble)n / *best;
  PetscCall(VecDestroy(&a));
  PetscCall(VecDestroy(&b));
  PetscCall(VecDestroy(&c));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  MPI_Comm        comm;
  PetscMPIInt     size;
  HGProblem       prob;
  HG              hg;
  HGLower         lower;
  HGType          hgtype;
  HGProblemType   ptype;
  HGLowerType     ltype;
  HGProblemForm   form;
  KSPType         ksptype = NULL;
  PetscBool       isaid, tgiven, bytesgiven, csvgiven, ascending = PETSC_TRUE, fused;
  PetscBool       newlambda = PETSC_FALSE;
  PetscInt        nlambda   = 0;
  PetscInt        tlist[BENCH_MAX_T] = {10, 30, 100, 300, 1000}, nt = BENCH_MAX_T, kopt = -1, reps = 3, triad_n = 50000000, ntimes = 20;
  PetscReal       bytes_opt = 0, bpe = 8;
  char            csvname[PETSC_MAX_PATH_LEN] = "";
  PetscLogDouble  m0, m1, in, base, footprint, bytes_grad, bytes_hess, tgrad, thess, cgrad, egrad, ehess, fgrad, fhess, triad_t, triad_bw;
  PetscLogEvent   ev[EV_N];
  Row            *rows;
  Vec             lambda, h;
  const char     *gradname, *hessname;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscMemorySetGetMaximumUsage());
  PetscCall(PetscLogDefaultBegin()); /* the event counts and times below come from PETSc's log */
  comm = PETSC_COMM_WORLD;
  PetscCallMPI(MPI_Comm_size(comm, &size));

  PetscOptionsBegin(comm, NULL, "hgbench options", NULL);
  PetscCall(PetscOptionsIntArray("-bench_t", "Lower-level iterations t, comma separated", "", tlist, &nt, &tgiven));
  PetscCall(PetscOptionsInt("-bench_k", "Adjoint iterations / reverse steps k (-1: k = t)", "", kopt, &kopt, NULL));
  PetscCall(PetscOptionsBool("-bench_new_lambda", "Change lambda slightly before every hypergradient (per-lambda set-up is timed)", "", newlambda, &newlambda, NULL));
  PetscCall(PetscOptionsInt("-bench_reps", "Hypergradients per t (the fastest is reported)", "", reps, &reps, NULL));
  PetscCall(PetscOptionsInt("-bench_triad_n", "Global length of the triad vectors", "", triad_n, &triad_n, NULL));
  PetscCall(PetscOptionsReal("-bench_bytes_per_entry", "Bytes per matrix entry read (8 dense, 8 + sizeof(PetscInt) AIJ)", "", bpe, &bpe, NULL));
  PetscCall(PetscOptionsReal("-bench_bytes_per_grad", "Bytes one gradient (and one Hessian product) moves; overrides the model", "", bytes_opt, &bytes_opt, &bytesgiven));
  PetscCall(PetscOptionsString("-bench_csv", "Write the table to this CSV file", "", csvname, csvname, sizeof(csvname), &csvgiven));
  PetscOptionsEnd();
  if (!tgiven) {
    PetscBool named;

    PetscCall(PetscOptionsHasName(NULL, NULL, "-bench_t", &named));
    nt = named ? 0 : 5; /* -bench_t given without a value */
  }
  PetscCheck(nt > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-bench_t needs a comma-separated list of positive iteration counts, e.g. -bench_t 10,100,1000");
  PetscCheck(nt < BENCH_MAX_T, comm, PETSC_ERR_ARG_OUTOFRANGE, "-bench_t takes at most %d entries", BENCH_MAX_T - 1);
  for (PetscInt i = 0; i < nt; i++) {
    PetscCheck(tlist[i] > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-bench_t entry %" PetscInt_FMT " is %" PetscInt_FMT ": every t must be positive", i + 1, tlist[i]);
    if (i > 0 && tlist[i] < tlist[i - 1]) ascending = PETSC_FALSE;
  }
  PetscCheck(kopt >= -1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-bench_k must be >= 0, or -1 for k = t; got %" PetscInt_FMT, kopt);
  PetscCheck(reps >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-bench_reps must be >= 1; got %" PetscInt_FMT, reps);
  PetscCheck(triad_n >= size, comm, PETSC_ERR_ARG_OUTOFRANGE, "-bench_triad_n must be at least the number of ranks (%d); got %" PetscInt_FMT, size, triad_n);
  PetscCheck(bpe > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-bench_bytes_per_entry must be positive; got %g", (double)bpe);
  PetscCheck(!bytesgiven || bytes_opt > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-bench_bytes_per_grad must be positive; got %g", (double)bytes_opt);
  PetscCheck(!csvgiven || csvname[0], comm, PETSC_ERR_ARG_WRONG, "-bench_csv needs a file name");

  /* Problem; its set-up is measured alone: the growth of the resident set is its data footprint */
  PetscCall(HGProblemCreate(comm, &prob));
  PetscCall(HGProblemSetType(prob, HGPROBLEMQUADRATIC));
  PetscCall(HGProblemSetFromOptions(prob));
  PetscCallMPI(MPI_Barrier(comm));
  PetscCall(CurrentMemory(&m0));
  PetscCall(HGProblemSetUp(prob));
  PetscCall(CurrentMemory(&m1));
  in = m1 - m0;
  PetscCallMPI(MPI_Allreduce(&in, &footprint, 1, MPI_DOUBLE, MPI_SUM, comm));

  PetscCall(HGCreate(comm, &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetComputeBounds(hg, PETSC_FALSE)); /* -hg_bound turns them on */
  PetscCall(HGSetErrorIfNotConverged(hg, PETSC_FALSE)); /* each row reports its reason */
  PetscCall(HGSetFromOptions(hg));
  PetscCall(HGGetType(hg, &hgtype));
  PetscCall(HGProblemGetType(prob, &ptype));
  PetscCall(HGProblemGetForm(prob, &form));
  PetscCall(HGGetLower(hg, &lower));
  PetscCall(HGLowerGetType(lower, &ltype));
  PetscCall(PetscStrcmp(hgtype, HGAID, &isaid));
  if (isaid) {
    KSP ksp;
    PetscCall(HGGetKSP(hg, &ksp));
    PetscCall(KSPGetType(ksp, &ksptype));
  }
  for (int e = 0; e < EV_N; e++) PetscCall(PetscLogEventGetId(ev_names[e], &ev[e]));
  gradname = form == HG_FORM_OPTIMIZATION ? "lower gradient" : "map Phi";
  hessname = form == HG_FORM_OPTIMIZATION ? "Hessian-vector product" : "d_w Phi^T v";

  PetscCall(PetscPrintf(comm, "hgbench: %d rank%s\n", size, size > 1 ? "s" : ""));
  PetscCall(HGProblemView(prob, NULL));
  PetscCall(PetscPrintf(comm, "method: %s%s%s, lower solver %s\n", hgtype, isaid ? ", adjoint KSP " : "", isaid ? ksptype : "", ltype));

  PetscCall(TimeKernels(prob, ntimes, ev, &tgrad, &thess, &cgrad, &egrad, &ehess, &fgrad, &fhess));
  PetscCall(PetscPrintf(comm, "one %s: %.4e s, one %s: %.4e s (best of %" PetscInt_FMT ", default lambda, w = 0); CPU time of one %s %.4e s\n", gradname, tgrad, hessname, thess, ntimes, gradname, cgrad));
  fused = (!bytesgiven && egrad == 0 && fgrad > 0) ? PETSC_TRUE : PETSC_FALSE;
  if (bytesgiven) bytes_grad = bytes_hess = bytes_opt;
  else if (!fused) {
    bytes_grad = bpe * egrad;
    bytes_hess = bpe * ehess;
  } else { /* the problem's own one-pass kernels: 2 products, 2 flops per entry each, one read */
    egrad      = fgrad / 4;
    ehess      = fhess / 4;
    bytes_grad = bpe * egrad;
    bytes_hess = bpe * ehess;
  }
  PetscCall(PetscPrintf(comm, "bandwidth model: bytes moved = matrix entries read x %.1f bytes per entry (values %s); vectors not counted\n", (double)bpe, bpe > 8 ? "and column indices" : "only: right for dense matrices; for AIJ give -bench_bytes_per_entry 12 (32-bit indices) or 16"));
  if (!fused)
    PetscCall(PetscPrintf(comm, "  entries read per product from PETSc's flop log (MatMult* flops / 2, all ranks); a gradient and a Hessian product\n"
                                "  of the built-in problems read the training matrix twice: MatMult + MatMultTranspose\n"));
  else
    PetscCall(PetscPrintf(comm, "  the problem's gradient and Hessian product make no MatMult: they apply X and X^T in one pass over X (fused kernels);\n"
                                "  entries read once per call = flops logged in the callback event / 4 (X x and X^T c, 2 flops per entry each)\n"));
  PetscCall(PetscPrintf(comm, "  one %s: %.4g entries, %.2f MiB; one %s: %.4g entries, %.2f MiB%s\n", gradname, egrad, bytes_grad / 1048576.0, hessname, ehess, bytes_hess / 1048576.0, bytesgiven ? " (bytes from -bench_bytes_per_grad)" : ""));
  PetscCall(PetscPrintf(comm, "  cross-check: data footprint (resident set growth in HGProblemSetUp, all ranks, training + validation data) %.2f MiB\n", footprint / 1048576.0));
  PetscCall(PetscPrintf(comm, "  lower bandwidth = bytes(gradient) x t / lower time; adjoint bandwidth = bytes(Hessian product) x k / adjoint time (HGInfo)\n"));

  /* Resident set before the hypergradients: the set-up plus what the kernels' first calls allocated */
  {
    PetscLogDouble loc[2], out[2];

    PetscCall(CurrentMemory(&loc[0]));
    loc[1] = loc[0] - m1;
    PetscCallMPI(MPI_Allreduce(&loc[0], &base, 1, MPI_DOUBLE, MPI_MAX, comm));
    PetscCallMPI(MPI_Allreduce(loc, out, 2, MPI_DOUBLE, MPI_SUM, comm));
    PetscCall(PetscPrintf(comm, "resident set before the hypergradients: %.1f MiB (max over ranks), %.1f MiB (sum); %+.1f MiB (sum) since the set-up (the kernels' first calls, e.g. a row-major copy of X)\n", base / 1048576.0, out[0] / 1048576.0, out[1] / 1048576.0));
  }

  /* The hypergradients, for each t */
  PetscCall(PetscMalloc1(nt, &rows));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(PetscPrintf(comm, "running t =" ));
  for (PetscInt i = 0; i < nt; i++) PetscCall(PetscPrintf(comm, " %" PetscInt_FMT, tlist[i]));
  PetscCall(PetscPrintf(comm, " (%" PetscInt_FMT " hypergradient%s each, the fastest kept)...\n", reps, reps > 1 ? "s" : ""));
  PetscLogStage stage; /* the hypergradients alone in -log_view: apps/hgscale.py reads this stage */
  PetscCall(PetscLogStageRegister("HGBenchHypergrad", &stage));
  PetscCall(PetscLogStagePush(stage));
  for (PetscInt i = 0; i < nt; i++) {
    Row *row = &rows[i];

    PetscCall(HGSetIterations(hg, tlist[i], kopt < 0 ? PETSC_DEFAULT : kopt));
    PetscCall(HGGetIterations(hg, &row->t_req, &row->k_req));
    row->time = row->cpu = PETSC_MAX_REAL;
    for (PetscInt r = 0; r < reps; r++) {
      EventSnap      e0, e1;
      HGInfo         info;
      PetscLogDouble t0, dt, c0, dc, loc[2], mx[2];

      PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
      if (newlambda) PetscCall(VecScale(lambda, 1.0 + 1e-6 * (PetscReal)(++nlambda)));
      PetscCall(EventSnapshot(ev, &e0));
      PetscCallMPI(MPI_Barrier(comm));
      PetscCall(PetscTime(&t0));
      c0 = CpuTime();
      PetscCall(HGComputeHypergradient(hg, lambda, h));
      PetscCall(CpuMax(comm, c0, &dc));
      PetscCall(TimeMax(comm, t0, &dt));
      row->cpu = PetscMin(row->cpu, dc);
      PetscCall(EventSnapshot(ev, &e1));
      if (dt >= row->time) continue;
      PetscCall(HGGetInfo(hg, &info));
      loc[0] = info.time_lower;
      loc[1] = info.time_adjoint;
      PetscCallMPI(MPI_Allreduce(loc, mx, 2, MPI_DOUBLE, MPI_MAX, comm));
      row->time         = dt;
      row->time_lower   = mx[0];
      row->time_adjoint = mx[1];
      row->t            = info.lower_its;
      row->k            = info.adjoint_its;
      row->reason       = info.reason;
      PetscCall(HGLowerGetTrajectoryStatistics(lower, &row->trajvecs, &row->recomputed));
      for (int e = 0; e < EV_N; e++) {
        PetscLogDouble lt = e1.time[e] - e0.time[e];

        row->ev.count[e] = e1.count[e] - e0.count[e];
        PetscCallMPI(MPI_Allreduce(&lt, &row->ev.time[e], 1, MPI_DOUBLE, MPI_MAX, comm));
      }
    }
    PetscCall(PeakMemory(comm, &row->peak_max, &row->peak_sum, &row->hwm_max, &row->hwm_sum, &row->cur_max));
  }
  PetscCall(PetscLogStagePop());
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));

  /* The triad last, so that its vectors do not enter the peak memory of the rows above */
  PetscCall(Triad(comm, triad_n, 10, &triad_t, &triad_bw));
  PetscCall(PetscPrintf(comm, "triad a = b + s c, N = %" PetscInt_FMT " (%.1f MiB per vector), best of 10: %.4e s, %.2f GB/s\n", triad_n, 8.0 * triad_n / 1048576.0, triad_t, triad_bw / 1e9));
  PetscCall(PetscPrintf(comm, "  (3 x 8 N bytes: two reads and one write; write-allocate traffic not counted, as in STREAM; measured after the hypergradients)\n"));
#if defined(_SC_LEVEL3_CACHE_SIZE)
  {
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);

    if (l3 > 0) {
      PetscLogDouble arrays = 24.0 * triad_n, data = bytes_grad / (fused ? 1 : 2);

      PetscCall(PetscPrintf(comm, "  L3 cache %.0f MiB (sysconf, shared by the ranks); triad arrays %.0f MiB: %s; one copy of the lower-level matrix ~%.0f MiB: %s\n", l3 / 1048576.0, arrays / 1048576.0, arrays > 2.0 * l3 ? "out of cache" : "NOT well above the cache: raise -bench_triad_n", data / 1048576.0,
                            data > 2.0 * l3 ? "out of cache" : (data > l3 ? "partly cached" : "fits in the cache: the bandwidth columns then exceed the triad's")));
    }
  }
#endif

  PetscCall(PetscPrintf(comm, "\n%6s %6s %11s %11s %6s %9s %5s %9s %5s %8s %8s %8s %10s %6s  %s\n", "t", "k", "hypergrad", "(t+k)grad", "ratio", "lowerGB/s", "%tri", "adjGB/s", "%tri", "peakMiB", "sumMiB", "nowMiB", "cpu", "cpurat", "reason"));
  for (PetscInt i = 0; i < nt; i++) {
    Row           *row = &rows[i];
    PetscLogDouble ref = (PetscLogDouble)(row->t + row->k) * tgrad;
    PetscLogDouble bwl = row->time_lower > 0 ? bytes_grad * row->t / row->time_lower : 0;
    PetscLogDouble bwa = row->time_adjoint > 0 ? bytes_hess * row->k / row->time_adjoint : 0;

    PetscLogDouble cref = (PetscLogDouble)(row->t + row->k) * cgrad;

    PetscCall(PetscPrintf(comm, "%6" PetscInt_FMT " %6" PetscInt_FMT " %11.4e %11.4e %6.3f %9.2f %5.1f %9.2f %5.1f %8.1f %8.1f %8.1f %10.4e %6.3f  %s\n", row->t, row->k, row->time, ref, ref > 0 ? row->time / ref : 0.0, bwl / 1e9, 100 * bwl / triad_bw, bwa / 1e9, 100 * bwa / triad_bw, row->peak_max / 1048576.0, row->peak_sum / 1048576.0, row->cur_max / 1048576.0,
                          row->cpu, cref > 0 ? row->cpu / cref : 0.0, HGConvergedReasons[row->reason]));
  }
  PetscCall(PetscPrintf(comm, "columns: hypergrad = fastest HGComputeHypergradient [s]; (t+k)grad = (t + k) x one %s [s]; ratio = their quotient;\n"
                              "  cpu = least CPU time of one hypergradient [s] (max over ranks; MPI waits spin, so they count); cpurat = cpu / ((t + k) x CPU time of one %s)\n", gradname, gradname));
  if (!strcmp(hgtype, HGITD)) {
    HGLowerTrajectoryType tt;
    PetscCall(HGLowerGetTrajectoryType(lower, &tt, NULL));
    PetscCall(PetscPrintf(comm, "  itd trajectory (%s): w vectors held / lower steps recomputed:", HGLowerTrajectoryTypes[tt]));
    for (PetscInt i = 0; i < nt; i++) PetscCall(PetscPrintf(comm, " t=%" PetscInt_FMT ": %" PetscInt_FMT "/%" PetscInt_FMT, rows[i].t, rows[i].trajvecs, rows[i].recomputed));
    PetscCall(PetscPrintf(comm, "\n"));
  }
  PetscCall(PetscPrintf(comm, "  (target for aid: <= 1.3); peakMiB = PetscMemoryGetMaximumUsage (resident high-water mark since start), max over ranks;\n"
                              "  sumMiB = its sum over ranks; nowMiB = resident set after the hypergradients of that t (max over ranks): it shows\n"
                              "  memory a run keeps (e.g. the itd trajectory) even when it stays below an earlier peak such as the problem's set-up\n"));

  /* Where the time goes, from PETSc's event log of the fastest repetition */
  PetscCall(PetscPrintf(comm, "\nPETSc event log of the fastest hypergradient (counts; time in seconds, slowest rank):\n"));
  PetscCall(PetscPrintf(comm, "%6s %7s %7s %7s %7s %10s %10s %10s %10s %10s %6s\n", "t", form == HG_FORM_OPTIMIZATION ? "#grad" : "#map", form == HG_FORM_OPTIMIZATION ? "#hess" : "#mapJT", "#mixed", "#upper", "t_grad", "t_hess", "t_mixed", "t_upper", "t_other", "%other"));
  for (PetscInt i = 0; i < nt; i++) {
    Row           *row = &rows[i];
    int            eg  = form == HG_FORM_OPTIMIZATION ? EV_GRAD : EV_MAP, eh = form == HG_FORM_OPTIMIZATION ? EV_HESS : EV_MAPJT;
    PetscLogDouble other = row->time - row->ev.time[eg] - row->ev.time[eh] - row->ev.time[EV_MIXED] - row->ev.time[EV_UPPER];

    PetscCall(PetscPrintf(comm, "%6" PetscInt_FMT " %7" PetscInt_FMT " %7" PetscInt_FMT " %7" PetscInt_FMT " %7" PetscInt_FMT " %10.3e %10.3e %10.3e %10.3e %10.3e %6.1f\n", row->t, row->ev.count[eg], row->ev.count[eh], row->ev.count[EV_MIXED], row->ev.count[EV_UPPER], row->ev.time[eg], row->ev.time[eh], row->ev.time[EV_MIXED],
                          row->ev.time[EV_UPPER], other, 100 * other / row->time));
  }

  /* Memory as t grows */
  {
    PetscInt imin = 0, imax = 0;

    for (PetscInt i = 1; i < nt; i++) {
      if (rows[i].t_req < rows[imin].t_req) imin = i;
      if (rows[i].t_req > rows[imax].t_req) imax = i;
    }
    PetscCall(PetscPrintf(comm, "\npeak memory from t = %" PetscInt_FMT " to t = %" PetscInt_FMT ": %.1f -> %.1f MiB (max over ranks), %+.1f %%", rows[imin].t_req, rows[imax].t_req, rows[imin].peak_max / 1048576.0, rows[imax].peak_max / 1048576.0, 100 * (rows[imax].peak_max / rows[imin].peak_max - 1)));
    PetscCall(PetscPrintf(comm, "; kernel high-water mark (getrusage): %.1f -> %.1f MiB, %+.1f %%\n", rows[imin].hwm_max / 1048576.0, rows[imax].hwm_max / 1048576.0, 100 * (rows[imax].hwm_max / rows[imin].hwm_max - 1)));
    PetscCall(PetscPrintf(comm, "resident set after the hypergradients: %.1f -> %.1f MiB, %+.1f %%\n", rows[imin].cur_max / 1048576.0, rows[imax].cur_max / 1048576.0, 100 * (rows[imax].cur_max / rows[imin].cur_max - 1)));
    PetscCall(PetscPrintf(comm, "extra memory the method keeps (resident after the hypergradients - before them, max over ranks):"));
    for (PetscInt i = 0; i < nt; i++) PetscCall(PetscPrintf(comm, " t=%" PetscInt_FMT ": %.1f MiB", rows[i].t_req, (rows[i].cur_max - base) / 1048576.0));
    PetscCall(PetscPrintf(comm, "\n"));
    if (isaid) PetscCall(PetscPrintf(comm, "aid peak memory %s within 5 %% from the smallest to the largest t (resident set after: %s)\n", PetscAbs(rows[imax].peak_max / rows[imin].peak_max - 1) <= 0.05 ? "stayed" : "did NOT stay", PetscAbs(rows[imax].cur_max / rows[imin].cur_max - 1) <= 0.05 ? "also within 5 %" : "NOT within 5 %"));
    if (!ascending) PetscCall(PetscPrintf(comm, "note: -bench_t is not ascending and the high-water mark never decreases, so a row can carry the peak of an earlier, larger t\n"));
  }

  if (csvgiven) {
    FILE *fp;

    PetscCall(PetscFOpen(comm, csvname, "w", &fp));
    PetscCall(PetscFPrintf(comm, fp, "problem,method,ksp,lower,ranks,t,k,time_hypergrad,time_grad,time_hess,ratio,time_lower,time_adjoint,bytes_per_grad,bytes_per_hess,bw_lower,bw_adjoint,bw_triad,n_grad,n_hess,n_mixed,n_upper,peak_max,peak_sum,hwm_max,hwm_sum,now_max,reason,cpu_hypergrad,cpu_grad,base_max\n"));
    for (PetscInt i = 0; i < nt; i++) {
      Row           *row = &rows[i];
      int            eg  = form == HG_FORM_OPTIMIZATION ? EV_GRAD : EV_MAP, eh = form == HG_FORM_OPTIMIZATION ? EV_HESS : EV_MAPJT;
      PetscLogDouble ref = (PetscLogDouble)(row->t + row->k) * tgrad;

      PetscCall(PetscFPrintf(comm, fp, "%s,%s,%s,%s,%d,%" PetscInt_FMT ",%" PetscInt_FMT ",%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT ",%.0f,%.0f,%.0f,%.0f,%.0f,%s,%.6e,%.6e,%.0f\n", ptype, hgtype, isaid ? ksptype : "", ltype, size, row->t, row->k, row->time, tgrad, thess, ref > 0 ? row->time / ref : 0.0,
                             row->time_lower, row->time_adjoint, bytes_grad, bytes_hess, row->time_lower > 0 ? bytes_grad * row->t / row->time_lower : 0.0, row->time_adjoint > 0 ? bytes_hess * row->k / row->time_adjoint : 0.0, triad_bw, row->ev.count[eg], row->ev.count[eh], row->ev.count[EV_MIXED], row->ev.count[EV_UPPER], row->peak_max, row->peak_sum, row->hwm_max,
                             row->hwm_sum, row->cur_max, HGConvergedReasons[row->reason], row->cpu, cgrad, base));
    }
    PetscCall(PetscFClose(comm, fp));
    PetscCall(PetscPrintf(comm, "wrote %s\n", csvname));
  }

  PetscCall(PetscFree(rows));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
