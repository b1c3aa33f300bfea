# Data sets: loaders, the bad-file corpus (tests/data/bad), formats agreeing, splits and
# standardization, real data (skipped when absent), hgsolve's one-shot mode
hg_add_test(NAME t600-data-bad SOURCE t600-data-bad.c NPROCS 1 3 LABELS data errors TIMEOUT 60)
hg_add_test(NAME t600-data-formats SOURCE t600-data-formats.c NPROCS 1 3 LABELS data TIMEOUT 60)
hg_add_test(NAME t600-data-split SOURCE t600-data-split.c NPROCS 1 3 LABELS data ranks TIMEOUT 60)
hg_add_test(NAME t600-data-setup SOURCE t600-data-setup.c NPROCS 1 3 LABELS data ranks TIMEOUT 60)
# the split equals the one of the whole list of hash keys, sorted (recomputed in the test), on 1-4 ranks
hg_add_test(NAME t601-split-hash SOURCE data/t601-split-hash.c NPROCS 1 2 3 4 LABELS data ranks TIMEOUT 60)
hg_add_test(NAME t600-data-real SOURCE t600-data-real.c NPROCS 2 LABELS data realdata TIMEOUT 120)

# hgsolve one-shot mode: a run on 2 ranks writes /hypergradient, /w, /lambda over a garbage file
# (fixture), t600-data-oneshot recomputes in memory on 1 and 3 ranks and compares; hgsolve fails
# with a clear message on a bad data file, a missing -lambda_file and one of the wrong size
set(HG_ONESHOT_DIR "${CMAKE_CURRENT_SOURCE_DIR}/data")
set(HG_ONESHOT_OUT "${CMAKE_CURRENT_BINARY_DIR}/t600-oneshot-hgsolve.h5")
set(HG_ONESHOT_ARGS -problem logreg -data ${HG_ONESHOT_DIR}/good.svm -data_split 0.5,0.5 -data_seed 2
    -lambda_init 0.7 -hg_type aid -hg_ksp_type cg -lower_max_it 60 -hg_k 20)
set(HG_ENV "HG_SOURCE_DIR=${PROJECT_SOURCE_DIR};OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
function(hg_hgsolve_test name np args)
  string(REPLACE ";" "|" a "${args}")
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} -DMPIEXEC=${MPIEXEC_EXECUTABLE} -DNP=${np} -DHGSOLVE=$<TARGET_FILE:hgsolve>
           "-DARGS=${a}" ${ARGN} -P ${CMAKE_CURRENT_SOURCE_DIR}/data/run-hgsolve.cmake)
  set_tests_properties(${name} PROPERTIES TIMEOUT 60 PROCESSORS ${np} LABELS "data;oneshot;np${np}" ENVIRONMENT "${HG_ENV}")
endfunction()
hg_hgsolve_test(t600-hgsolve-output_np2 2 "${HG_ONESHOT_ARGS}" -DOUT=${HG_ONESHOT_OUT})
set_tests_properties(t600-hgsolve-output_np2 PROPERTIES FIXTURES_SETUP hg_oneshot)
hg_add_test(NAME t600-data-oneshot SOURCE t600-data-oneshot.c NPROCS 1 3 ARGS ${HG_ONESHOT_ARGS} -oneshot_file ${HG_ONESHOT_OUT} LABELS data oneshot)
set_tests_properties(t600-data-oneshot_np1 t600-data-oneshot_np3 PROPERTIES FIXTURES_REQUIRED hg_oneshot)
hg_hgsolve_test(t600-hgsolve-baddata_np2 2 "-problem;logreg;-data_train;${HG_ONESHOT_DIR}/bad/nan.svm;-data_val;${HG_ONESHOT_DIR}/good.svm"
                "-DEXPECT_FAIL=nan.svm: line 3|NaN")
hg_hgsolve_test(t600-hgsolve-nolambda_np1 1 "-problem;logreg;-data;${HG_ONESHOT_DIR}/good.svm;-lambda_file;${CMAKE_CURRENT_BINARY_DIR}/no-such-lambda.h5"
                "-DEXPECT_FAIL=-lambda_file|no-such-lambda.h5|does not exist")
# a lower level that diverges (r = e^800 with a fixed step): exit 3, the earlier file kept whole
hg_hgsolve_test(t600-hgsolve-diverged_np2 2 "-problem;mlogreg;-lambda_init;800;-lower_step;1e-3"
                -DOUT=${CMAKE_CURRENT_BINARY_DIR}/t600-hgsolve-diverged.h5 "-DEXPECT_FAIL=hypergradient failed|DIVERGED_LOWER|not written")
hg_hgsolve_test(t600-hgsolve-lambdasize_np2 2 "-problem;logreg;-data;${HG_ONESHOT_DIR}/good.svm;-lambda_file;${HG_ONESHOT_DIR}/bad/lambda_wrong.h5"
                "-DEXPECT_FAIL=lambda_wrong.h5: dataset /lambda has 3 values, but the vector has 6")
# hgconvert: LIBSVM and CSV to HDF5 equal the corpus's HDF5 copies; a bad reader option refused
foreach(np 1 2 3)
  add_test(NAME t600-hgconvert_np${np} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/data/t600-hgconvert.sh $<TARGET_FILE:hgconvert> ${CMAKE_CURRENT_SOURCE_DIR}/data ${np})
  set_tests_properties(t600-hgconvert_np${np} PROPERTIES TIMEOUT 120 PROCESSORS ${np} LABELS "data;np${np}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1")
endforeach()
# hgconvert with a write failing (ENOSPC, LD_PRELOAD shim faultfs) on rank 0 or on the last rank:
# an error naming the file, no hang (timeout), the existing output file byte-identical, no .tmp.
# The MPI-IO writer (collective writes) hung here: Open MPI 4.1's ompio did not report the write.
foreach(np 2 3)
  add_test(NAME t600-hgconvert-fault_np${np} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/data/t600-hgconvert-fault.sh $<TARGET_FILE:hgconvert> $<TARGET_FILE:hgfaultfs> ${CMAKE_CURRENT_SOURCE_DIR}/data ${np})
  set_tests_properties(t600-hgconvert-fault_np${np} PROPERTIES TIMEOUT 240 PROCESSORS ${np} LABELS "data;errors;np${np}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1")
endforeach()
# A read of an HDF5 data file failing on one rank only (LD_PRELOAD shim faultread): an error
# naming the file on every rank, never a hang (timeout), at 2 and 3 ranks. -fault open: one rank
# cannot open the file; truncate: a file cut after its header; read: one rank's data reads fail
# with EIO.  The read case failed while the reader used HDF5's MPI-IO driver: Open MPI 4.1's
# ompio prints "mca_fbtl_posix_preadv: error in (p)read(v)" but returns success (2 ranks: no
# error, garbage rows; 3 ranks: a hang), and ROMIO hangs.  The reader now reads with each rank's
# own POSIX reads by default (-data_hdf5_mpiio keeps MPI-IO, without that guarantee).
add_library(hgfaultread MODULE ${CMAKE_CURRENT_SOURCE_DIR}/data/faultread.c)
target_link_libraries(hgfaultread PRIVATE ${CMAKE_DL_LIBS})
set_target_properties(hgfaultread PROPERTIES PREFIX "")
add_executable(t602-mpiio-fault data/t602-mpiio-fault.c)
target_link_libraries(t602-mpiio-fault PRIVATE hypergrad)
foreach(fault open truncate read)
  foreach(np 2 3)
    add_test(NAME t602-mpiio-fault_${fault}_np${np}
             COMMAND env LD_PRELOAD=$<TARGET_FILE:hgfaultread> ${MPIEXEC_EXECUTABLE} ${HG_MPIEXEC_FLAGS} -n ${np} $<TARGET_FILE:t602-mpiio-fault> -fault ${fault} -dir ${CMAKE_CURRENT_BINARY_DIR})
    set_tests_properties(t602-mpiio-fault_${fault}_np${np} PROPERTIES TIMEOUT 60 PROCESSORS ${np} LABELS "data;errors;np${np}"
                         ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
  endforeach()
endforeach()

