#!/usr/bin/python3
"""Figure 1 of Grazzi et al. (ICML 2020) from the CSV of apps/hgfig1: error of the hypergradient
of ITD, FP and CG against the number of lower-level iterations t, one panel per problem, mean
(line) and mean +- standard deviation (shaded, as in the paper) over the sampled lambda.

    /usr/bin/python3 docs/fig1.py docs/results/fig1.csv docs/results/fig1.png
    /usr/bin/python3 docs/fig1.py docs/results/fig1.csv docs/results/fig1_abs.png --abs

Debian python3-matplotlib and python3-numpy only (Agg backend, no display needed).
"""
import argparse
import csv
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

TITLES = {'LR': 'Logistic Regression', 'KRR': 'Kernel Ridge Regression', 'BR': 'Biased Regularization', 'HR': 'Hyper Representation'}
STYLE = {'ITD': ('tab:purple', '-'), 'FP k=t': ('tab:green', '-'), 'CG k=t': ('tab:blue', '-')}
STYLE_K = {'FP': ('tab:green', '--'), 'CG': ('tab:blue', '--')}


def style(method):
    if method in STYLE:
        return STYLE[method]
    return STYLE_K.get(method.split()[0], ('k', ':'))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('csv')
    ap.add_argument('png')
    ap.add_argument('--abs', action='store_true', help='absolute error ||grad f - g|| (the paper\'s axis) instead of the relative one')
    a = ap.parse_args()
    rows = list(csv.DictReader(open(a.csv)))
    if not rows:
        sys.exit(f"fig1.py: {a.csv} has no rows")
    problems = [p for p in ('LR', 'KRR', 'BR', 'HR') if any(r['problem'] == p for r in rows)]
    problems += sorted({r['problem'] for r in rows} - set(problems))
    methods = list(dict.fromkeys(r['method'] for r in rows))
    fig, axes = plt.subplots(1, len(problems), figsize=(4.2 * len(problems), 3.6), squeeze=False)
    mcol, scol = ('abs_mean', 'abs_std') if a.abs else ('mean', 'std')
    for ax, p in zip(axes[0], problems):
        for m in methods:
            rs = sorted((r for r in rows if r['problem'] == p and r['method'] == m), key=lambda r: int(r['t']))
            if not rs:
                continue
            t = np.array([int(r['t']) for r in rs])
            mean = np.array([float(r[mcol]) for r in rs])
            std = np.array([float(r[scol]) for r in rs])
            lo = np.array([float(r['min']) for r in rs]) * (mean / np.maximum(np.array([float(r['mean']) for r in rs]), 1e-300))
            c, ls = style(m)
            ax.plot(t, mean, color=c, linestyle=ls, label=m, linewidth=1.6)
            # mean - std is often negative on a log axis: the band is clipped at the smallest sample
            ax.fill_between(t, np.maximum(mean - std, lo), mean + std, color=c, alpha=0.15, linewidth=0)
        n = rows[0]['n']
        ax.set_yscale('log')
        ax.set_xlabel('t')
        ax.set_title(TITLES.get(p, p))
        ax.grid(True, which='major', alpha=0.3)
    axes[0][0].set_ylabel(r'$\|\nabla f(\lambda) - g(\lambda)\|$' if a.abs else r'$\|\nabla f(\lambda) - g(\lambda)\| \,/\, \|\nabla f(\lambda)\|$')
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f'Hypergradient error, mean and std over {n} values of lambda (float64)', fontsize=10)
    fig.tight_layout()
    fig.savefig(a.png, dpi=120)
    print(f"wrote {a.png}")


if __name__ == '__main__':
    main()
