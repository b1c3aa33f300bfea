static const char help[] = "hgloadbench: load time and peak memory of a data set, and the time to the first hypergradient.\n\n"
                           "  mpiexec -n 2 ./hgloadbench -file big.h5                       (load only)\n"
                           "  mpiexec -n 2 ./hgloadbench -file big.h5 -val val.h5 -bench_hypergradient\n\n"
                           "Options:\n"
                           "  -file <F>               the data file to load (any format HGDataLoad reads)\n"
                           "  -val <F>                validation file (with -bench_hypergradient; default: -file)\n"
                           "  -bench_hypergradient    also set up logreg on the data (-data_train F -data_val V) and compute\n"
                           "                          one hypergradient (default t = k = 1: -lower_max_it 1 -hg_k 1)\n\n"
                           "Prints one line per rank: rows, bytes of its share of X and y, the load time (slowest rank),\n"
                           "the time to the first hypergradient, and the peak resident memory (VmHWM) of the process.\n";
#include <hypergrad.h>
#include <stdio.h>
#include <string.h>

/* Peak resident set of this process in bytes (Linux /proc/self/status VmHWM), 0 if unknown */
static PetscErrorCode PeakRSS(PetscLogDouble *bytes)
{
  FILE *fp = fopen("/proc/self/status", "r");
  char  line[256];

  PetscFunctionBegin;
  *bytes = 0;
  if (!fp) PetscFunctionReturn(0);
  while (fgets(line, sizeof(line), fp))
    if (!strncmp(line, "VmHWM:", 6)) *bytes = 1024.0 * atof(line + 6);
  fclose(fp);
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char           file[PETSC_MAX_PATH_LEN] = "", val[PETSC_MAX_PATH_LEN] = "";
  PetscBool      hg_bench = PETSC_FALSE;
  PetscLogDouble t0, t1, tload, thg = 0, rss, share = 0;
  PetscMPIInt    rank, size;
  PetscInt       m = 0, M = 0, N = 0;
  MPI_Comm       comm;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscLogDefaultBegin()); /* for the time of the HGDataLoad event */
  comm = PETSC_COMM_WORLD;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscOptionsBegin(comm, NULL, "hgloadbench", "hgloadbench");
  PetscCall(PetscOptionsString("-file", "Data file", "hgloadbench", file, file, sizeof(file), NULL));
  PetscCall(PetscOptionsString("-val", "Validation data file", "hgloadbench", val, val, sizeof(val), NULL));
  PetscCall(PetscOptionsBool("-bench_hypergradient", "Also compute one logreg hypergradient", "hgloadbench", hg_bench, &hg_bench, NULL));
  PetscOptionsEnd();
  PetscCheck(file[0], comm, PETSC_ERR_ARG_WRONG, "give the data file with -file F");
  if (!val[0]) PetscCall(PetscStrncpy(val, file, sizeof(val)));
  PetscCall(HGInitializePackage());
  if (!hg_bench) {
    HGData    d;
    MatInfo   info;
    PetscBool dense;
    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(PetscTime(&t0));
    PetscCall(HGDataLoad(comm, file, NULL, HG_DATA_AUTO, &d));
    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(PetscTime(&t1));
    tload = t1 - t0;
    PetscCall(MatGetLocalSize(d.X, &m, NULL));
    M = d.nsamples, N = d.nfeatures;
    PetscCall(PetscObjectTypeCompareAny((PetscObject)d.X, &dense, MATMPIDENSE, MATSEQDENSE, ""));
    PetscCall(MatGetInfo(d.X, MAT_LOCAL, &info));
    share = dense ? 8.0 * m * N : 12.0 * info.nz_used + 4.0 * (m + 1);
    share += 8.0 * m;
    PetscCall(HGDataDestroy(&d));
  } else {
    HGProblem prob;
    HG        hg;
    Vec       lambda, h;
    PetscCall(PetscOptionsSetValue(NULL, "-data_train", file));
    PetscCall(PetscOptionsSetValue(NULL, "-data_val", val));
    PetscCall(PetscOptionsInsertString(NULL, "-lower_max_it 1 -hg_k 1"));
    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(PetscTime(&t0));
    PetscCall(HGProblemCreate(comm, &prob));
    PetscCall(HGProblemSetType(prob, HGPROBLEMLOGREG));
    PetscCall(HGProblemSetFromOptions(prob));
    PetscCall(HGCreate(comm, &hg));
    PetscCall(HGSetProblem(hg, prob));
    PetscCall(HGSetFromOptions(hg));
    PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
    PetscCall(VecDuplicate(lambda, &h));
    PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
    PetscCall(HGComputeHypergradient(hg, lambda, h));
    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(PetscTime(&t1));
    thg = t1 - t0;
    {
      PetscLogEvent     ev;
      PetscEventPerfInfo pi;
      PetscCall(PetscLogEventGetId("HGDataLoad", &ev));
      PetscCall(PetscLogEventGetPerfInfo(PETSC_DETERMINE, ev, &pi));
      tload = pi.time;
    }
    PetscCall(VecDestroy(&lambda));
    PetscCall(VecDestroy(&h));
    PetscCall(HGDestroy(&hg));
    PetscCall(HGProblemDestroy(&prob));
  }
  PetscCall(PeakRSS(&rss));
  {
    PetscLogDouble tmax;
    PetscCall(MPIU_Allreduce(&tload, &tmax, 1, MPIU_PETSCLOGDOUBLE, MPI_MAX, comm));
    tload = tmax;
  }
  if (!hg_bench) PetscCall(PetscPrintf(comm, "load %s on %d ranks: %" PetscInt_FMT " x %" PetscInt_FMT ", load time %.3f s\n", file, size, M, N, tload));
  else PetscCall(PetscPrintf(comm, "logreg on %s (validation %s) on %d ranks: time to the first hypergradient %.3f s (load events %.3f s)\n", file, val, size, thg, tload));
  PetscCall(PetscSynchronizedPrintf(comm, "  rank %d: rows %" PetscInt_FMT ", share %.1f MiB, peak RSS %.1f MiB\n", rank, m, share / 1048576.0, rss / 1048576.0));
  PetscCall(PetscSynchronizedFlush(comm, PETSC_STDOUT));
  PetscCall(PetscFinalize());
  return 0;
}
