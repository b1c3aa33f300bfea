/*MC
   HGPROBLEMDENOISE - bilevel learning of a denoising regularizer (Ehrhardt & Roberts; the TV
   experiment of MAID, Salehi, Mukherjee, Roberts & Ehrhardt).  Training pairs (clean c_i,
   noisy y_i), i = 1..N, of H x W grayscale images; the problem holds the images
   [first, first + count) and its lower variable is their stack x_i on a 2-D DMDA (one degree
   of freedom per image held, pixel blocks over the ranks, stencils through ghost points):

     E(x)       = (1/N) sum_i 1/2 ||x_i - c_i||^2
     l(x, lam)  = (1/N) sum_i [ 1/2 ||x_i - y_i||^2 + 1/2 e^theta0 R(x_i, lam) ]

   with N the size of the whole training set (a problem holding part of the set still scales by
   1/N, so that such problems sum to the bilevel problem of the whole set).

   Instances (-problem multi -sub_problem denoise -multi_n n, HGProblemSetInstance()): instance i
   holds block i of n contiguous blocks of the N images (n = N: image i alone), on its own DMDA on
   its sub-communicator; both its levels carry n/N instead of 1/N, so that the mean of the
   instances (the default weights 1/n, and mini-batches -hg_multi_batch B) is the problem of the
   whole set (with -multi_sum, n times it).  -denoise_first and -denoise_count are then unused.

   TV (-denoise_reg tv, lam = (theta0, theta1) in R^2, initially (-5, -5)), exactly MAID's:
     R = sum_{r<H-1,c} sqrt((x[r+1,c]-x[r,c])^2 + nu^2) + sum_{r,c<W-1} sqrt((x[r,c+1]-x[r,c])^2 + nu^2),
     nu = e^theta1 (forward differences, no boundary terms).
   L = (1 + 4 e^(theta0 - theta1))/N (the Hessian of sqrt(d^2+nu^2) is at most 1/nu, ||D||^2 <= 8).

   Field of Experts (-denoise_reg foe): K filters f_k of size k x k (k odd, h = (k-1)/2),
     R = sum_k e^alpha_k sum_pixels sqrt((f_k * x)^2 + e^(2 nu_k)),
     (f * x)[r,c] = sum_{a,b=0}^{k-1} f[a,b] x[refl(r+h-a), refl(c+h-b)]   (a convolution),
     refl(i) = -i-1 for i < 0, 2n-1-i for i >= n: the half-sample symmetric extension
     (the image mirrored about its border, border pixels repeated: d c b a | a b c d | d c b a).
   lam = (theta0, alpha_1..K, nu_1..K, f_1[0,0], f_1[0,1], .., f_K[k-1,k-1]) (row-major filters);
   initially theta0 = -5, alpha = 0, nu = -5 and the filters the 2-D DCT-II basis without the
   constant, lowest frequencies first (K <= k^2 - 1).  L = (1 + 1/2 e^theta0 sum_k e^(alpha_k -
   nu_k) ||K_k||^2)/N with ||K_k||^2 <= ||f_k||_1 (largest column sum of |K_k|), computed from the
   filter and the reflection at every lambda.
   mu = 1/N for both.

   Data: -denoise_file F.h5 with /clean (N x H x W, values in [0, 1]) and /noisy of the same
   shape, or /clean only and Gaussian noise of standard deviation -denoise_sigma from the
   layout-independent hash (seed -denoise_seed; the noise of image i, pixel (r, c) depends only
   on (seed, i, r, c)).  Without a file: a small synthetic set (rectangles and discs).

   Options: -denoise_reg <tv,foe>  -denoise_file <F.h5>  -denoise_sigma <0.1>  -denoise_seed <0>
            -denoise_first <0> -denoise_count <all from first> -denoise_ntotal <images in the set>
            -denoise_foe_filters <48> -denoise_foe_size <7>
            -denoise_foe_zero_mean: the filters used are f_k less their mean (zero-mean filters, which
            do not respond to the brightness; the gradient with respect to the filter entries is
            then zero-mean too, so the filters of an outer run stay zero-mean)
            -denoise_synthetic_n <3> -denoise_synthetic_h <16> -denoise_synthetic_w <12>
            -denoise_save_images <F.h5>: write /clean and /noisy as used (natural order, H x W x count;
            the lower solution w of hgsolve -output has the same layout)

   Level: intermediate

.seealso: HGProblemDenoiseSetImages(), HGProblemDenoiseSetTrainingSetSize(), HGProblemDenoiseGetDM()
M*/
#include <hypergrad/hgimpl.h>
#include <petscdmda.h>

typedef enum {
  DENOISE_TV  = 0,
  DENOISE_FOE = 1
} DenoiseReg;
static const char *const DenoiseRegs[] = {"tv", "foe", "DenoiseReg", "DENOISE_", NULL};

enum { STREAM_NOISE = 1, STREAM_SHAPE };

typedef struct {
  DenoiseReg  reg;
  char        file[PETSC_MAX_PATH_LEN], save[PETSC_MAX_PATH_LEN];
  PetscReal   sigma;
  PetscInt    seed;
  PetscInt    first, count, ntotal; /* count, ntotal: 0 (all, the data set) until given */
  PetscInt    nset, H, W;           /* images in the data set, their size */
  PetscBool   fromfile, filenoisy;
  PetscInt    syn_n, syn_h, syn_w;
  PetscInt    K, k, h;              /* FoE filters */
  PetscBool   zeromean;             /* FoE: the filters used are the given ones less their mean */
  PetscScalar *lz;                  /* FoE, zeromean: lambda with the filters' means removed (nl) */
  PetscReal   invN;
  DM          da;
  Vec         clean, noisy;
  Vec         xl, ul, acc;          /* local (ghosted) work vectors */
  Vec         lseq;                 /* lambda on every rank */
  VecScatter  lscat;
  PetscInt    nl;
  PetscScalar *red;                 /* nl: reductions of the mixed product */
  /* FoE: the owned block, and the offsets into the ghosted local array of the reflected
     neighbours of each owned row (roff, ym x k) and column (coff, xm x k); two block buffers */
  PetscInt     xs, ys, xm, ym;
  PetscInt    *roff, *coff;
  PetscScalar *zb, *tb;
  /* TV gradient in one pass: the edge terms of one row of horizontal edges (xm + 1 edges of a
     row, count values each) and of two rows of vertical edges (xm x count each) */
  PetscScalar *qh, *qv0, *qv1;
} Denoise;

/* ------------------------------------------------------------------------ */
static inline PetscInt Refl(PetscInt i, PetscInt n)
{
  if (i < 0) return -i - 1;
  if (i >= n) return 2 * n - 1 - i;
  return i;
}

/* Subtract from each filter block of a (length nl) its mean: the projection P onto zero-mean
   filters (-denoise_foe_zero_mean); P is symmetric, so it also maps a gradient with respect to the
   filters used to the gradient with respect to the filter entries of lambda */
static void ProjectFilters(const Denoise *dn, PetscScalar *a)
{
  PetscInt k2 = dn->k * dn->k;

  for (PetscInt kk = 0; kk < dn->K; kk++) {
    PetscScalar *f = a + 1 + 2 * dn->K + kk * k2, m = 0;
    for (PetscInt e = 0; e < k2; e++) m += f[e];
    m /= k2;
    for (PetscInt e = 0; e < k2; e++) f[e] -= m;
  }
}

static PetscErrorCode GetLambda(Denoise *dn, Vec lambda, const PetscScalar **l)
{
  PetscFunctionBegin;
  PetscCall(VecScatterBegin(dn->lscat, lambda, dn->lseq, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(dn->lscat, lambda, dn->lseq, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayRead(dn->lseq, l));
  if (dn->lz) {
    PetscCall(PetscArraycpy(dn->lz, *l, dn->nl));
    PetscCall(VecRestoreArrayRead(dn->lseq, l));
    ProjectFilters(dn, dn->lz);
    *l = dn->lz;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RestoreLambda(Denoise *dn, const PetscScalar **l)
{
  PetscFunctionBegin;
  if (dn->lz) *l = NULL;
  else PetscCall(VecRestoreArrayRead(dn->lseq, l));
  PetscFunctionReturn(0);
}

static PetscErrorCode Ghosts(Denoise *dn, Vec g, Vec l)
{
  PetscFunctionBegin;
  PetscCall(DMGlobalToLocalBegin(dn->da, g, INSERT_VALUES, l));
  PetscCall(DMGlobalToLocalEnd(dn->da, g, INSERT_VALUES, l));
  PetscFunctionReturn(0);
}

/* red[0..nl) summed over the ranks, the owned part into out */
static PetscErrorCode ReduceToLambda(Denoise *dn, Vec out)
{
  PetscInt     lo, hi;
  PetscScalar *o;

  PetscFunctionBegin;
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, dn->red, (PetscMPIInt)dn->nl, MPIU_SCALAR, MPIU_SUM, PetscObjectComm((PetscObject)dn->da)));
  PetscCall(VecGetOwnershipRange(out, &lo, &hi));
  PetscCall(VecGetArrayWrite(out, &o));
  for (PetscInt i = lo; i < hi; i++) o[i - lo] = dn->invN * dn->red[i];
  PetscCall(VecRestoreArrayWrite(out, &o));
  PetscFunctionReturn(0);
}

/* z = f * x (image d) on the owned block; x the raw ghosted local array */
static void ConvBlock(const Denoise *dn, const PetscScalar *f, const PetscScalar *x, PetscInt d, PetscScalar *z)
{
  const PetscInt k = dn->k;
  for (PetscInt jl = 0; jl < dn->ym; jl++) {
    const PetscInt *ro = dn->roff + jl * k;
    for (PetscInt il = 0; il < dn->xm; il++) {
      const PetscInt *co = dn->coff + il * k;
      PetscScalar     sum = 0;
      for (PetscInt a = 0; a < k; a++) {
        const PetscScalar *xr = x + ro[a] + d, *fa = f + a * k;
        for (PetscInt b = 0; b < k; b++) sum += fa[b] * xr[co[b]];
      }
      z[jl * dn->xm + il] = sum;
    }
  }
}

/* acc += K^T w (image d): each owned pixel's w spread over its reflected neighbours, ghosts included */
static void ConvTBlock(const Denoise *dn, const PetscScalar *f, const PetscScalar *w, PetscInt d, PetscScalar *acc)
{
  const PetscInt k = dn->k;
  for (PetscInt jl = 0; jl < dn->ym; jl++) {
    const PetscInt *ro = dn->roff + jl * k;
    for (PetscInt il = 0; il < dn->xm; il++) {
      const PetscInt *co = dn->coff + il * k;
      const PetscScalar wp = w[jl * dn->xm + il];
      for (PetscInt a = 0; a < k; a++) {
        PetscScalar       *ar = acc + ro[a] + d;
        const PetscScalar *fa = f + a * k;
        for (PetscInt b = 0; b < k; b++) ar[co[b]] += fa[b] * wp;
      }
    }
  }
}

/* g[a, b] += scale sum_p y[S_ab p] w[p] (image d): the derivative of f * y . w in the filter */
static void FilterGrad(const Denoise *dn, const PetscScalar *y, const PetscScalar *w, PetscInt d, PetscReal scale, PetscScalar *g)
{
  const PetscInt k = dn->k;
  for (PetscInt jl = 0; jl < dn->ym; jl++) {
    const PetscInt *ro = dn->roff + jl * k;
    for (PetscInt il = 0; il < dn->xm; il++) {
      const PetscInt *co = dn->coff + il * k;
      const PetscScalar wp = scale * w[jl * dn->xm + il];
      for (PetscInt a = 0; a < k; a++) {
        const PetscScalar *yr = y + ro[a] + d;
        PetscScalar       *ga = g + a * k;
        for (PetscInt b = 0; b < k; b++) ga[b] += wp * yr[co[b]];
      }
    }
  }
}

#define FOE_FILTER(l, dn, kk) ((l) + 1 + 2 * (dn)->K + (kk) * (dn)->k * (dn)->k)

/* ------------------------------------------------------------------------ */
static PetscErrorCode LowerObjective(HGProblem prob, Vec x, Vec lambda, PetscReal *f, void *ctx)
{
  Denoise           *dn = (Denoise *)ctx;
  const PetscScalar *l;
  PetscScalar     ***xa, ***ya;
  PetscInt           xs, ys, xm, ym, nd = dn->count, H = dn->H, W = dn->W;
  PetscReal          loc = 0, reg = 0, c0;

  PetscFunctionBegin;
  PetscCall(GetLambda(dn, lambda, &l));
  c0 = 0.5 * PetscExpReal(PetscRealPart(l[0]));
  PetscCall(Ghosts(dn, x, dn->xl));
  PetscCall(DMDAGetCorners(dn->da, &xs, &ys, NULL, &xm, &ym, NULL));
  PetscCall(DMDAVecGetArrayDOFRead(dn->da, dn->xl, &xa));
  PetscCall(DMDAVecGetArrayDOFRead(dn->da, dn->noisy, &ya));
  for (PetscInt j = ys; j < ys + ym; j++)
    for (PetscInt i = xs; i < xs + xm; i++)
      for (PetscInt d = 0; d < nd; d++) {
        PetscReal r = PetscRealPart(xa[j][i][d] - ya[j][i][d]);
        loc += 0.5 * r * r;
      }
  if (dn->reg == DENOISE_TV) {
    PetscReal nu = PetscExpReal(PetscRealPart(l[1])), nu2 = nu * nu;
    for (PetscInt j = ys; j < ys + ym; j++)
      for (PetscInt i = xs; i < xs + xm; i++)
        for (PetscInt d = 0; d < nd; d++) {
          if (j < H - 1) {
            PetscReal dd = PetscRealPart(xa[j + 1][i][d] - xa[j][i][d]);
            reg += PetscSqrtReal(dd * dd + nu2);
          }
          if (i < W - 1) {
            PetscReal dd = PetscRealPart(xa[j][i + 1][d] - xa[j][i][d]);
            reg += PetscSqrtReal(dd * dd + nu2);
          }
        }
  } else {
    const PetscScalar *xr;
    PetscCall(VecGetArrayRead(dn->xl, &xr));
    for (PetscInt kk = 0; kk < dn->K; kk++) {
      const PetscScalar *fk = FOE_FILTER(l, dn, kk);
      PetscReal          ea = PetscExpReal(PetscRealPart(l[1 + kk])), e2 = PetscExpReal(2 * PetscRealPart(l[1 + dn->K + kk])), s = 0;
      for (PetscInt d = 0; d < nd; d++) {
        ConvBlock(dn, fk, xr, d, dn->zb);
        for (PetscInt p = 0; p < xm * ym; p++) s += PetscSqrtReal(PetscRealPart(dn->zb[p] * dn->zb[p]) + e2);
      }
      reg += ea * s;
    }
    PetscCall(VecRestoreArrayRead(dn->xl, &xr));
  }
  loc += c0 * reg;
  PetscCall(DMDAVecRestoreArrayDOFRead(dn->da, dn->xl, &xa));
  PetscCall(DMDAVecRestoreArrayDOFRead(dn->da, dn->noisy, &ya));
  PetscCall(RestoreLambda(dn, &l));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &loc, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)dn->da)));
  *f = dn->invN * loc;
  PetscFunctionReturn(0);
}

/* q[k] = d / sqrt(d^2 + nu^2), d = b[k] - a[k], k < n: the terms of n edges */
static inline void EdgeTerms(PetscInt n, const PetscScalar *a, const PetscScalar *b, PetscReal nu2, PetscScalar *q)
{
  for (PetscInt k = 0; k < n; k++) {
    PetscReal d = PetscRealPart(b[k] - a[k]);
    q[k]        = d / PetscSqrtReal(d * d + nu2);
  }
}

/* The TV gradient in one pass over the owned block:
     out = (1/N)(x - y + 1/2 e^theta0 t),  t = q_up - q_down + q_left - q_right,
   q_e = d_e / sqrt(d_e^2 + nu^2) of the edges e at the pixel (0 where the image has no edge).
   Each edge term is computed once (not once from each end) in contiguous, branch-free loops the
   compiler vectorizes.  The vertical edge below a pixel and the horizontal edge at its left share
   one division: r = 1/(s1 s2), q1 = d1 (s2 r), q2 = d2 (s1 r) (a few ulps from d/s; s1 s2 >= nu^2,
   so this is used only while 1e-300 <= nu^2 <= 1e300, each term has its own division
   otherwise).  The ghost copy of x is skipped when the block has no ghost points (one rank owns the
   whole image: the local form of x has the layout of the global one), x is then read in place. */
static PetscErrorCode TVGradient(Denoise *dn, Vec xg, PetscReal c0, PetscReal nu2, Vec out)
{
  const PetscScalar *x, *y;
  PetscScalar       *o, *qh = dn->qh, *qup = dn->qv0, *qdn = dn->qv1;
  PetscInt           gxs, gys, gxm, gym, nd = dn->count, xs = dn->xs, ys = dn->ys, xm = dn->xm, ym = dn->ym, H = dn->H, W = dn->W;
  const PetscInt     n = xm * nd, lo = (xs > 0 ? 0 : 1) * nd, hi = (xs + xm < W ? xm + 1 : xm) * nd;
  const PetscReal    invN = dn->invN;
  const PetscBool    shared = (nu2 >= 1e-300 && nu2 <= 1e300) ? PETSC_TRUE : PETSC_FALSE;
  Vec                xv;

  PetscFunctionBegin;
  PetscCall(DMDAGetGhostCorners(dn->da, &gxs, &gys, NULL, &gxm, &gym, NULL));
  if (gxs == xs && gys == ys && gxm == xm && gym == ym) xv = xg;
  else {
    PetscCall(Ghosts(dn, xg, dn->xl));
    xv = dn->xl;
  }
  PetscCall(VecGetArrayRead(xv, &x));
  PetscCall(VecGetArrayRead(dn->noisy, &y));
  PetscCall(VecGetArrayWrite(out, &o));
  /* the vertical edges (ys - 1, ys) above the block */
  if (ys > 0) {
    const PetscScalar *xa = x + ((ys - 1 - gys) * gxm + (xs - gxs)) * nd;
    EdgeTerms(n, xa, xa + gxm * nd, nu2, qup);
  } else
    for (PetscInt k = 0; k < n; k++) qup[k] = 0;
  for (PetscInt j = ys; j < ys + ym; j++) {
    const PetscScalar *xr = x + ((j - gys) * gxm + (xs - gxs)) * nd, *yr = y + (j - ys) * n;
    PetscScalar       *orow = o + (j - ys) * n, *tmp;

    /* vertical edges (j, j + 1) at qdn[k]; horizontal edges (i, i + 1), i = xs - 1 .. xs + xm - 1,
       at qh[(i - xs + 1) nd + d], that is the edge at the left of pixel k at qh[k] */
    for (PetscInt k = 0; k < lo; k++) qh[k] = 0;
    for (PetscInt k = hi; k < n + nd; k++) qh[k] = 0;
    if (j < H - 1 && shared) {
      const PetscScalar *xb = xr + gxm * nd, *xl = xr - nd;
      EdgeTerms(lo, xr, xb, nu2, qdn);
      for (PetscInt k = lo; k < n; k++) {
        PetscReal d1 = PetscRealPart(xb[k] - xr[k]), d2 = PetscRealPart(xr[k] - xl[k]);
        PetscReal s1 = PetscSqrtReal(d1 * d1 + nu2), s2 = PetscSqrtReal(d2 * d2 + nu2), r = 1.0 / (s1 * s2);
        qdn[k] = d1 * (s2 * r);
        qh[k]  = d2 * (s1 * r);
      }
      EdgeTerms(hi - n, xl + n, xr + n, nu2, qh + n);
    } else {
      if (j < H - 1) EdgeTerms(n, xr, xr + gxm * nd, nu2, qdn);
      else
        for (PetscInt k = 0; k < n; k++) qdn[k] = 0;
      EdgeTerms(hi - lo, xr + lo - nd, xr + lo, nu2, qh + lo);
    }
    for (PetscInt k = 0; k < n; k++) {
      PetscScalar t = 0;
      t       = t + qup[k];
      t       = t - qdn[k];
      t       = t + qh[k];
      t       = t - qh[k + nd];
      orow[k] = invN * (xr[k] - yr[k] + c0 * t);
    }
    tmp = qup, qup = qdn, qdn = tmp;
  }
  PetscCall(VecRestoreArrayWrite(out, &o));
  PetscCall(VecRestoreArrayRead(dn->noisy, &y));
  PetscCall(VecRestoreArrayRead(xv, &x));
  PetscFunctionReturn(0);
}

/* g = (1/N)(x - y + 1/2 e^theta0 grad R(x)); with u given, the Hessian product instead:
   out = (1/N)(u + 1/2 e^theta0 hess R(x) u) */
static PetscErrorCode GradOrHess(Denoise *dn, Vec x, Vec lambda, Vec u, Vec out)
{
  const PetscScalar *l;
  PetscScalar     ***xa, ***ua = NULL, ***oa;
  PetscInt           xs, ys, xm, ym, nd = dn->count, H = dn->H, W = dn->W;
  PetscReal          c0;

  PetscFunctionBegin;
  PetscCall(GetLambda(dn, lambda, &l));
  c0 = 0.5 * PetscExpReal(PetscRealPart(l[0]));
  if (dn->reg == DENOISE_TV && !u) { /* the one-pass kernel, with its own ghost update */
    PetscReal nu = PetscExpReal(PetscRealPart(l[1]));
    PetscCall(TVGradient(dn, x, c0, nu * nu, out));
    PetscCall(RestoreLambda(dn, &l));
    PetscFunctionReturn(0);
  }
  PetscCall(Ghosts(dn, x, dn->xl));
  if (u) PetscCall(Ghosts(dn, u, dn->ul));
  PetscCall(DMDAGetCorners(dn->da, &xs, &ys, NULL, &xm, &ym, NULL));
  PetscCall(DMDAVecGetArrayDOFRead(dn->da, dn->xl, &xa));
  if (u) PetscCall(DMDAVecGetArrayDOFRead(dn->da, dn->ul, &ua));
  if (dn->reg == DENOISE_TV) { /* the Hessian product (the gradient is TVGradient()'s) */
    PetscReal nu = PetscExpReal(PetscRealPart(l[1])), nu2 = nu * nu;

    PetscCall(DMDAVecGetArrayDOF(dn->da, out, &oa));
    for (PetscInt j = ys; j < ys + ym; j++)
      for (PetscInt i = xs; i < xs + xm; i++)
        for (PetscInt d = 0; d < nd; d++) {
          PetscScalar xc = xa[j][i][d], t = 0;
          /* the (up to) four edges at (j, i); an edge e = (p, q) has d_e = x_q - x_p */
          const PetscInt nb[4][2] = {{j - 1, i}, {j + 1, i}, {j, i - 1}, {j, i + 1}};
          for (PetscInt e = 0; e < 4; e++) {
            PetscInt  jn = nb[e][0], in = nb[e][1];
            PetscReal dd, phi;
            if (jn < 0 || jn >= H || in < 0 || in >= W) continue;
            dd  = PetscRealPart(xc - xa[jn][in][d]);
            phi = PetscSqrtReal(dd * dd + nu2);
            t += (nu2 / (phi * phi * phi)) * (ua[j][i][d] - ua[jn][in][d]);
          }
          oa[j][i][d] = dn->invN * (ua[j][i][d] + c0 * t);
        }
    PetscCall(DMDAVecRestoreArrayDOF(dn->da, out, &oa));
  } else {
    const PetscScalar *xr, *ur = NULL;
    PetscScalar       *ac;
    PetscCall(VecSet(dn->acc, 0.0));
    PetscCall(VecGetArray(dn->acc, &ac));
    PetscCall(VecGetArrayRead(dn->xl, &xr));
    if (u) PetscCall(VecGetArrayRead(dn->ul, &ur));
    for (PetscInt kk = 0; kk < dn->K; kk++) {
      const PetscScalar *fk = FOE_FILTER(l, dn, kk);
      PetscReal          ca = c0 * PetscExpReal(PetscRealPart(l[1 + kk])), e2 = PetscExpReal(2 * PetscRealPart(l[1 + dn->K + kk]));
      for (PetscInt d = 0; d < nd; d++) {
        ConvBlock(dn, fk, xr, d, dn->zb);
        if (u) ConvBlock(dn, fk, ur, d, dn->tb);
        for (PetscInt p = 0; p < xm * ym; p++) {
          PetscReal z = PetscRealPart(dn->zb[p]), rho = PetscSqrtReal(z * z + e2);
          dn->zb[p] = u ? ca * (e2 / (rho * rho * rho)) * dn->tb[p] : ca * z / rho;
        }
        ConvTBlock(dn, fk, dn->zb, d, ac);
      }
    }
    if (u) PetscCall(VecRestoreArrayRead(dn->ul, &ur));
    PetscCall(VecRestoreArrayRead(dn->xl, &xr));
    PetscCall(VecRestoreArray(dn->acc, &ac));
    if (!u) PetscCall(VecWAXPY(out, -1.0, dn->noisy, x));
    else PetscCall(VecCopy(u, out));
    PetscCall(DMLocalToGlobalBegin(dn->da, dn->acc, ADD_VALUES, out));
    PetscCall(DMLocalToGlobalEnd(dn->da, dn->acc, ADD_VALUES, out));
    PetscCall(VecScale(out, dn->invN));
  }
  if (u) PetscCall(DMDAVecRestoreArrayDOFRead(dn->da, dn->ul, &ua));
  PetscCall(DMDAVecRestoreArrayDOFRead(dn->da, dn->xl, &xa));
  PetscCall(RestoreLambda(dn, &l));
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerGradient(HGProblem prob, Vec x, Vec lambda, Vec g, void *ctx)
{
  PetscFunctionBegin;
  PetscCall(GradOrHess((Denoise *)ctx, x, lambda, NULL, g));
  PetscFunctionReturn(0);
}

static PetscErrorCode HessianMult(HGProblem prob, Vec x, Vec lambda, Vec u, Vec out, void *ctx)
{
  PetscFunctionBegin;
  PetscCall(GradOrHess((Denoise *)ctx, x, lambda, u, out));
  PetscFunctionReturn(0);
}

/* out = (d_lambda grad_x l)^T v, every entry of lambda */
static PetscErrorCode MixedMultTranspose(HGProblem prob, Vec x, Vec lambda, Vec v, Vec out, void *ctx)
{
  Denoise           *dn = (Denoise *)ctx;
  const PetscScalar *l;
  PetscScalar     ***xa, ***va;
  PetscInt           xs, ys, xm, ym, nd = dn->count, H = dn->H, W = dn->W;
  PetscReal          c0;

  PetscFunctionBegin;
  PetscCall(GetLambda(dn, lambda, &l));
  c0 = 0.5 * PetscExpReal(PetscRealPart(l[0]));
  PetscCall(Ghosts(dn, x, dn->xl));
  PetscCall(Ghosts(dn, v, dn->ul));
  PetscCall(DMDAGetCorners(dn->da, &xs, &ys, NULL, &xm, &ym, NULL));
  PetscCall(DMDAVecGetArrayDOFRead(dn->da, dn->xl, &xa));
  PetscCall(DMDAVecGetArrayDOFRead(dn->da, dn->ul, &va));
  PetscCall(PetscArrayzero(dn->red, dn->nl));
  if (dn->reg == DENOISE_TV) {
    PetscReal nu = PetscExpReal(PetscRealPart(l[1])), nu2 = nu * nu, s0 = 0, s1 = 0;
    for (PetscInt j = ys; j < ys + ym; j++)
      for (PetscInt i = xs; i < xs + xm; i++)
        for (PetscInt d = 0; d < nd; d++)
          for (PetscInt e = 0; e < 2; e++) { /* the edges to (j+1, i) and (j, i+1) */
            PetscInt  jn = e ? j : j + 1, in = e ? i + 1 : i;
            PetscReal dd, dv, phi;
            if (jn >= H || in >= W) continue;
            dd  = PetscRealPart(xa[jn][in][d] - xa[j][i][d]);
            dv  = PetscRealPart(va[jn][in][d] - va[j][i][d]);
            phi = PetscSqrtReal(dd * dd + nu2);
            s0 += dd / phi * dv;
            s1 -= dd * nu2 / (phi * phi * phi) * dv;
          }
    dn->red[0] = c0 * s0;
    dn->red[1] = c0 * s1;
  } else {
    PetscInt           k = dn->k, k2 = k * k, K = dn->K;
    const PetscScalar *xr, *vr;
    PetscCall(VecGetArrayRead(dn->xl, &xr));
    PetscCall(VecGetArrayRead(dn->ul, &vr));
    for (PetscInt kk = 0; kk < K; kk++) {
      const PetscScalar *fk = FOE_FILTER(l, dn, kk);
      PetscReal          ca = c0 * PetscExpReal(PetscRealPart(l[1 + kk])), e2 = PetscExpReal(2 * PetscRealPart(l[1 + K + kk])), st = 0, sn = 0;
      for (PetscInt d = 0; d < nd; d++) {
        ConvBlock(dn, fk, xr, d, dn->zb);
        ConvBlock(dn, fk, vr, d, dn->tb);
        for (PetscInt p = 0; p < xm * ym; p++) {
          PetscReal z = PetscRealPart(dn->zb[p]), t = PetscRealPart(dn->tb[p]), rho = PetscSqrtReal(z * z + e2), g = z / rho, gp = e2 / (rho * rho * rho);
          st += t * g;
          sn -= t * z * gp;
          dn->zb[p] = g;
          dn->tb[p] = t * gp;
        }
        /* d/df[a,b] of (K v).g(K x) = sum_p v[S_ab p] g_p + (K v)_p g'(z_p) x[S_ab p] */
        FilterGrad(dn, vr, dn->zb, d, ca, dn->red + 1 + 2 * K + kk * k2);
        FilterGrad(dn, xr, dn->tb, d, ca, dn->red + 1 + 2 * K + kk * k2);
      }
      dn->red[0] += ca * st;
      dn->red[1 + kk] = ca * st;
      dn->red[1 + K + kk] = ca * sn;
    }
    PetscCall(VecRestoreArrayRead(dn->xl, &xr));
    PetscCall(VecRestoreArrayRead(dn->ul, &vr));
  }
  PetscCall(DMDAVecRestoreArrayDOFRead(dn->da, dn->xl, &xa));
  PetscCall(DMDAVecRestoreArrayDOFRead(dn->da, dn->ul, &va));
  PetscCall(RestoreLambda(dn, &l));
  if (dn->lz) ProjectFilters(dn, dn->red);
  PetscCall(ReduceToLambda(dn, out));
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperObjective(HGProblem prob, Vec x, Vec lambda, PetscReal *E, void *ctx)
{
  Denoise           *dn = (Denoise *)ctx;
  const PetscScalar *xa, *ca;
  PetscInt           n;
  PetscReal          s = 0;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(x, &n));
  PetscCall(VecGetArrayRead(x, &xa));
  PetscCall(VecGetArrayRead(dn->clean, &ca));
  for (PetscInt i = 0; i < n; i++) s += 0.5 * PetscSqr(PetscRealPart(xa[i] - ca[i]));
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscCall(VecRestoreArrayRead(dn->clean, &ca));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &s, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)dn->da)));
  *E = dn->invN * s;
  PetscFunctionReturn(0);
}

static PetscErrorCode UpperGradient(HGProblem prob, Vec x, Vec lambda, Vec gx, Vec gl, void *ctx)
{
  Denoise *dn = (Denoise *)ctx;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(gx, -1.0, dn->clean, x));
  PetscCall(VecScale(gx, dn->invN));
  PetscCall(VecSet(gl, 0.0));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------ */
/* Number of p in [0, n) whose reflected p + off is r */
static PetscInt Preimages(PetscInt n, PetscInt off, PetscInt r)
{
  const PetscInt cand[3] = {r - off, -r - 1 - off, 2 * n - 1 - r - off};
  PetscInt       c       = 0;
  for (PetscInt m = 0; m < 3; m++)
    if (cand[m] >= 0 && cand[m] < n && Refl(cand[m] + off, n) == r) c++;
  return c;
}

/* The rows (or columns) where the preimage counts can differ: the h nearest each border and
   one interior row (where every count is 1) */
static PetscErrorCode Representatives(PetscInt n, PetscInt h, PetscInt *nr, PetscInt r[])
{
  PetscFunctionBegin;
  *nr = 0;
  for (PetscInt i = 0; i < n; i++)
    if (i < h || i >= n - h || i == h) r[(*nr)++] = i;
  PetscFunctionReturn(0);
}

/* ||K||_2^2 <= ||K||_1 ||K||_inf for the convolution with f (k x k) on H x W with reflection:
   the largest row sum is at most ||f||_1, a column sum is sum_ab |f_ab| n_a(r) n_b(c) */
static PetscErrorCode FilterNormSqBound(Denoise *dn, const PetscScalar *f, PetscReal *bound)
{
  PetscInt  k = dn->k, h = dn->h, nr, nc, rr[64], rc[64];
  PetscReal f1 = 0, colmax = 0;

  PetscFunctionBegin;
  PetscCall(Representatives(dn->H, h, &nr, rr));
  PetscCall(Representatives(dn->W, h, &nc, rc));
  for (PetscInt a = 0; a < k * k; a++) f1 += PetscAbsScalar(f[a]);
  for (PetscInt ir = 0; ir < nr; ir++)
    for (PetscInt ic = 0; ic < nc; ic++) {
      PetscReal s = 0;
      for (PetscInt a = 0; a < k; a++) {
        PetscInt na = Preimages(dn->H, h - a, rr[ir]);
        if (!na) continue;
        for (PetscInt b = 0; b < k; b++) s += PetscAbsScalar(f[a * k + b]) * na * Preimages(dn->W, h - b, rc[ic]);
      }
      colmax = PetscMax(colmax, s);
    }
  *bound = f1 * colmax;
  PetscFunctionReturn(0);
}

static PetscErrorCode LowerConstants(HGProblem prob, Vec lambda, PetscReal *L, PetscReal *mu, void *ctx)
{
  Denoise           *dn = (Denoise *)ctx;
  const PetscScalar *l;
  PetscReal          c0, s = 0;

  PetscFunctionBegin;
  PetscCall(GetLambda(dn, lambda, &l));
  c0 = 0.5 * PetscExpReal(PetscRealPart(l[0]));
  if (dn->reg == DENOISE_TV) s = 8.0 / PetscExpReal(PetscRealPart(l[1]));
  else
    for (PetscInt kk = 0; kk < dn->K; kk++) {
      PetscReal nb;
      PetscCall(FilterNormSqBound(dn, FOE_FILTER(l, dn, kk), &nb));
      s += PetscExpReal(PetscRealPart(l[1 + kk] - l[1 + dn->K + kk])) * nb;
    }
  PetscCall(RestoreLambda(dn, &l));
  *L  = dn->invN * (1.0 + c0 * s);
  *mu = dn->invN;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------ */
/* Synthetic clean image img: background, a rectangle and a disc, values in [0, 1] */
static PetscReal Synthetic(Denoise *dn, PetscInt img, PetscInt r, PetscInt c)
{
  PetscInt64 s = (PetscInt64)img * 16;
  PetscReal  H = dn->H, W = dn->W, v = 0.1 + 0.2 * HGHashUniform(dn->seed, STREAM_SHAPE, s);
  PetscReal  r0 = H * 0.5 * HGHashUniform(dn->seed, STREAM_SHAPE, s + 1), r1 = r0 + H * (0.2 + 0.3 * HGHashUniform(dn->seed, STREAM_SHAPE, s + 2));
  PetscReal  c0 = W * 0.5 * HGHashUniform(dn->seed, STREAM_SHAPE, s + 3), c1 = c0 + W * (0.2 + 0.3 * HGHashUniform(dn->seed, STREAM_SHAPE, s + 4));
  PetscReal  cy = H * HGHashUniform(dn->seed, STREAM_SHAPE, s + 5), cx = W * HGHashUniform(dn->seed, STREAM_SHAPE, s + 6);
  PetscReal  rad = PetscMin(H, W) * (0.15 + 0.2 * HGHashUniform(dn->seed, STREAM_SHAPE, s + 7));

  if (r >= r0 && r < r1 && c >= c0 && c < c1) v = 0.5 + 0.4 * HGHashUniform(dn->seed, STREAM_SHAPE, s + 8);
  if (PetscSqr(r + 0.5 - cy) + PetscSqr(c + 0.5 - cx) <= rad * rad) v = 0.3 + 0.6 * HGHashUniform(dn->seed, STREAM_SHAPE, s + 9);
  return v;
}

static PetscErrorCode SetUpImages(Denoise *dn)
{
  PetscScalar ***ca, ***ya;
  PetscInt       xs, ys, xm, ym;

  PetscFunctionBegin;
  PetscCall(DMCreateGlobalVector(dn->da, &dn->clean));
  PetscCall(VecDuplicate(dn->clean, &dn->noisy));
  if (dn->fromfile) {
    PetscCall(HGImagesLoadHDF5(dn->da, dn->file, "clean", dn->nset, dn->first, PETSC_TRUE, dn->clean));
    if (dn->filenoisy) PetscCall(HGImagesLoadHDF5(dn->da, dn->file, "noisy", dn->nset, dn->first, PETSC_TRUE, dn->noisy));
  }
  PetscCall(DMDAGetCorners(dn->da, &xs, &ys, NULL, &xm, &ym, NULL));
  PetscCall(DMDAVecGetArrayDOF(dn->da, dn->clean, &ca));
  PetscCall(DMDAVecGetArrayDOF(dn->da, dn->noisy, &ya));
  for (PetscInt j = ys; j < ys + ym; j++)
    for (PetscInt i = xs; i < xs + xm; i++)
      for (PetscInt d = 0; d < dn->count; d++) {
        PetscInt img = dn->first + d;
        if (!dn->fromfile) ca[j][i][d] = Synthetic(dn, img, j, i);
        if (!dn->filenoisy) ya[j][i][d] = ca[j][i][d] + dn->sigma * HGHashNormal(dn->seed, STREAM_NOISE, ((PetscInt64)img * dn->H + j) * dn->W + i);
      }
  PetscCall(DMDAVecRestoreArrayDOF(dn->da, dn->clean, &ca));
  PetscCall(DMDAVecRestoreArrayDOF(dn->da, dn->noisy, &ya));
  PetscFunctionReturn(0);
}

/* lambda0: TV (-5, -5); FoE theta0 = -5, alpha = 0, nu = -5, DCT-II basis filters without the constant */
static PetscErrorCode InitialLambda(Denoise *dn, Vec lambda)
{
  PetscInt     lo, hi, k = dn->k, K = dn->K, kk = 0;
  PetscScalar *l;

  PetscFunctionBegin;
  PetscCall(PetscCalloc1(dn->nl, &l));
  l[0] = -5;
  if (dn->reg == DENOISE_TV) l[1] = -5;
  else {
    for (PetscInt j = 0; j < K; j++) l[1 + K + j] = -5;
    for (PetscInt s = 1; s <= 2 * (k - 1) && kk < K; s++)
      for (PetscInt u = PetscMax(0, s - (k - 1)); u <= PetscMin(s, k - 1) && kk < K; u++, kk++) {
        PetscInt     v  = s - u;
        PetscReal    cu = PetscSqrtReal((u ? 2.0 : 1.0) / k), cv = PetscSqrtReal((v ? 2.0 : 1.0) / k);
        PetscScalar *f  = FOE_FILTER(l, dn, kk);
        for (PetscInt a = 0; a < k; a++)
          for (PetscInt b = 0; b < k; b++) f[a * k + b] = cu * cv * PetscCosReal(PETSC_PI * (2 * a + 1) * u / (2.0 * k)) * PetscCosReal(PETSC_PI * (2 * b + 1) * v / (2.0 * k));
      }
  }
  PetscCall(VecGetOwnershipRange(lambda, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(lambda, i, l[i], INSERT_VALUES));
  PetscCall(VecAssemblyBegin(lambda));
  PetscCall(VecAssemblyEnd(lambda));
  PetscCall(PetscFree(l));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUp(HGProblem prob)
{
  Denoise        *dn   = (Denoise *)prob->data;
  MPI_Comm        comm = PetscObjectComm((PetscObject)prob);
  Vec             w, lambda;
  PetscInt        s, px, py;
  const PetscInt *lx, *ly;
  PetscReal       L, mu;
  IS              is;

  PetscFunctionBegin;
  if (dn->da) PetscFunctionReturn(0);
  if (dn->fromfile) PetscCall(HGImagesGetInfoHDF5(comm, dn->file, &dn->nset, &dn->H, &dn->W, &dn->filenoisy));
  else dn->nset = dn->syn_n, dn->H = dn->syn_h, dn->W = dn->syn_w;
  PetscCheck(dn->first >= 0 && dn->first < dn->nset, comm, PETSC_ERR_ARG_OUTOFRANGE, "denoise: first image %" PetscInt_FMT " is not in the data set (images 0..%" PetscInt_FMT "): give -denoise_first below %" PetscInt_FMT, dn->first, dn->nset - 1, dn->nset);
  if (prob->ninstances > 0) {
    /* instance i of n (HGProblemSetInstance(), -problem multi -sub_problem denoise): block i of
       n contiguous blocks of images (n = N: image i), its functions scaled by n/N so that the mean
       of the instances (the default weights 1/n) is the problem of the whole set */
    PetscInt n = prob->ninstances, i = prob->instance;
    PetscCheck(n <= dn->nset, comm, PETSC_ERR_ARG_OUTOFRANGE, "denoise: %" PetscInt_FMT " instances for a data set of %" PetscInt_FMT " images: an instance holds at least one image, give -multi_n <= %" PetscInt_FMT, n, dn->nset, dn->nset);
    dn->first = i * (dn->nset / n) + PetscMin(i, dn->nset % n);
    dn->count = dn->nset / n + (i < dn->nset % n ? 1 : 0);
  }
  if (dn->count == 0 || dn->count == PETSC_DEFAULT) dn->count = dn->nset - dn->first;
  PetscCheck(dn->count >= 1 && dn->first + dn->count <= dn->nset, comm, PETSC_ERR_ARG_OUTOFRANGE, "denoise: images [%" PetscInt_FMT ", %" PetscInt_FMT ") are not all in the data set of %" PetscInt_FMT ": give -denoise_count between 1 and %" PetscInt_FMT, dn->first, dn->first + dn->count, dn->nset, dn->nset - dn->first);
  if (dn->ntotal == 0 || dn->ntotal == PETSC_DEFAULT) dn->ntotal = dn->nset;
  PetscCheck(dn->ntotal >= dn->count, comm, PETSC_ERR_ARG_OUTOFRANGE, "denoise: the training set size N = %" PetscInt_FMT " (-denoise_ntotal) is smaller than the %" PetscInt_FMT " images this problem holds", dn->ntotal, dn->count);
  dn->invN = prob->ninstances > 0 ? (PetscReal)prob->ninstances / (PetscReal)dn->ntotal : 1.0 / (PetscReal)dn->ntotal;
  if (dn->reg == DENOISE_FOE) {
    PetscCheck(dn->k >= 1 && dn->k % 2 == 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "denoise: -denoise_foe_size %" PetscInt_FMT " must be odd and positive (the filter is centred on the pixel)", dn->k);
    PetscCheck(dn->K >= 1 && dn->K <= dn->k * dn->k - 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "denoise: -denoise_foe_filters %" PetscInt_FMT " must be between 1 and k^2 - 1 = %" PetscInt_FMT " (the initial filters are the DCT basis without the constant)", dn->K, dn->k * dn->k - 1);
    PetscCheck(dn->k <= 31, comm, PETSC_ERR_ARG_OUTOFRANGE, "denoise: -denoise_foe_size %" PetscInt_FMT " is larger than 31", dn->k);
    PetscCheck(dn->H >= dn->k && dn->W >= dn->k, comm, PETSC_ERR_ARG_SIZ, "denoise: images of %" PetscInt_FMT " x %" PetscInt_FMT " are smaller than the %" PetscInt_FMT " x %" PetscInt_FMT " filters: use smaller filters (-denoise_foe_size)", dn->H, dn->W, dn->k, dn->k);
    dn->h  = (dn->k - 1) / 2;
    dn->nl = 1 + 2 * dn->K + dn->K * dn->k * dn->k;
  } else {
    PetscCheck(dn->H >= 2 && dn->W >= 2, comm, PETSC_ERR_ARG_SIZ, "denoise: images of %" PetscInt_FMT " x %" PetscInt_FMT " have no pixel pairs in one direction: TV needs at least 2 x 2", dn->H, dn->W);
    dn->h  = 1;
    dn->nl = 2;
  }
  s = dn->h;
  PetscCall(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, dn->reg == DENOISE_TV ? DMDA_STENCIL_STAR : DMDA_STENCIL_BOX, dn->W, dn->H, PETSC_DECIDE, PETSC_DECIDE, dn->count, PetscMax(s, 1), NULL, NULL, &dn->da));
  PetscCall(DMSetUp(dn->da));
  /* ghost points come from the next block only: each block must be at least the stencil wide */
  PetscCall(DMDAGetInfo(dn->da, NULL, NULL, NULL, NULL, &px, &py, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  PetscCall(DMDAGetOwnershipRanges(dn->da, &lx, &ly, NULL));
  for (PetscInt p = 0; p < px; p++) PetscCheck(lx[p] >= s, comm, PETSC_ERR_ARG_SIZ, "denoise: the %" PetscInt_FMT "-pixel wide images split over %" PetscInt_FMT " ranks give a block of %" PetscInt_FMT " columns, narrower than the stencil (%" PetscInt_FMT "): use fewer ranks per image or larger images", dn->W, px, lx[p], s);
  for (PetscInt p = 0; p < py; p++) PetscCheck(ly[p] >= s, comm, PETSC_ERR_ARG_SIZ, "denoise: the %" PetscInt_FMT "-pixel high images split over %" PetscInt_FMT " ranks give a block of %" PetscInt_FMT " rows, lower than the stencil (%" PetscInt_FMT "): use fewer ranks per image or larger images", dn->H, py, ly[p], s);
  PetscCall(DMDAGetCorners(dn->da, &dn->xs, &dn->ys, NULL, &dn->xm, &dn->ym, NULL));
  if (dn->reg == DENOISE_FOE) {
    PetscInt gxs, gys, gxm, gym, k = dn->k;
    PetscCall(DMDAGetGhostCorners(dn->da, &gxs, &gys, NULL, &gxm, &gym, NULL));
    PetscCall(PetscMalloc4(dn->ym * k, &dn->roff, dn->xm * k, &dn->coff, dn->xm * dn->ym, &dn->zb, dn->xm * dn->ym, &dn->tb));
    for (PetscInt jl = 0; jl < dn->ym; jl++)
      for (PetscInt a = 0; a < k; a++) dn->roff[jl * k + a] = (Refl(dn->ys + jl + dn->h - a, dn->H) - gys) * gxm * dn->count;
    for (PetscInt il = 0; il < dn->xm; il++)
      for (PetscInt b = 0; b < k; b++) dn->coff[il * k + b] = (Refl(dn->xs + il + dn->h - b, dn->W) - gxs) * dn->count;
  }
  if (dn->reg == DENOISE_TV) PetscCall(PetscMalloc3((dn->xm + 1) * dn->count, &dn->qh, dn->xm * dn->count, &dn->qv0, dn->xm * dn->count, &dn->qv1));
  PetscCall(SetUpImages(dn));
  if (dn->save[0]) {
    Vec               v[2]  = {dn->clean, dn->noisy};
    const char *const nm[2] = {"clean", "noisy"};
    PetscCall(HGVecsWriteHDF5(dn->save, 2, v, nm));
  }
  PetscCall(DMCreateLocalVector(dn->da, &dn->xl));
  PetscCall(VecDuplicate(dn->xl, &dn->ul));
  PetscCall(VecDuplicate(dn->xl, &dn->acc));
  PetscCall(PetscMalloc1(dn->nl, &dn->red));
  if (dn->reg == DENOISE_FOE && dn->zeromean) PetscCall(PetscMalloc1(dn->nl, &dn->lz));
  PetscCall(DMCreateGlobalVector(dn->da, &w));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, dn->nl, &lambda));
  PetscCall(VecCreateSeq(PETSC_COMM_SELF, dn->nl, &dn->lseq));
  PetscCall(ISCreateStride(PETSC_COMM_SELF, dn->nl, 0, 1, &is));
  PetscCall(VecScatterCreate(lambda, is, dn->lseq, is, &dn->lscat));
  PetscCall(ISDestroy(&is));
  PetscCall(HGProblemSetVecTemplates(prob, w, lambda));
  PetscCall(InitialLambda(dn, lambda));
  PetscCall(HGProblemSetInitialHyperparameters(prob, lambda));
  PetscCall(HGProblemSetOptimizationCallbacks(prob, dn, LowerObjective, LowerGradient, HessianMult, MixedMultTranspose, UpperObjective, UpperGradient));
  PetscCall(LowerConstants(prob, lambda, &L, &mu, dn));
  PetscCall(HGProblemSetLowerConstants(prob, L, mu));
  PetscCall(HGProblemSetLowerConstantsFunction(prob, LowerConstants));
  /* grad_x E = (x - c)/N is 1/N-Lipschitz, grad_lambda E = 0; the others are estimated */
  PetscCall(HGProblemSetBoundConstants(prob, dn->invN, 0.0, -1, -1, -1));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetFromOptions(HGProblem prob, PetscOptionItems *PetscOptionsObject)
{
  Denoise  *dn   = (Denoise *)prob->data;
  MPI_Comm  comm = PetscObjectComm((PetscObject)prob);
  PetscEnum reg  = (PetscEnum)dn->reg;
  PetscInt  n;
  PetscBool flg;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Denoising: learned TV or Field-of-Experts regularizer");
  PetscCall(PetscOptionsEnum("-denoise_reg", "Regularizer", "HGPROBLEMDENOISE", DenoiseRegs, reg, &reg, NULL));
  dn->reg = (DenoiseReg)reg;
  PetscCall(PetscOptionsString("-denoise_file", "HDF5 file with /clean (and /noisy), N x H x W in [0, 1]", "HGPROBLEMDENOISE", dn->file, dn->file, sizeof(dn->file), &flg));
  if (flg) dn->fromfile = dn->file[0] ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(PetscOptionsString("-denoise_save_images", "Write the clean and noisy images used to this HDF5 file (H x W x count each)", "HGPROBLEMDENOISE", dn->save, dn->save, sizeof(dn->save), NULL));
  PetscCall(PetscOptionsReal("-denoise_sigma", "Noise standard deviation (synthetic data, or a file without /noisy)", "HGPROBLEMDENOISE", dn->sigma, &dn->sigma, NULL));
  PetscCall(PetscOptionsInt("-denoise_seed", "Seed of the noise and of the synthetic images", "HGPROBLEMDENOISE", dn->seed, &dn->seed, NULL));
  PetscCall(PetscOptionsInt("-denoise_first", "First image held", "HGProblemDenoiseSetImages", dn->first, &dn->first, NULL));
  n = dn->count;
  PetscCall(PetscOptionsInt("-denoise_count", "Number of images held (0: all from the first)", "HGProblemDenoiseSetImages", n, &n, &flg));
  if (flg) dn->count = n;
  n = dn->ntotal;
  PetscCall(PetscOptionsInt("-denoise_ntotal", "Size N of the whole training set, the 1/N of both levels (0: the images in the data set)", "HGProblemDenoiseSetTrainingSetSize", n, &n, &flg));
  if (flg) dn->ntotal = n;
  PetscCall(PetscOptionsInt("-denoise_foe_filters", "FoE: number of filters K", "HGPROBLEMDENOISE", dn->K, &dn->K, NULL));
  PetscCall(PetscOptionsInt("-denoise_foe_size", "FoE: filter size k (odd)", "HGPROBLEMDENOISE", dn->k, &dn->k, NULL));
  PetscCall(PetscOptionsBool("-denoise_foe_zero_mean", "FoE: use each filter less its mean (the filters do not respond to the brightness)", "HGPROBLEMDENOISE", dn->zeromean, &dn->zeromean, NULL));
  PetscCall(PetscOptionsInt("-denoise_synthetic_n", "Synthetic data: number of images", "HGPROBLEMDENOISE", dn->syn_n, &dn->syn_n, NULL));
  PetscCall(PetscOptionsInt("-denoise_synthetic_h", "Synthetic data: image height", "HGPROBLEMDENOISE", dn->syn_h, &dn->syn_h, NULL));
  PetscCall(PetscOptionsInt("-denoise_synthetic_w", "Synthetic data: image width", "HGPROBLEMDENOISE", dn->syn_w, &dn->syn_w, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(dn->sigma >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "denoise: -denoise_sigma %g must be >= 0", (double)dn->sigma);
  PetscCheck(dn->syn_n >= 1 && dn->syn_h >= 1 && dn->syn_w >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "denoise: -denoise_synthetic_n, _h and _w must be positive");
  PetscFunctionReturn(0);
}

static PetscErrorCode View(HGProblem prob, PetscViewer viewer)
{
  Denoise *dn = (Denoise *)prob->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "denoise (%s", DenoiseRegs[dn->reg]));
  if (dn->reg == DENOISE_FOE) PetscCall(PetscViewerASCIIPrintf(viewer, ", %" PetscInt_FMT " filters of %" PetscInt_FMT " x %" PetscInt_FMT, dn->K, dn->k, dn->k));
  PetscCall(PetscViewerASCIIPrintf(viewer, "): %s, images [%" PetscInt_FMT ", %" PetscInt_FMT ") of %" PetscInt_FMT " x %" PetscInt_FMT ", N = %" PetscInt_FMT "\n", dn->fromfile ? dn->file : "synthetic", dn->first, dn->first + dn->count, dn->H, dn->W, dn->ntotal));
  PetscFunctionReturn(0);
}

static PetscErrorCode Destroy(HGProblem prob)
{
  Denoise *dn = (Denoise *)prob->data;

  PetscFunctionBegin;
  PetscCall(VecDestroy(&dn->clean));
  PetscCall(VecDestroy(&dn->noisy));
  PetscCall(VecDestroy(&dn->xl));
  PetscCall(VecDestroy(&dn->ul));
  PetscCall(VecDestroy(&dn->acc));
  PetscCall(VecDestroy(&dn->lseq));
  PetscCall(VecScatterDestroy(&dn->lscat));
  PetscCall(DMDestroy(&dn->da));
  PetscCall(PetscFree(dn->red));
  PetscCall(PetscFree(dn->lz));
  PetscCall(PetscFree4(dn->roff, dn->coff, dn->zb, dn->tb));
  PetscCall(PetscFree3(dn->qh, dn->qv0, dn->qv1));
  PetscCall(PetscObjectComposeFunction((PetscObject)prob, "HGProblemDenoiseSetImages_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)prob, "HGProblemDenoiseSetTrainingSetSize_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)prob, "HGProblemDenoiseGetDM_C", NULL));
  PetscCall(PetscFree(prob->data));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetImages_Denoise(HGProblem prob, PetscInt first, PetscInt count)
{
  Denoise *dn = (Denoise *)prob->data;

  PetscFunctionBegin;
  PetscCheck(!dn->da, PetscObjectComm((PetscObject)prob), PETSC_ERR_ORDER, "HGProblemDenoiseSetImages() must come before HGProblemSetUp()");
  dn->first = first, dn->count = count;
  PetscFunctionReturn(0);
}

static PetscErrorCode SetTrainingSetSize_Denoise(HGProblem prob, PetscInt N)
{
  Denoise *dn = (Denoise *)prob->data;

  PetscFunctionBegin;
  PetscCheck(!dn->da, PetscObjectComm((PetscObject)prob), PETSC_ERR_ORDER, "HGProblemDenoiseSetTrainingSetSize() must come before HGProblemSetUp()");
  dn->ntotal = N;
  PetscFunctionReturn(0);
}

static PetscErrorCode GetDM_Denoise(HGProblem prob, DM *da)
{
  Denoise *dn = (Denoise *)prob->data;

  PetscFunctionBegin;
  PetscCheck(dn->da, PetscObjectComm((PetscObject)prob), PETSC_ERR_ORDER, "HGProblemDenoiseGetDM() needs HGProblemSetUp() first");
  *da = dn->da;
  PetscFunctionReturn(0);
}

/*@
  HGProblemDenoiseSetImages - the images [first, first + count) of the data set that this
  denoising problem holds (one instance per training image: count = 1)

  Logically Collective

  Input Parameters:
+ prob  - the problem, of type HGPROBLEMDENOISE (other types ignore the call)
. first - the first image (0-based)
- count - the number of images (0 or PETSC_DEFAULT: all from first)

  Options Database Keys:
+ -denoise_first <0>     - first image
- -denoise_count <count> - number of images

  Notes:
  Call before HGProblemSetUp().  The images must be in the data set.

  Level: intermediate

.seealso: HGPROBLEMDENOISE, HGProblemDenoiseSetTrainingSetSize()
@*/
PetscErrorCode HGProblemDenoiseSetImages(HGProblem prob, PetscInt first, PetscInt count)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  PetscTryMethod(prob, "HGProblemDenoiseSetImages_C", (HGProblem, PetscInt, PetscInt), (prob, first, count));
  PetscFunctionReturn(0);
}

/*@
  HGProblemDenoiseSetTrainingSetSize - the size N of the whole training set: both levels carry
  the factor 1/N, so that the problems of instances holding parts of the set sum to the
  bilevel problem of the whole set

  Logically Collective

  Input Parameters:
+ prob - the problem, of type HGPROBLEMDENOISE (other types ignore the call)
- N    - the number of training images (at least the number held; 0 or PETSC_DEFAULT: the images in the data set)

  Options Database Key:
. -denoise_ntotal <N> - the same (default: the number of images in the data set)

  Level: intermediate

.seealso: HGPROBLEMDENOISE, HGProblemDenoiseSetImages()
@*/
PetscErrorCode HGProblemDenoiseSetTrainingSetSize(HGProblem prob, PetscInt N)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  PetscTryMethod(prob, "HGProblemDenoiseSetTrainingSetSize_C", (HGProblem, PetscInt), (prob, N));
  PetscFunctionReturn(0);
}

/*@
  HGProblemDenoiseGetDM - the 2-D DMDA of the images (dof = number of images held, dimensions
  W x H), on which the lower-level vectors live; DMDA natural ordering is (row, column, image)

  Not Collective

  Input Parameter:
. prob - the problem, of type HGPROBLEMDENOISE, set up

  Output Parameter:
. da - the DMDA (owned by the problem; do not destroy)

  Level: intermediate

.seealso: HGPROBLEMDENOISE
@*/
PetscErrorCode HGProblemDenoiseGetDM(HGProblem prob, DM *da)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(prob, HGPROBLEM_CLASSID, 1);
  *da = NULL;
  PetscUseMethod(prob, "HGProblemDenoiseGetDM_C", (HGProblem, DM *), (prob, da));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode HGProblemCreate_Denoise(HGProblem prob)
{
  Denoise *dn;

  PetscFunctionBegin;
  PetscCall(PetscNew(&dn));
  dn->reg    = DENOISE_TV;
  dn->sigma  = 0.1;
  dn->K      = 48;
  dn->k      = 7;
  dn->syn_n  = 3;
  dn->syn_h  = 16;
  dn->syn_w  = 12;
  prob->data                = dn;
  prob->ops->setup          = SetUp;
  prob->ops->setfromoptions = SetFromOptions;
  prob->ops->view           = View;
  prob->ops->destroy        = Destroy;
  PetscCall(PetscObjectComposeFunction((PetscObject)prob, "HGProblemDenoiseSetImages_C", SetImages_Denoise));
  PetscCall(PetscObjectComposeFunction((PetscObject)prob, "HGProblemDenoiseSetTrainingSetSize_C", SetTrainingSetSize_Denoise));
  PetscCall(PetscObjectComposeFunction((PetscObject)prob, "HGProblemDenoiseGetDM_C", GetDM_Denoise));
  PetscFunctionReturn(0);
}
