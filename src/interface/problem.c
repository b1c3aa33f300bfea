/* HGProblem: the bilevel problem as callbacks on distributed Vecs. */
#include <hypergrad/hgimpl.h>

/*@C
  HGProblemRegister - adds a problem type to the catalogue chosen with -problem

  Not Collective

  Input Parameters:
+ name - the name of the type (the value of -problem)
- create - the function that fills in the problem: its callbacks, ops and data

  Notes:
  A built-in problem is one file of src/problems/ whose create function sets prob->ops (setup,
  setfromoptions, view, destroy, exacthypergradient); see include/hypergrad/hgimpl.h.

  Level: advanced

.seealso: HGProblemSetType(), HGProblemCreate()
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
PETSC_INTERN PetscErrorCode HGProblemCreate_Multi(HGProblem);
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
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMMULTI, HGProblemCreate_Multi));
  PetscCall(PetscFunctionListAdd(&HGProblemList, HGPROBLEMDENOISE, HGProblemCreate_Denoise));
  PetscFunctionReturn(0);
}

/*@
  HGProblemCreate - creates a bilevel problem.  Without HGProblemSetType() it is a "shell"
  problem whose callbacks the user sets.

  Collective

  Input Parameter:
. comm - the communicator of the problem and of its vectors

  Output Parameter:
. prob - the new problem

  Level: beginner

.seealso: HGProblemSetType(), HGProblemSetVecTemplates(), HGProblemSetLowerGradient(), HGProblemSetMap(), HGProblemDestroy()
@*/
PetscErrorCode HGProblemCreate(MPI_Comm comm, HGProblem *prob)
{
  HGProblem p;

  PetscFunctionBegin;
  PetscAssertPointer(prob, 2);
  PetscCall(HGInitializePackage());
  PetscCall(PetscHeaderCreate(p, HGPROBLEM_CLASSID, "HGProblem", "Bilevel problem", "HG", comm, HGProblemDestroy, HGProblemView));
  p->symmetric = PETSC_TRUE;
  p->fd_type   = HG_FD_WP;
  p->fd_err    = PETSC_SQRT_MACHINE_EPSILON;
  p->fd_umin   = 1e-6;
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
  prob->lowerparamgradient = NULL;
  prob->fd_hess = prob->fd_mixed = prob->fd_mapjac = prob->fd_mapjact = prob->fd_mapparam = PETSC_FALSE;
  prob->symmetric_set = PETSC_FALSE;
  PetscCall(HGProblemFDDestroy(prob));
  prob->boundconstants = NULL;
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

  Input Parameters:
+ prob - the problem
- type - HGPROBLEMSHELL (user callbacks), HGPROBLEMQUADRATIC, HGPROBLEMBIASREG, HGPROBLEMKRR, HGPROBLEMLOGREG, HGPROBLEMHYPERREP, HGPROBLEMMLOGREG, HGPROBLEMHYPERCLEAN, HGPROBLEMDISTILL, HGPROBLEMEQM or a registered name

  Options Database Key:
. -problem <quadratic,biasreg,krr,logreg,shell> - the problem

  Notes:
  Choosing another type discards the callbacks and constants set so far.

  Level: beginner

.seealso: HGProblemRegister(), HGProblemSetFromOptions()
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

/*@
  HGProblemGetType - the type of the problem

  Not Collective

  Input Parameter:
. prob - the problem

  Output Parameter:
. type - its type name (owned by the problem)

  Level: beginner

.seealso: HGProblemSetType()
@*/
PetscErrorCode HGProblemGetType(HGProblem prob, HGProblemType *type)
{
  PetscFunctionBegin;
  *type = ((PetscObject)prob)->type_name;
  PetscFunctionReturn(0);
}

/*@C
  HGProblemSetOptionsPrefix - sets the prefix of all the problem's option names

  Logically Collective

  Input Parameters:
+ prob - the problem
- prefix - the prefix, without the leading -

  Level: intermediate

.seealso: HGProblemSetFromOptions()
@*/
PetscErrorCode HGProblemSetOptionsPrefix(HGProblem prob, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)prob, prefix));
  PetscFunctionReturn(0);
}

/*@
  HGProblemSetFromOptions - chooses the problem from -problem and reads its options

  Collective

  Input Parameter:
. prob - the problem

  Options Database Keys:
+ -problem <type> - the problem type
. -problem_fd_products <false> - take the second-derivative products by central differences even where the problem gives them
. -problem_fd_type <wp,ds> - how the step of those differences is chosen (as MatMFFD)
. -problem_fd_err <sqrt(eps)> - relative error of the function evaluations that scales the step
- -problem_fd_umin <1e-6> - the ds safeguard

  Notes:
  Also reads the options of the chosen type (-quad_*, -br_*, -krr_*, -lr_*, -hr_*, -mlr_*,
  -hc_*, -ds_*, -eqm_* and -data_*).

  Level: beginner

.seealso: HGProblemSetType(), HGProblemSetFiniteDifferences()
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
  PetscCall(PetscOptionsBool("-problem_fd_products", "Take the Hessian and mixed products (or the map's Jacobian products; d_w Phi^T only when declared symmetric) by central differences even where the problem gives them", "HGProblemSetFiniteDifferences", prob->fd_force, &prob->fd_force, NULL));
  PetscCall(PetscOptionsEnum("-problem_fd_type", "Step of the central differences: wp (Walker-Pernice) or ds (Dennis-Schnabel), as MatMFFD", "HGProblemSetFiniteDifferences", HGFDTypes, (PetscEnum)prob->fd_type, (PetscEnum *)&prob->fd_type, NULL));
  PetscCall(PetscOptionsReal("-problem_fd_err", "Relative error of the function evaluations that sets the step (MatMFFD's -mat_mffd_err)", "HGProblemSetFiniteDifferences", prob->fd_err, &prob->fd_err, NULL));
  PetscCall(PetscOptionsReal("-problem_fd_umin", "Minimum |u.a| relative to ||a||_1 of the ds step (MatMFFD's -mat_mffd_umin)", "HGProblemSetFiniteDifferences", prob->fd_umin, &prob->fd_umin, NULL));
  PetscCheck(prob->fd_err > 0 && prob->fd_err < 1 && prob->fd_umin > 0, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "-problem_fd_err must lie in (0,1) and -problem_fd_umin be positive; got %g and %g", (double)prob->fd_err, (double)prob->fd_umin);
  prob->setupcalled = PETSC_FALSE;
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
  PetscCheck(!prob->lowerparamgradient || !prob->map, comm, PETSC_ERR_ARG_WRONGSTATE, "HGProblem has a map Phi (fixed-point form) and grad_lambda l (optimization form): HGProblemSetLowerParamGradient() belongs to the optimization form");
  /* products not given (or all, with -problem_fd_products) are taken by central differences */
  prob->fd_hess = prob->fd_mixed = prob->fd_mapjac = prob->fd_mapjact = prob->fd_mapparam = PETSC_FALSE;
  if (prob->lowergradient) {
    prob->form      = HG_FORM_OPTIMIZATION;
    prob->fd_hess   = (PetscBool)(!prob->hessianmult || prob->fd_force);
    prob->fd_mixed  = (PetscBool)(!prob->mixedmulttranspose || prob->fd_force);
    prob->symmetric = PETSC_TRUE;
  } else if (prob->map) {
    prob->form       = HG_FORM_FIXEDPOINT;
    prob->fd_mapjac  = (PetscBool)(!prob->mapjacmult || prob->fd_force);
    /* d_w Phi^T from differences of Phi only when d_w Phi is declared symmetric */
    prob->fd_mapjact = (PetscBool)(!prob->mapjactmult || (prob->fd_force && prob->symmetric_set && prob->symmetric));
    PetscCheck(!prob->fd_mapjact || (prob->symmetric_set && prob->symmetric), comm, PETSC_ERR_ARG_WRONGSTATE, "Fixed-point HGProblem needs d_w Phi^T v: call HGProblemSetMapJacobianTransposeMult(), or, if d_w Phi is symmetric, HGProblemSetSymmetric(prob, PETSC_TRUE) and it is taken by central differences of Phi");
    prob->fd_mapparam = (PetscBool)(!prob->mapparamjactmult || prob->fd_force);
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

  Input Parameter:
. prob - the problem

  Notes:
  Called by HGSetUp(); errors name the missing callback.  Products that are not given are then
  marked to be taken by central differences (see HGProblemSetFiniteDifferences()).

  Level: intermediate

.seealso: HGProblemSetVecTemplates(), HGProblemGetForm()
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

/*@
  HGProblemView - prints the problem: type, form, dimensions, constants

  Collective

  Input Parameters:
+ prob - the problem
- viewer - an ASCII viewer, or NULL for stdout

  Level: beginner

.seealso: HGView()
@*/
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

/*@
  HGProblemDestroy - destroys a problem (and calls the context destroy function given to
  HGProblemSetContext())

  Collective

  Input Parameter:
. prob - the problem, set to NULL

  Level: beginner

.seealso: HGProblemCreate()
@*/
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
  PetscCall(HGProblemFDDestroy(*prob));
  if ((*prob)->ctxdestroy) PetscCall((*(*prob)->ctxdestroy)((*prob)->ctx));
  PetscCall(VecDestroy(&(*prob)->wtemplate));
  PetscCall(VecDestroy(&(*prob)->ltemplate));
  PetscCall(VecDestroy(&(*prob)->lambda0));
  PetscCall(PetscHeaderDestroy(prob));
  PetscFunctionReturn(0);
}

/*@
  HGProblemSetContext - the user context passed as the last argument of every callback

  Logically Collective

  Input Parameters:
+ prob - the problem
. ctx - the context (may be NULL)
- destroy - called with ctx by HGProblemDestroy(), or NULL

  Level: beginner

.seealso: HGProblemGetContext()
@*/
PetscErrorCode HGProblemSetContext(HGProblem prob, void *ctx, PetscErrorCode (*destroy)(void *))
{
  PetscFunctionBegin;
  prob->ctx        = ctx;
  prob->ctxdestroy = destroy;
  PetscFunctionReturn(0);
}

/*@
  HGProblemGetContext - the user context given to HGProblemSetContext()

  Not Collective

  Input Parameter:
. prob - the problem

  Output Parameter:
. ctx - the address of a pointer that receives the context

  Level: beginner

.seealso: HGProblemSetContext()
@*/
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

  Input Parameters:
+ prob - the problem
. w - a vector with the layout of the lower-level variable
- lambda - a vector with the layout of the hyperparameters

  Notes:
  Every callback receives vectors of exactly these layouts; HGProblemCreateVecs() creates new ones.

  Level: beginner

.seealso: HGProblemCreateVecs()
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

  Input Parameter:
. prob - the problem

  Output Parameters:
+ w - a new vector in the space of w, or NULL
- lambda - a new vector in the space of lambda, or NULL

  Notes:
  Sets the problem up first (a built-in problem builds its data).

  Level: beginner

.seealso: HGProblemSetVecTemplates()
@*/
PetscErrorCode HGProblemCreateVecs(HGProblem prob, Vec *w, Vec *lambda)
{
  PetscFunctionBegin;
  PetscCall(HGProblemSetUp(prob));
  if (w) PetscCall(VecDuplicate(prob->wtemplate, w));
  if (lambda) PetscCall(VecDuplicate(prob->ltemplate, lambda));
  PetscFunctionReturn(0);
}

/*@
  HGProblemGetForm - which form the callbacks describe

  Not Collective

  Input Parameter:
. prob - the problem

  Output Parameter:
. form - HG_FORM_OPTIMIZATION, HG_FORM_FIXEDPOINT, or HG_FORM_NONE before HGProblemSetUp()

  Level: intermediate

.seealso: HGProblemSetUp()
@*/
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
/*@C
  HGProblemSetLowerObjective - sets the lower-level objective l(w, lambda) (optimization form)

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemScalarFn: *value = l(w, lambda)

  Notes:
  Optional: needed by -lower_type tao and by HGProblemTestDerivatives().

  Level: beginner

.seealso: HGProblemScalarFn, HGProblemSetLowerGradient()
@*/
HG_SETTER(LowerObjective, lowerobjective, HGProblemScalarFn)
/*@C
  HGProblemSetLowerGradient - sets grad_w l(w, lambda), which makes the problem one of the
  optimization form

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemVecFn: out = grad_w l(w, lambda), out in the space of w, overwritten

  Notes:
  The lower level is then Phi(w, lambda) = w - alpha grad_w l(w, lambda) with l strongly
  convex in w.  Without HGProblemSetLowerHessianMult() and
  HGProblemSetLowerMixedMultTranspose() the second derivatives are taken by central
  differences of this gradient (approximate; see HGProblemSetFiniteDifferences()).

  Level: beginner

.seealso: HGProblemVecFn, HGProblemSetLowerHessianMult(), HGProblemSetLowerMixedMultTranspose(), HGProblemSetMap()
@*/
HG_SETTER(LowerGradient, lowergradient, HGProblemVecFn)
/*@C
  HGProblemSetLowerHessianMult - sets the Hessian-vector product y = grad_ww l(w, lambda) x
  (optimization form)

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemMultFn: x and y in the space of w, y overwritten

  Notes:
  Optional: without it H x is taken as (grad_w l(w + h x) - grad_w l(w - h x)) / 2h (two
  gradients per product, approximate).

  Level: beginner

.seealso: HGProblemMultFn, HGProblemSetFiniteDifferences()
@*/
HG_SETTER(LowerHessianMult, hessianmult, HGProblemMultFn)
/*@C
  HGProblemSetLowerMixedMultTranspose - sets the mixed product y = (d_lambda grad_w l(w,
  lambda))^T x (optimization form)

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemMultFn: x in the space of w, y in the space of lambda, y overwritten

  Notes:
  d_lambda grad_w l is the (dim w) x (dim lambda) matrix of derivatives of grad_w l in lambda;
  the hypergradient is grad_lambda E - (d_lambda grad_w l)^T v with H v = grad_w E, so y
  enters with a minus sign; the callback returns the product itself.
  Optional: without it the product is taken by central differences: of grad_lambda l along x
  when HGProblemSetLowerParamGradient() gives it, else one difference of grad_w l per
  hyperparameter (2 dim lambda gradients per product).

  Level: beginner

.seealso: HGProblemMultFn, HGProblemSetLowerParamGradient()
@*/
HG_SETTER(LowerMixedMultTranspose, mixedmulttranspose, HGProblemMultFn)
/*@C
  HGProblemSetMap - sets the map Phi(w, lambda), which makes the problem one of the fixed-point
  form

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemVecFn: out = Phi(w, lambda), out in the space of w, overwritten

  Notes:
  Phi(., lambda) must be a contraction; the lower level is w = Phi(w, lambda).

  Level: beginner

.seealso: HGProblemVecFn, HGProblemSetMapJacobianTransposeMult(), HGProblemSetMapParamJacobianTransposeMult(), HGProblemSetMapContraction()
@*/
HG_SETTER(Map, map, HGProblemVecFn)
/*@C
  HGProblemSetMapJacobianTransposeMult - sets y = d_w Phi(w, lambda)^T x (fixed-point form)

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemMultFn: x and y in the space of w, y overwritten

  Notes:
  Required unless HGProblemSetSymmetric(prob, PETSC_TRUE) declares d_w Phi symmetric; then it
  may be left out and is taken by central differences of Phi (approximate).  The adjoint
  operator of aid is I - d_w Phi^T.

  Level: beginner

.seealso: HGProblemMultFn, HGProblemSetMapJacobianMult()
@*/
HG_SETTER(MapJacobianTransposeMult, mapjactmult, HGProblemMultFn)
/*@C
  HGProblemSetMapJacobianMult - sets the forward product y = d_w Phi(w, lambda) u (fixed-point
  form)

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemMultFn: u (x) and y in the space of w, y overwritten

  Notes:
  Used by -hg_ksp_type cgne and lsqr; without it the product is taken by central differences
  of Phi (approximate).

  Level: intermediate

.seealso: HGProblemMultFn, HGProblemSetMapJacobianTransposeMult()
@*/
HG_SETTER(MapJacobianMult, mapjacmult, HGProblemMultFn)
/*@C
  HGProblemSetMapParamJacobianTransposeMult - sets y = d_lambda Phi(w, lambda)^T x (fixed-point
  form)

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemMultFn: x in the space of w, y in the space of lambda, y overwritten

  Notes:
  The hypergradient is grad_lambda E + d_lambda Phi^T v with (I - d_w Phi^T) v = grad_w E
  (plus sign).  Optional: without it, entry j is taken as x . (Phi(w, lambda + h e_j) - Phi(w,
  lambda - h e_j)) / 2h (2 dim lambda maps per product, approximate).

  Level: beginner

.seealso: HGProblemMultFn
@*/
HG_SETTER(MapParamJacobianTransposeMult, mapparamjactmult, HGProblemMultFn)
/*@C
  HGProblemSetUpperObjective - sets the upper-level objective E(w, lambda)

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemScalarFn: *value = E(w, lambda)

  Notes:
  f(lambda) = E(w(lambda), lambda) is the function whose gradient is computed.

  Level: beginner

.seealso: HGProblemScalarFn, HGProblemSetUpperGradient()
@*/
HG_SETTER(UpperObjective, upperobjective, HGProblemScalarFn)
/*@C
  HGProblemSetUpperGradient - sets the gradients grad_w E(w, lambda) and grad_lambda E(w,
  lambda)

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemUpperGradientFn: both outputs overwritten

  Level: beginner

.seealso: HGProblemUpperGradientFn, HGProblemSetUpperObjective()
@*/
HG_SETTER(UpperGradient, uppergradient, HGProblemUpperGradientFn)
/*@C
  HGProblemSetProjection - sets the projection onto the feasible set Lambda of the
  hyperparameters

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemProjectionFn: lambda replaced in place by its projection

  Notes:
  The outer loop projects after every step; HGProblemProject() applies it.

  Level: intermediate

.seealso: HGProblemProjectionFn, HGProblemProject()
@*/
HG_SETTER(Projection, projection, HGProblemProjectionFn)
/*@C
  HGProblemSetLowerParamGradient - sets grad_lambda l(w, lambda), used only to take the mixed
  product by differences

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemVecFn: out = grad_lambda l(w, lambda), out in the space of lambda, overwritten

  Notes:
  For a problem that gives first derivatives only: (d_lambda grad_w l)^T x = d_w (grad_lambda
  l) x is then (grad_lambda l(w + h x) - grad_lambda l(w - h x)) / 2h, two evaluations per
  product instead of 2 dim lambda gradients.  Ignored when
  HGProblemSetLowerMixedMultTranspose() is given.

  Level: intermediate

.seealso: HGProblemSetLowerMixedMultTranspose(), HGProblemSetFiniteDifferences()
@*/
HG_SETTER(LowerParamGradient, lowerparamgradient, HGProblemVecFn)

/*@
  HGProblemSetFiniteDifferences - how the products a problem does not give are taken by central
  differences

  Logically Collective

  Input Parameters:
+ prob - the problem
. type - HG_FD_WP (Walker-Pernice: h = err sqrt(1 + ||u||)/||a||) or HG_FD_DS (Dennis-Schnabel: h = err max(|u.a|, umin ||a||_1)/||a||^2), as MatMFFD chooses the step at u along a
. err - relative error of the function evaluations (default sqrt(machine epsilon)), or PETSC_DEFAULT
- umin - the ds safeguard (default 1e-6), or PETSC_DEFAULT

  Options Database Keys:
+ -problem_fd_type <wp,ds> - the type
. -problem_fd_err <err> - err
. -problem_fd_umin <umin> - umin
- -problem_fd_products - difference every product, also those the problem gives

  Notes:
  u is w (or lambda for the per-hyperparameter differences) and a the direction.  The step is
  sized for one-sided differences as in MatMFFD; for central differences err = 6e-6 (about
  eps^(1/3)) is often more accurate.  With differenced products HGInfo.approximate_products is
  set and the error bounds are not rigorous.

  Level: intermediate

.seealso: HGProblemGetApproximateProducts(), HGProblemSetLowerGradient(), MATMFFD_WP, MATMFFD_DS
@*/
PetscErrorCode HGProblemSetFiniteDifferences(HGProblem prob, HGFDType type, PetscReal err, PetscReal umin)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  PetscCheck(type == HG_FD_WP || type == HG_FD_DS, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "Unknown finite-difference step type %d: use HG_FD_WP or HG_FD_DS", (int)type);
  if (err != (PetscReal)PETSC_DEFAULT) {
    PetscCheck(err > 0 && err < 1, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "The relative error err of the finite differences must lie in (0,1); got %g", (double)err);
    prob->fd_err = err;
  }
  if (umin != (PetscReal)PETSC_DEFAULT) {
    PetscCheck(umin > 0, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "umin of the finite differences must be positive; got %g", (double)umin);
    prob->fd_umin = umin;
  }
  prob->fd_type = type;
  PetscFunctionReturn(0);
}

/*@
  HGProblemGetApproximateProducts - whether some second-derivative products are taken by
  central differences

  Collective

  Input Parameter:
. prob - the problem

  Output Parameter:
. flg - PETSC_TRUE when the Hessian, mixed, d_w Phi^T or d_lambda Phi^T product is differenced

  Notes:
  Sets the problem up first.

  Level: intermediate

.seealso: HGProblemSetFiniteDifferences()
@*/
PetscErrorCode HGProblemGetApproximateProducts(HGProblem prob, PetscBool *flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  PetscCall(HGProblemSetUp(prob));
  *flg = (PetscBool)(prob->fd_hess || prob->fd_mixed || prob->fd_mapjact || prob->fd_mapparam);
  PetscFunctionReturn(0);
}

/*@C
  HGProblemSetLowerConstantsFunction - a function that gives L and mu of the lower level at a
  given lambda.  When set, every lower-level solve first evaluates it; if L or mu changed, the
  default step of gd and heavy ball (2/(L+mu), or the heavy-ball pair; a -lower_step given by the
  user is kept), the scale of AID-FP (unless -hg_ksp_richardson_scale is given) and the error
  bounds use the constants at that lambda.  Without it, the constants of
  HGProblemSetLowerConstants() hold for every lambda, which can make gd diverge once the outer
  loop has moved lambda far (e.g. a regularization weight that grew past the initial L).

  Logically Collective

  Input Parameters:
+ prob - the problem
- fn - the callback, an HGProblemLowerConstantsFn

  Level: intermediate

.seealso: HGProblemLowerConstantsFn, HGProblemSetLowerConstants()
@*/
HG_SETTER(LowerConstantsFunction, lowerconstants, HGProblemLowerConstantsFn)

/*@
  HGProblemSetLowerConstants - Lipschitz constant L of grad_w l and strong-convexity constant
  mu (0 = unknown).  They give the optimal steps 2/(L+mu) and the heavy-ball parameters.

  Logically Collective

  Input Parameters:
+ prob - the problem
. L - Lipschitz constant of grad_w l(., lambda), >= 0 (0: unknown)
- mu - strong-convexity constant of l(., lambda), 0 <= mu <= L (0: unknown)

  Level: beginner

.seealso: HGProblemSetLowerConstantsFunction(), HGProblemGetLowerConstants()
@*/
PetscErrorCode HGProblemSetLowerConstants(HGProblem prob, PetscReal L, PetscReal mu)
{
  PetscFunctionBegin;
  PetscCheck(L >= 0 && mu >= 0 && mu <= L && !PetscIsInfOrNanReal(L) && !PetscIsInfOrNanReal(mu), PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "Lower-level constants must be finite with 0 <= mu <= L; got L=%g mu=%g", (double)L, (double)mu);
  prob->L  = L;
  prob->mu = mu;
  PetscFunctionReturn(0);
}

/*@
  HGProblemGetLowerConstants - the constants L and mu currently in use

  Not Collective

  Input Parameter:
. prob - the problem

  Output Parameters:
+ L - Lipschitz constant of grad_w l (or NULL)
- mu - strong-convexity constant (or NULL)

  Level: intermediate

.seealso: HGProblemSetLowerConstants()
@*/
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

  Input Parameters:
+ prob - the problem
- q - an upper bound on the Lipschitz constant of Phi(., lambda), in [0, 1) (0: unknown)

  Level: intermediate

.seealso: HGProblemGetMapContraction(), HGProblemSetMap()
@*/
PetscErrorCode HGProblemSetMapContraction(HGProblem prob, PetscReal q)
{
  PetscFunctionBegin;
  PetscCheck(q >= 0 && q < 1, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "The contraction constant must lie in [0,1); got %g: a map with q >= 1 is not a contraction and its fixed-point iteration need not converge", (double)q);
  prob->q = q;
  PetscFunctionReturn(0);
}

/*@
  HGProblemGetMapContraction - the contraction constant q in use (0: unknown)

  Not Collective

  Input Parameter:
. prob - the problem

  Output Parameter:
. q - the constant

  Level: intermediate

.seealso: HGProblemSetMapContraction()
@*/
PetscErrorCode HGProblemGetMapContraction(HGProblem prob, PetscReal *q)
{
  PetscFunctionBegin;
  *q = prob->q;
  PetscFunctionReturn(0);
}

/*@
  HGProblemSetSymmetric - declares whether d_w Phi is symmetric (fixed-point form)

  Logically Collective

  Input Parameters:
+ prob - the problem
- flg - PETSC_TRUE when d_w Phi(w, lambda) is symmetric

  Notes:
  The optimization form is always symmetric (the Hessian).  For a fixed-point problem a
  symmetric Jacobian lets the adjoint KSP default to CG and lets d_w Phi^T be taken by
  differences of Phi when HGProblemSetMapJacobianTransposeMult() is not given.

  Level: intermediate

.seealso: HGProblemGetSymmetric()
@*/
PetscErrorCode HGProblemSetSymmetric(HGProblem prob, PetscBool flg)
{
  PetscFunctionBegin;
  prob->symmetric     = flg;
  prob->symmetric_set = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*@
  HGProblemGetSymmetric - whether d_w Phi (or the Hessian) is symmetric

  Not Collective

  Input Parameter:
. prob - the problem

  Output Parameter:
. flg - the flag

  Level: intermediate

.seealso: HGProblemSetSymmetric()
@*/
PetscErrorCode HGProblemGetSymmetric(HGProblem prob, PetscBool *flg)
{
  PetscFunctionBegin;
  *flg = prob->symmetric;
  PetscFunctionReturn(0);
}

/*@
  HGProblemSetInitialHyperparameters - sets the default lambda of the problem (copied),
  returned by HGProblemGetInitialHyperparameters()

  Collective

  Input Parameters:
+ prob - the problem
- lambda - a vector in the space of lambda

  Level: intermediate

.seealso: HGProblemGetInitialHyperparameters()
@*/
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

  Input Parameter:
. prob - the problem

  Output Parameter:
. lambda - receives the default hyperparameters (a vector in the space of lambda)

  Level: beginner

.seealso: HGProblemSetInitialHyperparameters()
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

/*@
  HGProblemComputeLowerObjective - evaluates l(w, lambda)

  Collective

  Input Parameters:
+ prob - the problem
. w - point in the space of w
- lambda - hyperparameters

  Output Parameter:
. value - l(w, lambda)

  Notes:
  Every call into user code goes through these functions: they lock the inputs read-only, log
  an event and count the evaluation.

  Level: developer

.seealso: HGProblemSetLowerObjective()
@*/
PetscErrorCode HGProblemComputeLowerObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *f)
{
  PetscFunctionBegin;
  PetscCheck(prob->lowerobjective, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no lower-level objective: call HGProblemSetLowerObjective() (needed by -lower_type tao and derivative tests)");
  HG_CALL_BEGIN(w, lambda);
  PetscCall((*prob->lowerobjective)(prob, w, lambda, f, prob->ctx));
  HG_CALL_END(w, lambda);
  PetscFunctionReturn(0);
}

/*@
  HGProblemComputeLowerGradient - evaluates grad_w l(w, lambda)

  Collective

  Input Parameters:
+ prob - the problem
. w - point in the space of w
- lambda - hyperparameters

  Output Parameter:
. g - grad_w l(w, lambda), in the space of w (overwritten)

  Notes:
  Every call into user code goes through these functions: they lock the inputs read-only, log
  an event and count the evaluation.

  Level: developer

.seealso: HGProblemSetLowerGradient()
@*/
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

/*@
  HGProblemComputeLowerHessianMult - evaluates y = grad_ww l(w, lambda) x, by the callback or
  by central differences of the gradient

  Collective

  Input Parameters:
+ prob - the problem
. w - point
. lambda - hyperparameters
- x - direction in the space of w

  Output Parameter:
. y - the product, in the space of w (overwritten)

  Notes:
  Every call into user code goes through these functions: they lock the inputs read-only, log
  an event and count the evaluation.

  Level: developer

.seealso: HGProblemSetLowerHessianMult()
@*/
PetscErrorCode HGProblemComputeLowerHessianMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCheck(prob->hessianmult || prob->fd_hess, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no Hessian-vector product: call HGProblemSetLowerHessianMult()");
  PetscCall(PetscLogEventBegin(HGProblem_HessianMult, prob, w, lambda, x));
  HG_CALL_BEGIN(w, lambda);
  PetscCall(VecLockReadPush(x));
  if (prob->fd_hess) PetscCall(HGProblemFDHessianMult(prob, w, lambda, x, y));
  else PetscCall((*prob->hessianmult)(prob, w, lambda, x, y, prob->ctx));
  PetscCall(VecLockReadPop(x));
  HG_CALL_END(w, lambda);
  PetscCall(PetscLogEventEnd(HGProblem_HessianMult, prob, w, lambda, x));
  prob->nhessmult++;
  PetscFunctionReturn(0);
}

/*@
  HGProblemComputeLowerMixedMultTranspose - evaluates y = (d_lambda grad_w l(w, lambda))^T x,
  by the callback or by central differences

  Collective

  Input Parameters:
+ prob - the problem
. w - point
. lambda - hyperparameters
- x - vector in the space of w

  Output Parameter:
. y - the product, in the space of lambda (overwritten)

  Notes:
  Every call into user code goes through these functions: they lock the inputs read-only, log
  an event and count the evaluation.

  Level: developer

.seealso: HGProblemSetLowerMixedMultTranspose()
@*/
PetscErrorCode HGProblemComputeLowerMixedMultTranspose(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCheck(prob->mixedmulttranspose || prob->fd_mixed, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no mixed product: call HGProblemSetLowerMixedMultTranspose()");
  PetscCall(PetscLogEventBegin(HGProblem_MixedMult, prob, w, lambda, x));
  HG_CALL_BEGIN(w, lambda);
  PetscCall(VecLockReadPush(x));
  if (prob->fd_mixed) PetscCall(HGProblemFDMixedMultTranspose(prob, w, lambda, x, y));
  else PetscCall((*prob->mixedmulttranspose)(prob, w, lambda, x, y, prob->ctx));
  PetscCall(VecLockReadPop(x));
  HG_CALL_END(w, lambda);
  PetscCall(PetscLogEventEnd(HGProblem_MixedMult, prob, w, lambda, x));
  prob->nmixed++;
  PetscFunctionReturn(0);
}

/*@
  HGProblemComputeMap - evaluates Phi(w, lambda)

  Collective

  Input Parameters:
+ prob - the problem
. w - point
- lambda - hyperparameters

  Output Parameter:
. phi - Phi(w, lambda), in the space of w (overwritten)

  Notes:
  Every call into user code goes through these functions: they lock the inputs read-only, log
  an event and count the evaluation.

  Level: developer

.seealso: HGProblemSetMap()
@*/
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

/*@
  HGProblemComputeMapJacobianTransposeMult - evaluates y = d_w Phi(w, lambda)^T x

  Collective

  Input Parameters:
+ prob - the problem
. w - point
. lambda - hyperparameters
- x - vector in the space of w

  Output Parameter:
. y - the product, in the space of w (overwritten)

  Notes:
  Every call into user code goes through these functions: they lock the inputs read-only, log
  an event and count the evaluation.

  Level: developer

.seealso: HGProblemSetMapJacobianTransposeMult()
@*/
PetscErrorCode HGProblemComputeMapJacobianTransposeMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCheck(prob->mapjactmult || prob->fd_mapjact, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no product d_w Phi^T v: call HGProblemSetMapJacobianTransposeMult()");
  PetscCall(PetscLogEventBegin(HGProblem_MapJacT, prob, w, lambda, x));
  HG_CALL_BEGIN(w, lambda);
  PetscCall(VecLockReadPush(x));
  if (prob->fd_mapjact) PetscCall(HGProblemFDMapJacobianMult(prob, w, lambda, x, y)); /* d_w Phi symmetric */
  else PetscCall((*prob->mapjactmult)(prob, w, lambda, x, y, prob->ctx));
  PetscCall(VecLockReadPop(x));
  HG_CALL_END(w, lambda);
  PetscCall(PetscLogEventEnd(HGProblem_MapJacT, prob, w, lambda, x));
  prob->nmapjact++;
  PetscFunctionReturn(0);
}

/*@
  HGProblemComputeMapJacobianMult - evaluates y = d_w Phi(w, lambda) x

  Collective

  Input Parameters:
+ prob - the problem
. w - point
. lambda - hyperparameters
- x - vector in the space of w

  Output Parameter:
. y - the product, in the space of w (overwritten)

  Notes:
  Every call into user code goes through these functions: they lock the inputs read-only, log
  an event and count the evaluation.

  Level: developer

.seealso: HGProblemSetMapJacobianMult()
@*/
PetscErrorCode HGProblemComputeMapJacobianMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCheck(prob->mapjacmult || prob->fd_mapjac, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This fixed-point problem has no forward product d_w Phi u, which KSP cgne and lsqr need (they multiply by the transpose of the adjoint operator): call HGProblemSetMapJacobianMult() or use -hg_ksp_type gmres");
  HG_CALL_BEGIN(w, lambda);
  PetscCall(VecLockReadPush(x));
  if (prob->fd_mapjac) PetscCall(HGProblemFDMapJacobianMult(prob, w, lambda, x, y));
  else PetscCall((*prob->mapjacmult)(prob, w, lambda, x, y, prob->ctx));
  PetscCall(VecLockReadPop(x));
  HG_CALL_END(w, lambda);
  prob->nmapjac++;
  PetscFunctionReturn(0);
}

/*@
  HGProblemComputeMapParamJacobianTransposeMult - evaluates y = d_lambda Phi(w, lambda)^T x

  Collective

  Input Parameters:
+ prob - the problem
. w - point
. lambda - hyperparameters
- x - vector in the space of w

  Output Parameter:
. y - the product, in the space of lambda (overwritten)

  Notes:
  Every call into user code goes through these functions: they lock the inputs read-only, log
  an event and count the evaluation.

  Level: developer

.seealso: HGProblemSetMapParamJacobianTransposeMult()
@*/
PetscErrorCode HGProblemComputeMapParamJacobianTransposeMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y)
{
  PetscFunctionBegin;
  PetscCheck(prob->mapparamjactmult || prob->fd_mapparam, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "This problem has no product d_lambda Phi^T v: call HGProblemSetMapParamJacobianTransposeMult()");
  PetscCall(PetscLogEventBegin(HGProblem_MixedMult, prob, w, lambda, x));
  HG_CALL_BEGIN(w, lambda);
  PetscCall(VecLockReadPush(x));
  if (prob->fd_mapparam) PetscCall(HGProblemFDMapParamJacobianTransposeMult(prob, w, lambda, x, y));
  else PetscCall((*prob->mapparamjactmult)(prob, w, lambda, x, y, prob->ctx));
  PetscCall(VecLockReadPop(x));
  HG_CALL_END(w, lambda);
  PetscCall(PetscLogEventEnd(HGProblem_MixedMult, prob, w, lambda, x));
  prob->nmapparam++;
  PetscFunctionReturn(0);
}

/*@
  HGProblemComputeUpperObjective - evaluates E(w, lambda)

  Collective

  Input Parameters:
+ prob - the problem
. w - point
- lambda - hyperparameters

  Output Parameter:
. E - the value

  Notes:
  Every call into user code goes through these functions: they lock the inputs read-only, log
  an event and count the evaluation.

  Level: developer

.seealso: HGProblemSetUpperObjective()
@*/
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

/*@
  HGProblemComputeUpperGradient - evaluates grad_w E(w, lambda) and grad_lambda E(w, lambda)

  Collective

  Input Parameters:
+ prob - the problem
. w - point
- lambda - hyperparameters

  Output Parameters:
+ gw - grad_w E, in the space of w (overwritten)
- gl - grad_lambda E, in the space of lambda (overwritten)

  Notes:
  Every call into user code goes through these functions: they lock the inputs read-only, log
  an event and count the evaluation.

  Level: developer

.seealso: HGProblemSetUpperGradient()
@*/
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

  Input Parameter:
. prob - the problem

  Output Parameter:
. lambda - the hyperparameters, projected in place

  Level: intermediate

.seealso: HGProblemSetProjection()
@*/
PetscErrorCode HGProblemProject(HGProblem prob, Vec lambda)
{
  PetscFunctionBegin;
  if (prob->projection) PetscCall((*prob->projection)(prob, lambda, prob->ctx));
  PetscFunctionReturn(0);
}

/*@
  HGProblemHasExactHypergradient - whether the problem has an exact hypergradient (closed form
  or direct solve)

  Not Collective

  Input Parameter:
. prob - the problem

  Output Parameter:
. has - PETSC_TRUE for quadratic, biasreg, krr and hyperrep

  Level: intermediate

.seealso: HGProblemComputeExactHypergradient()
@*/
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

  Input Parameters:
+ prob - the problem
- lambda - the hyperparameters

  Output Parameters:
+ grad - grad f(lambda), in the space of lambda
- f - f(lambda), or NULL

  Notes:
  Errors with PETSC_ERR_SUP for problems without one (HGProblemHasExactHypergradient()).

  Level: intermediate

.seealso: HGProblemHasExactHypergradient()
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

  Input Parameters:
+ prob - the problem
. w - the lower-level solution
- lambda - the hyperparameters

  Output Parameters:
+ val - validation accuracy in [0, 1], or NaN
- test - test accuracy in [0, 1], or NaN

.seealso: HGProblemSetAccuracy()

  Level: intermediate
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
