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

FoE (--foe): the first 5 images, 8 zero-mean filters of 5 x 5 (-denoise_foe_zero_mean), Nesterov
with step 0.05, lower level and adjoint to relative residual 1e-6; and TV on the same 5 images (the
adaptive loop) for comparison.  The FoE run is long: --max-time seconds per piece, each piece after
the first resumes the run file (--resume); the report also evaluates the learned FoE and TV models
on the 20 Kodak images not used for training (held out).

    /usr/bin/python3 docs/denoise.py                  # TV runs (about 5 min on 2 shared cores) and pictures
    /usr/bin/python3 docs/denoise.py --foe --only foe-nesterov --max-it 1000 --max-time 270 --no-report  # first piece
    /usr/bin/python3 docs/denoise.py --foe --only foe-nesterov --max-it 1000 --max-time 270 --no-report --resume
    /usr/bin/python3 docs/denoise.py --foe --only tv5-adaptive                             # TV on the same 5 images
    /usr/bin/python3 docs/denoise.py --report-only [--foe]   # tables and pictures from the run files already there

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


FOE_K, FOE_SIZE, FOE_N = 8, 5, 5


def problem_args(a, foe, first=0, count=None):
    """the problem's options; foe: the FoE model, else TV; count: images from first (None: the TV
    set of all images, or the FoE training set); N = count"""
    args = ["-problem", "denoise", "-denoise_file", a.data, "-denoise_sigma", "0.1", "-denoise_seed", "0"]
    if count is not None:
        args += ["-denoise_first", str(first), "-denoise_count", str(count), "-denoise_ntotal", str(count)]
    if foe:
        if count is None:
            args += ["-denoise_count", str(FOE_N), "-denoise_ntotal", str(FOE_N)]
        args += ["-denoise_reg", "foe", "-denoise_foe_filters", str(FOE_K), "-denoise_foe_size", str(FOE_SIZE), "-denoise_foe_zero_mean"]
    return args


METHOD = ["-hg_type", "aid", "-hg_ksp_type", "cg", "-lower_type", "heavyball", "-lower_max_it", "100000", "-hg_k", "100000"]


def runs(a, foe):
    """(name, options) of each outer loop"""
    if foe:
        # FoE: fixed accuracies (no error bounds: the adaptive loop's estimated constants cost more
        # than the hypergradient for 217 entries), Nesterov with the largest step that decreased f
        # in short trials; TV on the same images for comparison
        return [("foe-nesterov", ["-lower_rtol", "1e-6", "-hg_adjoint_rtol", "1e-6", "-hg_bound", "false", "-outer_type", "nesterov", "-outer_step", "0.05"]),
                ("tv5-adaptive", ["-outer_type", "adaptive"])]
    out = [("adaptive", ["-outer_type", "adaptive"])]
    for eps in a.eps.split(","):
        out.append((f"fixed-{eps}", ["-outer_type", "gd", "-outer_step", str(a.step), "-lower_rtol", "0", "-lower_atol", eps, "-hg_adjoint_atol", eps]))
    return out


def mpi(a, exe):
    return ["mpiexec", "--oversubscribe", "-n", str(a.np), os.path.join(a.build, "apps", exe)]


def is_foe(name):
    return name.startswith("foe")


def solve_at(a, foe, runfile, outfile, imgfile, first=0, count=None, initial=False):
    """hgsolve at the run's final lambda (initial: at the problem's initial lambda), lower level to
    1e-10: /w; the images used to imgfile"""
    lam = [] if initial else ["-lambda_file", runfile, "-lambda_dataset", "lambda"]
    cmd = mpi(a, "hgsolve") + problem_args(a, foe, first, count) + lam + [ "-hg_type", "aid", "-hg_ksp_type", "cg",
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
        nset = f["clean"].shape[0]
        ntotal = FOE_N if foe else nset
    for name, _ in runs(a, foe):
        rf = os.path.join(a.work, f"{name}.h5")
        if not os.path.exists(rf):
            print(f"{name}: no run file {rf}", file=sys.stderr)
            continue
        h = read_history(rf)
        with h5py.File(rf, "r") as f:
            lam = np.array(f["lambda"])
        fm = is_foe(name) if foe else False
        w, c, y, n = solve_at(a, fm, rf, os.path.join(a.work, f"{name}-w.h5"), os.path.join(a.work, f"{name}-img.h5"),
                              0, FOE_N if foe else None)
        hists[name] = (h, w, c, y, lam)
        row = {"run": name, "iterations": len(h["iteration"]), "theta0": lam[0], "theta1": lam[1] if not fm else "",
               "f_recorded": h["upper_objective"][-1], "f_true": upper(w, c, ntotal),
               "f_initial": h["upper_objective"][0], "psnr_noisy": psnr(y, c), "psnr_denoised": psnr(w, c),
               "lower_its": int(h["lower_its"].sum()), "adjoint_its": int(h["adjoint_its"].sum()), "seconds": h["time"][-1]}
        if fm:  # the initial lambda (for the picture of the initial filters)
            solve_at(a, fm, rf, os.path.join(a.work, f"{name}-init-w.h5"), os.path.join(a.work, f"{name}-init-img.h5"), 0, FOE_N, initial=True)
        if foe:
            # |h| first and last, and the held-out images (those not in the training set)
            hn = h.get("hypergradient_norm", h.get("hg_norm"))
            row["h_first"] = float(hn[0]) if hn is not None else ""
            row["h_last"] = float(hn[-1]) if hn is not None else ""
            wh, ch, yh, _ = solve_at(a, fm, rf, os.path.join(a.work, f"{name}-held-w.h5"), os.path.join(a.work, f"{name}-held-img.h5"), FOE_N, nset - FOE_N)
            row["psnr_heldout_noisy"] = psnr(yh, ch)
            row["psnr_heldout_denoised"] = psnr(wh, ch)
        rows.append(row)
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
    name = "foe-nesterov" if foe else "adaptive"
    if name not in hists:
        return
    h, w, c, y, lam = hists[name]
    show = [0, 1, 2] if c.shape[2] >= 3 else list(range(c.shape[2]))
    panels = [("clean", c), ("noisy", y), ("FoE" if foe else "denoised", w)]
    if foe and "tv5-adaptive" in hists:
        panels.append(("TV", hists["tv5-adaptive"][1]))
    fig, ax = plt.subplots(len(panels), len(show), figsize=(2.6 * len(show), 2.7 * len(panels)))
    ax = np.array(ax).reshape(len(panels), len(show))
    for j, d in enumerate(show):
        for i, (lab, im) in enumerate(panels):
            img = im[:, :, d]
            ax[i, j].imshow(img, cmap="gray", vmin=0, vmax=1)
            ax[i, j].set_xticks([])
            ax[i, j].set_yticks([])
            p = "" if i == 0 else f", {10 * np.log10(1 / ((img - c[:, :, d]) ** 2).mean()):.1f} dB"
            ax[i, j].set_title(f"image {d}: {lab}{p}", fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out_dir, f"denoise_{'foe' if foe else 'tv'}.png"), dpi=80)
    plt.close(fig)
    if foe:
        # the filters used (entries less their mean), initial (DCT) and learned, each row on its own
        # colour scale; titles: the weight e^(theta0 + alpha_k) ||f_k|| and e^nu_k of the learned ones
        K, k = FOE_K, FOE_SIZE
        lam0 = h5py.File(os.path.join(a.work, f"{name}-init-w.h5"), "r")["lambda"][()] if os.path.exists(os.path.join(a.work, f"{name}-init-w.h5")) else None
        rows = [("initial", lam0), ("learned", lam)] if lam0 is not None else [("learned", lam)]
        fig, ax = plt.subplots(len(rows), K, figsize=(1.6 * K, 2.1 * len(rows)))
        ax = np.array(ax).reshape(len(rows), K)
        for r, (lab, l) in enumerate(rows):
            filt = l[1 + 2 * K:].reshape(K, k, k)
            filt = filt - filt.mean(axis=(1, 2), keepdims=True)
            m = np.abs(filt).max()
            for j in range(K):
                ax[r, j].imshow(filt[j], cmap="RdBu_r", vmin=-m, vmax=m)
                ax[r, j].set_xticks([])
                ax[r, j].set_yticks([])
                wgt = np.exp(l[0] + l[1 + j]) * np.linalg.norm(filt[j])
                ax[r, j].set_title(f"{lab} {j}\nw {wgt:.3f}, e^nu {np.exp(l[1 + K + j]):.3f}", fontsize=7)
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
    ap.add_argument("--no-report", action="store_true", help="run only (the pieces of a long run)")
    ap.add_argument("--resume", action="store_true", help="continue the run files in --work (-resume) instead of starting anew")
    a = ap.parse_args()
    if not os.path.exists(a.data):
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "datasets", "prep_kodak.py"), "--out", a.data], check=True)
    os.makedirs(a.work, exist_ok=True)
    if not a.report_only:
        for name, opts in runs(a, a.foe):
            if a.only and name not in a.only.split(","):
                continue
            rf = os.path.join(a.work, f"{name}.h5")
            pa = problem_args(a, is_foe(name), 0, FOE_N) if a.foe else problem_args(a, False)
            again = ["-resume", rf] if a.resume else ["-outer_checkpoint_overwrite"]
            # -outer_max_time counts from the start of the run, resumes included: a resumed piece
            # gets the time so far + --max-time
            tmax = a.max_time + (float(read_history(rf)["time"][-1]) if a.resume else 0.0)
            cmd = mpi(a, "hgrun") + pa + METHOD + opts + ["-outer_max_it", str(a.max_it), "-outer_max_time", str(tmax),
                                                          "-outer_checkpoint", rf, "-outer_checkpoint_every", "10"] + again
            print(" ".join(cmd), flush=True)
            hist, sec = run_hgrun(cmd, rf, name, 4 * a.max_time + 300, run_env())
            if hist is not None:
                print(f"{name}: {len(hist['iteration'])} iterations, f {hist['upper_objective'][-1]:.6g}, {sec:.0f} s", flush=True)
    if not a.no_report:
        report(a, a.foe)


if __name__ == "__main__":
    main()
