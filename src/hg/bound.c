/*
   Error bounds on a hypergradient h ~ grad f(lambda), in the unified view of the library:

     A(w) v = grad_w E(w, lambda),   grad f = grad_lambda E(w*, lambda) + B(w*) v*,

   A = Hessian of l and B v = -(d_lambda grad_w l)^T v (optimization form), or A = I - d_w Phi^T and
   B v = d_lambda Phi^T v (fixed-point form).  Constants (global in w, at the given lambda):

     mu_A    ||A(w)^{-1}|| <= 1/mu_A: mu_A = mu (strong convexity of l) or 1 - q (contraction of Phi)
     eta_w   grad_w E(., lambda) is eta_w-Lipschitz          eta_l   same for grad_lambda E
     L_A     A(.) is L_A-Lipschitz (Hessian / d_w Phi)       L_B     same for B(.)
     B       ||B(w_t)|| (the problem may give a bound over all w)

   A posteriori (Ehrhardt & Roberts' bound of the form C (R + G + G^2); derived here with explicit,
   computable constants).  With G the lower residual at w_t, R = ||A(w_t) v - grad_w E(w_t)|| the
   adjoint residual of the method's adjoint v, and g = grad_w E(w_t):

     e  = G / mu_A                                    >= ||w_t - w*||
     V  = min( (||g|| + eta_w e)/mu_A,                >= ||v*||
               ||v|| + (R + e (eta_w + L_A ||v||)) / (mu_A - L_A e)   [when mu_A > L_A e] )
     dv = (R + e (eta_w + L_A V)) / mu_A              >= ||v - v*||
     ||h - grad f|| <= D + eta_l e + B dv + L_B e V

   because v - v* = A_t^{-1} r + A_t^{-1} ((g - g*) + (A* - A_t) v*) and
   h_v - grad f = (grad_l E(w_t) - grad_l E(w*)) + B_t (v - v*) + (B_t - B*) v*, with h_v =
   grad_lambda E(w_t) + B_t v.  D = ||h - h_v|| is 0 for aid and iad and is computed for itd,
   whose Jacobians are taken along the trajectory.

   A priori (Grazzi et al. 2020) with the contraction q of gd, e_0 = G_0/mu_A (G_0 the residual
   at the initial iterate), e_t = q^t e_0 and LE = ||g|| + 2 eta_w e_0 >= sup ||grad_w E|| on the
   iterates: Theorem 2.1 (itd with k = t), Theorem 2.4 (AID-FP with the lower step, and iad), and
   Theorem 2.2 with the rate of the adjoint solver (AID-CG: 2 sqrt(kappa) ((sqrt(kappa)-1)/
   (sqrt(kappa)+1))^k; AID-FP with another step: its contraction).  Heavy ball, tao, a
   truncated itd (k < t), a preconditioned or non-Richardson/CG adjoint have none.

   Constants the problem does not give (HGProblemSetBoundConstants(), HGProblemSetLowerConstants(),
   HGProblemSetMapContraction()) are estimated at (w_t, lambda): mu, L by Lanczos on A (and the
   adjoint CG's own estimates), B by Lanczos on B B^T with B^T by central differences in lambda,
   eta_w and eta_l by Lanczos on central differences of the upper gradient, L_A and L_B by
   central differences along the lower residual and the adjoint.  Estimates are local and the
   bound built from them is an estimate; HGInfo.bound_estimated says which were estimated.
*/
#include <hypergrad/hgimpl.h>

typedef struct {
  PetscReal muA, L, etaw, etal, LA, LB, B;
  PetscInt  estimated; /* HGBoundConstant bits */
  PetscBool valid, available;
} BoundConstants;

typedef struct {
  Vec            w1, w2, w3, w4, wq[3];   /* w space */
  Vec            l1, l2, l3, l4, lq[3];   /* lambda space */
  BoundConstants c;                       /* the last estimates: the bits of c.estimated hold values estimated at lambda_est */
  Vec            lambda_est;              /* where they were made (-hg_bound_reuse_estimates reuses them at this lambda only) */
} HGBound;

/*@
  HGProblemSetBoundConstants - constants of the error bounds of the hypergradient (HGInfo
  bound_aposteriori and bound_apriori); pass a negative value for one that is unknown: it is
  then estimated at each hypergradient and the report says so

  Logically Collective

  Input Parameters:
+ prob - the problem
. etaw - Lipschitz constant of grad_w E(., lambda) in w
. etal - Lipschitz constant of grad_lambda E(., lambda) in w
. LA   - Lipschitz constant in w of the Hessian of l (optimization form) or of d_w Phi (fixed-point form), spectral norm
. LB   - Lipschitz constant in w of d_lambda grad_w l (or d_lambda Phi)
- B    - a bound on ||d_lambda grad_w l(w, lambda)|| (or ||d_lambda Phi||) over w

  Notes:
  Together with mu (HGProblemSetLowerConstants()) or the contraction q
  (HGProblemSetMapContraction()) they make the a-posteriori bound rigorous.  A problem quadratic
  in w has LA = LB = 0; an upper objective whose lambda-gradient does not depend on w has etal = 0.

  Level: intermediate

.seealso: HGProblemGetBoundConstants(), HGSetComputeBounds(), HGInfoView()
@*/
PetscErrorCode HGProblemSetBoundConstants(HGProblem prob, PetscReal etaw, PetscReal etal, PetscReal LA, PetscReal LB, PetscReal B)
{
  const PetscReal v[5]    = {etaw, etal, LA, LB, B};
  const PetscInt  bits[5] = {HG_BOUND_ETAW, HG_BOUND_ETAL, HG_BOUND_LA, HG_BOUND_LB, HG_BOUND_B};

  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  for (int i = 0; i < 5; i++) PetscCheck(!PetscIsInfOrNanReal(v[i]), PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "Bound constants must be finite (negative for unknown); got etaw=%g etal=%g LA=%g LB=%g B=%g", (double)etaw, (double)etal, (double)LA, (double)LB, (double)B);
  prob->bc_etaw = etaw, prob->bc_etal = etal, prob->bc_LA = LA, prob->bc_LB = LB, prob->bc_B = B;
  prob->bc_set  = 0;
  for (int i = 0; i < 5; i++)
    if (v[i] >= 0) prob->bc_set |= bits[i];
  PetscFunctionReturn(0);
}

/*@
  HGProblemGetBoundConstants - the constants given with HGProblemSetBoundConstants(); -1 for
  those not given

  Not Collective

  Input Parameter:
. prob - the problem

  Output Parameter:
. etaw, etal, LA, LB, B - the constants (each may be NULL)

  Level: intermediate

.seealso: HGProblemSetBoundConstants()
@*/
PetscErrorCode HGProblemGetBoundConstants(HGProblem prob, PetscReal *etaw, PetscReal *etal, PetscReal *LA, PetscReal *LB, PetscReal *B)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  if (etaw) *etaw = (prob->bc_set & HG_BOUND_ETAW) ? prob->bc_etaw : -1;
  if (etal) *etal = (prob->bc_set & HG_BOUND_ETAL) ? prob->bc_etal : -1;
  if (LA) *LA = (prob->bc_set & HG_BOUND_LA) ? prob->bc_LA : -1;
  if (LB) *LB = (prob->bc_set & HG_BOUND_LB) ? prob->bc_LB : -1;
  if (B) *B = (prob->bc_set & HG_BOUND_B) ? prob->bc_B : -1;
  PetscFunctionReturn(0);
}

/*@C
  HGProblemSetBoundConstantsFunction - a function that gives the constants of the error bounds
  at the current lower iterate w_t and lambda; it is called at every hypergradient, so that
  constants that change with lambda (a regularization exp(lambda) in B and L_B, for example)
  are never taken from another lambda

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn   - the function, fn(prob, w, lambda, &etaw, &etal, &LA, &LB, &B, ctx) with ctx the context of
         HGProblemSetContext(); it sets each constant as in HGProblemSetBoundConstants()
         (negative: unknown, then estimated) and must give the same values on every rank

  Notes:
  A value the function gives replaces the fixed one of HGProblemSetBoundConstants(). B may be
  ||d_lambda grad_w l(w, lambda)|| at the given w (the bound needs it at w_t only); etaw, etal,
  LA and LB must hold for every w at that lambda.  With every constant given, here and by
  HGProblemSetLowerConstants() or HGProblemSetLowerConstantsFunction() (or
  HGProblemSetMapContraction()), the a-posteriori bound is rigorous and HGInfo.bound_estimated
  is 0 at every lambda.  Pass NULL to remove the function.

  Level: intermediate

.seealso: HGProblemSetBoundConstants(), HGProblemSetLowerConstantsFunction(), HGSetComputeBounds(), HGInfoView()
@*/
PetscErrorCode HGProblemSetBoundConstantsFunction(HGProblem prob, HGProblemBoundConstantsFn fn)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  prob->boundconstants = fn;
  PetscFunctionReturn(0);
}

/* ---- estimates ---- */
typedef PetscErrorCode (*BoundOp)(HG, Vec lambda, Vec x, Vec y);

/* Lanczos (no reorthogonalization: the extreme Ritz values are what is wanted) on the symmetric
   operator op, from a layout-independent start vector; q holds three vectors of its space */
static PetscErrorCode Lanczos(HG hg, BoundOp op, Vec lambda, Vec q[3], PetscInt its, PetscInt64 stream, PetscReal *emin, PetscReal *emax)
{
  PetscInt     N, m = 0;
  PetscReal   *al, *be, nrm;
  PetscScalar *T;
  Vec          qc = q[0], qp = q[1], z = q[2], swap;

  PetscFunctionBegin;
  PetscCall(VecGetSize(qc, &N));
  its = PetscMax(1, PetscMin(its, N));
  PetscCall(PetscMalloc2(its, &al, its, &be));
  PetscCall(HGVecSetHashNormal(qc, 1234567, stream));
  PetscCall(VecNormalize(qc, NULL));
  PetscCall(VecSet(qp, 0.0));
  for (m = 0; m < its;) {
    PetscScalar a;
    PetscCall(op(hg, lambda, qc, z));
    PetscCall(VecDot(z, qc, &a));
    al[m] = PetscRealPart(a);
    PetscCall(VecAXPBYPCZ(z, -al[m], m > 0 ? -be[m - 1] : 0.0, 1.0, qc, qp));
    PetscCall(VecNorm(z, NORM_2, &nrm));
    be[m] = nrm;
    m++;
    if (PetscIsInfOrNanReal(nrm) || nrm <= 1e-10 * PetscMax(PetscAbsReal(al[m - 1]), PETSC_SMALL)) break;
    PetscCall(VecScale(z, 1.0 / nrm));
    swap = qp, qp = qc, qc = z, z = swap;
  }
  PetscCall(PetscCalloc1(m * m, &T));
  for (PetscInt i = 0; i < m; i++) {
    T[i * m + i] = al[i];
    if (i + 1 < m) T[i * m + i + 1] = T[(i + 1) * m + i] = be[i];
  }
  PetscCall(HGDenseSymEigRange(m, T, emin, emax));
  PetscCall(PetscFree(T));
  PetscCall(PetscFree2(al, be));
  PetscFunctionReturn(0);
}

/* central-difference step along a unit direction from a point of norm nx */
static PetscReal FDStep(HG hg, PetscReal nx)
{
  return hg->bound_h * (1.0 + nx);
}

static PetscErrorCode OpA(HG hg, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCall(HGProblemAdjointMult(hg->problem, hg->w, lambda, x, y));
  PetscFunctionReturn(0);
}

/* fixed-point form: J^T (symmetric J) or J J^T */
static PetscErrorCode OpJT(HG hg, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCall(HGProblemComputeMapJacobianTransposeMult(hg->problem, hg->w, lambda, x, y));
  PetscFunctionReturn(0);
}

static PetscErrorCode OpJJT(HG hg, Vec lambda, Vec x, Vec y)
{
  HGBound *b = (HGBound *)hg->bounddata;

  PetscFunctionBegin;
  PetscCall(HGProblemComputeMapJacobianTransposeMult(hg->problem, hg->w, lambda, x, b->w1));
  PetscCall(HGProblemComputeMapJacobianMult(hg->problem, hg->w, lambda, b->w1, y));
  PetscFunctionReturn(0);
}

/* the lower map's lambda-derivative along x (unit): grad_w l or Phi at lambda +- eps x */
static PetscErrorCode LowerDLambda(HG hg, Vec lambda, Vec x, Vec y)
{
  HGBound  *b    = (HGBound *)hg->bounddata;
  HGProblem prob = hg->problem;
  PetscReal nl, eps;

  PetscFunctionBegin;
  PetscCall(VecNorm(lambda, NORM_2, &nl));
  eps = FDStep(hg, nl);
  PetscCall(VecWAXPY(b->l1, eps, x, lambda));
  PetscCall(VecWAXPY(b->l2, -eps, x, lambda));
  if (prob->form == HG_FORM_OPTIMIZATION) {
    PetscCall(HGProblemComputeLowerGradient(prob, hg->w, b->l1, y));
    PetscCall(HGProblemComputeLowerGradient(prob, hg->w, b->l2, b->w1));
  } else {
    PetscCall(HGProblemComputeMap(prob, hg->w, b->l1, y));
    PetscCall(HGProblemComputeMap(prob, hg->w, b->l2, b->w1));
  }
  PetscCall(VecAXPBY(y, -0.5 / eps, 0.5 / eps, b->w1));
  PetscFunctionReturn(0);
}

/* B at w applied to x (w space) into y (lambda space), sign dropped */
static PetscErrorCode ApplyB(HG hg, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  if (hg->problem->form == HG_FORM_OPTIMIZATION) PetscCall(HGProblemComputeLowerMixedMultTranspose(hg->problem, w, lambda, x, y));
  else PetscCall(HGProblemComputeMapParamJacobianTransposeMult(hg->problem, w, lambda, x, y));
  PetscFunctionReturn(0);
}

static PetscErrorCode OpBBt(HG hg, Vec lambda, Vec x, Vec y)
{
  HGBound *b = (HGBound *)hg->bounddata;

  PetscFunctionBegin;
  PetscCall(LowerDLambda(hg, lambda, x, b->w2));
  PetscCall(ApplyB(hg, hg->w, lambda, b->w2, y));
  PetscFunctionReturn(0);
}

/* d/dw grad_w E along x (unit) */
static PetscErrorCode OpEww(HG hg, Vec lambda, Vec x, Vec y)
{
  HGBound  *b = (HGBound *)hg->bounddata;
  PetscReal nw, eps;

  PetscFunctionBegin;
  PetscCall(VecNorm(hg->w, NORM_2, &nw));
  eps = FDStep(hg, nw);
  PetscCall(VecWAXPY(b->w1, eps, x, hg->w));
  PetscCall(HGProblemComputeUpperGradient(hg->problem, b->w1, lambda, y, b->l1));
  PetscCall(VecWAXPY(b->w1, -eps, x, hg->w));
  PetscCall(HGProblemComputeUpperGradient(hg->problem, b->w1, lambda, b->w2, b->l1));
  PetscCall(VecAXPBY(y, -0.5 / eps, 0.5 / eps, b->w2));
  PetscFunctionReturn(0);
}

/* M M^T x with M = d_w grad_lambda E: M^T x = d_lambda grad_w E along x, then M by differences in w */
static PetscErrorCode OpEll(HG hg, Vec lambda, Vec x, Vec y)
{
  HGBound  *b = (HGBound *)hg->bounddata;
  PetscReal nl, nw, nu, eps;

  PetscFunctionBegin;
  PetscCall(VecNorm(lambda, NORM_2, &nl));
  eps = FDStep(hg, nl);
  PetscCall(VecWAXPY(b->l1, eps, x, lambda));
  PetscCall(HGProblemComputeUpperGradient(hg->problem, hg->w, b->l1, b->w2, b->l2));
  PetscCall(VecWAXPY(b->l1, -eps, x, lambda));
  PetscCall(HGProblemComputeUpperGradient(hg->problem, hg->w, b->l1, b->w3, b->l2));
  PetscCall(VecAXPBY(b->w2, -0.5 / eps, 0.5 / eps, b->w3)); /* u = M^T x */
  PetscCall(VecNorm(b->w2, NORM_2, &nu));
  if (nu == 0) {
    PetscCall(VecSet(y, 0.0));
    PetscFunctionReturn(0);
  }
  PetscCall(VecNorm(hg->w, NORM_2, &nw));
  eps = FDStep(hg, nw);
  PetscCall(VecWAXPY(b->w1, eps / nu, b->w2, hg->w));
  PetscCall(HGProblemComputeUpperGradient(hg->problem, b->w1, lambda, b->w3, y));
  PetscCall(VecWAXPY(b->w1, -eps / nu, b->w2, hg->w));
  PetscCall(HGProblemComputeUpperGradient(hg->problem, b->w1, lambda, b->w3, b->l2));
  PetscCall(VecAXPBY(y, -0.5 * nu / eps, 0.5 * nu / eps, b->l2));
  PetscFunctionReturn(0);
}

/* ||(X(w + eps d) - X(w - eps d)) u|| / (2 eps) for X = A and X = B, d and u unit */
static PetscErrorCode DirectionalLipschitz(HG hg, Vec lambda, Vec d, Vec u, PetscReal *la, PetscReal *lb)
{
  HGBound  *b = (HGBound *)hg->bounddata;
  PetscReal nw, eps;

  PetscFunctionBegin;
  PetscCall(VecNorm(hg->w, NORM_2, &nw));
  eps = FDStep(hg, nw);
  PetscCall(VecWAXPY(b->w1, eps, d, hg->w));
  PetscCall(HGProblemAdjointMult(hg->problem, b->w1, lambda, u, b->w2));
  PetscCall(ApplyB(hg, b->w1, lambda, u, b->l1));
  PetscCall(VecWAXPY(b->w1, -eps, d, hg->w));
  PetscCall(HGProblemAdjointMult(hg->problem, b->w1, lambda, u, b->w3));
  PetscCall(ApplyB(hg, b->w1, lambda, u, b->l2));
  PetscCall(VecAXPY(b->w2, -1.0, b->w3));
  PetscCall(VecAXPY(b->l1, -1.0, b->l2));
  PetscCall(VecNorm(b->w2, NORM_2, la));
  PetscCall(VecNorm(b->l1, NORM_2, lb));
  *la /= 2 * eps;
  *lb /= 2 * eps;
  PetscFunctionReturn(0);
}

/* Estimates at (w_t, lambda) of the constants whose bits are in need, into c (the others untouched) */
static PetscErrorCode EstimateConstants(HG hg, Vec lambda, PetscInt need, BoundConstants *c)
{
  HGBound  *b    = (HGBound *)hg->bounddata;
  HGProblem prob = hg->problem;
  PetscInt  its  = hg->bound_its;
  PetscReal emin, emax;
  PetscBool opt = prob->form == HG_FORM_OPTIMIZATION ? PETSC_TRUE : PETSC_FALSE;

  PetscFunctionBegin;
  if (!b->w2) {
    PetscCall(VecDuplicate(prob->wtemplate, &b->w2));
    PetscCall(VecDuplicate(prob->wtemplate, &b->w3));
    PetscCall(VecDuplicate(prob->wtemplate, &b->w4));
    for (int i = 0; i < 3; i++) PetscCall(VecDuplicate(prob->wtemplate, &b->wq[i]));
    for (int i = 0; i < 3; i++) PetscCall(VecDuplicate(prob->ltemplate, &b->lq[i]));
    PetscCall(VecDuplicate(prob->ltemplate, &b->l1));
    PetscCall(VecDuplicate(prob->ltemplate, &b->l2));
  }
  /* mu_A and L */
  if (need & (HG_BOUND_MU | HG_BOUND_L)) {
    if (opt) {
      PetscBool sings = PETSC_FALSE;
      PetscCall(Lanczos(hg, OpA, lambda, b->wq, its, 1, &emin, &emax));
      if (hg->ksp && hg->info.adjoint_its > 0) {
        PetscBool iscg;
        PetscCall(PetscObjectTypeCompare((PetscObject)hg->ksp, KSPCG, &iscg));
        if (iscg) PetscCall(KSPGetComputeSingularValues(hg->ksp, &sings));
        if (sings) {
          PetscReal smax, smin;
          PetscCall(KSPComputeExtremeSingularValues(hg->ksp, &smax, &smin));
          emin = PetscMin(emin, smin), emax = PetscMax(emax, smax);
        }
      }
      if (need & HG_BOUND_MU) c->muA = emin;
      if (need & HG_BOUND_L) c->L = emax;
    } else {
      PetscReal q = -1;
      if (prob->symmetric) {
        PetscCall(Lanczos(hg, OpJT, lambda, b->wq, its, 1, &emin, &emax));
        q = PetscMax(PetscAbsReal(emin), PetscAbsReal(emax));
      } else if (prob->mapjacmult) {
        PetscCall(Lanczos(hg, OpJJT, lambda, b->wq, its, 1, &emin, &emax));
        q = PetscSqrtReal(PetscMax(emax, 0));
      }
      c->muA = q < 0 ? -1 : 1 - q; /* no contraction estimable: no bound */
      c->L   = q < 0 ? -1 : 1 + q;
    }
  }
  if (need & HG_BOUND_B) {
    PetscCall(Lanczos(hg, OpBBt, lambda, b->lq, its, 2, &emin, &emax));
    c->B = PetscSqrtReal(PetscMax(emax, 0));
  }
  if (need & HG_BOUND_ETAW) {
    PetscCall(Lanczos(hg, OpEww, lambda, b->wq, its, 3, &emin, &emax));
    c->etaw = PetscMax(PetscAbsReal(emin), PetscAbsReal(emax));
  }
  if (need & HG_BOUND_ETAL) {
    PetscCall(Lanczos(hg, OpEll, lambda, b->lq, its, 4, &emin, &emax));
    c->etal = PetscSqrtReal(PetscMax(emax, 0));
  }
  /* L_A, L_B: along the lower residual direction (the error of w_t, to first order) and the adjoint */
  if (need & (HG_BOUND_LA | HG_BOUND_LB)) {
    PetscReal nd, nu, la = 0, lb = 0, a1, b1;
    Vec       d = b->w4, u = b->wq[0], dirs[2][2];

    PetscCall(HGProblemLowerResidualNorm(prob, hg->w, lambda, d, &nd));
    PetscCall(VecCopy(hg->v, u));
    PetscCall(VecNorm(u, NORM_2, &nu));
    if (nu == 0) {
      PetscCall(VecCopy(hg->rhs, u));
      PetscCall(VecNorm(u, NORM_2, &nu));
    }
    if (nd > 0) PetscCall(VecScale(d, 1.0 / nd));
    if (nu > 0) PetscCall(VecScale(u, 1.0 / nu));
    dirs[0][0] = d, dirs[0][1] = u, dirs[1][0] = u, dirs[1][1] = u;
    for (int p = 0; p < 2; p++) {
      if ((p == 0 && !(nd > 0 && nu > 0)) || (p == 1 && !(nu > 0))) continue;
      PetscCall(DirectionalLipschitz(hg, lambda, dirs[p][0], dirs[p][1], &a1, &b1));
      la = PetscMax(la, a1), lb = PetscMax(lb, b1);
    }
    if (nd > 0) {
      PetscCall(DirectionalLipschitz(hg, lambda, d, d, &a1, &b1));
      la = PetscMax(la, a1), lb = PetscMax(lb, b1);
    }
    if (need & HG_BOUND_LA) c->LA = la;
    if (need & HG_BOUND_LB) c->LB = lb;
  }
  PetscFunctionReturn(0);
}

/* The constants at (w_t, lambda).  Those the problem gives (fixed, or per lambda by its functions)
   are taken at every call; the others are estimated at (w_t, lambda).  Estimates are reused
   (-hg_bound_reuse_estimates) only at the lambda where they were made, bitwise: a moved lambda is
   always estimated anew, so no constant of another lambda ever enters a bound, and a resumed run
   recomputes them exactly as the uninterrupted one did */
static PetscErrorCode BoundConstantsGet(HG hg, Vec lambda, BoundConstants *c)
{
  HGBound  *b    = (HGBound *)hg->bounddata;
  HGProblem prob = hg->problem;
  PetscBool opt  = prob->form == HG_FORM_OPTIMIZATION ? PETSC_TRUE : PETSC_FALSE, same = PETSC_FALSE;
  PetscInt  given = prob->bc_set, need;
  PetscReal v[5] = {prob->bc_etaw, prob->bc_etal, prob->bc_LA, prob->bc_LB, prob->bc_B};
  const PetscInt bits[5] = {HG_BOUND_ETAW, HG_BOUND_ETAL, HG_BOUND_LA, HG_BOUND_LB, HG_BOUND_B};

  PetscFunctionBegin;
  PetscCall(PetscMemzero(c, sizeof(*c)));
  c->available = PETSC_TRUE;
  if (prob->boundconstants) {
    PetscReal f[5];
    PetscCall((*prob->boundconstants)(prob, hg->w, lambda, &f[0], &f[1], &f[2], &f[3], &f[4], prob->ctx));
    for (int i = 0; i < 5; i++) {
      PetscCheck(!PetscIsInfOrNanReal(f[i]), PetscObjectComm((PetscObject)hg), PETSC_ERR_USER_INPUT, "The problem's bound constants function (HGProblemSetBoundConstantsFunction()) gave a non-finite value at this lambda: etaw=%g etal=%g LA=%g LB=%g B=%g; give a finite value, or a negative one for a constant to be estimated", (double)f[0], (double)f[1], (double)f[2], (double)f[3], (double)f[4]);
      if (f[i] >= 0) v[i] = f[i], given |= bits[i];
    }
  }
  c->etaw = v[0], c->etal = v[1], c->LA = v[2], c->LB = v[3], c->B = v[4];
  if (opt) {
    c->muA = prob->mu, c->L = prob->L;
    if (prob->mu > 0) given |= HG_BOUND_MU;
    if (prob->L > 0) given |= HG_BOUND_L;
  } else if (prob->q > 0) {
    c->muA = 1 - prob->q, c->L = 1 + prob->q;
    given |= HG_BOUND_MU | HG_BOUND_L;
  }
  need = (HG_BOUND_MU | HG_BOUND_L | HG_BOUND_ETAW | HG_BOUND_ETAL | HG_BOUND_LA | HG_BOUND_LB | HG_BOUND_B) & ~given;
  if (need) {
    if (hg->bound_reuse && b->c.valid && (b->c.estimated & need) == need) PetscCall(VecEqual(lambda, b->lambda_est, &same));
    if (!same) {
      PetscCall(EstimateConstants(hg, lambda, need, &b->c));
      b->c.estimated = need;
      b->c.valid     = PETSC_TRUE;
      if (!b->lambda_est) PetscCall(VecDuplicate(prob->ltemplate, &b->lambda_est));
      PetscCall(VecCopy(lambda, b->lambda_est));
    } else PetscCall(PetscInfo(hg, "bound constants: reusing the estimates made at this lambda\n"));
    if (need & HG_BOUND_MU) c->muA = b->c.muA;
    if (need & HG_BOUND_L) c->L = b->c.L;
    if (need & HG_BOUND_ETAW) c->etaw = b->c.etaw;
    if (need & HG_BOUND_ETAL) c->etal = b->c.etal;
    if (need & HG_BOUND_LA) c->LA = b->c.LA;
    if (need & HG_BOUND_LB) c->LB = b->c.LB;
    if (need & HG_BOUND_B) c->B = b->c.B;
    c->estimated = need;
  }
  if (!opt && !(c->muA > 0 && c->muA <= 1)) c->available = PETSC_FALSE; /* no contraction known or estimable: no bound */
  if (!(c->muA > 0)) c->available = PETSC_FALSE;
  if (PetscIsInfOrNanReal(c->B) || PetscIsInfOrNanReal(c->etaw) || PetscIsInfOrNanReal(c->etal) || PetscIsInfOrNanReal(c->LA) || PetscIsInfOrNanReal(c->LB) || PetscIsInfOrNanReal(c->muA)) c->available = PETSC_FALSE;
  c->valid = PETSC_TRUE;
  PetscCall(PetscInfo(hg, "bound constants (estimated mask %" PetscInt_FMT "): mu_A %g L %g eta_w %g eta_l %g L_A %g L_B %g B %g\n", c->estimated, (double)c->muA, (double)c->L, (double)c->etaw, (double)c->etal, (double)c->LA, (double)c->LB, (double)c->B));
  PetscFunctionReturn(0);
}

/* A priori bound (Grazzi et al.) for the method just run; -1 when none applies */
static PetscErrorCode Apriori(HG hg, const BoundConstants *c, PetscReal gnorm, PetscReal *bound)
{
  HGProblem prob = hg->problem;
  HGLower   lower = hg->lower;
  PetscBool isgd, isitd, isiad, isaid, opt = prob->form == HG_FORM_OPTIMIZATION ? PETSC_TRUE : PETSC_FALSE;
  PetscReal q, ae, e0, et, LE, Bn = c->B, muA = c->muA, alpha = lower->step_used;
  PetscInt  t = hg->info.lower_its, k = hg->info.adjoint_its;

  PetscFunctionBegin;
  *bound = -1;
  PetscCall(PetscObjectTypeCompare((PetscObject)lower, HGLOWERGD, &isgd));
  if (!isgd || !c->available) PetscFunctionReturn(0);
  PetscCall(PetscObjectTypeCompare((PetscObject)hg, HGITD, &isitd));
  PetscCall(PetscObjectTypeCompare((PetscObject)hg, HGIAD, &isiad));
  PetscCall(PetscObjectTypeCompare((PetscObject)hg, HGAID, &isaid));
  /* contraction of the lower iteration in the Euclidean norm */
  if (opt) {
    q  = PetscMax(PetscAbsReal(1 - alpha * muA), PetscAbsReal(1 - alpha * c->L));
    ae = alpha;
  } else {
    q  = 1 - muA;
    ae = 1;
  }
  if (!(q < 1)) PetscFunctionReturn(0);
  e0 = lower->rnorm0 / muA;
  et = PetscPowRealInt(q, t) * e0;
  LE = gnorm + 2 * c->etaw * e0;
  if (isitd) {
    PetscReal c1, c2, c3;
    if (k < t) PetscFunctionReturn(0); /* truncated: no theorem */
    c1     = (c->etal + c->etaw * ae * Bn / (1 - q)) * e0;
    c2     = ae * (c->LB + c->LA * ae * Bn / (1 - q)) * LE * e0;
    c3     = LE * ae * Bn / (1 - q);
    *bound = (c1 + c3) * PetscPowRealInt(q, t) + c2 * (PetscReal)t * (t > 0 ? PetscPowRealInt(q, t - 1) : 0);
  } else {
    PetscBool same = PETSC_FALSE; /* the adjoint iterates the lower map (Theorem 2.4) */
    PetscReal sigma = -1, V0 = LE / muA;
    if (isiad) same = PETSC_TRUE;
    else if (isaid) {
      PetscBool iscg, isrich, pcnone;
      PC        pc;
      PetscCall(KSPGetPC(hg->ksp, &pc));
      PetscCall(PetscObjectTypeCompare((PetscObject)pc, PCNONE, &pcnone));
      PetscCall(PetscObjectTypeCompare((PetscObject)hg->ksp, KSPCG, &iscg));
      PetscCall(PetscObjectTypeCompare((PetscObject)hg->ksp, KSPRICHARDSON, &isrich));
      if (!pcnone) PetscFunctionReturn(0);
      V0 += hg->v0norm;
      if (iscg && prob->symmetric) {
        PetscReal kappa = opt ? c->L / muA : (1 + (1 - muA)) / muA, sk = PetscSqrtReal(kappa);
        sigma = 2 * sk * PetscPowRealInt((sk - 1) / (sk + 1), k);
      } else if (isrich) {
        PetscReal s;
        s = hg->richardson_scale;
        if (opt) sigma = PetscMax(PetscAbsReal(1 - s * muA), PetscAbsReal(1 - s * c->L));
        else sigma = PetscAbsReal(1 - s) + s * (1 - muA);
        same = (hg->v0norm == 0 && ((opt && s == alpha) || (!opt && s == 1.0))) ? PETSC_TRUE : PETSC_FALSE;
        if (!(sigma < 1)) PetscFunctionReturn(0);
        sigma = PetscPowRealInt(sigma, k);
      } else PetscFunctionReturn(0);
    } else PetscFunctionReturn(0);
    if (same) { /* Theorem 2.4 */
      PetscReal qk = PetscPowRealInt(q, k);
      PetscReal c1 = c->etal + c->etaw * ae * Bn / (1 - q), c2 = ae * (c->LB + c->LA * ae * Bn / (1 - q)) * LE / (1 - q);
      *bound       = (c1 + c2 * (1 - qk)) * et + LE * ae * Bn / (1 - q) * qk;
    } else { /* Theorem 2.2 */
      *bound = (c->etal + Bn * c->etaw / muA + (c->LB + Bn * c->LA / muA) * LE / muA) * et + Bn * sigma * V0;
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode HGComputeBounds(HG hg, Vec lambda, Vec h)
{
  HGBound       *b;
  HGProblem      prob = hg->problem;
  BoundConstants cst;
  PetscLogDouble t0, t1;
  PetscReal      G, e, R, gnorm, vnorm, V, dv, D = 0;
  PetscBool      isitd;

  PetscFunctionBegin;
  hg->info.bound_aposteriori = -1;
  hg->info.bound_apriori     = -1;
  hg->info.lower_error_bound = -1;
  hg->info.bound_estimated   = 0;
  if (!hg->bound || hg->info.reason < 0) PetscFunctionReturn(0);
  PetscCall(PetscTime(&t0));
  if (!hg->bounddata) { /* the work vectors of the estimates come when one is needed */
    PetscCall(PetscNew(&b));
    hg->bounddata = b;
    PetscCall(VecDuplicate(prob->wtemplate, &b->w1));
    PetscCall(VecDuplicate(prob->ltemplate, &b->l3));
    PetscCall(VecDuplicate(prob->ltemplate, &b->l4));
  }
  b = (HGBound *)hg->bounddata;
  PetscCall(BoundConstantsGet(hg, lambda, &cst));
  hg->info.bound_estimated = cst.estimated;
  if (cst.available) {
    G = hg->info.lower_residual;
    R = hg->info.adjoint_residual;
    PetscCall(VecNorm(hg->rhs, NORM_2, &gnorm));
    PetscCall(VecNorm(hg->v, NORM_2, &vnorm));
    e = G / cst.muA;
    V = (gnorm + cst.etaw * e) / cst.muA;
    if (cst.muA > cst.LA * e) V = PetscMin(V, vnorm + (R + e * (cst.etaw + cst.LA * vnorm)) / (cst.muA - cst.LA * e));
    dv = (R + e * (cst.etaw + cst.LA * V)) / cst.muA;
    PetscCall(PetscObjectTypeCompare((PetscObject)hg, HGITD, &isitd));
    if (isitd) { /* h against grad_lambda E(w_t) + B(w_t) v */
      PetscCall(HGProblemComputeUpperGradient(prob, hg->w, lambda, b->w1, b->l3));
      PetscCall(HGProblemAdjointAddParamTerm(prob, hg->w, lambda, hg->v, b->l4, b->l3));
      PetscCall(VecAXPY(b->l3, -1.0, h));
      PetscCall(VecNorm(b->l3, NORM_2, &D));
    }
    hg->info.lower_error_bound = e;
    hg->info.bound_aposteriori = D + cst.etal * e + cst.B * dv + cst.LB * e * V;
    PetscCall(Apriori(hg, &cst, gnorm, &hg->info.bound_apriori));
  }
  PetscCall(PetscTime(&t1));
  hg->info.time_bound = t1 - t0;
  PetscFunctionReturn(0);
}

PetscErrorCode HGBoundDestroy(HG hg)
{
  HGBound *b = (HGBound *)hg->bounddata;

  PetscFunctionBegin;
  if (!b) PetscFunctionReturn(0);
  PetscCall(VecDestroy(&b->w1));
  PetscCall(VecDestroy(&b->w2));
  PetscCall(VecDestroy(&b->w3));
  PetscCall(VecDestroy(&b->w4));
  for (int i = 0; i < 3; i++) PetscCall(VecDestroy(&b->wq[i]));
  PetscCall(VecDestroy(&b->l1));
  PetscCall(VecDestroy(&b->l2));
  PetscCall(VecDestroy(&b->l3));
  PetscCall(VecDestroy(&b->l4));
  PetscCall(VecDestroy(&b->lambda_est));
  for (int i = 0; i < 3; i++) PetscCall(VecDestroy(&b->lq[i]));
  PetscCall(PetscFree(hg->bounddata));
  PetscFunctionReturn(0);
}
