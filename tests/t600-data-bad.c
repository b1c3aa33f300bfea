static const char help[] = "t600-data-bad: every file of the bad-data corpus (tests/data/bad) gives a PETSc error, on every\n"
                           "rank, whose message names the file and says what is wrong.\n";
#include "hgtest.h"

typedef struct {
  const char  *file;    /* under tests/data/bad (or tests/data) */
  const char  *labels;  /* IDX labels file, or NULL */
  HGDataFormat format;
  PetscInt     nfeatures;
  const char  *label;   /* CSV label column */
  const char  *expect;  /* a phrase the message must contain */
  const char  *expect2; /* a second one (the line or record), or NULL */
} Case;

static const Case cases[] = {
  {"bad/empty.svm", NULL, HG_DATA_AUTO, 0, NULL, "no samples", NULL},
  {"bad/empty.csv", NULL, HG_DATA_AUTO, 0, NULL, "empty", NULL},
  {"bad/empty.h5", NULL, HG_DATA_AUTO, 0, NULL, "empty", NULL},
  {"bad/empty-images-idx3-ubyte", "bad/empty-images-idx3-ubyte", HG_DATA_AUTO, 0, NULL, "empty", NULL},
  {"bad/does-not-exist.svm", NULL, HG_DATA_AUTO, 0, NULL, "cannot open", "No such file"},
  {"bad/does-not-exist.csv", NULL, HG_DATA_AUTO, 0, NULL, "cannot open", "No such file"},
  {"bad/does-not-exist.h5", NULL, HG_DATA_AUTO, 0, NULL, "cannot open", "No such file"},
  {"bad/does-not-exist-images-idx3-ubyte.gz", NULL, HG_DATA_AUTO, 0, NULL, "cannot open", "No such file"},
  {"bad/index0.svm", NULL, HG_DATA_AUTO, 0, NULL, "out of range", "line 2"},
  {"good.svm", NULL, HG_DATA_AUTO, 3, NULL, "out of range 1..3", "line 3"},
  {"bad/unsorted.svm", NULL, HG_DATA_AUTO, 0, NULL, "unsorted", "line 2"},
  {"bad/duplicate.svm", NULL, HG_DATA_AUTO, 0, NULL, "duplicate feature index 3", "line 3"},
  {"bad/nonnumeric.svm", NULL, HG_DATA_AUTO, 0, NULL, "\"abc\" of feature 3 is not a number", "line 2"},
  {"bad/nan.svm", NULL, HG_DATA_AUTO, 0, NULL, "NaN", "line 3"},
  {"bad/badlabel.svm", NULL, HG_DATA_AUTO, 0, NULL, "label \"yes\" is not a number", "line 2"},
  {"bad/nonnumeric.csv", NULL, HG_DATA_AUTO, 0, NULL, "\"x7\" is not a number", "line 3, column 1 (b)"},
  {"bad/nan.csv", NULL, HG_DATA_AUTO, 0, NULL, "NaN", "line 4, column 1 (b)"},
  {"bad/ragged.csv", NULL, HG_DATA_AUTO, 0, NULL, "ragged", "line 3"},
  {"bad/emptyfield.csv", NULL, HG_DATA_AUTO, 0, NULL, "empty field", "line 3, column 1"},
  {"good.csv", NULL, HG_DATA_AUTO, 0, "nosuchcolumn", "\"nosuchcolumn\" is neither a column name", "id, f1"},
  {"good.csv", NULL, HG_DATA_AUTO, 0, NULL, "\"s00\" is not a number", "line 2, column 0 (id)"},
  {"bad/trunc-images-idx3-ubyte.gz", NULL, HG_DATA_AUTO, 0, NULL, "truncated", "image"},
  {"bad/short-images-idx3-ubyte", NULL, HG_DATA_AUTO, 0, NULL, "truncated", "image 4"},
  {"bad/magic-images-idx3-ubyte", NULL, HG_DATA_AUTO, 0, NULL, "bad magic number 0x12345678", "record 0"},
  {"bad/notidx-images-idx3-ubyte", NULL, HG_DATA_AUTO, 0, NULL, "bad magic number", "not an IDX images file"},
  {"tiny-labels-idx1-ubyte", "tiny-labels-idx1-ubyte", HG_DATA_IDX, 0, NULL, "bad magic number 0x00000801", "record 0"},
  {"bad/count-images-idx3-ubyte", NULL, HG_DATA_AUTO, 0, NULL, "4 labels", "label count must equal the sample count"},
  {"bad/count.h5", NULL, HG_DATA_AUTO, 0, NULL, "/y has 3 labels, but /X has 4 samples", "label count"},
  {"bad/nan.h5", NULL, HG_DATA_AUTO, 0, NULL, "NaN", "record (row) 2, column 1"},
  {"bad/noX.h5", NULL, HG_DATA_AUTO, 0, NULL, "no /X", NULL},
  {"bad/nan_csr.h5", NULL, HG_DATA_AUTO, 0, NULL, "NaN or Inf", "record (row) 2, column 1"},
  {"bad/unsorted_csr.h5", NULL, HG_DATA_AUTO, 0, NULL, "unsorted", "record (row) 1"},
  {"bad/range_csr.h5", NULL, HG_DATA_AUTO, 0, NULL, "column index 3 is out of range", "record (row) 1"},
  {"bad/dup_csr.h5", NULL, HG_DATA_AUTO, 0, NULL, "duplicate column index 1", "record (row) 2"},
  {"bad/negative_csr.h5", NULL, HG_DATA_AUTO, 0, NULL, "column index -1 is out of range", "record (row) 3"},
  {"bad/text.h5", NULL, HG_DATA_AUTO, 0, NULL, "not an HDF5 file", NULL},
  {"good.svm", "good.svm", HG_DATA_AUTO, 0, NULL, "labels file", "only for IDX"},
};

static PetscErrorCode Check(const char *dir, const Case *c, PetscBool verbose)
{
  char              path[PETSC_MAX_PATH_LEN], labels[PETSC_MAX_PATH_LEN], *msg = NULL, *has = NULL;
  HGDataLoadOptions o;
  HGData            d;
  PetscErrorCode    ierr;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", dir, c->file));
  if (c->labels) PetscCall(PetscSNPrintf(labels, sizeof(labels), "%s/%s", dir, c->labels));
  PetscCall(HGDataLoadOptionsDefault(&o));
  o.nfeatures = c->nfeatures;
  if (c->label) PetscCall(PetscStrncpy(o.csv_label, c->label, sizeof(o.csv_label)));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = HGDataLoadWithOptions(PETSC_COMM_WORLD, path, c->labels ? labels : NULL, c->format, &o, &d);
  PetscCall(PetscPopErrorHandler());
  HGTEST_CHECK(ierr != 0, "%s: loading succeeded, an error was expected (\"%s\")", c->file, c->expect);
  PetscCall(PetscErrorMessage(ierr, NULL, &msg));
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-40s -> [%d] %s\n", c->file, (int)ierr, msg));
  HGTEST_CHECK(msg && msg[0], "%s: error %d without a message", c->file, (int)ierr);
  /* the message names the file (labels files are named when they are the culprit) */
  PetscCall(PetscStrstr(msg, c->file + (strncmp(c->file, "bad/", 4) ? 0 : 4), &has));
  HGTEST_CHECK(has, "%s: the message \"%s\" does not name the file", c->file, msg);
  PetscCall(PetscStrstr(msg, c->expect, &has));
  HGTEST_CHECK(has, "%s: the message \"%s\" does not say \"%s\"", c->file, msg, c->expect);
  if (c->expect2) {
    PetscCall(PetscStrstr(msg, c->expect2, &has));
    HGTEST_CHECK(has, "%s: the message \"%s\" does not say \"%s\"", c->file, msg, c->expect2);
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char      dir[PETSC_MAX_PATH_LEN];
  PetscBool verbose = PETSC_FALSE;
  HGProblem prob;
  PetscErrorCode ierr;
  char     *msg, *has;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCheck(getenv("HG_SOURCE_DIR"), PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "set HG_SOURCE_DIR to the repository root");
  PetscCall(PetscSNPrintf(dir, sizeof(dir), "%s/tests/data", getenv("HG_SOURCE_DIR")));
  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) PetscCall(Check(dir, &cases[k], verbose));

  /* HDF5 files are read by every rank: a file that ranks other than 0 cannot open, or see as
     another file (paths that are not on a shared file system), is an error on every rank */
  {
    PetscMPIInt rank, size;
    PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
    PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
    if (size > 1) {
      /* (another HDF5 file on ranks > 0 is caught too, but opening different files in one
         collective MPI-IO call is outside the MPI standard, so no test does it) */
      const char *other[2]  = {"bad/not-on-this-rank.h5", "bad/text.h5"};
      const char *expect[2] = {"cannot open the HDF5 file on rank 1 of", "not an HDF5 file, while rank 0 reads one"};
      for (int k = 0; k < 2; k++) {
        char     path[PETSC_MAX_PATH_LEN];
        HGData   d;
        PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", dir, rank == 0 ? "good_dense.h5" : other[k]));
        PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
        ierr = HGDataLoad(PETSC_COMM_WORLD, path, NULL, HG_DATA_AUTO, &d);
        PetscCall(PetscPopErrorHandler());
        HGTEST_CHECK(ierr != 0, "rank %d: %s on ranks > 0: loading succeeded, an error was expected", rank, other[k]);
        PetscCall(PetscErrorMessage(ierr, NULL, &msg));
        if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-40s -> [%d] %s\n", other[k], (int)ierr, msg));
        PetscCall(PetscStrstr(msg, expect[k], &has));
        HGTEST_CHECK(has, "rank %d: %s on ranks > 0: the message \"%s\" does not say \"%s\"", rank, other[k], msg, expect[k]);
        PetscCall(PetscStrstr(msg, "rank", &has));
        HGTEST_CHECK(has, "rank %d: the message \"%s\" does not name the rank", rank, msg);
      }
    }
  }

  /* a labels file whose count differs, given explicitly; and logreg refusing a multi-class set */
  {
    Case c = {"bad/count-images-idx3-ubyte", "bad/count-labels-idx1-ubyte", HG_DATA_IDX, 0, NULL, "label count must equal the sample count", "count-labels-idx1-ubyte"};
    PetscCall(Check(dir, &c, verbose));
  }
  {
    char opt[PETSC_MAX_PATH_LEN];
    PetscCall(PetscSNPrintf(opt, sizeof(opt), "%s/tiny-images-idx3-ubyte.gz", dir));
    PetscCall(PetscOptionsSetValue(NULL, "-data_train", opt));
    PetscCall(PetscOptionsSetValue(NULL, "-data_val", opt));
    PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
    PetscCall(HGProblemSetType(prob, HGPROBLEMLOGREG));
    PetscCall(HGProblemSetFromOptions(prob));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = HGProblemSetUp(prob);
    PetscCall(PetscPopErrorHandler());
    HGTEST_CHECK(ierr == PETSC_ERR_FILE_UNEXPECTED, "logreg on 5 classes: expected an error, got %d", (int)ierr);
    PetscCall(PetscErrorMessage(ierr, NULL, &msg));
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-40s -> [%d] %s\n", "logreg on tiny IDX", (int)ierr, msg));
    PetscCall(PetscStrstr(msg, "logreg is binary", &has));
    HGTEST_CHECK(has, "logreg on 5 classes: the message \"%s\" does not say it is binary", msg);
    PetscCall(HGProblemDestroy(&prob));
    /* -data_train without -data_val */
    PetscCall(PetscOptionsClearValue(NULL, "-data_val"));
    PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
    PetscCall(HGProblemSetType(prob, HGPROBLEMLOGREG));
    PetscCall(HGProblemSetFromOptions(prob));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = HGProblemSetUp(prob);
    PetscCall(PetscPopErrorHandler());
    HGTEST_CHECK(ierr != 0, "-data_train without -data_val: expected an error");
    PetscCall(PetscErrorMessage(ierr, NULL, &msg));
    PetscCall(PetscStrstr(msg, "-data_val", &has));
    HGTEST_CHECK(has, "-data_train without -data_val: the message \"%s\" does not name -data_val", msg);
    PetscCall(HGProblemDestroy(&prob));
    PetscCall(PetscOptionsClearValue(NULL, "-data_train"));
  }
  PetscCall(PetscFinalize());
  return 0;
}
