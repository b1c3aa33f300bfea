#!/usr/bin/python3
"""t910-hgreport: apps/hgreport.py on run files written here with h5py in the layout of
include/hypergrad/hgservice.h, and on damaged files.

usage: t910-hgreport.py HGREPORT

Checks: the printed summary (problem, methods, ranks, iterations, final objective, accuracies,
hypergradient norm, elapsed time, total lower / adjoint iterations, reason) equals what was
written, for fixed- and variable-length string attributes, 1-D and (n, 1) datasets, a reason
stored as text or as a number, a problem without accuracy, with and without the attributes
hgrun adds (complete, nhistory, totals); the history PNG is a PNG.  A truncated file, an empty
file, a text file, an HDF5 file that is not a run file, one with another format, history
lengths that differ, a dimension that disagrees with /lambda, complete = 0 and a wrong nhistory
each give exit 1 and a message that names the file.
Silent on success; exit 77 when h5py/numpy/matplotlib are missing.
"""
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import h5py
    import matplotlib  # noqa: F401
    import numpy as np
except ImportError:
    print("t910-hgreport: skipped: python3-h5py / python3-numpy / python3-matplotlib are not installed")
    sys.exit(77)

if len(sys.argv) != 2:
    sys.stderr.write(__doc__)
    sys.exit(2)
tool = sys.argv[1]
fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)


def close(a, b, rtol=1e-9):
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)


NAMES = ("iteration", "time", "upper_objective", "hypergradient_norm", "step", "lower_its", "adjoint_its", "lower_residual",
         "adjoint_residual", "val_accuracy", "test_accuracy", "bound")


def history(n, accuracy):
    it = np.arange(1, n + 1, dtype=float)
    h = {
        "iteration": it,
        "time": 0.37 * it,
        "upper_objective": 0.69 * np.exp(-0.1 * it) + 0.2,
        "hypergradient_norm": 10.0 ** (-0.3 * it),
        "step": np.full(n, 0.5),
        "lower_its": np.where(it == 1, 100.0, 17.0 + it % 3),
        "adjoint_its": np.where(it == 1, 100.0, 11.0 + it % 2),
        "lower_residual": 1e-6 * it,
        "adjoint_residual": 1e-7 * it,
        "val_accuracy": 0.7 + 0.01 * it if accuracy else np.full(n, np.nan),
        "test_accuracy": 0.68 + 0.011 * it if accuracy else np.full(n, np.nan),
        "bound": np.full(n, np.nan),
    }
    return h


def write_run(path, n=12, strings="fixed", trailing=False, reason="CONVERGED_ITS", accuracy=True, dim_lambda=7, dim_w=30,
              lengths_ok=True, fmt="hypergrad-run", extra=None):
    h = history(n, accuracy)

    def vec(a):
        return a.reshape(-1, 1) if trailing else a

    def sattr(f, k, v):
        if strings == "fixed":
            f.attrs.create(k, np.bytes_(v.encode()))  # fixed length, as PetscViewerHDF5 writes
        else:
            f.attrs.create(k, v, dtype=h5py.string_dtype())

    with h5py.File(path, "w") as f:
        f.create_dataset("lambda", data=vec(np.linspace(0.5, 1.5, dim_lambda)))
        f.create_dataset("w", data=vec(np.arange(dim_w, dtype=float)))
        f.create_dataset("v", data=vec(np.ones(dim_w)))
        f.create_dataset("outer/lambda_prev", data=vec(np.linspace(0.5, 1.5, dim_lambda)))
        for k in NAMES:
            a = h[k] if lengths_ok or k != "adjoint_its" else h[k][:-1]
            f.create_dataset("history/" + k, data=vec(a))
        if fmt is not None:
            sattr(f, "format", fmt)
        for k, v in (("version", "0.4.0"), ("problem", "logreg"), ("hg_type", "aid"), ("lower_type", "gd"),
                     ("outer_type", "nesterov"), ("options", "-problem logreg -outer_max_it %d" % n)):
            sattr(f, k, v)
        if isinstance(reason, str):
            sattr(f, "reason", reason)
        else:
            f.attrs.create("reason", np.int32(reason))
        f.attrs.create("nranks", np.int32(3))
        f.attrs.create("iteration", np.int32(n))
        f.attrs.create("dim_lambda", np.int32(dim_lambda))
        f.attrs.create("dim_w", np.int32(dim_w))
        f.attrs.create("elapsed", np.float64(0.37 * n + 0.05))
        f.attrs.create("step", np.float64(0.5))
        for k, v in (extra or {}).items():  # what hgrun adds: complete (last), nhistory, totals
            f.attrs.create(k, np.int32(v))
    return h


def run(args):
    return subprocess.run([sys.executable, tool] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)


def summary(text):
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def is_png(path):
    try:
        with open(path, "rb") as f:
            return f.read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 1000
    except OSError:
        return False


tmp = tempfile.mkdtemp(prefix="t910-")
try:
    hgrun_attrs = dict(nhistory=12, total_lower_its=298, total_adjoint_its=226, complete=1)
    variants = [dict(strings="fixed", trailing=False, reason="CONVERGED_ITS", accuracy=True, extra=hgrun_attrs),
                dict(strings="variable", trailing=True, reason=2, accuracy=True),
                dict(strings="fixed", trailing=True, reason="STOPPED_SIGNAL", accuracy=False, n=1)]
    for i, var in enumerate(variants):
        path = os.path.join(tmp, "run%d.h5" % i)
        png = os.path.join(tmp, "run%d.png" % i) if i != 1 else os.path.join(tmp, "run1-history.png")  # the default name
        h = write_run(path, **var)
        p = run([path, "--png", png] if i != 1 else [path])
        check(p.returncode == 0, "variant %d: hgreport failed (%d): %s" % (i, p.returncode, p.stderr))
        if p.returncode:
            continue
        s = summary(p.stdout)
        n = len(h["iteration"])
        want_reason = {"CONVERGED_ITS": "CONVERGED_ITS", 2: "CONVERGED_GATOL (2)", "STOPPED_SIGNAL": "STOPPED_SIGNAL"}[var["reason"]]
        exact = {"problem": "logreg", "methods": "outer nesterov, hypergradient aid, lower gd", "ranks": "3",
                 "iterations": str(n), "history records": str(n), "dim lambda": "7", "dim w": "30", "reason": want_reason,
                 "total lower its": "%d" % h["lower_its"].sum(), "total adjoint its": "%d" % h["adjoint_its"].sum()}
        for k, v in exact.items():
            check(s.get(k) == v, "variant %d: %s = '%s', expected '%s'" % (i, k, s.get(k), v))
        numeric = {"final objective": h["upper_objective"][-1], "hypergradient norm": h["hypergradient_norm"][-1],
                   "elapsed": 0.37 * n + 0.05}
        if var["accuracy"]:
            numeric["val accuracy"] = h["val_accuracy"][-1]
            numeric["test accuracy"] = h["test_accuracy"][-1]
        else:
            check(s.get("val accuracy") == "n/a" and s.get("test accuracy") == "n/a",
                  "variant %d: accuracy %s / %s for a problem without one" % (i, s.get("val accuracy"), s.get("test accuracy")))
        for k, v in numeric.items():
            try:
                got = float(s.get(k, "nan").split()[0])
            except ValueError:
                got = float("nan")
            check(close(got, v, 1e-6), "variant %d: %s = %s, expected %.10g" % (i, k, s.get(k), v))
        check(is_png(png), "variant %d: %s is not a PNG" % (i, png))

    p = run([os.path.join(tmp, "run0.h5"), "--no-plot", "--png", os.path.join(tmp, "none.png")])
    check(p.returncode == 0 and not os.path.exists(os.path.join(tmp, "none.png")), "--no-plot drew a plot")

    # Damaged and foreign files: non-zero exit and a message naming the file
    good = os.path.join(tmp, "run0.h5")
    data = open(good, "rb").read()
    bad = {}
    bad["truncated.h5"] = data[:len(data) // 2]
    bad["empty.h5"] = b""
    bad["text.h5"] = b"iteration,objective\n1,0.5\n"
    for name, content in bad.items():
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(content)
    with h5py.File(os.path.join(tmp, "foreign.h5"), "w") as f:
        f.create_dataset("x", data=np.ones(3))
    write_run(os.path.join(tmp, "otherformat.h5"), fmt="something-else")
    write_run(os.path.join(tmp, "lengths.h5"), lengths_ok=False)
    write_run(os.path.join(tmp, "incomplete.h5"), extra=dict(complete=0))
    write_run(os.path.join(tmp, "nhistory.h5"), extra=dict(nhistory=13, complete=1))
    write_run(os.path.join(tmp, "dims.h5"), dim_lambda=7)
    with h5py.File(os.path.join(tmp, "dims.h5"), "a") as f:
        f.attrs["dim_lambda"] = np.int32(8)
    cases = {"truncated.h5": "truncated", "empty.h5": "HDF5", "text.h5": "not an HDF5 file", "foreign.h5": "not a hypergrad run file",
             "otherformat.h5": "something-else", "lengths.h5": "different lengths", "dims.h5": "dim_lambda",
             "incomplete.h5": "incomplete", "nhistory.h5": "nhistory",
             "missing.h5": "does not exist"}
    for name, word in cases.items():
        path = os.path.join(tmp, name)
        p = run([path, "--no-plot"])
        check(p.returncode == 1, "%s: exit %d, expected 1" % (name, p.returncode))
        check(path in p.stderr and word in p.stderr, "%s: message does not name the file and '%s': %s" % (name, word, p.stderr.strip()))
        check("Traceback" not in p.stderr, "%s: a Python traceback instead of a message" % name)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

for m in fails:
    print("t910-hgreport: FAIL: " + m)
sys.exit(1 if fails else 0)
