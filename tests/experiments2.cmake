# Experiments of the papers, part 2 (docs/RESULTS.md: Figure 2 and Ehrhardt & Roberts)
#   t970-bounds  apps/hgbounds on the quadratic problem (all bound constants exact) over a small grid of
#                lower and adjoint tolerances (eps = 1e-1, 1e-3, 1e-5; delta = 1e-2, 1e-6), AID-CG and
#                AID-FP: -check fails the run if an a-posteriori or a-priori bound is below the true
#                error ||h - grad f|| (grad f from the problem's direct solve); 1 and 2 ranks
if(TARGET hgbounds)
  foreach(np 1 2)
    add_test(NAME t970-bounds_np${np}
             COMMAND ${MPIEXEC_EXECUTABLE} ${HG_MPIEXEC_FLAGS} -n ${np} $<TARGET_FILE:hgbounds> -problem quadratic
                     -eps 1e-1,1e-3,1e-5 -delta 1e-2,1e-6 -methods cg,richardson -check
                     -o ${CMAKE_CURRENT_BINARY_DIR}/t970-bounds_np${np}.csv)
    set_tests_properties(t970-bounds_np${np} PROPERTIES TIMEOUT 60 PROCESSORS ${np} LABELS "experiments;np${np}"
                         ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
  endforeach()
endif()
