/*MC
   HGPROBLEMMULTI - a bilevel problem made of n independent instances,

     f(lambda) = sum_i c_i E_i(w_i(lambda), lambda),   w_i(lambda) = argmin_w l_i(w, lambda) (or a fixed point of Phi_i),

   each instance an HGProblem of any type living on a sub-communicator (PetscSubcomm of
   contiguous ranks), its data distributed by rows inside it; lambda lives on the whole
   communicator.  The instances are split in contiguous blocks over the sub-communicators
   (instances 0 .. n/nsub - 1 on the first, and so on, the first n mod nsub get one more); the
   instances of one sub-communicator are solved one after the other by HGMULTI (-hg_type multi),
   which keeps one HG per instance and reduces h = sum_i c_i h_i onto lambda's layout.

   Instances come from a callback (HGProblemMultiSetInstanceCreate()) or are built-in problems
   of type -sub_problem <type> (every option of an instance carries the prefix sub_, e.g.
   -sub_lr_p 50), told their index by HGProblemSetInstance(): logreg, krr and mlogreg make fold
   i of an n-fold cross-validation of it (see HGProblemSetInstance()), hyperrep task i of a
   multi-task hyper-representation.

   The lower-level vector of the whole problem is the stacked vector (w_0, w_1, ..., w_{n-1})
   in instance order (HGProblemMultiGetInstanceOffset()): its global order does not depend on
   the ranks or sub-communicators, so a run file (its /w and /v) resumes onto any of them.
   The upper objective is sum_i c_i E_i; the projection and the initial lambda are those of
   instance 0.  The lower-level callbacks exist only to tell an HG of another type to use
   -hg_type multi.

   Options Database Keys:
+  -multi_n <n>            - number of instances (required with -sub_problem)
.  -multi_nsubcomm <s>     - number of sub-communicators (default: min(ranks, n))
.  -multi_sum              - c_i = 1 (sum of the instances) instead of the default 1/n (mean)
-  -sub_problem <type>     - the built-in type of the instances (without a callback)

   Level: intermediate

.seealso: HGMULTI, HGProblemMultiSetInstanceCreate(), HGProblemSetInstance(), PCBJACOBI
M*/
#include "multiimpl.h"

/* y = x on this rank's entries (the same local sizes, any communicators) */
static PetscErrorCode LocalCopy(Vec x, Vec y)
{
  const PetscScalar *xa;
  PetscScalar       *ya;
  PetscInt           nx, ny;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(x, &nx));
  PetscCall(VecGetLocalSize(y, &ny));
  PetscCheck(nx == ny, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Local sizes %" PetscInt_FMT " and %" PetscInt_FMT " differ", nx, ny);
  PetscCall(VecGetArrayRead(x, &xa));
  PetscCall(VecGetArrayWrite(y, &ya));
  PetscCall(PetscArraycpy(ya, xa, nx));
  PetscCall(VecRestoreArrayWrite(y, &ya));
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscFunctionReturn(0);
}

static PetscErrorCode NotAnHG(HGProblem prob)
{
  PetscFunctionBegin;
  SETERRQ(PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONGSTATE, "A problem of type multi is solved instance by instance: use -hg_type multi (HGSetType(hg, HGMULTI)); the method of each instance is -sub_hg_type");
}
static PetscErrorCode LowerGradientNA(HGProblem prob, Vec w, Vec l, Vec g, void *ctx)
{
  return NotAnHG(prob);
}
static PetscErrorCode MultNA(HGProblem prob, Vec w, Vec l, Vec x, Vec y, void *ctx)
{
  return NotAnHG(prob);
}
static PetscErrorCode UpperGradientNA(HGProblem prob, Vec w, Vec l, Vec gw, Vec gl, void *ctx)
{
  return NotAnHG(prob);
}

/* Deterministic reduction over the sub-communicators: each one's value (that of its rank 0)
   combined in the order of the sub-communicators, the same on every rank */
PetscErrorCode HGProblemMultiReduce(HGProblem prob, PetscInt nv, const PetscReal local[], const MPI_Op ops[], PetscReal out[])
{
  HGProblem_Multi *m    = (HGProblem_Multi *)prob->data;
  MPI_Comm         comm = PetscObjectComm((PetscObject)prob);
  PetscMPIInt      size;
  PetscReal       *snd, *all;
  PetscBool        first = PETSC_TRUE;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscMalloc2(nv + 1, &snd, (nv + 1) * size, &all));
  snd[0] = m->leader ? 1.0 : 0.0;
  for (PetscInt k = 0; k < nv; k++) snd[k + 1] = local[k];
  PetscCallMPI(MPI_Allgather(snd, (PetscMPIInt)(nv + 1), MPIU_REAL, all, (PetscMPIInt)(nv + 1), MPIU_REAL, comm));
  for (PetscMPIInt r = 0; r < size; r++) {
    const PetscReal *a = all + r * (nv + 1);
    if (a[0] == 0.0) continue;
    for (PetscInt k = 0; k < nv; k++) {
      if (first) out[k] = a[k + 1];
      else if (ops[k] == MPI_SUM) out[k] += a[k + 1];
      else if (ops[k] == MPI_MAX) out[k] = PetscMax(out[k], a[k + 1]);
      else out[k] = PetscMin(out[k], a[k + 1]);
    }
    first = PETSC_FALSE;
  }
  PetscCall(PetscFree2(snd, all));
  PetscFunctionReturn(0);
}

/* lambda (whole communicator) -> lsub (this sub-communicator's copy) */
PetscErrorCode HGProblemMultiLambdaToSub(HGProblem prob, Vec lambda, Vec lsub)
{
  HGProblem_Multi   *m = (HGProblem_Multi *)prob->data;
  const PetscScalar *la;
  PetscScalar       *ya;

  PetscFunctionBegin;
  PetscCall(VecGetArrayRead(lambda, &la));
  PetscCall(VecGetArrayWrite(m->Y, &ya));
  for (PetscInt s = 0; s < m->nsub; s++) PetscCall(PetscArraycpy(ya + s * m->ml, la, m->ml));
  PetscCall(VecRestoreArrayWrite(m->Y, &ya));
  PetscCall(VecRestoreArrayRead(lambda, &la));
  PetscCall(VecScatterBegin(m->xy, m->Y, m->X, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterEnd(m->xy, m->Y, m->X, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(LocalCopy(m->X, lsub));
  PetscFunctionReturn(0);
}

/* h = sum over the sub-communicators s = 0, 1, ... (in this order) of their hsub (which < 0),
   or the hsub of sub-communicator which */
PetscErrorCode HGProblemMultiSumToLambda(HGProblem prob, Vec hsub, PetscInt which, Vec h)
{
  HGProblem_Multi   *m = (HGProblem_Multi *)prob->data;
  const PetscScalar *ya;
  PetscScalar       *ha;

  PetscFunctionBegin;
  PetscCall(LocalCopy(hsub, m->X));
  PetscCall(VecScatterBegin(m->xy, m->X, m->Y, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(m->xy, m->X, m->Y, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayRead(m->Y, &ya));
  PetscCall(VecGetArrayWrite(h, &ha));
  if (which >= 0) PetscCall(PetscArraycpy(ha, ya + which * m->ml, m->ml));
  else
    for (PetscInt j = 0; j < m->ml; j++) {
      PetscScalar t = ya[j];
      for (PetscInt s = 1; s < m->nsub; s++) t += ya[s * m->ml + j];
      ha[j] = t;
    }
  PetscCall(VecRestoreArrayWrite(h, &ha));
  PetscCall(VecRestoreArrayRead(m->Y, &ya));
  PetscFunctionReturn(0);
}

/* w_j (local instance j) <- its block of the stacked vector W */
PetscErrorCode HGProblemMultiStackedToInstance(HGProblem prob, Vec W, PetscInt j, Vec wj)
{
  HGProblem_Multi   *m = (HGProblem_Multi *)prob->data;
  const PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetArrayRead(W, &a));
  PetscCall(VecPlaceArray(m->Wsub, a));
  PetscCall(VecScatterBegin(m->wsc[j], m->Wsub, wj, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(m->wsc[j], m->Wsub, wj, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecResetArray(m->Wsub));
  PetscCall(VecRestoreArrayRead(W, &a));
  PetscFunctionReturn(0);
}

/* the block of local instance j in the stacked vector W <- w_j */
PetscErrorCode HGProblemMultiInstanceToStacked(HGProblem prob, PetscInt j, Vec wj, Vec W)
{
  HGProblem_Multi *m = (HGProblem_Multi *)prob->data;
  PetscScalar     *a;

  PetscFunctionBegin;
  PetscCall(VecGetArray(W, &a));
  PetscCall(VecPlaceArray(m->Wsub, a));
  PetscCall(VecScatterBegin(m->wsc[j], wj, m->Wsub, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterEnd(m->wsc[j], wj, m->Wsub, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecResetArray(m->Wsub));
  PetscCall(VecRestoreArray(W, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode HGProblemMultiSetActive(HGProblem prob, const PetscBool active[], PetscReal scale)
{
  HGProblem_Multi *m = (HGProblem_Multi *)prob->data;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < m->n; i++) m->active[i] = active ? active[i] : PETSC_TRUE;
  m->scale = scale;
  PetscFunctionReturn(0);
}

/* sum_i c_i E_i(w_i, lambda) over the active instances */
static PetscErrorCode UpperObjective(HGProblem prob, Vec W, Vec lambda, PetscReal *E, void *ctx)
{
  HGProblem_Multi *m = (HGProblem_Multi *)prob->data;
  PetscReal        loc = 0, Ei;
  MPI_Op           op  = MPI_SUM;

  PetscFunctionBegin;
  PetscCall(HGProblemMultiLambdaToSub(prob, lambda, m->lsub));
  for (PetscInt j = 0; j < m->nloc; j++) {
    if (!m->active[m->first + j]) continue;
    PetscCall(HGProblemMultiStackedToInstance(prob, W, j, m->wn[j]));
    PetscCall(HGProblemComputeUpperObjective(m->inst[j], m->wn[j], m->lsub, &Ei));
    loc += m->scale * m->c[j] * Ei;
  }
  PetscCall(HGProblemMultiReduce(prob, 1, &loc, &op, E));
  PetscFunctionReturn(0);
}

/* The projection of instance 0 (every sub-communicator projects its copy; the first one's counts) */
static PetscErrorCode Projection(HGProblem prob, Vec lambda, void *ctx)
{
  HGProblem_Multi *m = (HGProblem_Multi *)prob->data;

  PetscFunctionBegin;
  PetscCall(HGProblemMultiLambdaToSub(prob, lambda, m->lsub));
  PetscCall(HGProblemProject(m->inst[0], m->lsub));
  PetscCall(HGProblemMultiSumToLambda(prob, m->lsub, 0, lambda));
  PetscFunctionReturn(0);
}

/* Mean validation/test accuracy of the active instances (weights c_i), NaN when they have none */
static PetscErrorCode Accuracy(HGProblem prob, Vec W, Vec lambda, PetscReal *val, PetscReal *test, void *ctx)
{
  HGProblem_Multi *m = (HGProblem_Multi *)prob->data;
  PetscReal        loc[3] = {0, 0, 0}, out[3], v, t;
  MPI_Op           ops[3] = {MPI_SUM, MPI_SUM, MPI_SUM};

  PetscFunctionBegin;
  PetscCall(HGProblemMultiLambdaToSub(prob, lambda, m->lsub));
  for (PetscInt j = 0; j < m->nloc; j++) {
    if (!m->active[m->first + j]) continue;
    PetscCall(HGProblemMultiStackedToInstance(prob, W, j, m->wn[j]));
    PetscCall(HGProblemComputeAccuracy(m->inst[j], m->wn[j], m->lsub, &v, &t));
    loc[0] += m->c[j] * v;
    loc[1] += m->c[j] * t;
    loc[2] += m->c[j];
  }
  PetscCall(HGProblemMultiReduce(prob, 3, loc, ops, out));
  *val  = out[0] / out[2];
  *test = out[1] / out[2];
  PetscFunctionReturn(0);
}

/* Instance i on the sub-communicator: the callback's or a built-in one of -sub_problem */
/* The built-in types that make instance i of n different instances (folds, tasks, images); the
   others would give n copies of one problem */
static PetscErrorCode CheckInstanceType(HGProblem inst, MPI_Comm subcomm)
{
  PetscBool ok;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompareAny((PetscObject)inst, &ok, HGPROBLEMLOGREG, HGPROBLEMMLOGREG, HGPROBLEMKRR, HGPROBLEMBIASREG, HGPROBLEMHYPERREP, HGPROBLEMDENOISE, ""));
  PetscCheck(ok, subcomm, PETSC_ERR_SUP, "-sub_problem %s: problem %s has no folds or tasks (its instances would all be the same problem): use -sub_problem logreg, mlogreg, krr or biasreg (k-fold cross-validation), hyperrep (multi-task), denoise (one image per instance), or give your own instances with HGProblemMultiSetInstanceCreate()", ((PetscObject)inst)->type_name, ((PetscObject)inst)->type_name);
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateInstance(HGProblem prob, PetscInt i, HGProblem *inst, PetscReal *c, PetscBool *wrongcomm)
{
  HGProblem_Multi *m = (HGProblem_Multi *)prob->data;
  const char      *prefix;
  PetscMPIInt      cmp;

  PetscFunctionBegin;
  *c         = m->sum ? 1.0 : 1.0 / (PetscReal)m->n;
  *wrongcomm = PETSC_FALSE;
  if (m->create) {
    *inst = NULL;
    PetscCall((*m->create)(prob, i, m->subcomm, inst, c, m->createctx));
    PetscCheck(*inst, m->subcomm, PETSC_ERR_ARG_NULL, "The instance callback of HGProblemMultiSetInstanceCreate() returned no problem for instance %" PetscInt_FMT, i);
    PetscValidHeaderSpecific(*inst, HGPROBLEM_CLASSID, 3);
    PetscCallMPI(MPI_Comm_compare(PetscObjectComm((PetscObject)*inst), m->subcomm, &cmp));
    if (cmp != MPI_IDENT && cmp != MPI_CONGRUENT) { /* reported collectively by SetUp() */
      *wrongcomm = PETSC_TRUE;
      PetscFunctionReturn(0);
    }
    PetscCheck(PetscIsNormalReal(*c) || *c == 0, m->subcomm, PETSC_ERR_ARG_OUTOFRANGE, "The weight c_%" PetscInt_FMT " of instance %" PetscInt_FMT " is not finite", i, i);
  } else {
    PetscCall(HGProblemCreate(m->subcomm, inst));
    PetscCall(PetscObjectGetOptionsPrefix((PetscObject)prob, &prefix));
    PetscCall(HGProblemSetOptionsPrefix(*inst, prefix));
    PetscCall(PetscObjectAppendOptionsPrefix((PetscObject)*inst, "sub_"));
    PetscCall(HGProblemSetInstance(*inst, i, m->n));
    PetscCall(HGProblemSetFromOptions(*inst));
    PetscCheck(((PetscObject)*inst)->type_name && ((PetscObject)*inst)->type_name[0], m->subcomm, PETSC_ERR_ARG_WRONGSTATE, "-problem multi: give the type of the instances with -sub_problem <type> (for example logreg for k-fold cross-validation, hyperrep for multi-task learning), or a callback with HGProblemMultiSetInstanceCreate()");
    PetscCall(CheckInstanceType(*inst, m->subcomm));
  }
  {
    PetscBool ismulti;
    PetscCall(PetscObjectTypeCompare((PetscObject)*inst, HGPROBLEMMULTI, &ismulti));
    PetscCheck(!ismulti, m->subcomm, PETSC_ERR_ARG_WRONG, "An instance of a multi problem cannot itself be of type multi: choose another -sub_problem");
  }
  PetscCall(HGProblemSetUp(*inst));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUp(HGProblem prob)
{
  HGProblem_Multi *m    = (HGProblem_Multi *)prob->data;
  MPI_Comm         comm = PetscObjectComm((PetscObject)prob);
  PetscMPIInt      size, rank, srank, ssize;
  PetscInt         p = 0, ms = 0, rs, lo, hi, nw, nwloc, *ix, *iy, cnt = 0, shift;
  Vec              lambda, W, l0;
  IS               isx, isy;
  PetscBool        hasproj, haslambda0;

  PetscFunctionBegin;
  if (m->inst) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCheck(m->n >= 1, comm, PETSC_ERR_ARG_WRONGSTATE, "-problem multi: give the number of instances with -multi_n <n> (n >= 1) or HGProblemMultiSetNumberInstances()");
  m->nsub = m->nsub_req == PETSC_DEFAULT ? PetscMin((PetscInt)size, m->n) : m->nsub_req;
  PetscCheck(m->nsub >= 1 && m->nsub <= size, comm, PETSC_ERR_ARG_OUTOFRANGE, "-multi_nsubcomm %" PetscInt_FMT " is not possible on %d ranks: give at most one sub-communicator per rank (-multi_nsubcomm <= %d), or run on more ranks", m->nsub, size, size);
  PetscCheck(m->nsub <= m->n, comm, PETSC_ERR_ARG_OUTOFRANGE, "-multi_nsubcomm %" PetscInt_FMT " exceeds the number of instances -multi_n %" PetscInt_FMT ": a sub-communicator without an instance would idle; give -multi_nsubcomm <= %" PetscInt_FMT, m->nsub, m->n, m->n);
  PetscCall(PetscSubcommCreate(comm, &m->psub));
  PetscCall(PetscSubcommSetNumber(m->psub, m->nsub));
  PetscCall(PetscSubcommSetType(m->psub, PETSC_SUBCOMM_CONTIGUOUS));
  PetscCall(PetscSubcommGetChild(m->psub, &m->subcomm));
  m->color = m->psub->color;
  PetscCallMPI(MPI_Comm_rank(m->subcomm, &srank));
  PetscCallMPI(MPI_Comm_size(m->subcomm, &ssize));
  m->leader = srank == 0 ? PETSC_TRUE : PETSC_FALSE;
  /* instances first .. first + nloc - 1 on this sub-communicator */
  m->nloc  = m->n / m->nsub + (m->color < m->n % m->nsub ? 1 : 0);
  m->first = m->color * (m->n / m->nsub) + PetscMin(m->color, m->n % m->nsub);
  PetscCall(PetscCalloc5(m->nloc, &m->inst, m->nloc, &m->c, m->n, &m->wsize, m->n + 1, &m->woff, m->n, &m->active));
  /* every check below is collective on the whole communicator: a sub-communicator that stopped
     alone would leave the others waiting */
  {
    PetscInt loc[4] = {-1, 0, 0, 0}, glob[4]; /* first instance on a wrong communicator; -min p, max p; layout differs */
    for (PetscInt j = 0; j < m->nloc; j++) {
      PetscBool wrong;
      PetscCall(CreateInstance(prob, m->first + j, &m->inst[j], &m->c[j], &wrong));
      if (wrong && loc[0] < 0) loc[0] = m->first + j;
    }
    if (loc[0] < 0) {
      PetscCall(VecGetSize(m->inst[0]->ltemplate, &p));
      PetscCall(VecGetLocalSize(m->inst[0]->ltemplate, &ms));
      loc[1] = -p, loc[2] = p;
      for (PetscInt j = 1; j < m->nloc; j++) {
        PetscInt pj, msj;
        PetscCall(VecGetSize(m->inst[j]->ltemplate, &pj));
        PetscCall(VecGetLocalSize(m->inst[j]->ltemplate, &msj));
        loc[1] = PetscMax(loc[1], -pj), loc[2] = PetscMax(loc[2], pj);
        if (msj != ms) loc[3] = 1;
      }
    }
    PetscCall(MPIU_Allreduce(loc, glob, 4, MPIU_INT, MPI_MAX, comm));
    PetscCheck(glob[0] < 0, comm, PETSC_ERR_ARG_NOTSAMECOMM, "Instance %" PetscInt_FMT " returned by the callback of HGProblemMultiSetInstanceCreate() lives on another communicator than the sub-communicator it was given: create it with HGProblemCreate(subcomm, ...)", glob[0]);
    PetscCheck(-glob[1] == glob[2], comm, PETSC_ERR_ARG_SIZ, "The instances have lambda spaces of different sizes (%" PetscInt_FMT " and %" PetscInt_FMT "): every instance must share the same lambda space; check the callback of HGProblemMultiSetInstanceCreate() or the -sub_ options", -glob[1], glob[2]);
    PetscCheck(!glob[3], comm, PETSC_ERR_ARG_SIZ, "Two instances on the same sub-communicator split lambda differently: create lambda with PETSC_DECIDE local sizes");
  }
  /* sizes and offsets of every w_i */
  {
    PetscInt *loc;
    PetscCall(PetscCalloc1(m->n, &loc));
    if (m->leader)
      for (PetscInt j = 0; j < m->nloc; j++) PetscCall(VecGetSize(m->inst[j]->wtemplate, &loc[m->first + j]));
    PetscCall(MPIU_Allreduce(loc, m->wsize, m->n, MPIU_INT, MPI_SUM, comm));
    PetscCall(PetscFree(loc));
    m->woff[0] = 0;
    for (PetscInt i = 0; i < m->n; i++) m->woff[i + 1] = m->woff[i] + m->wsize[i];
  }
  /* lambda on the whole communicator, its copy on the sub-communicator, the stacked X and Y */
  {
    PetscInt bs; /* lambda split in blocks of instance 0's block size (hyperrep: rows of H) */
    PetscCall(VecGetBlockSize(m->inst[0]->ltemplate, &bs));
    PetscCallMPI(MPI_Bcast(&bs, 1, MPIU_INT, 0, comm));
    PetscCall(VecCreate(comm, &lambda));
    PetscCall(VecSetSizes(lambda, PETSC_DECIDE, p));
    PetscCall(VecSetBlockSize(lambda, bs));
    PetscCall(VecSetType(lambda, VECSTANDARD));
  }
  PetscCall(VecGetLocalSize(lambda, &m->ml));
  PetscCall(VecGetOwnershipRange(lambda, &lo, &hi));
  PetscCall(VecDuplicate(m->inst[0]->ltemplate, &m->lsub));
  PetscCall(VecGetOwnershipRange(m->lsub, &rs, NULL));
  PetscCall(VecCreateMPI(comm, ms, PETSC_DETERMINE, &m->X));
  PetscCall(VecCreateMPI(comm, m->nsub * m->ml, PETSC_DETERMINE, &m->Y));
  PetscCall(PetscMalloc2(m->nsub * m->ml, &ix, m->nsub * m->ml, &iy));
  for (PetscInt s = 0; s < m->nsub; s++)
    for (PetscInt j = lo; j < hi; j++) {
      ix[cnt] = s * p + j;
      iy[cnt] = m->nsub * lo + s * m->ml + (j - lo);
      cnt++;
    }
  PetscCall(ISCreateGeneral(comm, cnt, ix, PETSC_COPY_VALUES, &isx));
  PetscCall(ISCreateGeneral(comm, cnt, iy, PETSC_COPY_VALUES, &isy));
  PetscCall(PetscFree2(ix, iy));
  PetscCall(VecScatterCreate(m->X, isx, m->Y, isy, &m->xy));
  PetscCall(ISDestroy(&isx));
  PetscCall(ISDestroy(&isy));
  (void)rs;
  /* the stacked w: this sub-communicator's instances split over its ranks */
  nw    = m->woff[m->first + m->nloc] - m->woff[m->first];
  nwloc = nw / ssize + (srank < nw % ssize ? 1 : 0);
  PetscCall(VecCreateMPI(comm, nwloc, m->woff[m->n], &W));
  PetscCall(VecCreateMPIWithArray(m->subcomm, 1, nwloc, nw, NULL, &m->Wsub));
  PetscCall(PetscMalloc2(m->nloc, &m->wsc, m->nloc, &m->wn));
  shift = m->woff[m->first];
  for (PetscInt j = 0; j < m->nloc; j++) {
    PetscInt wlo, whi;
    IS       is;
    PetscCall(VecDuplicate(m->inst[j]->wtemplate, &m->wn[j]));
    PetscCall(VecGetOwnershipRange(m->wn[j], &wlo, &whi));
    PetscCall(ISCreateStride(m->subcomm, whi - wlo, m->woff[m->first + j] - shift + wlo, 1, &is));
    PetscCall(VecScatterCreate(m->Wsub, is, m->wn[j], NULL, &m->wsc[j]));
    PetscCall(ISDestroy(&is));
  }
  PetscCall(HGProblemSetVecTemplates(prob, W, lambda));
  /* the initial lambda and the projection of instance 0 (the first instance of sub-communicator 0) */
  hasproj    = m->inst[0]->projection ? PETSC_TRUE : PETSC_FALSE;
  haslambda0 = m->inst[0]->lambda0 ? PETSC_TRUE : PETSC_FALSE;
  PetscCallMPI(MPI_Bcast(&hasproj, 1, MPIU_BOOL, 0, comm));
  PetscCallMPI(MPI_Bcast(&haslambda0, 1, MPIU_BOOL, 0, comm));
  if (haslambda0) {
    PetscCall(VecDuplicate(lambda, &l0));
    if (m->inst[0]->lambda0) PetscCall(VecCopy(m->inst[0]->lambda0, m->lsub));
    else PetscCall(VecSet(m->lsub, 0.0));
    PetscCall(HGProblemMultiSumToLambda(prob, m->lsub, 0, l0));
    PetscCall(HGProblemSetInitialHyperparameters(prob, l0));
    PetscCall(VecDestroy(&l0));
  }
  PetscCall(VecDestroy(&W));
  PetscCall(VecDestroy(&lambda));
  /* placeholders: the constants of each instance are its own; these only let the unused lower solver of the HG set up */
  PetscCall(HGProblemSetLowerConstants(prob, 1.0, 1.0));
  PetscCall(HGProblemSetLowerGradient(prob, LowerGradientNA));
  PetscCall(HGProblemSetLowerHessianMult(prob, MultNA));
  PetscCall(HGProblemSetLowerMixedMultTranspose(prob, MultNA));
  PetscCall(HGProblemSetUpperObjective(prob, UpperObjective));
  PetscCall(HGProblemSetUpperGradient(prob, UpperGradientNA));
  PetscCall(HGProblemSetAccuracy(prob, Accuracy));
  if (hasproj) PetscCall(HGProblemSetProjection(prob, Projection));
  PetscCall(HGProblemMultiSetActive(prob, NULL, 1.0));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetFromOptions(HGProblem prob, PetscOptionItems *PetscOptionsObject)
{
  HGProblem_Multi *m = (HGProblem_Multi *)prob->data;
  PetscInt         n = m->n, s = m->nsub_req;
  PetscBool        flg;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Instances on sub-communicators (multi)");
  PetscCall(PetscOptionsInt("-multi_n", "Number of instances", "HGProblemMultiSetNumberInstances", n, &n, &flg));
  if (flg) PetscCall(HGProblemMultiSetNumberInstances(prob, n));
  PetscCall(PetscOptionsInt("-multi_nsubcomm", "Number of sub-communicators (default: min(ranks, instances))", "HGProblemMultiSetNumberSubcomms", s, &s, &flg));
  if (flg) PetscCall(HGProblemMultiSetNumberSubcomms(prob, s));
  PetscCall(PetscOptionsBool("-multi_sum", "Weights c_i = 1 (sum) instead of 1/n (mean)", "HGProblemMultiSetSum", m->sum, &m->sum, NULL));
  PetscOptionsHeadEnd();
  PetscFunctionReturn(0);
}

static PetscErrorCode View(HGProblem prob, PetscViewer viewer)
{
  HGProblem_Multi *m = (HGProblem_Multi *)prob->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " instances on %" PetscInt_FMT " sub-communicators, weights %s\n", m->n, m->nsub, m->sum ? "1 (sum)" : "1/n (mean)"));
  if (m->inst) {
    HGProblemType t;
    PetscCall(HGProblemGetType(m->inst[0], &t));
    PetscCall(PetscViewerASCIIPrintf(viewer, "instance type %s (-sub_problem or a callback); w of all instances: dimension %" PetscInt_FMT "\n", t, m->woff[m->n]));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode Destroy(HGProblem prob)
{
  HGProblem_Multi *m = (HGProblem_Multi *)prob->data;

  PetscFunctionBegin;
  for (PetscInt j = 0; j < m->nloc && m->inst; j++) {
    PetscCall(HGProblemDestroy(&m->inst[j]));
    if (m->wn) PetscCall(VecDestroy(&m->wn[j]));
    if (m->wsc) PetscCall(VecScatterDestroy(&m->wsc[j]));
  }
  PetscCall(PetscFree2(m->wsc, m->wn));
  PetscCall(PetscFree5(m->inst, m->c, m->wsize, m->woff, m->active));
  PetscCall(VecDestroy(&m->lsub));
  PetscCall(VecDestroy(&m->X));
  PetscCall(VecDestroy(&m->Y));
  PetscCall(VecDestroy(&m->Wsub));
  PetscCall(VecScatterDestroy(&m->xy));
  PetscCall(PetscSubcommDestroy(&m->psub));
  PetscCall(PetscFree(prob->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGProblemCreate_Multi(HGProblem prob)
{
  HGProblem_Multi *m;

  PetscFunctionBegin;
  PetscCall(PetscNew(&m));
  m->nsub_req               = PETSC_DEFAULT;
  m->scale                  = 1.0;
  prob->data                = m;
  prob->ops->setup          = SetUp;
  prob->ops->setfromoptions = SetFromOptions;
  prob->ops->view           = View;
  prob->ops->destroy        = Destroy;
  PetscFunctionReturn(0);
}

static PetscErrorCode GetMulti(HGProblem prob, HGProblem_Multi **m)
{
  PetscBool ismulti;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  PetscCall(PetscObjectTypeCompare((PetscObject)prob, HGPROBLEMMULTI, &ismulti));
  PetscCheck(ismulti, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_WRONG, "This function needs a problem of type multi (HGProblemSetType(prob, HGPROBLEMMULTI) or -problem multi)");
  *m = (HGProblem_Multi *)prob->data;
  PetscFunctionReturn(0);
}

/*@
  HGProblemMultiSetNumberInstances - sets the number n of instances of a multi problem

  Logically Collective

  Input Parameters:
+ prob - the problem of type HGPROBLEMMULTI
- n    - the number of instances, n >= 1

  Options Database Key:
. -multi_n <n> - the number of instances

  Notes:
  With built-in instances (-sub_problem logreg, krr, mlogreg) n is the number of folds K of the
  cross-validation; with hyperrep the number of tasks.

  Level: beginner

.seealso: HGPROBLEMMULTI, HGProblemMultiSetNumberSubcomms(), HGProblemMultiSetInstanceCreate()
@*/
PetscErrorCode HGProblemMultiSetNumberInstances(HGProblem prob, PetscInt n)
{
  HGProblem_Multi *m;

  PetscFunctionBegin;
  PetscCall(GetMulti(prob, &m));
  PetscCheck(n >= 1, PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "-multi_n must be at least 1 (the number of instances); got %" PetscInt_FMT, n);
  PetscCheck(!m->inst || n == m->n, PetscObjectComm((PetscObject)prob), PETSC_ERR_ORDER, "The instances are already created: set their number before HGProblemSetUp()");
  m->n = n;
  PetscFunctionReturn(0);
}

/*@
  HGProblemMultiGetNumberInstances - gets the number n of instances of a multi problem

  Not Collective

  Input Parameter:
. prob - the problem of type HGPROBLEMMULTI

  Output Parameter:
. n - the number of instances

  Level: beginner

.seealso: HGPROBLEMMULTI, HGProblemMultiSetNumberInstances()
@*/
PetscErrorCode HGProblemMultiGetNumberInstances(HGProblem prob, PetscInt *n)
{
  HGProblem_Multi *m;

  PetscFunctionBegin;
  PetscCall(GetMulti(prob, &m));
  *n = m->n;
  PetscFunctionReturn(0);
}

/*@
  HGProblemMultiSetNumberSubcomms - sets the number of sub-communicators the instances are
  spread over

  Logically Collective

  Input Parameters:
+ prob - the problem of type HGPROBLEMMULTI
- nsub - the number of sub-communicators, 1 <= nsub <= min(ranks, n); PETSC_DEFAULT: min(ranks, n)

  Options Database Key:
. -multi_nsubcomm <nsub> - the number of sub-communicators

  Notes:
  The ranks are split into nsub contiguous groups (PETSC_SUBCOMM_CONTIGUOUS, the first
  size mod nsub groups one rank larger); the instances into nsub contiguous blocks. Each
  instance's data are distributed by rows over the ranks of its sub-communicator. The result
  does not depend on nsub beyond rounding.

  Level: intermediate

.seealso: HGPROBLEMMULTI, HGProblemMultiGetSubcomm(), PetscSubcommCreate()
@*/
PetscErrorCode HGProblemMultiSetNumberSubcomms(HGProblem prob, PetscInt nsub)
{
  HGProblem_Multi *m;
  PetscMPIInt      size;

  PetscFunctionBegin;
  PetscCall(GetMulti(prob, &m));
  PetscCallMPI(MPI_Comm_size(PetscObjectComm((PetscObject)prob), &size));
  PetscCheck(nsub == PETSC_DEFAULT || (nsub >= 1 && nsub <= size), PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "-multi_nsubcomm %" PetscInt_FMT " is not possible on %d ranks: give 1 to %d sub-communicators (at most one per rank), or run on more ranks", nsub, size, size);
  PetscCheck(!m->inst || nsub == m->nsub_req, PetscObjectComm((PetscObject)prob), PETSC_ERR_ORDER, "The instances are already created: set the number of sub-communicators before HGProblemSetUp()");
  m->nsub_req = nsub;
  PetscFunctionReturn(0);
}

/*@C
  HGProblemMultiSetInstanceCreate - sets the callback that creates each instance

  Logically Collective

  Input Parameters:
+ prob   - the problem of type HGPROBLEMMULTI
. create - the callback, called collectively on each sub-communicator for each of its
           instances i in increasing order: create(prob, i, subcomm, &instance, &c_i, ctx)
- ctx    - its context

  Calling sequence of create:
$  PetscErrorCode create(HGProblem multi, PetscInt i, MPI_Comm subcomm, HGProblem *instance, PetscReal *c, void *ctx)
+ i        - the index of the instance, 0 <= i < n
. subcomm  - the sub-communicator the instance must live on
. instance - the new problem (any type, built-in or shell; HGProblemSetUp() is called on it afterwards); the multi problem owns it
- c        - its weight c_i, preset to 1/n (or 1 with -multi_sum)

  Notes:
  Every instance must have the same hyperparameter space (global size of lambda); an
  instance on another communicator or with another lambda size is an error. A problem on a
  DMDA fits as it is: create the DMDA on subcomm. Without a callback the instances are the
  built-in problems chosen with -sub_problem.

  Level: intermediate

.seealso: HGPROBLEMMULTI, HGProblemSetInstance(), HGProblemMultiGetLocalInstances()
@*/
PetscErrorCode HGProblemMultiSetInstanceCreate(HGProblem prob, HGProblemMultiInstanceFn create, void *ctx)
{
  HGProblem_Multi *m;

  PetscFunctionBegin;
  PetscCall(GetMulti(prob, &m));
  m->create    = create;
  m->createctx = ctx;
  PetscFunctionReturn(0);
}

/*@
  HGProblemMultiSetSum - weights c_i = 1 (the sum of the instances) instead of the default 1/n
  (their mean)

  Logically Collective

  Input Parameters:
+ prob - the problem of type HGPROBLEMMULTI
- flg  - PETSC_TRUE for the sum

  Options Database Key:
. -multi_sum - weights 1

  Level: intermediate

.seealso: HGPROBLEMMULTI, HGProblemMultiSetInstanceCreate()
@*/
PetscErrorCode HGProblemMultiSetSum(HGProblem prob, PetscBool flg)
{
  HGProblem_Multi *m;

  PetscFunctionBegin;
  PetscCall(GetMulti(prob, &m));
  m->sum = flg;
  PetscFunctionReturn(0);
}

/*@C
  HGProblemMultiGetSubcomm - the sub-communicator of this rank and its index

  Not Collective

  Input Parameter:
. prob - the problem of type HGPROBLEMMULTI, set up

  Output Parameters:
+ subcomm - this rank's sub-communicator (owned by the problem)
. color   - its index, 0 <= color < nsub
- nsub    - the number of sub-communicators

  Level: intermediate

.seealso: HGPROBLEMMULTI, HGProblemMultiSetNumberSubcomms()
@*/
PetscErrorCode HGProblemMultiGetSubcomm(HGProblem prob, MPI_Comm *subcomm, PetscInt *color, PetscInt *nsub)
{
  HGProblem_Multi *m;

  PetscFunctionBegin;
  PetscCall(GetMulti(prob, &m));
  PetscCall(HGProblemSetUp(prob));
  if (subcomm) *subcomm = m->subcomm;
  if (color) *color = m->color;
  if (nsub) *nsub = m->nsub;
  PetscFunctionReturn(0);
}

/*@C
  HGProblemMultiGetLocalInstances - the instances of this rank's sub-communicator

  Not Collective

  Input Parameter:
. prob - the problem of type HGPROBLEMMULTI, set up

  Output Parameters:
+ first     - the index of the first one
. nlocal    - how many (they are first, first + 1, ..., first + nlocal - 1)
- instances - the problems (owned by the multi problem)

  Level: intermediate

.seealso: HGPROBLEMMULTI, HGMultiGetSubHG()
@*/
PetscErrorCode HGProblemMultiGetLocalInstances(HGProblem prob, PetscInt *first, PetscInt *nlocal, HGProblem **instances)
{
  HGProblem_Multi *m;

  PetscFunctionBegin;
  PetscCall(GetMulti(prob, &m));
  PetscCall(HGProblemSetUp(prob));
  if (first) *first = m->first;
  if (nlocal) *nlocal = m->nloc;
  if (instances) *instances = m->inst;
  PetscFunctionReturn(0);
}

/*@
  HGProblemMultiGetInstanceOffset - where w_i lies in the stacked lower-level vector of a
  multi problem (and in the /w and /v datasets of a run file)

  Not Collective

  Input Parameters:
+ prob - the problem of type HGPROBLEMMULTI, set up
- i    - the instance, 0 <= i < n

  Output Parameters:
+ offset - the global index of its first entry: sum of the dimensions of w_0 .. w_{i-1}
- size   - the dimension of w_i

  Level: intermediate

.seealso: HGPROBLEMMULTI, HGOuterWriteCheckpoint()
@*/
PetscErrorCode HGProblemMultiGetInstanceOffset(HGProblem prob, PetscInt i, PetscInt *offset, PetscInt *size)
{
  HGProblem_Multi *m;

  PetscFunctionBegin;
  PetscCall(GetMulti(prob, &m));
  PetscCall(HGProblemSetUp(prob));
  PetscCheck(i >= 0 && i < m->n, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Instance %" PetscInt_FMT " does not exist: there are %" PetscInt_FMT, i, m->n);
  if (offset) *offset = m->woff[i];
  if (size) *size = m->wsize[i];
  PetscFunctionReturn(0);
}

/*@
  HGProblemSetInstance - tells a problem that it is instance i of n, before HGProblemSetUp()

  Logically Collective

  Input Parameters:
+ prob - the problem
. i    - its index, 0 <= i < n
- n    - the number of instances (0: a problem on its own)

  Notes:
  HGPROBLEMMULTI calls it for the built-in instances. The built-in types give the index this
  meaning: logreg, krr and mlogreg do fold i of an n-fold cross-validation: the training
  samples are split into n parts by the layout-independent hash of their global index (sample
  j is in part floor(n u_j), u_j = HGHashUniform(seed, 97, j)); the instance trains on the
  other n - 1 parts and its upper objective is the validation loss on part i (the separate
  validation set is then unused). hyperrep makes task i: its own data (seed + 7919 (i + 1))
  and the shared initial H. denoise holds block i of n contiguous blocks of its images (image
  i when n is the number of images), scaled so that the mean of the instances is the whole set. A problem with this index set on its own communicator is the
  single-fold (single-task) run that instance i of a multi problem reproduces.

  Level: intermediate

.seealso: HGPROBLEMMULTI, HGProblemGetInstance()
@*/
PetscErrorCode HGProblemSetInstance(HGProblem prob, PetscInt i, PetscInt n)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  PetscCheck(n >= 0 && (n == 0 || (i >= 0 && i < n)), PetscObjectComm((PetscObject)prob), PETSC_ERR_ARG_OUTOFRANGE, "Instance index %" PetscInt_FMT " of %" PetscInt_FMT " is out of range: need 0 <= i < n", i, n);
  PetscCheck(!prob->setupcalled, PetscObjectComm((PetscObject)prob), PETSC_ERR_ORDER, "Call HGProblemSetInstance() before HGProblemSetUp()");
  prob->instance   = i;
  prob->ninstances = n;
  PetscFunctionReturn(0);
}

/*@
  HGProblemGetInstance - the index of a problem among the instances of a multi problem

  Not Collective

  Input Parameter:
. prob - the problem

  Output Parameters:
+ i - its index
- n - the number of instances (0: a problem on its own)

  Level: intermediate

.seealso: HGProblemSetInstance()
@*/
PetscErrorCode HGProblemGetInstance(HGProblem prob, PetscInt *i, PetscInt *n)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  if (i) *i = prob->instance;
  if (n) *n = prob->ninstances;
  PetscFunctionReturn(0);
}
