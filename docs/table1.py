#!/usr/bin/python3
"""Table 1 of Grazzi et al. (ICML 2020): bilevel optimization with ITD, FP k=t, CG k=t, FP k=k_r
and CG k=k_r on Parkinson (kernel ridge regression), 20 Newsgroups (multinomial logistic
regression, one lambda per feature) and Fashion-MNIST (training-data optimization).

Each run is one `hgrun` (the project's outer loop) with s gradient-descent steps on lambda; the
script reads the run file it writes (/history: upper objective, validation and test accuracy,
elapsed time, lower and adjoint iterations) and measures the peak resident memory of every MPI
rank.  It writes <out>/table1_<tag>.csv and <out>/table1_<tag>.md.

    python3 docs/table1.py                                  # full runs (hours)
    python3 docs/table1.py --steps parkinson=1000,20news=10,fashion=200 --tag reduced
    python3 docs/table1.py --settings parkinson --steps 20 --check --out /tmp/t1   # CI smoke test

Only the Python standard library, numpy and h5py (Debian python3-numpy, python3-h5py).
Exit status: 0 done, 1 a run failed or --check failed, 77 the data are absent (CTest: skipped).
"""
import argparse
import csv
import math
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Paper's Table 1 (objective, test accuracy %); None where the paper leaves the cell empty (k_r = t)
PAPER = {
    'parkinson': {100: {'ITD': (2.39, 75.8), 'FP k=t': (2.37, 81.8), 'CG k=t': (2.37, 78.8), 'FP k=kr': (2.71, 80.3), 'CG k=kr': (2.33, 77.3)},
                  150: {'ITD': (2.11, 69.7), 'FP k=t': (2.20, 77.3), 'CG k=t': (2.20, 77.3), 'FP k=kr': (2.60, 78.8), 'CG k=kr': (2.02, 77.3)}},
    '20news': {10: {'ITD': (1.08, 61.3), 'FP k=t': (1.03, 62.1), 'CG k=t': (0.93, 63.7)},
               25: {'ITD': (0.97, 62.8), 'FP k=t': (1.02, 62.3), 'CG k=t': (0.78, 63.3), 'FP k=kr': (0.94, 63.6), 'CG k=kr': (0.82, 64.3)},
               50: {'ITD': (0.89, 64.2), 'FP k=t': (0.84, 64.4), 'CG k=t': (0.64, 63.1), 'FP k=kr': (0.97, 63.0), 'CG k=kr': (0.75, 64.2)}},
    'fashion': {5: {'ITD': (0.41, 84.1), 'FP k=t': (0.41, 84.1), 'CG k=t': (0.42, 83.9)},
                10: {'ITD': (0.43, 83.8), 'FP k=t': (0.43, 83.8), 'CG k=t': (0.42, 84.0), 'FP k=kr': (0.42, 83.9), 'CG k=kr': (0.42, 84.0)}},
}

METHODS = ['ITD', 'FP k=t', 'CG k=t', 'FP k=kr', 'CG k=kr']


def settings(a):
    park = os.path.join(a.datasets, 'parkinsons', 'parkinsons.data')
    news = a.news_dir
    fm = a.fashion
    return {
        'parkinson': dict(
            title='Parkinson KRR', files=[park],
            args=['-problem', 'krr', '-krr_exp', '-data', park, '-data_csv_skip_columns', 'name',
                  '-data_csv_label_column', 'status', '-data_standardize'],
            lower='heavyball', ts=[100, 150], kr=10, steps=1000, warm=False, outer_step=0.1,
            grid=[0.01, 0.03, 0.1, 0.3, 1.0]),
        '20news': dict(
            title='20 Newsgroups multinomial LR', files=[os.path.join(news, f) for f in ('20news_train.h5', '20news_val.h5', '20news_test.h5')],
            args=['-problem', 'mlogreg', '-data_train', os.path.join(news, '20news_train.h5'),
                  '-data_val', os.path.join(news, '20news_val.h5'), '-data_test', os.path.join(news, '20news_test.h5'),
                  '-mlr_reg0', '4.92e-7'],
            lower='gd', ts=[10, 25, 50], kr=10, steps=500, warm=True, outer_step=1e3,
            grid=[1e2, 1e3, 1e4]),
        'fashion': dict(
            title='Fashion-MNIST training-data optimization', files=[os.path.join(fm, 'train-images-idx3-ubyte.gz'), os.path.join(fm, 't10k-images-idx3-ubyte.gz')],
            args=['-problem', 'distill', '-ds_init_mean', '-data_standardize',
                  '-data_train', os.path.join(fm, 'train-images-idx3-ubyte.gz'),
                  '-data_val', os.path.join(fm, 't10k-images-idx3-ubyte.gz'),
                  '-data_test', os.path.join(fm, 't10k-images-idx3-ubyte.gz')],
            lower='gd', ts=[5, 10], kr=5, steps=4000, warm=False, outer_step=100.0,
            grid=[10.0, 30.0, 100.0, 300.0]),
    }


def method_args(method, t, kr):
    if method == 'ITD':
        return ['-hg_type', 'itd', '-lower_max_it', str(t)], t
    ksp = 'richardson' if method.startswith('FP') else 'cg'
    k = t if method.endswith('k=t') else kr
    return ['-hg_type', 'aid', '-hg_ksp_type', ksp, '-lower_max_it', str(t), '-hg_k', str(k)], k


# Each rank runs under this wrapper, which writes the peak resident set of its child (KiB)
WRAPPER = ("import os,sys,resource,subprocess\n"
           "r=subprocess.call(sys.argv[2:])\n"
           "rank=os.environ.get('OMPI_COMM_WORLD_RANK',os.environ.get('PMI_RANK','0'))\n"
           "open(sys.argv[1]+'.'+rank,'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
           "sys.exit(r)\n")


def run_one(a, st, method, t, steps, outer_step, tag, extra=(), label=None):
    """One hgrun; returns a dict of the row (or raises on failure)"""
    margs, k = method_args(method, t, st['kr'])
    name = f"{tag}_{st['key']}_t{t}_{(label or method).replace(' ', '').replace('=', '').replace('(', '').replace(')', '').replace(',', '')}_s{steps}_eta{outer_step:g}"
    runfile = os.path.join(a.workdir, name + '.h5')
    memfile = os.path.join(a.workdir, name + '.mem')
    for f in os.listdir(a.workdir):
        if f.startswith(name + '.mem.'):
            os.remove(os.path.join(a.workdir, f))
    hgargs = st['args'] + ['-lower_type', st['lower']] + margs + list(extra) + [
        '-hg_bound', '0', '-outer_type', 'gd', '-outer_step', repr(outer_step), '-outer_max_it', str(steps),
        '-outer_warm_start', '1' if st['warm'] else '0',
        '-outer_checkpoint', runfile, '-outer_checkpoint_every', '0', '-outer_checkpoint_overwrite',
        '-outer_monitor', '-outer_monitor_every', str(max(1, steps // 10))]
    hgrun = os.path.join(a.build, 'apps', 'hgrun')
    cmd = [a.mpiexec, '--oversubscribe', '-n', str(a.np), sys.executable, '-c', WRAPPER, memfile, hgrun] + hgargs
    shown = f"mpiexec -n {a.np} {os.path.relpath(hgrun, ROOT) if hgrun.startswith(ROOT) else hgrun} " + ' '.join(shlex.quote(x) for x in hgargs)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT='1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM='1', OPENBLAS_NUM_THREADS='1',
               OMPI_MCA_rmaps_base_oversubscribe='1')
    t0 = time.time()
    with open(os.path.join(a.workdir, name + '.log'), 'w') as log:
        p = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, timeout=a.timeout)
    wall = time.time() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{shown}\n  exited with status {p.returncode}; see {os.path.join(a.workdir, name + '.log')}")
    mems = []
    for f in os.listdir(a.workdir):
        if f.startswith(name + '.mem.'):
            with open(os.path.join(a.workdir, f)) as fh:
                mems.append(int(fh.read().strip() or 0))
    import h5py
    import numpy as np
    with h5py.File(runfile, 'r') as h:
        hist = h['history']
        f = np.asarray(hist['upper_objective'])
        row = dict(setting=st['key'], t=t, method=method, k=k, steps=len(f), outer_step=outer_step,
                   warm_start=int(st['warm']), lower=st['lower'],
                   upper_objective=float(f[-1]), upper_objective_first=float(f[0]),
                   val_accuracy=float(np.asarray(hist['val_accuracy'])[-1]),
                   test_accuracy=float(np.asarray(hist['test_accuracy'])[-1]),
                   hypergradient_norm=float(np.asarray(hist['hypergradient_norm'])[-1]),
                   lower_residual=float(np.asarray(hist['lower_residual'])[-1]),
                   lower_its=int(np.sum(hist['lower_its'])), adjoint_its=int(np.sum(hist['adjoint_its'])),
                   time_s=float(np.asarray(hist['time'])[-1]), wall_s=wall,
                   peak_rss_mib_sum=sum(mems) / 1024.0, peak_rss_mib_max=(max(mems) / 1024.0 if mems else float('nan')),
                   nranks=a.np, reason=str(h.attrs.get('reason', b'')), command=shown)
        if isinstance(h.attrs.get('reason'), bytes):
            row['reason'] = h.attrs['reason'].decode()
    if not a.keep:
        os.remove(runfile)
    return row


FIELDS = ['setting', 't', 'method', 'k', 'steps', 'outer_step', 'warm_start', 'lower', 'upper_objective', 'upper_objective_first',
          'val_accuracy', 'test_accuracy', 'hypergradient_norm', 'lower_residual', 'lower_its', 'adjoint_its', 'time_s', 'wall_s',
          'peak_rss_mib_sum', 'peak_rss_mib_max', 'nranks', 'reason', 'paper_objective', 'paper_test_accuracy', 'command']


def fmt(x, spec):
    return 'n/a' if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def markdown(rows, sts, tag, note):
    out = [f"# Table 1 ({tag})", "", note, ""]
    for key, st in sts.items():
        rs = [r for r in rows if r['setting'] == key and not r['method'].endswith('(memory)')]
        mem = [r for r in rows if r['setting'] == key and r['method'].endswith('(memory)')]
        if rs:
            ts = sorted({r['t'] for r in rs})
            steps = sorted({r['steps'] for r in rs})
            out += [f"## {st['title']} (s = {', '.join(map(str, steps))}; k_r = {st['kr']}; outer step {rs[0]['outer_step']:g})", "",
                    "Upper objective (test accuracy %), ours / paper:", "",
                    "| method | " + " | ".join(f"t = {t}" for t in ts) + " |", "|---|" + "---|" * len(ts)]
            for m in METHODS:
                cells = []
                for t in ts:
                    r = next((r for r in rs if r['t'] == t and r['method'] == m), None)
                    p = PAPER.get(key, {}).get(t, {}).get(m)
                    ours = f"{r['upper_objective']:.3g} ({fmt(100 * r['test_accuracy'], '.1f')})" if r else ('= k=t' if m.endswith('kr') else '')
                    paper = f"{p[0]:.2f} ({p[1]:.1f})" if p else '–'
                    cells.append(f"{ours} / {paper}")
                out.append(f"| {m} | " + " | ".join(cells) + " |")
            out += ["", "Time (s, sum of the outer iterations) and peak resident memory (MiB, sum over ranks):", "",
                    "| method | " + " | ".join(f"t = {t}" for t in ts) + " |", "|---|" + "---|" * len(ts)]
            for m in METHODS:
                cells = []
                for t in ts:
                    r = next((r for r in rs if r['t'] == t and r['method'] == m), None)
                    cells.append(f"{r['time_s']:.1f} s, {r['peak_rss_mib_sum']:.0f} MiB" if r else '')
                out.append(f"| {m} | " + " | ".join(cells) + " |")
        if mem:
            out += ["", f"{st['title']}: memory of ITD (full trajectory, binomial checkpointing) and AID at the same t"
                    " (peak resident set, MiB, sum over ranks):", "",
                    "| method | t | outer steps | peak MiB | time per outer step (s) |", "|---|---|---|---|---|"]
            for r in mem:
                out.append(f"| {r['method']} | {r['t']} | {r['steps']} | {r['peak_rss_mib_sum']:.0f} | {r['time_s'] / max(1, r['steps']):.2f} |")
        out.append("")
    return "\n".join(out) + "\n"


def parse_map(s, keys, conv):
    """'N' (all) or 'name=N,name=N'"""
    if s is None:
        return {}
    if '=' not in s:
        return {k: conv(s) for k in keys}
    m = {}
    for part in s.split(','):
        k, v = part.split('=')
        if k not in keys:
            raise SystemExit(f"table1.py: unknown setting '{k}' in '{s}'; the settings are {', '.join(keys)}")
        m[k] = conv(v)
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--settings', default='parkinson,20news,fashion', help='comma-separated: parkinson, 20news, fashion')
    ap.add_argument('--steps', help="outer steps s: N for all, or parkinson=1000,20news=10,... (default: the paper's 1000, 500, 4000)")
    ap.add_argument('--outer-step', help="outer step size: x for all or name=x,... (default: the grid search's choice in this file)")
    ap.add_argument('--t', help="t values: parkinson=100,20news=10 ... (default the paper's); several t per setting with ':' (20news=10:25)")
    ap.add_argument('--methods', default=','.join(METHODS), help='subset of ' + ', '.join(METHODS))
    ap.add_argument('--grid', action='store_true', help='first run the step-size grid (CG k=t at the smallest t, --grid-steps steps) and use the best step')
    ap.add_argument('--grid-steps', help='outer steps of the grid runs (N or name=N; default the run steps)')
    ap.add_argument('--itd-memory', default='', help='20news: also run ITD at these t (e.g. 50,100) for --itd-memory-steps steps to measure its memory')
    ap.add_argument('--itd-memory-steps', type=int, default=2)
    ap.add_argument('--np', type=int, default=1, help='MPI ranks per run')
    ap.add_argument('--mpiexec', default='mpiexec')
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'), help='build directory with apps/hgrun')
    ap.add_argument('--datasets', default=os.environ.get('HG_DATASETS', os.path.join(ROOT, '..', 'shared', 'datasets')))
    ap.add_argument('--news-dir', default=os.path.join(ROOT, 'datasets', '20news'), help='output of datasets/prep_20news.py')
    ap.add_argument('--fashion', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--workdir', default='/tmp/hg-table1', help='run files and logs')
    ap.add_argument('--out', default=os.path.join(HERE, 'results'))
    ap.add_argument('--tag', default='full')
    ap.add_argument('--timeout', type=float, default=None, help='seconds per run')
    ap.add_argument('--keep', action='store_true', help='keep the run files')
    ap.add_argument('--render', metavar='CSV', help='only write the markdown table of an existing CSV (beside it, .md)')
    ap.add_argument('--check', action='store_true', help='assert: every run lowered the upper objective, accuracies in [0,1], AID k=t methods agree where the lower level converged')
    a = ap.parse_args()
    try:
        import h5py  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as e:
        print(f"table1.py: {e}: install Debian's python3-h5py and python3-numpy (and run /usr/bin/python3) (skipped)", file=sys.stderr)
        return 77

    allst = settings(a)
    if a.render:
        rows = []
        for r in csv.DictReader(open(a.render)):
            for f in ('t', 'k', 'steps', 'warm_start', 'lower_its', 'adjoint_its', 'nranks'):
                r[f] = int(r[f])
            for f in ('outer_step', 'upper_objective', 'upper_objective_first', 'val_accuracy', 'test_accuracy', 'hypergradient_norm',
                      'lower_residual', 'time_s', 'wall_s', 'peak_rss_mib_sum', 'peak_rss_mib_max'):
                r[f] = float(r[f])
            rows.append(r)
        sts = {k: dict(st, key=k) for k, st in allst.items() if any(r['setting'] == k for r in rows)}
        md = os.path.splitext(a.render)[0] + '.md'
        with open(md, 'w') as fh:
            fh.write(markdown(rows, sts, a.tag, f"Rendered by `docs/table1.py --render` from `{os.path.basename(a.render)}` (the commands are in its last column); "
                              "upper objective = validation loss E(w_t(lambda), lambda) at the last outer iteration, test accuracy of w_t(lambda); "
                              "time = sum of the outer iterations, memory = peak resident set per rank summed."))
        print(f"wrote {md}")
        return 0
    keys = [k.strip() for k in a.settings.split(',') if k.strip()]
    for k in keys:
        if k not in allst:
            raise SystemExit(f"table1.py: unknown setting '{k}'; the settings are {', '.join(allst)}")
    methods = [m.strip() for m in a.methods.split(',') if m.strip()]
    for m in methods:
        if m not in METHODS:
            raise SystemExit(f"table1.py: unknown method '{m}'; the methods are {', '.join(METHODS)}")
    steps = parse_map(a.steps, list(allst), int)
    etas = parse_map(a.outer_step, list(allst), float)
    tsel = parse_map(a.t, list(allst), lambda v: [int(x) for x in v.split(':')])
    gsteps = parse_map(a.grid_steps, list(allst), int)
    if not os.path.exists(os.path.join(a.build, 'apps', 'hgrun')):
        raise SystemExit(f"table1.py: {os.path.join(a.build, 'apps', 'hgrun')} not found: build the project first (cmake --build build) or give --build DIR")
    sts = {}
    for k in keys:
        st = dict(allst[k], key=k)
        missing = [f for f in st['files'] if not os.path.exists(f)]
        if missing:
            print(f"table1.py: skipping {k}: data not found: {', '.join(missing)}"
                  + (" (run datasets/prep_20news.py)" if k == '20news' else ''), file=sys.stderr)
            continue
        st['steps'] = steps.get(k, st['steps'])
        st['outer_step'] = etas.get(k, st['outer_step'])
        st['ts'] = tsel.get(k, st['ts'])
        sts[k] = st
    if not sts:
        print("table1.py: no data for any of the settings asked for; nothing to do (skipped)", file=sys.stderr)
        return 77
    os.makedirs(a.workdir, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)

    rows, failures = [], []
    gridrows = []
    for k, st in sts.items():
        if a.grid:
            best = None
            gs = gsteps.get(k, st['steps'])
            for eta in st['grid']:
                try:
                    r = run_one(a, st, 'CG k=t', st['ts'][0], gs, eta, a.tag + '-grid')
                except Exception as e:  # a diverging step is a result of the grid, not a failure
                    print(f"grid {k} eta {eta:g}: failed ({e})", flush=True)
                    gridrows.append(dict(setting=k, outer_step=eta, steps=gs, t=st['ts'][0], upper_objective=float('nan'), test_accuracy=float('nan')))
                    continue
                print(f"grid {k} eta {eta:g}: f {r['upper_objective']:.6g} test acc {r['test_accuracy']:.4f} ({r['time_s']:.1f} s)", flush=True)
                gridrows.append(dict(setting=k, outer_step=eta, steps=gs, t=st['ts'][0], upper_objective=r['upper_objective'], test_accuracy=r['test_accuracy']))
                if math.isfinite(r['upper_objective']) and (best is None or r['upper_objective'] < best[1]):
                    best = (eta, r['upper_objective'])
            if best:
                st['outer_step'] = best[0]
                print(f"grid {k}: step {best[0]:g} chosen", flush=True)
        for t in st['ts']:
            for m in methods:
                if m.endswith('kr') and st['kr'] == t:
                    continue  # identical to k = t (the paper leaves these cells empty)
                try:
                    r = run_one(a, st, m, t, st['steps'], st['outer_step'], a.tag)
                except Exception as e:
                    failures.append(str(e))
                    print(f"FAILED {k} t={t} {m}: {e}", flush=True)
                    continue
                p = PAPER.get(k, {}).get(t, {}).get(m)
                r['paper_objective'], r['paper_test_accuracy'] = (p if p else (None, None))
                rows.append(r)
                print(f"{k} t={t} {m}: f {r['upper_objective']:.6g} (from {r['upper_objective_first']:.6g}) val {r['val_accuracy']:.4f} test {r['test_accuracy']:.4f} "
                      f"time {r['time_s']:.1f} s peak {r['peak_rss_mib_sum']:.0f} MiB", flush=True)
        if k == '20news' and a.itd_memory:
            # ITD keeps the t lower iterates (W: 101,631 x 20 doubles, 16 MB each); binomial
            # checkpointing (-lower_trajectory_type revolve) keeps O(log t) of them; AID keeps none
            variants = [('ITD', 'ITD (memory)', []),
                        ('ITD', 'ITD revolve (memory)', ['-lower_trajectory_type', 'revolve']),
                        ('CG k=t', 'CG k=t (memory)', [])]
            for t in [int(x) for x in a.itd_memory.split(',')]:
                for m, label, extra in variants:
                    try:
                        r = run_one(a, st, m, t, a.itd_memory_steps, st['outer_step'], a.tag + '-mem', extra, label)
                    except Exception as e:
                        failures.append(str(e))
                        print(f"FAILED memory run {label} t={t}: {e}", flush=True)
                        continue
                    r['method'] = label
                    r['paper_objective'] = r['paper_test_accuracy'] = None
                    rows.append(r)
                    print(f"memory {label} t={t}: peak {r['peak_rss_mib_sum']:.0f} MiB, {r['time_s'] / max(1, r['steps']):.2f} s per outer step", flush=True)

    csvpath = os.path.join(a.out, f'table1_{a.tag}.csv')
    with open(csvpath, 'w', newline='') as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction='ignore')
        w.writeheader()
        for r in rows:
            w.writerow(r)
    if gridrows:
        with open(os.path.join(a.out, f'table1_{a.tag}_grid.csv'), 'w', newline='') as fh:
            w = csv.DictWriter(fh, fieldnames=['setting', 't', 'steps', 'outer_step', 'upper_objective', 'test_accuracy'])
            w.writeheader()
            for r in gridrows:
                w.writerow(r)
    note = ("Generated by `docs/table1.py` (" + ' '.join(shlex.quote(x) for x in sys.argv[1:]) + "); upper objective = E(w_t(lambda), lambda) at the last "
            "outer iteration (validation loss), accuracies of the classifier w_t(lambda) on the test set; time = sum of the outer iterations "
            f"(hgrun's history), memory = peak resident set of each rank (getrusage), {a.np} rank(s); float64.")
    with open(os.path.join(a.out, f'table1_{a.tag}.md'), 'w') as fh:
        fh.write(markdown(rows, sts, a.tag, note))
    print(f"wrote {csvpath} and {os.path.join(a.out, f'table1_{a.tag}.md')}")

    if a.check:
        bad = list(failures)
        for r in rows:
            if not (r['upper_objective'] < r['upper_objective_first']):
                bad.append(f"{r['setting']} t={r['t']} {r['method']}: the upper objective did not decrease ({r['upper_objective_first']:.6g} -> {r['upper_objective']:.6g})")
            for acc in ('val_accuracy', 'test_accuracy'):
                if not (0.0 <= r[acc] <= 1.0):
                    bad.append(f"{r['setting']} t={r['t']} {r['method']}: {acc} {r[acc]} not in [0, 1]")
            if r['steps'] != sts[r['setting']]['steps'] and not r['method'].endswith('(memory)'):
                bad.append(f"{r['setting']} t={r['t']} {r['method']}: {r['steps']} outer steps recorded, {sts[r['setting']]['steps']} asked for")
        # where the lower level is converged, ITD, FP k=t and CG k=t compute the same hypergradient: same run
        for k in sts:
            for t in sts[k]['ts']:
                rs = {r['method']: r for r in rows if r['setting'] == k and r['t'] == t}
                if 'CG k=t' in rs and 'ITD' in rs and rs['CG k=t']['lower_residual'] < 1e-8:
                    a1, b1 = rs['CG k=t']['upper_objective'], rs['ITD']['upper_objective']
                    if abs(a1 - b1) > 1e-6 * abs(a1):
                        bad.append(f"{k} t={t}: the lower level converged (residual {rs['CG k=t']['lower_residual']:.2e}) but ITD and CG k=t end at different objectives {b1:.10g} and {a1:.10g}")
        if bad:
            print("CHECK FAILED:\n  " + "\n  ".join(bad), file=sys.stderr)
            return 1
    if failures:
        print(f"table1.py: {len(failures)} runs failed:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
