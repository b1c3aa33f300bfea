/*
   Shared by the classification problems (mlogreg, hyperclean, distill): multinomial
   cross-entropy on distributed data, synthetic class data from the layout-independent hash,
   and class labels from a loaded data set.  Private to src/problems.

   Layouts: the weights W in R^{p x c} are one Vec, feature-major (entry (j, k) at global index
   j*c + k), with the features split like the columns of X; logits, probabilities and
   residuals of n samples are sample-major Vecs (entry (i, k) at i*c + k) with the samples
   split like the rows of X.  Labels are class indices 0..c-1 stored as reals, rows like X.
*/
#pragma once
#include <hypergrad/hgimpl.h>

/* Z = X W and G = X^T R for the whole class block at once: sparse X through MAIJ (X kron I_c),
   dense X through one local GEMM on each rank (W gathered, X^T R reduced and scattered) */
typedef struct _n_HGClassOp *HGClassOp;
PETSC_INTERN PetscErrorCode HGClassOpCreate(Mat X, PetscInt c, HGClassOp *);
PETSC_INTERN PetscErrorCode HGClassOpDestroy(HGClassOp *);
PETSC_INTERN PetscErrorCode HGClassOpMult(HGClassOp, Vec W, Vec Z);
PETSC_INTERN PetscErrorCode HGClassOpMultTranspose(HGClassOp, Vec R, Vec G);
/* Vecs laid out for this X: W (p*c, features like the columns of X) and Z (n*c, samples like its rows) */
PETSC_INTERN PetscErrorCode HGClassOpCreateVecs(HGClassOp, Vec *W, Vec *Z);

/* Cross-entropy of this rank's samples: Z logits (sample-major), y labels, s optional sample
   weights.  Returns the local sum of s_i CE_i in loss (not reduced); fills, when given,
   P = softmax(Z) and R = s_i (P_i - e_{y_i}) (both sample-major, may alias neither Z) */
PETSC_INTERN PetscErrorCode HGSoftmaxLoss(PetscInt c, Vec Z, Vec y, Vec s, PetscReal *loss, Vec P, Vec R);
/* Q_i = s_i (diag(P_i) - P_i P_i^T) U_i, the softmax Hessian of each sample applied to U */
PETSC_INTERN PetscErrorCode HGSoftmaxHessian(PetscInt c, Vec P, Vec U, Vec s, Vec Q);
/* Number of this rank's samples whose largest logit is the label (not reduced) */
PETSC_INTERN PetscErrorCode HGSoftmaxCorrect(PetscInt c, Vec Z, Vec y, PetscInt *ncorrect);
/* Fraction of correctly classified samples of (X, y) for weights W, on the whole communicator */
PETSC_INTERN PetscErrorCode HGClassAccuracy(HGClassOp, Vec W, Vec Z, Vec y, PetscReal *acc);

/* Same operations on one rank's small dense block, column-major c x m (sample i in column i) */
PETSC_INTERN void HGSoftmaxRow(PetscInt c, const PetscScalar *z, PetscInt stride, PetscInt label, PetscReal *loss, PetscScalar *p);

/* Synthetic classification data (seeded, identical on any number of ranks): n x p, N(0,1)
   entries, dense (MPIDENSE) or nnz distinct columns per row (MPIAIJ); labels from a linear
   teacher T in R^{p x c} shared by all sets of one seed: y_i = argmax_k x_i^T T_k / sqrt(nnz)
   + noise eps_ik.  stream distinguishes the sets (train, validation, test) */
typedef struct {
  PetscInt   p, c, nnz; /* nnz <= 0: dense */
  PetscReal  noise;
  PetscInt64 seed;
} HGClassSynth;
PETSC_INTERN PetscErrorCode HGClassDataCreate(MPI_Comm, const HGClassSynth *, PetscInt n, PetscInt64 stream, Mat *X, Vec *y);

/* Class labels of loaded data sets: the classes are the distinct labels of ref; every set's
   labels are replaced by their class index (an unknown label in another set is an error
   naming that set).  c returns the number of classes */
PETSC_INTERN PetscErrorCode HGClassLabelsFromData(HGData *ref, PetscInt nsets, HGData *sets[], const char *const names[], PetscInt *c);

/* HGMatNormSquaredBound() (an upper bound of ||X||_2^2 with probability >= 0.999, see classify.c)
   that also gives rowmax2 = max_i ||x_i||_2^2, the largest squared row norm (exact), computed in
   the first Lanczos pass with ||X||_F^2 (no pass of its own), and the steps taken (or NULL) */
PETSC_INTERN PetscErrorCode HGMatNormSquaredEstimateRows(Mat X, PetscInt64 seed, PetscReal *nrm2, PetscReal *rowmax2, PetscInt *steps);

/* Row dot products of a sequential CSR block (ia, ja, aa as from MatGetRowIJ, MatSeqAIJGetArrayRead):
   t1[i - i0] = a_i^T x1 for i0 <= i < i1 and, with x2 (not NULL), t2[i - i0] = a_i^T x2 in the same
   loop (each row read once).  simd (HGCSRDotRowsSIMD()) selects the AVX-512 gather kernel, whose
   sums differ from the plain loop's by rounding only (order of the additions). */
PETSC_INTERN void           HGCSRDotRows(PetscBool simd, PetscInt i0, PetscInt i1, const PetscInt ia[], const PetscInt ja[], const PetscScalar aa[], const PetscScalar x1[], const PetscScalar x2[], PetscScalar t1[], PetscScalar t2[]);
/* The local rows of an AIJ matrix (SEQAIJ, or MPIAIJ: its diagonal block and its off-diagonal
   one, whose columns are the ghosts), for the fused one-pass kernels of logreg and of
   HGMatNormSquaredBound(): HGCSRRowsDot() takes the products of at most HG_CSR_BLOCK_ROWS rows
   with x1 (and x2; xg1, xg2 their ghost entries), HGCSRRowsAdd() adds sum_i c_i x_i to w (ghost
   part to wg).  ghosts is false when the off-diagonal block has no entries (one rank). */
#define HG_CSR_BLOCK_ROWS 4 /* rows whose dot products are taken before their updates: their entries are still in L1 (64 rows, 38 KiB at 50 per row, made the X^T X v pass 15% slower: 0.120 against 0.105 s) */
typedef struct {
  Mat                Ad, Ao;
  PetscInt           m;
  const PetscInt    *ia, *ja, *io, *jo;
  const PetscScalar *aa, *ao;
  PetscBool          ghosts, simd;
} HGCSRRows;
PETSC_INTERN PetscErrorCode HGCSRRowsGet(Mat X, PetscBool simd, HGCSRRows *r);
PETSC_INTERN PetscErrorCode HGCSRRowsRestore(HGCSRRows *r);
PETSC_INTERN void           HGCSRRowsDot(const HGCSRRows *r, PetscInt i0, PetscInt i1, const PetscScalar x1[], const PetscScalar xg1[], const PetscScalar x2[], const PetscScalar xg2[], PetscScalar t1[], PetscScalar t2[]);
PETSC_INTERN void           HGCSRRowsAdd(const HGCSRRows *r, PetscInt i0, PetscInt i1, const PetscScalar c[], PetscScalar w[], PetscScalar wg[]);
/* Whether HGCSRDotRows() may use its AVX-512 kernel: built in (x86-64, real double scalars, 32-bit
   indices, GCC or Clang), the CPU has AVX-512F, and the option -hg_csr_simd (default true) is on */
PETSC_INTERN PetscErrorCode HGCSRDotRowsSIMD(PetscBool *simd);

/* Cache key of a Vec: id, address and state (as in logreg) */
typedef struct {
  PetscObjectId    id;
  const void      *ptr;
  PetscObjectState state;
  PetscBool        valid;
} HGVecKey;
PETSC_INTERN PetscErrorCode HGVecKeySet(HGVecKey *, Vec);
PETSC_INTERN PetscErrorCode HGVecKeyMatch(HGVecKey *, Vec, PetscBool *);
