# Instances on sub-communicators (src/multi): -problem multi, -hg_type multi
set(HG_MULTI_LR -sub_problem logreg -sub_lr_p 12 -sub_lr_ntrain 60 -sub_lr_nval 5 -sub_hg_type aid -sub_hg_ksp_type cg -sub_lower_max_it 40 -sub_hg_k 8)
# k-fold cross-validation of logreg: 5 folds on 1..4 ranks (uneven), every count of sub-communicators
hg_add_test(NAME t850-multi SOURCE t850-multi.c SUFFIX _cv5 NPROCS 1 2 3 4 ARGS -multi_n 5 -batch 2 ${HG_MULTI_LR} LABELS multi)
# 2 instances on 3 ranks: one sub-communicator of 2 ranks, one of 1
hg_add_test(NAME t850-multi SOURCE t850-multi.c SUFFIX _cv2 NPROCS 3 ARGS -multi_n 2 ${HG_MULTI_LR} LABELS multi)
# converged solves: the same against central finite differences of f = mean of the fold validation losses
hg_add_test(NAME t850-multi SOURCE t850-multi.c SUFFIX _cv4_fd NPROCS 1 3 ARGS -multi_n 4 -fd -sub_problem logreg -sub_lr_p 12 -sub_lr_ntrain 60 -sub_lr_nval 5 -sub_hg_type aid -sub_hg_ksp_type cg -sub_lower_max_it 5000 -sub_lower_atol 1e-13 -sub_hg_k 40 -sub_hg_adjoint_atol 1e-13 LABELS multi)
# multi-task hyper-representation: T = 3 tasks sharing H (f = sum of the task losses), converged
# solves, against the sum of the tasks' closed forms (direct solves) and the separate runs
hg_add_test(NAME t850-multi SOURCE t850-multi.c SUFFIX _hyperrep3 NPROCS 1 2 3 ARGS -multi_n 3 -multi_sum -closed_form -converged -sub_problem hyperrep -sub_hr_p 10 -sub_hr_d 3 -sub_hr_ntrain 40 -sub_hr_nval 30 -sub_hg_type aid -sub_hg_ksp_type cg -sub_lower_max_it 3000 -sub_lower_atol 1e-13 -sub_hg_k 3 LABELS multi)
# hgrun on instances with mini-batches: resume bitwise, across ranks and sub-communicators, h5py layout
foreach(pair "2;1" "3;2")
  list(GET pair 0 na)
  list(GET pair 1 nb)
  add_test(NAME t860-multi-run_np${na}_from${nb}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/service/t860-multi-run.sh $<TARGET_FILE:hgrun> ${na} ${nb})
  set_tests_properties(t860-multi-run_np${na}_from${nb} PROPERTIES TIMEOUT 300 PROCESSORS ${na} LABELS "multi;service;np${na}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
# -outer_type tao with mini-batches refused (message, exit, no run file written or touched); tao with B = n runs
foreach(np 1 2)
  add_test(NAME t861-multi-tao_np${np}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/service/t861-multi-tao.sh $<TARGET_FILE:hgrun> ${np})
  set_tests_properties(t861-multi-tao_np${np} PROPERTIES TIMEOUT 120 PROCESSORS ${np} LABELS "multi;service;errors;np${np}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
# the bad input of issue 11 through hgrun at 1, 2, 3 ranks: message, non-zero exit, an existing run file untouched
foreach(np 1 2 3)
  add_test(NAME t862-multi-bad-input_np${np}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/service/t862-multi-bad-input.sh $<TARGET_FILE:hgrun> ${np})
  set_tests_properties(t862-multi-bad-input_np${np} PROPERTIES TIMEOUT 120 PROCESSORS ${np} LABELS "multi;service;errors;np${np}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
# instances from a user callback, each on its own DMDA on the sub-communicator; bad callbacks and options
hg_add_test(NAME t851-multi-callback SOURCE t851-multi-callback.c NPROCS 1 2 3 4 LABELS "multi;errors")
# k-fold cross-validation of multinomial logistic regression (3 folds)
hg_add_test(NAME t850-multi SOURCE t850-multi.c SUFFIX _mlogreg3 NPROCS 1 3 ARGS -multi_n 3 -sub_problem mlogreg -sub_mlr_p 10 -sub_mlr_c 3 -sub_mlr_ntrain 60 -sub_mlr_nval 5 -sub_hg_type aid -sub_hg_ksp_type cg -sub_lower_max_it 30 -sub_hg_k 6 LABELS multi)
# the outer loops' tolerances reach every instance (adaptive, -outer_tol_schedule; loose -sub_ tolerances
# that a tolerance not forwarded would leave), adaptive against one rank, -hg_test_hypergradient on the
# instances, adaptive with a mini-batch refused
hg_add_test(NAME t852-multi-adaptive SOURCE t852-multi-adaptive.c NPROCS 1 2 3 ARGS -multi_n 3 -sub_problem logreg -sub_lr_p 12 -sub_lr_ntrain 60 -sub_lr_nval 5 -sub_hg_type aid -sub_hg_ksp_type cg -sub_lower_max_it 5000 -sub_hg_k 2000 -sub_lower_rtol 0.5 -sub_hg_adjoint_rtol 0.5 LABELS "multi;adaptive")
# k-fold cross-validation of kernel ridge regression (3 folds of the training set), converged solves: against the
# mean of the single-fold runs, the fold sizes (they partition the 40 samples), the mean of the folds' closed forms (dense solves) and central finite differences
hg_add_test(NAME t850-multi SOURCE t850-multi.c SUFFIX _krr3 NPROCS 1 2 3 ARGS -multi_n 3 -cv_samples 40 -fd -closed_form -sub_problem krr -sub_krr_p 3 -sub_krr_ntrain 40 -sub_krr_nval 5 -sub_hg_type aid -sub_hg_ksp_type cg -sub_lower_max_it 20000 -sub_lower_atol 1e-13 -sub_hg_k 400 -sub_hg_adjoint_atol 1e-13 LABELS multi)
# logreg's validation and test accuracy (-data_test, -lr_ntest) against a recomputation from w and the data
# written by the test, alone and as the 3 folds of a cross-validation (the mean of the single-fold runs')
hg_add_test(NAME t855-logreg-accuracy SOURCE t855-logreg-accuracy.c NPROCS 1 2 3 ARGS -multi_n 3 -sub_problem logreg -sub_lr_p 8 -sub_lr_ntrain 80 -sub_lr_nval 40 -sub_hg_type aid -sub_hg_ksp_type cg -sub_lower_max_it 5000 -sub_lower_atol 1e-12 -sub_hg_k 40 LABELS "multi;logreg")
# k-fold cross-validation of biased regularization (3 folds of the training set), converged solves: against the
# mean of the single-fold runs, the mean of the folds' closed forms (dense Cholesky solves on the split data)
# and central finite differences
hg_add_test(NAME t850-multi SOURCE t850-multi.c SUFFIX _biasreg3 NPROCS 1 2 3 ARGS -multi_n 3 -fd -closed_form -sub_problem biasreg -sub_br_p 6 -sub_br_ntrain 40 -sub_br_nval 5 -sub_hg_type aid -sub_hg_ksp_type cg -sub_lower_max_it 20000 -sub_lower_atol 1e-13 -sub_hg_k 400 -sub_hg_adjoint_atol 1e-13 LABELS multi)
