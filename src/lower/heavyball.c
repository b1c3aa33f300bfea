#include <hypergrad/hgimpl.h>

PETSC_INTERN PetscErrorCode HGLowerCreate_Stationary(HGLower, PetscBool);

/*MC
   HGLOWERHEAVYBALL - Polyak's heavy ball, w_{i+1} = Phi(w_i) + beta (w_i - w_{i-1}), with the
   optimal step 4/(sqrt(L)+sqrt(mu))^2 and momentum ((sqrt(kappa)-1)/(sqrt(kappa)+1))^2 by default.
   Not a contraction in the Euclidean norm, only in a norm fixed by the problem, so its error
   may grow before it falls.  The iteration and its reverse pass live with gd (gd.c).

   Options: -lower_step alpha, -lower_momentum beta (plus those of gd)
M*/
PETSC_INTERN PetscErrorCode HGLowerCreate_HeavyBall(HGLower lower)
{
  PetscFunctionBegin;
  PetscCall(HGLowerCreate_Stationary(lower, PETSC_TRUE));
  PetscFunctionReturn(0);
}
