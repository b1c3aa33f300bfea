static const char help[] = "t105: the checking tools users run on their own problems (issue 15).\n"
                           "HGProblemTestDerivatives: PASS on the quadratic problem, FAIL with a wrong Hessian, and it names\n"
                           "the checks it skips.  HGTestHypergradient: its error is relative to ||h||: an exact h (closed form)\n"
                           "gives rounding level, h + delta e_0 gives delta/||h|| whatever the size of h_0.\n";
#include "hgtest.h"

static PetscErrorCode WrongHessian(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y, void *ctx)
{
  PetscFunctionBegin;
  PetscCall(VecCopy(x, y)); /* the identity: not the Hessian of this problem */
  PetscFunctionReturn(0);
}

/* HGProblemTestDerivatives into a file (one per rank count: ctest runs np1 and np3 side by side),
   read back on rank 0 and broadcast */
static PetscErrorCode Derivatives(HGProblem prob, Vec w, Vec lambda, char *out, size_t len, PetscReal *maxrel)
{
  PetscViewer v;
  PetscMPIInt rank, size;
  char        name[64];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscSNPrintf(name, sizeof(name), "t105-np%d.txt", (int)size));
  PetscCall(PetscMemzero(out, len));
  PetscCall(PetscViewerASCIIOpen(PETSC_COMM_WORLD, name, &v));
  PetscCall(HGProblemTestDerivatives(prob, w, lambda, 1e-6, v, maxrel));
  PetscCall(PetscViewerDestroy(&v));
  if (!rank) {
    FILE *fp = fopen(name, "r");
    PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot read back %s", name);
    if (fread(out, 1, len - 1, fp) == 0) out[0] = 0;
    fclose(fp);
    (void)remove(name);
  }
  PetscCallMPI(MPI_Bcast(out, (PetscMPIInt)len, MPI_CHAR, 0, PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem   prob;
  HG          hg;
  Vec         w, lambda, h, e0;
  PetscReal   maxrel, hn, delta;
  PetscViewer quiet;
  char        out[8192];
  PetscInt    n;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMQUADRATIC, &prob));
  PetscCall(HGProblemCreateVecs(prob, &w, &lambda));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(VecSet(w, 0.3));

  /* 1. correct callbacks: PASS, nothing skipped */
  PetscCall(Derivatives(prob, w, lambda, out, sizeof(out), &maxrel));
  HGTEST_CHECK(maxrel <= 1e-5, "quadratic: callbacks differ from finite differences by %g", (double)maxrel);
  HGTEST_CHECK(strstr(out, "PASS: 5 of 5 checks") && strstr(out, "skipped: none") && !strstr(out, "FAIL"), "quadratic: no PASS verdict over 5 checks, or a check skipped:\n%s", out);
  /* 2. without the lower objective the gradient check is skipped, and said so */
  PetscCall(HGProblemSetLowerObjective(prob, NULL));
  PetscCall(Derivatives(prob, w, lambda, out, sizeof(out), &maxrel));
  HGTEST_CHECK(strstr(out, "PASS: 4 of 4 checks") && strstr(out, "skipped: lower gradient (no lower objective"), "no lower objective: the skipped gradient check is not reported:\n%s", out);
  /* 3. a wrong Hessian: FAIL on its line and in the verdict */
  PetscCall(HGProblemSetLowerHessianMult(prob, WrongHessian));
  PetscCall(Derivatives(prob, w, lambda, out, sizeof(out), &maxrel));
  HGTEST_CHECK(maxrel > 1e-2, "a wrong Hessian passes the check (largest relative difference %g)", (double)maxrel);
  HGTEST_CHECK(strstr(out, "FAIL: 3 of 4 checks") && strstr(out, "FAIL\n"), "a wrong Hessian: no FAIL verdict:\n%s", out);
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));

  /* 4. HGTestHypergradient against the closed form, every coordinate direction */
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMQUADRATIC, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecDuplicate(lambda, &e0));
  PetscCall(VecGetSize(lambda, &n));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGProblemComputeExactHypergradient(prob, lambda, h, NULL));
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCG, 100, PETSC_DEFAULT, &hg));
  PetscCall(PetscViewerASCIIOpen(PETSC_COMM_WORLD, "/dev/null", &quiet));
  PetscCall(HGTestHypergradient(hg, lambda, h, n, 1e-5, quiet, &maxrel));
  HGTEST_CHECK(maxrel <= 1e-7, "exact hypergradient: HGTestHypergradient reports %g relative to ||h|| (> 1e-7)", (double)maxrel);
  /* h + delta e_0: the error is delta, |h.e_0 - fd| / ||h|| = delta / ||h|| */
  PetscCall(VecNorm(h, NORM_2, &hn));
  delta = 1e-3 * hn;
  PetscCall(VecSet(e0, 0.0));
  PetscCall(VecSetValue(e0, 0, 1.0, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(e0));
  PetscCall(VecAssemblyEnd(e0));
  PetscCall(VecAXPY(h, delta, e0));
  PetscCall(VecNorm(h, NORM_2, &hn));
  PetscCall(HGTestHypergradient(hg, lambda, h, n, 1e-5, quiet, &maxrel));
  HGTEST_CHECK(PetscAbsReal(maxrel / (delta / hn) - 1) < 1e-3, "h + delta e_0: HGTestHypergradient reports %g, expected delta/||h|| = %g", (double)maxrel, (double)(delta / hn));
  PetscCall(PetscViewerDestroy(&quiet));
  PetscCall(HGDestroy(&hg));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&e0));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
