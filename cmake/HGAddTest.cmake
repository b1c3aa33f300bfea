# hg_add_test(NAME name SOURCE file.c [SUFFIX _x] [NPROCS 1 2 3] [ARGS ...] [LABELS ...] [TIMEOUT s])
# Builds one test executable and registers it once per rank count, run through mpiexec
# (oversubscribed: the test machines have 2 cores).  Tests are silent on success and
# return non-zero on failure.
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
    set_tests_properties(${tname}${T_SUFFIX} PROPERTIES TIMEOUT ${T_TIMEOUT} PROCESSORS ${np}
                         LABELS "${T_LABELS};np${np}"
                         ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
  endforeach()
endfunction()
