/*
   hypergrad data sets: loaders for LIBSVM/svmlight, CSV, IDX (MNIST) and HDF5 files into
   distributed PETSc matrices, train/validation/test splits and standardization.
   Included by <hypergrad.h>.

   A data set is a matrix X (samples x features, rows distributed across the ranks of the
   communicator: MPIAIJ for sparse formats and CSR HDF5 groups, MPIDENSE otherwise) and a
   Vec y of labels or targets with the same row layout.  Rows are split with PETSC_DECIDE
   and columns like a VecCreateMPI(comm, PETSC_DECIDE, nfeatures) Vec, so X multiplies a w
   created that way.  Every rank reads its own rows of an HDF5 file (parallel HDF5); text and
   IDX files are parsed by rank 0 and streamed to the ranks in bounded chunks.  The result is
   identical on any number of ranks.
*/
#pragma once

#include <petscmat.h>

typedef enum {
  HG_DATA_AUTO   = 0, /* from the file name: .csv, .h5/.hdf5 (or the HDF5 signature), *-ubyte(.gz)/.idx -> idx, anything else -> libsvm */
  HG_DATA_LIBSVM = 1,
  HG_DATA_CSV    = 2,
  HG_DATA_IDX    = 3,
  HG_DATA_HDF5   = 4
} HGDataFormat;
PETSC_EXTERN const char *const HGDataFormats[];

typedef struct {
  Mat       X;         /* nsamples x nfeatures */
  Vec       y;         /* labels (as read: class values or regression targets) */
  PetscInt  nsamples, nfeatures;
  PetscInt  nclasses;  /* number of distinct label values when all are integers (<= 1000), else 0 */
} HGData;

/* What a reader needs beyond the path; HGDataLoadOptionsDefault() fills the defaults */
#define HG_DATA_MAX_COLUMNS 64
typedef struct {
  PetscInt  nfeatures;                      /* LIBSVM: number of columns (0: the largest index in the file); indices above it are an error */
  PetscInt  max_samples;                    /* read only the first max_samples samples (0: all) */
  PetscBool csv_header;                     /* CSV: the first line names the columns (default true) */
  char      csv_delimiter;                  /* CSV: field separator (default ',') */
  char      csv_label[256];                 /* CSV: label column, by header name or 0-based index ("" = the last column) */
  PetscInt  csv_nskip;                      /* CSV: columns dropped (by header name or 0-based index) */
  char      csv_skip[HG_DATA_MAX_COLUMNS][256];
  PetscBool hdf5_mpiio;                     /* HDF5: read through HDF5's MPI-IO driver instead of each rank's own POSIX reads (default false) */
  PetscBool hdf5_csr_count;                 /* HDF5 CSR on several ranks: count each row's diagonal-block entries in a first pass and allocate the blocks exactly, instead of reserving the rank's nonzeros for each block (for a limit on virtual memory; default false) */
} HGDataLoadOptions;

PETSC_EXTERN PetscErrorCode HGDataLoadOptionsDefault(HGDataLoadOptions *);

/* Load one file (for IDX, path is the images file and labels the labels file, or NULL to
   use the matching *-labels-idx1-ubyte(.gz) beside it; for the others labels is NULL).
   Errors name the file, the line or record and what is wrong.  HGDataLoad uses the default
   load options. */
PETSC_EXTERN PetscErrorCode HGDataLoad(MPI_Comm, const char path[], const char labels[], HGDataFormat, HGData *);
PETSC_EXTERN PetscErrorCode HGDataLoadWithOptions(MPI_Comm, const char path[], const char labels[], HGDataFormat, const HGDataLoadOptions *, HGData *);
PETSC_EXTERN PetscErrorCode HGDataDestroy(HGData *);
/* Sorted distinct label values (allocated with PetscMalloc1; the caller frees) */
PETSC_EXTERN PetscErrorCode HGDataGetClasses(HGData *, PetscInt *nclasses, PetscReal **values);
/* Random split (seeded, identical on any number of ranks) into nparts with the given fractions (sum 1) */
PETSC_EXTERN PetscErrorCode HGDataSplit(HGData *, PetscInt nparts, const PetscReal fractions[], PetscInt64 seed, HGData parts[]);
/* Standardize the columns of ref to mean 0, variance 1 and apply the same affine map to others[]
   (sparse MPIAIJ data: scaling only, no centering, so that the sparsity is kept) */
PETSC_EXTERN PetscErrorCode HGDataStandardize(HGData *ref, PetscInt nothers, HGData others[]);
/* Write a data set as HDF5 (dense /X or CSR group /X with data, indices, indptr; /y) */
PETSC_EXTERN PetscErrorCode HGDataWriteHDF5(HGData *, const char path[]);
/* An upper bound of ||X||_2^2 with probability >= 0.999 over the seeded start: at most 20 Lanczos
   steps on X^T X, stopped once the a-posteriori bound is within 15% of the Ritz value */
PETSC_EXTERN PetscErrorCode HGMatNormSquaredBound(Mat X, PetscInt64 seed, PetscReal *bound, PetscInt *steps);
/* The whole matrix X, row major (sample i at x + i*nfeatures), on every rank; PetscFree() it */
PETSC_EXTERN PetscErrorCode HGDataGatherDense(HGData *, PetscScalar **x);
/* Read the options common to all problems that take data (prefix is the problem's prefix):
     -data_train FILE [-data_train_labels FILE]  -data_val FILE [-data_val_labels FILE]  -data_test FILE [-data_test_labels FILE]
     -data FILE [-data_labels FILE] -data_split 0.333,0.333,0.334   (one file split three ways, or two with two fractions)
     -data_format auto|libsvm|csv|idx|hdf5  -data_seed N  -data_standardize
     -data_max_samples N  -data_nfeatures N (LIBSVM: number of features when the file does not reach it)
     -data_csv_label_column NAME|INDEX  -data_csv_skip_columns A,B,..  -data_csv_header <true>  -data_csv_delimiter C
   found is PETSC_FALSE when no data option is given (the problem then generates its
   synthetic data); test may be NULL (then no test set is required); a test set that is not
   given is returned zeroed (X = NULL). */
PETSC_EXTERN PetscErrorCode HGDataGetFromOptions(MPI_Comm, const char prefix[], PetscBool *found, HGData *train, HGData *val, HGData *test);
PETSC_EXTERN PetscErrorCode HGDataLoadOptionsSetFromOptions(MPI_Comm, const char prefix[], HGDataFormat *, HGDataLoadOptions *);

/* HDF5 vectors: read dataset name of path into v (sizes checked; rank 0 reads and scatters),
   and write n Vecs to path (collective, PetscViewerHDF5; written to path.tmp, then renamed,
   so an existing file is never left half-written) */
PETSC_EXTERN PetscErrorCode HGVecLoadHDF5(Vec v, const char path[], const char name[]);
/* Every entry of a distributed Vec in an array on every rank (collective; free with PetscFree) */
PETSC_EXTERN PetscErrorCode HGVecGatherAll(Vec, PetscScalar **);
PETSC_EXTERN PetscErrorCode HGVecsWriteHDF5(const char path[], PetscInt n, Vec vecs[], const char *const names[]);
