# The bilevel service: HGOuter against an independent outer loop, hgrun checkpoints/resume/signals
hg_add_test(NAME t810-outer SOURCE t810-outer.c NPROCS 1 3 LABELS service)
# t800-service.sh HGRUN NA NB: resume on NA ranks (bitwise) and from NB to NA ranks (1e-10)
foreach(pair "1;3" "2;1" "3;2")
  list(GET pair 0 na)
  list(GET pair 1 nb)
  add_test(NAME t800-service_np${na}_from${nb}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/service/t800-service.sh $<TARGET_FILE:hgrun> ${na} ${nb})
  set_tests_properties(t800-service_np${na}_from${nb} PROPERTIES TIMEOUT 300 PROCESSORS ${na} LABELS "service;np${na}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
# t830-diverged.sh HGRUN NP: an overflow at a huge lambda ends as DIVERGED_HG with exit 3, a message and
# the checkpoint of the last good iterate marked with the reason; resuming it completes the run
foreach(np 1 2)
  add_test(NAME t830-diverged_np${np} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/service/t830-diverged.sh $<TARGET_FILE:hgrun> ${np})
  set_tests_properties(t830-diverged_np${np} PROPERTIES TIMEOUT 120 PROCESSORS ${np} LABELS "service;np${np}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
# Options that pass in silence or mislead (issue 15): refused with their messages, -help, PETSc options
foreach(np 1 3)
  add_test(NAME t830-options_np${np}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/service/t830-options.sh $<TARGET_FILE:hgrun> $<TARGET_FILE:hgsolve> ${np})
  set_tests_properties(t830-options_np${np} PROPERTIES TIMEOUT 300 PROCESSORS ${np} LABELS "service;np${np}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
# Signals under mpiexec (issue 15): SIGUSR2 to mpiexec, SIGTERM to the ranks -> exit 0, one message
foreach(np 2 3)
  add_test(NAME t840-signals_np${np} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/service/t840-signals.sh $<TARGET_FILE:hgrun> ${np})
  set_tests_properties(t840-signals_np${np} PROPERTIES TIMEOUT 300 PROCESSORS ${np} LABELS "service;np${np}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
