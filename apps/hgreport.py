#!/usr/bin/python3
"""hgreport: summary and history plot of a hypergrad run file (HDF5 checkpoint).

  hgreport.py run.h5                   prints the summary, draws run-history.png
  hgreport.py run.h5 --png hist.png    names the plot
  hgreport.py run.h5 --no-plot         summary only

The layout it reads is the one documented at the top of include/hypergrad/hgservice.h:
/lambda, /w, /v, /history/<name> (one 1-D dataset per monitor value) and the attributes of /
(format = "hypergrad-run", problem, hg_type, lower_type, outer_type, nranks, iteration,
dim_lambda, dim_w, elapsed, step, reason, options, version).  The attributes hgrun adds are
used when present: complete (written last; 0 means the file is incomplete), nhistory (checked
against the history), total_lower_its and total_adjoint_its (else the sums of the history).
Exit status 1 with a message naming the file when it is missing, not HDF5, truncated, not a
run file or inconsistent; 2 for bad arguments.
"""

import argparse
import math
import os
import sys

PROG = "hgreport"
FORMAT = "hypergrad-run"
REQUIRED_HISTORY = ("iteration", "time", "upper_objective", "hypergradient_norm")
OPTIONAL_HISTORY = ("step", "lower_its", "adjoint_its", "lower_residual", "adjoint_residual", "val_accuracy",
                    "test_accuracy", "bound", "bound_estimated")
# HGOuterConvergedReason (include/hypergrad/hgservice.h), for files that store the reason as a number
REASONS = {1: "CONVERGED_ITS", 2: "CONVERGED_GATOL", 3: "CONVERGED_TIME", 4: "CONVERGED_TAO", 5: "STOPPED_SIGNAL",
           0: "ITERATING", -1: "DIVERGED_HG", -2: "DIVERGED_NANORINF", -3: "DIVERGED_TAO"}


class BadFile(Exception):
    """The file cannot be reported on; the message says why."""


def die(msg, code=1):
    sys.stderr.write("%s: error: %s\n" % (PROG, msg))
    sys.exit(code)


def attr_value(v):
    """An attribute as a Python scalar or string: fixed- or variable-length strings (bytes or str),
    numpy scalars and one-element arrays."""
    import numpy as np
    if isinstance(v, np.ndarray):
        if v.size == 1:
            v = v.reshape(-1)[0]
        elif v.dtype.kind in "SUO":
            v = "".join(x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in v.reshape(-1))
        else:
            return v
    if isinstance(v, (bytes, np.bytes_)):
        return bytes(v).rstrip(b"\0").decode("utf-8", "replace")
    if isinstance(v, np.generic):
        return v.item()
    return v


def as_vector(ds, name, path):
    """A dataset as a 1-D float array; a trailing dimension of size 1 (PetscViewerHDF5 with a
    block size or a time step) is tolerated."""
    import numpy as np
    try:
        a = np.asarray(ds[()])
    except Exception as e:  # h5py raises OSError/KeyError/RuntimeError for damaged data
        raise BadFile("%s: cannot read dataset %s (%s): the file is truncated or corrupt" % (path, name, e))
    while a.ndim > 1 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise BadFile("%s: dataset %s has shape %s, expected a 1-D vector" % (path, name, a.shape))
    if a.dtype.kind not in "fiub":
        raise BadFile("%s: dataset %s holds %s, expected numbers" % (path, name, a.dtype))
    return a.astype(float)


def load(path):
    """Reads and checks the run file; returns (attrs, history, vectors)."""
    try:
        import h5py
        import numpy  # noqa: F401
    except ImportError:
        raise BadFile("reading run files needs h5py and numpy (Debian: apt-get install python3-h5py python3-numpy)")
    if not os.path.exists(path):
        raise BadFile("%s does not exist" % path)
    if not os.path.isfile(path):
        raise BadFile("%s is not a regular file" % path)
    try:
        ok = h5py.is_hdf5(path)
    except OSError as e:
        raise BadFile("%s cannot be read: %s" % (path, e))
    if not ok:
        raise BadFile("%s is not an HDF5 file (no HDF5 signature): give a hypergrad run file (checkpoint)" % path)
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise BadFile("%s is truncated or corrupt: HDF5 cannot open it (%s)" % (path, e))
    try:
        with f:
            try:
                attrs = {k: attr_value(f.attrs[k]) for k in f.attrs.keys()}
            except Exception as e:
                raise BadFile("%s: cannot read the attributes of / (%s): the file is truncated or corrupt" % (path, e))
            fmt = attrs.get("format")
            if fmt != FORMAT:
                raise BadFile("%s is an HDF5 file but not a hypergrad run file: its root attribute format is %s, expected '%s'" %
                              (path, "missing" if fmt is None else "'%s'" % fmt, FORMAT))
            complete = attrs.get("complete")
            if complete is not None and complete in (0, False):
                raise BadFile("%s is an incomplete run file (attribute complete = 0): its writer stopped before the end; "
                              "use an intact copy" % path)
            if "history" not in f or not isinstance(f["history"], h5py.Group):
                raise BadFile("%s has no /history group: the run file is incomplete or corrupt" % path)
            g = f["history"]
            missing = [n for n in REQUIRED_HISTORY if n not in g]
            if missing:
                raise BadFile("%s: /history lacks %s: the run file is incomplete or corrupt" % (path, ", ".join(missing)))
            hist = {}
            for name in g.keys():
                if isinstance(g[name], h5py.Dataset):
                    hist[name] = as_vector(g[name], "/history/" + name, path)
            lengths = {n: len(v) for n, v in hist.items()}
            if len(set(lengths.values())) > 1:
                raise BadFile("%s: the /history datasets have different lengths (%s): the run file is truncated or corrupt" %
                              (path, ", ".join("%s %d" % kv for kv in sorted(lengths.items()))))
            nh = attrs.get("nhistory")
            if isinstance(nh, (int, float)) and lengths and int(nh) != list(lengths.values())[0]:
                raise BadFile("%s: the /history datasets have %d entries but the attribute nhistory says %d: the run file "
                              "is truncated or corrupt" % (path, list(lengths.values())[0], int(nh)))
            vecs = {}
            for name in ("lambda", "w", "v"):
                if name in f and isinstance(f[name], h5py.Dataset):
                    vecs[name] = as_vector(f[name], "/" + name, path)
            for name, key in (("lambda", "dim_lambda"), ("w", "dim_w")):
                if name in vecs and isinstance(attrs.get(key), (int, float)) and len(vecs[name]) != int(attrs[key]):
                    raise BadFile("%s: /%s has %d entries but the attribute %s says %d: the run file is corrupt" %
                                  (path, name, len(vecs[name]), key, int(attrs[key])))
    except BadFile:
        raise
    except Exception as e:  # anything else h5py raises on a damaged file
        raise BadFile("%s is truncated or corrupt: %s" % (path, e))
    return attrs, hist, vecs


def finite(x):
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def last(hist, name):
    a = hist.get(name)
    if a is None or len(a) == 0:
        return None
    return float(a[-1])


def summarize(path, attrs, hist, vecs):
    import numpy as np
    n = len(hist["iteration"])

    def num(x, f="%.10g"):
        return f % x if finite(x) else "n/a"

    reason = attrs.get("reason")
    if isinstance(reason, (int, float)) and not isinstance(reason, bool):
        reason = "%s (%d)" % (REASONS.get(int(reason), "unknown"), int(reason))
    lines = []
    add = lambda k, v: lines.append("%-22s %s" % (k + ":", v))
    add("file", path)
    add("problem", attrs.get("problem", "n/a"))
    add("methods", "outer %s, hypergradient %s, lower %s" % (attrs.get("outer_type", "n/a"), attrs.get("hg_type", "n/a"),
                                                                attrs.get("lower_type", "n/a")))
    add("ranks", attrs.get("nranks", "n/a"))
    add("version", attrs.get("version", "n/a"))
    it = attrs.get("iteration")
    add("iterations", it if it is not None else (int(hist["iteration"][-1]) if n else 0))
    add("history records", n)
    add("dim lambda", attrs.get("dim_lambda", len(vecs["lambda"]) if "lambda" in vecs else "n/a"))
    add("dim w", attrs.get("dim_w", len(vecs["w"]) if "w" in vecs else "n/a"))
    add("final objective", num(last(hist, "upper_objective")))
    add("val accuracy", num(last(hist, "val_accuracy")))
    add("test accuracy", num(last(hist, "test_accuracy")))
    add("hypergradient norm", num(last(hist, "hypergradient_norm")))
    el = attrs.get("elapsed")
    add("elapsed", num(el if finite(el) else last(hist, "time"), "%.6g") + " s")
    for key, name in (("lower_its", "total lower its"), ("adjoint_its", "total adjoint its")):
        a = hist.get(key)
        hsum = int(round(float(np.nansum(a)))) if a is not None and n else None
        tot = attrs.get("total_" + key)  # written by hgrun; else the sum of the history
        if isinstance(tot, (int, float)) and not isinstance(tot, bool):
            add(name, "%d" % int(tot) + ("" if hsum is None or hsum == int(tot) else " (history: %d)" % hsum))
        else:
            add(name, "%d" % hsum if hsum is not None else "n/a")
    add("step", num(attrs.get("step")))
    add("reason", reason if reason is not None else "n/a")
    if "lambda" in vecs and len(vecs["lambda"]):
        lam = vecs["lambda"]
        add("lambda", "min %.6g, max %.6g, mean %.6g" % (lam.min(), lam.max(), lam.mean()))
    return "\n".join(lines)


def plot(path, png, attrs, hist):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError:
        raise BadFile("the plot needs matplotlib (Debian: apt-get install python3-matplotlib), or give --no-plot")
    it, tm = hist["iteration"], hist["time"]
    nan = np.full(len(it), np.nan)
    get = lambda k: hist.get(k, nan)

    def draw(ax, x, series, ylabel, logy):
        any_data = False
        for label, y in series:
            m = np.isfinite(y)
            if m.any():
                ax.plot(x[m], y[m], ".-", label=label)
                any_data = True
        if not any_data:
            ax.text(0.5, 0.5, "no %s in this run" % ylabel, ha="center", va="center", transform=ax.transAxes)
            return
        ys = np.concatenate([y[np.isfinite(y)] for _, y in series])
        if logy and ys.size and (ys > 0).all() and ys.max() > 10 * ys.min():
            ax.set_yscale("log")
        ax.set_ylabel(ylabel)
        if len(series) > 1:
            ax.legend(fontsize="small")
        ax.grid(alpha=0.3)

    rows = [([("upper objective", get("upper_objective"))], "upper objective", True),
            ([("validation", get("val_accuracy")), ("test", get("test_accuracy"))], "accuracy", False),
            ([("||h||", get("hypergradient_norm"))], "hypergradient norm", True),
            ([("lower", get("lower_its")), ("adjoint", get("adjoint_its"))], "iterations per outer step", False)]
    fig, ax = plt.subplots(len(rows), 2, figsize=(11, 3 * len(rows)), squeeze=False)
    for i, (series, ylabel, logy) in enumerate(rows):
        draw(ax[i][0], it, series, ylabel, logy)
        draw(ax[i][1], tm, series, ylabel, logy)
    ax[-1][0].set_xlabel("outer iteration")
    ax[-1][1].set_xlabel("time [s]")
    fig.suptitle("%s: %s / %s / %s, %s ranks" % (os.path.basename(path), attrs.get("problem", "?"), attrs.get("outer_type", "?"),
                                                attrs.get("hg_type", "?"), attrs.get("nranks", "?")))
    fig.tight_layout()
    try:
        fig.savefig(png, dpi=90)
    except OSError as e:
        raise BadFile("cannot write the plot %s: %s" % (png, e.strerror))
    plt.close(fig)


def main(argv):
    p = argparse.ArgumentParser(prog="hgreport.py", description="Summary and history plot of a hypergrad run file (HDF5).")
    p.add_argument("file", help="run file (checkpoint) written by the outer loop")
    p.add_argument("--png", default=None, help="history plot (default: FILE without .h5, plus -history.png)")
    p.add_argument("--no-plot", action="store_true", help="print the summary only")
    p.add_argument("--options", action="store_true", help="also print the options the run used")
    args = p.parse_args(argv)
    try:
        attrs, hist, vecs = load(args.file)
        print(summarize(args.file, attrs, hist, vecs))
        if args.options:
            print("options:\n  " + str(attrs.get("options", "n/a")).strip().replace("\n", "\n  "))
        if not args.no_plot:
            png = args.png or (os.path.splitext(args.file)[0] + "-history.png")
            plot(args.file, png, attrs, hist)
            print("%-22s %s" % ("plot:", png))
    except BadFile as e:
        die(str(e), 1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
