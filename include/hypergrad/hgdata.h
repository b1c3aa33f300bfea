/*
   hypergrad data sets: loaders for LIBSVM/svmlight, CSV, IDX (MNIST) and HDF5 files into
   distributed PETSc matrices, train/validation/test splits and standardization.
   Included by <hypergrad.h>.

   A data set is a matrix X (samples x features, rows distributed across the ranks of the
   communicator: MPIAIJ for sparse formats and CSR HDF5 groups, MPIDENSE otherwise) and a
   Vec y of labels or targets with the same row layout.
*/
#pragma once

#include <petscmat.h>

typedef enum {
  HG_DATA_AUTO   = 0, /* from the file name: .svm/.libsvm/none -> libsvm, .csv, idx3-ubyte(.gz), .h5/.hdf5 */
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

/* Load one file (for IDX, path is the images file and labels the labels file; for the
   others labels is NULL).  Errors name the file, the line or record and what is wrong. */
PETSC_EXTERN PetscErrorCode HGDataLoad(MPI_Comm, const char path[], const char labels[], HGDataFormat, HGData *);
PETSC_EXTERN PetscErrorCode HGDataDestroy(HGData *);
/* Sorted distinct label values (allocated with PetscMalloc1; the caller frees) */
PETSC_EXTERN PetscErrorCode HGDataGetClasses(HGData *, PetscInt *nclasses, PetscReal **values);
/* Random split (seeded, identical on any number of ranks) into nparts with the given fractions (sum 1) */
PETSC_EXTERN PetscErrorCode HGDataSplit(HGData *, PetscInt nparts, const PetscReal fractions[], PetscInt64 seed, HGData parts[]);
/* Standardize the columns of ref to mean 0, variance 1 and apply the same affine map to others[] */
PETSC_EXTERN PetscErrorCode HGDataStandardize(HGData *ref, PetscInt nothers, HGData others[]);
/* Write a data set as HDF5 (dense /X or CSR group /X with data, indices, indptr; /y) */
PETSC_EXTERN PetscErrorCode HGDataWriteHDF5(HGData *, const char path[]);
/* Read the options common to all problems that take data (prefix is the problem's prefix):
     -data_train FILE [-data_train_labels FILE]  -data_val FILE  -data_test FILE
     -data FILE [-data_labels FILE] -data_split 0.333,0.333,0.334   (one file split three ways)
     -data_format auto|libsvm|csv|idx|hdf5  -data_seed N  -data_standardize
     -data_max_samples N  -data_nfeatures N (LIBSVM: number of features when the file does not reach it)
   found is PETSC_FALSE when no data option is given (the problem then generates its
   synthetic data); test may be NULL (then no test set is required). */
PETSC_EXTERN PetscErrorCode HGDataGetFromOptions(MPI_Comm, const char prefix[], PetscBool *found, HGData *train, HGData *val, HGData *test);
