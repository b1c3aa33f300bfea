static const char help[] = "t601-split-hash: HGDataSplit puts in part k exactly the samples whose position in the order of\n"
                           "the keys splitmix64(seed, stream 601, index) (ties by index) falls in the k-th interval of the\n"
                           "cumulative fractions; the reference is computed here from the whole list of keys, sorted.\n";
#include "../hgtest.h"
#include <stdint.h>

/* The hash of src/util/hash.c, written again from the splitmix64 definition */
static uint64_t Mix(uint64_t x)
{
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

typedef struct {
  double   key;
  PetscInt id;
} Item;

static int Cmp(const void *a, const void *b)
{
  const Item *x = (const Item *)a, *y = (const Item *)b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->id < y->id ? -1 : (x->id > y->id ? 1 : 0);
}

static int CmpInt(const void *a, const void *b)
{
  PetscInt x = *(const PetscInt *)a, y = *(const PetscInt *)b;
  return x < y ? -1 : (x > y ? 1 : 0);
}

/* X = [id, 2 id] (dense) and y = id */
static PetscErrorCode Create(MPI_Comm comm, PetscInt M, HGData *d)
{
  PetscInt lo, hi;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(d, sizeof(*d)));
  PetscCall(MatCreateDense(comm, PETSC_DECIDE, PETSC_DECIDE, M, 2, NULL, &d->X));
  PetscCall(MatGetOwnershipRange(d->X, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) {
    PetscCall(MatSetValue(d->X, i, 0, (PetscReal)i, INSERT_VALUES));
    PetscCall(MatSetValue(d->X, i, 1, 2.0 * i, INSERT_VALUES));
  }
  PetscCall(MatAssemblyBegin(d->X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(d->X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatCreateVecs(d->X, NULL, &d->y));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(d->y, i, (PetscReal)i, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(d->y));
  PetscCall(VecAssemblyEnd(d->y));
  d->nsamples = M, d->nfeatures = 2;
  PetscFunctionReturn(0);
}

static PetscErrorCode Check(MPI_Comm comm, PetscInt M, PetscInt nparts, const PetscReal frac[], PetscInt64 seed)
{
  HGData    d, parts[4];
  Item     *items;
  PetscInt *ref, start = 0;
  PetscReal cum = 0;

  PetscFunctionBegin;
  PetscCall(Create(comm, M, &d));
  PetscCall(HGDataSplit(&d, nparts, frac, seed, parts));
  PetscCall(PetscMalloc2(M, &items, M, &ref));
  for (PetscInt i = 0; i < M; i++) {
    uint64_t h    = Mix(Mix(Mix((uint64_t)seed) ^ (uint64_t)601) ^ (uint64_t)i);
    items[i].key = ((double)(h >> 11) + 0.5) / 9007199254740992.0;
    items[i].id  = i;
  }
  qsort(items, (size_t)M, sizeof(Item), Cmp);
  for (PetscInt k = 0; k < nparts; k++) {
    PetscInt           end, n;
    Vec                all;
    VecScatter         sc;
    const PetscScalar *a, *x;
    PetscInt           lo, hi, lda;

    cum += frac[k];
    end = k == nparts - 1 ? M : (PetscInt)PetscFloorReal(cum * M + 0.5);
    n   = end - start;
    for (PetscInt i = 0; i < n; i++) ref[i] = items[start + i].id;
    qsort(ref, (size_t)n, sizeof(PetscInt), CmpInt);
    HGTEST_CHECK(parts[k].nsamples == n, "M = %" PetscInt_FMT ", seed %" PetscInt64_FMT ": part %" PetscInt_FMT " has %" PetscInt_FMT " samples, expected %" PetscInt_FMT, M, seed, k, parts[k].nsamples, n);
    PetscCall(VecScatterCreateToAll(parts[k].y, &sc, &all));
    PetscCall(VecScatterBegin(sc, parts[k].y, all, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sc, parts[k].y, all, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecGetArrayRead(all, &a));
    for (PetscInt i = 0; i < n; i++) HGTEST_CHECK(PetscRealPart(a[i]) == (PetscReal)ref[i], "M = %" PetscInt_FMT ", seed %" PetscInt64_FMT ": part %" PetscInt_FMT ", row %" PetscInt_FMT ": sample %g, the sorted keys give %" PetscInt_FMT, M, seed, k, i, (double)PetscRealPart(a[i]), ref[i]);
    PetscCall(VecRestoreArrayRead(all, &a));
    /* the rows of X moved with their labels */
    PetscCall(MatGetOwnershipRange(parts[k].X, &lo, &hi));
    PetscCall(MatDenseGetLDA(parts[k].X, &lda));
    PetscCall(MatDenseGetArrayRead(parts[k].X, &x));
    for (PetscInt i = lo; i < hi; i++) HGTEST_CHECK(x[i - lo] == (PetscReal)ref[i] && x[i - lo + lda] == 2.0 * ref[i], "part %" PetscInt_FMT ", row %" PetscInt_FMT ": X row does not belong to sample %" PetscInt_FMT, k, i, ref[i]);
    PetscCall(MatDenseRestoreArrayRead(parts[k].X, &x));
    PetscCall(VecScatterDestroy(&sc));
    PetscCall(VecDestroy(&all));
    PetscCall(HGDataDestroy(&parts[k]));
    start = end;
  }
  PetscCall(PetscFree2(items, ref));
  PetscCall(HGDataDestroy(&d));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  const PetscReal thirds[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3}, uneven[3] = {0.5, 0.3, 0.2}, two[2] = {0.7, 0.3}, four[4] = {0.1, 0.2, 0.3, 0.4};
  MPI_Comm        comm;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscCall(Check(comm, 1000, 3, thirds, 0));
  PetscCall(Check(comm, 1000, 3, uneven, 5));
  PetscCall(Check(comm, 997, 2, two, 123456789));
  PetscCall(Check(comm, 101, 4, four, 42));
  PetscCall(Check(comm, 3, 3, thirds, 7)); /* fewer samples than ranks on 4 ranks */
  PetscCall(PetscPrintf(comm, "t601-split-hash: the parts equal those of the sorted keys (5 cases)\n"));
  PetscCall(PetscFinalize());
  return 0;
}
