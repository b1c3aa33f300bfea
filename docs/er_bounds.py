#!/usr/bin/python3
"""Ehrhardt & Roberts (2023), the quadratic test problem: a-priori and a-posteriori error bounds
against the true hypergradient error as the lower accuracy eps and the adjoint accuracy delta vary.

Runs build/apps/hgbounds (AID-CG and AID-FP with a gd lower level on -problem quadratic, all bound
constants exact; true error from the direct solve) and writes <out>.csv (its rows) and <out>.png:
for each method, the true error, the a-posteriori and the a-priori bound against eps, one colour
per delta.

Usage: python3 docs/er_bounds.py [--build build] [--out docs/results/er_bounds] [-- extra hgbounds options]
"""
import argparse, csv, os, subprocess, sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="docs/results/er_bounds")
    ap.add_argument("extra", nargs="*", help="more hgbounds options (after --)")
    a = ap.parse_args()
    app = os.path.join(a.build, "apps", "hgbounds")
    if not os.path.exists(app):
        sys.exit(f"er_bounds.py: {app} not found (build the project, or pass --build)")
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    subprocess.run([app, "-o", a.out + ".csv"] + a.extra, check=True, env=env)
    rows = list(csv.DictReader(open(a.out + ".csv")))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    deltas = sorted({float(r["delta"]) for r in rows}, reverse=True)
    names = {"cg": "AID-CG (IFT + CG)", "richardson": "AID-FP (IFT + gd, = inexact AD)"}
    fig, ax = plt.subplots(1, len(methods), figsize=(7 * len(methods), 5.5), squeeze=False)
    below = 0
    for j, m in enumerate(methods):
        x = ax[0, j]
        for i, d in enumerate(deltas):
            rs = sorted((r for r in rows if r["method"] == m and float(r["delta"]) == d), key=lambda r: float(r["eps"]))
            eps = [float(r["eps"]) for r in rs]
            err = [float(r["true_error"]) for r in rs]
            post = [float(r["bound_aposteriori"]) for r in rs]
            prio = [float(r["bound_apriori"]) for r in rs]
            below += sum(p < e for p, e in zip(post, err))
            c = f"C{i}"
            x.plot(eps, err, "o-", color=c, label=f"true error, delta = {d:g}")
            x.plot(eps, post, "s--", color=c, label=f"a posteriori, delta = {d:g}")
            if all(p >= 0 for p in prio):
                x.plot(eps, prio, ":", color=c, label=f"a priori, delta = {d:g}")
        x.set_xscale("log")
        x.set_yscale("log")
        x.invert_xaxis()
        x.set_xlabel("eps: lower tolerance on ||grad_w l(w_t)||")
        x.set_ylabel("||h - grad f(lambda)||")
        x.set_title(names.get(m, m) + ", quadratic problem")
        x.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(a.out + ".png", dpi=90)
    print(f"er_bounds.py: wrote {a.out}.csv and {a.out}.png ({len(rows)} points, {below} with an a-posteriori bound below the error)")


if __name__ == "__main__":
    main()
