#!/usr/bin/env python3
"""Corruption corpus for run files: a valid run file written by hgrun is damaged in many ways
(truncations; one flipped bit in the data of each dataset and in the metadata; attributes
deleted or changed; datasets deleted, added or rewritten with plausible values), and each
damaged copy is given to `hgrun -resume`.  Every copy must be refused with a message that
names the file (exit code != 0, no crash, no hang, the copy left untouched), or, if it is
accepted, the resumed run must end bitwise where the intact file's resumption ends
(provably harmless).  Target: 100 % refused or harmless, 0 crashes, 0 wrong states.

usage: t850-corrupt.py HGRUN MPIEXEC [mpiexec flags...]
Skips (77) without python3-h5py or numpy."""
import concurrent.futures, hashlib, os, random, shutil, struct, subprocess, sys, tempfile, time
try:
    import numpy as np
    import h5py
except ImportError as e:
    print("t850: skipped: %s (install python3-h5py and python3-numpy)" % e)
    sys.exit(77)

HGRUN, MPIEXEC, FLAGS = sys.argv[1], sys.argv[2], sys.argv[3:]
OPTS = ("-problem logreg -lr_p 30 -lr_ntrain 100 -lr_nval 100 -outer_type nesterov -outer_step 0.05 "
        "-lower_max_it 30 -hg_k 15").split()
W = tempfile.mkdtemp(prefix="t850-")
os.chdir(W)


def hgrun(np_, args, timeout=60):
    # one rank without mpiexec (MPI singleton): a third of the start-up time
    cmd = ([MPIEXEC] + FLAGS + ["-n", str(np_)] if np_ > 1 else []) + [HGRUN] + OPTS + args
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return None, "timeout"


def state(path):
    with h5py.File(path, "r") as f:
        out = {k: np.array(f[k]) for k in ("lambda", "w", "v", "outer/lambda_prev")}
        for k in f["history"]:
            if k != "time":  # wall-clock seconds differ from run to run
                out["history/" + k] = np.array(f["history"][k])
        for a in ("iteration", "nhistory", "total_lower_its", "total_adjoint_its"):
            out[a] = f.attrs[a]
    return out


def same(a, b):
    if a.keys() != b.keys():
        return False
    return all(np.array_equal(np.asarray(a[k]).view(np.uint8) if np.asarray(a[k]).dtype.kind == "f" else a[k],
                              np.asarray(b[k]).view(np.uint8) if np.asarray(b[k]).dtype.kind == "f" else b[k])
               for k in a)


rc, out = hgrun(2, ["-outer_max_it", "3", "-outer_checkpoint", "base.h5"])
if rc != 0:
    print(out)
    sys.exit("t850: FAIL: the base run failed")
REF = {}
for np_ in (1, 2):  # an accepted file must resume bitwise as the intact one on as many ranks
    shutil.copy("base.h5", "ref%d.h5" % np_)
    rc, out = hgrun(np_, ["-outer_max_it", "4", "-resume", "ref%d.h5" % np_])
    if rc != 0:
        print(out)
        sys.exit("t850: FAIL: the intact run file does not resume on %d ranks" % np_)
    REF[np_] = state("ref%d.h5" % np_)
SIZE = os.path.getsize("base.h5")

with h5py.File("base.h5", "r") as f:
    dsets = []
    f.visititems(lambda n, o: dsets.append(n) if isinstance(o, h5py.Dataset) else None)
    regions = {}
    for n in dsets:  # where the data of each dataset lie (contiguous, or a single chunk)
        off = f[n].id.get_offset()
        if off is None:
            ci = f[n].id.get_chunk_info(0)
            regions[n] = (ci.byte_offset, ci.size)
        else:
            regions[n] = (off, f[n].id.get_storage_size())
    attrs = [("/", a) for a in f.attrs] + [("/" + n, a) for n in dsets for a in f[n].attrs]
    attrs += [("/" + n, a) for n in ("history",) for a in f[n].attrs]

cases = []  # (name, function(path))


def flip(off, bit):
    def do(p):
        with open(p, "r+b") as fh:
            fh.seek(off)
            b = fh.read(1)[0]
            fh.seek(off)
            fh.write(bytes([b ^ (1 << bit)]))
    return do


for n in sorted(set([0, 100, 1000, 16384, 16385, SIZE // 4, SIZE // 2, 3 * SIZE // 4, SIZE - 512, SIZE - 8, SIZE - 1])):
    cases.append(("truncate to %d bytes" % n, lambda p, n=n: os.truncate(p, n)))
cases.append(("append 8 bytes", lambda p: open(p, "ab").write(b"\0" * 8)))
rng = random.Random(16)
for n in dsets:
    off, size = regions[n]
    flips = ((0, 0), (size - 1, 7), (rng.randrange(size), rng.randrange(8)))
    for pos, bit in flips if size > 64 else flips[1:]:
        cases.append(("bit %d of byte %d of /%s" % (bit, pos, n), flip(off + pos, bit)))
# metadata: bytes outside every dataset's data and outside the checksum record
data = set()
for off, size in regions.values():
    data.update(range(off, off + size))
meta = [i for i in range(16384, SIZE) if i not in data]
for i in rng.sample(meta, 16):
    cases.append(("bit of metadata byte %d" % i, flip(i, rng.randrange(8))))
for i in rng.sample(range(0, 1200), 3) + [4000]:
    cases.append(("bit of checksum-record byte %d" % i, flip(i, rng.randrange(8))))


def h5edit(fn):
    def do(p):
        with h5py.File(p, "r+") as f:
            fn(f)
    return do


def changed(v):
    if isinstance(v, bytes) or isinstance(v, str):
        s = v.decode() if isinstance(v, bytes) else v
        return np.bytes_(("X" + s[1:]) if s else "X")
    v = np.asarray(v)
    if v.dtype.kind == "f":
        return np.nextafter(v, np.inf)
    return v + 1


for obj, a in attrs:
    cases.append(("delete attribute %s of %s" % (a, obj), h5edit(lambda f, o=obj, a=a: f[o].attrs.__delitem__(a))))
    cases.append(("change attribute %s of %s" % (a, obj), h5edit(lambda f, o=obj, a=a: f[o].attrs.__setitem__(a, changed(f[o].attrs[a])))))
for a, v in (("iteration", 15), ("iteration", 2000000000), ("have_w", 0), ("have_lambda_prev", 0), ("nhistory", 0), ("elapsed", float("nan"))):
    cases.append(("attribute %s = %r" % (a, v), h5edit(lambda f, a=a, v=v: f.attrs.modify(a, np.asarray(v, dtype=f.attrs[a].dtype)))))
cases.append(("lambda negated", h5edit(lambda f: f["lambda"].__setitem__(slice(None), -f["lambda"][:]))))
cases.append(("lambda reversed", h5edit(lambda f: f["lambda"].__setitem__(slice(None), f["lambda"][:][::-1].copy()))))
cases.append(("lowest bit of lambda[0]", h5edit(lambda f: f["lambda"].__setitem__(0, np.nextafter(f["lambda"][0], np.inf)))))
cases.append(("lambda_prev changed", h5edit(lambda f: f["outer/lambda_prev"].__setitem__(0, f["outer/lambda_prev"][0] * 1.5))))
cases.append(("history entry NaN", h5edit(lambda f: f["history/upper_objective"].__setitem__(1, np.nan))))
for n in ("v", "outer/lambda_prev", "history/time"):
    cases.append(("delete dataset /%s" % n, h5edit(lambda f, n=n: f.__delitem__(n))))
cases.append(("add dataset /extra", h5edit(lambda f: f.create_dataset("extra", data=np.zeros(3)))))
cases.append(("add attribute", h5edit(lambda f: f.attrs.__setitem__("extra", 1))))
cases.append(("delete the checksum record", lambda p: open(p, "r+b").write(b"\0" * 16384)))
# a file without checksums (as an older hypergrad wrote them) taken with -outer_resume_force:
# intact it resumes; without one of its string attributes it is refused (it used to crash)
FORCE = {}


def unsealed(extra):
    def do(p):
        open(p, "r+b").write(b"\0" * 16384)
        if extra:
            extra(p)
    return do


FORCE[len(cases)] = True
cases.append(("no record, -outer_resume_force", unsealed(None)))
for a in ("format", "problem", "hg_type", "lower_type", "outer_type", "integrity"):
    FORCE[len(cases)] = True
    cases.append(("no record, no attribute %s, -outer_resume_force" % a, unsealed(h5edit(lambda f, a=a: f.attrs.__delitem__(a)))))

count = {"refused": 0, "harmless": 0, "crash": 0, "wrong": 0, "unclear": 0, "hang": 0, "modified": 0}


def run(k):
    name, damage = cases[k]
    path = "c%03d.h5" % k
    shutil.copy("base.h5", path)
    try:
        damage(path)
    except Exception as e:
        return k, "unclear", "cannot build the case: %s" % e
    before = hashlib.md5(open(path, "rb").read()).hexdigest()
    np_ = 2 if k % 8 == 0 else 1
    rc, out = hgrun(np_, ["-outer_max_it", "4", "-resume", path] + (["-outer_resume_force"] if k in FORCE else []))
    if rc is None:
        kind = "hang"
    elif rc == 0:
        kind = "harmless" if same(state(path), REF[np_]) else "wrong"
    elif rc < 0 or rc >= 128 or "Caught signal" in out or "SEGV" in out or "Segmentation" in out:
        kind = "crash"
    elif path in out and ("checkpoint" in out.lower() or "run file" in out.lower()):
        kind = "refused"
        if hashlib.md5(open(path, "rb").read()).hexdigest() != before:
            kind = "modified"
    else:
        kind = "unclear"
    msg = ""
    for line in out.splitlines():
        if path in line and "ERROR" in line:
            msg = line.split("PETSC ERROR: ")[-1][:140]
            break
    if kind == "refused":
        os.remove(path)
    return k, kind, msg if kind in ("refused", "harmless") else (msg or out[-800:])


t0 = time.time()
with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
    for k, kind, msg in pool.map(run, range(len(cases))):
        count[kind] += 1
        print("%-8s %-48s %s" % (kind, cases[k][0], msg))
n = len(cases)
print("t850: %d damaged run files in %.0f s: %d refused with a message naming the file, %d accepted and harmless, "
      "%d crashes, %d wrong states, %d unclear, %d hangs, %d modified" %
      (n, time.time() - t0, count["refused"], count["harmless"], count["crash"], count["wrong"], count["unclear"],
       count["hang"], count["modified"]))
bad = count["crash"] + count["wrong"] + count["unclear"] + count["hang"] + count["modified"]
if bad:
    sys.exit("t850: FAIL")
shutil.rmtree(W, ignore_errors=True)
