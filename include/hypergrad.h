/*
   hypergrad: hypergradients and bilevel optimization on PETSc.

   The bilevel problem

       min_{lambda in Lambda} f(lambda) = E(w(lambda), lambda),   w(lambda) = Phi(w(lambda), lambda)

   is described by an HGProblem (user callbacks on distributed Vecs, or a built-in
   problem chosen with -problem), the lower level is solved by an HGLower (fixed-point
   iteration, heavy ball, or TAO) and the hypergradient is computed by an HG object of
   type itd, aid or iad.  This is the only header users include.
*/
#pragma once

#include <petscksp.h>
#include <petsctao.h>
#include <hypergrad/hgdata.h>

PETSC_EXTERN PetscErrorCode HGInitializePackage(void);
PETSC_EXTERN PetscErrorCode HGFinalizePackage(void);

#define HYPERGRAD_VERSION_MAJOR 0
#define HYPERGRAD_VERSION_MINOR 1
#define HYPERGRAD_VERSION_PATCH 0
PETSC_EXTERN PetscErrorCode HGGetVersion(char[], size_t);
PETSC_EXTERN PetscErrorCode HGOptionsCheckUnused(MPI_Comm, PetscInt, const char *const[]);

/* ------------------------------------------------------------------------ */
/* HGProblem: the bilevel problem                                            */
/* ------------------------------------------------------------------------ */
typedef struct _p_HGProblem *HGProblem;
PETSC_EXTERN PetscClassId    HGPROBLEM_CLASSID;

typedef const char *HGProblemType;
#define HGPROBLEMSHELL     "shell"
#define HGPROBLEMQUADRATIC "quadratic"
#define HGPROBLEMBIASREG   "biasreg"
#define HGPROBLEMKRR       "krr"
#define HGPROBLEMLOGREG    "logreg"
#define HGPROBLEMHYPERREP  "hyperrep"
#define HGPROBLEMMLOGREG   "mlogreg"
#define HGPROBLEMHYPERCLEAN "hyperclean"
#define HGPROBLEMDISTILL   "distill"
#define HGPROBLEMEQM       "eqm"
#define HGPROBLEMDENOISE   "denoise"

/* Which of the two forms of the papers the callbacks describe */
typedef enum {
  HG_FORM_NONE         = 0,
  HG_FORM_OPTIMIZATION = 1, /* Phi(w,l) = w - alpha grad_w l(w,l), l strongly convex in w */
  HG_FORM_FIXEDPOINT   = 2  /* Phi given directly, a contraction in w */
} HGProblemForm;
PETSC_EXTERN const char *const HGProblemForms[];

/* Callback signatures.  w lives in the lower-level space, lambda in the hyperparameter
   space; both are distributed Vecs whose layouts are fixed by HGProblemSetVecTemplates().
   ctx is the context given to HGProblemSetContext().  Common contract of every callback: it is
   called collectively on the problem's communicator; w, lambda and the input x are locked
   read-only (VecLockReadPush) and must not be changed; the output Vecs have the layouts stated
   and are overwritten, never added to; the callback returns a PETSc error code. */

/*S
  HGProblemScalarFn - a scalar function of (w, lambda): the lower objective l (HGProblemSetLowerObjective())
  or the upper objective E (HGProblemSetUpperObjective())

  Collective

  Calling Sequence:
$ PetscErrorCode fn(HGProblem prob, Vec w, Vec lambda, PetscReal *value, void *ctx)

  Input Parameters:
+ prob   - the problem
. w      - the lower-level variable (space of w; read-only)
. lambda - the hyperparameters (space of lambda; read-only)
- ctx    - the context of HGProblemSetContext()

  Output Parameter:
. value - l(w, lambda) or E(w, lambda), the same on every rank

  Level: beginner

.seealso: HGProblemSetLowerObjective(), HGProblemSetUpperObjective()
S*/
typedef PetscErrorCode (*HGProblemScalarFn)(HGProblem, Vec w, Vec lambda, PetscReal *value, void *ctx);

/*S
  HGProblemVecFn - a vector function of (w, lambda): grad_w l (HGProblemSetLowerGradient()), the
  map Phi (HGProblemSetMap()) or grad_lambda l (HGProblemSetLowerParamGradient())

  Collective

  Calling Sequence:
$ PetscErrorCode fn(HGProblem prob, Vec w, Vec lambda, Vec out, void *ctx)

  Input Parameters:
+ prob   - the problem
. w      - the lower-level variable (space of w; read-only)
. lambda - the hyperparameters (space of lambda; read-only)
- ctx    - the context of HGProblemSetContext()

  Output Parameter:
. out - overwritten with grad_w l(w, lambda) or Phi(w, lambda) (space of w), or with
        grad_lambda l(w, lambda) (space of lambda)

  Notes:
  grad_w l is the gradient of a lower objective l that is strongly convex in w; the solvers
  step w <- w - alpha grad_w l.  Phi must be a contraction in w; the solvers iterate w <- Phi(w).

  Level: beginner

.seealso: HGProblemSetLowerGradient(), HGProblemSetMap(), HGProblemSetLowerParamGradient()
S*/
typedef PetscErrorCode (*HGProblemVecFn)(HGProblem, Vec w, Vec lambda, Vec out, void *ctx);

/*S
  HGProblemMultFn - a product with a matrix of second derivatives at (w, lambda), in one of five roles

  Collective

  Calling Sequence:
$ PetscErrorCode fn(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y, void *ctx)

  Input Parameters:
+ prob   - the problem
. w      - the point (space of w; read-only)
. lambda - the hyperparameters (space of lambda; read-only)
. x      - the vector multiplied (space of w in every role; read-only)
- ctx    - the context of HGProblemSetContext()

  Output Parameter:
. y - overwritten with the product (not added to), in the space given below

  Notes:
  The roles, with the space of y and the sign with which the library uses the product:
.vb
  HGProblemSetLowerHessianMult()               y = grad_ww l(w, lambda) x         y in w       adjoint operator A = H (aid solves H v = grad_w E)
  HGProblemSetLowerMixedMultTranspose()        y = (d_lambda grad_w l)^T x        y in lambda  h = grad_lambda E - y(v)   (minus)
  HGProblemSetMapJacobianTransposeMult()       y = d_w Phi(w, lambda)^T x         y in w       A = I - d_w Phi^T
  HGProblemSetMapJacobianMult()                y = d_w Phi(w, lambda) x           y in w       A^T (cgne, lsqr only)
  HGProblemSetMapParamJacobianTransposeMult()  y = d_lambda Phi(w, lambda)^T x    y in lambda  h = grad_lambda E + y(v)   (plus)
.ve
  d_lambda grad_w l is the (dim w) x (dim lambda) matrix with entries d(grad_w l)_i / d lambda_j;
  d_lambda Phi likewise.  The callback returns the product itself; the library applies the sign.
  Any of them may be left out: it is then taken by central differences (see
  HGProblemSetFiniteDifferences(); d_w Phi^T only when d_w Phi is declared symmetric).

  Level: beginner

.seealso: HGProblemSetLowerHessianMult(), HGProblemSetLowerMixedMultTranspose(), HGProblemSetMapJacobianTransposeMult(),
          HGProblemSetMapJacobianMult(), HGProblemSetMapParamJacobianTransposeMult()
S*/
typedef PetscErrorCode (*HGProblemMultFn)(HGProblem, Vec w, Vec lambda, Vec x, Vec y, void *ctx);

/*S
  HGProblemUpperGradientFn - the two gradients of the upper objective E(w, lambda)

  Collective

  Calling Sequence:
$ PetscErrorCode fn(HGProblem prob, Vec w, Vec lambda, Vec gw, Vec glambda, void *ctx)

  Input Parameters:
+ prob   - the problem
. w      - the lower-level variable (space of w; read-only)
. lambda - the hyperparameters (space of lambda; read-only)
- ctx    - the context of HGProblemSetContext()

  Output Parameters:
+ gw      - overwritten with grad_w E(w, lambda) (space of w)
- glambda - overwritten with grad_lambda E(w, lambda) (space of lambda; set it to 0 when E does not depend on lambda)

  Notes:
  Both outputs are always given (never NULL) and must both be written.

  Level: beginner

.seealso: HGProblemSetUpperGradient(), HGProblemSetUpperObjective()
S*/
typedef PetscErrorCode (*HGProblemUpperGradientFn)(HGProblem, Vec w, Vec lambda, Vec gw, Vec glambda, void *ctx);

/*S
  HGProblemProjectionFn - the projection onto the feasible set Lambda of the hyperparameters

  Collective

  Calling Sequence:
$ PetscErrorCode fn(HGProblem prob, Vec lambda, void *ctx)

  Input Parameters:
+ prob   - the problem
. lambda - the hyperparameters (space of lambda), replaced in place by their projection
- ctx    - the context of HGProblemSetContext()

  Notes:
  The outer loop applies it after every step (lambda <- P(lambda - eta h)); it must leave a
  feasible lambda unchanged.

  Level: intermediate

.seealso: HGProblemSetProjection(), HGProblemProject()
S*/
typedef PetscErrorCode (*HGProblemProjectionFn)(HGProblem, Vec lambda, void *ctx);
/* How the step h of a product by central differences is chosen (as PETSc's MatMFFD chooses it) */
typedef enum {
  HG_FD_WP = 0, /* Walker-Pernice: h = err sqrt(1 + ||u||) / ||a|| */
  HG_FD_DS = 1  /* Dennis-Schnabel: h = err max(|u.a|, umin ||a||_1) / ||a||^2 */
} HGFDType;
PETSC_EXTERN const char *const HGFDTypes[];
/*S
  HGProblemLowerConstantsFn - L and mu of the lower level at a given lambda (optimization form)

  Collective

  Calling Sequence:
$ PetscErrorCode fn(HGProblem prob, Vec lambda, PetscReal *L, PetscReal *mu, void *ctx)

  Input Parameters:
+ prob   - the problem
. lambda - the hyperparameters (space of lambda; read-only)
- ctx    - the context of HGProblemSetContext()

  Output Parameters:
+ L  - an upper bound on the Lipschitz constant of grad_w l(., lambda), the same on every rank
- mu - a lower bound on the strong-convexity constant of l(., lambda), 0 < mu <= L

  Notes:
  Called before every lower-level solve; the default steps, AID-FP's scale and the bounds follow it.

  Level: intermediate

.seealso: HGProblemSetLowerConstantsFunction(), HGProblemSetLowerConstants()
S*/
typedef PetscErrorCode (*HGProblemLowerConstantsFn)(HGProblem, Vec lambda, PetscReal *L, PetscReal *mu, void *ctx);
/*S
  HGProblemBoundConstantsFn - the constants of the a-posteriori error bound at (w, lambda)

  Collective

  Calling Sequence:
$ PetscErrorCode fn(HGProblem prob, Vec w, Vec lambda, PetscReal *etaw, PetscReal *etal, PetscReal *LA, PetscReal *LB, PetscReal *B, void *ctx)

  Input Parameters:
+ prob   - the problem
. w      - the lower-level iterate w_t (space of w; read-only)
. lambda - the hyperparameters (space of lambda; read-only)
- ctx    - the context of HGProblemSetContext()

  Output Parameters:
+ etaw - Lipschitz constant of grad_w E(., lambda) in w
. etal - Lipschitz constant of grad_lambda E(., lambda) in w
. LA   - Lipschitz constant in w of the adjoint operator A (Hessian of l, or I - d_w Phi^T)
. LB   - Lipschitz constant in w of the mixed term B (d_lambda grad_w l, or d_lambda Phi)
- B    - a bound on the norm of B, at w_t or for all w at this lambda

  Notes:
  Called at every hypergradient.  Each value must be the same on every rank; a negative value
  means unknown, and that constant is then estimated at (w_t, lambda), which makes the bound an
  estimate.  The Lipschitz constants must hold for all w at this lambda.

  Level: advanced

.seealso: HGProblemSetBoundConstantsFunction(), HGProblemSetBoundConstants(), HGInfo
S*/
typedef PetscErrorCode (*HGProblemBoundConstantsFn)(HGProblem, Vec w, Vec lambda, PetscReal *etaw, PetscReal *etal, PetscReal *LA, PetscReal *LB, PetscReal *B, void *ctx);

PETSC_EXTERN PetscFunctionList HGProblemList;
PETSC_EXTERN PetscErrorCode    HGProblemRegister(const char[], PetscErrorCode (*)(HGProblem));
PETSC_EXTERN PetscErrorCode    HGProblemCreate(MPI_Comm, HGProblem *);
PETSC_EXTERN PetscErrorCode    HGProblemSetType(HGProblem, HGProblemType);
PETSC_EXTERN PetscErrorCode    HGProblemGetType(HGProblem, HGProblemType *);
PETSC_EXTERN PetscErrorCode    HGProblemSetFromOptions(HGProblem);
PETSC_EXTERN PetscErrorCode    HGProblemSetOptionsPrefix(HGProblem, const char[]);
PETSC_EXTERN PetscErrorCode    HGProblemSetUp(HGProblem);
PETSC_EXTERN PetscErrorCode    HGProblemView(HGProblem, PetscViewer);
PETSC_EXTERN PetscErrorCode    HGProblemDestroy(HGProblem *);

PETSC_EXTERN PetscErrorCode HGProblemSetContext(HGProblem, void *, PetscErrorCode (*)(void *));
PETSC_EXTERN PetscErrorCode HGProblemGetContext(HGProblem, void *);
PETSC_EXTERN PetscErrorCode HGProblemSetVecTemplates(HGProblem, Vec w, Vec lambda);
PETSC_EXTERN PetscErrorCode HGProblemCreateVecs(HGProblem, Vec *w, Vec *lambda);
PETSC_EXTERN PetscErrorCode HGProblemGetForm(HGProblem, HGProblemForm *);

/* optimization form */
PETSC_EXTERN PetscErrorCode HGProblemSetLowerObjective(HGProblem, HGProblemScalarFn);
PETSC_EXTERN PetscErrorCode HGProblemSetLowerGradient(HGProblem, HGProblemVecFn);
PETSC_EXTERN PetscErrorCode HGProblemSetLowerHessianMult(HGProblem, HGProblemMultFn);
PETSC_EXTERN PetscErrorCode HGProblemSetLowerMixedMultTranspose(HGProblem, HGProblemMultFn);
PETSC_EXTERN PetscErrorCode HGProblemSetLowerConstants(HGProblem, PetscReal L, PetscReal mu);
PETSC_EXTERN PetscErrorCode HGProblemGetLowerConstants(HGProblem, PetscReal *L, PetscReal *mu);
PETSC_EXTERN PetscErrorCode HGProblemSetLowerParamGradient(HGProblem, HGProblemVecFn);
/* first derivatives only: products not given are taken by central differences */
PETSC_EXTERN PetscErrorCode HGProblemSetFiniteDifferences(HGProblem, HGFDType, PetscReal err, PetscReal umin);
PETSC_EXTERN PetscErrorCode HGProblemGetApproximateProducts(HGProblem, PetscBool *);
/* fixed-point form */
PETSC_EXTERN PetscErrorCode HGProblemSetMap(HGProblem, HGProblemVecFn);
PETSC_EXTERN PetscErrorCode HGProblemSetMapJacobianTransposeMult(HGProblem, HGProblemMultFn);
PETSC_EXTERN PetscErrorCode HGProblemSetMapJacobianMult(HGProblem, HGProblemMultFn);
PETSC_EXTERN PetscErrorCode HGProblemSetMapParamJacobianTransposeMult(HGProblem, HGProblemMultFn);
PETSC_EXTERN PetscErrorCode HGProblemSetMapContraction(HGProblem, PetscReal q);
PETSC_EXTERN PetscErrorCode HGProblemGetMapContraction(HGProblem, PetscReal *q);
PETSC_EXTERN PetscErrorCode HGProblemSetSymmetric(HGProblem, PetscBool);
PETSC_EXTERN PetscErrorCode HGProblemGetSymmetric(HGProblem, PetscBool *);
/* constants of the error bounds (HGInfo bound_aposteriori, bound_apriori); negative = unknown (estimated) */
PETSC_EXTERN PetscErrorCode HGProblemSetBoundConstants(HGProblem, PetscReal etaw, PetscReal etal, PetscReal LA, PetscReal LB, PetscReal B);
PETSC_EXTERN PetscErrorCode HGProblemGetBoundConstants(HGProblem, PetscReal *etaw, PetscReal *etal, PetscReal *LA, PetscReal *LB, PetscReal *B);
PETSC_EXTERN PetscErrorCode HGProblemSetBoundConstantsFunction(HGProblem, HGProblemBoundConstantsFn);
/* upper level and constraint set */
PETSC_EXTERN PetscErrorCode HGProblemSetUpperObjective(HGProblem, HGProblemScalarFn);
PETSC_EXTERN PetscErrorCode HGProblemSetUpperGradient(HGProblem, HGProblemUpperGradientFn);
PETSC_EXTERN PetscErrorCode HGProblemSetProjection(HGProblem, HGProblemProjectionFn);
PETSC_EXTERN PetscErrorCode HGProblemSetLowerConstantsFunction(HGProblem, HGProblemLowerConstantsFn);
PETSC_EXTERN PetscErrorCode HGProblemSetInitialHyperparameters(HGProblem, Vec);
PETSC_EXTERN PetscErrorCode HGProblemGetInitialHyperparameters(HGProblem, Vec);

/* Evaluations: every call into user code goes through these (counted, logged, checked) */
PETSC_EXTERN PetscErrorCode HGProblemComputeLowerObjective(HGProblem, Vec, Vec, PetscReal *);
PETSC_EXTERN PetscErrorCode HGProblemComputeLowerGradient(HGProblem, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode HGProblemComputeLowerHessianMult(HGProblem, Vec, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode HGProblemComputeLowerMixedMultTranspose(HGProblem, Vec, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode HGProblemComputeMap(HGProblem, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode HGProblemComputeMapJacobianTransposeMult(HGProblem, Vec, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode HGProblemComputeMapJacobianMult(HGProblem, Vec, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode HGProblemComputeMapParamJacobianTransposeMult(HGProblem, Vec, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode HGProblemComputeUpperObjective(HGProblem, Vec, Vec, PetscReal *);
PETSC_EXTERN PetscErrorCode HGProblemComputeUpperGradient(HGProblem, Vec, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode HGProblemProject(HGProblem, Vec);
/* Exact hypergradient where the problem has a closed form / direct solve (else PETSC_ERR_SUP) */
PETSC_EXTERN PetscErrorCode HGProblemHasExactHypergradient(HGProblem, PetscBool *);
PETSC_EXTERN PetscErrorCode HGProblemComputeExactHypergradient(HGProblem, Vec lambda, Vec grad, PetscReal *f);
/* Finite-difference check of every callback against its neighbours; prints to viewer and
   returns the largest relative error seen */
PETSC_EXTERN PetscErrorCode HGProblemTestDerivatives(HGProblem, Vec w, Vec lambda, PetscReal h, PetscViewer, PetscReal *maxrelerr);
/* The denoising problem (HGPROBLEMDENOISE): which images it holds, the size N of the whole
   training set (the 1/N of both levels), and its DMDA (dof = images held) after set-up */
PETSC_EXTERN PetscErrorCode HGProblemDenoiseSetImages(HGProblem, PetscInt first, PetscInt count);
PETSC_EXTERN PetscErrorCode HGProblemDenoiseSetTrainingSetSize(HGProblem, PetscInt N);
PETSC_EXTERN PetscErrorCode HGProblemDenoiseGetDM(HGProblem, DM *);

/* ------------------------------------------------------------------------ */
/* HGLower: the lower-level solver                                           */
/* ------------------------------------------------------------------------ */
typedef struct _p_HGLower *HGLower;
PETSC_EXTERN PetscClassId  HGLOWER_CLASSID;

typedef const char *HGLowerType;
#define HGLOWERGD        "gd"
#define HGLOWERHEAVYBALL "heavyball"
#define HGLOWERTAO       "tao"

typedef enum {
  HG_LOWER_CONVERGED_ITS      = 1, /* ran the requested number of iterations */
  HG_LOWER_CONVERGED_ATOL     = 2, /* residual below the absolute tolerance */
  HG_LOWER_CONVERGED_RTOL     = 3, /* residual below rtol times the initial residual */
  HG_LOWER_CONVERGED_TAO      = 4, /* TAO reported convergence */
  HG_LOWER_ITERATING          = 0,
  HG_LOWER_DIVERGED_NANORINF  = -1,
  HG_LOWER_DIVERGED_DTOL      = -2, /* residual grew by more than dtol: the map is not a contraction */
  HG_LOWER_DIVERGED_TAO       = -3,
  HG_LOWER_DIVERGED_MAXIT     = -4  /* tolerance requested but not reached within max_it */
} HGLowerConvergedReason;
PETSC_EXTERN const char *const *HGLowerConvergedReasons;

PETSC_EXTERN PetscFunctionList HGLowerList;
PETSC_EXTERN PetscErrorCode    HGLowerRegister(const char[], PetscErrorCode (*)(HGLower));
PETSC_EXTERN PetscErrorCode    HGLowerCreate(MPI_Comm, HGLower *);
PETSC_EXTERN PetscErrorCode    HGLowerSetType(HGLower, HGLowerType);
PETSC_EXTERN PetscErrorCode    HGLowerGetType(HGLower, HGLowerType *);
PETSC_EXTERN PetscErrorCode    HGLowerSetProblem(HGLower, HGProblem);
PETSC_EXTERN PetscErrorCode    HGLowerSetFromOptions(HGLower);
PETSC_EXTERN PetscErrorCode    HGLowerSetOptionsPrefix(HGLower, const char[]);
PETSC_EXTERN PetscErrorCode    HGLowerSetUp(HGLower);
PETSC_EXTERN PetscErrorCode    HGLowerSolve(HGLower, Vec lambda, Vec w);
PETSC_EXTERN PetscErrorCode    HGLowerView(HGLower, PetscViewer);
PETSC_EXTERN PetscErrorCode    HGLowerDestroy(HGLower *);
PETSC_EXTERN PetscErrorCode    HGLowerSetMaxIterations(HGLower, PetscInt);
PETSC_EXTERN PetscErrorCode    HGLowerGetMaxIterations(HGLower, PetscInt *);
PETSC_EXTERN PetscErrorCode    HGLowerSetTolerances(HGLower, PetscReal rtol, PetscReal atol, PetscReal dtol);
PETSC_EXTERN PetscErrorCode    HGLowerSetStepSize(HGLower, PetscReal);
PETSC_EXTERN PetscErrorCode    HGLowerGetStepSize(HGLower, PetscReal *);
PETSC_EXTERN PetscErrorCode    HGLowerSetMomentum(HGLower, PetscReal);
PETSC_EXTERN PetscErrorCode    HGLowerGetMomentum(HGLower, PetscReal *);
PETSC_EXTERN PetscErrorCode    HGLowerSetStoreTrajectory(HGLower, PetscBool);
/* How the reverse pass of ITD gets the lower iterates: all stored, every m-th stored and the
   segments recomputed (O(t/m + m) vectors), or binomial checkpointing with s snapshots
   (O(s) vectors); the result is bitwise that of the full trajectory */
typedef enum {
  HG_LOWER_TRAJECTORY_FULL    = 0,
  HG_LOWER_TRAJECTORY_EVERY   = 1,
  HG_LOWER_TRAJECTORY_REVOLVE = 2
} HGLowerTrajectoryType;
PETSC_EXTERN const char *const HGLowerTrajectoryTypes[];
PETSC_EXTERN PetscErrorCode    HGLowerSetTrajectoryType(HGLower, HGLowerTrajectoryType, PetscInt param);
PETSC_EXTERN PetscErrorCode    HGLowerGetTrajectoryType(HGLower, HGLowerTrajectoryType *, PetscInt *param);
PETSC_EXTERN PetscErrorCode    HGLowerGetTrajectoryStatistics(HGLower, PetscInt *peakvecs, PetscInt *recomputed);
PETSC_EXTERN PetscErrorCode    HGLowerGetIterationNumber(HGLower, PetscInt *);
PETSC_EXTERN PetscErrorCode    HGLowerGetResidualNorm(HGLower, PetscReal *);
PETSC_EXTERN PetscErrorCode    HGLowerGetConvergedReason(HGLower, HGLowerConvergedReason *);
PETSC_EXTERN PetscErrorCode    HGLowerHasAdjoint(HGLower, PetscBool *);
/* Reverse pass through the last k lower iterations (all second derivatives at w = w_t when frozen):
   p is the seed grad_w E(w_t) (overwritten), h accumulates d_lambda Phi^T p_i, v (optional)
   returns the accumulated adjoint, scaled to solve the adjoint system of HGGetAdjointSolution() */
PETSC_EXTERN PetscErrorCode    HGLowerAdjoint(HGLower, Vec lambda, Vec w, PetscInt k, PetscBool frozen, Vec p, Vec h, Vec v);
PETSC_EXTERN PetscErrorCode    HGLowerGetTao(HGLower, Tao *);

/* ------------------------------------------------------------------------ */
/* HG: the hypergradient method                                              */
/* ------------------------------------------------------------------------ */
typedef struct _p_HG *HG;
PETSC_EXTERN PetscClassId HG_CLASSID;

typedef const char *HGType;
#define HGITD "itd" /* reverse mode through the stored lower-level iterates */
#define HGAID "aid" /* implicit differentiation: adjoint system solved by a KSP */
#define HGIAD "iad" /* inexact AD (Ehrhardt & Roberts): reverse pass frozen at w_t */

typedef enum {
  HG_CONVERGED               = 1,
  HG_ITERATING               = 0,
  HG_DIVERGED_LOWER          = -1, /* the lower-level solver failed; see HGLowerConvergedReason */
  HG_DIVERGED_ADJOINT        = -2, /* the adjoint KSP failed; see KSPConvergedReason */
  HG_DIVERGED_NANORINF       = -3  /* the hypergradient is not finite */
} HGConvergedReason;
PETSC_EXTERN const char *const *HGConvergedReasons;

/* What every hypergradient reports: the inputs of the a-posteriori bound of Ehrhardt & Roberts */
typedef struct {
  PetscReal              upper_objective;   /* E(w_t, lambda) */
  PetscReal              lower_residual;    /* ||grad_w l(w_t)|| or ||w_t - Phi(w_t)|| */
  PetscReal              adjoint_residual;  /* ||A v - grad_w E(w_t)|| with A the adjoint operator at w_t */
  PetscInt               lower_its;         /* t */
  PetscInt               adjoint_its;       /* k */
  HGLowerConvergedReason lower_reason;
  KSPConvergedReason     ksp_reason;        /* aid only; KSP_CONVERGED_ITERATING for the others */
  HGConvergedReason      reason;
  PetscLogDouble         time_lower, time_adjoint, time_total; /* seconds */
  /* error bounds on ||h - grad f(lambda)|| (-1: not available); see HGSetComputeBounds() */
  PetscReal              bound_aposteriori; /* from the residuals and the constants (Ehrhardt & Roberts); an estimate when bound_estimated != 0 */
  PetscReal              bound_apriori;     /* from the rates (Grazzi et al. Th. 2.1, 2.2, 2.4) */
  PetscReal              lower_error_bound; /* ||w_t - w(lambda)|| <= lower_residual / mu */
  PetscInt               bound_estimated;   /* HGBoundConstant bits of the constants estimated at this (w_t, lambda) (0: all given, the bounds are rigorous) */
  PetscLogDouble         time_bound;        /* seconds spent on the bounds (included in time_total) */
  PetscBool              approximate_products; /* second derivatives by central differences: h is approximate
                                                  beyond the methods' error and the bounds are not rigorous */
} HGInfo;

/* The constants of the bounds, as bits of HGInfo.bound_estimated */
typedef enum {
  HG_BOUND_MU   = 1,  /* mu: strong convexity of l (or 1 - q for a fixed-point map) */
  HG_BOUND_L    = 2,  /* L: Lipschitz constant of grad_w l */
  HG_BOUND_ETAW = 4,  /* Lipschitz constant of grad_w E in w */
  HG_BOUND_ETAL = 8,  /* Lipschitz constant of grad_lambda E in w */
  HG_BOUND_LA   = 16, /* Lipschitz constant of the Hessian of l (d_w Phi) in w */
  HG_BOUND_LB   = 32, /* Lipschitz constant of d_lambda grad_w l (d_lambda Phi) in w */
  HG_BOUND_B    = 64  /* ||d_lambda grad_w l|| (||d_lambda Phi||) */
} HGBoundConstant;

PETSC_EXTERN PetscFunctionList HGList;
PETSC_EXTERN PetscErrorCode    HGRegister(const char[], PetscErrorCode (*)(HG));
PETSC_EXTERN PetscErrorCode    HGCreate(MPI_Comm, HG *);
PETSC_EXTERN PetscErrorCode    HGSetType(HG, HGType);
PETSC_EXTERN PetscErrorCode    HGGetType(HG, HGType *);
PETSC_EXTERN PetscErrorCode    HGSetProblem(HG, HGProblem);
PETSC_EXTERN PetscErrorCode    HGGetProblem(HG, HGProblem *);
PETSC_EXTERN PetscErrorCode    HGGetLower(HG, HGLower *);
PETSC_EXTERN PetscErrorCode    HGGetKSP(HG, KSP *);
PETSC_EXTERN PetscErrorCode    HGSetOptionsPrefix(HG, const char[]);
PETSC_EXTERN PetscErrorCode    HGSetFromOptions(HG);
PETSC_EXTERN PetscErrorCode    HGSetUp(HG);
PETSC_EXTERN PetscErrorCode    HGSetIterations(HG, PetscInt t, PetscInt k);
PETSC_EXTERN PetscErrorCode    HGGetIterations(HG, PetscInt *t, PetscInt *k);
PETSC_EXTERN PetscErrorCode    HGSetLowerInitialGuess(HG, Vec);
PETSC_EXTERN PetscErrorCode    HGSetAdjointInitialGuess(HG, Vec);
PETSC_EXTERN PetscErrorCode    HGSetAdjointTolerances(HG, PetscReal rtol, PetscReal atol);
PETSC_EXTERN PetscErrorCode    HGComputeHypergradient(HG, Vec lambda, Vec h);
PETSC_EXTERN PetscErrorCode    HGGetLowerSolution(HG, Vec *);
PETSC_EXTERN PetscErrorCode    HGGetAdjointSolution(HG, Vec *);
PETSC_EXTERN PetscErrorCode    HGGetInfo(HG, HGInfo *);
PETSC_EXTERN PetscErrorCode    HGGetConvergedReason(HG, HGConvergedReason *);
PETSC_EXTERN PetscErrorCode    HGSetErrorIfNotConverged(HG, PetscBool);
PETSC_EXTERN PetscErrorCode    HGGetErrorIfNotConverged(HG, PetscBool *);
PETSC_EXTERN PetscErrorCode    HGSetComputeBounds(HG, PetscBool);
PETSC_EXTERN PetscErrorCode    HGTestHypergradient(HG, Vec lambda, Vec h, PetscInt ndirections, PetscReal step, PetscViewer, PetscReal *maxrelerr);
PETSC_EXTERN PetscErrorCode    HGView(HG, PetscViewer);
PETSC_EXTERN PetscErrorCode    HGInfoView(HG, PetscViewer);
PETSC_EXTERN PetscErrorCode    HGDestroy(HG *);

#include <hypergrad/hgservice.h>
#include <hypergrad/hgmulti.h>
