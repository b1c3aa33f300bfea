/*
   Instances: a bilevel problem that is a sum of n independent lower problems,

       f(lambda) = sum_i c_i E_i(w_i(lambda), lambda),   w_i(lambda) = argmin_w l_i(w, lambda)
                                                           (or a fixed point of Phi_i),

   each instance an HGProblem of any type on a sub-communicator (PetscSubcomm, contiguous
   ranks).  The problem type HGPROBLEMMULTI holds the instances, the hypergradient type HGMULTI
   an HG per instance; h = sum_i c_i h_i is reduced onto lambda's layout on the whole
   communicator.  Included by <hypergrad.h>.
*/
#pragma once

#define HGPROBLEMMULTI "multi" /* n instances on sub-communicators (src/multi/problemmulti.c) */
#define HGMULTI        "multi" /* one HG per instance, h = sum_i c_i h_i (src/multi/hgmulti.c) */

/*S
  HGProblemMultiInstanceFn - creates instance i of a problem of type HGPROBLEMMULTI

  Collective on subcomm

  Calling Sequence:
$ PetscErrorCode create(HGProblem multi, PetscInt i, MPI_Comm subcomm, HGProblem *instance, PetscReal *weight, void *ctx)

  Input Parameters:
+ multi   - the problem of type HGPROBLEMMULTI
. i       - the index of the instance, 0 <= i < n
. subcomm - the sub-communicator the instance must live on
- ctx     - the context given to HGProblemMultiSetInstanceCreate()

  Output Parameters:
+ instance - a new problem of any type on subcomm (the multi problem owns it and calls HGProblemSetUp() on it)
- weight   - c_i, preset to the default 1/n (or 1 with -multi_sum); overwrite it to change it

  Notes:
  Called on each sub-communicator for its instances in increasing i.  Every instance must have
  the hyperparameter space (global size of lambda) of the others; an instance on another
  communicator or with another lambda size is an error.

  Level: intermediate

.seealso: HGProblemMultiSetInstanceCreate(), HGPROBLEMMULTI, HGMULTI
S*/
typedef PetscErrorCode (*HGProblemMultiInstanceFn)(HGProblem multi, PetscInt i, MPI_Comm subcomm, HGProblem *instance, PetscReal *weight, void *ctx);

PETSC_EXTERN PetscErrorCode HGProblemMultiSetNumberInstances(HGProblem, PetscInt);
PETSC_EXTERN PetscErrorCode HGProblemMultiGetNumberInstances(HGProblem, PetscInt *);
PETSC_EXTERN PetscErrorCode HGProblemMultiSetNumberSubcomms(HGProblem, PetscInt);
PETSC_EXTERN PetscErrorCode HGProblemMultiSetInstanceCreate(HGProblem, HGProblemMultiInstanceFn, void *);
PETSC_EXTERN PetscErrorCode HGProblemMultiSetSum(HGProblem, PetscBool);
PETSC_EXTERN PetscErrorCode HGProblemMultiGetSubcomm(HGProblem, MPI_Comm *, PetscInt *color, PetscInt *nsub);
PETSC_EXTERN PetscErrorCode HGProblemMultiGetLocalInstances(HGProblem, PetscInt *first, PetscInt *nlocal, HGProblem **);
PETSC_EXTERN PetscErrorCode HGProblemMultiGetInstanceOffset(HGProblem, PetscInt i, PetscInt *offset, PetscInt *size);
/* the index of a problem among n instances (k-fold cross-validation: fold i of n; hyperrep: task i) */
PETSC_EXTERN PetscErrorCode HGProblemSetInstance(HGProblem, PetscInt i, PetscInt n);
PETSC_EXTERN PetscErrorCode HGProblemGetInstance(HGProblem, PetscInt *i, PetscInt *n);

PETSC_EXTERN PetscErrorCode HGMultiGetSubHG(HG, PetscInt *first, PetscInt *nlocal, HG **);
PETSC_EXTERN PetscErrorCode HGMultiSetBatch(HG, PetscInt B, PetscInt64 seed);
PETSC_EXTERN PetscErrorCode HGMultiSetBatchCounter(HG, PetscInt64);
PETSC_EXTERN PetscErrorCode HGMultiGetBatch(HG, PetscInt *B, const PetscInt **instances);
