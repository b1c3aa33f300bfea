# apps/hgscale.py (scaling studies) and apps/hgreport.py (run reports): Python scripts run with
# Debian's python3 (python3-numpy, python3-h5py, python3-matplotlib; the tests skip, exit 77, when
# these modules are missing).  They test the copies cmake puts in build/apps.
find_program(HG_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT HG_PYTHON3)
  find_program(HG_PYTHON3 NAMES python3)
endif()
set(HG_TOOLS_ENV "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1")
if(HG_PYTHON3)
  add_test(NAME t900-hgscale
           COMMAND ${HG_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/t900-hgscale.py ${PROJECT_BINARY_DIR}/apps/hgscale.py
                   $<TARGET_FILE:hgbench> ${MPIEXEC_EXECUTABLE} ${HG_MPIEXEC_FLAGS})
  set_tests_properties(t900-hgscale PROPERTIES TIMEOUT 120 PROCESSORS 2 SKIP_RETURN_CODE 77 LABELS "tools;np2"
                       ENVIRONMENT "${HG_TOOLS_ENV}")
  add_test(NAME t910-hgreport
           COMMAND ${HG_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/t910-hgreport.py ${PROJECT_BINARY_DIR}/apps/hgreport.py)
  set_tests_properties(t910-hgreport PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77 LABELS tools ENVIRONMENT "${HG_TOOLS_ENV}")
  if(TARGET hgrun)  # end to end: a run file written by hgrun
    add_test(NAME t911-hgreport-hgrun
             COMMAND ${HG_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/t911-hgreport-hgrun.py ${PROJECT_BINARY_DIR}/apps/hgreport.py
                     $<TARGET_FILE:hgrun> ${MPIEXEC_EXECUTABLE} ${HG_MPIEXEC_FLAGS})
    set_tests_properties(t911-hgreport-hgrun PROPERTIES TIMEOUT 120 PROCESSORS 2 SKIP_RETURN_CODE 77 LABELS "tools;np2"
                         ENVIRONMENT "${HG_TOOLS_ENV}")
  endif()
else()
  message(STATUS "python3 not found: the tests of apps/hgscale.py and apps/hgreport.py are not registered")
endif()
# every PETSC_EXTERN function and callback type of the public headers has a complete man-page
# block (docs/manpages.py; the message names each function that lacks one)
add_test(NAME t980-manpages COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/docs/manpages.py check ${PROJECT_SOURCE_DIR})
set_tests_properties(t980-manpages PROPERTIES TIMEOUT 60 LABELS docs)
