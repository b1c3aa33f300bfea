# The tutorials (src/tutorials) check themselves: ex1 against its closed form (also with only
# first derivatives), ex2 against finite differences of f, ex3 resume = uninterrupted run
foreach(np 1 2 3)
  set(env "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
  add_test(NAME tutorial-ex1_np${np} COMMAND ${MPIEXEC_EXECUTABLE} ${HG_MPIEXEC_FLAGS} -n ${np} $<TARGET_FILE:ex1>)
  add_test(NAME tutorial-ex2_np${np} COMMAND ${MPIEXEC_EXECUTABLE} ${HG_MPIEXEC_FLAGS} -n ${np} $<TARGET_FILE:ex2>)
  add_test(NAME tutorial-ex3_np${np} COMMAND ${MPIEXEC_EXECUTABLE} ${HG_MPIEXEC_FLAGS} -n ${np} $<TARGET_FILE:ex3>
           -checkpoint ${CMAKE_CURRENT_BINARY_DIR}/tutorial-ex3-np${np}.h5)
  set_tests_properties(tutorial-ex1_np${np} tutorial-ex2_np${np} tutorial-ex3_np${np} PROPERTIES
                       TIMEOUT 120 PROCESSORS ${np} LABELS "tutorials;np${np}" ENVIRONMENT "${env}")
endforeach()
# installs into a temporary prefix, runs an installed program (run path), builds ex1 out of tree
# with find_package(hypergrad) and with pkg-config, and runs both
add_test(NAME t990-install COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install/t990-install.sh
         ${PROJECT_BINARY_DIR} ${CMAKE_CURRENT_BINARY_DIR}/t990-install ${MPIEXEC_EXECUTABLE} ${CMAKE_C_COMPILER})
set_tests_properties(t990-install PROPERTIES TIMEOUT 300 PROCESSORS 2 LABELS install
                     ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
