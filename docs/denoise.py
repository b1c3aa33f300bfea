#!/usr/bin/python3
"""Bilevel learning of denoising regularizers on Kodak (MAID's TV experiment, then a small
Field of Experts): runs hgrun with -problem denoise, then hgsolve at each learned lambda, and
writes tables and pictures.

TV (25 images, 96 x 96 grayscale, Gaussian noise sigma = 0.1, theta0 = (-5, -5)): the adaptive
loop (-outer_type adaptive) against gd with a fixed step and fixed accuracies (absolute residual
eps of the lower and adjoint solves, -lower_atol = -hg_adjoint_atol = eps), AID with heavy ball
and CG, warm starts.  For each run: learned theta, recorded and true upper objective at the end
(the true one from hgsolve with the lower level solved to 1e-10 relative), mean PSNR of the
denoised training images, and the work (lower + adjoint iterations, seconds) at which the
recorded objective first falls below f* + delta (f0 - f*) for delta = 0.1, 0.01, 0.001, 0.0003, 0.0001, with f*
the smallest true objective of all runs and f0 the initial one.

FoE (--foe): 5 images, 8 filters of 5 x 5, adaptive loop.

    /usr/bin/python3 docs/denoise.py                  # TV runs (about 5 min on 2 shared cores) and pictures
    /usr/bin/python3 docs/denoise.py --foe            # the FoE run (a few minutes) and its pictures
    /usr/bin/python3 docs/denoise.py --report-only    # tables and pictures from the run files already there

Outputs in docs/results/: denoise_tv_runs.csv, denoise_tv_targets.csv, denoise_tv.png (clean /
noisy / denoised), denoise_foe_runs.csv, denoise_foe.png, denoise_foe_filters.png.  Run files
go to --work (default /tmp/hg_denoise).  Needs h5py, numpy, matplotlib (Debian packages).
"""
import argparse
import csv
import os
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hgruns import read_history, run_env, run_hgrun  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def problem_args(a, foe):
    args = ["-problem", "denoise", "-denoise_file", a.data, "-denoise_sigma", "0.1", "-denoise_seed", "0"]
    if foe:
        args += ["-denoise_count", "5", "-denoise_ntotal", "5", "-denoise_reg", "foe", "-denoise_foe_filters", "8", "-denoise_foe_size", "5"]
    return args


METHOD = ["-hg_type", "aid", "-hg_ksp_type", "cg", "-lower_type", "heavyball", "-lower_max_it", "100000", "-hg_k", "100000"]


def runs(a, foe):
    """(name, options) of each outer loop"""
    if foe:
        # |h| ~ 70 at the initial lambda: alpha0 = 0.002 instead of 0.1 spares the first line search six lower solves
        # the constants of the bounds that FoE does not give are estimated once (Lanczos and
        # differences in lambda, 217 entries) and reused
        return [("foe-adaptive", ["-outer_type", "adaptive", "-outer_step", "0.002", "-hg_bound_reuse_estimates"])]
    out = [("adaptive", ["-outer_type", "adaptive"])]
    for eps in a.eps.split(","):
        out.append((f"fixed-{eps}", ["-outer_type", "gd", "-outer_step", str(a.step), "-lower_rtol", "0", "-lower_atol", eps, "-hg_adjoint_atol", eps]))
    return out


def mpi(a, exe):
    return ["mpiexec", "--oversubscribe", "-n", str(a.np), os.path.join(a.build, "apps", exe)]


def solve_at(a, foe, runfile, outfile, imgfile):
    """hgsolve at the run's final lambda, lower level to 1e-10: /w; the images used to imgfile"""
    cmd = mpi(a, "hgsolve") + problem_args(a, foe) + ["-lambda_file", runfile, "-lambda_dataset", "lambda", "-hg_type", "aid", "-hg_ksp_type", "cg",
                                                     "-lower_type", "heavyball", "-lower_rtol", "1e-10", "-lower_max_it", "1000000", "-hg_k", "10",
                                                     "-output", outfile, "-denoise_save_images", imgfile]
    p = subprocess.run(cmd, env=run_env(), capture_output=True, text=True)
    if p.returncode:
        sys.exit(" ".join(cmd) + "\n" + p.stdout[-2000:] + p.stderr[-2000:])
    with h5py.File(outfile, "r") as f:
        w = np.array(f["w"])
    with h5py.File(imgfile, "r") as f:
        return w, np.array(f["clean"]), np.array(f["noisy"]), len(np.array(f["clean"])[0, 0])


def psnr(x, c):
    """mean over the images (last axis) of 10 log10(1 / MSE), peak 1"""
    mse = ((x - c) ** 2).mean(axis=(0, 1))
    return float(np.mean(10 * np.log10(1.0 / mse)))


def upper(x, c, ntotal):
    return float(0.5 * ((x - c) ** 2).sum() / ntotal)


def report(a, foe):
    tag = "foe" if foe else "tv"
    rows, hists = [], {}
    with h5py.File(a.data, "r") as f:  # N of the 1/N: the whole set for TV, the 5 images of the FoE run
        ntotal = 5 if foe else f["clean"].shape[0]
    for name, _ in runs(a, foe):
        rf = os.path.join(a.work, f"{name}.h5")
        if not os.path.exists(rf):
            print(f"{name}: no run file {rf}", file=sys.stderr)
            continue
        h = read_history(rf)
        with h5py.File(rf, "r") as f:
            lam = np.array(f["lambda"])
        w, c, y, n = solve_at(a, foe, rf, os.path.join(a.work, f"{name}-w.h5"), os.path.join(a.work, f"{name}-img.h5"))
        hists[name] = (h, w, c, y, lam)
        rows.append({"run": name, "iterations": len(h["iteration"]), "theta0": lam[0], "theta1": lam[1] if not foe else "",
                     "f_recorded": h["upper_objective"][-1], "f_true": upper(w, c, ntotal),
                     "f_initial": h["upper_objective"][0], "psnr_noisy": psnr(y, c), "psnr_denoised": psnr(w, c),
                     "lower_its": int(h["lower_its"].sum()), "adjoint_its": int(h["adjoint_its"].sum()), "seconds": h["time"][-1]})
    if not rows:
        return
    os.makedirs(a.out_dir, exist_ok=True)
    with open(os.path.join(a.out_dir, f"denoise_{tag}_runs.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    for r in rows:
        print(", ".join(f"{k} {v:.6g}" if isinstance(v, float) else f"{k} {v}" for k, v in r.items()))
    if not foe:
        fstar = min(r["f_true"] for r in rows)
        f0 = max(r["f_initial"] for r in rows)
        with open(os.path.join(a.out_dir, "denoise_tv_targets.csv"), "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["run", "delta", "target", "iteration", "lower_its", "adjoint_its", "seconds"])
            for name, (h, *_rest) in hists.items():
                for delta in (0.1, 0.01, 0.001, 0.0003, 0.0001):
                    target = fstar + delta * (f0 - fstar)
                    hit = np.nonzero(h["upper_objective"] <= target)[0]
                    if len(hit):
                        i = hit[0]
                        row = [name, delta, target, int(h["iteration"][i]), int(h["lower_its"][: i + 1].sum()), int(h["adjoint_its"][: i + 1].sum()), h["time"][i]]
                    else:
                        row = [name, delta, target, "not reached", "", "", ""]
                    wr.writerow(row)
                    print(" ".join(str(x) for x in row))
    pictures(a, foe, hists)


def pictures(a, foe, hists):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    name = "foe-adaptive" if foe else "adaptive"
    if name not in hists:
        return
    h, w, c, y, lam = hists[name]
    show = [0, 1, 2] if c.shape[2] >= 3 else list(range(c.shape[2]))
    fig, ax = plt.subplots(3, len(show), figsize=(2.6 * len(show), 8))
    ax = np.array(ax).reshape(3, len(show))
    for j, d in enumerate(show):
        for i, (img, lab) in enumerate(((c[:, :, d], "clean"), (y[:, :, d], "noisy"), (w[:, :, d], "denoised"))):
            ax[i, j].imshow(img, cmap="gray", vmin=0, vmax=1)
            ax[i, j].set_xticks([])
            ax[i, j].set_yticks([])
            p = "" if i == 0 else f", {10 * np.log10(1 / ((img - c[:, :, d]) ** 2).mean()):.1f} dB"
            ax[i, j].set_title(f"image {d}: {lab}{p}", fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out_dir, f"denoise_{'foe' if foe else 'tv'}.png"), dpi=80)
    plt.close(fig)
    if foe:
        K, k = 8, 5
        filt = lam[1 + 2 * K:].reshape(K, k, k)
        fig, ax = plt.subplots(1, K, figsize=(1.6 * K, 2))
        for j in range(K):
            m = np.abs(filt[j]).max()
            ax[j].imshow(filt[j], cmap="RdBu_r", vmin=-m, vmax=m)
            ax[j].set_xticks([])
            ax[j].set_yticks([])
            ax[j].set_title(f"a {lam[1 + j]:.2f}\nnu {lam[1 + K + j]:.2f}", fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(a.out_dir, "denoise_foe_filters.png"), dpi=80)
        plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "datasets", "kodak", "kodak96.h5"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default="/tmp/hg_denoise")
    ap.add_argument("--out-dir", default=os.path.join(HERE, "results"))
    ap.add_argument("--np", type=int, default=1)
    ap.add_argument("--max-it", type=int, default=40)
    ap.add_argument("--max-time", type=float, default=120, help="seconds per run (-outer_max_time)")
    ap.add_argument("--eps", default="1e-2,1e-4,1e-6", help="fixed accuracies of the gd runs")
    ap.add_argument("--step", type=float, default=0.05, help="step of the fixed-accuracy gd runs")
    ap.add_argument("--foe", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated run names")
    ap.add_argument("--report-only", action="store_true")
    a = ap.parse_args()
    if not os.path.exists(a.data):
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "datasets", "prep_kodak.py"), "--out", a.data], check=True)
    os.makedirs(a.work, exist_ok=True)
    if not a.report_only:
        for name, opts in runs(a, a.foe):
            if a.only and name not in a.only.split(","):
                continue
            rf = os.path.join(a.work, f"{name}.h5")
            cmd = mpi(a, "hgrun") + problem_args(a, a.foe) + METHOD + opts + ["-outer_max_it", str(a.max_it), "-outer_max_time", str(a.max_time),
                                                                              "-outer_checkpoint", rf, "-outer_checkpoint_overwrite"]
            print(" ".join(cmd), flush=True)
            hist, sec = run_hgrun(cmd, rf, name, 4 * a.max_time + 300, run_env())
            if hist is not None:
                print(f"{name}: {len(hist['iteration'])} iterations, f {hist['upper_objective'][-1]:.6g}, {sec:.0f} s", flush=True)
    report(a, a.foe)


if __name__ == "__main__":
    main()
