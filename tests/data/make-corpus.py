#!/usr/bin/python3
"""Regenerates the data-loader test corpus in this directory (tests/data).

Good files: one small data set (30 samples x 6 features, labels 0/1, values multiples of 1/8 so
that every format holds exactly the same numbers) as LIBSVM, CSV (with an id column and the label
in the middle), gzip CSV, HDF5 CSR and HDF5 dense; a tiny IDX image set (raw and gzip).
Bad files: one defect each, named after it (see t600-data-bad.c for the expected messages).

Run with Debian's python3 (python3-numpy, python3-h5py): /usr/bin/python3 make-corpus.py
"""
import gzip
import os
import struct

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
os.chdir(here)
os.makedirs("bad", exist_ok=True)

# ---------------------------------------------------------------- good data set
M, N = 30, 6
X = np.zeros((M, N))
for i in range(M):
    for j in range(N):
        if (3 * i + 5 * j) % 7 in (0, 2, 3):  # about 3/7 of the entries are nonzero
            X[i, j] = ((i * 11 + j * 17) % 23 - 11) / 8.0
y = np.array([(i * 7 + 3) % 5 >= 2 for i in range(M)], dtype=float)  # labels 0/1, both present


def fmt(v):
    return repr(float(v))


with open("good.svm", "w") as f:
    f.write("# a comment line\n")
    for i in range(M):
        toks = ["%d:%s" % (j + 1, fmt(X[i, j])) for j in range(N) if X[i, j] != 0]
        f.write(" ".join([("%d" % y[i])] + toks) + ("  # trailing comment\n" if i == 0 else "\n"))
        if i == 10:
            f.write("\n")  # a blank line is skipped

header = ["id", "f1", "f2", "f3", "label", "f4", "f5", "f6"]
rows = []
for i in range(M):
    vals = [fmt(v) for v in X[i]]
    rows.append(",".join(["s%02d" % i] + vals[:3] + ["%d" % y[i]] + vals[3:]))
csv = "\r\n".join([",".join(header)] + rows) + "\r\n"  # CRLF like the Parkinson file
with open("good.csv", "w", newline="") as f:
    f.write(csv)
with gzip.open("good.csv.gz", "wt", newline="") as f:
    f.write(csv)

with h5py.File("good_csr.h5", "w") as f:
    g = f.create_group("X")
    data, indices, indptr = [], [], [0]
    for i in range(M):
        for j in range(N):
            if X[i, j] != 0:
                data.append(X[i, j])
                indices.append(j)
        indptr.append(len(data))
    g.create_dataset("data", data=np.array(data))
    g.create_dataset("indices", data=np.array(indices, dtype=np.int32))
    g.create_dataset("indptr", data=np.array(indptr, dtype=np.int64))
    g.attrs["shape"] = np.array([M, N], dtype=np.int64)
    f.create_dataset("y", data=y)
with h5py.File("good_dense.h5", "w") as f:
    f.create_dataset("X", data=X)
    f.create_dataset("y", data=y.astype(np.int32))  # another label type, converted on reading

# ---------------------------------------------------------------- tiny IDX set: 5 images of 3 x 2
n, r, c = 5, 3, 2
pix = bytes((i * 7 + j * 13) % 256 for i in range(n) for j in range(r * c))
images = struct.pack(">IIII", 0x803, n, r, c) + pix
labels = struct.pack(">II", 0x801, n) + bytes([(3 * i) % 5 for i in range(n)])
open("tiny-images-idx3-ubyte", "wb").write(images)
open("tiny-labels-idx1-ubyte", "wb").write(labels)
open("tiny-images-idx3-ubyte.gz", "wb").write(gzip.compress(images, mtime=0))
open("tiny-labels-idx1-ubyte.gz", "wb").write(gzip.compress(labels, mtime=0))

# ---------------------------------------------------------------- bad files
os.chdir("bad")
for name in ("empty.svm", "empty.csv", "empty.h5", "empty-images-idx3-ubyte"):
    open(name, "w").close()
open("index0.svm", "w").write("1 1:0.5 2:1\n0 0:1.5 3:2\n")
open("unsorted.svm", "w").write("1 1:0.5 2:1\n0 1:1 3:2 2:0.25\n")
open("duplicate.svm", "w").write("1 1:0.5 2:1\n1 2:1\n0 1:1 3:2 3:0.25\n")
open("nonnumeric.svm", "w").write("1 1:0.5 2:1\n0 1:1 3:abc\n")
open("nan.svm", "w").write("1 1:0.5 2:1\n0 1:1 3:2\n1 2:nan\n")
open("badlabel.svm", "w").write("1 1:0.5 2:1\nyes 1:1 3:2\n")
open("nonnumeric.csv", "w").write("a,b,label\n1,2,0\n3,x7,1\n")
open("nan.csv", "w").write("a,b,label\n1,2,0\n3,4,1\n5,NaN,1\n")
open("ragged.csv", "w").write("a,b,label\n1,2,0\n3,4,5,1\n")
open("emptyfield.csv", "w").write("a,b,label\n1,2,0\n3,,1\n")
# IDX: a truncated gzip stream, a truncated raw file, bad magic numbers, label count != image count
open("trunc-images-idx3-ubyte.gz", "wb").write(gzip.compress(images, mtime=0)[:-20])
open("trunc-labels-idx1-ubyte.gz", "wb").write(gzip.compress(labels, mtime=0))
open("short-images-idx3-ubyte", "wb").write(images[:-3])
open("short-labels-idx1-ubyte", "wb").write(labels)
open("magic-images-idx3-ubyte", "wb").write(struct.pack(">I", 0x12345678) + images[4:])
open("magic-labels-idx1-ubyte", "wb").write(labels)
open("count-images-idx3-ubyte", "wb").write(images)
open("count-labels-idx1-ubyte", "wb").write(struct.pack(">II", 0x801, n - 1) + bytes(n - 1))
open("notidx-images-idx3-ubyte", "wb").write(b"GIF89a this is not an IDX file")
open("notidx-labels-idx1-ubyte", "wb").write(labels)
# HDF5
with h5py.File("count.h5", "w") as f:
    f.create_dataset("X", data=X[:4])
    f.create_dataset("y", data=y[:3])
with h5py.File("nan.h5", "w") as f:
    Xn = X[:4].copy()
    Xn[2, 1] = np.nan
    f.create_dataset("X", data=Xn)
    f.create_dataset("y", data=y[:4])
with h5py.File("noX.h5", "w") as f:
    f.create_dataset("y", data=y[:4])
with h5py.File("unsorted_csr.h5", "w") as f:
    g = f.create_group("X")
    g.create_dataset("data", data=np.array([1.0, 2.0, 3.0]))
    g.create_dataset("indices", data=np.array([0, 2, 1], dtype=np.int32))
    g.create_dataset("indptr", data=np.array([0, 1, 3], dtype=np.int64))
    g.attrs["shape"] = np.array([2, 3], dtype=np.int64)
    f.create_dataset("y", data=np.array([0.0, 1.0]))
with h5py.File("range_csr.h5", "w") as f:
    g = f.create_group("X")
    g.create_dataset("data", data=np.array([1.0, 2.0, 3.0]))
    g.create_dataset("indices", data=np.array([0, 1, 3], dtype=np.int32))
    g.create_dataset("indptr", data=np.array([0, 1, 3], dtype=np.int64))
    g.attrs["shape"] = np.array([2, 3], dtype=np.int64)
    f.create_dataset("y", data=np.array([0.0, 1.0]))
with h5py.File("nan_csr.h5", "w") as f:  # an Inf in record (row) 2, column 1
    g = f.create_group("X")
    g.create_dataset("data", data=np.array([1.0, 2.0, 3.0, 4.0, np.inf, 5.0]))
    g.create_dataset("indices", data=np.array([0, 1, 2, 0, 1, 2], dtype=np.int32))
    g.create_dataset("indptr", data=np.array([0, 1, 3, 5, 6], dtype=np.int64))
    g.attrs["shape"] = np.array([4, 3], dtype=np.int64)
    f.create_dataset("y", data=np.array([0.0, 1.0, 0.0, 1.0]))
with h5py.File("dup_csr.h5", "w") as f:  # column 1 twice in record (row) 2
    g = f.create_group("X")
    g.create_dataset("data", data=np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    g.create_dataset("indices", data=np.array([0, 1, 2, 1, 1, 2], dtype=np.int32))
    g.create_dataset("indptr", data=np.array([0, 1, 3, 5, 6], dtype=np.int64))
    g.attrs["shape"] = np.array([4, 3], dtype=np.int64)
    f.create_dataset("y", data=np.array([0.0, 1.0, 0.0, 1.0]))
with h5py.File("negative_csr.h5", "w") as f:  # column -1 first in record (row) 3
    g = f.create_group("X")
    g.create_dataset("data", data=np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    g.create_dataset("indices", data=np.array([0, 1, 2, 0, -1, 2], dtype=np.int32))
    g.create_dataset("indptr", data=np.array([0, 1, 3, 4, 6], dtype=np.int64))
    g.attrs["shape"] = np.array([4, 3], dtype=np.int64)
    f.create_dataset("y", data=np.array([0.0, 1.0, 0.0, 1.0]))
open("text.h5", "w").write("this is a text file, not HDF5\n")
with h5py.File("lambda_wrong.h5", "w") as f:  # for hgsolve -lambda_file: 3 values
    f.create_dataset("lambda", data=np.array([1.0, 2.0, 3.0]))
print("corpus written to", here)
