/* Package registration: class ids, log events, type registries. */
#include <hypergrad/hgimpl.h>

PetscClassId  HGPROBLEM_CLASSID, HGLOWER_CLASSID, HG_CLASSID;
PetscBool     HGPackageInitialized = PETSC_FALSE;
PetscLogEvent HG_Compute, HG_LowerSolve, HG_Adjoint, HG_Test;
PetscLogEvent HGData_Load, HGData_Classes, HGData_Standardize, HGData_Split, HG_NormEstimate;
PetscLogEvent HGProblem_LowerGradient, HGProblem_HessianMult, HGProblem_MixedMult, HGProblem_Map, HGProblem_MapJacT, HGProblem_Upper;

PetscFunctionList HGProblemList = NULL, HGLowerList = NULL, HGList = NULL;

const char *const HGProblemForms[] = {"none", "optimization", "fixedpoint", "HGProblemForm", "HG_FORM_", NULL};

static const char *const HGLowerConvergedReasons_Shifted[] = {"DIVERGED_MAXIT", "DIVERGED_TAO", "DIVERGED_DTOL", "DIVERGED_NANORINF", "ITERATING", "CONVERGED_ITS", "CONVERGED_ATOL", "CONVERGED_RTOL", "CONVERGED_TAO"};
const char *const *HGLowerConvergedReasons = HGLowerConvergedReasons_Shifted + 4;

static const char *const HGConvergedReasons_Shifted[] = {"DIVERGED_NANORINF", "DIVERGED_ADJOINT", "DIVERGED_LOWER", "ITERATING", "CONVERGED"};
const char *const *HGConvergedReasons = HGConvergedReasons_Shifted + 3;

/*@C
  HGGetVersion - the hypergrad version as "major.minor.patch"

  Not Collective

  Input Parameter:
. len - the size of the buffer

  Output Parameter:
. version - the version, e.g. "0.1.0" (truncated to len - 1 characters)

  Level: beginner

.seealso: HYPERGRAD_VERSION_MAJOR
@*/
PetscErrorCode HGGetVersion(char version[], size_t len)
{
  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(version, len, "%d.%d.%d", HYPERGRAD_VERSION_MAJOR, HYPERGRAD_VERSION_MINOR, HYPERGRAD_VERSION_PATCH));
  PetscFunctionReturn(0);
}

/*@C
  HGFinalizePackage - frees the registries; called by PetscFinalize()

  Not Collective

  Level: developer

.seealso: HGInitializePackage(), PetscFinalize()
@*/
PetscErrorCode HGFinalizePackage(void)
{
  PetscFunctionBegin;
  PetscCall(PetscFunctionListDestroy(&HGProblemList));
  PetscCall(PetscFunctionListDestroy(&HGLowerList));
  PetscCall(PetscFunctionListDestroy(&HGList));
  HGPackageInitialized = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
  HGInitializePackage - registers the classes, log events and built-in types of hypergrad.
  Called on first use by the Create functions; users rarely need it.

  Not Collective

  Level: developer

.seealso: HGFinalizePackage(), PetscInitialize()
@*/
PetscErrorCode HGInitializePackage(void)
{
  PetscFunctionBegin;
  if (HGPackageInitialized) PetscFunctionReturn(0);
  HGPackageInitialized = PETSC_TRUE;
  PetscCall(KSPInitializePackage());
  PetscCall(TaoInitializePackage());
  PetscCall(PetscClassIdRegister("Bilevel problem", &HGPROBLEM_CLASSID));
  PetscCall(PetscClassIdRegister("Lower-level solver", &HGLOWER_CLASSID));
  PetscCall(PetscClassIdRegister("Hypergradient", &HG_CLASSID));
  PetscCall(PetscLogEventRegister("HGCompute", HG_CLASSID, &HG_Compute));
  PetscCall(PetscLogEventRegister("HGLowerSolve", HGLOWER_CLASSID, &HG_LowerSolve));
  PetscCall(PetscLogEventRegister("HGAdjoint", HG_CLASSID, &HG_Adjoint));
  PetscCall(PetscLogEventRegister("HGTestHypergrad", HG_CLASSID, &HG_Test));
  PetscCall(PetscLogEventRegister("HGPLowerGrad", HGPROBLEM_CLASSID, &HGProblem_LowerGradient));
  PetscCall(PetscLogEventRegister("HGPHessMult", HGPROBLEM_CLASSID, &HGProblem_HessianMult));
  PetscCall(PetscLogEventRegister("HGPMixedMult", HGPROBLEM_CLASSID, &HGProblem_MixedMult));
  PetscCall(PetscLogEventRegister("HGPMap", HGPROBLEM_CLASSID, &HGProblem_Map));
  PetscCall(PetscLogEventRegister("HGPMapJacT", HGPROBLEM_CLASSID, &HGProblem_MapJacT));
  PetscCall(PetscLogEventRegister("HGPUpper", HGPROBLEM_CLASSID, &HGProblem_Upper));
  PetscCall(PetscLogEventRegister("HGDataLoad", HGPROBLEM_CLASSID, &HGData_Load));
  PetscCall(PetscLogEventRegister("HGDataClasses", HGPROBLEM_CLASSID, &HGData_Classes));
  PetscCall(PetscLogEventRegister("HGDataStandardiz", HGPROBLEM_CLASSID, &HGData_Standardize));
  PetscCall(PetscLogEventRegister("HGDataSplit", HGPROBLEM_CLASSID, &HGData_Split));
  PetscCall(PetscLogEventRegister("HGNormX2Est", HGPROBLEM_CLASSID, &HG_NormEstimate));
  PetscCall(HGProblemRegisterAll());
  PetscCall(HGLowerRegisterAll());
  PetscCall(HGRegisterAll());
  PetscCall(PetscRegisterFinalize(HGFinalizePackage));
  PetscFunctionReturn(0);
}
