static const char help[] = "t600-data-oneshot: the file written by hgsolve -output (on 2 ranks) holds /hypergradient, /w and\n"
                           "/lambda equal to the same computation done here in memory (1e-12), read back with HGVecLoadHDF5;\n"
                           "HGVecsWriteHDF5 + HGVecLoadHDF5 round trip; wrong sizes and missing datasets are clear errors.\n"
                           "Takes hgsolve's options plus -oneshot_file FILE.\n";
#include "hgtest.h"

static PetscErrorCode ExpectError(PetscErrorCode ierr, const char *what, const char *text1, const char *text2)
{
  char *msg = NULL, *has = NULL;

  PetscFunctionBegin;
  HGTEST_CHECK(ierr != 0, "%s: no error", what);
  PetscCall(PetscErrorMessage(ierr, NULL, &msg));
  PetscCall(PetscStrstr(msg ? msg : "", text1, &has));
  HGTEST_CHECK(has, "%s: the message \"%s\" does not say \"%s\"", what, msg ? msg : "", text1);
  PetscCall(PetscStrstr(msg ? msg : "", text2, &has));
  HGTEST_CHECK(has, "%s: the message \"%s\" does not say \"%s\"", what, msg ? msg : "", text2);
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char           file[PETSC_MAX_PATH_LEN] = "", tmp[PETSC_MAX_PATH_LEN];
  HGProblem      prob;
  HG             hg;
  Vec            lambda, h, w, fh, fw, fl, small;
  PetscReal      c = 0, rel, nrm;
  PetscBool      set;
  PetscMPIInt    size;
  PetscErrorCode ierr;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-oneshot_file", file, sizeof(file), &set));
  PetscCheck(set, PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "give -oneshot_file FILE (written by hgsolve -output FILE)");
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-lambda_init", &c, &set));
  PetscCheck(set, PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "give the -lambda_init given to hgsolve");

  /* the same computation as hgsolve's, in memory */
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetType(prob, HGPROBLEMQUADRATIC));
  PetscCall(HGProblemSetFromOptions(prob));
  PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecSet(lambda, c));
  PetscCall(HGTestCompute(hg, lambda, h));
  PetscCall(HGGetLowerSolution(hg, &w));

  /* what hgsolve wrote */
  PetscCall(VecDuplicate(h, &fh));
  PetscCall(VecDuplicate(w, &fw));
  PetscCall(VecDuplicate(lambda, &fl));
  PetscCall(HGVecLoadHDF5(fh, file, "/hypergradient"));
  PetscCall(HGVecLoadHDF5(fw, file, "/w"));
  PetscCall(HGVecLoadHDF5(fl, file, "/lambda"));
  PetscCall(HGTestRelDiff(fh, h, &rel));
  HGTEST_CHECK(rel <= 1e-12, "/hypergradient of %s differs from the in-memory hypergradient by %.3e", file, (double)rel);
  PetscCall(HGTestRelDiff(fw, w, &rel));
  HGTEST_CHECK(rel <= 1e-12, "/w of %s differs from the in-memory w by %.3e", file, (double)rel);
  PetscCall(HGTestRelDiff(fl, lambda, &rel));
  HGTEST_CHECK(rel == 0, "/lambda of %s is not -lambda_init %g", file, (double)c);
  PetscCall(VecNorm(h, NORM_2, &nrm));
  HGTEST_CHECK(nrm > 0, "the hypergradient is zero: the comparison is void");

  /* our own writer and reader agree exactly; bad reads are clear errors */
  {
    Vec         vecs[2] = {h, w}, back;
    const char *names[2] = {"hypergradient", "w"};
    PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "t600-oneshot-np%d.h5", (int)size));
    PetscCall(HGVecsWriteHDF5(tmp, 2, vecs, names));
    PetscCall(VecDuplicate(h, &back));
    PetscCall(HGVecLoadHDF5(back, tmp, "hypergradient"));
    PetscCall(HGTestRelDiff(back, h, &rel));
    HGTEST_CHECK(rel == 0, "HGVecsWriteHDF5 + HGVecLoadHDF5 changed the vector (%.3e)", (double)rel);
    PetscCall(VecDestroy(&back));
    PetscCall(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, 3, &small));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = HGVecLoadHDF5(small, tmp, "/w");
    PetscCall(PetscPopErrorHandler());
    PetscCall(ExpectError(ierr, "wrong size", tmp, "but the vector has 3"));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = HGVecLoadHDF5(small, tmp, "/lambda");
    PetscCall(PetscPopErrorHandler());
    PetscCall(ExpectError(ierr, "missing dataset", tmp, "no dataset /lambda"));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = HGVecLoadHDF5(small, "t600-no-such-file.h5", "/lambda");
    PetscCall(PetscPopErrorHandler());
    PetscCall(ExpectError(ierr, "missing file", "t600-no-such-file.h5", "cannot open"));
    PetscCall(VecDestroy(&small));
  }
  PetscCall(VecDestroy(&fh));
  PetscCall(VecDestroy(&fw));
  PetscCall(VecDestroy(&fl));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
