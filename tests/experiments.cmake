# Experiments of the papers (docs/RESULTS.md): smoke tests of the Figure 1 app and the Table 1 script
#   t950-fig1    apps/hgfig1 at a tiny size (LR and BR, 3 lambda, t = 10, 40, 80, 2 ranks): errors fall
#                with t, CG <= FP <= ITD at t = k on LR (the app's -fig1_check and an awk check of
#                its CSV), docs/fig1.py draws the CSV when matplotlib is there
#   t960-table1  docs/table1.py on Parkinson KRR, t = 100, 20 outer steps, all five methods: every
#                run lowers the validation objective, accuracies in [0, 1], ITD = CG k=t where the
#                lower level converged; skipped (77) without $HG_DATASETS/parkinsons or python3-h5py
find_program(HG_EXP_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
set(HG_EXP_ENV "HG_DATASETS=${HG_DATASETS};OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
if(TARGET hgfig1)
  add_test(NAME t950-fig1_np2
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/experiments/t950-fig1.sh $<TARGET_FILE:hgfig1> ${MPIEXEC_EXECUTABLE} 2
                   ${CMAKE_CURRENT_BINARY_DIR}/t950 "${HG_EXP_PYTHON3}" ${PROJECT_SOURCE_DIR}/docs/fig1.py)
  set_tests_properties(t950-fig1_np2 PROPERTIES TIMEOUT 300 PROCESSORS 2 LABELS "experiments;np2" ENVIRONMENT "${HG_EXP_ENV}")
endif()
if(TARGET hgrun AND HG_EXP_PYTHON3)
  add_test(NAME t960-table1
           COMMAND ${HG_EXP_PYTHON3} ${PROJECT_SOURCE_DIR}/docs/table1.py --settings parkinson --t parkinson=100 --steps 20 --check
                   --build ${PROJECT_BINARY_DIR} --mpiexec ${MPIEXEC_EXECUTABLE} --datasets ${HG_DATASETS}
                   --out ${CMAKE_CURRENT_BINARY_DIR}/t960 --workdir ${CMAKE_CURRENT_BINARY_DIR}/t960 --tag ci)
  set_tests_properties(t960-table1 PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS "experiments;np1" ENVIRONMENT "${HG_EXP_ENV}")
endif()
