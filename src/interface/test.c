/* Finite-difference checks: of every problem callback, and of a whole hypergradient. */
#include <hypergrad/hgimpl.h>

static PetscReal RelErr(PetscReal a, PetscReal b, PetscReal floor)
{
  return PetscAbsReal(a - b) / PetscMax(PetscMax(PetscAbsReal(a), PetscAbsReal(b)), floor);
}

static PetscErrorCode RandomUnit(Vec x, PetscInt64 stream)
{
  PetscReal nrm;

  PetscFunctionBegin;
  PetscCall(HGVecSetHashNormal(x, 20231, stream));
  PetscCall(VecNormalize(x, &nrm));
  PetscFunctionReturn(0);
}

static PetscErrorCode Perturbed(Vec x, PetscReal eps, Vec u, Vec out)
{
  PetscFunctionBegin;
  PetscCall(VecWAXPY(out, eps, u, x));
  PetscFunctionReturn(0);
}

/*@
  HGProblemTestDerivatives - compares each derivative callback with central differences of the
  callback it differentiates, along random unit directions, at (w, lambda)

  Collective

  Input Parameters:
+ prob   - the problem
. w, lambda - the point
. h      - the difference step, relative to max(1, ||x||_inf)
- viewer - where to print one line per check (NULL: silent)

  Output Parameter:
. maxrelerr - the largest relative discrepancy (O(h^2) plus rounding when all is well)

  Notes:
  The viewer gets one line per check, marked ok or FAIL, a verdict (PASS when every check is
  within 1e-5 relative, which h = 1e-6 leaves to smooth callbacks by orders of magnitude) and
  the checks it skipped because a callback is absent: the lower gradient without a lower
  objective (HGProblemSetLowerObjective()), d_w Phi u without HGProblemSetMapJacobianMult().
  A program takes the verdict from maxrelerr.

  Level: intermediate

.seealso: HGTestHypergradient()
@*/
PetscErrorCode HGProblemTestDerivatives(HGProblem prob, Vec w, Vec lambda, PetscReal h, PetscViewer viewer, PetscReal *maxrelerr)
{
  Vec             uw, ul, v, wp, wm, lp, lm, a, b, c, gl1, gl2;
  PetscReal       epsw, epsl, nrm, fp, fm, an, fd, rel, maxrel = 0;
  const PetscReal tol = 1e-5;
  PetscInt        nchecks = 0, nfail = 0;
  char            skipped[256] = "";

  PetscFunctionBegin;
  PetscCall(HGProblemSetUp(prob));
  PetscCall(HGProblemCheckVec(prob, w, PETSC_FALSE, "w"));
  PetscCall(HGProblemCheckVec(prob, lambda, PETSC_TRUE, "lambda"));
  PetscCall(VecDuplicate(w, &uw));
  PetscCall(VecDuplicate(w, &v));
  PetscCall(VecDuplicate(w, &wp));
  PetscCall(VecDuplicate(w, &wm));
  PetscCall(VecDuplicate(w, &a));
  PetscCall(VecDuplicate(w, &b));
  PetscCall(VecDuplicate(w, &c));
  PetscCall(VecDuplicate(lambda, &ul));
  PetscCall(VecDuplicate(lambda, &lp));
  PetscCall(VecDuplicate(lambda, &lm));
  PetscCall(VecDuplicate(lambda, &gl1));
  PetscCall(VecDuplicate(lambda, &gl2));
  PetscCall(RandomUnit(uw, 1));
  PetscCall(RandomUnit(v, 2));
  PetscCall(RandomUnit(ul, 3));
  PetscCall(VecNorm(w, NORM_INFINITY, &nrm));
  epsw = h * PetscMax(1.0, nrm);
  PetscCall(VecNorm(lambda, NORM_INFINITY, &nrm));
  epsl = h * PetscMax(1.0, nrm);
  PetscCall(Perturbed(w, epsw, uw, wp));
  PetscCall(Perturbed(w, -epsw, uw, wm));
  PetscCall(Perturbed(lambda, epsl, ul, lp));
  PetscCall(Perturbed(lambda, -epsl, ul, lm));

#define REPORT(name) \
  do { \
    maxrel = PetscMax(maxrel, rel); \
    nchecks++; \
    if (!(rel <= tol)) nfail++; \
    if (viewer) PetscCall(PetscViewerASCIIPrintf(viewer, "  %-34s analytic % .10e  fd % .10e  rel %.2e  %s\n", name, (double)an, (double)fd, (double)rel, rel <= tol ? "ok" : "FAIL")); \
  } while (0)

  if (prob->form == HG_FORM_OPTIMIZATION) {
    if (prob->lowerobjective) {
      PetscCall(HGProblemComputeLowerObjective(prob, wp, lambda, &fp));
      PetscCall(HGProblemComputeLowerObjective(prob, wm, lambda, &fm));
      PetscCall(HGProblemComputeLowerGradient(prob, w, lambda, a));
      PetscCall(VecDot(a, uw, &an));
      fd  = (fp - fm) / (2 * epsw);
      rel = RelErr(an, fd, 1e-10);
      REPORT("lower gradient . u");
    } else PetscCall(PetscStrlcat(skipped, " lower gradient (no lower objective: HGProblemSetLowerObjective());", sizeof(skipped)));
    /* Hessian: the whole vector H u against differences of gradients */
    PetscCall(HGProblemComputeLowerGradient(prob, wp, lambda, a));
    PetscCall(HGProblemComputeLowerGradient(prob, wm, lambda, b));
    PetscCall(VecAXPBY(a, -1.0 / (2 * epsw), 1.0 / (2 * epsw), b)); /* a = fd H u */
    PetscCall(HGProblemComputeLowerHessianMult(prob, w, lambda, uw, c));
    PetscCall(VecNorm(c, NORM_2, &an));
    PetscCall(VecAXPY(a, -1.0, c));
    PetscCall(VecNorm(a, NORM_2, &fd));
    rel = fd / PetscMax(an, 1e-10);
    fd  = an + fd;
    REPORT("Hessian u (vector, ||H u||)");
    /* mixed: v . (d_lambda grad_w l) u_l */
    PetscCall(HGProblemComputeLowerGradient(prob, w, lp, a));
    PetscCall(HGProblemComputeLowerGradient(prob, w, lm, b));
    PetscCall(VecAXPY(a, -1.0, b));
    PetscCall(VecDot(a, v, &fd));
    fd /= 2 * epsl;
    PetscCall(HGProblemComputeLowerMixedMultTranspose(prob, w, lambda, v, gl1));
    PetscCall(VecDot(gl1, ul, &an));
    rel = RelErr(an, fd, 1e-10);
    REPORT("mixed (d_l grad_w l)^T v . u_l");
  } else {
    PetscCall(HGProblemComputeMap(prob, wp, lambda, a));
    PetscCall(HGProblemComputeMap(prob, wm, lambda, b));
    PetscCall(VecAXPBY(a, -1.0 / (2 * epsw), 1.0 / (2 * epsw), b)); /* a = fd J u */
    PetscCall(VecDot(a, v, &fd));
    PetscCall(HGProblemComputeMapJacobianTransposeMult(prob, w, lambda, v, c));
    PetscCall(VecDot(c, uw, &an));
    rel = RelErr(an, fd, 1e-10);
    REPORT("d_w Phi^T v . u");
    if (prob->mapjacmult) {
      PetscCall(HGProblemComputeMapJacobianMult(prob, w, lambda, uw, c));
      PetscCall(VecNorm(c, NORM_2, &an));
      PetscCall(VecAXPY(a, -1.0, c));
      PetscCall(VecNorm(a, NORM_2, &fd));
      rel = fd / PetscMax(an, 1e-10);
      fd  = an + fd;
      REPORT("d_w Phi u (vector, ||J u||)");
    } else PetscCall(PetscStrlcat(skipped, " d_w Phi u (no HGProblemSetMapJacobianMult());", sizeof(skipped)));
    PetscCall(HGProblemComputeMap(prob, w, lp, a));
    PetscCall(HGProblemComputeMap(prob, w, lm, b));
    PetscCall(VecAXPY(a, -1.0, b));
    PetscCall(VecDot(a, v, &fd));
    fd /= 2 * epsl;
    PetscCall(HGProblemComputeMapParamJacobianTransposeMult(prob, w, lambda, v, gl1));
    PetscCall(VecDot(gl1, ul, &an));
    rel = RelErr(an, fd, 1e-10);
    REPORT("d_lambda Phi^T v . u_l");
  }
  /* upper level */
  PetscCall(HGProblemComputeUpperGradient(prob, w, lambda, a, gl1));
  PetscCall(HGProblemComputeUpperObjective(prob, wp, lambda, &fp));
  PetscCall(HGProblemComputeUpperObjective(prob, wm, lambda, &fm));
  PetscCall(VecDot(a, uw, &an));
  fd  = (fp - fm) / (2 * epsw);
  rel = RelErr(an, fd, 1e-10);
  REPORT("upper grad_w E . u");
  PetscCall(HGProblemComputeUpperObjective(prob, w, lp, &fp));
  PetscCall(HGProblemComputeUpperObjective(prob, w, lm, &fm));
  PetscCall(VecDot(gl1, ul, &an));
  fd  = (fp - fm) / (2 * epsl);
  rel = RelErr(an, fd, 1e-10);
  REPORT("upper grad_lambda E . u_l");
#undef REPORT
  if (viewer) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "  %s: %" PetscInt_FMT " of %" PetscInt_FMT " checks within %g relative (largest %.2e)\n", nfail ? "FAIL" : "PASS", nchecks - nfail, nchecks, (double)tol, (double)maxrel));
    PetscCall(PetscViewerASCIIPrintf(viewer, "  skipped:%s\n", skipped[0] ? skipped : " none"));
  }
  if (maxrelerr) *maxrelerr = maxrel;
  PetscCall(VecDestroy(&uw));
  PetscCall(VecDestroy(&v));
  PetscCall(VecDestroy(&wp));
  PetscCall(VecDestroy(&wm));
  PetscCall(VecDestroy(&a));
  PetscCall(VecDestroy(&b));
  PetscCall(VecDestroy(&c));
  PetscCall(VecDestroy(&ul));
  PetscCall(VecDestroy(&lp));
  PetscCall(VecDestroy(&lm));
  PetscCall(VecDestroy(&gl1));
  PetscCall(VecDestroy(&gl2));
  PetscFunctionReturn(0);
}

/* f(lambda) with the lower level converged tightly by a solver of the same kind as hg's */
static PetscErrorCode ConvergedObjective(HG hg, HGLower tl, Vec lambda, Vec w, PetscReal *f)
{
  PetscFunctionBegin;
  PetscCall(VecSet(w, 0.0));
  PetscCall(HGLowerSolve(tl, lambda, w));
  PetscCheck(tl->reason > 0, PetscObjectComm((PetscObject)hg), PETSC_ERR_NOT_CONVERGED, "The finite-difference check could not converge the lower level (%s after %" PetscInt_FMT " iterations, residual %g)", HGLowerConvergedReasons[tl->reason], tl->its, (double)tl->rnorm);
  PetscCall(HGProblemComputeUpperObjective(hg->problem, w, lambda, f));
  PetscFunctionReturn(0);
}

/*@
  HGTestHypergradient - compares the hypergradient h at lambda with central differences of
  f(lambda) = E(w(lambda), lambda), the lower level converged to a relative residual of 1e-13,
  along ndir directions (the coordinate directions when ndir >= dim lambda, else random)

  Collective

  Input Parameters:
+ hg - the hypergradient object
. lambda - the hyperparameters
. h - the hypergradient computed at lambda
. ndirections - number of directions
. step - the difference step (relative)
- viewer - where to print each direction (NULL: stdout)

  Output Parameter:
. maxrelerr - the largest |h.d - fd| / ||h|| over the unit directions d: the error of h
              relative to its norm, a lower bound on ||h - grad f|| / ||h||.  (Relative to
              |h.d| instead, a direction nearly orthogonal to h would report a large error for
              an exact h.)

  Options Database Keys:
+ -hg_test_hypergradient <ndir> - run this check after every HGComputeHypergradient()
- -hg_test_hypergradient_h <h>  - the step, relative to max(1, ||lambda||_inf)

  Level: intermediate

.seealso: HGProblemTestDerivatives()
@*/
PetscErrorCode HGTestHypergradient(HG hg, Vec lambda, Vec h, PetscInt ndir, PetscReal step, PetscViewer viewer, PetscReal *maxrelerr)
{
  HGLower     tl = NULL;
  HGLowerType type;
  Vec         d, lp, w;
  PetscErrorCode (*objective)(HG, Vec, PetscReal *) = NULL;
  PetscInt    n;
  PetscReal   eps, nrm, hnrm, fp, fm, fd, an, rel, maxrel = 0;
  PetscBool   coord;

  PetscFunctionBegin;
  PetscCall(HGSetUp(hg));
  PetscCall(PetscLogEventBegin(HG_Test, hg, lambda, h, 0));
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)hg), &viewer));
  /* an HG whose problem is not one lower level (HGMULTI) gives f(lambda) itself */
  PetscCall(PetscObjectQueryFunction((PetscObject)hg, "HGTestObjective_C", &objective));
  if (!objective) {
    PetscCall(HGLowerCreate(PetscObjectComm((PetscObject)hg), &tl));
    PetscCall(HGLowerGetType(hg->lower, &type));
    PetscCall(HGLowerSetType(tl, type));
    PetscCall(HGLowerSetProblem(tl, hg->problem));
    tl->step     = hg->lower->step;
    tl->momentum = hg->lower->momentum;
    PetscCall(HGLowerSetTolerances(tl, 1e-13, 0.0, 1e8));
    PetscCall(HGLowerSetMaxIterations(tl, 1000000));
    PetscCall(HGLowerSetUp(tl));
  }
  PetscCall(VecGetSize(lambda, &n));
  coord = ndir >= n ? PETSC_TRUE : PETSC_FALSE;
  if (coord) ndir = n;
  PetscCall(VecDuplicate(lambda, &d));
  PetscCall(VecDuplicate(lambda, &lp));
  PetscCall(VecDuplicate(hg->w, &w));
  PetscCall(VecNorm(lambda, NORM_INFINITY, &nrm));
  PetscCall(VecNorm(h, NORM_2, &hnrm));
  eps = step * PetscMax(1.0, nrm);
  PetscCall(PetscViewerASCIIPrintf(viewer, "  Hypergradient test (%s, %" PetscInt_FMT " %s directions, step %g): h.d against (f(l+e d) - f(l-e d))/2e\n", ((PetscObject)hg)->type_name, ndir, coord ? "coordinate" : "random", (double)eps));
  for (PetscInt j = 0; j < ndir; j++) {
    if (coord) {
      PetscCall(VecSet(d, 0.0));
      PetscCall(VecSetValue(d, j, 1.0, INSERT_VALUES));
      PetscCall(VecAssemblyBegin(d));
      PetscCall(VecAssemblyEnd(d));
    } else PetscCall(RandomUnit(d, 1000 + j));
    PetscCall(VecWAXPY(lp, eps, d, lambda));
    if (objective) PetscCall((*objective)(hg, lp, &fp));
    else PetscCall(ConvergedObjective(hg, tl, lp, w, &fp));
    PetscCall(VecWAXPY(lp, -eps, d, lambda));
    if (objective) PetscCall((*objective)(hg, lp, &fm));
    else PetscCall(ConvergedObjective(hg, tl, lp, w, &fm));
    fd = (fp - fm) / (2 * eps);
    PetscCall(VecDot(h, d, &an));
    /* relative to ||h|| ||d|| (||d|| = 1): a direction nearly orthogonal to h, where h.d is
       tiny, must not turn the rounding of the differences into a large "relative" error */
    rel    = PetscAbsReal(an - fd) / PetscMax(hnrm, PETSC_SMALL * PetscMax(PetscAbsReal(fd), 1e-300));
    maxrel = PetscMax(maxrel, rel);
    PetscCall(PetscViewerASCIIPrintf(viewer, "    direction %3" PetscInt_FMT ": h.d % .10e  fd % .10e  |h.d - fd|/||h|| %.2e\n", j, (double)an, (double)fd, (double)rel));
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "  largest |h.d - fd| / ||h|| over the directions: %.3e\n", (double)maxrel));
  if (maxrelerr) *maxrelerr = maxrel;
  PetscCall(VecDestroy(&d));
  PetscCall(VecDestroy(&lp));
  PetscCall(VecDestroy(&w));
  PetscCall(HGLowerDestroy(&tl));
  PetscCall(PetscLogEventEnd(HG_Test, hg, lambda, h, 0));
  PetscFunctionReturn(0);
}
