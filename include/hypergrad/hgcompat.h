/* Shims for the PETSc version Debian ships (3.18): one place for all of them. */
#pragma once
#include <petscsys.h>

#if !defined(PETSC_SUCCESS)
  #define PETSC_SUCCESS 0
#endif
#if !defined(PetscAssertPointer)
  #define PetscAssertPointer(p, n) PetscValidPointer(p, n)
#endif
