# hg_add_test(NAME name SOURCE file.c [SUFFIX _x] [NPROCS 1 2 3] [ARGS ...] [LABELS ...] [TIMEOUT s])
# Builds one test executable and registers it once per rank count, run through mpiexec
# (oversubscribed: the test machines have 2 cores).  Tests are silent on success,
# return non-zero on failure and 77 (CTest: skipped) when the data they need is absent.
# Real data sets (optional): tests that need them skip with a message when absent
get_filename_component(HG_DATASETS_DEFAULT "${PROJECT_SOURCE_DIR}/../shared/datasets" ABSOLUTE)
set(HG_DATASETS "${HG_DATASETS_DEFAULT}" CACHE PATH "Directory of the real data sets (Parkinson, MNIST, LIBSVM, 20news)")
set(HG_MPIEXEC_FLAGS --oversubscribe CACHE STRING "Extra flags for mpiexec in tests")
function(hg_add_test)
  cmake_parse_arguments(T "" "NAME;SOURCE;TIMEOUT;SUFFIX" "NPROCS;ARGS;LABELS" ${ARGN})
  if(NOT TARGET ${T_NAME})
    add_executable(${T_NAME} ${T_SOURCE})
    target_link_libraries(${T_NAME} PRIVATE hypergrad)
  endif()
  if(NOT T_NPROCS)
    set(T_NPROCS 1)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  foreach(np IN LISTS T_NPROCS)
    set(tname ${T_NAME}_np${np})
    add_test(NAME ${tname}${T_SUFFIX}
             COMMAND ${MPIEXEC_EXECUTABLE} ${HG_MPIEXEC_FLAGS} -n ${np} $<TARGET_FILE:${T_NAME}> ${T_ARGS})
    set_tests_properties(${tname}${T_SUFFIX} PROPERTIES TIMEOUT ${T_TIMEOUT} PROCESSORS ${np} SKIP_RETURN_CODE 77
                         LABELS "${T_LABELS};np${np}"
                         ENVIRONMENT "HG_SOURCE_DIR=${PROJECT_SOURCE_DIR};HG_DATASETS=${HG_DATASETS};OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
  endforeach()
endfunction()
