#!/usr/bin/python3
"""Figure 2 of Grazzi et al. (ICML 2020): equilibrium models on MNIST.

Runs build/apps/hgrun -problem eqm (h = 200, t = k = 20, Nesterov outer steps) for ITD,
AID-FP (richardson) and AID-CG on the normal equations (cgne), with and without the
spectral projection of A, over several initial seeds (-eqm_init_seed) and outer step sizes,
reads each run file's /history and writes

  <out>.csv  one row per (method, projection, step, seed, iteration): objective, validation and
             test accuracy, hypergradient norm, lower residual, time
  <out>.png  objective, test accuracy, hypergradient norm against the outer iteration (mean and
             min/max over seeds) with and without the projection, and the final objective against
             the outer step (learning-rate sensitivity)

Usage (from the repository root; Debian python3 with h5py, matplotlib):
  python3 docs/fig2.py [--build build] [--out docs/results/fig2] [--ntrain 1000] [--iters 20]
                       [--seeds 3] [--steps 3e-4,1e-3,3e-3] [--main-step 1e-3] [--jobs 2]
The paper's setting is --ntrain 5000 --iters 5000 --seeds 5 (see docs/RESULTS.md).
"""
import argparse, csv, os, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from hgruns import read_history, run_env, run_hgrun
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

METHODS = {"ITD": ["-hg_type", "itd"],
           "AID-FP": ["-hg_type", "aid", "-hg_ksp_type", "richardson"],
           "AID-CGNE": ["-hg_type", "aid", "-hg_ksp_type", "cgne"]}
COLORS = {"ITD": "C0", "AID-FP": "C1", "AID-CGNE": "C2"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="docs/results/fig2")
    ap.add_argument("--data", default=os.path.join(os.environ.get("HG_DATASETS", "/work/shared/datasets"), "mnist-t10k"))
    ap.add_argument("--ntrain", type=int, default=1000, help="training images (validation and test get half as many each)")
    ap.add_argument("--h", type=int, default=200)
    ap.add_argument("--t", type=int, default=20)
    ap.add_argument("--iters", type=int, default=20, help="outer iterations")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--main-step", type=float, default=1e-3)
    ap.add_argument("--steps", default="3e-4,1e-3,3e-3", help="outer steps of the sensitivity runs (seed 1)")
    ap.add_argument("--jobs", type=int, default=2, help="runs at a time (one rank each)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per run")
    ap.add_argument("--acc-max-it", type=int, default=100,
                    help="-eqm_acc_max_it: fixed-point iterations of the held-out states per accuracy")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "hg-fig2-runs"),
                    help="run files; a complete one with the same name is reused")
    ap.add_argument("--replot", action="store_true", help="only redraw <out>.png from <out>.csv")
    a = ap.parse_args()
    if a.replot:
        return plot(a, read_csv(a.out + ".csv"))

    hgrun = os.path.join(a.build, "apps", "hgrun")
    images = os.path.join(a.data, "t10k-images-idx3-ubyte.gz")
    for f in (hgrun, images):
        if not os.path.exists(f):
            sys.exit(f"fig2.py: {f} not found (build the project, or pass --build/--data)")
    nall = 2 * a.ntrain
    base = ["-problem", "eqm", "-data", images, "-data_max_samples", str(nall), "-data_split", "0.5,0.25,0.25",
            "-data_standardize", "-eqm_h", str(a.h), "-lower_max_it", str(a.t), "-hg_k", str(a.t), "-hg_bound", "0",
            "-outer_type", "nesterov", "-outer_max_it", str(a.iters), "-eqm_acc_max_it", str(a.acc_max_it)]
    steps = [float(s) for s in a.steps.split(",")]
    runs = []  # (method, proj, step, seed)
    for m in METHODS:
        for proj in (1, 0):
            for seed in range(1, a.seeds + 1):
                runs.append((m, proj, a.main_step, seed))
            for s in steps:
                if s != a.main_step:
                    runs.append((m, proj, s, 1))
    tmp = a.workdir
    os.makedirs(tmp, exist_ok=True)
    tag = f"n{a.ntrain}_h{a.h}_t{a.t}_s{a.iters}"
    env = run_env()

    def run(r):
        m, proj, step, seed = r
        f = os.path.join(tmp, f"{tag}_{m}_{proj}_{step:g}_{seed}.h5")
        try:
            hist = read_history(f)
            if len(hist["iteration"]) == a.iters:
                print(f"{m:9s} proj {proj} step {step:g} seed {seed}: reused {f}", flush=True)
                return r, hist
        except (OSError, KeyError):
            pass
        if os.path.exists(f):
            os.remove(f)
        cmd = [hgrun] + base + METHODS[m] + ["-eqm_project", str(proj), "-eqm_init_seed", str(seed),
                                             "-outer_step", repr(step), "-outer_checkpoint", f]
        label = f"{m:9s} proj {proj} step {step:g} seed {seed}"
        hist, secs = run_hgrun(cmd, f, label, a.timeout, env)
        if hist is None:
            return r, None
        print(f"{label}: f {hist['upper_objective'][-1]:.4g} test acc {hist['test_accuracy'][-1]:.3f} ({secs:.0f} s)", flush=True)
        return r, hist

    t0 = time.time()
    with ThreadPoolExecutor(a.jobs) as ex:
        results = list(ex.map(run, runs))
    print(f"fig2.py: {len(runs)} runs in {time.time() - t0:.0f} s", flush=True)

    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out + ".csv", "w", newline="") as fp:
        w = csv.writer(fp)
        w.writerow(["method", "projection", "step", "seed", "iteration", "upper_objective", "val_accuracy",
                    "test_accuracy", "hypergradient_norm", "lower_residual", "time"])
        for (m, proj, step, seed), h in results:
            if h is None:
                continue
            for i in range(len(h["iteration"])):
                w.writerow([m, proj, step, seed, int(h["iteration"][i]), "%.10g" % h["upper_objective"][i],
                            "%.4f" % h["val_accuracy"][i], "%.4f" % h["test_accuracy"][i],
                            "%.6g" % h["hypergradient_norm"][i], "%.6g" % h["lower_residual"][i], "%.4g" % h["time"][i]])

    plot(a, results)


def read_csv(path):
    """The runs of a CSV written by this script, as [((method, proj, step, seed), history)]"""
    runs = {}
    for r in csv.DictReader(open(path)):
        key = (r["method"], int(r["projection"]), float(r["step"]), int(r["seed"]))
        h = runs.setdefault(key, {k: [] for k in ("iteration", "upper_objective", "test_accuracy", "hypergradient_norm")})
        for k in h:
            h[k].append(float(r[k]))
    return [(k, {kk: np.array(v) for kk, v in h.items()}) for k, h in runs.items()]


def plot(a, results):
    fig, ax = plt.subplots(2, 5, figsize=(22, 8))
    keys = [("upper_objective", "objective f (sum of CE)", True), ("test_accuracy", "test accuracy", False),
            ("hypergradient_norm", "hypergradient norm", True)]
    for row, proj in enumerate((1, 0)):
        for col, (k, label, logy) in enumerate(keys):
            x = ax[row, col]
            for m in METHODS:
                hs = [h for (mm, pp, st, sd), h in results if mm == m and pp == proj and st == a.main_step and h is not None]
                if not hs:
                    continue
                n = min(len(h[k]) for h in hs)
                y = np.array([h[k][:n] for h in hs])
                it = hs[0]["iteration"][:n]
                x.plot(it, y.mean(0), color=COLORS[m], label=f"{m} ({len(hs)} seeds)")
                x.fill_between(it, y.min(0), y.max(0), color=COLORS[m], alpha=0.2)
            if logy:
                x.set_yscale("log")
            x.set_xlabel("outer iteration")
            x.set_title(f"{label}, {'with' if proj else 'without'} projection")
            x.legend(fontsize=8)
        for col, (k, label) in ((3, ("test_accuracy", "test accuracy")), (4, ("upper_objective", "objective f"))):
            x = ax[row, col]
            for m in METHODS:
                pts = sorted((st, h[k][-1]) for (mm, pp, st, sd), h in results
                             if mm == m and pp == proj and sd == 1 and h is not None)
                if pts:
                    x.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=COLORS[m], label=m)
            x.set_xscale("log")
            if k == "upper_objective":
                x.set_yscale("log")
            x.set_xlabel("outer step (learning rate), seed 1")
            x.set_title(f"final {label} after {a.iters} steps, {'with' if proj else 'without'} projection")
            x.legend(fontsize=8)
    fig.suptitle(f"eqm on MNIST t10k: {a.ntrain} training images, h = {a.h}, t = k = {a.t}, Nesterov step {a.main_step:g}")
    fig.tight_layout()
    fig.savefig(a.out + ".png", dpi=90)
    print(f"fig2.py: wrote {a.out}.csv and {a.out}.png")


if __name__ == "__main__":
    main()
