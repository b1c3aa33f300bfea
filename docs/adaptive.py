#!/usr/bin/python3
"""Adaptive accuracy against fixed t and k: the total work (lower + adjoint iterations, and time)
that hypergradient descent needs to bring the upper objective below given targets, on data
hypercleaning with MNIST t10k (784 pixels, standardized; thirds: 3333 training images, 10 % of
their labels corrupted, 3333 validation, 3334 test), AID with heavy ball and CG, warm starts on.

Runs `hgrun` once per configuration (fixed t = k with gd and nesterov, the HOAG-like geometric
tolerance schedule, -outer_type adaptive), each writing its HDF5 run file, then reads the run
files: for each target, the outer iteration at which the recorded upper objective E(w_t, lambda)
first falls below it and the cumulative lower and adjoint iterations and elapsed time there.
The recorded objective is the inexact one the run sees; the script also evaluates the true f at
each run's final lambda (hgsolve, lower level to residual 1e-9) and writes both.

    /usr/bin/python3 docs/adaptive.py                     # all runs (about 25 min on 2 shared cores), CSV, PNG
    /usr/bin/python3 docs/adaptive.py --report-only       # CSV and PNG from the run files already there
    /usr/bin/python3 docs/adaptive.py --only adaptive,hoag-gd --max-it 10   # a subset

Outputs (default docs/results/): adaptive.csv (one row per run and target), adaptive_runs.csv
(one row per run: final f recorded and true, totals), adaptive.png (f against cumulative work).
Needs h5py, numpy, matplotlib (Debian python3-h5py, python3-numpy, python3-matplotlib).
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name: (outer options, uses the error bound)
RUNS = {
    'gd-t10': ('-outer_type gd -outer_step 1e4 -lower_max_it 10', False),
    'gd-t20': ('-outer_type gd -outer_step 1e4 -lower_max_it 20', False),
    'gd-t50': ('-outer_type gd -outer_step 1e4 -lower_max_it 50', False),
    'gd-t20-step3e4': ('-outer_type gd -outer_step 3e4 -lower_max_it 20', False),
    'nesterov-t10': ('-outer_type nesterov -outer_step 1e4 -lower_max_it 10', False),
    'nesterov-t20': ('-outer_type nesterov -outer_step 1e4 -lower_max_it 20', False),
    'nesterov-t50': ('-outer_type nesterov -outer_step 1e4 -lower_max_it 50', False),
    'hoag-gd': ('-outer_type gd -outer_step 1e4 -lower_max_it 3000 -outer_tol_schedule geometric '
                '-outer_tol0 1e-2 -outer_tol_decay 0.8 -outer_tol_min 1e-9', False),
    'hoag-nesterov': ('-outer_type nesterov -outer_step 1e4 -lower_max_it 3000 -outer_tol_schedule geometric '
                      '-outer_tol0 1e-2 -outer_tol_decay 0.8 -outer_tol_min 1e-9', False),
    'adaptive': ('-outer_type adaptive -outer_step 1e4 -lower_max_it 3000 -outer_tol0 1e-2 -outer_tol_min 1e-11', True),
    'adaptive-theta4': ('-outer_type adaptive -outer_step 1e4 -lower_max_it 3000 -outer_tol0 1e-2 -outer_tol_min 1e-11 '
                        '-outer_theta 4', True),
    'adaptive-theta1000': ('-outer_type adaptive -outer_step 1e4 -lower_max_it 3000 -outer_tol0 1e-2 -outer_tol_min 1e-11 '
                           '-outer_theta 1000', True),
}


def problem_options(data):
    return ('-problem hyperclean -data %s/t10k-images-idx3-ubyte.gz -data_labels %s/t10k-labels-idx1-ubyte.gz '
            '-data_standardize -hc_fraction 0.1 -hg_type aid -lower_type heavyball -hg_ksp_type cg' % (data, data)).split()


def run_one(name, a, env):
    opts, bound = RUNS[name]
    h5 = os.path.join(a.runs, name + '.h5')
    cmd = (['mpiexec', '--oversubscribe', '-n', str(a.np), a.hgrun] + problem_options(a.data) + opts.split()
           + ['-outer_max_it', str(a.max_it), '-outer_max_time', str(a.max_time), '-outer_checkpoint', h5,
              '-outer_checkpoint_overwrite']
           + (['-hg_bound_reuse_estimates'] if bound else ['-hg_bound', '0']))
    log = open(os.path.join(a.runs, name + '.log'), 'w')
    log.write(' '.join(cmd) + '\n')
    log.flush()
    return subprocess.Popen(['timeout', str(int(a.max_time + 120))] + cmd, stdout=log, stderr=subprocess.STDOUT, env=env)


def true_f(name, a, env):
    """f at the final lambda of a run, lower level to residual 1e-9 (heavy ball)"""
    h5 = os.path.join(a.runs, name + '.h5')
    cmd = (['mpiexec', '--oversubscribe', '-n', str(a.np), a.hgsolve] + problem_options(a.data)
           + ['-lambda_file', h5, '-lower_max_it', '20000', '-lower_atol', '1e-9', '-hg_k', '1', '-hg_bound', '0'])
    out = subprocess.run(['timeout', '600'] + cmd, capture_output=True, text=True, env=env).stdout
    m = re.search(r'E = ([-+0-9.eE]+)', out)
    return float(m.group(1)) if m else float('nan')


def history(name, a):
    import h5py
    import numpy as np
    with h5py.File(os.path.join(a.runs, name + '.h5'), 'r') as f:
        h = {k: np.asarray(f['history'][k][()], dtype=float) for k in ('iteration', 'time', 'upper_objective', 'lower_its', 'adjoint_its')}
    h['cum_lower'] = np.cumsum(h['lower_its'])
    h['cum_adjoint'] = np.cumsum(h['adjoint_its'])
    return h


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--hgrun', default=os.path.join(ROOT, 'build', 'apps', 'hgrun'))
    ap.add_argument('--hgsolve', default=None, help='default: hgsolve beside hgrun')
    ap.add_argument('--data', default=os.path.join(os.environ.get('HG_DATASETS', os.path.join(ROOT, '..', 'shared', 'datasets')), 'mnist-t10k'))
    ap.add_argument('--runs', default='/tmp/hg-adaptive', help='directory of the run files and logs')
    ap.add_argument('--out', default=os.path.join(HERE, 'results'))
    ap.add_argument('--np', type=int, default=1, help='ranks per run')
    ap.add_argument('--jobs', type=int, default=2, help='runs at the same time')
    ap.add_argument('--max-it', type=int, default=40)
    ap.add_argument('--max-time', type=float, default=400, help='seconds per run (-outer_max_time)')
    ap.add_argument('--targets', default='0.30,0.29,0.2875,0.285')
    ap.add_argument('--only', default='', help='comma-separated run names (default: all)')
    ap.add_argument('--report-only', action='store_true', help='do not run; read the run files in --runs')
    a = ap.parse_args()
    a.hgsolve = a.hgsolve or os.path.join(os.path.dirname(a.hgrun), 'hgsolve')
    names = [n for n in a.only.split(',') if n] or list(RUNS)
    for n in names:
        if n not in RUNS:
            sys.exit('adaptive.py: unknown run %s; choose among %s' % (n, ', '.join(RUNS)))
    targets = [float(t) for t in a.targets.split(',')]
    os.makedirs(a.runs, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', OMPI_ALLOW_RUN_AS_ROOT='1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM='1')
    if not a.report_only:
        if not os.path.exists(os.path.join(a.data, 't10k-images-idx3-ubyte.gz')):
            sys.exit('adaptive.py: MNIST t10k not found in %s (give --data)' % a.data)
        if not os.access(a.hgrun, os.X_OK):
            sys.exit('adaptive.py: %s is not an executable hgrun (build it, or give --hgrun)' % a.hgrun)
        pending, active = list(names), []
        while pending or active:
            while pending and len(active) < a.jobs:
                n = pending.pop(0)
                active.append((n, run_one(n, a, env), time.time()))
            time.sleep(1)
            for item in list(active):
                n, p, t0 = item
                if p.poll() is not None:
                    active.remove(item)
                    print('%-16s exit %d, %.0f s' % (n, p.returncode, time.time() - t0), flush=True)
    rows, summary, hists = [], [], {}
    for n in names:
        if not os.path.exists(os.path.join(a.runs, n + '.h5')):
            print('adaptive.py: no run file for %s in %s; skipped' % (n, a.runs), file=sys.stderr)
            continue
        h = hists[n] = history(n, a)
        for t in targets:
            idx = [i for i, f in enumerate(h['upper_objective']) if f <= t]
            if idx:
                i = idx[0]
                rows.append([n, t, 1, int(h['iteration'][i]), int(h['cum_lower'][i]), int(h['cum_adjoint'][i]),
                             int(h['cum_lower'][i] + h['cum_adjoint'][i]), '%.1f' % h['time'][i]])
            else:
                rows.append([n, t, 0, '', '', '', '', ''])
        ft = true_f(n, a, env)
        summary.append([n, RUNS[n][0], len(h['iteration']), '%.6f' % h['upper_objective'][-1], '%.6f' % ft,
                        int(h['cum_lower'][-1]), int(h['cum_adjoint'][-1]), '%.1f' % h['time'][-1]])
    with open(os.path.join(a.out, 'adaptive.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['run', 'target_f', 'reached', 'outer_iteration', 'lower_its', 'adjoint_its', 'total_its', 'time_s'])
        w.writerows(rows)
    with open(os.path.join(a.out, 'adaptive_runs.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['run', 'options', 'outer_iterations', 'last_f_recorded', 'true_f_at_final_lambda', 'lower_its', 'adjoint_its', 'time_s'])
        w.writerows(summary)
    for r in summary:
        print('%-16s %3d its  f %s (true %s)  lower %6d adjoint %6d  %s s' % (r[0], r[2], r[3], r[4], r[5], r[6], r[7]))
    for r in rows:
        print('%-16s f <= %-7g %s' % (r[0], r[1], ('it %3d  work %6d (lower %6d + adjoint %6d)  %s s' % (r[3], r[6], r[4], r[5], r[7])) if r[2] else 'not reached'))
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        print('adaptive.py: matplotlib absent; no PNG', file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(8, 5))
    for n, h in hists.items():
        style = '-' if n.startswith('adaptive') else ('--' if n.startswith('hoag') else ':')
        ax.plot(h['cum_lower'] + h['cum_adjoint'], h['upper_objective'], style, marker='.', ms=3, label=n)
    for t in targets:
        ax.axhline(t, color='0.7', lw=0.6)
    ax.set_xscale('log')
    ax.set_xlabel('cumulative lower + adjoint iterations')
    ax.set_ylabel('upper objective E(w_t, lambda) (validation CE)')
    ax.set_ylim(min(targets) - 0.01, 0.36)
    ax.set_title('Hypercleaning, MNIST t10k, 10 % corrupted labels: work to reach f')
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, 'adaptive.png'), dpi=110)


if __name__ == '__main__':
    main()
