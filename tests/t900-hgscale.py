#!/usr/bin/python3
"""t900-hgscale: apps/hgscale.py on a tiny sparse logreg problem, strong and weak, at 1 and 2 ranks.

usage: t900-hgscale.py HGSCALE HGBENCH MPIEXEC [MPIEXEC_FLAGS...]

Checks: the CSV has one row per rank count and the documented columns; the speedup and the
efficiency equal the ratios of the times in the same CSV (recomputed here); the breakdown adds
up (matmult + reduction + other = mean time per hypergradient); the weak size column is the
per-rank value times the ranks; the PNG is a PNG; with hgmultibench and --ceiling the runs
alternate 1,2,2,1, the ceiling is 2 T_alone / T_together of its own columns and the per-rank
solve times are positive and ordered; bad input gives a non-zero exit and a message
that names what is wrong.  Silent on success; exit 77 when numpy/matplotlib are missing.
"""
import csv
import math
import os
import shutil
import subprocess
import sys
import tempfile

fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)


def close(a, b, rtol=1e-5):
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)


try:
    import matplotlib  # noqa: F401
    import numpy  # noqa: F401
except ImportError:
    print("t900-hgscale: skipped: python3-numpy / python3-matplotlib are not installed")
    sys.exit(77)

if len(sys.argv) < 4:
    sys.stderr.write(__doc__)
    sys.exit(2)
tool, app = sys.argv[1], sys.argv[2]
launcher = " ".join(sys.argv[3:])
problem = ["-problem", "logreg", "-lr_sparse", "-lr_p", "60", "-lr_nval", "100", "-lr_nnz_per_row", "5",
           "-hg_type", "aid", "-hg_ksp_type", "cg"]
COLUMNS = ["ranks", "problem", "time_hypergrad", "time_lower_it", "time_adjoint_it", "matmult", "vecscatter", "reduction",
           "other", "speedup", "efficiency"]

tmp = tempfile.mkdtemp(prefix="t900-")


def run(args):
    return subprocess.run([sys.executable, tool] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120)


def read_csv(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        rows = [dict(zip(header, row)) for row in r]
    return header, rows


def is_png(path):
    try:
        with open(path, "rb") as f:
            return f.read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 1000
    except OSError:
        return False


try:
    for mode in ("strong", "weak"):
        out_csv = os.path.join(tmp, mode + ".csv")
        out_png = os.path.join(tmp, mode + ".png")
        args = ["--ranks", "2,1", "--t", "10", "--reps", "2", "--app", app, "--mpiexec", launcher, "--csv", out_csv,
                "--png", out_png, "--quiet"]
        if mode == "weak":
            args += ["--weak", "--weak-option", "-lr_ntrain=80", "--"] + problem
        else:
            args += ["--"] + problem + ["-lr_ntrain", "160"]
        p = run(args)
        check(p.returncode == 0, "%s: hgscale failed (%d): %s" % (mode, p.returncode, p.stderr))
        if p.returncode != 0:
            continue
        check(p.stdout == "", "%s: --quiet printed: %s" % (mode, p.stdout))
        header, rows = read_csv(out_csv)
        check(header[:len(COLUMNS)] == COLUMNS, "%s: CSV columns %s, expected to start with %s" % (mode, header, COLUMNS))
        check([int(r["ranks"]) for r in rows] == [1, 2], "%s: CSV rows for ranks %s, expected 1, 2" % (mode, [r["ranks"] for r in rows]))
        if len(rows) != 2:
            continue
        t1, t2 = float(rows[0]["time_hypergrad"]), float(rows[1]["time_hypergrad"])
        s_exp = 2 * t1 / t2 if mode == "weak" else t1 / t2
        e_exp = t1 / t2 if mode == "weak" else t1 / t2 / 2
        check(close(float(rows[0]["speedup"]), 1.0) and close(float(rows[0]["efficiency"]), 1.0),
              "%s: base row speedup/efficiency %s/%s, expected 1" % (mode, rows[0]["speedup"], rows[0]["efficiency"]))
        check(close(float(rows[1]["speedup"]), s_exp), "%s: speedup %s, expected %g from the times" % (mode, rows[1]["speedup"], s_exp))
        check(close(float(rows[1]["efficiency"]), e_exp), "%s: efficiency %s, expected %g" % (mode, rows[1]["efficiency"], e_exp))
        for r in rows:
            n = int(r["ranks"])
            vals = {c: float(r[c]) for c in COLUMNS if c not in ("ranks", "problem")}
            check(all(math.isfinite(v) for v in vals.values()), "%s, %d ranks: non-finite values %s" % (mode, n, vals))
            check(r["problem"] == "logreg", "%s: problem column '%s'" % (mode, r["problem"]))
            check(int(r["t"]) == 10 and int(r["k"]) == 10, "%s: t, k = %s, %s, expected 10, 10" % (mode, r["t"], r["k"]))
            check(vals["time_hypergrad"] > 0 and vals["time_lower_it"] > 0 and vals["time_adjoint_it"] > 0 and vals["matmult"] > 0,
                  "%s, %d ranks: times not positive %s" % (mode, n, vals))
            # The lower and adjoint iterations are part of one hypergradient
            check(vals["time_lower_it"] * 10 + vals["time_adjoint_it"] * 10 <= vals["time_hypergrad"] * 1.0001,
                  "%s, %d ranks: lower + adjoint time exceeds the hypergradient time" % (mode, n))
            mean = float(r["time_hypergrad_mean"])
            check(close(vals["matmult"] + vals["reduction"] + vals["other"], mean, 1e-4),
                  "%s, %d ranks: matmult + reduction + other = %g, mean time %g" % (mode, n, vals["matmult"] + vals["reduction"] + vals["other"], mean))
            # The fastest (between barriers, slowest rank) and the mean of HGCompute agree up to the
            # barrier and the spread of the repetitions
            check(0.8 * vals["time_hypergrad"] <= mean, "%s, %d ranks: mean %g far below the fastest %g" % (mode, n, mean, vals["time_hypergrad"]))
            # One rank has no communication; two ranks scatter inside MatMult
            if n == 1:
                check(vals["vecscatter"] == 0, "%s: VecScatter time %g on one rank" % (mode, vals["vecscatter"]))
            else:
                check(0 < vals["vecscatter"] < vals["matmult"], "%s: VecScatter %g not inside MatMult %g" % (mode, vals["vecscatter"], vals["matmult"]))
            check(r["mode"] == mode, "%s: mode column '%s'" % (mode, r["mode"]))
            if mode == "weak":
                check(r["size_option"] == "-lr_ntrain" and int(r["size"]) == 80 * n,
                      "weak, %d ranks: size %s %s, expected -lr_ntrain %d" % (n, r["size_option"], r["size"], 80 * n))
        check(is_png(out_png), "%s: %s is not a PNG" % (mode, out_png))

    # hgmultibench with --ceiling: interleaved 1,2,2,1 order, the ceiling from its own columns,
    # the per-rank solve times
    mapp = os.path.join(os.path.dirname(app), "hgmultibench")
    out_csv = os.path.join(tmp, "ceiling.csv")
    p = run(["--ranks", "1,2", "--t", "5", "--reps", "2", "--runs", "2", "--ceiling", "-multi_n=4", "--app", mapp,
             "--mpiexec", launcher, "--csv", out_csv, "--no-plot", "--", "-multi_n", "4", "-sub_problem", "logreg",
             "-sub_lr_p", "20", "-sub_lr_ntrain", "200", "-sub_lr_nval", "20"])
    check(p.returncode == 0, "ceiling: hgscale failed (%d): %s" % (p.returncode, p.stderr))
    if p.returncode == 0:
        order = [l.split(",")[1].split()[0] for l in p.stdout.splitlines() if l.startswith("hgscale: strong scaling,")]
        check(order == ["1", "2", "2", "1"], "ceiling: launch order %s, expected 1, 2, 2, 1" % order)
        check(p.stdout.count("-bench_sync_n 2") == 4, "ceiling: expected 2 runs x 2 launches timing together:\n" + p.stdout)
        header, rows = read_csv(out_csv)
        r1, r2 = rows[0], rows[1]
        check(all(math.isnan(float(r1[c])) for c in ("ceiling", "ceiling_alone", "ceiling_together")),
              "ceiling: the base row has ceiling values %s" % [r1[c] for c in ("ceiling", "ceiling_alone", "ceiling_together")])
        a, t, c = float(r2["ceiling_alone"]), float(r2["ceiling_together"]), float(r2["ceiling"])
        check(a > 0 and t > 0 and close(c, 2 * a / t), "ceiling: %g, expected 2 x %g / %g" % (c, a, t))
        for r in rows:
            lo, hi = float(r["solves_min"]), float(r["solves_max"])
            check(0 < lo <= hi <= float(r["time_hypergrad_mean"]) * 1.5,
                  "ceiling, %s ranks: solves per rank %g..%g against %s per hypergradient" % (r["ranks"], lo, hi, r["time_hypergrad_mean"]))

    # Bad input: non-zero exit and a message that says what is wrong
    out_csv = os.path.join(tmp, "bad.csv")
    if os.path.exists(out_csv):
        os.remove(out_csv)
    cases = [
        (["--ranks", "1,x", "--app", app, "--csv", out_csv], 2, "--ranks"),
        (["--ranks", "1", "--app", os.path.join(tmp, "nosuchapp"), "--csv", out_csv], 1, "nosuchapp"),
        (["--ranks", "1", "--weak", "--app", app, "--csv", out_csv], 2, "--weak-option"),
        (["--ranks", "1", "--app", app, "--csv", out_csv, "--", "-bench_t", "5"], 2, "-bench_t"),
        (["--ranks", "1,2", "--ceiling", "-multi_n=3", "--app", app, "--csv", out_csv], 2, "divide"),
        (["--ranks", "1,2", "--weak", "--weak-option", "-multi_n=2", "--ceiling", "-multi_n=4", "--app", app, "--csv", out_csv], 2, "--ceiling"),
        (["--ranks", "1,2", "--ceiling", "multi_n", "--app", app, "--csv", out_csv], 2, "--ceiling"),
        (["--ranks", "1", "--app", app, "--mpiexec", launcher, "--csv", out_csv, "--", "-problem", "nosuchproblem"], 1, "nosuchproblem"),
    ]
    for args, code, word in cases:
        p = run(args)
        check(p.returncode == code, "%s: exit %d, expected %d" % (args, p.returncode, code))
        check(word in p.stderr and "error" in p.stderr, "%s: message does not name %s: %s" % (args, word, p.stderr))
    check(not os.path.exists(out_csv), "a failed study wrote %s" % out_csv)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

for m in fails:
    print("t900-hgscale: FAIL: " + m)
sys.exit(1 if fails else 0)
