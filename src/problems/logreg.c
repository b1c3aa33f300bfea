#include <hypergrad/hgimpl.h>
PETSC_INTERN PetscErrorCode HGProblemCreate_LogReg(HGProblem prob)
{
  PetscFunctionBegin;
  SETERRQ(PetscObjectComm((PetscObject)prob), PETSC_ERR_SUP, "not yet");
}
