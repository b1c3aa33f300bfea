# The denoising problem (issue 12): TV and Field of Experts on a 2-D DMDA, synthetic images
# (16 x 12, 3 images: no data needed).  4 ranks split the pixels unevenly (2 x 2 blocks of
# 6 + 6 columns and 8 + 8 rows, 3 ranks 1 x 3 blocks of 6, 5, 5 rows).
set(HG_DENOISE_ARGS_tv -denoise_reg tv)
set(HG_DENOISE_ARGS_foe -denoise_reg foe -denoise_foe_filters 4 -denoise_foe_size 3)
set(HG_DENOISE_ARGS_foe5 -denoise_reg foe -denoise_foe_filters 3 -denoise_foe_size 5 -denoise_synthetic_n 2)
# zero-mean filters (the filters used are the entries less their mean): the mixed product then
# carries the projection, which t100 (against differences of the lower gradient) and t150
# (against differences of f in random directions, off zero-mean filters) check
set(HG_DENOISE_ARGS_foez -denoise_reg foe -denoise_foe_filters 4 -denoise_foe_size 3 -denoise_foe_zero_mean)
# t100 at 1e-5: l sums every pixel (|l| ~ 10), so its central differences with h = 1e-6 carry ~1e-9
# of rounding, 1e-6 of a directional derivative of 1e-3; t170 checks each entry of the mixed
# product at 1e-6 with fourth-order differences
foreach(v tv foe foe5 foez)
  hg_add_test(NAME t100-derivatives SOURCE t100-derivatives.c SUFFIX _denoise_${v} NPROCS 1 2 3 4 ARGS -problem denoise ${HG_DENOISE_ARGS_${v}} -tol 1e-5 LABELS derivatives denoise)
  hg_add_test(NAME t170-denoise SOURCE t170-denoise.c SUFFIX _${v} NPROCS 1 2 3 4 ARGS ${HG_DENOISE_ARGS_${v}} LABELS derivatives ranks denoise)
endforeach()
hg_add_test(NAME t150-hypergradient-fd SOURCE t150-hypergradient-fd.c SUFFIX _denoise_tv NPROCS 1 2 3 4 ARGS -problem denoise ${HG_DENOISE_ARGS_tv} LABELS derivatives denoise)
# FoE: the penalty bends on the scale e^nu = e^-5, so second-order differences of f with step
# 1e-5 carry ~1e-6 of truncation error; fewer ranks (each FD direction converges the lower level)
hg_add_test(NAME t150-hypergradient-fd SOURCE t150-hypergradient-fd.c SUFFIX _denoise_foe NPROCS 1 4 ARGS -problem denoise ${HG_DENOISE_ARGS_foe} -t_itd 1000 -tol 1e-5 LABELS derivatives denoise)
hg_add_test(NAME t150-hypergradient-fd SOURCE t150-hypergradient-fd.c SUFFIX _denoise_foez NPROCS 1 4 ARGS -problem denoise ${HG_DENOISE_ARGS_foez} -t_itd 1000 -tol 1e-5 LABELS derivatives denoise)
foreach(v tv foe)
  hg_add_test(NAME t300-ranks SOURCE t300-ranks.c SUFFIX _denoise_${v} NPROCS 2 4 ARGS -problem denoise ${HG_DENOISE_ARGS_${v}} LABELS ranks denoise)
endforeach()
# image files: read back, noise from /clean only, bad files (written by the test in its directory)
hg_add_test(NAME t171-denoise-files SOURCE t171-denoise-files.c NPROCS 1 2 3 4 LABELS data errors denoise TIMEOUT 60)
# one instance per training image (-problem multi -sub_problem denoise), each image's DMDA on its
# sub-communicator, against the problem holding all the images: 3 images (4 ranks: 1, 2 of 2 ranks,
# 3 sub-communicators), blocks of 3 + 2 of 5 images, FoE; mini-batches, finite differences
set(HG_DENOISE_MULTI -sub_problem denoise -sub_hg_type aid -sub_hg_ksp_type cg -sub_lower_max_it 150 -sub_lower_rtol 0 -sub_lower_atol 0 -sub_hg_k 200 -sub_hg_adjoint_rtol 1e-15)
hg_add_test(NAME t172-denoise-multi SOURCE t172-denoise-multi.c SUFFIX _tv3 NPROCS 1 2 3 4 ARGS -multi_n 3 -batch 2 -fd ${HG_DENOISE_MULTI} -sub_denoise_reg tv LABELS multi denoise ranks)
hg_add_test(NAME t172-denoise-multi SOURCE t172-denoise-multi.c SUFFIX _tv_blocks NPROCS 1 4 ARGS -multi_n 2 -batch 1 ${HG_DENOISE_MULTI} -sub_denoise_reg tv -sub_denoise_synthetic_n 5 LABELS multi denoise ranks)
hg_add_test(NAME t172-denoise-multi SOURCE t172-denoise-multi.c SUFFIX _foe3 NPROCS 1 4 ARGS -multi_n 3 -shift 0 ${HG_DENOISE_MULTI} -sub_hg_k 500 -sub_denoise_reg foe -sub_denoise_foe_filters 4 -sub_denoise_foe_size 3 LABELS multi denoise ranks)
# hgrun with mini-batches of images (gd, nesterov): resumed runs bitwise the uninterrupted ones
foreach(np 1 3)
  add_test(NAME t173-denoise-batch-run_np${np} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/service/t173-denoise-batch-run.sh $<TARGET_FILE:hgrun> ${np})
  set_tests_properties(t173-denoise-batch-run_np${np} PROPERTIES TIMEOUT 120 PROCESSORS ${np} LABELS "multi;service;denoise;np${np}"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
# A lambda at which the lower level overflows (an outer step of 1e6 sends theta0 to ~1e5):
# hgrun ends with DIVERGED_HG (exit 3) and the message naming the overflow, on 1 and 2 ranks
foreach(reg tv foe)
  foreach(np 1 2)
    add_test(NAME t174-denoise-overflow_${reg}_np${np}
             COMMAND sh -c "${MPIEXEC_EXECUTABLE} ${HG_MPIEXEC_FLAGS} -n ${np} $<TARGET_FILE:hgrun> -problem denoise -denoise_reg ${reg} -denoise_foe_filters 4 -denoise_foe_size 3 -outer_type gd -outer_step 1e6 -outer_max_it 5 > t174-${reg}-${np}.log 2>&1; rc=$?; cat t174-${reg}-${np}.log; test $rc -eq 3 && grep -q 'DIVERGED_HG' t174-${reg}-${np}.log && grep -q 'constants overflow at that lambda' t174-${reg}-${np}.log")
    set_tests_properties(t174-denoise-overflow_${reg}_np${np} PROPERTIES TIMEOUT 120 PROCESSORS ${np} LABELS "denoise;errors;np${np}"
                         ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1")
  endforeach()
endforeach()
