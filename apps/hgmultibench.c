static const char help[] = "hgmultibench: time the hypergradient of a problem of n instances on sub-communicators\n"
                           "(-problem multi -hg_type multi), for instance scaling with hgscale.py --app hgmultibench.\n\n"
                           "  mpiexec -n 2 ./hgmultibench -multi_n 8 -sub_problem logreg -sub_lr_sparse -sub_lr_p 1000 \\\n"
                           "          -sub_lr_ntrain 20000 -sub_hg_ksp_type cg -bench_t 100\n\n"
                           "  -bench_t <100>       lower iterations t of every instance (first entry of a list)\n"
                           "  -bench_k <-1>        adjoint iterations k of every instance (-1: k = t)\n"
                           "  -bench_reps <3>      hypergradients, the fastest kept (slowest rank)\n"
                           "  -bench_csv <file>    one-row CSV with the columns hgscale.py reads (rank 0)\n"
                           "  -bench_triad_n <n>   accepted and ignored (hgscale.py passes it)\n"
                           "  -bench_sync <prefix> -bench_sync_n <m>\n"
                           "                       m independent launches time together (hgscale.py --ceiling): each\n"
                           "                       creates <prefix>.rep<r>.<pid> before its hypergradient r and starts it\n"
                           "                       when m exist; after the last it creates <prefix>.done.<pid> and computes\n"
                           "                       untimed ones until m exist, so every timed one runs alongside the others\n"
                           "                       (the CSV's time_reps lists each hypergradient's time)\n\n";
#include <hypergrad.h>
#include <glob.h>
#include <unistd.h>

/* Rank 0 creates prefix.what.<pid>; every rank returns the number of such files (rank 0 counts) */
static PetscErrorCode SyncCount(MPI_Comm comm, const char prefix[], const char what[], PetscBool create, PetscInt *count)
{
  PetscMPIInt rank;
  PetscInt    c = 0;
  char        name[PETSC_MAX_PATH_LEN + 64];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    glob_t g;
    if (create) {
      FILE *f;
      PetscCall(PetscSNPrintf(name, sizeof(name), "%s.%s.%ld", prefix, what, (long)getpid()));
      f = fopen(name, "w");
      PetscCheck(f, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "-bench_sync: cannot create %s", name);
      fclose(f);
    }
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s.%s.*", prefix, what));
    if (glob(name, 0, NULL, &g) == 0) c = (PetscInt)g.gl_pathc;
    globfree(&g);
  }
  PetscCallMPI(MPI_Bcast(&c, 1, MPIU_INT, 0, comm));
  *count = c;
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem      prob;
  HG             hg, *sub;
  Vec            lambda, h;
  HGInfo         info;
  PetscInt       tl[16], nt = 16, k = -1, reps = 3, first, nloc, n, nsub, triad, syncn = 0, cnt;
  char           csv[PETSC_MAX_PATH_LEN] = "", sync[PETSC_MAX_PATH_LEN] = "";
  PetscBool      csvgiven, isaid = PETSC_FALSE, syncgiven;
  PetscLogDouble best = 1e300, *times;
  PetscReal      solves[2];
  PetscLogStage  stage;
  PetscMPIInt    size;
  MPI_Comm       comm;
  KSPType        ksptype = "";
  HGLower        lower;
  HGLowerType    ltype;
  HGType         stype;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  tl[0] = 100;
  PetscCall(PetscOptionsGetIntArray(NULL, NULL, "-bench_t", tl, &nt, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-bench_k", &k, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-bench_reps", &reps, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-bench_triad_n", &triad, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-bench_csv", csv, sizeof(csv), &csvgiven));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-bench_sync", sync, sizeof(sync), &syncgiven));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-bench_sync_n", &syncn, NULL));
  PetscCheck(tl[0] > 0 && reps > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-bench_t and -bench_reps must be positive");
  PetscCheck(!syncgiven || (sync[0] && syncn >= 1), comm, PETSC_ERR_ARG_WRONG, "-bench_sync needs a file prefix and -bench_sync_n <m>, the number of launches that time together (m >= 1)");
  if (k < 0) k = tl[0];
  PetscCall(HGProblemCreate(comm, &prob));
  PetscCall(HGProblemSetType(prob, HGPROBLEMMULTI));
  PetscCall(HGProblemSetFromOptions(prob));
  PetscCall(HGProblemSetUp(prob));
  PetscCall(HGProblemMultiGetNumberInstances(prob, &n));
  PetscCall(HGProblemMultiGetSubcomm(prob, NULL, NULL, &nsub));
  PetscCall(HGCreate(comm, &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetType(hg, HGMULTI));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(HGMultiGetSubHG(hg, &first, &nloc, &sub));
  for (PetscInt j = 0; j < nloc; j++) PetscCall(HGSetIterations(sub[j], tl[0], k));
  PetscCall(HGGetType(sub[0], &stype));
  PetscCall(PetscStrcmp(stype, HGAID, &isaid));
  if (isaid) {
    KSP ksp;
    PetscCall(HGGetKSP(sub[0], &ksp));
    PetscCall(KSPGetType(ksp, &ksptype));
  }
  PetscCall(HGGetLower(sub[0], &lower));
  PetscCall(HGLowerGetType(lower, &ltype));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGComputeHypergradient(hg, lambda, h)); /* warm-up: first-touch of the work vectors */
  PetscCall(PetscLogStageRegister("HGBenchHypergrad", &stage));
  PetscCall(PetscLogStagePush(stage));
  PetscCall(PetscMalloc1(reps, &times));
  for (PetscInt r = 0; r < reps; r++) {
    PetscLogDouble t0, t1, dt;
    if (syncgiven) { /* every launch starts hypergradient r together */
      char what[32];
      PetscCall(PetscSNPrintf(what, sizeof(what), "rep%" PetscInt_FMT, r));
      PetscCall(SyncCount(comm, sync, what, PETSC_TRUE, &cnt));
      while (cnt < syncn) {
        PetscCall(PetscSleep(0.001));
        PetscCall(SyncCount(comm, sync, what, PETSC_FALSE, &cnt));
      }
    }
    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(PetscTime(&t0));
    PetscCall(HGComputeHypergradient(hg, lambda, h)); /* from w = 0, v = 0 each time */
    PetscCall(PetscTime(&t1));
    dt = t1 - t0;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, comm));
    best     = PetscMin(best, dt);
    times[r] = dt;
  }
  PetscCall(PetscLogStagePop());
  PetscCall(HGGetInfo(hg, &info));
  { /* per rank: the time of its instances' lower and adjoint solves in the last hypergradient */
    PetscReal busy = 0, mm[2];
    for (PetscInt j = 0; j < nloc; j++) {
      HGInfo si;
      PetscCall(HGGetInfo(sub[j], &si));
      busy += si.time_lower + si.time_adjoint;
    }
    mm[0] = -busy, mm[1] = busy; /* over the ranks: min and max */
    PetscCallMPI(MPIU_Allreduce(MPI_IN_PLACE, mm, 2, MPIU_REAL, MPIU_MAX, comm));
    solves[0] = -mm[0], solves[1] = mm[1];
  }
  if (syncgiven) { /* keep the load on until the other launches have timed theirs */
    PetscCall(SyncCount(comm, sync, "done", PETSC_TRUE, &cnt));
    while (cnt < syncn) {
      PetscCall(HGComputeHypergradient(hg, lambda, h));
      PetscCall(SyncCount(comm, sync, "done", PETSC_FALSE, &cnt));
    }
  }
  PetscCall(PetscPrintf(comm, "hgmultibench: %d rank%s, %" PetscInt_FMT " instances on %" PetscInt_FMT " sub-communicators, %s%s%s/%s, t = %" PetscInt_FMT ", k = %" PetscInt_FMT ": one hypergradient %.4e s (best of %" PetscInt_FMT "), %s; the instances' solves per rank (last one) %.4e to %.4e s\n", size, size > 1 ? "s" : "", n, nsub, stype, isaid ? "-" : "", ksptype, ltype, tl[0], k, best, reps, HGConvergedReasons[info.reason], (double)solves[0], (double)solves[1]));
  if (csvgiven) {
    FILE *f;
    PetscCall(PetscFOpen(comm, csv, "w", &f));
    PetscCall(PetscFPrintf(comm, f, "problem,method,ksp,lower,ranks,t,k,time_hypergrad,time_lower,time_adjoint,reason,hypergradients,instances,nsubcomm,time_solves_min,time_solves_max,time_reps\n"));
    PetscCall(PetscFPrintf(comm, f, "multi,%s,%s,%s,%d,%" PetscInt_FMT ",%" PetscInt_FMT ",%.6e,%.6e,%.6e,%s,%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT ",%.6e,%.6e,", stype, ksptype, ltype, size, tl[0], k, best, info.time_lower, info.time_adjoint, HGConvergedReasons[info.reason], reps, n, nsub, (double)solves[0], (double)solves[1]));
    for (PetscInt r = 0; r < reps; r++) PetscCall(PetscFPrintf(comm, f, "%s%.6e", r ? ";" : "", times[r]));
    PetscCall(PetscFPrintf(comm, f, "\n"));
    PetscCall(PetscFClose(comm, f));
  }
  PetscCall(PetscFree(times));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
