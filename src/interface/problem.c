/* HGProblem: the bilevel problem as callbacks on distributed Vecs. */
#include <hypergrad/hgimpl.h>

/*@C
  HGProblemRegister - adds a problem type to the catalogue chosen with -problem

  Not Collective
@*/
PetscErrorCode HGProblemRegister(const char name[], PetscErrorCode (*create)(HGProblem))
{
  PetscFunctionBegin;
  PetscCall(HGInitializePackage());
  PetscCall(PetscFunctionListAdd(&HGProblemList, name, create));
  PetscFunctionReturn(0);
}

static PetscErrorCode HGProblemCreate_Shell(HGProblem prob)
{
  PetscFunctionBegin;
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGProblemCreate_Quadratic(HGProblem);
PETSC_INTERN PetscErrorCode HGProblemCreate_BiasReg(HGProblem);
PETSC_INTERN PetscErrorCode HGProblemCreate_KRR(HGProblem);
PETSC_INTERN PetscErrorCode HGProblemCreate_LogReg(HGProblem);
PETSC_INTERN PetscErrorCode HGProblemCreate_HyperRep(HGProblem);
PETSC_INTERN PetscErrorCode HGProblemCreate_MLogReg(HGProblem);
PETSC_INTERN PetscErrorCode HGProblemCreate_HyperClean(HGProblem);
PETSC_INTERN PetscErrorCode HGProblemCreate_Distill(HGProblem);
PETSC_INTERN PetscErrorCode HGProblemCreate_Eqm(HGProblem);
PETSC_INTERN PetscErrorCode HGProblemCreate_Denoise(HGProblem);

PetscErrorCode HGProblemRegisterAll(void)
{
  static PetscBool registered = PETSC_FALSE;

  PetscFunctionBegin;
  if (registered) PetscFunctionReturn(0);
  registered = PETSC_TRUE;
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMSHELL, HGProblemCreate_Shell));
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMQUADRATIC, HGProblemCreate_Quadratic));
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMBIASREG, HGProblemCreate_BiasReg));
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMKRR, HGProblemCreate_KRR));
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMLOGREG, HGProblemCreate_LogReg));
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMHYPERREP, HGProblemCreate_HyperRep));
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMMLOGREG, HGProblemCreate_MLogReg));
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMHYPERCLEAN, HGProblemCreate_HyperClean));
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMDISTILL, HGProblemCreate_Distill));
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMEQM, HGProblemCreate_Eqm));
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMDENOISE, HGProblemCreate_Denoise));
  PetscFunctionReturn(0);
}

/*@
  HGProblemCreate - creates a bilevel problem.  Without HGProblemSetType() it is a "shell"
  problem whose callbacks the user sets.

  Collective
@*/
PetscErrorCode HGProblemCreate(MPI_Comm comm, HGProblem *prob)
{
  HGProblem p;

  PetscFunctionBegin;
  PetscAssertPointer(prob, 2);
  PetscCall(HGInitializePackage());
  PetscCall(PetscHeaderCreate(p, HGPROBLEM_CLASSID, "HGProblem", "Bilevel problem", "HG", comm, HGProblemDestroy, HGProblemView));
  p->symmetric = PETSC_TRUE;
  /* a shell until HGProblemSetType() picks a built-in problem: callbacks set before then stay */
  PetscCall(PetscObjectChangeTypeName((PetscObject)p, HGPROBLEMSHELL));
  *prob = p;
  PetscFunctionReturn(0);
}

static PetscErrorCode HGProblemResetCallbacks(HGProblem prob)
{
  PetscFunctionBegin;
  prob->lowerobjective = prob->upperobjective = NULL;
  prob->lowergradient = prob->map = NULL;
  prob->hessianmult = prob->mixedmulttranspose = prob->mapjactmult = prob->mapjacmult = prob->mapparamjactmult = NULL;
  prob->uppergradient = NULL;
  prob->projection    = NULL;
  prob->accuracy      = NULL;
  prob->lowerconstants = NULL;
  prob->L = prob->mu = prob->q = 0;
  prob->bc_set = 0;
  prob->symmetric                = PETSC_TRUE;
  PetscCall(VecDestroy(&prob->wtemplate));
  PetscCall(VecDestroy(&prob->ltemplate));
  PetscCall(VecDestroy(&prob->lambda0));
  prob->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
  HGProblemSetType - chooses a built-in problem from the catalogue

  Collective

  Options Database Key:
. -problem <quadratic,biasreg,krr,logreg,shell> - the problem
@*/
PetscErrorCode HGProblemSetType(HGProblem prob, HGProblemType type)
{
  PetscErrorCode (*create)(HGProblem);
  PetscBool same;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  PetscCall(PetscObjectTypeCompare((PetscObject)prob, type, &same));
  if (same) PetscFunctionReturn(0);
  PetscCall(PetscFunctionListFind(HGProblemList, type, &create));
  PetscCheck(create, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown problem \"%s\": run with -help to list the problems of the catalogue", type);
  PetscTryTypeMethod(prob, destroy);
  PetscCall(PetscMemzero(prob->ops, sizeof(struct _HGProblemOps)));
  prob->data = NULL;
  PetscCall(HGProblemResetCallbacks(prob));
  PetscCall(PetscObjectChangeTypeName((PetscObject)prob, type));
  PetscCall((*create)(prob));
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemGetType(HGProblem prob, HGProblemType *type)
{
  PetscFunctionBegin;
  *type = ((PetscObject)prob)->type_name;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemSetOptionsPrefix(HGProblem prob, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)prob, prefix));
  PetscFunctionReturn(0);
}

/*@
  HGProblemSetFromOptions - chooses the problem from -problem and reads its options

  Collective
@*/
PetscErrorCode HGProblemSetFromOptions(HGProblem prob)
{
  char      type[256];
  PetscBool flg;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  PetscObjectOptionsBegin((PetscObject)prob);
  PetscCall(PetscOptionsFList("-problem", "Bilevel problem", "HGProblemSetType", HGProblemList, ((PetscObject)prob)->type_name ? ((PetscObject)prob)->type_name : HGPROBLEMSHELL, type, sizeof(type), &flg));
  if (flg) PetscCall(HGProblemSetType(prob, type));
  PetscTryTypeMethod(prob, setfromoptions, PetscOptionsObject);
  PetscCall(PetscObjectProcessOptionsHandlers((PetscObject)prob, PetscOptionsObject));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemCheckComplete(HGProblem prob)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)prob);

  PetscFunctionBegin;
  PetscCheck(prob->wtemplate && prob->ltemplate, comm, PETSC_ERR_ORDER, "HGProblem has no vector layout: call HGProblemSetVecTemplates() with a lower-level vector w and a hyperparameter vector lambda");
  PetscCheck(!(prob->lowergradient && prob->map), comm, PETSC_ERR_ARG_WRONGSTATE, "HGProblem has both a lower-level gradient (optimization form) and a map Phi (fixed-point form): set only one of them");
  if (prob->lowergradient) {
    prob->form = HG_FORM_OPTIMIZATION;
    PetscCheck(prob->hessianmult, comm, PETSC_ERR_ARG_WRONGSTATE, "Optimization-form HGProblem needs a Hessian-vector product: call HGProblemSetLowerHessianMult()");
    PetscCheck(prob->mixedmulttranspose, comm, PETSC_ERR_ARG_WRONGSTATE, "Optimization-form HGProblem needs the mixed product (d_lambda grad_w l)^T v: call HGProblemSetLowerMixedMultTranspose()");
    prob->symmetric = PETSC_TRUE;
  } else if (prob->map) {
    prob->form = HG_FORM_FIXEDPOINT;
    PetscCheck(prob->mapjactmult, comm, PETSC_ERR_ARG_WRONGSTATE, "Fixed-point HGProblem needs d_w Phi^T v: call HGProblemSetMapJacobianTransposeMult()");
    PetscCheck(prob->mapparamjactmult, comm, PETSC_ERR_ARG_WRONGSTATE, "Fixed-point HGProblem needs d_lambda Phi^T v: call HGProblemSetMapParamJacobianTransposeMult()");
  } else SETERRQ(comm, PETSC_ERR_ARG_WRONGSTATE, "HGProblem has no lower level: call HGProblemSetLowerGradient() (optimization form) or HGProblemSetMap() (fixed-point form), or choose a built-in problem with -problem");
  PetscCheck(prob->uppergradient, comm, PETSC_ERR_ARG_WRONGSTATE, "HGProblem needs the upper-level gradients: call HGProblemSetUpperGradient()");
  PetscCheck(prob->upperobjective, comm, PETSC_ERR_ARG_WRONGSTATE, "HGProblem needs the upper-level objective E: call HGProblemSetUpperObjective()");
  PetscCheck(prob->L >= 0 && prob->mu >= 0 && prob->mu <= prob->L, comm, PETSC_ERR_ARG_OUTOFRANGE, "HGProblem constants must satisfy 0 <= mu <= L; got L=%g mu=%g", (double)prob->L, (double)prob->mu);
  PetscCheck(prob->q >= 0 && prob->q < 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "HGProblem contraction constant must lie in [0,1) (0 = unknown); got %g: the map is not a contraction", (double)prob->q);
  PetscFunctionReturn(0);
}

/*@
  HGProblemSetUp - builds a built-in problem's data, checks that the callbacks describe one of
  the two forms completely

  Collective
@*/
PetscErrorCode HGProblemSetUp(HGProblem prob)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  if (prob->setupcalled) PetscFunctionReturn(0);
  PetscTryTypeMethod(prob, setup);
  PetscCall(HGProblemCheckComplete(prob));
  prob->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemView(HGProblem prob, PetscViewer viewer)
{
  PetscBool iascii;
  PetscInt  d = 0, n = 0;

  PetscFunctionBegin;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)prob), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)prob, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  if (prob->wtemplate) PetscCall(VecGetSize(prob->wtemplate, &d));
  if (prob->ltemplate) PetscCall(VecGetSize(prob->ltemplate, &n));
  PetscCall(PetscViewerASCIIPrintf(viewer, "form: %s, lower dimension %" PetscInt_FMT ", hyperparameters %" PetscInt_FMT "\n", HGProblemForms[prob->form], d, n));
  if (prob->form == HG_FORM_OPTIMIZATION) PetscCall(PetscViewerASCIIPrintf(viewer, "lower-level constants: L = %g, mu = %g%s\n", (double)prob->L, (double)prob->mu, prob->L > 0 ? "" : " (unknown)"));
  if (prob->form == HG_FORM_FIXEDPOINT) PetscCall(PetscViewerASCIIPrintf(viewer, "contraction constant q = %g%s, Jacobian %s\n", (double)prob->q, prob->q > 0 ? "" : " (unknown)", prob->symmetric ? "symmetric" : "non-symmetric"));
  PetscTryTypeMethod(prob, view, viewer);
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemDestroy(HGProblem *prob)
{
  PetscFunctionBegin;
  if (!*prob) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*prob, HGPROBLEM_CLASSID, 1);
  if (--((PetscObject)(*prob))->refct > 0) {
    *prob = NULL;
    PetscFunctionReturn(0);
  }
  PetscTryTypeMethod(*prob, destroy);
  if ((*prob)->ctxdestroy) PetscCall((*(*prob)->ctxdestroy)((*prob)->ctx));
  PetscCall(VecDestroy(&(*prob)->wtemplate));
  PetscCall(VecDestroy(&(*prob)->ltemplate));
  PetscCall(VecDestroy(&(*prob)->lambda0));
  PetscCall(PetscHeaderDestroy(prob));
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemSetContext(HGProblem prob, void *ctx, PetscErrorCode (*destroy)(void *))
{
  PetscFunctionBegin;
  prob->ctx        = ctx;
  prob->ctxdestroy = destroy;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemGetContext(HGProblem prob, void *ctx)
{
  PetscFunctionBegin;
  *(void **)ctx = prob->ctx;
  PetscFunctionReturn(0);
}

/*@
  HGProblemSetVecTemplates - fixes the layouts of the lower-level space (w) and of the
  hyperparameters (lambda); the problem keeps duplicates, not the vectors

  Collective
@*/
PetscErrorCode HGProblemSetVecTemplates(HGProblem prob, Vec w, Vec lambda)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(w, VEC_CLASSID, 2);
  PetscValidHeaderSpecific(lambda, VEC_CLASSID, 3);
  PetscCall(VecDestroy(&prob->wtemplate));
  PetscCall(VecDestroy(&prob->ltemplate));
  PetscCall(VecDuplicate(w, &prob->wtemplate));
  PetscCall(VecDuplicate(lambda, &prob->ltemplate));
  PetscFunctionReturn(0);
}

/*@
  HGProblemCreateVecs - creates vectors with the layouts of w and lambda (either may be NULL)

  Collective
@*/
PetscErrorCode HGProblemCreateVecs(HGProblem prob, Vec *w, Vec *lambda)
{
  PetscFunctionBegin;
  PetscCall(HGProblemSetUp(prob));
  if (w) PetscCall(VecDuplicate(prob->wtemplate, w));
  if (lambda) PetscCall(VecDuplicate(prob->ltemplate, lambda));
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemGetForm(HGProblem prob, HGProblemForm *form)
{
  PetscFunctionBegin;
  *form = prob->form;
  PetscFunctionReturn(0);
}

#define HG_SETTER(Name, field, Type) \
  PetscErrorCode HGProblemSet##Name(HGProblem prob, Type fn) \
  { \
    PetscFunctionBegin; \
    PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1); \
    prob->field       = fn; \
    prob->setupcalled = PETSC_FALSE; \
    PetscFunctionReturn(0); \
  }
HG_SETTER(LowerObjective, lowerobjective, HGProblemScalarFn)
HG_SETTER(LowerGradient, lowergradient, HGProblemVecFn)
HG_SETTER(LowerHessianMult, hessianmult, HGProblemMultFn)
HG_SETTER(LowerMixedMultTranspose, mixedmulttranspose, HGProblemMultFn)
HG_SETTER(Map, map, HGProblemVecFn)
HG_SETTER(MapJacobianTransposeMult, mapjactmult, HGProblemMultFn)
HG_SETTER(MapJacobianMult, mapjacmult, HGProblemMultFn)
HG_SETTER(MapParamJacobianTransposeMult, mapparamjactmult, HGProblemMultFn)
HG_SETTER(UpperObjective, upperobjective, HGProblemScalarFn)
HG_SETTER(UpperGradient, uppergradient, HGProblemUpperGradientFn)
HG_SETTER(Projection, projection, HGProblemProjectionFn)

/*@C
  HGProblemSetLowerConstantsFunction - a function that gives L and mu of the lower level at a
  given lambda.  When set, every lower-level solve first evaluates it; if L or mu changed, the
  default step of gd and heavy ball (2/(L+mu), or the heavy-ball pair; a -lower_step given by the
  user is kept), the scale of AID-FP (unless -hg_ksp_richardson_scale is given) and the error
  bounds use the constants at that lambda.  Without it, the constants of
  HGProblemSetLowerConstants() hold for every lambda, which can make gd diverge once the outer
  loop has moved lambda far (e.g. a regularization weight that grew past the initial L).

  Logically Collective
@*/
HG_SETTER(LowerConstantsFunction, lowerconstants, HGProblemLowerConstantsFn)

/*@
  HGProblemSetLowerConstants - Lipschitz constant L of grad_w l and strong-convexity constant
  mu (0 = unknown).  They give the optimal steps 2/(L+mu) and the heavy-ball parameters.

  Logically Collective
@*/
PetscErrorCode HGProblemSetLowerConstants(HGProblem prob, PetscReal L, PetscReal mu)
{
  PetscFunctionBegin;
  PetscCheck(L >= 0 && mu >= 0 && mu <= L && !PetscIsInfOrNanReal(L) && !PetscIsInfOrNanReal(mu), PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "Lower-level constants must be finite with 0 <= mu <= L; got L=%g mu=%g", (double)L, (double)mu);
  prob->L  = L;
  prob->mu = mu;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemGetLowerConstants(HGProblem prob, PetscReal *L, PetscReal *mu)
{
  PetscFunctionBegin;
  if (L) *L = prob->L;
  if (mu) *mu = prob->mu;
  PetscFunctionReturn(0);
}

/*@
  HGProblemSetMapContraction - contraction constant q < 1 of Phi(., lambda) (0 = unknown)

  Logically Collective
@*/
PetscErrorCode HGProblemSetMapContraction(HGProblem prob, PetscReal q)
{
  PetscFunctionBegin;
  PetscCheck(q >= 0 && q < 1, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "The contraction constant must lie in [0,1); got %g: a map with q >= 1 is not a contraction and its fixed-point iteration need not converge", (double)q);
  prob->q = q;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemGetMapContraction(HGProblem prob, PetscReal *q)
{
  PetscFunctionBegin;
  *q = prob->q;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemSetSymmetric(HGProblem prob, PetscBool flg)
{
  PetscFunctionBegin;
  prob->symmetric = flg;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemGetSymmetric(HGProblem prob, PetscBool *flg)
{
  PetscFunctionBegin;
  *flg = prob->symmetric;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemSetInitialHyperparameters(HGProblem prob, Vec lambda)
{
  PetscFunctionBegin;
  if (!prob->lambda0) PetscCall(VecDuplicate(lambda, &prob->lambda0));
  PetscCall(VecCopy(lambda, prob->lambda0));
  PetscFunctionReturn(0);
}

/*@
  HGProblemGetInitialHyperparameters - copies the problem's default lambda into the given Vec

  Collective
@*/
PetscErrorCode HGProblemGetInitialHyperparameters(HGProblem prob, Vec lambda)
{
  PetscFunctionBegin;
  PetscCall(HGProblemSetUp(prob));
  PetscCheck(prob->lambda0, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no default hyperparameters: call HGProblemSetInitialHyperparameters()");
  PetscCall(HGProblemCheckVec(prob, lambda, PETSC_TRUE, "lambda"));
  PetscCall(VecCopy(prob->lambda0, lambda));
  PetscFunctionReturn(0);
}

/* Size checks are always on (Debian's PETSc compiles PetscValid* out) */
PetscErrorCode HGProblemCheckVec(HGProblem prob, Vec x, PetscBool lspace, const char name[])
{
  PetscInt N, n, Nt, nt;
  Vec      t = lspace ? prob->ltemplate : prob->wtemplate;

  PetscFunctionBegin;
  PetscCheck(x, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_NULL, "Vector %s is NULL", name);
  PetscValidHeaderSpecific(x, VEC_CLASSID, 2);
  PetscCheck(t, PetscObjectComm((PetscObject)prob), PETSC_ERR_ORDER, "HGProblem has no vector layout yet: call HGProblemSetUp() or HGProblemSetVecTemplates()");
  PetscCall(VecGetSize(x, &N));
  PetscCall(VecGetLocalSize(x, &n));
  PetscCall(VecGetSize(t, &Nt));
  PetscCall(VecGetLocalSize(t, &nt));
  PetscCheck(N == Nt, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_SIZ, "Vector %s has global size %" PetscInt_FMT " but the problem's %s space has size %" PetscInt_FMT ": create it with HGProblemCreateVecs()", name, N, lspace ? "hyperparameter" : "lower-level", Nt);
  PetscCheck(n == nt, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Vector %s has local size %" PetscInt_FMT " but the problem's %s layout has %" PetscInt_FMT " on this rank: create it with HGProblemCreateVecs()", name, n, lspace ? "hyperparameter" : "lower-level", nt);
  PetscFunctionReturn(0);
}

/* ---- evaluation wrappers: the only places user callbacks are called from ---- */
#define HG_CALL_BEGIN(w, l) \
  do { \
    PetscCall(VecLockReadPush(w)); \
    PetscCall(VecLockReadPush(l)); \
  } while (0)
#define HG_CALL_END(w, l) \
  do { \
    PetscCall(VecLockReadPop(w)); \
    PetscCall(VecLockReadPop(l)); \
  } while (0)

PetscErrorCode HGProblemComputeLowerObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *f)
{
  PetscFunctionBegin;
  PetscCheck(prob->lowerobjective, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no lower-level objective: call HGProblemSetLowerObjective() (needed by -lower_type tao and derivative tests)");
  HG_CALL_BEGIN(w, lambda);
  PetscCall((*prob->lowerobjective)(prob, w, lambda, f, prob->ctx));
  HG_CALL_END(w, lambda);
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemComputeLowerGradient(HGProblem prob, Vec w, Vec lambda, Vec g)
{
  PetscFunctionBegin;
  PetscCheck(prob->lowergradient, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no lower-level gradient: call HGProblemSetLowerGradient()");
  PetscCall(PetscLogEventBegin(HGProblem_LowerGradient, prob, w, lambda, g));
  HG_CALL_BEGIN(w, lambda);
  PetscCall((*prob->lowergradient)(prob, w, lambda, g, prob->ctx));
  HG_CALL_END(w, lambda);
  PetscCall(PetscLogEventEnd(HGProblem_LowerGradient, prob, w, lambda, g));
  prob->nlowergrad++;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemComputeLowerHessianMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCheck(prob->hessianmult, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no Hessian-vector product: call HGProblemSetLowerHessianMult()");
  PetscCall(PetscLogEventBegin(HGProblem_HessianMult, prob, w, lambda, x));
  HG_CALL_BEGIN(w, lambda);
  PetscCall(VecLockReadPush(x));
  PetscCall((*prob->hessianmult)(prob, w, lambda, x, y, prob->ctx));
  PetscCall(VecLockReadPop(x));
  HG_CALL_END(w, lambda);
  PetscCall(PetscLogEventEnd(HGProblem_HessianMult, prob, w, lambda, x));
  prob->nhessmult++;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemComputeLowerMixedMultTranspose(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCheck(prob->mixedmulttranspose, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no mixed product: call HGProblemSetLowerMixedMultTranspose()");
  PetscCall(PetscLogEventBegin(HGProblem_MixedMult, prob, w, lambda, x));
  HG_CALL_BEGIN(w, lambda);
  PetscCall(VecLockReadPush(x));
  PetscCall((*prob->mixedmulttranspose)(prob, w, lambda, x, y, prob->ctx));
  PetscCall(VecLockReadPop(x));
  HG_CALL_END(w, lambda);
  PetscCall(PetscLogEventEnd(HGProblem_MixedMult, prob, w, lambda, x));
  prob->nmixed++;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemComputeMap(HGProblem prob, Vec w, Vec lambda, Vec phi)
{
  PetscFunctionBegin;
  PetscCheck(prob->map, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no map Phi: call HGProblemSetMap()");
  PetscCall(PetscLogEventBegin(HGProblem_Map, prob, w, lambda, phi));
  HG_CALL_BEGIN(w, lambda);
  PetscCall((*prob->map)(prob, w, lambda, phi, prob->ctx));
  HG_CALL_END(w, lambda);
  PetscCall(PetscLogEventEnd(HGProblem_Map, prob, w, lambda, phi));
  prob->nmap++;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemComputeMapJacobianTransposeMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCheck(prob->mapjactmult, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no product d_w Phi^T v: call HGProblemSetMapJacobianTransposeMult()");
  PetscCall(PetscLogEventBegin(HGProblem_MapJacT, prob, w, lambda, x));
  HG_CALL_BEGIN(w, lambda);
  PetscCall(VecLockReadPush(x));
  PetscCall((*prob->mapjactmult)(prob, w, lambda, x, y, prob->ctx));
  PetscCall(VecLockReadPop(x));
  HG_CALL_END(w, lambda);
  PetscCall(PetscLogEventEnd(HGProblem_MapJacT, prob, w, lambda, x));
  prob->nmapjact++;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemComputeMapJacobianMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCheck(prob->mapjacmult, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This fixed-point problem has no forward product d_w Phi u, which KSP cgne and lsqr need (they multiply by the transpose of the adjoint operator): call HGProblemSetMapJacobianMult() or use -hg_ksp_type gmres");
  HG_CALL_BEGIN(w, lambda);
  PetscCall(VecLockReadPush(x));
  PetscCall((*prob->mapjacmult)(prob, w, lambda, x, y, prob->ctx));
  PetscCall(VecLockReadPop(x));
  HG_CALL_END(w, lambda);
  prob->nmapjac++;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemComputeMapParamJacobianTransposeMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCheck(prob->mapparamjactmult, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no product d_lambda Phi^T v: call HGProblemSetMapParamJacobianTransposeMult()");
  PetscCall(PetscLogEventBegin(HGProblem_MixedMult, prob, w, lambda, x));
  HG_CALL_BEGIN(w, lambda);
  PetscCall(VecLockReadPush(x));
  PetscCall((*prob->mapparamjactmult)(prob, w, lambda, x, y, prob->ctx));
  PetscCall(VecLockReadPop(x));
  HG_CALL_END(w, lambda);
  PetscCall(PetscLogEventEnd(HGProblem_MixedMult, prob, w, lambda, x));
  prob->nmapparam++;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemComputeUpperObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *E)
{
  PetscFunctionBegin;
  PetscCheck(prob->upperobjective, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no upper objective: call HGProblemSetUpperObjective()");
  PetscCall(PetscLogEventBegin(HGProblem_Upper, prob, w, lambda, 0));
  HG_CALL_BEGIN(w, lambda);
  PetscCall((*prob->upperobjective)(prob, w, lambda, E, prob->ctx));
  HG_CALL_END(w, lambda);
  PetscCall(PetscLogEventEnd(HGProblem_Upper, prob, w, lambda, 0));
  prob->nupper++;
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemComputeUpperGradient(HGProblem prob, Vec w, Vec lambda, Vec gw, Vec gl)
{
  PetscFunctionBegin;
  PetscCheck(prob->uppergradient, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no upper gradient: call HGProblemSetUpperGradient()");
  PetscCall(PetscLogEventBegin(HGProblem_Upper, prob, w, lambda, gw));
  HG_CALL_BEGIN(w, lambda);
  PetscCall((*prob->uppergradient)(prob, w, lambda, gw, gl, prob->ctx));
  HG_CALL_END(w, lambda);
  PetscCall(PetscLogEventEnd(HGProblem_Upper, prob, w, lambda, gw));
  prob->nuppergrad++;
  PetscFunctionReturn(0);
}

/*@
  HGProblemProject - projects lambda onto the feasible set Lambda (no-op without projection)

  Collective
@*/
PetscErrorCode HGProblemProject(HGProblem prob, Vec lambda)
{
  PetscFunctionBegin;
  if (prob->projection) PetscCall((*prob->projection)(prob, lambda, prob->ctx));
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemHasExactHypergradient(HGProblem prob, PetscBool *has)
{
  PetscFunctionBegin;
  *has = prob->ops->exacthypergradient ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
  HGProblemComputeExactHypergradient - the hypergradient from the problem's closed form or a
  direct solve (independent of the iterative methods), and f(lambda) if f is not NULL

  Collective
@*/
PetscErrorCode HGProblemComputeExactHypergradient(HGProblem prob, Vec lambda, Vec grad, PetscReal *f)
{
  PetscFunctionBegin;
  PetscCall(HGProblemSetUp(prob));
  PetscCall(HGProblemCheckVec(prob, lambda, PETSC_TRUE, "lambda"));
  PetscCall(HGProblemCheckVec(prob, grad, PETSC_TRUE, "grad"));
  PetscUseTypeMethod(prob, exacthypergradient, lambda, grad, f);
  PetscFunctionReturn(0);
}

/* ---- the unified fixed-point view used by the solvers ---- */
PetscErrorCode HGProblemApplyMap(HGProblem prob, PetscReal alpha, Vec w, Vec lambda, Vec out)
{
  PetscFunctionBegin;
  if (prob->form == HG_FORM_OPTIMIZATION) {
    PetscCall(HGProblemComputeLowerGradient(prob, w, lambda, out));
    PetscCall(VecAYPX(out, -alpha, w));
  } else PetscCall(HGProblemComputeMap(prob, w, lambda, out));
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemApplyMapJacobianTranspose(HGProblem prob, PetscReal alpha, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  if (prob->form == HG_FORM_OPTIMIZATION) {
    PetscCall(HGProblemComputeLowerHessianMult(prob, w, lambda, x, y));
    PetscCall(VecAYPX(y, -alpha, x));
  } else PetscCall(HGProblemComputeMapJacobianTransposeMult(prob, w, lambda, x, y));
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemApplyMapParamJacobianTranspose(HGProblem prob, PetscReal alpha, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  if (prob->form == HG_FORM_OPTIMIZATION) {
    PetscCall(HGProblemComputeLowerMixedMultTranspose(prob, w, lambda, x, y));
    PetscCall(VecScale(y, -alpha));
  } else PetscCall(HGProblemComputeMapParamJacobianTransposeMult(prob, w, lambda, x, y));
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemAdjointMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  if (prob->form == HG_FORM_OPTIMIZATION) PetscCall(HGProblemComputeLowerHessianMult(prob, w, lambda, x, y));
  else {
    PetscCall(HGProblemComputeMapJacobianTransposeMult(prob, w, lambda, x, y));
    PetscCall(VecAYPX(y, -1.0, x));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemAdjointMultTranspose(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  if (prob->form == HG_FORM_OPTIMIZATION) PetscCall(HGProblemComputeLowerHessianMult(prob, w, lambda, x, y));
  else {
    PetscCall(HGProblemComputeMapJacobianMult(prob, w, lambda, x, y));
    PetscCall(VecAYPX(y, -1.0, x));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemAdjointAddParamTerm(HGProblem prob, Vec w, Vec lambda, Vec v, Vec work, Vec h)
{
  PetscFunctionBegin;
  if (prob->form == HG_FORM_OPTIMIZATION) {
    PetscCall(HGProblemComputeLowerMixedMultTranspose(prob, w, lambda, v, work));
    PetscCall(VecAXPY(h, -1.0, work));
  } else {
    PetscCall(HGProblemComputeMapParamJacobianTransposeMult(prob, w, lambda, v, work));
    PetscCall(VecAXPY(h, 1.0, work));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemLowerResidualNorm(HGProblem prob, Vec w, Vec lambda, Vec work, PetscReal *r)
{
  PetscFunctionBegin;
  if (prob->form == HG_FORM_OPTIMIZATION) PetscCall(HGProblemComputeLowerGradient(prob, w, lambda, work));
  else {
    PetscCall(HGProblemComputeMap(prob, w, lambda, work));
    PetscCall(VecAXPY(work, -1.0, w));
  }
  PetscCall(VecNorm(work, NORM_2, r));
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemSetOptimizationCallbacks(HGProblem prob, void *ctx, HGProblemScalarFn lowerobj, HGProblemVecFn lowergrad, HGProblemMultFn hess, HGProblemMultFn mixed, HGProblemScalarFn upperobj, HGProblemUpperGradientFn uppergrad)
{
  PetscFunctionBegin;
  PetscCall(HGProblemSetContext(prob, ctx, NULL));
  PetscCall(HGProblemSetLowerObjective(prob, lowerobj));
  PetscCall(HGProblemSetLowerGradient(prob, lowergrad));
  PetscCall(HGProblemSetLowerHessianMult(prob, hess));
  PetscCall(HGProblemSetLowerMixedMultTranspose(prob, mixed));
  PetscCall(HGProblemSetUpperObjective(prob, upperobj));
  PetscCall(HGProblemSetUpperGradient(prob, uppergrad));
  PetscFunctionReturn(0);
}

/*@C
  HGProblemSetAccuracy - sets the callback that gives the validation and test accuracy of the
  problem's classifier at (w, lambda); the outer loop monitors and records it

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn   - the callback; it sets NaN for a set the problem does not have

  Level: intermediate

.seealso: HGProblemComputeAccuracy(), HGOuterMonitorDefault()
@*/
PetscErrorCode HGProblemSetAccuracy(HGProblem prob, HGProblemAccuracyFn fn)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  prob->accuracy = fn;
  PetscFunctionReturn(0);
}

/*@C
  HGProblemComputeAccuracy - validation and test accuracy at (w, lambda); NaN for both when
  the problem has no classifier

  Collective

.seealso: HGProblemSetAccuracy()
@*/
PetscErrorCode HGProblemComputeAccuracy(HGProblem prob, Vec w, Vec lambda, PetscReal *val, PetscReal *test)
{
  PetscReal a = PETSC_MAX_REAL, b = PETSC_MAX_REAL;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  *val = *test = (PetscReal)NAN;
  if (!prob->accuracy) PetscFunctionReturn(0);
  PetscCall((*prob->accuracy)(prob, w, lambda, &a, &b, prob->ctx));
  *val  = a;
  *test = b;
  PetscFunctionReturn(0);
}
