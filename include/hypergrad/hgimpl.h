/*
   Implementers' header: the structs behind HGProblem, HGLower and HG, their ops tables,
   and helpers shared by implementations.  Users include <hypergrad.h> only.
*/
#pragma once

#include <hypergrad.h>
#include <petsc/private/petscimpl.h>
#include <hypergrad/hgcompat.h>

PETSC_INTERN PetscBool      HGPackageInitialized;
PETSC_INTERN PetscLogEvent  HG_Compute, HG_LowerSolve, HG_Adjoint, HG_Test;
PETSC_INTERN PetscLogEvent  HGData_Load, HGData_Classes, HGData_Standardize, HGData_Split, HG_NormEstimate;
PETSC_INTERN PetscLogEvent  HGProblem_LowerGradient, HGProblem_HessianMult, HGProblem_MixedMult, HGProblem_Map, HGProblem_MapJacT, HGProblem_Upper;
PETSC_INTERN PetscErrorCode HGProblemRegisterAll(void);

/* PetscOptionsInt/PetscOptionsReal inside PetscOptionsBegin/End that refuse an option given
   without a value and an integer outside PetscInt's range; the ...Default forms show deftext (a
   default computed later, e.g. "2/(L+mu)") in -help instead of a placeholder (src/util/options.c) */
PETSC_INTERN PetscErrorCode HGOptionsInt_Private(PetscOptionItems *, const char[], const char[], const char[], PetscInt, PetscInt *, PetscBool *, const char[]);
PETSC_INTERN PetscErrorCode HGOptionsReal_Private(PetscOptionItems *, const char[], const char[], const char[], PetscReal, PetscReal *, PetscBool *, const char[]);
#define HGOptionsInt(opt, text, man, cur, value, set)                HGOptionsInt_Private(PetscOptionsObject, opt, text, man, cur, value, set, NULL)
#define HGOptionsReal(opt, text, man, cur, value, set)               HGOptionsReal_Private(PetscOptionsObject, opt, text, man, cur, value, set, NULL)
#define HGOptionsIntDefault(opt, text, man, deftext, value, set)     HGOptionsInt_Private(PetscOptionsObject, opt, text, man, 0, value, set, deftext)
#define HGOptionsRealDefault(opt, text, man, deftext, value, set)    HGOptionsReal_Private(PetscOptionsObject, opt, text, man, 0, value, set, deftext)
PETSC_INTERN PetscErrorCode HGLowerRegisterAll(void);
PETSC_INTERN PetscErrorCode HGRegisterAll(void);

/* ------------------------------------------------------------------------ */
typedef struct _HGProblemOps *HGProblemOps;
struct _HGProblemOps {
  PetscErrorCode (*setfromoptions)(HGProblem, PetscOptionItems *);
  PetscErrorCode (*setup)(HGProblem);
  PetscErrorCode (*exacthypergradient)(HGProblem, Vec, Vec, PetscReal *);
  PetscErrorCode (*view)(HGProblem, PetscViewer);
  PetscErrorCode (*destroy)(HGProblem);
};

struct _p_HGProblem {
  PETSCHEADER(struct _HGProblemOps);
  HGProblemForm            form;
  void                    *ctx;
  PetscErrorCode         (*ctxdestroy)(void *);
  void                    *data; /* implementation data of built-in problems */
  Vec                      wtemplate, ltemplate, lambda0;
  HGProblemScalarFn        lowerobjective, upperobjective;
  HGProblemVecFn           lowergradient, map;
  HGProblemMultFn          hessianmult, mixedmulttranspose, mapjactmult, mapjacmult, mapparamjactmult;
  HGProblemUpperGradientFn uppergradient;
  HGProblemProjectionFn    projection;
  HGProblemAccuracyFn      accuracy;
  HGProblemLowerConstantsFn lowerconstants; /* L, mu at each lambda (NULL: the constants set are fixed) */
  HGProblemBoundConstantsFn boundconstants; /* constants of the error bounds at (w, lambda) (NULL: those of HGProblemSetBoundConstants()) */
  PetscReal                L, mu, q; /* known constants; 0 when unknown */
  PetscReal                bc_etaw, bc_etal, bc_LA, bc_LB, bc_B; /* constants of the error bounds */
  PetscInt                 bc_set;   /* HGBoundConstant bits of those given (HGProblemSetBoundConstants()) */
  PetscBool                symmetric, symmetric_set;
  /* products taken by central differences when not given (or -problem_fd_products) */
  HGProblemVecFn           lowerparamgradient; /* grad_lambda l (optional): the mixed product by differences in w */
  PetscBool                fd_force, fd_hess, fd_mixed, fd_mapjac, fd_mapjact, fd_mapparam;
  HGFDType                 fd_type;
  PetscReal                fd_err, fd_umin;
  Vec                      fd_w, fd_g1, fd_g2, fd_l, fd_l1, fd_l2; /* work, created on first use */
  PetscInt                 nlowergrad, nhessmult, nmixed, nmap, nmapjact, nmapjac, nmapparam, nupper, nuppergrad;
  PetscInt                 instance, ninstances; /* HGProblemSetInstance(): index among n instances (n = 0: not an instance) */
  PetscBool                setupcalled;
};

/* Operations in the unified fixed-point view.  alpha is the lower step size, used in the
   optimization form where Phi(w) = w - alpha grad_w l(w). */
PETSC_INTERN PetscErrorCode HGProblemApplyMap(HGProblem, PetscReal alpha, Vec w, Vec lambda, Vec out);
PETSC_INTERN PetscErrorCode HGProblemApplyMapJacobianTranspose(HGProblem, PetscReal alpha, Vec w, Vec lambda, Vec x, Vec y);
PETSC_INTERN PetscErrorCode HGProblemApplyMapParamJacobianTranspose(HGProblem, PetscReal alpha, Vec w, Vec lambda, Vec x, Vec y);
/* The adjoint system A v = grad_w E: A = Hessian (optimization form) or I - d_w Phi^T */
PETSC_INTERN PetscErrorCode HGProblemAdjointMult(HGProblem, Vec w, Vec lambda, Vec x, Vec y);
PETSC_INTERN PetscErrorCode HGProblemAdjointMultTranspose(HGProblem, Vec w, Vec lambda, Vec x, Vec y);
/* h += B v, B = -(d_lambda grad_w l)^T or d_lambda Phi^T */
PETSC_INTERN PetscErrorCode HGProblemAdjointAddParamTerm(HGProblem, Vec w, Vec lambda, Vec v, Vec work, Vec h);
/* ||grad_w l(w)|| or ||w - Phi(w)||; work is a w-space Vec */
PETSC_INTERN PetscErrorCode HGProblemLowerResidualNorm(HGProblem, Vec w, Vec lambda, Vec work, PetscReal *);
PETSC_INTERN PetscErrorCode HGProblemCheckVec(HGProblem, Vec, PetscBool lambdaspace, const char[]);
PETSC_INTERN PetscErrorCode HGProblemCheckComplete(HGProblem);
/* Products by central differences of the gradients or of the map (src/util/fdprod.c) */
PETSC_INTERN PetscErrorCode HGProblemFDHessianMult(HGProblem, Vec w, Vec lambda, Vec x, Vec y);
PETSC_INTERN PetscErrorCode HGProblemFDMixedMultTranspose(HGProblem, Vec w, Vec lambda, Vec x, Vec y);
PETSC_INTERN PetscErrorCode HGProblemFDMapJacobianMult(HGProblem, Vec w, Vec lambda, Vec x, Vec y);
PETSC_INTERN PetscErrorCode HGProblemFDMapParamJacobianTransposeMult(HGProblem, Vec w, Vec lambda, Vec x, Vec y);
PETSC_INTERN PetscErrorCode HGProblemFDDestroy(HGProblem);
/* Built-in optimization-form problems: context and the six callbacks in one call */
PETSC_INTERN PetscErrorCode HGProblemSetOptimizationCallbacks(HGProblem, void *ctx, HGProblemScalarFn lowerobj, HGProblemVecFn lowergrad, HGProblemMultFn hess, HGProblemMultFn mixed, HGProblemScalarFn upperobj, HGProblemUpperGradientFn uppergrad);

/* ------------------------------------------------------------------------ */
typedef struct _HGLowerOps *HGLowerOps;
struct _HGLowerOps {
  PetscErrorCode (*setfromoptions)(HGLower, PetscOptionItems *);
  PetscErrorCode (*setup)(HGLower);
  PetscErrorCode (*solve)(HGLower, Vec, Vec);
  PetscErrorCode (*adjoint)(HGLower, Vec, Vec, PetscInt, PetscBool, Vec, Vec, Vec);
  PetscErrorCode (*view)(HGLower, PetscViewer);
  PetscErrorCode (*destroy)(HGLower);
};

struct _p_HGLower {
  PETSCHEADER(struct _HGLowerOps);
  HGProblem              problem;
  PetscInt               max_it;
  PetscReal              rtol, atol, dtol;
  PetscReal              step, momentum; /* as set by the user; PETSC_DEFAULT: from the problem's constants */
  PetscReal              step_used, momentum_used;
  PetscBool              step_resolved, step_hb; /* HGLowerResolveStep() ran (heavy ball or not): redo it when L, mu change */
  PetscBool              store;          /* keep w_0..w_t for the reverse pass */
  Vec                   *traj;
  PetscInt               ntraj;          /* allocated */
  HGLowerTrajectoryType  trajtype;       /* full, every m-th, or binomial (revolve) checkpoints */
  PetscInt               traj_param;     /* m (every) or snapshots s (revolve); PETSC_DEFAULT: from max_it */
  PetscInt               traj_peak;      /* w-space vectors the trajectory held (last solve and reverse pass) */
  PetscInt               traj_recomputed;/* lower steps recomputed by the last reverse pass */
  PetscInt               its;
  PetscReal              rnorm, rnorm0;
  HGLowerConvergedReason reason;
  PetscBool              badconstants;   /* the last solve stopped at once: the problem's L, mu at lambda were unusable */
  PetscReal              bad_L, bad_mu;
  PetscBool              monitor;
  void                  *data;
  PetscBool              setupcalled;
};

/* Shared by the stationary iterations: choose step (and momentum) from constants */
PETSC_INTERN PetscErrorCode HGLowerResolveStep(HGLower, PetscBool heavyball);
/* Check the residual at iteration its: sets reason; returns PETSC_TRUE in done */
PETSC_INTERN PetscErrorCode HGLowerCheckConvergence(HGLower, PetscReal rnorm, PetscBool *done);
PETSC_INTERN PetscErrorCode HGLowerEnsureTrajectory(HGLower, PetscInt n);
PETSC_INTERN PetscErrorCode HGLowerCheckTrajectoryMemory(HGLower, PetscInt n);

/* ------------------------------------------------------------------------ */
typedef struct _HGOps *HGOps;
struct _HGOps {
  PetscErrorCode (*setfromoptions)(HG, PetscOptionItems *);
  PetscErrorCode (*setup)(HG);
  PetscErrorCode (*compute)(HG, Vec, Vec);
  PetscErrorCode (*computebounds)(HG, Vec, Vec); /* NULL: HGComputeBounds() */
  PetscErrorCode (*view)(HG, PetscViewer);
  PetscErrorCode (*destroy)(HG);
};

struct _p_HG {
  PETSCHEADER(struct _HGOps);
  HGProblem problem;
  HGLower   lower;
  KSP       ksp;
  Mat       A;           /* adjoint operator (MatShell) at (w, lambda) */
  Vec       lambda_at;   /* lambda at which A is evaluated (borrowed during a solve) */
  PetscInt  k;           /* adjoint iterations (PETSC_DEFAULT: = t) */
  Vec       w, v, rhs, work, hwork;
  Vec       hnew;        /* the method computes here; copied to the user's h only when it converged */
  PetscBool w0_given, v0_given;
  HGInfo    info;
  PetscBool errorifnotconverged;
  PetscInt  test_ndir;   /* -hg_test_hypergradient */
  PetscReal test_h;
  PetscBool view_info;
  void     *data;
  PetscBool setupcalled;
  PetscBool nolower;     /* the type solves no lower level of its own (HGMULTI: its instances do): hg->lower is not set up, rhs and work not created */
  /* error bounds (src/hg/bound.c) */
  PetscBool bound, bound_reuse; /* -hg_bound, -hg_bound_reuse_estimates */
  PetscInt  bound_its;          /* Lanczos steps of the estimates */
  PetscReal bound_h;            /* finite-difference step of the estimates */
  PetscReal v0norm;             /* norm of the adjoint initial guess of the last solve */
  PetscReal richardson_scale;   /* aid with KSPRICHARDSON: its scale (0 otherwise) */
  PetscBool richardson_auto;    /* that scale comes from the lower step or L, mu (no -ksp_richardson_scale) */
  void     *bounddata;
};

/* Shared by the methods: seed the adjoint, compute residual of the adjoint system */
PETSC_INTERN PetscErrorCode HGAdjointResidualNorm(HG, Vec lambda, Vec v, PetscReal *);
PETSC_INTERN PetscErrorCode HGRunLower(HG, Vec lambda, PetscBool store);
/* a-posteriori and a-priori error bounds of the last hypergradient h into hg->info */
PETSC_INTERN PetscErrorCode HGComputeBounds(HG, Vec lambda, Vec h);
PETSC_INTERN PetscErrorCode HGBoundDestroy(HG);

/* ------------------------------------------------------------------------ */
/* Layout-independent pseudo-random numbers: the value at global index i of stream s
   depends only on (seed, s, i), so data generated on 1 or N ranks are identical. */
PETSC_INTERN PetscReal HGHashUniform(PetscInt64 seed, PetscInt64 stream, PetscInt64 i);
PETSC_INTERN PetscReal HGHashNormal(PetscInt64 seed, PetscInt64 stream, PetscInt64 i);
PETSC_INTERN PetscErrorCode HGVecSetHashNormal(Vec, PetscInt64 seed, PetscInt64 stream);
PETSC_INTERN PetscErrorCode HGVecSetHashUniform(Vec, PetscInt64 seed, PetscInt64 stream, PetscReal lo, PetscReal hi);
/* k-fold cross-validation (src/multi/cv.c): fold prob->instance of prob->ninstances; X (rows laid out
   like y) and y split by the layout-independent hash of the row index into training and validation rows */
PETSC_INTERN PetscErrorCode HGCrossValidationSplit(HGProblem prob, PetscInt64 seed, Mat X, Vec y, Mat *Xtr, Vec *ytr, Mat *Xva, Vec *yva);
/* the same assignment for data held on every rank: inval[i] (N entries, to free) says whether sample i is in the validation fold */
PETSC_INTERN PetscErrorCode HGCrossValidationSelect(HGProblem prob, PetscInt64 seed, PetscInt N, PetscBool **inval, PetscInt *ntr, PetscInt *nva);
/* HGMULTI for the outer loops (src/multi/hgmulti.c): tolerances of every instance's lower and adjoint solves;
   whether every instance is aid with its bound on; the error margin of sum_i c_i E_i(w_t,i) of the last
   hypergradient (-1: unknown); the mini-batch size B (0: all) of the n instances */
PETSC_INTERN PetscErrorCode HGMultiSetSolveTolerances(HG, PetscReal atol);
PETSC_INTERN PetscErrorCode HGMultiCheckAdaptive(HG, PetscBool *allaid, PetscBool *allbound);
PETSC_INTERN PetscErrorCode HGMultiGetUpperErrorMargin(HG, PetscReal *);
PETSC_INTERN PetscErrorCode HGMultiGetBatchSize(HG, PetscInt *B, PetscInt *n);
/* Range of the regularization weights r = lambda (or exp(lambda)): min(r, 0 if below), max |r| */
PETSC_INTERN PetscErrorCode HGRegWeightRange(Vec lambda, PetscBool useexp, PetscReal *rmin, PetscReal *rabsmax);
/* Projection onto lambda_j >= 1e-8 (weights used without exp) */
PETSC_INTERN PetscErrorCode HGProjectionPositiveWeights(HGProblem, Vec lambda, void *ctx);
PETSC_INTERN PetscErrorCode HGMatCreateDenseHash(MPI_Comm, PetscInt M, PetscInt N, Vec rowlayout, Vec collayout, PetscInt64 seed, PetscInt64 stream, PetscReal scale, Mat *);
PETSC_INTERN PetscErrorCode HGDenseHashArray(PetscInt M, PetscInt N, PetscInt64 seed, PetscInt64 stream, PetscReal scale, PetscScalar **);
/* Dense helpers on one rank's column-major arrays: C = op(A) * op(B) */
PETSC_INTERN PetscErrorCode HGDenseGemm(const char *ta, const char *tb, PetscInt m, PetscInt n, PetscInt k, PetscScalar alpha, const PetscScalar *A, PetscInt lda, const PetscScalar *B, PetscInt ldb, PetscScalar beta, PetscScalar *C, PetscInt ldc);
/* y = alpha op(A) x + beta y; y = alpha A x + beta y with symmetric A read from its lower triangle */
PETSC_INTERN PetscErrorCode HGDenseGemv(const char *ta, PetscInt m, PetscInt n, PetscScalar alpha, const PetscScalar *A, PetscInt lda, const PetscScalar *x, PetscScalar beta, PetscScalar *y);
PETSC_INTERN PetscErrorCode HGDenseSymvLower(PetscInt n, PetscScalar alpha, const PetscScalar *A, PetscInt lda, const PetscScalar *x, PetscScalar beta, PetscScalar *y);
/* Dense symmetric positive definite solve and extreme eigenvalues, LAPACK, one rank's copy */
PETSC_INTERN PetscErrorCode HGDenseCholeskySolve(PetscInt n, PetscScalar *A, PetscInt nrhs, PetscScalar *B);
PETSC_INTERN PetscErrorCode HGDenseSymEigRange(PetscInt n, const PetscScalar *A, PetscReal *emin, PetscReal *emax);

/* Image stacks (N x H x W datasets /clean, /noisy) of the denoising problem (src/data/images.c) */
PETSC_INTERN PetscErrorCode HGImagesGetInfoHDF5(MPI_Comm, const char path[], PetscInt *N, PetscInt *H, PetscInt *W, PetscBool *hasnoisy);
PETSC_INTERN PetscErrorCode HGImagesLoadHDF5(DM da, const char path[], const char name[], PetscInt N, PetscInt first, PetscBool check01, Vec v);
