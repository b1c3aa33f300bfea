/* Layout-independent pseudo-random numbers (splitmix64 of seed, stream and global index). */
#include <hypergrad/hgimpl.h>

static inline uint64_t SplitMix64(uint64_t x)
{
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

PetscReal HGHashUniform(PetscInt64 seed, PetscInt64 stream, PetscInt64 i)
{
  uint64_t h = SplitMix64(SplitMix64(SplitMix64((uint64_t)seed) ^ (uint64_t)stream) ^ (uint64_t)i);
  return ((PetscReal)(h >> 11) + 0.5) / 9007199254740992.0; /* in (0,1) */
}

PetscReal HGHashNormal(PetscInt64 seed, PetscInt64 stream, PetscInt64 i)
{
  PetscReal u1 = HGHashUniform(seed, stream, 2 * i), u2 = HGHashUniform(seed, stream, 2 * i + 1);
  return PetscSqrtReal(-2.0 * PetscLogReal(u1)) * PetscCosReal(2.0 * PETSC_PI * u2);
}

PetscErrorCode HGVecSetHashNormal(Vec x, PetscInt64 seed, PetscInt64 stream)
{
  PetscInt     lo, hi;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscCall(VecGetArrayWrite(x, &a));
  for (PetscInt i = lo; i < hi; i++) a[i - lo] = HGHashNormal(seed, stream, i);
  PetscCall(VecRestoreArrayWrite(x, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode HGVecSetHashUniform(Vec x, PetscInt64 seed, PetscInt64 stream, PetscReal lo_v, PetscReal hi_v)
{
  PetscInt     lo, hi;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscCall(VecGetArrayWrite(x, &a));
  for (PetscInt i = lo; i < hi; i++) a[i - lo] = lo_v + (hi_v - lo_v) * HGHashUniform(seed, stream, i);
  PetscCall(VecRestoreArrayWrite(x, &a));
  PetscFunctionReturn(0);
}

/* Dense M x N matrix with entries scale * N(0,1) from (seed, stream, i*N + j), rows split by
   the layout of rowlayout (or PETSC_DECIDE when NULL), columns split like collayout. */
PetscErrorCode HGMatCreateDenseHash(MPI_Comm comm, PetscInt M, PetscInt N, Vec rowlayout, Vec collayout, PetscInt64 seed, PetscInt64 stream, PetscReal scale, Mat *A)
{
  PetscInt     m = PETSC_DECIDE, n = PETSC_DECIDE, lo, hi, lda;
  PetscScalar *a;

  PetscFunctionBegin;
  if (rowlayout) PetscCall(VecGetLocalSize(rowlayout, &m));
  if (collayout) PetscCall(VecGetLocalSize(collayout, &n));
  PetscCall(MatCreateDense(comm, m, n, M, N, NULL, A));
  PetscCall(MatGetOwnershipRange(*A, &lo, &hi));
  PetscCall(MatDenseGetLDA(*A, &lda));
  PetscCall(MatDenseGetArrayWrite(*A, &a));
  for (PetscInt j = 0; j < N; j++)
    for (PetscInt i = lo; i < hi; i++) a[(i - lo) + j * lda] = scale * HGHashNormal(seed, stream, (PetscInt64)i * N + j);
  PetscCall(MatDenseRestoreArrayWrite(*A, &a));
  PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

/* The same entries, the whole matrix, column major, on this rank (for direct solves) */
PetscErrorCode HGDenseHashArray(PetscInt M, PetscInt N, PetscInt64 seed, PetscInt64 stream, PetscReal scale, PetscScalar **a)
{
  PetscFunctionBegin;
  PetscCall(PetscMalloc1(M * N, a));
  for (PetscInt j = 0; j < N; j++)
    for (PetscInt i = 0; i < M; i++) (*a)[i + j * M] = scale * HGHashNormal(seed, stream, (PetscInt64)i * N + j);
  PetscFunctionReturn(0);
}
