/* Private to src/multi: the data of HGPROBLEMMULTI and the moves between the whole
   communicator and the sub-communicators shared with HGMULTI */
#pragma once
#include <hypergrad/hgimpl.h>

typedef struct {
  PetscInt                 n;          /* instances */
  PetscInt                 nsub_req;   /* -multi_nsubcomm (PETSC_DEFAULT: min(size, n)) */
  PetscInt                 nsub;       /* sub-communicators used */
  PetscBool                sum;        /* c_i = 1 (true) or 1/n (default) */
  HGProblemMultiInstanceFn create;
  void                    *createctx;
  PetscSubcomm             psub;
  MPI_Comm                 subcomm;
  PetscInt                 color;      /* this rank's sub-communicator */
  PetscBool                leader;     /* rank 0 of its sub-communicator */
  PetscInt                 first, nloc; /* the instances of this sub-communicator: first .. first + nloc - 1 */
  HGProblem               *inst;       /* nloc instances */
  PetscReal               *c;          /* nloc weights c_i */
  PetscInt                *wsize;      /* n: dimension of each w_i (on every rank) */
  PetscInt                *woff;       /* n + 1: offset of w_i in the stacked w (instance order) */
  /* lambda: whole communicator <-> the sub-communicator's copy */
  Vec                      lsub;       /* lambda on the sub-communicator (layout of the first local instance) */
  Vec                      X, Y;       /* stacked copies: X holds lsub of every sub-communicator, Y nsub copies of lambda's local part */
  VecScatter               xy;         /* X -> Y */
  PetscInt                 ml;         /* lambda's local size */
  /* w: the stacked vector (instance order, blocks of each sub-communicator's ranks) <-> w_i */
  Vec                      Wsub;       /* this sub-communicator's part of a stacked vector (array placed) */
  VecScatter              *wsc;        /* nloc: Wsub -> w_i */
  Vec                     *wn;         /* nloc work vectors in the instances' w layouts */
  /* mini-batches (HGMultiSetBatch()): the instances of the last draw and their scale n/B */
  PetscBool               *active;     /* n */
  PetscReal                scale;
} HGProblem_Multi;

PETSC_INTERN PetscErrorCode HGProblemMultiLambdaToSub(HGProblem, Vec lambda, Vec lsub);
PETSC_INTERN PetscErrorCode HGProblemMultiSumToLambda(HGProblem, Vec hsub, PetscInt which, Vec h);
PETSC_INTERN PetscErrorCode HGProblemMultiStackedToInstance(HGProblem, Vec W, PetscInt j, Vec wj);
PETSC_INTERN PetscErrorCode HGProblemMultiInstanceToStacked(HGProblem, PetscInt j, Vec wj, Vec W);
PETSC_INTERN PetscErrorCode HGProblemMultiReduce(HGProblem, PetscInt nv, const PetscReal local[], const MPI_Op ops[], PetscReal out[]);
PETSC_INTERN PetscErrorCode HGProblemMultiSetActive(HGProblem, const PetscBool active[], PetscReal scale);

