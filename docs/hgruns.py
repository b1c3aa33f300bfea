"""Shared by the experiment scripts of docs/ (fig2.py, er_hyperclean.py): the environment of a
run, one hgrun with a timeout, and the /history group of its run file."""
import os
import subprocess
import sys
import time

import h5py
import numpy as np


def run_env():
    """os.environ plus one BLAS thread per rank and Open MPI's consent to run as root."""
    return dict(os.environ, OPENBLAS_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def read_history(path):
    """The /history datasets of an hgrun run file, as numpy arrays by name."""
    with h5py.File(path, "r") as h:
        return {k: np.array(h["history"][k]) for k in h["history"]}


def run_hgrun(cmd, runfile, label, timeout, env):
    """Runs cmd, an hgrun writing runfile; returns (history, seconds), or (None, seconds) after
    saying on stderr why (timeout, or the command and the tail of its output)."""
    t0 = time.time()
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"{label}: timed out after {timeout:g} s", file=sys.stderr, flush=True)
        return None, time.time() - t0
    if p.returncode:
        print(" ".join(cmd), "\n", p.stdout[-2000:], p.stderr[-2000:], file=sys.stderr)
        return None, time.time() - t0
    return read_history(runfile), time.time() - t0
