static const char help[] = "hgconvert: converts a data set (LIBSVM, CSV, IDX or HDF5) into the HDF5 layout of hypergrad,\n"
                           "which every rank then reads in parallel (its own rows).\n\n"
                           "  ./hgconvert -in a9a -out a9a.h5\n"
                           "  mpiexec -n 4 ./hgconvert -in train-images-idx3-ubyte.gz -out mnist.h5\n"
                           "  ./hgconvert -in parkinsons.data -data_format csv -data_csv_skip_columns name -out parkinsons.h5\n\n"
                           "Options:\n"
                           "  -in <F>                  the data file (format from the name, or -data_format)\n"
                           "  -in_labels <F>           IDX: the labels file (default: the *-labels-idx1-ubyte file beside -in)\n"
                           "  -out <F.h5>              the HDF5 file: dense /X (samples x features) or the CSR group /X (data,\n"
                           "                           indices, indptr, attribute shape) for sparse input, and /y; written to\n"
                           "                           F.h5.tmp and renamed, so an existing F.h5 is replaced only by a whole file;\n"
                           "                           rank 0 lays the file out, then every rank writes its own rows with its own\n"
                           "                           POSIX writes (no MPI-IO: a write failing on one rank fails on every rank)\n"
                           "  -data_write_piece_bytes <n> bytes per write (default 32 MiB; tests use small pieces)\n"
                           "  -data_format, -data_max_samples, -data_nfeatures, -data_csv_*: as for the problems' -data options\n";
#include <hypergrad.h>
#include <stdio.h>

int main(int argc, char **argv)
{
  char              in[PETSC_MAX_PATH_LEN] = "", labels[PETSC_MAX_PATH_LEN] = "", out[PETSC_MAX_PATH_LEN] = "";
  HGDataFormat      format;
  HGDataLoadOptions opts;
  HGData            d;
  MPI_Comm          comm;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscOptionsBegin(comm, NULL, "hgconvert: data set to HDF5", "hgconvert");
  PetscCall(PetscOptionsString("-in", "Input data file", "hgconvert", in, in, sizeof(in), NULL));
  PetscCall(PetscOptionsString("-in_labels", "IDX labels file", "hgconvert", labels, labels, sizeof(labels), NULL));
  PetscCall(PetscOptionsString("-out", "Output HDF5 file", "hgconvert", out, out, sizeof(out), NULL));
  PetscOptionsEnd();
  PetscCall(HGDataLoadOptionsSetFromOptions(comm, NULL, &format, &opts)); /* -data_format, -data_max_samples, -data_nfeatures, -data_csv_* */
  PetscCheck(in[0], comm, PETSC_ERR_ARG_WRONG, "give the input data file with -in FILE");
  PetscCheck(out[0], comm, PETSC_ERR_ARG_WRONG, "give the output HDF5 file with -out FILE.h5");
  PetscCheck(strcmp(in, out), comm, PETSC_ERR_ARG_INCOMP, "-in and -out name the same file %s: write to another file", in);
  PetscCall(HGDataLoadWithOptions(comm, in, labels[0] ? labels : NULL, format, &opts, &d));
  PetscCall(HGDataWriteHDF5(&d, out));
  PetscCall(PetscPrintf(comm, "%s: %" PetscInt_FMT " samples x %" PetscInt_FMT " features (%s) written to %s\n", in, d.nsamples, d.nfeatures, d.nclasses ? "class labels" : "real targets", out));
  PetscCall(HGDataDestroy(&d));
  PetscCall(PetscFinalize());
  return 0;
}
