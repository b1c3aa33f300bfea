#!/usr/bin/python3
"""hgscale: strong and weak scaling studies of one hypergradient with hgbench.

Runs the benchmark app (build/apps/hgbench) on one problem at a list of rank counts through
`mpiexec -n N`, reads the time per hypergradient, per lower and per adjoint iteration from its
CSV and the breakdown (MatMult, VecScatter, reductions) from PETSc's -log_view of the
hypergradients' log stage, and writes a CSV and a PNG of speedup and efficiency.

  hgscale.py --ranks 1,2 --t 100 -- -problem logreg -lr_sparse -hg_type aid -hg_ksp_type cg
  hgscale.py --weak --weak-option -lr_ntrain=10000 --ranks 1,2 -- -problem logreg -lr_sparse

Everything after `--` goes to the app unchanged.  Strong scaling keeps the problem fixed;
weak scaling sets each --weak-option NAME=VALUE to VALUE x ranks.  See --help.
"""

import argparse
import csv
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

PROG = "hgscale"
STAGE = "HGBenchHypergrad"  # the log stage hgbench puts the hypergradients in
MATMULT_EVENTS = ("MatMult", "MatMultAdd", "MatMultTranspose", "MatMultTrAdd")
# The problem's operator callbacks (include/hypergrad.h), disjoint; every product with the data
# matrices happens inside them
CALLBACK_EVENTS = ("HGPLowerGrad", "HGPHessMult", "HGPMixedMult", "HGPUpper", "HGPMap", "HGPMapJacT")
SCATTER_EVENTS = ("VecScatterBegin", "VecScatterEnd")
# Leaf events that end in a global reduction (VecNormalize is left out: it contains a VecNorm)
REDUCTION_EVENTS = ("VecNorm", "VecDot", "VecTDot", "VecMDot", "VecMTDot", "VecDotNorm2", "VecMax", "VecMin",
                    "VecReduceArith", "VecReduceComm")
HG_EVENTS = ("HGCompute", "HGLowerSolve", "HGAdjoint")
# Options the tool sets itself
RESERVED = ("-bench_t", "-bench_k", "-bench_reps", "-bench_csv", "-log_view")

COLUMNS = ["ranks", "problem", "time_hypergrad", "time_lower_it", "time_adjoint_it", "matmult", "vecscatter",
           "reduction", "other", "speedup", "efficiency", "mode", "method", "size_option", "size", "t", "k",
           "time_hypergrad_mean", "time_lower_solve", "time_adjoint_solve", "matmult_petsc", "runs",
           "time_hypergrad_all", "load1", "reason", "ceiling", "ceiling_alone", "ceiling_together", "solves_min", "solves_max"]


class ToolError(Exception):
    """An error with a message for the user; the tool prints it and exits non-zero."""


def die(msg, code=1):
    sys.stderr.write("%s: error: %s\n" % (PROG, msg))
    sys.exit(code)


def parse_ranks(text):
    try:
        ranks = [int(x) for x in text.split(",") if x.strip() != ""]
    except ValueError:
        raise ToolError("--ranks needs a comma-separated list of positive integers such as 1,2,4; got '%s'" % text)
    if not ranks or any(r < 1 for r in ranks):
        raise ToolError("--ranks needs a comma-separated list of positive integers such as 1,2,4; got '%s'" % text)
    if len(set(ranks)) != len(ranks):
        raise ToolError("--ranks lists a rank count twice: '%s'" % text)
    return sorted(ranks)


def parse_weak_option(text, flag="--weak-option"):
    if "=" not in text:
        if flag != "--weak-option":
            raise ToolError("%s needs NAME=TOTAL, e.g. -multi_n=8; got '%s'" % (flag, text))
        raise ToolError("--weak-option needs NAME=VALUE with the per-rank value, e.g. -lr_ntrain=10000; got '%s'" % text)
    name, value = text.split("=", 1)
    name = name.strip()
    if not name.startswith("-"):
        name = "-" + name
    if len(name) < 2:
        raise ToolError("%s '%s' has no option name" % (flag, text))
    what = "the per-rank value" if flag == "--weak-option" else "the total"
    try:
        v = int(value)
    except ValueError:
        raise ToolError("%s %s: %s must be a positive integer; got '%s'" % (flag, name, what, value))
    if v < 1:
        raise ToolError("%s %s: %s must be a positive integer; got '%s'" % (flag, name, what, value))
    return name, v


def build_parser():
    p = argparse.ArgumentParser(
        prog="hgscale.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Strong or weak scaling study of one hypergradient (hgbench) over a list of rank counts.",
        epilog="""Options after `--` go to the app (problem, method, sizes), e.g.
  hgscale.py --ranks 1,2 --t 100 --csv s.csv -- -problem logreg -lr_sparse -lr_p 10000 \\
      -lr_ntrain 20000 -lr_nval 20000 -lr_nnz_per_row 100 -hg_type aid -hg_ksp_type cg

CSV columns (times in seconds, per hypergradient unless noted):
  ranks, problem, time_hypergrad (fastest hypergradient, slowest rank: what hgbench reports),
  time_lower_it / time_adjoint_it (lower / adjoint time of that hypergradient divided by t / k),
  matmult (time in the problem's operator callbacks, events HGPLowerGrad, HGPHessMult, HGPMixedMult,
  HGPUpper, HGPMap, HGPMapJacT: their MatMult / MatMultTranspose with the data matrices, the
  VecScatter these do, and the callbacks' element-wise work),
  vecscatter (VecScatterBegin + End: the communication, contained in matmult for the built-in problems),
  reduction (VecNorm, VecDot, VecTDot, VecMDot, ... : local part and global reduction),
  other (time_hypergrad_mean - matmult - reduction: the solvers' vector updates, set-up, overhead),
  speedup, efficiency (both from time_hypergrad),
  then mode, method, size_option, size, t, k, time_hypergrad_mean (the time of hgbench's log stage
  of the hypergradients, i.e. of all the HGComputeHypergradient calls and the barriers between
  them, over their number; the breakdown columns are means over the same calls, all on the
  slowest rank, so matmult + reduction + other = time_hypergrad_mean), time_lower_solve,
  time_adjoint_solve (HGLowerSolve, HGAdjoint per hypergradient), matmult_petsc (PETSc's MatMult +
  MatMultAdd + MatMultTranspose + MatMultTrAdd as logged: inclusive, so with aid it also counts the
  adjoint operator, a MatShell whose MatMult contains a whole Hessian product, and can exceed
  matmult), runs, time_hypergrad_all (every run's fastest), load1 (1-minute load average before
  the run), reason, and with --ceiling: ceiling (N T_alone / T_together, the speedup the machine
  allows N independent processes), ceiling_alone, ceiling_together (their best times; nan without
  --ceiling and for the base row), solves_min, solves_max (hgmultibench: the time of one rank's
  instances' lower and adjoint solves in its last hypergradient, the least and the most busy rank;
  nan for other apps).  A problem whose callbacks themselves reduce (VecNorm, VecDot inside a
  gradient) has those reductions in both matmult and reduction, and other is low by as much.
Strong scaling: speedup = T(b)/T(N), efficiency = speedup * b/N, b = smallest rank count.
Weak scaling:   speedup = (N/b) T(b)/T(N) (scaled speedup), efficiency = T(b)/T(N).""")
    p.add_argument("--ranks", default="1,2", help="comma-separated rank counts (default 1,2)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--strong", action="store_true", help="strong scaling: the same problem at every rank count (default)")
    mode.add_argument("--weak", action="store_true", help="weak scaling: each --weak-option scaled with the rank count")
    p.add_argument("--weak-option", action="append", default=[], metavar="NAME=VALUE",
                   help="problem-size option and its per-rank value, e.g. -lr_ntrain=10000 (repeatable); "
                        "with --weak the app gets NAME VALUE*ranks")
    p.add_argument("--t", type=int, default=100, help="lower-level iterations t (hgbench -bench_t; default 100)")
    p.add_argument("--k", type=int, default=-1, help="adjoint iterations k (hgbench -bench_k; -1: k = t, the default)")
    p.add_argument("--reps", type=int, default=3, help="hypergradients per launch, the fastest kept (-bench_reps; default 3)")
    p.add_argument("--runs", type=int, default=1,
                   help="launches per rank count, interleaved over the rank counts (1,2,2,1,1,2,...: the order "
                        "alternates, so a slow phase of the machine hits both); the fastest is kept (default 1)")
    p.add_argument("--ceiling", action="append", default=[], metavar="NAME=TOTAL",
                   help="also measure the machine's ceiling for each rank count N > base (strong scaling, hgmultibench): "
                        "in every run, one 1-rank launch with NAME TOTAL/N alone, then N such launches at once, each "
                        "pinned to its own CPU (taskset) and timing together (-bench_sync); ceiling = N T_alone / "
                        "T_together (T: the fastest hypergradient; together, of the slowest launch, the launches starting each "
                        "hypergradient at once), e.g. --ceiling -hg_multi_batch=8 with -multi_n 8: each launch computes 4 of "
                        "the same 8 instances (repeatable)")
    p.add_argument("--app", default=None, help="benchmark app (default: hgbench beside this script)")
    p.add_argument("--mpiexec", default="mpiexec --oversubscribe",
                   help="MPI launcher and its flags; '-n N' is appended (default 'mpiexec --oversubscribe')")
    p.add_argument("--csv", default="hgscale.csv", help="output CSV (default hgscale.csv)")
    p.add_argument("--png", default=None, help="output plot (default: the CSV name with .png)")
    p.add_argument("--no-plot", action="store_true", help="write no PNG")
    p.add_argument("--title", default=None, help="plot title (default: problem, method, t, k)")
    p.add_argument("--workdir", default=None,
                   help="keep each launch's hgbench CSV, -log_view CSV and output here (default: a temporary directory, removed)")
    p.add_argument("--timeout", type=float, default=0, help="seconds allowed per launch (0: no limit)")
    p.add_argument("--max-load", type=float, default=0,
                   help="before each launch wait until the 1-minute load average is at most this (0: do not wait); "
                        "for machines shared with other jobs")
    p.add_argument("--max-wait", type=float, default=600,
                   help="seconds to wait for --max-load before launching anyway, with a warning (default 600)")
    p.add_argument("--quiet", action="store_true", help="print only errors")
    return p


def split_argv(argv):
    """Tool options before `--`, app options after; `--weak-option -x=1` is joined so argparse
    does not take the value for an option."""
    if "--" in argv:
        i = argv.index("--")
        mine, app = argv[:i], argv[i + 1:]
    else:
        mine, app = argv, []
    joined = []
    i = 0
    while i < len(mine):
        a = mine[i]
        if a in ("--weak-option", "--ceiling") and i + 1 < len(mine):
            joined.append(a + "=" + mine[i + 1])
            i += 2
            continue
        joined.append(a)
        i += 1
    return joined, app


def check_args(args, app_args):
    if args.t < 1:
        raise ToolError("--t must be a positive number of lower-level iterations; got %d" % args.t)
    if args.k < -1:
        raise ToolError("--k must be >= 0, or -1 for k = t; got %d" % args.k)
    if args.reps < 1:
        raise ToolError("--reps must be >= 1; got %d" % args.reps)
    if args.runs < 1:
        raise ToolError("--runs must be >= 1; got %d" % args.runs)
    if args.timeout < 0:
        raise ToolError("--timeout must be >= 0 seconds; got %g" % args.timeout)
    if args.max_load < 0 or args.max_wait < 0:
        raise ToolError("--max-load and --max-wait must be >= 0")
    for a in app_args:
        base = a.split("=", 1)[0]
        if base in RESERVED:
            raise ToolError("the app option %s is set by hgscale itself; use --t, --k, --reps, --csv instead of passing it after --" % base)
    weak = [parse_weak_option(w) for w in args.weak_option]
    if args.weak and not weak:
        raise ToolError("--weak needs at least one --weak-option NAME=VALUE (the per-rank problem size, e.g. -lr_ntrain=10000)")
    if not args.weak and weak:
        raise ToolError("--weak-option is only for --weak; for strong scaling put the size among the app options after --")
    ceil = [parse_weak_option(c, "--ceiling") for c in args.ceiling]
    if ceil and args.weak:
        raise ToolError("--ceiling is for strong scaling (the total divided among N independent processes)")
    for name, v in ceil:
        for n in parse_ranks(args.ranks)[1:]:
            if v % n:
                raise ToolError("--ceiling %s=%d: the total must divide among %d processes" % (name, v, n))
    args.ceil = ceil
    for name, _ in weak:
        if name in app_args:
            raise ToolError("%s is given both as --weak-option and after --: give it once, as --weak-option" % name)
    return weak


def find_app(args):
    app = args.app or os.path.join(os.path.dirname(os.path.abspath(__file__)), "hgbench")
    if not os.path.exists(app):
        raise ToolError("the benchmark app %s does not exist: build it (cmake --build build --target hgbench) or give --app PATH" % app)
    if not os.path.isfile(app) or not os.access(app, os.X_OK):
        raise ToolError("the benchmark app %s is not an executable file: give --app PATH to the built hgbench" % app)
    launcher = shlex.split(args.mpiexec)
    if not launcher:
        raise ToolError("--mpiexec is empty: give the MPI launcher, e.g. --mpiexec 'mpiexec --oversubscribe'")
    if shutil.which(launcher[0]) is None:
        raise ToolError("the MPI launcher '%s' was not found: install openmpi-bin or give --mpiexec PATH" % launcher[0])
    return os.path.abspath(app), launcher


def read_bench_csv(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise ToolError("hgbench wrote no CSV %s (%s)" % (path, e.strerror))
    need = ("problem", "method", "ranks", "t", "k", "time_hypergrad", "time_lower", "time_adjoint", "reason")
    if len(rows) != 1 or any(c not in rows[0] for c in need):
        raise ToolError("%s is not the one-row hgbench CSV expected (columns %s)" % (path, ", ".join(need)))
    return rows[0]


def read_log_csv(path):
    """PETSc's -log_view ascii_csv: Stage Name,Event Name,Rank,Count,Time,... one row per stage,
    event and rank.  Returns {stage: {event: {rank: (count, time)}}}."""
    stages = {}
    try:
        with open(path, newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if not header or header[0].strip() != "Stage Name" or len(header) < 5:
                raise ToolError("%s is not a PETSc -log_view CSV (ascii_csv) file" % path)
            for row in reader:
                if len(row) < 5:
                    continue
                try:
                    rank, count, t = int(row[2]), float(row[3]), float(row[4])
                except ValueError:
                    continue
                stages.setdefault(row[0].strip(), {}).setdefault(row[1].strip(), {})[rank] = (count, t)
    except OSError as e:
        raise ToolError("hgbench wrote no -log_view CSV %s (%s)" % (path, e.strerror))
    return stages


def breakdown(stages, logpath, n_given=None):
    """Per-hypergradient means over the log stage of the hypergradients, on the slowest rank.
    n_given: the number of hypergradients in the stage when the app says it (hgmultibench, whose
    instances' HGs count their own HGCompute events)."""
    warn = None
    if STAGE in stages:
        ev = stages[STAGE]
    else:
        ev = stages.get("Main Stage", {})
        warn = ("%s has no log stage %s (an older hgbench?): the breakdown covers the whole run, set-up and "
                "kernel timings included" % (logpath, STAGE))
    if "HGCompute" not in ev:
        raise ToolError("%s has no HGCompute event: was the app hgbench of this project?" % logpath)
    ranks = sorted(ev["HGCompute"].keys())
    n_hg = n_given if n_given else ev["HGCompute"][ranks[0]][0]
    if n_hg <= 0:
        raise ToolError("%s: HGCompute count is 0: no hypergradient was computed" % logpath)

    def per_rank(names):
        return [sum(ev.get(e, {}).get(r, (0, 0.0))[1] for e in names) for r in ranks]

    # The total: the stage (HGComputeHypergradient, which also does work outside its HGCompute
    # event, e.g. the upper objective, and hgbench's barriers between the calls); every column from
    # the slowest rank, so that matmult + reduction + other is its time per hypergradient
    if warn:
        hg = per_rank(("HGCompute",))
    else:
        hg = [ev.get("summary", {}).get(r, (0, 0.0))[1] for r in ranks]
    i = hg.index(max(hg))
    # matmult from the callbacks: PETSc's MatMult event is inclusive, and the adjoint operator of aid
    # is a MatShell whose MatMult contains a Hessian product with its own MatMultTranspose (the
    # inner MatMult is hidden: PETSc does not count an event nested in itself), so the MatMult*
    # events count products twice
    mm, sc, red = per_rank(CALLBACK_EVENTS)[i], per_rank(SCATTER_EVENTS)[i], per_rank(REDUCTION_EVENTS)[i]
    out = {
        "time_hypergrad_mean": hg[i] / n_hg,
        "matmult": mm / n_hg,
        "vecscatter": sc / n_hg,
        "reduction": red / n_hg,
        "other": (hg[i] - mm - red) / n_hg,
        "time_lower_solve": per_rank(("HGLowerSolve",))[i] / n_hg,
        "time_adjoint_solve": per_rank(("HGAdjoint",))[i] / n_hg,
        "matmult_petsc": per_rank(MATMULT_EVENTS)[i] / n_hg,
    }
    return out, warn


def error_excerpt(text, nmax=40):
    """The part of a failed run's output worth showing: PETSc's error message without its
    configure line and option table, or else the last lines."""
    lines = text.splitlines()
    petsc = [l for l in lines if "PETSC ERROR:" in l]
    if not petsc:
        return "\n".join(lines[-nmax:])
    keep, seen, in_table = [], set(), False
    for l in petsc:
        body = l.split("PETSC ERROR:", 1)[1].strip()
        if body.startswith("PETSc Option Table entries"):
            in_table = True
            continue
        if in_table and body.startswith("-"):
            continue
        in_table = False
        if body.startswith(("Configure options", "See https://petsc.org", "Petsc Release Version", "----")) or " on a " in body:
            continue
        if body and body not in seen:  # every rank prints the same message
            seen.add(body)
            keep.append(l)
    return "\n".join(keep[:nmax])


def wait_for_load(args, log):
    """Waits until the 1-minute load average is at most --max-load (or --max-wait passed)."""
    if args.max_load <= 0:
        return
    t0 = time.time()
    while os.getloadavg()[0] > args.max_load:
        if time.time() - t0 > args.max_wait:
            sys.stderr.write("%s: warning: the load average is still %.2f > --max-load %g after %g s; running anyway\n" %
                             (PROG, os.getloadavg()[0], args.max_load, args.max_wait))
            return
        time.sleep(5)
    if time.time() - t0 > 1:
        log("  waited %.0f s for the load average to drop to %.2f" % (time.time() - t0, os.getloadavg()[0]))


def launch(args, app, launcher, n, app_args, weak, workdir, tag, log):
    bench_csv = os.path.join(workdir, "bench-%s.csv" % tag)
    log_csv = os.path.join(workdir, "log-%s.csv" % tag)
    for f in (bench_csv, log_csv):
        if os.path.exists(f):
            os.remove(f)
    cmd = launcher + ["-n", str(n), app] + list(app_args)
    for name, v in weak:
        cmd += [name, str(v * n)]
    cmd += ["-bench_t", str(args.t), "-bench_k", str(args.k), "-bench_reps", str(args.reps),
            "-bench_csv", bench_csv, "-log_view", ":%s:ascii_csv" % log_csv]
    if not any(a.split("=", 1)[0] == "-bench_triad_n" for a in app_args):
        cmd += ["-bench_triad_n", "100000"]  # the triad is not needed here; keep it short
    load1 = os.getloadavg()[0]
    log("  %s" % " ".join(shlex.quote(c) for c in cmd))
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                           timeout=args.timeout if args.timeout > 0 else None)
    except subprocess.TimeoutExpired:
        raise ToolError("the run at %d rank%s took longer than --timeout %g s:\n  %s" %
                        (n, "s" if n > 1 else "", args.timeout, " ".join(cmd)))
    except OSError as e:
        raise ToolError("could not start %s: %s" % (cmd[0], e.strerror))
    with open(os.path.join(workdir, "out-%s.txt" % tag), "w") as f:
        f.write(p.stdout)
        f.write(p.stderr)
    if p.returncode != 0:
        tail = error_excerpt(p.stderr.strip() or p.stdout.strip())
        raise ToolError("the run at %d rank%s failed (exit status %d):\n  %s\n--- its output ---\n%s" %
                        (n, "s" if n > 1 else "", p.returncode, " ".join(cmd), tail))
    row = read_bench_csv(bench_csv)
    bd, warn = breakdown(read_log_csv(log_csv), log_csv, int(row["hypergradients"]) if row.get("hypergradients") else None)
    if int(row["ranks"]) != n:
        raise ToolError("the app ran on %s ranks, not %d: check --mpiexec" % (row["ranks"], n))
    t, k = int(row["t"]), int(row["k"])
    res = {
        "ranks": n,
        "problem": row["problem"],
        "method": row["method"] + ("-" + row["ksp"] if row.get("ksp") else "") + "/" + row.get("lower", ""),
        "time_hypergrad": float(row["time_hypergrad"]),
        "time_lower_it": float(row["time_lower"]) / t if t > 0 else float("nan"),
        "time_adjoint_it": float(row["time_adjoint"]) / k if k > 0 else float("nan"),
        "t": t,
        "k": k,
        "reason": row["reason"],
        "load1": load1,
        "solves_min": float(row["time_solves_min"]) if row.get("time_solves_min") else float("nan"),
        "solves_max": float(row["time_solves_max"]) if row.get("time_solves_max") else float("nan"),
    }
    res.update(bd)
    return res, warn


def with_value(app_args, name, value):
    """app_args with the value of option name set to value (appended when absent)"""
    out, i, found = [], 0, False
    while i < len(app_args):
        a = app_args[i]
        if a == name and i + 1 < len(app_args):
            out += [name, str(value)]
            i += 2
            found = True
            continue
        if a.startswith(name + "="):
            out.append("%s=%s" % (name, value))
            found = True
        else:
            out.append(a)
        i += 1
    if not found:
        out += [name, str(value)]
    return out


def launch_ceiling(args, app, launcher, n, app_args, workdir, tag, log):
    """The machine's ceiling for n processes: one 1-rank launch with each --ceiling option at
    TOTAL/n alone (pinned to CPU 0), then n of them at once (CPU i each) timing together through
    -bench_sync.  Returns (T_alone, T_together = the slowest of the n)."""
    per = list(app_args)
    for name, total in args.ceil:
        per = with_value(per, name, total // n)
    ncpu = os.cpu_count() or 1
    base = launcher + ["--bind-to", "none", "-n", "1", app] + per + [
        "-bench_t", str(args.t), "-bench_k", str(args.k), "-bench_reps", str(args.reps)]

    def start(i, extra):
        f = os.path.join(workdir, "bench-%s-p%d.csv" % (tag, i))
        if os.path.exists(f):
            os.remove(f)
        cmd = ["taskset", "-c", str(i % ncpu)] + base + ["-bench_csv", f] + extra
        log("  %s" % " ".join(shlex.quote(c) for c in cmd))
        try:
            return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True), f, cmd
        except OSError as e:
            raise ToolError("could not start %s: %s" % (cmd[0], e.strerror))

    def finish(procs):
        times = []
        for p, f, cmd in procs:
            try:
                out, _ = p.communicate(timeout=args.timeout if args.timeout > 0 else None)
            except subprocess.TimeoutExpired:
                for q, _, _ in procs:
                    q.kill()
                raise ToolError("a --ceiling launch took longer than --timeout %g s:\n  %s" % (args.timeout, " ".join(cmd)))
            if p.returncode != 0:
                raise ToolError("a --ceiling launch failed (exit status %d):\n  %s\n--- its output ---\n%s" %
                                (p.returncode, " ".join(cmd), error_excerpt(out.strip())))
            row = read_bench_csv(f)
            if not row.get("time_reps"):
                raise ToolError("--ceiling needs an app that writes time_reps and knows -bench_sync (hgmultibench): %s" % cmd[cmd.index("-n") + 2])
            times.append([float(x) for x in row["time_reps"].split(";")])
        return times

    alone = min(finish([start(0, [])])[0])
    prefix = os.path.join(workdir, "sync-%s" % tag)
    reps = finish([start(i, ["-bench_sync", prefix, "-bench_sync_n", str(n)]) for i in range(n)])
    # hypergradient r ran at the same time in every launch: its time is the slowest launch's
    per = [max(t[r] for t in reps) for r in range(args.reps)]
    together = [min(t) for t in reps]
    for fn in os.listdir(workdir):
        if fn.startswith("sync-%s." % tag):
            os.remove(os.path.join(workdir, fn))
    log("  ceiling for %d processes: alone %.4e s, together %.4e s (slowest of the %d launches; their fastest %s s): %.3f" %
        (n, alone, min(per), n, "/".join("%.4e" % t for t in together), n * alone / min(per)))
    return alone, min(per)


def add_ratios(rows, weak):
    base = rows[0]
    b, tb = base["ranks"], base["time_hypergrad"]
    for r in rows:
        n, tn = r["ranks"], r["time_hypergrad"]
        if weak:
            r["speedup"] = (n / b) * tb / tn
            r["efficiency"] = tb / tn
        else:
            r["speedup"] = tb / tn
            r["efficiency"] = r["speedup"] * b / n


def fmt(v):
    if isinstance(v, float):
        return "%.6e" % v if math.isfinite(v) else "nan"
    return str(v)


def write_csv(path, rows):
    try:
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            for r in rows:
                w.writerow([fmt(r[c]) for c in COLUMNS])
    except OSError as e:
        raise ToolError("cannot write the CSV %s: %s" % (path, e.strerror))


def plot(path, rows, weak, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ToolError("the plot needs matplotlib (Debian: apt-get install python3-matplotlib), or give --no-plot")
    ranks = [r["ranks"] for r in rows]
    b = ranks[0]
    fig, ax = plt.subplots(1, 3, figsize=(14, 4))
    ax[0].plot(ranks, [r["speedup"] for r in rows], "o-", label="measured")
    ax[0].plot(ranks, [n / b for n in ranks], "k--", label="ideal")
    if any(math.isfinite(r.get("ceiling", float("nan"))) for r in rows):
        ax[0].plot(ranks, [1.0 if r["ranks"] == b else r["ceiling"] for r in rows], "s:", color="tab:red",
                   label="machine ceiling (independent processes)")
    ax[0].set_xlabel("MPI ranks")
    ax[0].set_ylabel("scaled speedup" if weak else "speedup")
    ax[0].set_title("weak scaling: speedup" if weak else "strong scaling: speedup")
    ax[0].legend(fontsize="small", loc="upper left")
    ax[1].plot(ranks, [r["efficiency"] for r in rows], "o-", label="measured")
    ax[1].axhline(1.0, color="k", ls="--", label="ideal")
    ax[1].set_ylim(0, max(1.1, max(r["efficiency"] for r in rows) * 1.1))
    ax[1].set_xlabel("MPI ranks")
    ax[1].set_ylabel("efficiency")
    ax[1].set_title("parallel efficiency")
    ax[1].legend()
    # Where a hypergradient's time goes (means over the repetitions), stacked
    x = list(range(len(rows)))
    parts = [("operator products (compute)", [max(r["matmult"] - r["vecscatter"], 0.0) for r in rows]),
             ("VecScatter", [r["vecscatter"] for r in rows]),
             ("reductions", [r["reduction"] for r in rows]),
             ("other", [max(r["other"], 0.0) for r in rows])]
    bottom = [0.0] * len(rows)
    for label, vals in parts:
        ax[2].bar(x, vals, bottom=bottom, label=label)
        bottom = [u + v for u, v in zip(bottom, vals)]
    ax[2].set_xticks(x)
    ax[2].set_xticklabels([str(n) for n in ranks])
    ax[2].set_xlabel("MPI ranks")
    ax[2].set_ylabel("seconds per hypergradient (mean)")
    ax[2].set_title("breakdown (PETSc log)")
    ax[2].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for a in ax[:2]:
        a.set_xticks(ranks)
        a.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100, bbox_inches="tight")
    except OSError as e:
        raise ToolError("cannot write the plot %s: %s" % (path, e.strerror))
    plt.close(fig)


def main(argv):
    mine, app_args = split_argv(argv)
    parser = build_parser()
    args = parser.parse_args(mine)
    try:
        ranks = parse_ranks(args.ranks)
        weak = check_args(args, app_args)
    except ToolError as e:
        parser.print_usage(sys.stderr)
        die(str(e), 2)
    log = (lambda s: None) if args.quiet else (lambda s: print(s, flush=True))
    env_defaults = {"OPENBLAS_NUM_THREADS": "1"}
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # Open MPI refuses root without these
        env_defaults.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"})
    for k, v in env_defaults.items():
        os.environ.setdefault(k, v)
    tmp = None
    try:
        app, launcher = find_app(args)
        if args.workdir:
            workdir = args.workdir
            try:
                os.makedirs(workdir, exist_ok=True)
            except OSError as e:
                raise ToolError("cannot create --workdir %s: %s" % (workdir, e.strerror))
        else:
            tmp = tempfile.mkdtemp(prefix="hgscale-")
            workdir = tmp
        best = {}
        alltimes = {n: [] for n in ranks}
        ceil = {n: [[], []] for n in ranks[1:]} if args.ceil else {}
        if args.ceil and not shutil.which("taskset"):
            raise ToolError("--ceiling pins its launches with taskset (Debian: util-linux), which is not on PATH")
        for run in range(args.runs):
            order = ranks if run % 2 == 0 else ranks[::-1]  # 1,2 then 2,1: a slow phase hits both
            for n in order:
                if n in ceil:
                    wait_for_load(args, log)
                    a, t = launch_ceiling(args, app, launcher, n, app_args, workdir, "ceil-np%d-run%d" % (n, run + 1), log)
                    ceil[n][0].append(a)
                    ceil[n][1].append(t)
                log("%s: %s scaling, %d rank%s, run %d of %d (load average %.2f)" %
                    (PROG, "weak" if args.weak else "strong", n, "s" if n > 1 else "", run + 1, args.runs, os.getloadavg()[0]))
                wait_for_load(args, log)
                res, warn = launch(args, app, launcher, n, app_args, weak, workdir, "np%d-run%d" % (n, run + 1), log)
                if warn:
                    sys.stderr.write("%s: warning: %s\n" % (PROG, warn))
                alltimes[n].append(res["time_hypergrad"])
                log("  time per hypergradient %.4e s (t = %d, k = %d, %s)" % (res["time_hypergrad"], res["t"], res["k"], res["reason"]))
                if n not in best or res["time_hypergrad"] < best[n]["time_hypergrad"]:
                    best[n] = res
        rows = [best[n] for n in ranks]
        for r in rows:
            n = r["ranks"]
            r["mode"] = "weak" if args.weak else "strong"
            r["size_option"] = ";".join(name for name, _ in weak)
            r["size"] = ";".join(str(v * n) for _, v in weak)
            r["runs"] = args.runs
            r["time_hypergrad_all"] = ";".join("%.6e" % x for x in alltimes[n])
            if n in ceil:  # the best of the runs, each of alone and together
                r["ceiling_alone"], r["ceiling_together"] = min(ceil[n][0]), min(ceil[n][1])
                r["ceiling"] = n * r["ceiling_alone"] / r["ceiling_together"]
            else:
                r["ceiling"] = r["ceiling_alone"] = r["ceiling_together"] = float("nan")
        add_ratios(rows, args.weak)
        write_csv(args.csv, rows)
        log("%s: wrote %s" % (PROG, args.csv))
        if not args.no_plot:
            png = args.png or (os.path.splitext(args.csv)[0] + ".png")
            r0 = rows[0]
            title = args.title or "%s, %s, t = %d, k = %d (%s scaling)" % (r0["problem"], r0["method"], r0["t"], r0["k"], r0["mode"])
            plot(png, rows, args.weak, title)
            log("%s: wrote %s" % (PROG, png))
        log("%6s %12s %12s %12s %10s %10s %10s %10s %8s %8s %8s" % ("ranks", "hypergrad", "lower it", "adjoint it", "MatMult",
                                                                     "VecScat", "reduct", "other", "speedup", "effic", "ceiling"))
        for r in rows:
            log("%6d %12.4e %12.4e %12.4e %10.3e %10.3e %10.3e %10.3e %8.3f %8.3f %8.3f" % (
                r["ranks"], r["time_hypergrad"], r["time_lower_it"], r["time_adjoint_it"], r["matmult"], r["vecscatter"],
                r["reduction"], r["other"], r["speedup"], r["efficiency"], r["ceiling"]))
    except ToolError as e:
        die(str(e), 1)
    except KeyboardInterrupt:
        die("interrupted", 130)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
