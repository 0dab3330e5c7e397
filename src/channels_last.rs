//! Instant style on the CPU with channels last: the style predictor (MobileNetV2) whole, and
//! the transformer's five residual blocks.
//!
//! Burn's CPU backend keeps images channels first (`[n, c, h, w]`) and writes a new tensor
//! for every step (each convolution, bias, ReLU6, norm and residual sum); its depthwise and
//! three-channel convolutions walk one channel's plane at a time, by strides of two where the
//! layer's stride is two. Here each feature map is one `[h, w, c]` buffer, as onnxruntime lays
//! them out:
//! - a 1x1 convolution is one matrix product `[h w, c_in] x [c_in, c_out]` (gemm, the crate
//!   Burn's CPU backend calls), added onto the bias (and the block's input) already in place;
//! - the depthwise 3x3 adds nine products of contiguous channel rows per pixel: the loop over
//!   channels vectorises;
//! - the stem's 3x3 convolution of three channels gathers its 27 inputs per pixel and is
//!   then one matrix product too;
//! - the residual blocks' 3x3 convolutions (32 -> 32 channels) use Winograd's F(2x2, 3x3):
//!   16 products per 2x2 outputs instead of 36, as 16 matrix products over the whole image.
//!
//! Inference only: the same numbers as Burn's layers to float rounding (tested), from the same
//! weights, converted once when the network is loaded. Natively (2 threads): the predictor
//! ~33 ms an image at 256 px against ~53 ms layer by layer; the residual blocks at 512x344 px
//! ~78 ms against 95-105 ms. In the page: bench/README.md.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;

use burn::nn::Linear;

use crate::instant::{InvertedResidual, ResidualBlock, STYLE_DIM, StylePredictor};

/// A feature map, channels last: the value of channel `ch` at `(y, x)` is
/// `data[(y * w + x) * c + ch]`.
struct Map {
    h: usize,
    w: usize,
    c: usize,
    data: Vec<f32>,
}

fn floats<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().expect("float tensor")
}

fn bias(conv: &Conv2d, channels: usize) -> Vec<f32> {
    conv.bias.as_ref().map_or_else(|| vec![0.0; channels], |b| floats(b.val()))
}

fn relu6(values: &mut [f32]) {
    for v in values {
        *v = v.clamp(0.0, 6.0);
    }
}

const PARALLEL_MACS: usize = 192 * 192 * 192;

/// `out += a b` for row-major `a` `[m, k]`, `b` `[k, n]` and `out` `[m, n]`.
fn matmul_add(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) {
    matmul(out, a, b, m, k, n, true);
}

/// `out = a b` (or `out += a b` if `accumulate`) for row-major `a` `[m, k]`, `b` `[k, n]` and
/// `out` `[m, n]`.
fn matmul(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize, accumulate: bool) {
    matmul_strided(out, n, a, k, b, m, k, n, accumulate);
}

/// [`matmul`] with rows of `out` `out_row` floats apart and rows of `a` `a_row` apart.
#[allow(clippy::too_many_arguments)]
fn matmul_strided(out: &mut [f32], out_row: usize, a: &[f32], a_row: usize, b: &[f32], m: usize, k: usize, n: usize, accumulate: bool) {
    assert!(m > 0 && n <= out_row && k <= a_row, "matmul: shapes");
    assert!(out.len() >= (m - 1) * out_row + n && a.len() >= (m - 1) * a_row + k && b.len() == k * n, "matmul: sizes");
    // Split over the thread pool where there is one, for products big enough to pay for it.
    #[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
    let parallelism = if m * n * k >= PARALLEL_MACS { gemm::Parallelism::Rayon(0) } else { gemm::Parallelism::None };
    #[cfg(not(any(not(target_arch = "wasm32"), feature = "threads")))]
    let parallelism = gemm::Parallelism::None;
    // SAFETY: the asserts above make every address the strides below reach lie inside its
    // slice; `out` does not alias `a` or `b` (a `&mut` borrow).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            out_row as isize,
            accumulate,
            a.as_ptr(),
            1,
            a_row as isize,
            b.as_ptr(),
            1,
            n as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// A convolution whose input is already one row per pixel: `w` is `[c_in, c_out]`.
struct Dense {
    cin: usize,
    cout: usize,
    w: Vec<f32>,
    b: Vec<f32>,
}

impl Dense {
    /// A 1x1 convolution.
    fn pointwise(conv: &Conv2d) -> Self {
        let [cout, cin, _, _] = conv.weight.dims();
        let w = floats(conv.weight.val().reshape([cout, cin]).transpose());
        Dense { cin, cout, w, b: bias(conv, cout) }
    }

    /// A kxk convolution applied to gathered `[ky, kx, c_in]` patches.
    fn patches(conv: &Conv2d) -> Self {
        let [cout, cin, kh, kw] = conv.weight.dims();
        let w = floats(conv.weight.val().permute([2, 3, 1, 0]).reshape([kh * kw * cin, cout]));
        Dense { cin: kh * kw * cin, cout, w, b: bias(conv, cout) }
    }

    /// `x`'s rows times the weights, plus the bias and `add` (the block's input) if given,
    /// clipped by ReLU6 if `clip`.
    fn forward(&self, x: &Map, add: Option<&Map>, clip: bool) -> Map {
        assert_eq!(x.c, self.cin, "channels in");
        let pixels = x.h * x.w;
        let mut out = Vec::with_capacity(pixels * self.cout);
        match add {
            Some(add) => {
                for row in add.data.chunks_exact(self.cout) {
                    out.extend(row.iter().zip(&self.b).map(|(a, b)| a + b));
                }
            }
            None => (0..pixels).for_each(|_| out.extend_from_slice(&self.b)),
        }
        matmul_add(&mut out, &x.data, &self.w, pixels, self.cin, self.cout);
        if clip {
            relu6(&mut out);
        }
        Map { h: x.h, w: x.w, c: self.cout, data: out }
    }
}

/// Where a 3x3 convolution's windows lie: its stride and its zero padding, read from the
/// layer (TensorFlow's "SAME": one pixel all round at stride 1, only bottom and right at 2).
#[derive(Clone, Copy)]
struct Window {
    stride: usize,
    top: usize,
    left: usize,
    bottom: usize,
    right: usize,
}

impl Window {
    fn new(conv: &Conv2d) -> Self {
        assert_eq!(conv.kernel_size, [3, 3], "a 3x3 convolution");
        let (top, left, bottom, right) = match conv.padding {
            PaddingConfig2d::Explicit(top, left, bottom, right) => (top, left, bottom, right),
            PaddingConfig2d::Valid => (0, 0, 0, 0),
            PaddingConfig2d::Same => unreachable!("the predictor's padding is explicit"),
        };
        Window { stride: conv.stride[0], top, left, bottom, right }
    }

    /// The output's height and width for an `h` x `w` input.
    fn out(&self, h: usize, w: usize) -> (usize, usize) {
        ((h + self.top + self.bottom - 3) / self.stride + 1, (w + self.left + self.right - 3) / self.stride + 1)
    }

    /// The input pixel under tap `(ky, kx)` of output pixel `(oy, ox)`, if inside the image.
    fn at(&self, x: &Map, oy: usize, ox: usize, ky: usize, kx: usize) -> Option<usize> {
        let iy = (oy * self.stride + ky).checked_sub(self.top).filter(|&iy| iy < x.h)?;
        let ix = (ox * self.stride + kx).checked_sub(self.left).filter(|&ix| ix < x.w)?;
        Some(iy * x.w + ix)
    }
}

/// A depthwise 3x3 convolution followed by ReLU6: `w` is `[ky, kx, c]`.
struct Depthwise {
    window: Window,
    w: Vec<f32>,
    b: Vec<f32>,
}

impl Depthwise {
    fn new(conv: &Conv2d) -> Self {
        let [c, _, kh, kw] = conv.weight.dims();
        let w = floats(conv.weight.val().reshape([c, kh * kw]).transpose());
        Depthwise { window: Window::new(conv), w, b: bias(conv, c) }
    }

    fn forward(&self, x: &Map) -> Map {
        let c = x.c;
        let (oh, ow) = self.window.out(x.h, x.w);
        let mut out = vec![0.0; oh * ow * c];
        for (i, acc) in out.chunks_exact_mut(c).enumerate() {
            let (oy, ox) = (i / ow, i % ow);
            acc.copy_from_slice(&self.b);
            for ky in 0..3 {
                for kx in 0..3 {
                    let Some(pixel) = self.window.at(x, oy, ox, ky, kx) else { continue };
                    let input = &x.data[pixel * c..][..c];
                    let weight = &self.w[(ky * 3 + kx) * c..][..c];
                    for ((a, v), k) in acc.iter_mut().zip(input).zip(weight) {
                        *a += v * k;
                    }
                }
            }
            relu6(acc);
        }
        Map { h: oh, w: ow, c, data: out }
    }
}

/// The 3x3 patches of `window` over `x`, one row of `[ky, kx, c]` per output pixel (zeros
/// outside the image).
fn patches3(x: &Map, window: Window) -> Map {
    let c = x.c;
    let (oh, ow) = window.out(x.h, x.w);
    let mut out = vec![0.0; oh * ow * 9 * c];
    for (i, row) in out.chunks_exact_mut(9 * c).enumerate() {
        let (oy, ox) = (i / ow, i % ow);
        for ky in 0..3 {
            for kx in 0..3 {
                let Some(pixel) = window.at(x, oy, ox, ky, kx) else { continue };
                row[(ky * 3 + kx) * c..][..c].copy_from_slice(&x.data[pixel * c..][..c]);
            }
        }
    }
    Map { h: oh, w: ow, c: 9 * c, data: out }
}

/// MobileNetV2's inverted residual block, channels last.
struct Block {
    expand: Option<Dense>,
    depthwise: Depthwise,
    project: Dense,
    residual: bool,
}

impl Block {
    fn new(block: &InvertedResidual) -> Self {
        Block {
            expand: block.expand.as_ref().map(Dense::pointwise),
            depthwise: Depthwise::new(&block.depthwise),
            project: Dense::pointwise(&block.project),
            residual: block.residual,
        }
    }

    fn forward(&self, x: Map) -> Map {
        let expanded = self.expand.as_ref().map(|expand| expand.forward(&x, None, true));
        let hidden = self.depthwise.forward(expanded.as_ref().unwrap_or(&x));
        self.project.forward(&hidden, self.residual.then_some(&x), false)
    }
}

/// The style predictor's weights laid out for channels-last inference.
pub struct Predictor {
    stem: Dense,
    stem_window: Window,
    blocks: Vec<Block>,
    head: Dense,
    /// The final linear layer: `[1280, STYLE_DIM]` and its bias.
    bottleneck: (Vec<f32>, Vec<f32>),
}

impl std::fmt::Debug for Predictor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "channels_last::Predictor({} blocks)", self.blocks.len())
    }
}

impl Predictor {
    /// Copies `net`'s weights (read from wherever they live) into channels-last order.
    pub fn new(net: &StylePredictor) -> Self {
        let linear = &net.bottleneck;
        Predictor {
            stem: Dense::patches(&net.stem),
            stem_window: Window::new(&net.stem),
            blocks: net.blocks.iter().map(Block::new).collect(),
            head: Dense::pointwise(&net.head),
            bottleneck: (floats(linear.weight.val()), linear.bias.as_ref().map_or_else(|| vec![0.0; STYLE_DIM], |b| floats(b.val()))),
        }
    }

    /// The style vectors of `[n, 3, h, w]` RGB in [0, 1], `[n, STYLE_DIM]` on `rgb`'s device:
    /// what [`StylePredictor::forward`] computes.
    pub fn forward(&self, rgb: Tensor<4>) -> Tensor<2> {
        let device = rgb.device();
        let [n, c, h, w] = rgb.dims();
        let pixels = floats(rgb.permute([0, 2, 3, 1]));
        let mut vectors = Vec::with_capacity(n * STYLE_DIM);
        for image in pixels.chunks_exact(h * w * c) {
            vectors.extend(self.vector(Map { h, w, c, data: image.to_vec() }));
        }
        Tensor::from_data(TensorData::new(vectors, [n, STYLE_DIM]), &device)
    }

    fn vector(&self, rgb: Map) -> Vec<f32> {
        let mut x = self.stem.forward(&patches3(&rgb, self.stem_window), None, true);
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = self.head.forward(&x, None, true);
        // Global average pooling, then the bottleneck to the style vector.
        let mut pooled = vec![0.0; x.c];
        for row in x.data.chunks_exact(x.c) {
            pooled.iter_mut().zip(row).for_each(|(p, v)| *p += v);
        }
        let pixels = (x.h * x.w) as f32;
        pooled.iter_mut().for_each(|p| *p /= pixels);
        let (weight, bias) = &self.bottleneck;
        let mut vector = bias.clone();
        matmul_add(&mut vector, &pooled, weight, 1, x.c, STYLE_DIM);
        vector
    }
}

/// The four rows `[s], [4 + s], [8 + s], [12 + s]` (each `c` long) of a 4x4 block of vectors.
fn rows4(e: &mut [f32], s: usize, c: usize) -> [&mut [f32]; 4] {
    let (r0, rest) = e.split_at_mut(4 * c);
    let (r1, rest) = rest.split_at_mut(4 * c);
    let (r2, r3) = rest.split_at_mut(4 * c);
    [&mut r0[s * c..][..c], &mut r1[s * c..][..c], &mut r2[s * c..][..c], &mut r3[s * c..][..c]]
}

/// A 3x3 convolution of stride 1 over an already padded input, by Winograd's minimal
/// filtering F(2x2, 3x3) (Lavin and Gray 2015): each 2x2 block of outputs from its 4x4 block of
/// inputs with 16 products per input and output channel instead of 36. The input blocks and
/// the kernels are transformed (`B^T d B`, `G g G^T`), multiplied as 16 matrix products over
/// all blocks at once, and transformed back (`A^T m A`).
struct Winograd3 {
    cin: usize,
    cout: usize,
    /// The transformed kernels, `[16, c_in, c_out]`.
    u: Vec<f32>,
    b: Vec<f32>,
}

impl Winograd3 {
    fn new(conv: &Conv2d) -> Self {
        let [cout, cin, kh, kw] = conv.weight.dims();
        assert!(kh == 3 && kw == 3 && conv.stride == [1, 1], "a 3x3 convolution of stride 1");
        let g = floats(conv.weight.val());
        const G: [[f32; 3]; 4] = [[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]];
        let mut u = vec![0.0; 16 * cin * cout];
        for co in 0..cout {
            for ci in 0..cin {
                let k = &g[(co * cin + ci) * 9..][..9];
                // G g: 4x3, then (G g) G^T: 4x4.
                let gk: [[f32; 3]; 4] = std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|r| G[i][r] * k[r * 3 + j]).sum()));
                for i in 0..4 {
                    for l in 0..4 {
                        u[((i * 4 + l) * cin + ci) * cout + co] = (0..3).map(|j| gk[i][j] * G[l][j]).sum();
                    }
                }
            }
        }
        Winograd3 { cin, cout, u, b: bias(conv, cout) }
    }

    /// `x` `[h, w, c_in]` (padded) to `[h - 2, w - 2, c_out]`.
    fn forward(&self, x: &Map) -> Map {
        let (c, cout) = (self.cin, self.cout);
        assert_eq!(x.c, c, "channels in");
        let (oh, ow) = (x.h - 2, x.w - 2);
        let (th, tw) = (oh.div_ceil(2), ow.div_ceil(2));
        let tiles = th * tw;
        // V = B^T d B for every block d, a vector of channels at a time: `[tiles, 16, c_in]`,
        // a row of blocks per task.
        let mut v = vec![0.0; 16 * tiles * c];
        let zeros = vec![0.0; c];
        for_each_chunk(&mut v, 16 * tw * c, |ty, blocks| {
            let mut e = vec![0.0; 16 * c];
            for (tx, block) in blocks.chunks_exact_mut(16 * c).enumerate() {
                let (y0, x0) = (2 * ty, 2 * tx);
                let d = |r: usize, s: usize| {
                    let (y, xx) = (y0 + r, x0 + s);
                    if y < x.h && xx < x.w { &x.data[(y * x.w + xx) * c..][..c] } else { &zeros[..] }
                };
                // e = B^T d, by columns of the block: e[r][s] at e[(r * 4 + s) * c..].
                for s in 0..4 {
                    let (d0, d1, d2, d3) = (d(0, s), d(1, s), d(2, s), d(3, s));
                    let [e0, e1, e2, e3] = rows4(&mut e, s, c);
                    for ch in 0..c {
                        e0[ch] = d0[ch] - d2[ch];
                        e1[ch] = d1[ch] + d2[ch];
                        e2[ch] = d2[ch] - d1[ch];
                        e3[ch] = d1[ch] - d3[ch];
                    }
                }
                // V = e B, by rows.
                for (row, out) in e.chunks_exact(4 * c).zip(block.chunks_exact_mut(4 * c)) {
                    let (e0, e1, e2, e3) = (&row[..c], &row[c..2 * c], &row[2 * c..3 * c], &row[3 * c..]);
                    let (o0, rest) = out.split_at_mut(c);
                    let (o1, rest) = rest.split_at_mut(c);
                    let (o2, o3) = rest.split_at_mut(c);
                    for ch in 0..c {
                        o0[ch] = e0[ch] - e2[ch];
                        o1[ch] = e1[ch] + e2[ch];
                        o2[ch] = e2[ch] - e1[ch];
                        o3[ch] = e1[ch] - e3[ch];
                    }
                }
            }
        });
        // M_k = V_k U_k, `[16, tiles, c_out]`, a product per task.
        let mut m = vec![0.0; 16 * tiles * cout];
        for_each_chunk(&mut m, tiles * cout, |k, mk| {
            matmul_strided(mk, cout, &v[k * c..], 16 * c, &self.u[k * c * cout..][..c * cout], tiles, c, cout, false);
        });
        // Y = A^T M A plus the bias, a vector of channels at a time, a row of blocks per task.
        let mut out = vec![0.0; oh * ow * cout];
        for_each_chunk(&mut out, 2 * ow * cout, |ty, rows| {
            let mut t = vec![0.0; 8 * cout];
            for tx in 0..tw {
                let tile = ty * tw + tx;
                let m = |i: usize, j: usize| &m[((i * 4 + j) * tiles + tile) * cout..][..cout];
                // t = A^T M: t[i][j] at t[(i * 4 + j) * cout..].
                let (t0, t1) = t.split_at_mut(4 * cout);
                for j in 0..4 {
                    let (m0, m1, m2, m3) = (m(0, j), m(1, j), m(2, j), m(3, j));
                    let (t0, t1) = (&mut t0[j * cout..][..cout], &mut t1[j * cout..][..cout]);
                    for co in 0..cout {
                        t0[co] = m0[co] + m1[co] + m2[co];
                        t1[co] = m1[co] - m2[co] - m3[co];
                    }
                }
                // Y = t A, plus the bias.
                for (i, row) in rows.chunks_exact_mut(ow * cout).enumerate() {
                    let t = &t[i * 4 * cout..][..4 * cout];
                    let (t0, t1, t2, t3) = (&t[..cout], &t[cout..2 * cout], &t[2 * cout..3 * cout], &t[3 * cout..]);
                    let x0 = 2 * tx;
                    let o = &mut row[x0 * cout..][..cout];
                    for co in 0..cout {
                        o[co] = t0[co] + t1[co] + t2[co] + self.b[co];
                    }
                    if x0 + 1 < ow {
                        let o = &mut row[(x0 + 1) * cout..][..cout];
                        for co in 0..cout {
                            o[co] = t1[co] - t2[co] - t3[co] + self.b[co];
                        }
                    }
                }
            }
        });
        Map { h: oh, w: ow, c: cout, data: out }
    }
}

/// Calls `f(i, chunk)` for each `size`-long chunk of `data` (the last may be shorter), over
/// the thread pool where there is one.
fn for_each_chunk(data: &mut [f32], size: usize, f: impl Fn(usize, &mut [f32]) + Send + Sync) {
    #[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
    {
        use rayon::prelude::*;
        data.par_chunks_mut(size).enumerate().for_each(|(i, chunk)| f(i, chunk));
    }
    #[cfg(not(any(not(target_arch = "wasm32"), feature = "threads")))]
    data.chunks_mut(size).enumerate().for_each(|(i, chunk)| f(i, chunk));
}

/// `x` reflection-padded by one pixel on every side.
fn reflect1(x: &Map) -> Map {
    let (h, w, c) = (x.h, x.w, x.c);
    assert!(h >= 2 && w >= 2, "reflect1: at least 2x2");
    let mut out = Vec::with_capacity((h + 2) * (w + 2) * c);
    for py in 0..h + 2 {
        let y = match py {
            0 => 1,
            _ if py == h + 1 => h - 2,
            _ => py - 1,
        };
        let row = &x.data[y * w * c..][..w * c];
        out.extend_from_slice(&row[c..2 * c]);
        out.extend_from_slice(row);
        out.extend_from_slice(&row[(w - 2) * c..(w - 1) * c]);
    }
    Map { h: h + 2, w: w + 2, c, data: out }
}

/// Conditional instance normalisation in place ([`crate::instant`]'s `StyleNorm` with its
/// `gamma` and `beta` for this style): each channel normalised over the image, scaled and
/// shifted; then ReLU if `relu`.
fn style_norm(x: &mut Map, gamma: &[f32], beta: &[f32], relu: bool) {
    let c = x.c;
    let pixels = (x.h * x.w) as f32;
    let mut mean = vec![0.0f32; c];
    for row in x.data.chunks_exact(c) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= pixels);
    let mut var = vec![0.0f32; c];
    for row in x.data.chunks_exact(c) {
        var.iter_mut().zip(row).zip(&mean).for_each(|((s, v), m)| *s += (v - m) * (v - m));
    }
    let scale: Vec<f32> = var.iter().zip(gamma).map(|(v, g)| g / (v / pixels + 1e-5).sqrt()).collect();
    let shift: Vec<f32> = beta.iter().zip(&mean).zip(&scale).map(|((b, m), s)| b - m * s).collect();
    for row in x.data.chunks_exact_mut(c) {
        for ((v, s), t) in row.iter_mut().zip(&scale).zip(&shift) {
            *v = *v * s + t;
            if relu {
                *v = v.max(0.0);
            }
        }
    }
}

/// The transformer's five residual blocks, channels last: their 3x3 convolutions by
/// [`Winograd3`], reflection padding, style norms, ReLU and the sums in place.
pub struct Trunk {
    convs: Vec<[Winograd3; 2]>,
}

impl std::fmt::Debug for Trunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "channels_last::Trunk({} blocks)", self.convs.len())
    }
}

impl Trunk {
    pub fn new(blocks: &[ResidualBlock]) -> Self {
        Trunk { convs: blocks.iter().map(|b| [Winograd3::new(&b.conv1), Winograd3::new(&b.conv2)]).collect() }
    }

    /// What `blocks` (whose convolutions made this trunk) compute from `[1, c, h, w]` `x` with
    /// `style`: each `x + norm2(conv2(reflect(relu(norm1(conv1(reflect(x)))))))`.
    pub fn forward(&self, blocks: &[ResidualBlock], x: Tensor<4>, style: Tensor<2>) -> Tensor<4> {
        let device = x.device();
        let [n, c, h, w] = x.dims();
        assert_eq!(n, 1, "one image");
        let mut x = Map { h, w, c, data: floats(x.permute([0, 2, 3, 1])) };
        let affine = |linear: &Linear| floats(linear.forward(style.clone()));
        for ([conv1, conv2], block) in self.convs.iter().zip(blocks) {
            let mut hidden = conv1.forward(&reflect1(&x));
            style_norm(&mut hidden, &affine(&block.norm1.gamma), &affine(&block.norm1.beta), true);
            let mut out = conv2.forward(&reflect1(&hidden));
            style_norm(&mut out, &affine(&block.norm2.gamma), &affine(&block.norm2.beta), false);
            x.data.iter_mut().zip(&out.data).for_each(|(a, b)| *a += b);
        }
        Tensor::<4>::from_data(TensorData::new(x.data, [1, h, w, c]), &device).permute([0, 3, 1, 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instant::{InstantStyle, reference_input};

    #[test]
    fn channels_last_gives_the_layer_by_layer_style_vectors() {
        let device = Device::flex();
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/instant-style.safetensors")).unwrap();
        let net = InstantStyle::from_safetensors(bytes, &device).unwrap().predictor;
        assert!(net.channels_last.is_some(), "loaded on the CPU, the predictor runs channels last");
        // Two images of a non-square size: both strides' windows meet odd and even sides.
        let rgb = Tensor::cat(vec![reference_input(64, 48, 0, &device), reference_input(64, 48, 5, &device)], 0);
        let want = floats(net.forward_channels_first(rgb.clone()));
        let got = floats(net.forward(rgb));
        assert_eq!(got.len(), 2 * STYLE_DIM);
        let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= 1e-5 * scale, "{g} vs {w} (largest {scale})");
        }
        // Each image gets its own vector.
        assert!(got[..STYLE_DIM].iter().zip(&got[STYLE_DIM..]).any(|(a, b)| (a - b).abs() > 1e-2 * scale));
    }

    #[test]
    fn the_trunk_channels_last_is_the_residual_blocks() {
        let device = Device::flex();
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/instant-style.safetensors")).unwrap();
        let net = InstantStyle::from_safetensors(bytes, &device).unwrap().transformer;
        let trunk = net.channels_last.as_ref().expect("loaded on the CPU, the trunk runs channels last");
        // Odd sides: the last row and column of Winograd's 2x2 blocks lie half outside.
        let x = Tensor::cat((0..11).map(|k| reference_input(9, 13, k, &device)).collect(), 1).slice([0..1, 0..32, 0..9, 0..13]);
        let style: Vec<f32> = (0..STYLE_DIM).map(|i| ((i * 7) % 13) as f32 / 13.0 - 0.5).collect();
        let style = Tensor::<1>::from_floats(style.as_slice(), &device).reshape([1, STYLE_DIM]);
        let mut want = x.clone();
        for block in &net.residual {
            want = block.forward(want, style.clone());
        }
        let want = floats(want);
        let got = floats(trunk.forward(&net.residual, x, style));
        assert_eq!(got.len(), want.len());
        let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= 1e-4 * scale, "{g} vs {w} (largest {scale})");
        }
    }
}
