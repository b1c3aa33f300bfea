#!/usr/bin/python3
"""t911-hgreport-hgrun: apps/hgreport.py on a run file written by hgrun itself.

usage: t911-hgreport-hgrun.py HGREPORT HGRUN MPIEXEC [MPIEXEC_FLAGS...]

Runs 15 Nesterov steps of hgrun on the quadratic problem on 2 ranks with a checkpoint, then
checks hgreport's summary against the file read here with h5py (independently of hgreport's
reader) and against hgrun's own closing line (f, |h|, total lower and adjoint iterations); the
history PNG is a PNG.  Silent on success; exit 77 when h5py/numpy/matplotlib are missing.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import h5py
    import matplotlib  # noqa: F401
    import numpy as np
except ImportError:
    print("t911-hgreport-hgrun: skipped: python3-h5py / python3-numpy / python3-matplotlib are not installed")
    sys.exit(77)

if len(sys.argv) < 4:
    sys.stderr.write(__doc__)
    sys.exit(2)
tool, hgrun = sys.argv[1], sys.argv[2]
launcher = sys.argv[3:]
fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)


def close(a, b, rtol):
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)


def scalar(v):
    v = np.asarray(v).reshape(-1)[0]
    return v.decode() if isinstance(v, bytes) else v.item() if hasattr(v, "item") else v


tmp = tempfile.mkdtemp(prefix="t911-")
try:
    run = os.path.join(tmp, "run.h5")
    png = os.path.join(tmp, "run.png")
    cmd = launcher + ["-n", "2", hgrun, "-problem", "quadratic", "-hg_type", "aid", "-hg_ksp_type", "cg", "-lower_max_it", "50",
                      "-outer_type", "nesterov", "-outer_step", "0.01", "-outer_max_it", "15", "-outer_checkpoint", run]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
    if p.returncode != 0:
        print("t911-hgreport-hgrun: FAIL: hgrun failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stdout[-3000:]))
        sys.exit(1)
    # hgrun's closing line: "... f <f> |h| <h> ..., <L> lower and <A> adjoint iterations in all"
    m = re.search(r"\bf ([-+0-9.eE]+) \|h\| ([-+0-9.eE]+).*?(\d+) lower and (\d+) adjoint iterations", p.stdout)
    check(m is not None, "hgrun's closing line not found in:\n" + p.stdout[-2000:])

    q = subprocess.run([sys.executable, tool, run, "--png", png], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=60)
    check(q.returncode == 0, "hgreport failed (%d): %s" % (q.returncode, q.stderr))
    s = {}
    for line in q.stdout.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            s[k.strip()] = v.strip()

    with h5py.File(run, "r") as f:
        a = {k: scalar(f.attrs[k]) for k in f.attrs}
        hist = {k: np.asarray(f["history"][k][()]).reshape(-1) for k in f["history"]}
    n = len(hist["iteration"])
    check(n == 15, "the history has %d records, expected 15" % n)
    exact = {"problem": "quadratic", "ranks": "2", "iterations": str(a["iteration"]), "history records": str(n),
             "reason": str(a["reason"]), "methods": "outer nesterov, hypergradient aid, lower gd",
             "total lower its": "%d" % hist["lower_its"].sum(), "total adjoint its": "%d" % hist["adjoint_its"].sum()}
    for k, v in exact.items():
        check(s.get(k) == v, "%s = '%s', expected '%s'" % (k, s.get(k), v))
    for k, v in (("final objective", hist["upper_objective"][-1]), ("hypergradient norm", hist["hypergradient_norm"][-1]),
                 ("elapsed", a["elapsed"])):
        try:
            got = float(s.get(k, "nan").split()[0])
        except ValueError:
            got = float("nan")
        check(close(got, float(v), 1e-5 if k == "elapsed" else 1e-9), "%s = %s, expected %.10g" % (k, s.get(k), v))  # elapsed: 6 digits
    check(s.get("val accuracy") == "n/a", "val accuracy %s for the quadratic problem" % s.get("val accuracy"))
    if m:
        check(close(float(s.get("final objective", "nan")), float(m.group(1)), 1e-9), "final objective %s, hgrun said %s" % (s.get("final objective"), m.group(1)))
        check(close(float(s.get("hypergradient norm", "nan")), float(m.group(2)), 1e-4), "|h| %s, hgrun said %s" % (s.get("hypergradient norm"), m.group(2)))
        check(s.get("total lower its") == m.group(3) and s.get("total adjoint its") == m.group(4),
              "totals %s / %s, hgrun said %s / %s" % (s.get("total lower its"), s.get("total adjoint its"), m.group(3), m.group(4)))
    try:
        with open(png, "rb") as f:
            check(f.read(8) == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % png)
    except OSError:
        check(False, "no plot %s" % png)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

for msg in fails:
    print("t911-hgreport-hgrun: FAIL: " + msg)
sys.exit(1 if fails else 0)
