static const char help[] = "hgfig1: Figure 1 of Grazzi et al. (ICML 2020): relative error of the hypergradient of ITD,\n"
                           "FP (k = t and fixed k) and CG (k = t and fixed k) against the number of lower-level iterations t,\n"
                           "mean, standard deviation, minimum and maximum over values of lambda drawn uniformly from a box.\n\n"
                           "  mpiexec -n 2 ./hgfig1 -fig1_problems LR,KRR,BR,HR -fig1_nlambda 20 -fig1_csv fig1.csv\n\n"
                           "Options:\n"
                           "  -fig1_problems <LR,KRR,BR,HR>  the settings of the paper's Section 3.1 (sizes below; each problem's own\n"
                           "                                 options, e.g. -krr_ntrain 100, override them)\n"
                           "  -fig1_nlambda <20>             values of lambda per problem\n"
                           "  -fig1_seed <0>                 seed of the lambda samples\n"
                           "  -fig1_box <0.5,1.5>            lambda_i = lambda0_i * u_i, u_i uniform in [lo, hi], lambda0 the problem's default\n"
                           "  -fig1_t <list>                 lower-level iterations t (default: a list per problem)\n"
                           "  -fig1_tmax <n>                 drop the t of the lists above n\n"
                           "  -fig1_k <10>                   the fixed k of 'FP k=10' and 'CG k=10'\n"
                           "  -fig1_constants <lambda>       lambda: step and momentum from L, mu at each sampled lambda (Lanczos on the\n"
                           "                                 Hessian for the quadratic lower levels, the logistic bound for LR); initial:\n"
                           "                                 the constants the problem computed at its default lambda\n"
                           "  -fig1_csv <fig1.csv>           statistics: problem,method,t,k,mean,std,min,max,abs_mean,abs_std,time_mean,nfail,n\n"
                           "  -fig1_raw <file>               also every single error: problem,method,t,k,sample,rel_error,abs_error\n"
                           "  -fig1_check                    exit non-zero unless, on every problem, the mean error of ITD, FP k=t and\n"
                           "                                 CG k=t at the largest t is below -fig1_check_fall (0.1) times the one at\n"
                           "                                 the smallest t, and, on the problems of -fig1_check_order (LR), the\n"
                           "                                 means at every t (above 1e-12) are ordered CG k=t <= FP k=t <= ITD\n"
                           "  -fig1_truth_lower_rtol <1e-14>, -fig1_truth_hg_adjoint_rtol <1e-14>: the converged solve that gives\n"
                           "                                 the truth where the problem has no closed form (LR)\n\n";

#include <hypergrad.h>

#define FIG1_MAX_T  128
#define FIG1_MAX_P  8
#define FIG1_NMETH  5
#define FIG1_FLOOR  1e-12 /* errors below this are rounding: no ordering is asserted there */

/* The four settings of Grazzi et al. 3.1, at the sizes of the benchmark cases */
typedef struct {
  const char *name;
  const char *type;
  const char *options; /* defaults, each applied only when the user did not give it */
  const char *lower;
  const char *tlist;
  PetscBool   logistic; /* constants from the logistic bound L = ||X||^2/4 + max lambda, mu = min lambda */
} Fig1Case;

static const Fig1Case cases[] = {
  {"LR", HGPROBLEMLOGREG, "-lr_p 100 -lr_ntrain 1000 -lr_nval 1000", HGLOWERGD, "10,25,50,75,100,125,150,175,200,225,250,275,300,325,350,375,400,425,450,475,500", PETSC_TRUE},
  {"KRR", HGPROBLEMKRR, "-krr_p 10 -krr_ntrain 500 -krr_nval 500", HGLOWERHEAVYBALL, "10,20,30,40,50,60,70,80,90,100,125,150,175,200,250,300,350,400,500,600", PETSC_FALSE},
  {"BR", HGPROBLEMBIASREG, "-br_p 1000 -br_ntrain 500 -br_nval 500", HGLOWERHEAVYBALL, "2,4,6,8,10,12,14,16,18,20,25,30,35,40,45,50,55,60", PETSC_FALSE},
  {"HR", HGPROBLEMHYPERREP, "-hr_p 100 -hr_d 20 -hr_ntrain 1000 -hr_nval 1000", HGLOWERHEAVYBALL, "3,6,9,12,15,18,21,24,27,30,35,40,45,50,55,60,65,70,75,80,85,90,95,100", PETSC_FALSE},
};
#define FIG1_NCASES ((PetscInt)(sizeof(cases) / sizeof(cases[0])))

typedef struct {
  const char *name;
  HGType      type;
  KSPType     ksp;
  PetscBool   kfixed; /* k = -fig1_k instead of k = t */
} Fig1Method;

static const Fig1Method methods[FIG1_NMETH] = {
  {"ITD", HGITD, NULL, PETSC_FALSE},
  {"FP k=t", HGAID, KSPRICHARDSON, PETSC_FALSE},
  {"FP k=%d", HGAID, KSPRICHARDSON, PETSC_TRUE},
  {"CG k=t", HGAID, KSPCG, PETSC_FALSE},
  {"CG k=%d", HGAID, KSPCG, PETSC_TRUE},
};
enum { M_ITD, M_FP, M_FPK, M_CG, M_CGK };

/* Uniform in [0, 1) from (seed, sample, global index): the same lambda on any number of ranks */
static PetscReal HashUniform(PetscInt64 seed, PetscInt64 sample, PetscInt64 i)
{
  uint64_t z = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + (uint64_t)sample * 0xBF58476D1CE4E5B9ULL + (uint64_t)i * 0x94D049BB133111EBULL + 0x2545F4914F6CDD1DULL;

  for (int r = 0; r < 2; r++) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z = z ^ (z >> 31);
  }
  return (PetscReal)(z >> 11) * (1.0 / 9007199254740992.0);
}

/* Each "-key value" (or "-flag") pair of opts that the user did not give goes into the options database */
static PetscErrorCode SetDefaults(const char *opts)
{
  char   buf[1024], *tok[64];
  size_t n = 0;

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(buf, opts, sizeof(buf)));
  for (char *s = strtok(buf, " "); s && n < 64; s = strtok(NULL, " ")) tok[n++] = s;
  for (size_t i = 0; i < n; i++) {
    PetscBool has;
    if (tok[i][0] != '-') continue;
    PetscCall(PetscOptionsHasName(NULL, NULL, tok[i], &has));
    if (!has) PetscCall(PetscOptionsSetValue(NULL, tok[i], (i + 1 < n && tok[i + 1][0] != '-') ? tok[i + 1] : NULL));
  }
  PetscFunctionReturn(0);
}

typedef struct {
  HGProblem prob;
  Vec       w, lambda;
} HessCtx;

static PetscErrorCode HessMult(Mat A, Vec x, Vec y)
{
  HessCtx *c;

  PetscFunctionBegin;
  PetscCall(MatShellGetContext(A, &c));
  PetscCall(HGProblemComputeLowerHessianMult(c->prob, c->w, c->lambda, x, y));
  PetscFunctionReturn(0);
}

/* Extreme eigenvalues of the lower-level Hessian at (w, lambda): the Ritz values of CG run to a
   relative residual of 1e-13 (Lanczos); exact to many digits for the quadratic lower levels */
static PetscErrorCode HessianRange(HGProblem prob, Vec w, Vec lambda, PetscReal *emin, PetscReal *emax)
{
  HessCtx  c = {prob, w, lambda};
  Mat      A;
  KSP      ksp;
  PC       pc;
  Vec      b, x;
  PetscInt n, N, lo, hi;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(w, &n));
  PetscCall(VecGetSize(w, &N));
  PetscCall(MatCreateShell(PetscObjectComm((PetscObject)w), n, n, N, N, &c, &A));
  PetscCall(MatShellSetOperation(A, MATOP_MULT, (void (*)(void))HessMult));
  PetscCall(KSPCreate(PetscObjectComm((PetscObject)w), &ksp));
  PetscCall(KSPSetOptionsPrefix(ksp, "fig1_lanczos_"));
  PetscCall(KSPSetOperators(ksp, A, A));
  PetscCall(KSPSetType(ksp, KSPCG));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCSetType(pc, PCNONE));
  PetscCall(KSPSetTolerances(ksp, 1e-13, 0.0, 1e10, PetscMin(4 * N + 50, 4000)));
  PetscCall(KSPSetComputeSingularValues(ksp, PETSC_TRUE));
  PetscCall(VecDuplicate(w, &b));
  PetscCall(VecDuplicate(w, &x));
  PetscCall(VecGetOwnershipRange(b, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(b, i, HashUniform(12345, 0, i) - 0.5, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(b));
  PetscCall(VecAssemblyEnd(b));
  PetscCall(KSPSolve(ksp, b, x));
  PetscCall(KSPComputeExtremeSingularValues(ksp, emax, emin));
  PetscCall(VecDestroy(&b));
  PetscCall(VecDestroy(&x));
  PetscCall(KSPDestroy(&ksp));
  PetscCall(MatDestroy(&A));
  PetscFunctionReturn(0);
}

/* The truth where there is no closed form: heavy ball, then CG on the adjoint system, both to a
   relative residual of 1e-14 (-fig1_truth_lower_rtol, -fig1_truth_hg_adjoint_rtol) */
static PetscErrorCode ConvergedHypergradient(HGProblem prob, Vec lambda, Vec g, PetscReal *lres, PetscReal *ares)
{
  HG        hg;
  HGLower   lower;
  KSP       ksp;
  HGInfo    info;
  PetscReal rtol = 1e-14;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-fig1_truth_lower_rtol", &rtol, NULL));
  PetscCall(SetDefaults("-fig1_truth_hg_adjoint_rtol 1e-14"));
  PetscCall(HGCreate(PetscObjectComm((PetscObject)prob), &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetOptionsPrefix(hg, "fig1_truth_"));
  PetscCall(HGSetType(hg, HGAID));
  PetscCall(HGGetLower(hg, &lower));
  PetscCall(HGLowerSetType(lower, HGLOWERHEAVYBALL));
  PetscCall(HGGetKSP(hg, &ksp));
  PetscCall(KSPSetType(ksp, KSPCG));
  PetscCall(HGSetIterations(hg, 50000, 5000));
  PetscCall(HGSetErrorIfNotConverged(hg, PETSC_FALSE)); /* checked below, with the option to change */
  PetscCall(HGSetFromOptions(hg));
  PetscCall(HGSetComputeBounds(hg, PETSC_FALSE));
  PetscCall(HGLowerSetTolerances(lower, rtol, 0.0, 1e8));
  PetscCall(HGComputeHypergradient(hg, lambda, g));
  PetscCall(HGGetInfo(hg, &info));
  PetscCheck(info.reason > 0 && info.lower_reason != HG_LOWER_DIVERGED_MAXIT, PetscObjectComm((PetscObject)prob), PETSC_ERR_NOT_CONVERGED,
             "The converged solve that gives the true hypergradient failed (%s, lower %s after %" PetscInt_FMT " iterations, residual %g): raise -fig1_truth_lower_rtol", HGConvergedReasons[info.reason], HGLowerConvergedReasons[info.lower_reason], info.lower_its,
             (double)info.lower_residual);
  *lres = info.lower_residual;
  *ares = info.adjoint_residual;
  PetscCall(HGDestroy(&hg));
  PetscFunctionReturn(0);
}

/* Lower-level constants at lambda (-fig1_constants lambda) */
static PetscErrorCode SetConstants(const Fig1Case *fc, HGProblem prob, Vec lambda0, PetscReal L0, Vec w, Vec lambda)
{
  PetscReal L, mu;

  PetscFunctionBegin;
  if (fc->logistic) { /* the problem set L0 = ||X||^2 / 4 + max lambda0, mu0 = min lambda0 (lambda used directly, not exp) */
    PetscReal max0, max1, min1;
    PetscCall(VecMax(lambda0, NULL, &max0));
    PetscCall(VecMax(lambda, NULL, &max1));
    PetscCall(VecMin(lambda, NULL, &min1));
    L  = L0 - max0 + max1;
    mu = min1;
  } else PetscCall(HessianRange(prob, w, lambda, &mu, &L));
  PetscCall(HGProblemSetLowerConstants(prob, L, mu));
  PetscFunctionReturn(0);
}

/* One hypergradient of method m with t lower iterations */
static PetscErrorCode RunMethod(HGProblem prob, const Fig1Case *fc, const Fig1Method *me, PetscInt t, PetscInt k, Vec lambda, Vec h, HGInfo *info)
{
  HG      hg;
  HGLower lower;

  PetscFunctionBegin;
  PetscCall(HGCreate(PetscObjectComm((PetscObject)prob), &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetType(hg, me->type));
  PetscCall(HGGetLower(hg, &lower));
  PetscCall(HGLowerSetType(lower, fc->lower));
  if (me->ksp) {
    KSP ksp;
    PetscCall(HGGetKSP(hg, &ksp));
    PetscCall(KSPSetType(ksp, me->ksp));
  }
  PetscCall(HGSetIterations(hg, t, k));
  PetscCall(HGSetComputeBounds(hg, PETSC_FALSE)); /* the error bounds are not part of the methods' cost */
  PetscCall(HGSetErrorIfNotConverged(hg, PETSC_FALSE)); /* a failure is counted (info.reason), not an error */
  PetscCall(HGComputeHypergradient(hg, lambda, h));
  PetscCall(HGGetInfo(hg, info));
  PetscCall(HGDestroy(&hg));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char      *plist[FIG1_MAX_P], csv[PETSC_MAX_PATH_LEN] = "fig1.csv", raw[PETSC_MAX_PATH_LEN] = "", *olist[FIG1_MAX_P];
  PetscInt   np = FIG1_MAX_P, no = FIG1_MAX_P, nlambda = 20, seed = 0, kfix = 10, tuser[FIG1_MAX_T], ntuser = FIG1_MAX_T, tmax = PETSC_MAX_INT;
  PetscReal  box[2] = {0.5, 1.5}, fall = 0.1;
  PetscInt   nbox = 2;
  PetscBool  hast = PETSC_FALSE, check = PETSC_FALSE, perlambda = PETSC_TRUE, hasp, haso, hasbox;
  char       cmode[32] = "lambda";
  FILE      *fp, *fraw = NULL;
  PetscInt   nfailed_checks = 0;
  MPI_Comm   comm;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscOptionsBegin(comm, NULL, "hgfig1: Figure 1 of Grazzi et al.", "hgfig1");
  PetscCall(PetscOptionsStringArray("-fig1_problems", "Settings to run (LR, KRR, BR, HR)", "hgfig1", plist, &np, &hasp));
  PetscCall(PetscOptionsInt("-fig1_nlambda", "Values of lambda per problem", "hgfig1", nlambda, &nlambda, NULL));
  PetscCall(PetscOptionsInt("-fig1_seed", "Seed of the lambda samples", "hgfig1", seed, &seed, NULL));
  PetscCall(PetscOptionsRealArray("-fig1_box", "lambda = lambda0 * u, u uniform in [lo,hi]", "hgfig1", box, &nbox, &hasbox));
  PetscCall(PetscOptionsIntArray("-fig1_t", "Lower-level iterations t", "hgfig1", tuser, &ntuser, &hast));
  PetscCall(PetscOptionsInt("-fig1_tmax", "Largest t of the default lists", "hgfig1", tmax, &tmax, NULL));
  PetscCall(PetscOptionsInt("-fig1_k", "Fixed k of FP and CG", "hgfig1", kfix, &kfix, NULL));
  PetscCall(PetscOptionsString("-fig1_constants", "lambda or initial", "hgfig1", cmode, cmode, sizeof(cmode), NULL));
  PetscCall(PetscOptionsString("-fig1_csv", "Output CSV of the statistics", "hgfig1", csv, csv, sizeof(csv), NULL));
  PetscCall(PetscOptionsString("-fig1_raw", "Output CSV of every error", "hgfig1", raw, raw, sizeof(raw), NULL));
  PetscCall(PetscOptionsBool("-fig1_check", "Check that the errors fall with t and the CG <= FP <= ITD ordering", "hgfig1", check, &check, NULL));
  PetscCall(PetscOptionsReal("-fig1_check_fall", "Required ratio of the mean errors at the largest and smallest t", "hgfig1", fall, &fall, NULL));
  PetscCall(PetscOptionsStringArray("-fig1_check_order", "Problems on which the ordering is checked", "hgfig1", olist, &no, &haso));
  PetscOptionsEnd();
  if (!hasp) {
    np = FIG1_NCASES;
    for (PetscInt i = 0; i < np; i++) PetscCall(PetscStrallocpy(cases[i].name, &plist[i]));
  }
  if (!haso) {
    no = 1;
    PetscCall(PetscStrallocpy("LR", &olist[0]));
  }
  PetscCheck(nlambda >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-fig1_nlambda must be at least 1; got %" PetscInt_FMT, nlambda);
  PetscCheck((!hasbox || nbox == 2) && box[0] > 0 && box[1] >= box[0], comm, PETSC_ERR_ARG_OUTOFRANGE, "-fig1_box needs two numbers 0 < lo <= hi, e.g. -fig1_box 0.5,1.5");
  PetscCheck(kfix >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-fig1_k must be at least 1; got %" PetscInt_FMT, kfix);
  PetscCheck(!hast || ntuser >= 1, comm, PETSC_ERR_ARG_WRONG, "-fig1_t needs a comma-separated list of iteration counts, e.g. -fig1_t 10,20,50");
  for (PetscInt i = 0; hast && i < ntuser; i++) PetscCheck(tuser[i] >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-fig1_t: every t must be at least 1; got %" PetscInt_FMT, tuser[i]);
  {
    PetscBool isl, isi;
    PetscCall(PetscStrcmp(cmode, "lambda", &isl));
    PetscCall(PetscStrcmp(cmode, "initial", &isi));
    PetscCheck(isl || isi, comm, PETSC_ERR_ARG_WRONG, "-fig1_constants must be 'lambda' or 'initial'; got '%s'", cmode);
    perlambda = isl;
  }

  for (PetscInt ip = 0; ip < np; ip++) { /* before any file is written */
    PetscBool known = PETSC_FALSE;
    for (PetscInt c = 0; c < FIG1_NCASES; c++) {
      PetscBool eq;
      PetscCall(PetscStrcasecmp(plist[ip], cases[c].name, &eq));
      known = (PetscBool)(known || eq);
    }
    PetscCheck(known, comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "-fig1_problems: unknown setting '%s'; the settings are LR, KRR, BR, HR", plist[ip]);
  }
  PetscCall(PetscFOpen(comm, csv, "w", &fp));
  PetscCall(PetscFPrintf(comm, fp, "problem,method,t,k,mean,std,min,max,abs_mean,abs_std,time_mean,nfail,n\n"));
  if (raw[0]) {
    PetscCall(PetscFOpen(comm, raw, "w", &fraw));
    PetscCall(PetscFPrintf(comm, fraw, "problem,method,t,k,sample,rel_error,abs_error\n"));
  }

  for (PetscInt ip = 0; ip < np; ip++) {
    const Fig1Case *fc = NULL;
    HGProblem       prob;
    Vec             lambda0, lambda, truth, h, w, d;
    PetscInt        nt = 0, tl[FIG1_MAX_T], nfail[FIG1_MAX_T][FIG1_NMETH];
    PetscReal      *rel, *abse, *tim, L0, mu0, gnorm_mean = 0, lres_max = 0, ares_max = 0;
    PetscBool       exact;
    char            mname[FIG1_NMETH][32];
    PetscLogDouble  t0, t1;

    for (PetscInt c = 0; c < FIG1_NCASES; c++) {
      PetscBool eq;
      PetscCall(PetscStrcasecmp(plist[ip], cases[c].name, &eq));
      if (eq) fc = &cases[c];
    }
    PetscCheck(fc, comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "-fig1_problems: unknown setting '%s'; the settings are LR, KRR, BR, HR", plist[ip]);
    if (hast) {
      for (PetscInt i = 0; i < ntuser; i++) tl[nt++] = tuser[i];
    } else {
      char  buf[512];
      char *s;
      PetscCall(PetscStrncpy(buf, fc->tlist, sizeof(buf)));
      for (s = strtok(buf, ","); s && nt < FIG1_MAX_T; s = strtok(NULL, ",")) {
        PetscInt t = (PetscInt)atol(s);
        if (t <= tmax) tl[nt++] = t;
      }
    }
    PetscCheck(nt > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "No t left for %s: -fig1_tmax %" PetscInt_FMT " is below the smallest t of its list", fc->name, tmax);
    for (PetscInt m = 0; m < FIG1_NMETH; m++) PetscCall(PetscSNPrintf(mname[m], sizeof(mname[m]), methods[m].name, (int)kfix));

    PetscCall(SetDefaults(fc->options));
    PetscCall(HGProblemCreate(comm, &prob));
    PetscCall(HGProblemSetType(prob, fc->type));
    PetscCall(HGProblemSetFromOptions(prob));
    PetscCall(HGProblemSetUp(prob));
    PetscCall(HGProblemGetLowerConstants(prob, &L0, &mu0));
    PetscCall(HGProblemHasExactHypergradient(prob, &exact));
    PetscCall(HGProblemCreateVecs(prob, &w, &lambda0));
    PetscCall(VecSet(w, 0.0));
    PetscCall(VecDuplicate(lambda0, &lambda));
    PetscCall(VecDuplicate(lambda0, &truth));
    PetscCall(VecDuplicate(lambda0, &h));
    PetscCall(VecDuplicate(lambda0, &d));
    PetscCall(HGProblemGetInitialHyperparameters(prob, lambda0));
    PetscCall(PetscCalloc3(nlambda * nt * FIG1_NMETH, &rel, nlambda * nt * FIG1_NMETH, &abse, nlambda * nt * FIG1_NMETH, &tim));
    PetscCall(PetscMemzero(nfail, sizeof(nfail)));
    PetscCall(PetscPrintf(comm, "%s (%s, lower %s): %" PetscInt_FMT " values of lambda in [%g, %g] x lambda0, t from %" PetscInt_FMT " to %" PetscInt_FMT " (%" PetscInt_FMT " values), truth %s, constants %s\n", fc->name, fc->type, fc->lower, nlambda, (double)box[0], (double)box[1], tl[0],
                          tl[nt - 1], nt, exact ? "closed form" : "converged solve (heavy ball + CG)", perlambda ? "at each lambda" : "at the default lambda"));
    PetscCall(PetscTime(&t0));
    for (PetscInt s = 0; s < nlambda; s++) {
      PetscInt           lo, hi;
      const PetscScalar *l0;
      PetscScalar       *l;
      PetscReal          tn, f, Ls, mus;

      PetscCall(VecGetOwnershipRange(lambda, &lo, &hi));
      PetscCall(VecGetArrayRead(lambda0, &l0));
      PetscCall(VecGetArrayWrite(lambda, &l));
      for (PetscInt i = lo; i < hi; i++) l[i - lo] = l0[i - lo] * (box[0] + (box[1] - box[0]) * HashUniform(seed, s, i));
      PetscCall(VecRestoreArrayWrite(lambda, &l));
      PetscCall(VecRestoreArrayRead(lambda0, &l0));
      if (perlambda) PetscCall(SetConstants(fc, prob, lambda0, L0, w, lambda));
      PetscCall(HGProblemGetLowerConstants(prob, &Ls, &mus));
      if (exact) PetscCall(HGProblemComputeExactHypergradient(prob, lambda, truth, &f));
      else {
        PetscReal lr, ar;
        PetscCall(ConvergedHypergradient(prob, lambda, truth, &lr, &ar));
        lres_max = PetscMax(lres_max, lr);
        ares_max = PetscMax(ares_max, ar);
      }
      PetscCall(VecNorm(truth, NORM_2, &tn));
      PetscCheck(tn > 0, comm, PETSC_ERR_NOT_CONVERGED, "%s: the true hypergradient at sample %" PetscInt_FMT " is zero; relative errors are undefined (change -fig1_seed or -fig1_box)", fc->name, s);
      gnorm_mean += tn / nlambda;
      for (PetscInt it = 0; it < nt; it++) {
        for (PetscInt m = 0; m < FIG1_NMETH; m++) {
          HGInfo    info;
          PetscReal e;
          PetscInt  idx = (s * nt + it) * FIG1_NMETH + m;
          PetscInt  k   = methods[m].kfixed ? kfix : tl[it];

          PetscCall(RunMethod(prob, fc, &methods[m], tl[it], k, lambda, h, &info));
          PetscCall(VecWAXPY(d, -1.0, truth, h));
          PetscCall(VecNorm(d, NORM_2, &e));
          if (info.reason <= 0 || PetscIsInfOrNanReal(e)) nfail[it][m]++;
          abse[idx] = e;
          rel[idx]  = e / tn;
          tim[idx]  = info.time_total;
          if (fraw) PetscCall(PetscFPrintf(comm, fraw, "%s,%s,%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT ",%.6e,%.6e\n", fc->name, mname[m], tl[it], k, s, (double)rel[idx], (double)abse[idx]));
        }
      }
      PetscCall(PetscTime(&t1));
      PetscCall(PetscPrintf(comm, "  %s lambda %" PetscInt_FMT "/%" PetscInt_FMT ": ||grad f|| %.4e, L %.4e mu %.4e; at t = %" PetscInt_FMT ": ITD %.2e FP %.2e CG %.2e (%.1f s so far)\n", fc->name, s + 1, nlambda, (double)tn, (double)Ls, (double)mus, tl[nt - 1], (double)rel[(s * nt + nt - 1) * FIG1_NMETH + M_ITD],
                            (double)rel[(s * nt + nt - 1) * FIG1_NMETH + M_FP], (double)rel[(s * nt + nt - 1) * FIG1_NMETH + M_CG], (double)(t1 - t0)));
    }
    if (!exact) PetscCall(PetscPrintf(comm, "  %s truth: largest lower residual %.3e, largest adjoint residual %.3e over the samples\n", fc->name, (double)lres_max, (double)ares_max));

    /* statistics over the samples */
    {
      PetscReal mean[FIG1_MAX_T][FIG1_NMETH];
      for (PetscInt it = 0; it < nt; it++) {
        for (PetscInt m = 0; m < FIG1_NMETH; m++) {
          PetscReal sm = 0, sq = 0, mn = PETSC_MAX_REAL, mx = 0, am = 0, aq = 0, tm = 0;
          for (PetscInt s = 0; s < nlambda; s++) {
            PetscInt idx = (s * nt + it) * FIG1_NMETH + m;
            sm += rel[idx];
            am += abse[idx];
            tm += tim[idx];
            mn = PetscMin(mn, rel[idx]);
            mx = PetscMax(mx, rel[idx]);
          }
          sm /= nlambda;
          am /= nlambda;
          tm /= nlambda;
          for (PetscInt s = 0; s < nlambda; s++) {
            PetscInt idx = (s * nt + it) * FIG1_NMETH + m;
            sq += PetscSqr(rel[idx] - sm);
            aq += PetscSqr(abse[idx] - am);
          }
          mean[it][m] = sm;
          PetscCall(PetscFPrintf(comm, fp, "%s,%s,%" PetscInt_FMT ",%" PetscInt_FMT ",%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%.4e,%" PetscInt_FMT ",%" PetscInt_FMT "\n", fc->name, mname[m], tl[it], methods[m].kfixed ? kfix : tl[it], (double)sm, (double)PetscSqrtReal(sq / nlambda), (double)mn, (double)mx, (double)am,
                                 (double)PetscSqrtReal(aq / nlambda), (double)tm, nfail[it][m], nlambda));
        }
      }
      PetscCall(PetscPrintf(comm, "  %s mean relative error (||grad f|| mean %.4e):\n  %6s", fc->name, (double)gnorm_mean, "t"));
      for (PetscInt m = 0; m < FIG1_NMETH; m++) PetscCall(PetscPrintf(comm, " %10s", mname[m]));
      PetscCall(PetscPrintf(comm, "\n"));
      for (PetscInt it = 0; it < nt; it++) {
        PetscCall(PetscPrintf(comm, "  %6" PetscInt_FMT, tl[it]));
        for (PetscInt m = 0; m < FIG1_NMETH; m++) PetscCall(PetscPrintf(comm, " %10.3e", (double)mean[it][m]));
        PetscCall(PetscPrintf(comm, "\n"));
      }
      if (check) {
        PetscBool order = PETSC_FALSE;
        for (PetscInt o = 0; o < no; o++) {
          PetscBool eq;
          PetscCall(PetscStrcasecmp(olist[o], fc->name, &eq));
          order = (PetscBool)(order || eq);
        }
        for (PetscInt m = 0; m < FIG1_NMETH; m++) {
          if (methods[m].kfixed) continue;
          if (nt < 2 || !(mean[nt - 1][m] <= fall * mean[0][m])) {
            PetscCall(PetscPrintf(comm, "CHECK FAILED: %s %s: mean error %.3e at t = %" PetscInt_FMT " is not below %g x %.3e at t = %" PetscInt_FMT "\n", fc->name, mname[m], (double)mean[nt - 1][m], (double)fall, (double)mean[0][m], tl[nt - 1], tl[0]));
            nfailed_checks++;
          }
        }
        for (PetscInt it = 0; order && it < nt; it++) {
          PetscReal c = mean[it][M_CG], f = mean[it][M_FP], i = mean[it][M_ITD];
          if (i <= FIG1_FLOOR) continue;
          if (!(c <= f * (1 + 1e-8) && f <= i * (1 + 1e-8))) {
            PetscCall(PetscPrintf(comm, "CHECK FAILED: %s at t = k = %" PetscInt_FMT ": mean errors CG %.3e, FP %.3e, ITD %.3e are not ordered CG <= FP <= ITD\n", fc->name, tl[it], (double)c, (double)f, (double)i));
            nfailed_checks++;
          }
        }
        for (PetscInt it = 0; it < nt; it++)
          for (PetscInt m = 0; m < FIG1_NMETH; m++)
            if (nfail[it][m]) {
              PetscCall(PetscPrintf(comm, "CHECK FAILED: %s %s at t = %" PetscInt_FMT ": %" PetscInt_FMT " hypergradients did not converge\n", fc->name, mname[m], tl[it], nfail[it][m]));
              nfailed_checks++;
            }
      }
    }
    PetscCall(PetscTime(&t1));
    PetscCall(PetscPrintf(comm, "  %s done in %.1f s\n", fc->name, (double)(t1 - t0)));
    PetscCall(PetscFree3(rel, abse, tim));
    PetscCall(VecDestroy(&lambda0));
    PetscCall(VecDestroy(&lambda));
    PetscCall(VecDestroy(&truth));
    PetscCall(VecDestroy(&h));
    PetscCall(VecDestroy(&d));
    PetscCall(VecDestroy(&w));
    PetscCall(HGProblemDestroy(&prob));
  }
  PetscCall(PetscFClose(comm, fp));
  if (fraw) PetscCall(PetscFClose(comm, fraw));
  PetscCall(PetscPrintf(comm, "wrote %s\n", csv));
  for (PetscInt i = 0; i < np; i++) PetscCall(PetscFree(plist[i]));
  for (PetscInt i = 0; i < no; i++) PetscCall(PetscFree(olist[i]));
  PetscCheck(!nfailed_checks, comm, PETSC_ERR_NOT_CONVERGED, "%" PetscInt_FMT " checks of -fig1_check failed (see above)", nfailed_checks);
  PetscCall(PetscFinalize());
  return 0;
}
