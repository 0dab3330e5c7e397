#!/usr/bin/env python3
"""A checkpoint's fingerprint: per tensor its shape, sum, sum of absolute values and three of
its values (first, middle, last), as JSON. tests/training.rs compares a fresh run with the
fingerprint of a run made by an earlier commit, so a change to how training is computed (e.g.
how Adam's state is laid out) is shown to give the same weights and moments.

    easel-cli train --backend cpu --model dcgan --batch 8 --steps 5 --seed 11 \
        --data www/data/mnist.easelds.gz --checkpoint ref.safetensors
    tools/fingerprint_checkpoint.py ref.safetensors tests/data/training_reference.json "how it was made"

Standard library only.
"""
import array
import json
import struct
import sys


def main(path, out, made_by):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    header = json.loads(b[8:8 + n])
    body = b[8 + n:]
    meta = header.pop('__metadata__')
    tensors = {}
    for name, t in sorted(header.items()):
        assert t['dtype'] == 'F32', name
        start, end = t['data_offsets']
        a = array.array('f')
        a.frombytes(body[start:end])
        tensors[name] = {'shape': t['shape'], 'sum': sum(a), 'sum_abs': sum(abs(x) for x in a),
                         'first': a[0], 'middle': a[len(a) // 2], 'last': a[-1]}
    doc = {'made_by': made_by, 'settings': json.loads(meta['settings']), 'steps': int(meta['step']),
           'last_d_loss': float(meta['last_d_loss']), 'tensors': tensors}
    with open(out, 'w') as f:
        json.dump(doc, f, indent=1)


if __name__ == '__main__':
    main(*sys.argv[1:4])
