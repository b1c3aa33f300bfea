static const char help[] = "Tutorial 1: a user problem in the optimization form, checked against its closed form.\n\n"
                           "Ridge regression with one weight e^{lambda_j} per feature:\n"
                           "  lower  l(w, lambda) = 1/2 ||X w - y||^2 + 1/2 sum_j e^{lambda_j} w_j^2\n"
                           "  upper  E(w)         = 1/2 ||X' w - y'||^2   (validation data X', y')\n"
                           "Options:\n"
                           "  -p <8>, -n <40>       features and samples (training and validation)\n"
                           "  -first_order          give only the gradients: the Hessian and mixed products are then\n"
                           "                        taken matrix-free by central differences (see -problem_fd_*)\n"
                           "  -param_gradient <1>   with -first_order, also give grad_lambda l: the mixed product is then one\n"
                           "                        difference of it (2 evaluations) instead of one per hyperparameter\n"
                           "  -rtol <1e-8>          largest accepted relative error against the closed form\n"
                           "  and every -hg_*, -lower_* option.\n";

/*
  The hypergradient is grad f(lambda) = -(d_lambda grad_w l)^T H^{-1} grad_w E at w = w(lambda), with
  H = X^T X + diag(e^lambda); here d_lambda grad_w l = diag(e^lambda o w), so

      grad f(lambda)_j = -e^{lambda_j} w_j v_j,   H w = X^T y,   H v = X'^T (X' w - y').

  The program computes it with the library (AID-CG by default), then computes the formula above with
  a dense LU factorization of H on every rank, and compares.
*/
#include <hypergrad.h>

typedef struct {
  Mat X, Xv;    /* training and validation data, rows distributed, columns laid out like w */
  Vec y, yv;    /* targets */
  Vec r, rv;    /* residuals X w - y, X' w - y' */
  Vec e;        /* e^lambda, in the layout of w and lambda */
  PetscReal nx; /* ||X||_F^2 >= ||X||_2^2 */
} Ridge;

/* deterministic data, the same on any number of ranks */
static PetscReal Val(PetscInt stream, PetscInt i)
{
  PetscReal x = PetscSinReal(12.9898 * (i + 1) + 78.233 * stream) * 43758.5453;
  return 2 * (x - PetscFloorReal(x)) - 1;
}

static PetscErrorCode ExpLambda(Ridge *rd, Vec lambda)
{
  PetscFunctionBeginUser;
  PetscCall(VecCopy(lambda, rd->e));
  PetscCall(VecExp(rd->e));
  PetscFunctionReturn(0);
}

/* l(w, lambda) */
static PetscErrorCode LowerObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *l, void *ctx)
{
  Ridge      *rd = (Ridge *)ctx;
  PetscReal   a;
  PetscScalar b;
  Vec         t;

  PetscFunctionBeginUser;
  PetscCall(MatMult(rd->X, w, rd->r));
  PetscCall(VecAXPY(rd->r, -1.0, rd->y));
  PetscCall(VecNorm(rd->r, NORM_2, &a));
  PetscCall(ExpLambda(rd, lambda));
  PetscCall(VecDuplicate(w, &t));
  PetscCall(VecPointwiseMult(t, rd->e, w));
  PetscCall(VecDot(t, w, &b));
  PetscCall(VecDestroy(&t));
  *l = 0.5 * a * a + 0.5 * PetscRealPart(b);
  PetscFunctionReturn(0);
}

/* g = grad_w l = X^T (X w - y) + e^lambda o w: g is in the space of w and is overwritten */
static PetscErrorCode LowerGradient(HGProblem prob, Vec w, Vec lambda, Vec g, void *ctx)
{
  Ridge *rd = (Ridge *)ctx;

  PetscFunctionBeginUser;
  PetscCall(MatMult(rd->X, w, rd->r));
  PetscCall(VecAXPY(rd->r, -1.0, rd->y));
  PetscCall(MatMultTranspose(rd->X, rd->r, g));
  PetscCall(ExpLambda(rd, lambda));
  PetscCall(VecPointwiseMult(rd->e, rd->e, w));
  PetscCall(VecAXPY(g, 1.0, rd->e));
  PetscFunctionReturn(0);
}

/* y = H x = X^T X x + e^lambda o x: x and y in the space of w, y overwritten */
static PetscErrorCode HessianMult(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y, void *ctx)
{
  Ridge *rd = (Ridge *)ctx;

  PetscFunctionBeginUser;
  PetscCall(MatMult(rd->X, x, rd->r));
  PetscCall(MatMultTranspose(rd->X, rd->r, y));
  PetscCall(ExpLambda(rd, lambda));
  PetscCall(VecPointwiseMult(rd->e, rd->e, x));
  PetscCall(VecAXPY(y, 1.0, rd->e));
  PetscFunctionReturn(0);
}

/* y = (d_lambda grad_w l)^T x = e^lambda o w o x: x in the space of w, y in the space of lambda, y overwritten */
static PetscErrorCode MixedMultTranspose(HGProblem prob, Vec w, Vec lambda, Vec x, Vec y, void *ctx)
{
  Ridge *rd = (Ridge *)ctx;

  PetscFunctionBeginUser;
  PetscCall(ExpLambda(rd, lambda));
  PetscCall(VecPointwiseMult(y, rd->e, w));
  PetscCall(VecPointwiseMult(y, y, x));
  PetscFunctionReturn(0);
}

/* g = grad_lambda l = 1/2 e^lambda o w o w: g in the space of lambda, overwritten (used only with -first_order) */
static PetscErrorCode LowerParamGradient(HGProblem prob, Vec w, Vec lambda, Vec g, void *ctx)
{
  Ridge *rd = (Ridge *)ctx;

  PetscFunctionBeginUser;
  PetscCall(ExpLambda(rd, lambda));
  PetscCall(VecPointwiseMult(g, rd->e, w));
  PetscCall(VecPointwiseMult(g, g, w));
  PetscCall(VecScale(g, 0.5));
  PetscFunctionReturn(0);
}

/* E(w, lambda) = 1/2 ||X' w - y'||^2 */
static PetscErrorCode UpperObjective(HGProblem prob, Vec w, Vec lambda, PetscReal *E, void *ctx)
{
  Ridge    *rd = (Ridge *)ctx;
  PetscReal a;

  PetscFunctionBeginUser;
  PetscCall(MatMult(rd->Xv, w, rd->rv));
  PetscCall(VecAXPY(rd->rv, -1.0, rd->yv));
  PetscCall(VecNorm(rd->rv, NORM_2, &a));
  *E = 0.5 * a * a;
  PetscFunctionReturn(0);
}

/* gw = grad_w E = X'^T (X' w - y') and gl = grad_lambda E = 0, both overwritten */
static PetscErrorCode UpperGradient(HGProblem prob, Vec w, Vec lambda, Vec gw, Vec gl, void *ctx)
{
  Ridge *rd = (Ridge *)ctx;

  PetscFunctionBeginUser;
  PetscCall(MatMult(rd->Xv, w, rd->rv));
  PetscCall(VecAXPY(rd->rv, -1.0, rd->yv));
  PetscCall(MatMultTranspose(rd->Xv, rd->rv, gw));
  PetscCall(VecSet(gl, 0.0));
  PetscFunctionReturn(0);
}

/* L and mu at lambda: L = ||X||_F^2 + max e^lambda >= ||H||, mu = min e^lambda <= smallest eigenvalue of H */
static PetscErrorCode LowerConstants(HGProblem prob, Vec lambda, PetscReal *L, PetscReal *mu, void *ctx)
{
  Ridge    *rd = (Ridge *)ctx;
  PetscReal lo, hi;

  PetscFunctionBeginUser;
  PetscCall(VecMin(lambda, NULL, &lo));
  PetscCall(VecMax(lambda, NULL, &hi));
  *L  = rd->nx + PetscExpReal(hi);
  *mu = PetscExpReal(lo);
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateData(MPI_Comm comm, PetscInt n, PetscInt p, PetscInt stream, Mat *X, Vec *y)
{
  PetscInt lo, hi;

  PetscFunctionBeginUser;
  PetscCall(MatCreateDense(comm, PETSC_DECIDE, PETSC_DECIDE, n, p, NULL, X));
  PetscCall(MatGetOwnershipRange(*X, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++)
    for (PetscInt j = 0; j < p; j++) PetscCall(MatSetValue(*X, i, j, Val(stream, i * p + j) / PetscSqrtReal((PetscReal)n), INSERT_VALUES));
  PetscCall(MatAssemblyBegin(*X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatCreateVecs(*X, NULL, y));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(*y, i, Val(stream + 1, i), INSERT_VALUES));
  PetscCall(VecAssemblyBegin(*y));
  PetscCall(VecAssemblyEnd(*y));
  PetscFunctionReturn(0);
}

/* The closed form, on every rank: dense H = X^T X + diag(e^lambda) from the gathered data, LU */
static PetscErrorCode ClosedForm(Ridge *rd, Vec lambda, Vec grad)
{
  Mat          Xs, Xvs, H;
  Vec          lall, b, w, g, v, rv;
  IS           rows, cols;
  PetscInt     n, nv, p, lo, hi;
  MatFactorInfo info;
  const PetscScalar *la, *wa, *va;

  PetscFunctionBeginUser;
  PetscCall(MatGetSize(rd->X, &n, &p));
  PetscCall(MatGetSize(rd->Xv, &nv, NULL));
  /* every rank gets a sequential copy of X, X', y, y' and lambda */
  PetscCall(MatCreateRedundantMatrix(rd->X, 0, PETSC_COMM_SELF, MAT_INITIAL_MATRIX, &Xs));
  PetscCall(MatCreateRedundantMatrix(rd->Xv, 0, PETSC_COMM_SELF, MAT_INITIAL_MATRIX, &Xvs));
  PetscCall(MatTransposeMatMult(Xs, Xs, MAT_INITIAL_MATRIX, PETSC_DEFAULT, &H));
  {
    VecScatter sc;
    Vec        yall, yvall;
    PetscCall(VecScatterCreateToAll(lambda, &sc, &lall));
    PetscCall(VecScatterBegin(sc, lambda, lall, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sc, lambda, lall, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterDestroy(&sc));
    PetscCall(VecScatterCreateToAll(rd->y, &sc, &yall));
    PetscCall(VecScatterBegin(sc, rd->y, yall, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sc, rd->y, yall, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterDestroy(&sc));
    PetscCall(VecScatterCreateToAll(rd->yv, &sc, &yvall));
    PetscCall(VecScatterBegin(sc, rd->yv, yvall, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sc, rd->yv, yvall, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterDestroy(&sc));
    PetscCall(VecGetArrayRead(lall, &la));
    for (PetscInt j = 0; j < p; j++) PetscCall(MatSetValue(H, j, j, PetscExpReal(PetscRealPart(la[j])), ADD_VALUES));
    PetscCall(MatAssemblyBegin(H, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(H, MAT_FINAL_ASSEMBLY));
    PetscCall(MatCreateVecs(H, &w, &b));
    PetscCall(VecDuplicate(w, &g));
    PetscCall(VecDuplicate(w, &v));
    PetscCall(VecDuplicate(yvall, &rv));
    /* w = H^{-1} X^T y */
    PetscCall(MatMultTranspose(Xs, yall, b));
    PetscCall(ISCreateStride(PETSC_COMM_SELF, p, 0, 1, &rows));
    PetscCall(ISCreateStride(PETSC_COMM_SELF, p, 0, 1, &cols));
    PetscCall(MatFactorInfoInitialize(&info));
    PetscCall(MatLUFactor(H, rows, cols, &info));
    PetscCall(MatSolve(H, b, w));
    /* v = H^{-1} X'^T (X' w - y') (H is symmetric) */
    PetscCall(MatMult(Xvs, w, rv));
    PetscCall(VecAXPY(rv, -1.0, yvall));
    PetscCall(MatMultTranspose(Xvs, rv, g));
    PetscCall(MatSolve(H, g, v));
    /* grad_j = -e^{lambda_j} w_j v_j, on this rank's part of grad */
    PetscCall(VecGetOwnershipRange(grad, &lo, &hi));
    PetscCall(VecGetArrayRead(w, &wa));
    PetscCall(VecGetArrayRead(v, &va));
    for (PetscInt j = lo; j < hi; j++) PetscCall(VecSetValue(grad, j, -PetscExpReal(PetscRealPart(la[j])) * wa[j] * va[j], INSERT_VALUES));
    PetscCall(VecRestoreArrayRead(w, &wa));
    PetscCall(VecRestoreArrayRead(v, &va));
    PetscCall(VecRestoreArrayRead(lall, &la));
    PetscCall(VecAssemblyBegin(grad));
    PetscCall(VecAssemblyEnd(grad));
    PetscCall(VecDestroy(&yall));
    PetscCall(VecDestroy(&yvall));
  }
  PetscCall(ISDestroy(&rows));
  PetscCall(ISDestroy(&cols));
  PetscCall(VecDestroy(&lall));
  PetscCall(VecDestroy(&b));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&g));
  PetscCall(VecDestroy(&v));
  PetscCall(VecDestroy(&rv));
  PetscCall(MatDestroy(&H));
  PetscCall(MatDestroy(&Xs));
  PetscCall(MatDestroy(&Xvs));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  Ridge     rd;
  HGProblem prob;
  HG        hg;
  Vec       w, lambda, h, hexact;
  PetscInt  n = 40, p = 8, lo, hi;
  PetscBool first_order = PETSC_FALSE, param_gradient = PETSC_TRUE;
  PetscReal rtol = 1e-8, err, nrm, maxrel;
  HGInfo    info;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-n", &n, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-p", &p, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-first_order", &first_order, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-param_gradient", &param_gradient, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-rtol", &rtol, NULL));

  /* the data and the vectors: w and lambda are both laid out like the columns of X */
  PetscCall(CreateData(PETSC_COMM_WORLD, n, p, 1, &rd.X, &rd.y));
  PetscCall(CreateData(PETSC_COMM_WORLD, n, p, 3, &rd.Xv, &rd.yv));
  PetscCall(MatCreateVecs(rd.X, &w, &rd.r));
  PetscCall(MatCreateVecs(rd.Xv, NULL, &rd.rv));
  PetscCall(VecDuplicate(w, &lambda));
  PetscCall(VecDuplicate(w, &rd.e));
  PetscCall(MatNorm(rd.X, NORM_FROBENIUS, &rd.nx));
  rd.nx *= rd.nx;

  /* the problem: callbacks of the optimization form */
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetVecTemplates(prob, w, lambda));
  PetscCall(HGProblemSetContext(prob, &rd, NULL));
  PetscCall(HGProblemSetLowerObjective(prob, LowerObjective));
  PetscCall(HGProblemSetLowerGradient(prob, LowerGradient));
  if (!first_order) {
    PetscCall(HGProblemSetLowerHessianMult(prob, HessianMult));
    PetscCall(HGProblemSetLowerMixedMultTranspose(prob, MixedMultTranspose));
  } else if (param_gradient) PetscCall(HGProblemSetLowerParamGradient(prob, LowerParamGradient));
  PetscCall(HGProblemSetUpperObjective(prob, UpperObjective));
  PetscCall(HGProblemSetUpperGradient(prob, UpperGradient));
  PetscCall(HGProblemSetLowerConstantsFunction(prob, LowerConstants));
  PetscCall(HGProblemSetFromOptions(prob));

  /* lambda_j = 0.3 * Val: weights between e^-0.3 and e^0.3 */
  PetscCall(VecGetOwnershipRange(lambda, &lo, &hi));
  for (PetscInt j = lo; j < hi; j++) PetscCall(VecSetValue(lambda, j, 0.3 * Val(5, j), INSERT_VALUES));
  PetscCall(VecAssemblyBegin(lambda));
  PetscCall(VecAssemblyEnd(lambda));
  {
    /* L and mu at the initial lambda set up the solvers; LowerConstants() updates them at every lambda */
    PetscReal L, mu;
    PetscCall(LowerConstants(prob, lambda, &L, &mu, &rd));
    PetscCall(HGProblemSetLowerConstants(prob, L, mu));
  }

  /* every callback against central differences of the one it differentiates (with -first_order the
     products are themselves differences of the gradient, so only the gradient is really checked) */
  PetscCall(VecSet(w, 0.1));
  PetscCall(HGProblemTestDerivatives(prob, w, lambda, 1e-6, NULL, &maxrel));
  if (!first_order) PetscCheck(maxrel < 1e-5, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "ex1: a callback disagrees with finite differences of its neighbour: relative error %g", (double)maxrel);

  /* the hypergradient: AID-CG with 300 lower and adjoint iterations unless options say otherwise */
  PetscCall(HGCreate(PETSC_COMM_WORLD, &hg));
  PetscCall(HGSetProblem(hg, prob));
  PetscCall(HGSetType(hg, HGAID));
  PetscCall(HGSetIterations(hg, 300, 300));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecDuplicate(lambda, &hexact));
  PetscCall(HGComputeHypergradient(hg, lambda, h));
  PetscCall(HGGetInfo(hg, &info));

  PetscCall(ClosedForm(&rd, lambda, hexact));
  PetscCall(VecNorm(hexact, NORM_2, &nrm));
  PetscCall(VecAXPY(hexact, -1.0, h));
  PetscCall(VecNorm(hexact, NORM_2, &err));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "ex1: ||h|| = %.6e, relative error against the closed form %.2e (t = %" PetscInt_FMT ", k = %" PetscInt_FMT ", a-posteriori bound %.2e)\n", (double)nrm, (double)(err / nrm), info.lower_its, info.adjoint_its, (double)info.bound_aposteriori));
  PetscCheck(err <= rtol * nrm, PETSC_COMM_WORLD, PETSC_ERR_NOT_CONVERGED, "ex1: the hypergradient differs from the closed form by %g relative (tolerance -rtol %g)", (double)(err / nrm), (double)rtol);

  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&hexact));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&rd.r));
  PetscCall(VecDestroy(&rd.rv));
  PetscCall(VecDestroy(&rd.e));
  PetscCall(VecDestroy(&rd.y));
  PetscCall(VecDestroy(&rd.yv));
  PetscCall(MatDestroy(&rd.X));
  PetscCall(MatDestroy(&rd.Xv));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
