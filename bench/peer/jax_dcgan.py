"""The lesson's DCGAN in JAX on the CPU: the native peer of `easel-cli train` (bench/jax.sh).

Same shapes as Easel's src/model.rs (G: ConvT 3x3 s2 z->256->128->64->1, BatchNorm, ReLU, tanh,
1 -> 3 -> 7 -> 15 -> 28; D: Conv 4x4 s2 p1 1->64->128->256->1, BatchNorm on the middle two,
LeakyReLU 0.2), BCE on logits, Adam lr 2e-4 beta1 0.5, batch 64, the same MNIST file. One
jitted function per training step (D step on real = 1 and generated = 0, then G step through
D with label 1). Prints one JSON line: images per second over the timed steps.

    python bench/peer/jax_dcgan.py [--steps 30] [--warmup 3] [--batch 64] [--threads N]
"""
import argparse
import gzip
import json
import os
import platform
import struct
import time

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=30)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--latent", type=int, default=100)
p.add_argument("--threads", type=int, default=0, help="1: XLA on one thread; 0: every core")
args = p.parse_args()
if args.threads == 1:
    # Before jax is imported: XLA's CPU client reads it once.
    os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DN = ("NHWC", "HWIO", "NHWC")


def load_mnist():
    raw = gzip.open(os.path.join(ROOT, "www/data/mnist.easelds.gz")).read()
    count, c, h, w = struct.unpack_from("<4I", raw, 8)
    pixels = raw[28 + count: 28 + count + count * c * h * w]
    x = jnp.asarray(bytearray(pixels), dtype=jnp.float32).reshape(count, c, h, w) / 127.5 - 1
    return jnp.transpose(x, (0, 2, 3, 1))  # NHWC


def normal(key, shape):
    return 0.02 * jax.random.normal(key, shape, jnp.float32)


def init(key, latent):
    k = jax.random.split(key, 8)
    g = {
        "ct1": normal(k[0], (3, 3, latent, 256)), "bn1": (jnp.ones(256), jnp.zeros(256)),
        "ct2": normal(k[1], (3, 3, 256, 128)), "bn2": (jnp.ones(128), jnp.zeros(128)),
        "ct3": normal(k[2], (3, 3, 128, 64)), "bn3": (jnp.ones(64), jnp.zeros(64)),
        "ct4": normal(k[3], (3, 3, 64, 1)), "b4": jnp.zeros(1),
    }
    d = {
        "c1": normal(k[4], (4, 4, 1, 64)), "b1": jnp.zeros(64),
        "c2": normal(k[5], (4, 4, 64, 128)), "bn2": (jnp.ones(128), jnp.zeros(128)),
        "c3": normal(k[6], (4, 4, 128, 256)), "bn3": (jnp.ones(256), jnp.zeros(256)),
        "c4": normal(k[7], (4, 4, 256, 1)), "b4": jnp.zeros(1),
    }
    return g, d


def bn(x, gb):
    gamma, beta = gb
    mean = x.mean(axis=(0, 1, 2))
    var = x.var(axis=(0, 1, 2))
    return (x - mean) * lax.rsqrt(var + 1e-5) * gamma + beta


def generator(g, z):
    x = z.reshape(z.shape[0], 1, 1, -1)
    for i in (1, 2, 3):
        x = jax.nn.relu(bn(lax.conv_transpose(x, g[f"ct{i}"], (2, 2), "VALID", dimension_numbers=DN), g[f"bn{i}"]))
    x = lax.conv_transpose(x, g["ct4"], (2, 2), "VALID", dimension_numbers=DN) + g["b4"]  # 31x31
    return jnp.tanh(x[:, 2:30, 2:30, :])


def conv(x, w):
    return lax.conv_general_dilated(x, w, (2, 2), [(1, 1), (1, 1)], dimension_numbers=DN)


def discriminator(d, x):
    x = jax.nn.leaky_relu(conv(x, d["c1"]) + d["b1"], 0.2)
    x = jax.nn.leaky_relu(bn(conv(x, d["c2"]), d["bn2"]), 0.2)
    x = jax.nn.leaky_relu(bn(conv(x, d["c3"]), d["bn3"]), 0.2)
    return (conv(x, d["c4"]) + d["b4"]).reshape(-1)


def bce(logits, label):
    return jnp.mean(jnp.maximum(logits, 0) - logits * label + jnp.log1p(jnp.exp(-jnp.abs(logits))))


def adam(params, grads, m, v, t, lr=2e-4, b1=0.5, b2=0.999, eps=1e-8):
    m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
    v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
    scale = lr * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    params = jax.tree.map(lambda p, m, v: p - scale * m / (jnp.sqrt(v) + eps), params, m, v)
    return params, m, v


@jax.jit
def train_step(state, real, z):
    g, d, gm, gv, dm, dv, t = state
    t = t + 1
    fake = generator(g, z)

    # (1) Update D: real images are labelled 1, generated ones 0.
    def d_loss(d):
        return bce(discriminator(d, real), 1.0) + bce(discriminator(d, lax.stop_gradient(fake)), 0.0)
    dl, dgrads = jax.value_and_grad(d_loss)(d)
    d, dm, dv = adam(d, dgrads, dm, dv, t)

    # (2) Update G: generated images through the updated D, labelled 1.
    def g_loss(g):
        return bce(discriminator(d, generator(g, z)), 1.0)
    gl, ggrads = jax.value_and_grad(g_loss)(g)
    g, gm, gv = adam(g, ggrads, gm, gv, t)
    return (g, d, gm, gv, dm, dv, t), dl, gl


def main():
    data = load_mnist()
    key = jax.random.PRNGKey(1)
    g, d = init(key, args.latent)
    zeros = lambda tree: jax.tree.map(jnp.zeros_like, tree)  # noqa: E731
    state = (g, d, zeros(g), zeros(g), zeros(d), zeros(d), jnp.float32(0))

    def batch(i):
        k1, k2 = jax.random.split(jax.random.PRNGKey(100 + i))
        idx = jax.random.randint(k1, (args.batch,), 0, data.shape[0])
        return data[idx], jax.random.normal(k2, (args.batch, args.latent))

    for i in range(args.warmup):
        state, dl, gl = train_step(state, *batch(i))
    dl.block_until_ready()
    batches = [batch(args.warmup + i) for i in range(args.steps)]
    jax.block_until_ready(batches)
    t0 = time.perf_counter()
    for b in batches:
        state, dl, gl = train_step(state, *b)
    dl.block_until_ready()
    secs = time.perf_counter() - t0
    print(json.dumps({
        "peer": f"JAX {jax.__version__} CPU (jit, one function a step)",
        "machine": f"{platform.processor() or platform.machine()} x{os.cpu_count()}",
        "threads": args.threads or os.cpu_count(),
        "batch": args.batch, "steps": args.steps,
        "img_per_s": round(args.steps * args.batch / secs, 2),
        "d_loss": float(dl), "g_loss": float(gl),
    }))


main()
