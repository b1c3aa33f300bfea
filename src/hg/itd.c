/*MC
   HGITD - iterative differentiation (Grazzi et al., Algorithm 1): reverse mode through the
   t stored lower-level iterates of gd or heavy ball, truncated to the last k steps with -hg_k.
   Memory grows with t (t+1 lower-level vectors).

   The reverse pass itself belongs to the lower-level solver (HGLowerAdjoint()); the frozen
   variant of the same pass is HGIAD.
M*/
#include <hypergrad/hgimpl.h>

/* Shared by itd and iad: lower solve, seed with grad_w E(w_t), reverse pass, residual */
PETSC_INTERN PetscErrorCode HGComputeReverse(HG hg, Vec lambda, Vec h, PetscBool frozen)
{
  PetscLogDouble t0, t1;
  PetscInt       k;

  PetscFunctionBegin;
  PetscCall(HGRunLower(hg, lambda, frozen ? PETSC_FALSE : PETSC_TRUE));
  if (hg->info.reason < 0) {
    PetscCall(VecSet(h, 0.0));
    PetscFunctionReturn(0);
  }
  PetscCall(HGGetIterations(hg, NULL, &k));
  PetscCall(PetscTime(&t0));
  PetscCall(PetscLogEventBegin(HG_Adjoint, hg, lambda, h, 0));
  PetscCall(HGProblemComputeUpperGradient(hg->problem, hg->w, lambda, hg->rhs, h));
  PetscCall(VecCopy(hg->rhs, hg->work));
  PetscCall(HGLowerAdjoint(hg->lower, lambda, hg->w, k, frozen, hg->work, h, hg->v));
  PetscCall(PetscLogEventEnd(HG_Adjoint, hg, lambda, h, 0));
  PetscCall(PetscTime(&t1));
  hg->info.time_adjoint = t1 - t0;
  hg->info.adjoint_its  = PetscMin(k, hg->lower->its);
  PetscCall(HGAdjointResidualNorm(hg, lambda, hg->v, &hg->info.adjoint_residual));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGCompute_ITD(HG hg, Vec lambda, Vec h)
{
  PetscFunctionBegin;
  PetscCall(HGComputeReverse(hg, lambda, h, PETSC_FALSE));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGSetUp_Reverse(HG hg)
{
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(HGLowerHasAdjoint(hg->lower, &has));
  PetscCheck(has, PetscObjectComm((PetscObject)hg), PETSC_ERR_SUP, "-hg_type %s differentiates the lower-level iteration, which lower solver %s cannot do: use -lower_type gd or heavyball, or -hg_type aid", ((PetscObject)hg)->type_name, ((PetscObject)hg->lower)->type_name);
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGCreate_ITD(HG hg)
{
  PetscFunctionBegin;
  hg->ops->setup   = HGSetUp_Reverse;
  hg->ops->compute = HGCompute_ITD;
  PetscFunctionReturn(0);
}
