/*
   Private to src/data: the readers fill an HGRaw on rank 0 (whole file, CSR or dense row
   major), data.c scatters it to the row layout.  A reader reports a bad file with
   PetscCheck(..., PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: line %d: ...") on rank 0;
   HGDataRunOnRoot() catches it there and raises the same message on every rank.
*/
#pragma once

#include <hypergrad/hgimpl.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <hdf5.h>

typedef struct {
  PetscInt     M, N;     /* samples, features */
  PetscBool    sparse;   /* CSR (rowptr, cols, vals) or dense row major vals (M*N) */
  PetscInt    *rowptr, *cols;
  PetscScalar *vals;
  PetscScalar *y;        /* M labels */
  size_t       capnnz, caprows; /* allocated lengths while reading */
} HGRaw;

typedef struct _HGStreamLocal HGStreamLocal;

/* What a reader holds open: closed by HGDataRunOnRoot whether the reader failed or not */
typedef struct {
  const char              *path, *labels;
  HGDataFormat             format;
  const HGDataLoadOptions *opts;
  HGRaw                   *raw;
  FILE                    *fp;
  gzFile                   gz, gzl;
  hid_t                    h5;
  char                    *line;
  size_t                   linecap;
  void                    *tmp[4];  /* work arrays of the reader, freed with the reader (also on errors) */
  /* streaming (HGDataStream): rows go to their ranks as they are read */
  MPI_Comm                 comm;
  PetscMPIInt              size, dest;
  PetscInt64               M, emitted;
  HGStreamLocal           *local;
} HGReader;

PETSC_INTERN PetscErrorCode HGDataRunOnRoot(MPI_Comm, PetscErrorCode (*)(HGReader *), HGReader *);
PETSC_INTERN void           HGReaderClose(HGReader *);
/* fn(r) with HDF5's own error printing off (h5data.c): the callers report errors with the file name */
PETSC_INTERN PetscErrorCode HGDataQuietly(PetscErrorCode (*)(HGReader *), HGReader *);
/* Text and IDX readers run through HGDataStream: they call HGReaderStart once they know the
   number of samples, append each row to r->raw and call HGReaderRowDone after it */
PETSC_INTERN PetscErrorCode HGDataStream(MPI_Comm, PetscErrorCode (*)(HGReader *), HGReader *, HGData *);
/* nnz (sparse only): for every rank p, the entries of its rows in its diagonal block of columns
   (the PETSC_DECIDE split of the N columns), nnz[2p], and outside it, nnz[2p+1] */
PETSC_INTERN PetscErrorCode HGReaderStart(HGReader *, PetscInt64 M, PetscInt N, PetscBool sparse, const PetscInt64 nnz[]);
/* The rank that owns item i of n split PETSC_DECIDE over size ranks */
PETSC_INTERN PetscMPIInt HGOwnerOf(PetscInt64 n, PetscMPIInt size, PetscInt64 i);
PETSC_INTERN PetscErrorCode HGReaderRowDone(HGReader *);
PETSC_INTERN PetscErrorCode HGRawFree(HGRaw *);
PETSC_INTERN PetscErrorCode HGRawReserve(HGRaw *, size_t rows, size_t nnz);

PETSC_INTERN PetscErrorCode HGDataRead_LIBSVM(HGReader *);
PETSC_INTERN PetscErrorCode HGDataRead_CSV(HGReader *);
PETSC_INTERN PetscErrorCode HGDataRead_IDX(HGReader *);
/* HDF5 files: every rank reads its own rows (parallel HDF5) */
PETSC_INTERN PetscErrorCode HGDataLoad_HDF5(MPI_Comm, HGReader *, HGData *);
/* Every rank passes its own error (0, or a code and message); all raise that of the lowest failing rank */
PETSC_INTERN PetscErrorCode HGDataAgree(MPI_Comm, PetscErrorCode, const char *msg);
/* HDF5 through MPI-IO (h5data.c): the file open on every rank, collective block reads */
PETSC_INTERN PetscErrorCode HGH5OpenParallel(MPI_Comm, const char path[], PetscBool mpiio, hid_t *file);
PETSC_INTERN herr_t         HGH5ReadBlock(hid_t dset, hid_t dxpl, int nd, const hsize_t start[], const hsize_t count[], hid_t memtype, void *buf);

/* One text line into r->line without the end of line (\n or \r\n); *eof when none is left */
PETSC_INTERN PetscErrorCode HGReaderGetLine(HGReader *, PetscBool *eof, size_t *len);
/* Parse a whole token as a finite real: returns 0 ok, 1 not a number, 2 NaN or Inf */
PETSC_INTERN int HGParseReal(const char *s, PetscReal *v);
