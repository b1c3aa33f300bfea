static const char help[] = "hgmultibench: time the hypergradient of a problem of n instances on sub-communicators\n"
                           "(-problem multi -hg_type multi), for instance scaling with hgscale.py --app hgmultibench.\n\n"
                           "  mpiexec -n 2 ./hgmultibench -multi_n 8 -sub_problem logreg -sub_lr_sparse -sub_lr_p 1000 \\\n"
                           "          -sub_lr_ntrain 20000 -sub_hg_ksp_type cg -bench_t 100\n\n"
                           "  -bench_t <100>       lower iterations t of every instance (first entry of a list)\n"
                           "  -bench_k <-1>        adjoint iterations k of every instance (-1: k = t)\n"
                           "  -bench_reps <3>      hypergradients, the fastest kept (slowest rank)\n"
                           "  -bench_csv <file>    one-row CSV with the columns hgscale.py reads (rank 0)\n"
                           "  -bench_triad_n <n>   accepted and ignored (hgscale.py passes it)\n\n";
#include <hypergrad.h>

int main(int argc, char **argv)
{
  HGProblem      prob;
  HG             hg, *sub;
  Vec            lambda, h;
  HGInfo         info;
  PetscInt       tl[16], nt = 16, k = -1, reps = 3, first, nloc, n, nsub, triad;
  char           csv[PETSC_MAX_PATH_LEN] = "";
  PetscBool      csvgiven, isaid = PETSC_FALSE;
  PetscLogDouble best = 1e300;
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
  PetscCheck(tl[0] > 0 && reps > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-bench_t and -bench_reps must be positive");
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
  for (PetscInt r = 0; r < reps; r++) {
    PetscLogDouble t0, t1, dt;
    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(PetscTime(&t0));
    PetscCall(HGComputeHypergradient(hg, lambda, h)); /* from w = 0, v = 0 each time */
    PetscCall(PetscTime(&t1));
    dt = t1 - t0;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, comm));
    best = PetscMin(best, dt);
  }
  PetscCall(PetscLogStagePop());
  PetscCall(HGGetInfo(hg, &info));
  PetscCall(PetscPrintf(comm, "hgmultibench: %d rank%s, %" PetscInt_FMT " instances on %" PetscInt_FMT " sub-communicators, %s%s%s/%s, t = %" PetscInt_FMT ", k = %" PetscInt_FMT ": one hypergradient %.4e s (best of %" PetscInt_FMT "), %s\n", size, size > 1 ? "s" : "", n, nsub, stype, isaid ? "-" : "", ksptype, ltype, tl[0], k, best, reps, HGConvergedReasons[info.reason]));
  if (csvgiven) {
    FILE *f;
    PetscCall(PetscFOpen(comm, csv, "w", &f));
    PetscCall(PetscFPrintf(comm, f, "problem,method,ksp,lower,ranks,t,k,time_hypergrad,time_lower,time_adjoint,reason,hypergradients,instances,nsubcomm\n"));
    PetscCall(PetscFPrintf(comm, f, "multi,%s,%s,%s,%d,%" PetscInt_FMT ",%" PetscInt_FMT ",%.6e,%.6e,%.6e,%s,%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT "\n", stype, ksptype, ltype, size, tl[0], k, best, info.time_lower, info.time_adjoint, HGConvergedReasons[info.reason], reps, n, nsub));
    PetscCall(PetscFClose(comm, f));
  }
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
