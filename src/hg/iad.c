/*MC
   HGIAD - inexact automatic differentiation (Ehrhardt & Roberts): the reverse pass of the
   lower-level iteration with every second derivative taken at the last iterate w_t.  For gd
   it is k steps of gradient descent (Richardson) on the adjoint system started from 0, so it
   needs no stored trajectory.  -hg_k sets the number of reverse steps (default t).
M*/
#include <hypergrad/hgimpl.h>

PETSC_INTERN PetscErrorCode HGComputeReverse(HG, Vec, Vec, PetscBool);
PETSC_INTERN PetscErrorCode HGSetUp_Reverse(HG);

static PetscErrorCode HGCompute_IAD(HG hg, Vec lambda, Vec h)
{
  PetscFunctionBegin;
  PetscCall(HGComputeReverse(hg, lambda, h, PETSC_TRUE));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGCreate_IAD(HG hg)
{
  PetscFunctionBegin;
  hg->ops->setup   = HGSetUp_Reverse;
  hg->ops->compute = HGCompute_IAD;
  PetscFunctionReturn(0);
}
