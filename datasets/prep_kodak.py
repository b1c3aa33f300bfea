#!/usr/bin/python3
"""Kodak PNG photographs -> an image file of the denoising problem (-problem denoise).

    /usr/bin/python3 datasets/prep_kodak.py                      # 25 images, 96 x 96 -> datasets/kodak/kodak96.h5
    /usr/bin/python3 datasets/prep_kodak.py --size full          # full size (768 x 512; portrait photos turned)
    /usr/bin/python3 datasets/prep_kodak.py --count 5 --size 64 --out /tmp/k5.h5
    /usr/bin/python3 datasets/prep_kodak.py --noisy 0.1 --seed 0 # also write /noisy (clipped to [0, 1])

Each photograph (RGB, 8 bit) becomes grayscale in [0, 1] (luma 0.299 R + 0.587 G + 0.114 B,
computed in floating point), resized with PIL's bilinear filter (antialiased when shrinking,
no overshoot) to size x size; --size full keeps 768 x 512 and turns the portrait photographs
a quarter turn so that all images have one size.  The file holds /clean (N x H x W, float64)
and, with --noisy SIGMA, /noisy = clip(clean + SIGMA * N(0, 1), 0, 1) from numpy's generator
seeded with --seed.  Without --noisy the problem adds the noise itself (-denoise_sigma,
-denoise_seed: Gaussian, from the layout-independent hash, not clipped).  Python: Debian's
python3-pil, python3-numpy, python3-h5py.
"""
import argparse
import os
import sys

import h5py
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path, size):
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0
    gray = rgb @ np.array([0.299, 0.587, 0.114])
    img = Image.fromarray(gray.astype(np.float32), mode="F")
    if size == "full":
        if img.height > img.width:
            img = img.transpose(Image.Transpose.ROTATE_90)
    else:
        img = img.resize((size, size), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(img, dtype=np.float64), 0.0, 1.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default=os.path.join(HERE, "..", "..", "shared", "datasets", "kodak"), help="folder of kodim*.png")
    ap.add_argument("--out", default=None, help="output HDF5 file (default datasets/kodak/kodak<size>.h5)")
    ap.add_argument("--size", default="96", help="side of the square images, or 'full' (default 96)")
    ap.add_argument("--count", type=int, default=0, help="first COUNT photographs in name order (default all)")
    ap.add_argument("--noisy", type=float, default=None, metavar="SIGMA", help="also write /noisy with this noise level")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    size = a.size if a.size == "full" else int(a.size)
    if size != "full" and size < 2:
        sys.exit("prep_kodak.py: --size must be at least 2 (or 'full')")
    if not os.path.isdir(a.src):
        sys.exit(f"prep_kodak.py: no folder {a.src}: give the Kodak PNG folder with --src")
    names = sorted(f for f in os.listdir(a.src) if f.lower().endswith(".png"))
    if a.count:
        names = names[: a.count]
    if not names:
        sys.exit(f"prep_kodak.py: no PNG files in {a.src}")
    clean = np.stack([load(os.path.join(a.src, n), size) for n in names])
    out = a.out or os.path.join(HERE, "kodak", f"kodak{a.size}.h5")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.create_dataset("clean", data=clean)
        if a.noisy is not None:
            rng = np.random.default_rng(a.seed)
            f.create_dataset("noisy", data=np.clip(clean + a.noisy * rng.standard_normal(clean.shape), 0.0, 1.0))
        f.create_dataset("names", data=np.array(names, dtype="S"))
    os.replace(tmp, out)  # an existing file is replaced only by a complete one
    print(f"{out}: {clean.shape[0]} images of {clean.shape[1]} x {clean.shape[2]}" + (f", /noisy sigma {a.noisy}" if a.noisy is not None else ""))


if __name__ == "__main__":
    main()
