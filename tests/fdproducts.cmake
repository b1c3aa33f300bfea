# First derivatives only: products by central differences against the problems' exact ones
hg_add_test(NAME t730-fdproducts SOURCE t730-fdproducts.c SUFFIX _quadratic NPROCS 1 3 ARGS -problem quadratic LABELS fdproducts)
hg_add_test(NAME t730-fdproducts SOURCE t730-fdproducts.c SUFFIX _biasreg NPROCS 1 3 ARGS -problem biasreg LABELS fdproducts)
hg_add_test(NAME t730-fdproducts SOURCE t730-fdproducts.c SUFFIX _krr NPROCS 1 2 ARGS -problem krr -krr_exp LABELS fdproducts)
hg_add_test(NAME t730-fdproducts SOURCE t730-fdproducts.c SUFFIX _logreg NPROCS 1 3 ARGS -problem logreg -lr_p 50 -lr_ntrain 200 -lr_nval 200 LABELS fdproducts)
hg_add_test(NAME t730-fdproducts SOURCE t730-fdproducts.c SUFFIX _hyperrep NPROCS 1 2 ARGS -problem hyperrep -hr_p 20 -hr_d 5 -hr_ntrain 100 -hr_nval 100 -hg_bound 0 LABELS fdproducts)
hg_add_test(NAME t730-fdproducts SOURCE t730-fdproducts.c SUFFIX _eqm NPROCS 1 2 ARGS -problem eqm -eqm_h 5 -eqm_p 4 -eqm_n 20 -eqm_ntest 10 -lower_type gd -ksp_type gmres -t 200 -k 200 -hg_bound 0 LABELS fdproducts)
# ex1 with the gradients only: the closed form to 1e-7 (measured 5e-9)
foreach(np 1 2)
  add_test(NAME tutorial-ex1_first_order_np${np} COMMAND ${MPIEXEC_EXECUTABLE} ${HG_MPIEXEC_FLAGS} -n ${np} $<TARGET_FILE:ex1> -first_order -rtol 1e-7)
  set_tests_properties(tutorial-ex1_first_order_np${np} PROPERTIES TIMEOUT 120 PROCESSORS ${np} LABELS "tutorials;fdproducts;np${np}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
