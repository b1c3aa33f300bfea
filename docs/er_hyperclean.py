#!/usr/bin/python3
"""Ehrhardt & Roberts (2023): data hypercleaning on MNIST with 10 % corrupted labels.

For each lower accuracy eps (-lower_atol: residual ||grad_w l|| <= eps) and adjoint accuracy delta
(-hg_adjoint_atol: ||A v - grad_w E|| <= delta), runs build/apps/hgrun -problem hyperclean with
  IFT+CG  (aid, cg),
  AD          (itd: reverse pass through the t lower iterates; delta does not apply),
  inexact AD  (iad: t reverse gradient steps with the Hessian frozen at w_t; delta does not apply)
and the same outer gradient descent, reads /history and writes
  <out>.csv  method, eps, delta, iteration, upper objective, validation/test accuracy, ||h||,
             lower and adjoint iterations, cumulative work (lower + adjoint iterations), time
  <out>.png  upper objective and test accuracy against the outer iteration and against the work.

Usage: python3 docs/er_hyperclean.py [--build build] [--out docs/results/er_hyperclean]
       [--nsamples 1500] [--iters 40] [--step 100] [--pairs 0.01:0.01,0.1:0.01]
"""
import argparse, csv, os, sys, tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from hgruns import run_env, run_hgrun
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

METHODS = {"IFT+CG": ["-hg_type", "aid", "-hg_ksp_type", "cg"],
           "AD (itd)": ["-hg_type", "itd"],
           "inexact AD (iad)": ["-hg_type", "iad"]}
COLORS = {"IFT+CG": "C0", "AD (itd)": "C2", "inexact AD (iad)": "C1"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="docs/results/er_hyperclean")
    ap.add_argument("--data", default=os.path.join(os.environ.get("HG_DATASETS", "/work/shared/datasets"), "mnist-t10k"))
    ap.add_argument("--nsamples", type=int, default=1500, help="t10k images used, split in equal thirds")
    ap.add_argument("--iters", type=int, default=40)
    ap.add_argument("--step", type=float, default=100.0)
    ap.add_argument("--pairs", default="0.01:0.01,0.1:0.01", help="eps:delta pairs")
    ap.add_argument("--warm-start", type=int, default=0,
                    help="-outer_warm_start: 0 (default) starts every lower solve from w0 = 0, so each method meets eps "
                         "afresh; with 1 a warm start can meet eps in 0 iterations and AD then returns h = 0")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args()

    hgrun = os.path.join(a.build, "apps", "hgrun")
    images = os.path.join(a.data, "t10k-images-idx3-ubyte.gz")
    labels = os.path.join(a.data, "t10k-labels-idx1-ubyte.gz")
    for f in (hgrun, images, labels):
        if not os.path.exists(f):
            sys.exit(f"er_hyperclean.py: {f} not found (build the project, or pass --build/--data)")
    pairs = [tuple(float(x) for x in p.split(":")) for p in a.pairs.split(",")]
    base = ["-problem", "hyperclean", "-data", images, "-data_labels", labels, "-data_max_samples", str(a.nsamples),
            "-data_standardize", "-hc_fraction", "0.1", "-lower_max_it", "20000", "-hg_bound", "0",
            "-outer_type", "gd", "-outer_step", repr(a.step), "-outer_max_it", str(a.iters), "-outer_warm_start", str(a.warm_start)]
    runs = [(m, e, d) for (e, d) in pairs for m in METHODS]
    tmp = tempfile.mkdtemp(prefix="erhc-")
    env = run_env()

    def run(r):
        m, e, d = r
        f = os.path.join(tmp, f"{m.split()[0]}_{e:g}_{d:g}.h5")
        # delta and the cap on the adjoint iterations for aid; itd and iad take k = t reverse steps
        adj = ["-hg_adjoint_atol", repr(d), "-hg_k", "20000"] if METHODS[m][1] == "aid" else []
        cmd = [hgrun] + base + METHODS[m] + ["-lower_atol", repr(e), "-outer_checkpoint", f] + adj
        hist, secs = run_hgrun(cmd, f, f"{m} eps {e:g} delta {d:g}", a.timeout, env)
        if hist is None:
            return r, None
        print(f"{m:9s} eps {e:g} delta {d:g}: f {hist['upper_objective'][-1]:.5g} test acc {hist['test_accuracy'][-1]:.4f} "
              f"work {int(hist['lower_its'].sum() + hist['adjoint_its'].sum())} ({secs:.0f} s)", flush=True)
        return r, hist

    with ThreadPoolExecutor(a.jobs) as ex:
        results = list(ex.map(run, runs))
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out + ".csv", "w", newline="") as fp:
        w = csv.writer(fp)
        w.writerow(["method", "eps", "delta", "iteration", "upper_objective", "val_accuracy", "test_accuracy",
                    "hypergradient_norm", "lower_its", "adjoint_its", "work", "lower_residual", "adjoint_residual", "time"])
        for (m, e, d), h in results:
            if h is None:
                continue
            work = np.cumsum(h["lower_its"] + h["adjoint_its"])
            for i in range(len(h["iteration"])):
                w.writerow([m, e, d, int(h["iteration"][i]), "%.10g" % h["upper_objective"][i], "%.4f" % h["val_accuracy"][i],
                            "%.4f" % h["test_accuracy"][i], "%.6g" % h["hypergradient_norm"][i], int(h["lower_its"][i]),
                            int(h["adjoint_its"][i]), int(work[i]), "%.4g" % h["lower_residual"][i],
                            "%.4g" % h["adjoint_residual"][i], "%.4g" % h["time"][i]])

    fig, ax = plt.subplots(len(pairs), 3, figsize=(15, 4.2 * len(pairs)), squeeze=False)
    for row, (e, d) in enumerate(pairs):
        for (m, ee, dd), h in results:
            if h is None or (ee, dd) != (e, d):
                continue
            work = np.cumsum(h["lower_its"] + h["adjoint_its"])
            ax[row, 0].plot(h["iteration"], h["upper_objective"], color=COLORS[m], label=m)
            ax[row, 1].plot(work, h["upper_objective"], color=COLORS[m], label=m)
            ax[row, 2].plot(h["iteration"], h["test_accuracy"], color=COLORS[m], label=m)
        for c, (xl, yl) in enumerate([("outer iteration", "upper objective (validation CE)"),
                                      ("work: lower + adjoint iterations", "upper objective (validation CE)"),
                                      ("outer iteration", "test accuracy")]):
            ax[row, c].set_xlabel(xl)
            ax[row, c].set_ylabel(yl)
            ax[row, c].set_title(f"eps = {e:g}, delta = {d:g}")
            ax[row, c].legend(fontsize=8)
        ax[row, 1].set_xscale("log")
    fig.suptitle(f"hypercleaning, MNIST t10k ({a.nsamples} images in thirds, 10 % of training labels corrupted), gd step {a.step:g}, warm start {a.warm_start}")
    fig.tight_layout()
    fig.savefig(a.out + ".png", dpi=90)
    print(f"er_hyperclean.py: wrote {a.out}.csv and {a.out}.png")


if __name__ == "__main__":
    main()
