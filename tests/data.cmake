# Data sets: loaders, the bad-file corpus (tests/data/bad), formats agreeing, splits and
# standardization, real data (skipped when absent), hgsolve's one-shot mode
hg_add_test(NAME t600-data-bad SOURCE t600-data-bad.c NPROCS 1 3 LABELS data errors TIMEOUT 60)
hg_add_test(NAME t600-data-formats SOURCE t600-data-formats.c NPROCS 1 3 LABELS data TIMEOUT 60)
hg_add_test(NAME t600-data-split SOURCE t600-data-split.c NPROCS 1 3 LABELS data ranks TIMEOUT 60)
