#!/usr/bin/python3
"""Turn the 20 Newsgroups "bydate" archive into sparse HDF5 data files for hypergrad, offline.

    /usr/bin/python3 datasets/prep_20news.py [--archive ../shared/datasets/20news-bydate.tar.gz]
                                             [--out-dir datasets/20news] [--features counts|tfidf]
                                             [--val-fraction 0.5] [--seed 0] [--keep-headers]

Reads the archive directly (nothing is downloaded, nothing is extracted to disk), removes the
headers, signature blocks (footers) and quoted replies of every post with scikit-learn's own
functions (what fetch_20newsgroups(remove=('headers', 'footers', 'quotes')) does), fits the
vocabulary on the training posts with scikit-learn's default tokenizer and writes

    <out-dir>/20news_train.h5   training posts minus the validation part
    <out-dir>/20news_val.h5     --val-fraction of the training posts, stratified by class, --seed
    <out-dir>/20news_test.h5    the 7,532 test posts
    <out-dir>/20news_trainval.h5  all 11,314 training posts (train + val)

each with /X a CSR group (data, indices, indptr, attribute shape), /y the class 0..19 (the
newsgroups in alphabetical order) and /vocabulary (the feature names), as hypergrad's HDF5
reader expects (-data_train 20news_train.h5 -data_val 20news_val.h5).

--features counts (default) are L2-normalized token counts: exactly what the code of Grazzi et
al. used (sklearn.datasets.fetch_20newsgroups_vectorized); --features tfidf uses
TfidfVectorizer with its defaults (same vocabulary, tf-idf weights, L2-normalized rows).
With headers, footers and quotes removed the vocabulary has 101,631 features, as in the paper
(130,107 with --keep-headers, which keeps them).

Needs Debian's python3-sklearn, python3-scipy, python3-h5py (run it with /usr/bin/python3).
"""
import argparse
import os
import sys
import tarfile
import time

import h5py
import numpy as np
import scipy.sparse as sp
from sklearn.datasets._twenty_newsgroups import (strip_newsgroup_footer, strip_newsgroup_header,
                                                 strip_newsgroup_quoting)
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize

PAPER_FEATURES = 101631


def read_archive(path, keep_headers):
    """Posts of the train and test folders: {subset: (texts, groups)}, in sorted path order."""
    posts = {"train": [], "test": []}
    with tarfile.open(path, "r:gz") as tar:
        for m in tar:
            if not m.isfile():
                continue
            parts = m.name.split("/")
            if len(parts) < 3 or not parts[-3].startswith("20news-bydate-"):
                continue
            subset = parts[-3][len("20news-bydate-"):]
            if subset not in posts:
                continue
            text = tar.extractfile(m).read().decode("latin1")  # as load_files(encoding="latin1")
            if not keep_headers:
                text = strip_newsgroup_quoting(strip_newsgroup_footer(strip_newsgroup_header(text)))
            posts[subset].append((parts[-2], parts[-1], text))
    out = {}
    for subset, items in posts.items():
        if not items:
            sys.exit("prep_20news: %s has no 20news-bydate-%s/<group>/<post> files: is it the bydate archive?" % (path, subset))
        items.sort(key=lambda t: (t[0], t[1]))
        out[subset] = ([t[2] for t in items], [t[0] for t in items])
    return out


def write(path, X, y, vocabulary):
    X = sp.csr_matrix(X, dtype=np.float64)
    X.sum_duplicates()
    X.sort_indices()  # hypergrad requires increasing column indices in each row
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        g = f.create_group("X")
        g.create_dataset("data", data=X.data, compression="gzip", compression_opts=4)
        g.create_dataset("indices", data=X.indices.astype(np.int32), compression="gzip", compression_opts=4)
        g.create_dataset("indptr", data=X.indptr.astype(np.int64))
        g.attrs["shape"] = np.array(X.shape, dtype=np.int64)
        f.create_dataset("y", data=np.asarray(y, dtype=np.float64))
        f.create_dataset("vocabulary", data=np.array(vocabulary, dtype=h5py.string_dtype()), compression="gzip")
    os.replace(tmp, path)
    print("  %-28s %6d samples x %d features, %d nonzeros" % (os.path.basename(path), X.shape[0], X.shape[1], X.nnz))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--archive", default=os.path.join(here, "..", "..", "shared", "datasets", "20news-bydate.tar.gz"))
    ap.add_argument("--out-dir", default=os.path.join(here, "20news"))
    ap.add_argument("--features", choices=("counts", "tfidf"), default="counts")
    ap.add_argument("--val-fraction", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep-headers", action="store_true", help="keep headers, footers and quotes (130,107 features)")
    a = ap.parse_args()
    if not os.path.isfile(a.archive):
        sys.exit("prep_20news: %s does not exist: give the 20news-bydate.tar.gz archive with --archive (see datasets/README.md)" % a.archive)
    if not 0 < a.val_fraction < 1:
        sys.exit("prep_20news: --val-fraction must lie in (0, 1)")
    t0 = time.time()
    posts = read_archive(a.archive, a.keep_headers)
    groups = sorted(set(posts["train"][1]))
    label = {g: k for k, g in enumerate(groups)}
    ytr = np.array([label[g] for g in posts["train"][1]])
    yte = np.array([label[g] for g in posts["test"][1]])
    print("prep_20news: %d train + %d test posts, %d groups, %s removed (%.1f s)"
          % (len(ytr), len(yte), len(groups), "nothing" if a.keep_headers else "headers, footers and quotes", time.time() - t0))
    if a.features == "counts":  # fetch_20newsgroups_vectorized: counts, rows L2-normalized
        vec = CountVectorizer(dtype=np.int32)
        Xtr = normalize(vec.fit_transform(posts["train"][0]).astype(np.float64))
        Xte = normalize(vec.transform(posts["test"][0]).astype(np.float64))
    else:
        vec = TfidfVectorizer()
        Xtr = vec.fit_transform(posts["train"][0])
        Xte = vec.transform(posts["test"][0])
    vocab = list(vec.get_feature_names_out())
    nf = Xtr.shape[1]
    print("prep_20news: %d features (%s)%s" % (nf, a.features, "" if a.keep_headers else
          ("; the paper's %d: %s" % (PAPER_FEATURES, "same" if nf == PAPER_FEATURES else "DIFFERENT"))))
    idx = np.arange(len(ytr))
    itr, iva = train_test_split(idx, test_size=a.val_fraction, stratify=ytr, random_state=a.seed)
    itr.sort()
    iva.sort()
    os.makedirs(a.out_dir, exist_ok=True)
    write(os.path.join(a.out_dir, "20news_train.h5"), Xtr[itr], ytr[itr], vocab)
    write(os.path.join(a.out_dir, "20news_val.h5"), Xtr[iva], ytr[iva], vocab)
    write(os.path.join(a.out_dir, "20news_test.h5"), Xte, yte, vocab)
    write(os.path.join(a.out_dir, "20news_trainval.h5"), Xtr, ytr, vocab)
    print("prep_20news: done in %.1f s; classes: %s" % (time.time() - t0, ", ".join(groups)))


if __name__ == "__main__":
    main()
