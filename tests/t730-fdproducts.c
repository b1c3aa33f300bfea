static const char help[] = "t730: first derivatives only. A built-in problem's Hessian and mixed products (or a map's Jacobian\n"
                           "products) taken by central differences (-problem_fd_products) against the problem's exact ones:\n"
                           "each product at the converged w along a random vector, and the AID hypergradient with the lower level\n"
                           "and the adjoint converged. The report must say the products are approximate.\n"
                           "Options: -problem P, -t <400>, -k <400>, -ksp_type <cg>, -tol_product <1e-6>, -tol_hypergradient <1e-5>, -verbose\n";
#include "hgtest.h"
#include <hypergrad/hgimpl.h>

typedef struct {
  Vec       h, hess, mixed;   /* hypergradient, H x and (d_lambda grad_w l)^T x (or the map's products) */
  PetscReal time;             /* seconds per hypergradient */
  PetscInt  ngrad, nmap;      /* lower gradients or map evaluations per hypergradient */
  PetscBool approx;
} Result;

static PetscErrorCode Run(PetscBool fd, const char *ksptype, PetscInt t, PetscInt k, Vec x, Result *r)
{
  HGProblem     prob;
  HG            hg;
  Vec           lambda, w;
  HGInfo        info;
  HGProblemForm form;
  PetscLogDouble t0, t1;

  PetscFunctionBegin;
  if (fd) PetscCall(PetscOptionsSetValue(NULL, "-problem_fd_products", "1"));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMQUADRATIC, &prob));
  PetscCall(PetscOptionsClearValue(NULL, "-problem_fd_products"));
  PetscCall(HGProblemGetForm(prob, &form));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERHEAVYBALL, ksptype, t, k, &hg));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(VecDuplicate(lambda, &r->h));
  PetscCall(HGTestCompute(hg, lambda, r->h)); /* first call: set-up and estimates of the bounds */
  prob->nlowergrad = prob->nmap = 0;
  PetscCall(PetscTime(&t0));
  PetscCall(HGTestCompute(hg, lambda, r->h));
  PetscCall(PetscTime(&t1));
  r->time  = t1 - t0;
  r->ngrad = prob->nlowergrad;
  r->nmap  = prob->nmap;
  PetscCall(HGGetInfo(hg, &info));
  r->approx = info.approximate_products;
  /* the products at the converged w along x (w-space) */
  PetscCall(HGGetLowerSolution(hg, &w));
  PetscCall(VecDuplicate(w, &r->hess));
  PetscCall(VecDuplicate(lambda, &r->mixed));
  if (form == HG_FORM_OPTIMIZATION) {
    PetscCall(HGProblemComputeLowerHessianMult(prob, w, lambda, x, r->hess));
    PetscCall(HGProblemComputeLowerMixedMultTranspose(prob, w, lambda, x, r->mixed));
  } else {
    PetscCall(HGProblemComputeMapJacobianTransposeMult(prob, w, lambda, x, r->hess));
    PetscCall(HGProblemComputeMapParamJacobianTransposeMult(prob, w, lambda, x, r->mixed));
  }
  PetscCall(VecDestroy(&lambda));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

static PetscErrorCode Clear(Result *r)
{
  PetscFunctionBegin;
  PetscCall(VecDestroy(&r->h));
  PetscCall(VecDestroy(&r->hess));
  PetscCall(VecDestroy(&r->mixed));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char        type[64] = HGPROBLEMQUADRATIC, ksptype[64] = KSPCG;
  PetscInt    t = 400, k = 400;
  PetscReal   tolp = 1e-6, tolh = 1e-5, eh, em, eg;
  PetscBool   verbose = PETSC_FALSE;
  Result      ex, fd;
  HGProblem   prob;
  Vec         x;
  PetscRandom rnd;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-problem", type, sizeof(type), NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-ksp_type", ksptype, sizeof(ksptype), NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-t", &t, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-k", &k, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-tol_product", &tolp, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-tol_hypergradient", &tolh, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));

  /* a random direction in the space of w (the same on any number of ranks up to rounding: seeded per entry) */
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMQUADRATIC, &prob));
  PetscCall(HGProblemCreateVecs(prob, &x, NULL));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscRandomCreate(PETSC_COMM_WORLD, &rnd));
  PetscCall(PetscRandomSetInterval(rnd, -1.0, 1.0));
  PetscCall(VecSetRandom(x, rnd));
  PetscCall(PetscRandomDestroy(&rnd));

  PetscCall(Run(PETSC_FALSE, ksptype, t, k, x, &ex));
  PetscCall(Run(PETSC_TRUE, ksptype, t, k, x, &fd));
  PetscCall(HGTestRelDiff(fd.hess, ex.hess, &eh));
  PetscCall(HGTestRelDiff(fd.mixed, ex.mixed, &em));
  PetscCall(HGTestRelDiff(fd.h, ex.h, &eg));
  if (verbose)
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "t730 %s: relative error of the differenced products: Hessian/d_w Phi^T %.2e, mixed/d_lambda Phi^T %.2e; hypergradient %.2e; per hypergradient: exact %.3e s, %" PetscInt_FMT " gradients + %" PetscInt_FMT " maps; differences %.3e s (%.1fx), %" PetscInt_FMT " gradients + %" PetscInt_FMT " maps\n", type, (double)eh, (double)em, (double)eg, ex.time, ex.ngrad, ex.nmap, fd.time, fd.time / ex.time, fd.ngrad, fd.nmap));
  HGTEST_CHECK(!ex.approx, "%s: the report says the exact products are approximate", type);
  HGTEST_CHECK(fd.approx, "%s: the report does not say that the differenced products are approximate", type);
  HGTEST_CHECK(eh <= tolp, "%s: the differenced Hessian (d_w Phi^T) product is off by %.3e relative (tolerance %g)", type, (double)eh, (double)tolp);
  HGTEST_CHECK(em <= tolp, "%s: the differenced mixed (d_lambda Phi^T) product is off by %.3e relative (tolerance %g)", type, (double)em, (double)tolp);
  HGTEST_CHECK(eg <= tolh, "%s: the hypergradient from differenced products is off by %.3e relative (tolerance %g)", type, (double)eg, (double)tolh);
  HGTEST_CHECK(fd.ngrad + fd.nmap > ex.ngrad + ex.nmap, "%s: the differenced run made no more evaluations than the exact one (%" PetscInt_FMT " against %" PetscInt_FMT "): were the differences used?", type, fd.ngrad + fd.nmap, ex.ngrad + ex.nmap);
  PetscCall(Clear(&ex));
  PetscCall(Clear(&fd));
  PetscCall(VecDestroy(&x));
  PetscCall(PetscFinalize());
  return 0;
}
