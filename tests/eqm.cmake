# eqm: the equilibrium model of Grazzi et al. 3.2 (src/problems/eqm.c), small synthetic instances
set(HG_EQM_SMALL -eqm_h 10 -eqm_n 25 -eqm_p 6 -eqm_classes 3 -eqm_ntest 10)
hg_add_test(NAME t100-derivatives SOURCE t100-derivatives.c SUFFIX _eqm NPROCS 1 3 ARGS -problem eqm ${HG_EQM_SMALL} LABELS derivatives eqm)
hg_add_test(NAME t100-derivatives SOURCE t100-derivatives.c SUFFIX _eqm_noproj NPROCS 1 2 ARGS -problem eqm ${HG_EQM_SMALL} -eqm_project 0 -eqm_init_seed 4 -eqm_n 2 LABELS derivatives eqm)
hg_add_test(NAME t520-eqm SOURCE t520-eqm.c NPROCS 1 3 ARGS ${HG_EQM_SMALL} LABELS eqm fixedpoint)
hg_add_test(NAME t520-eqm-ranks SOURCE t520-eqm-ranks.c NPROCS 2 3 ARGS ${HG_EQM_SMALL} LABELS eqm ranks)
hg_add_test(NAME t520-eqm-ranks SOURCE t520-eqm-ranks.c SUFFIX _tiny NPROCS 3 ARGS ${HG_EQM_SMALL} -eqm_n 2 -eqm_h 5 LABELS eqm ranks)
hg_add_test(NAME t520-eqm-mnist SOURCE t520-eqm-mnist.c NPROCS 1 3 LABELS eqm data)
