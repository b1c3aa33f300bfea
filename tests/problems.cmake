# Tests of the problems hyperrep, mlogreg, hyperclean and distill (issue 3): callback FD checks
# (t100), whole hypergradient against FD of f on the converged lower problem (t150), the
# hyperrep closed form (t200), agreement across rank counts (t300).  Small instances.
set(HG_PROB_ARGS_hyperrep -hr_p 30 -hr_d 5 -hr_ntrain 100 -hr_nval 100)
set(HG_PROB_ARGS_mlogreg -mlr_p 30 -mlr_c 4 -mlr_ntrain 200 -mlr_nval 200 -mlr_ntest 100)
set(HG_PROB_ARGS_mlogreg_sparse -mlr_p 60 -mlr_c 4 -mlr_ntrain 200 -mlr_nval 200 -mlr_ntest 100 -mlr_sparse -mlr_nnz_per_row 6)
set(HG_PROB_ARGS_mlogreg_direct -mlr_p 30 -mlr_c 4 -mlr_ntrain 200 -mlr_nval 200 -mlr_ntest 0 -mlr_exp 0)
set(HG_PROB_ARGS_hyperclean -hc_p 20 -hc_c 4 -hc_ntrain 150 -hc_nval 150 -hc_ntest 100 -hc_alpha 0.05 -hc_fraction 0.2)
set(HG_PROB_ARGS_hyperclean_sparse -hc_p 40 -hc_c 3 -hc_ntrain 150 -hc_nval 150 -hc_ntest 0 -hc_alpha 0.05 -hc_sparse -hc_nnz_per_row 5)
set(HG_PROB_ARGS_distill -ds_p 30 -ds_c 5 -ds_ntrain 200 -ds_nval 100 -ds_ntest 100)
foreach(v hyperrep mlogreg mlogreg_sparse mlogreg_direct hyperclean hyperclean_sparse distill)
  string(REGEX REPLACE "_.*" "" p ${v})
  hg_add_test(NAME t100-derivatives SOURCE t100-derivatives.c SUFFIX _${v} NPROCS 1 3 ARGS -problem ${p} ${HG_PROB_ARGS_${v}} LABELS derivatives problems)
  hg_add_test(NAME t150-hypergradient-fd SOURCE t150-hypergradient-fd.c SUFFIX _${v} NPROCS 1 3 ARGS -problem ${p} ${HG_PROB_ARGS_${v}} LABELS derivatives problems)
  hg_add_test(NAME t300-ranks SOURCE t300-ranks.c SUFFIX _${v} NPROCS 2 3 ARGS -problem ${p} ${HG_PROB_ARGS_${v}} LABELS ranks problems)
endforeach()
# lambda moved far from the initial one (r x e^3 for mlogreg, r + 200 for logreg): the gd step
# follows the constants at that lambda (HGProblemSetLowerConstantsFunction); with the step of the
# initial lambda both diverge
hg_add_test(NAME t150-hypergradient-fd SOURCE t150-hypergradient-fd.c SUFFIX _mlogreg_shifted NPROCS 1 3 ARGS -problem mlogreg ${HG_PROB_ARGS_mlogreg} -lambda_shift 3 LABELS derivatives problems)
hg_add_test(NAME t150-hypergradient-fd SOURCE t150-hypergradient-fd.c SUFFIX _logreg_shifted NPROCS 1 ARGS -problem logreg -lambda_shift 200 LABELS derivatives problems)
# hyperrep at the benchmark size (1000 + 1000 samples, p = 100, d = 20): every method against the direct solve
hg_add_test(NAME t200-closedform SOURCE t200-closedform.c SUFFIX _hyperrep NPROCS 1 3 ARGS -problem hyperrep LABELS closedform problems)
# Real data (each test exits 77, skipped, with a message when its files are absent)
set(HG_FMNIST /usr/share/datasets/fashion-mnist)
hg_add_test(NAME t160-problems-realdata SOURCE t160-problems-realdata.c SUFFIX _hyperrep_parkinsons NPROCS 1 3
            ARGS -problem hyperrep -hr_d 5 -data ${HG_DATASETS}/parkinsons/parkinsons.data -data_csv_skip_columns name
                 -data_csv_label_column status -data_standardize -tol 1e-5
            LABELS realdata problems)
hg_add_test(NAME t160-problems-realdata SOURCE t160-problems-realdata.c SUFFIX _mlogreg_heart NPROCS 1 3
            ARGS -problem mlogreg -data ${HG_DATASETS}/libsvm_heart_scale/heart_scale -min_accuracy 0.65 -tol 1e-5
            LABELS realdata problems)
hg_add_test(NAME t160-problems-realdata SOURCE t160-problems-realdata.c SUFFIX _mlogreg_digits NPROCS 1 3
            ARGS -problem mlogreg -data ${HG_DATASETS}/sklearn_builtin/digits.csv.gz -data_csv_header 0 -data_standardize
                 -min_accuracy 0.85 -tol 1e-5
            LABELS realdata problems)
hg_add_test(NAME t160-problems-realdata SOURCE t160-problems-realdata.c SUFFIX _hyperclean_mnist NPROCS 1 3
            ARGS -problem hyperclean -data ${HG_DATASETS}/mnist-t10k/t10k-images-idx3-ubyte.gz
                 -data_labels ${HG_DATASETS}/mnist-t10k/t10k-labels-idx1-ubyte.gz -data_max_samples 600 -data_standardize
                 -hc_alpha 0.1 -min_accuracy 0.6 -tol 1e-5
            LABELS realdata problems)
hg_add_test(NAME t160-problems-realdata SOURCE t160-problems-realdata.c SUFFIX _distill_fashion NPROCS 1 3
            ARGS -problem distill -data_train ${HG_FMNIST}/train-images-idx3-ubyte.gz -data_train_labels ${HG_FMNIST}/train-labels-idx1-ubyte.gz
                 -data_val ${HG_FMNIST}/t10k-images-idx3-ubyte.gz -data_val_labels ${HG_FMNIST}/t10k-labels-idx1-ubyte.gz
                 -data_max_samples 1000 -data_standardize -ds_init_mean -min_accuracy 0.55 -tol 1e-5
            LABELS realdata problems)
