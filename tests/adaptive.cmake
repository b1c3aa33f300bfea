# Adaptive accuracy (-outer_type adaptive, -outer_tol_schedule) on the closed-form quadratic problem
hg_add_test(NAME t820-adaptive SOURCE t820-adaptive.c NPROCS 1 3 LABELS "service;adaptive" TIMEOUT 120)
