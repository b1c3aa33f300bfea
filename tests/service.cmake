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
# t801-denoise-resume.sh HGRUN NA NB: a DMDA lower variable (denoise) resumed bitwise on NA ranks, 1e-10 from NB
foreach(pair "1;2" "2;3" "4;1")
  list(GET pair 0 na)
  list(GET pair 1 nb)
  add_test(NAME t801-denoise-resume_np${na}_from${nb}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/service/t801-denoise-resume.sh $<TARGET_FILE:hgrun> ${na} ${nb})
  set_tests_properties(t801-denoise-resume_np${na}_from${nb} PROPERTIES TIMEOUT 120 PROCESSORS ${na} LABELS "service;denoise;np${na}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
# t830-diverged.sh HGRUN NP: an overflow at a huge lambda ends as DIVERGED_HG with exit 3, a message and
# the checkpoint of the last good iterate marked with the reason; resuming it completes the run
foreach(np 1 2)
  add_test(NAME t830-diverged_np${np} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/service/t830-diverged.sh $<TARGET_FILE:hgrun> ${np})
  set_tests_properties(t830-diverged_np${np} PROPERTIES TIMEOUT 120 PROCESSORS ${np} LABELS "service;np${np}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
# t831-tao-trial.sh HGRUN NP: a hypergradient that fails at a trial of TAO's line search: lmvm
# backs off and converges; blmvm (more-thuente) ends DIVERGED_HG, exit 3, naming the real failure,
# the checkpoint resumes with armijo; blmvm + armijo backs off
foreach(np 1 2)
  add_test(NAME t831-tao-trial_np${np} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/service/t831-tao-trial.sh $<TARGET_FILE:hgrun> ${np})
  set_tests_properties(t831-tao-trial_np${np} PROPERTIES TIMEOUT 120 PROCESSORS ${np} LABELS "service;np${np}"
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
# t830-runfile.sh HGRUN FAULTFS NP: disk full during a checkpoint write (LD_PRELOAD shim), the
# lock, a directory as checkpoint path, resume with other data or options
add_library(hgfaultfs MODULE ${CMAKE_CURRENT_SOURCE_DIR}/service/faultfs.c)
target_link_libraries(hgfaultfs PRIVATE ${CMAKE_DL_LIBS})
set_target_properties(hgfaultfs PROPERTIES PREFIX "")
foreach(np 1 2 3)
  add_test(NAME t830-runfile_np${np}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/service/t830-runfile.sh $<TARGET_FILE:hgrun> $<TARGET_FILE:hgfaultfs> ${np})
  set_tests_properties(t830-runfile_np${np} PROPERTIES TIMEOUT 300 PROCESSORS ${np} LABELS "service;np${np}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
# t850-corrupt.py: ~150 damaged copies of a run file given to hgrun -resume: all refused or
# harmless, no crash, no wrong state (skips, 77, without python3-h5py)
find_program(HG_SERVICE_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(HG_SERVICE_PYTHON3)
  add_test(NAME t850-corrupt
           COMMAND ${HG_SERVICE_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/service/t850-corrupt.py $<TARGET_FILE:hgrun> ${MPIEXEC_EXECUTABLE} ${HG_MPIEXEC_FLAGS})
  set_tests_properties(t850-corrupt PROPERTIES TIMEOUT 300 PROCESSORS 2 SKIP_RETURN_CODE 77 LABELS "service;np2"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endif()
hg_add_test(NAME t840-fingerprint SOURCE t840-fingerprint.c NPROCS 1 2 3 LABELS service)
