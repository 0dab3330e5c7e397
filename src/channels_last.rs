//! Instant style on the CPU with channels last: both networks whole, the style predictor
//! (MobileNetV2) and the transformer.
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
//! - the predictor's stem and the transformer's two stride-2 convolutions gather each output
//!   pixel's 3x3 inputs into a row, then one matrix product;
//! - the residual blocks' 3x3 convolutions (32 -> 32 channels) use Winograd's F(4x4, 3x3):
//!   36 products per 4x4 outputs instead of 144, as 36 matrix products over the whole image;
//! - the up stages are four 2x2 convolutions of the small image, one per output phase
//!   ([`crate::model::phase_conv3`]), and the two 9x9 convolutions (3 -> 8 and 8 -> 3
//!   channels: as matrix products they would be mostly padding) are direct, from channel
//!   planes, by register blocks of 8 output pixels times 3 or 4 output channels (`Direct`,
//!   `UpStage`; explicit wasm SIMD, which LLVM left out here), a task per output row;
//! - norms, ReLU, padding, sums and the final logistic are loops over whole buffers, in place
//!   where they can be.
//!
//! The predictor runs several images side by side, one per thread (its layers are too small
//! to split well).
//!
//! Inference only: the same numbers as Burn's layers to float rounding (tested), from the same
//! weights, converted once when the network is loaded. Timings: bench/README.md.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;

use burn::nn::Linear;

use crate::instant::{InvertedResidual, STYLE_DIM, StyleNorm, StylePredictor, Transformer};

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

/// ReLU in place (as comparisons: see [`relu6`]).
fn relu(values: &mut [f32]) {
    for v in values {
        *v = if *v > 0.0 { *v } else { 0.0 };
    }
}

/// ReLU6 in place. Written as comparisons: `f32::clamp`/`max` keep IEEE's rules for NaN,
/// which wasm's own min/max instructions do not, and there they stay scalar.
fn relu6(values: &mut [f32]) {
    for v in values {
        let x = if *v > 0.0 { *v } else { 0.0 };
        *v = if x < 6.0 { x } else { 6.0 };
    }
}

/// Products of at least this many multiply-adds are split over the thread pool, where there is
/// one (the size Burn's CPU backend uses).
#[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
const PARALLEL_MACS: usize = 192 * 192 * 192;

/// `out += a b` for row-major `a` `[m, k]`, `b` `[k, n]` and `out` `[m, n]`.
fn matmul_add(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) {
    matmul_strided(out, n, a, k, b, m, k, n, true);
}

/// `out = a b` (or `out += a b` if `accumulate`) for row-major `a` `[m, k]`, `b` `[k, n]` and
/// `out` `[m, n]`, with rows of `out` `out_row` floats apart and rows of `a` `a_row` apart.
#[allow(clippy::too_many_arguments)]
fn matmul_strided(out: &mut [f32], out_row: usize, a: &[f32], a_row: usize, b: &[f32], m: usize, k: usize, n: usize, accumulate: bool) {
    // Rows of `a` may overlap (read only); rows of `out` may not.
    assert!(m > 0 && n <= out_row, "matmul: shapes");
    assert!(out.len() >= (m - 1) * out_row + n && a.len() >= (m - 1) * a_row + k && b.len() == k * n, "matmul: sizes");
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
    /// then `activation` in place if given.
    fn forward(&self, x: &Map, add: Option<&Map>, activation: Option<fn(&mut [f32])>) -> Map {
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
        if let Some(activation) = activation {
            activation(&mut out);
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
        let expanded = self.expand.as_ref().map(|expand| expand.forward(&x, None, Some(relu6)));
        let hidden = self.depthwise.forward(expanded.as_ref().unwrap_or(&x));
        self.project.forward(&hidden, self.residual.then_some(&x), None)
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
        // The images side by side, one per thread: most layers are too small to split well.
        let mut vectors = vec![0.0; n * STYLE_DIM];
        for_each_chunk(&mut vectors, STYLE_DIM, |i, vector| {
            let image = pixels[i * h * w * c..][..h * w * c].to_vec();
            vector.copy_from_slice(&self.vector(Map { h, w, c, data: image }));
        });
        Tensor::from_data(TensorData::new(vectors, [n, STYLE_DIM]), &device)
    }

    fn vector(&self, rgb: Map) -> Vec<f32> {
        let mut x = self.stem.forward(&patches3(&rgb, self.stem_window), None, Some(relu6));
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = self.head.forward(&x, None, Some(relu6));
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

/// Winograd's F(4x4, 3x3) (Lavin and Gray 2015): the kernel transform `G` (6x3). The input
/// transform `B^T` and the output transform `A^T` are [`input_transform`] and
/// [`output_transform`].
const G: [[f32; 3]; 6] = [
    [0.25, 0.0, 0.0],
    [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
    [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
    [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
    [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
    [0.0, 0.0, 1.0],
];

/// `out` (six vectors of `c`) `= B^T d` for six vectors `d` of a block's row or column, with
/// `B^T` = `[4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0;
/// 0 4 0 -5 0 1]`, factored.
fn input_transform(out: &mut [f32], d: [&[f32]; 6]) {
    let c = out.len() / 6;
    let [d0, d1, d2, d3, d4, d5] = d.map(|d| &d[..c]);
    let (o0, rest) = out.split_at_mut(c);
    let (o1, rest) = rest.split_at_mut(c);
    let (o2, rest) = rest.split_at_mut(c);
    let (o3, rest) = rest.split_at_mut(c);
    let (o4, o5) = rest.split_at_mut(c);
    for ch in 0..c {
        let (a, b) = (d4[ch] - 4.0 * d2[ch], d3[ch] - 4.0 * d1[ch]);
        let (p, q) = (d4[ch] - d2[ch], 2.0 * (d3[ch] - d1[ch]));
        o0[ch] = 4.0 * d0[ch] - 5.0 * d2[ch] + d4[ch];
        o1[ch] = a + b;
        o2[ch] = a - b;
        o3[ch] = p + q;
        o4[ch] = p - q;
        o5[ch] = 4.0 * d1[ch] - 5.0 * d3[ch] + d5[ch];
    }
}

/// `out` (four vectors of `c`) `= A^T m` (plus `bias`) for six vectors `m`, with `A^T` =
/// `[1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]`, factored.
fn output_transform(out: &mut [f32], m: [&[f32]; 6], bias: &[f32]) {
    let c = out.len() / 4;
    let [m0, m1, m2, m3, m4, m5] = m.map(|m| &m[..c]);
    let bias = &bias[..c];
    let (o0, rest) = out.split_at_mut(c);
    let (o1, rest) = rest.split_at_mut(c);
    let (o2, o3) = rest.split_at_mut(c);
    for ch in 0..c {
        let (s12, d12) = (m1[ch] + m2[ch], m1[ch] - m2[ch]);
        let (s34, d34) = (m3[ch] + m4[ch], m3[ch] - m4[ch]);
        o0[ch] = m0[ch] + s12 + s34 + bias[ch];
        o1[ch] = d12 + 2.0 * d34 + bias[ch];
        o2[ch] = s12 + 4.0 * s34 + bias[ch];
        o3[ch] = d12 + 8.0 * d34 + m5[ch] + bias[ch];
    }
}

/// A 3x3 convolution of stride 1 over an already padded input, by Winograd's minimal filtering
/// F(4x4, 3x3): each 4x4 block of outputs from its 6x6 block of inputs with 36 products per
/// input and output channel instead of 144. The input blocks and the kernels are transformed
/// (`B^T d B`, `G g G^T`), multiplied as 36 matrix products over all blocks at once, and
/// transformed back (`A^T m A`).
struct Winograd3 {
    cin: usize,
    cout: usize,
    /// The transformed kernels, `[36, c_in, c_out]`.
    u: Vec<f32>,
    b: Vec<f32>,
}

impl Winograd3 {
    fn new(conv: &Conv2d) -> Self {
        let [cout, cin, kh, kw] = conv.weight.dims();
        assert!(kh == 3 && kw == 3 && conv.stride == [1, 1], "a 3x3 convolution of stride 1");
        let g = floats(conv.weight.val());
        let mut u = vec![0.0; 36 * cin * cout];
        for co in 0..cout {
            for ci in 0..cin {
                let k = &g[(co * cin + ci) * 9..][..9];
                // G g: 6x3, then (G g) G^T: 6x6 (in f64: the fractions round once).
                let gk: [[f64; 3]; 6] = std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|r| G[i][r] as f64 * k[r * 3 + j] as f64).sum()));
                for i in 0..6 {
                    for l in 0..6 {
                        u[((i * 6 + l) * cin + ci) * cout + co] = (0..3).map(|j| gk[i][j] * G[l][j] as f64).sum::<f64>() as f32;
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
        let (th, tw) = (oh.div_ceil(4), ow.div_ceil(4));
        let tiles = th * tw;
        // V = B^T d B for every block d, a vector of channels at a time: `[tiles, 36, c_in]`,
        // a row of blocks per task.
        let mut v = vec![0.0; 36 * tiles * c];
        let zeros = vec![0.0; c];
        for_each_chunk(&mut v, 36 * tw * c, |ty, blocks| {
            // B^T d by columns, column `s` at `e[6 s c..]`.
            let mut e = vec![0.0; 36 * c];
            for (tx, block) in blocks.chunks_exact_mut(36 * c).enumerate() {
                let (y0, x0) = (4 * ty, 4 * tx);
                let d = |r: usize, s: usize| {
                    let (y, xx) = (y0 + r, x0 + s);
                    if y < x.h && xx < x.w { &x.data[(y * x.w + xx) * c..][..c] } else { &zeros[..] }
                };
                for (s, column) in e.chunks_exact_mut(6 * c).enumerate() {
                    input_transform(column, std::array::from_fn(|r| d(r, s)));
                }
                // Then times B by rows: V[r][l] at `block[(6 r + l) c..]`.
                for (r, row) in block.chunks_exact_mut(6 * c).enumerate() {
                    input_transform(row, std::array::from_fn(|s| &e[(6 * s + r) * c..][..c]));
                }
            }
        });
        // M_k = V_k U_k, `[36, tiles, c_out]`, a product per task.
        let mut m = vec![0.0; 36 * tiles * cout];
        for_each_chunk(&mut m, tiles * cout, |k, mk| {
            matmul_strided(mk, cout, &v[k * c..], 36 * c, &self.u[k * c * cout..][..c * cout], tiles, c, cout, false);
        });
        // Y = A^T M A plus the bias, a vector of channels at a time, a row of blocks per task.
        let mut out = vec![0.0; oh * ow * cout];
        let no_bias = vec![0.0; cout];
        for_each_chunk(&mut out, 4 * ow * cout, |ty, rows| {
            // A^T M by columns, column `j` at `t[4 j c_out..]`; then times A by rows.
            let (mut t, mut y) = (vec![0.0; 24 * cout], vec![0.0; 4 * cout]);
            for tx in 0..tw {
                let tile = ty * tw + tx;
                for (j, column) in t.chunks_exact_mut(4 * cout).enumerate() {
                    output_transform(column, std::array::from_fn(|r| &m[((6 * r + j) * tiles + tile) * cout..][..cout]), &no_bias);
                }
                let width = 4.min(ow - 4 * tx) * cout;
                for (i, row) in rows.chunks_exact_mut(ow * cout).enumerate() {
                    output_transform(&mut y, std::array::from_fn(|l| &t[(4 * l + i) * cout..][..cout]), &self.b);
                    row[4 * tx * cout..][..width].copy_from_slice(&y[..width]);
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

/// `x` reflection-padded by `p` pixels on every side (the `p` rows and columns next to each
/// edge, mirrored).
fn reflect(x: &Map, p: usize) -> Map {
    let (h, w, c) = (x.h, x.w, x.c);
    assert!(h > p && w > p, "reflect: the image is larger than the padding");
    let mirror = |i: usize, n: usize| mirrored(i, n, p);
    let mut out = Vec::with_capacity((h + 2 * p) * (w + 2 * p) * c);
    for py in 0..h + 2 * p {
        let row = &x.data[mirror(py, h) * w * c..][..w * c];
        (0..p).for_each(|px| out.extend_from_slice(&row[mirror(px, w) * c..][..c]));
        out.extend_from_slice(row);
        (w + p..w + 2 * p).for_each(|px| out.extend_from_slice(&row[mirror(px, w) * c..][..c]));
    }
    Map { h: h + 2 * p, w: w + 2 * p, c, data: out }
}

/// Conditional instance normalisation in place ([`crate::instant`]'s `StyleNorm` with its
/// `gamma` and `beta` for this style): each channel normalised over the image, scaled and
/// shifted; then ReLU if `relu`. The pixels are walked in blocks of at least 64 values (whole
/// pixels, per-channel numbers repeated to match), so that every loop vectorises even for 8
/// channels.
fn style_norm(x: &mut Map, gamma: &[f32], beta: &[f32], relu: bool) {
    let c = x.c;
    let block = c * 64usize.div_ceil(c);
    let tiled = |v: &[f32]| v.iter().copied().cycle().take(block).collect::<Vec<f32>>();
    let split = x.data.len() / block * block;
    // Per-channel sums over the pixels of `f(value, the channel's number in `by`)`:
    // block-wide partial sums, then folded.
    let channel_sums = |data: &[f32], by: &[f32], f: fn(f32, f32) -> f32| {
        let mut acc = vec![0.0f32; block];
        for chunk in data[..split].chunks_exact(block) {
            for ((a, v), b) in acc.iter_mut().zip(chunk).zip(by) {
                *a += f(*v, *b);
            }
        }
        for row in data[split..].chunks_exact(c) {
            for ((a, v), b) in acc.iter_mut().zip(row).zip(by) {
                *a += f(*v, *b);
            }
        }
        let mut sums = vec![0.0f32; c];
        for part in acc.chunks_exact(c) {
            sums.iter_mut().zip(part).for_each(|(s, p)| *s += p);
        }
        sums
    };
    let pixels = (x.h * x.w) as f32;
    let zeros = vec![0.0f32; block];
    let mean: Vec<f32> = channel_sums(&x.data, &zeros, |v, _| v).iter().map(|s| s / pixels).collect();
    let var = channel_sums(&x.data, &tiled(&mean), |v, m| (v - m) * (v - m));
    let scale: Vec<f32> = var.iter().zip(gamma).map(|(v, g)| g / (v / pixels + 1e-5).sqrt()).collect();
    let shift: Vec<f32> = beta.iter().zip(&mean).zip(&scale).map(|((b, m), s)| b - m * s).collect();
    let (scale, shift) = (tiled(&scale), tiled(&shift));
    let apply = |values: &mut [f32]| {
        for ((v, s), t) in values.iter_mut().zip(&scale).zip(&shift) {
            let y = *v * s + t;
            *v = if relu && y < 0.0 { 0.0 } else { y };
        }
    };
    let (body, tail) = x.data.split_at_mut(split);
    body.chunks_exact_mut(block).for_each(apply);
    apply(tail);
}

/// An up stage (nearest x2, mirrored by one pixel, 3x3) by phases, as
/// [`crate::model::phase_conv3`] computes it: output pixel `(2i + a, 2j + b)` is a 2x2
/// convolution of the edge-padded small image at `(i + a, j + b)`. Computed like [`Direct`]:
/// from channel planes, by register blocks of 8 small pixels times 4 output channels.
struct UpStage {
    cin: usize,
    cout: usize,
    /// Phase `a * 2 + b`: register blocks of 4 output channels, `[c_in, 2, 2, 4]` each (input
    /// channel, kernel row, kernel column).
    w: [Vec<Vec<F4>>; 4],
    b: Vec<f32>,
}

/// Output channels in an up stage's register block.
const UP_CHANNELS: usize = 4;

impl UpStage {
    fn new(conv: &Conv2d) -> Self {
        let [cout, cin, kh, kw] = conv.weight.dims();
        assert_eq!([kh, kw], [3, 3], "a 3x3 convolution");
        let g = floats(conv.weight.val());
        let taps = crate::model::phase_taps();
        let w = std::array::from_fn(|phase| {
            // Tap `(ci * 2 + r) * 2 + c`: the sum of the 3x3 weights phase_taps maps onto it.
            weight_blocks::<UP_CHANNELS>(cin * 4, cout, |tap, co| {
                let (ci, r, c) = (tap / 4, tap / 2 % 2, tap % 2);
                let column = (phase * 2 + r) * 2 + c;
                (0..9).filter(|t| taps[t * 16 + column] != 0.0).map(|t| g[(co * cin + ci) * 9 + t]).sum()
            })
        });
        UpStage { cin, cout, w, b: bias(conv, cout) }
    }

    /// `[h, w, c_in]` to `[2h, 2w, c_out]`.
    fn forward(&self, x: &Map) -> Map {
        const C: usize = UP_CHANNELS;
        let (cin, cout, h, w) = (self.cin, self.cout, x.h, x.w);
        assert_eq!(x.c, cin, "channels in");
        // Blocks of 8 pixels from column `b` on read up to 2 past the block.
        let planes = Planes::from_map(x, 1, w.next_multiple_of(PIXELS) + 2, clamped);
        let wide = 2 * w.next_multiple_of(PIXELS) * cout;
        let mut out = vec![0.0; 4 * h * w * cout];
        // A small row `i` per task: output rows `2i` and `2i + 1`.
        for_each_chunk(&mut out, 4 * w * cout, |i, rows| {
            let mut two = vec![0.0; 2 * wide];
            for (phase, blocks) in self.w.iter().enumerate() {
                let (a, b) = (phase / 2, phase % 2);
                for (block, weights) in blocks.iter().enumerate() {
                    for x0 in (0..w).step_by(PIXELS) {
                        let mut acc = biased::<C>(&self.b, block);
                        for ci in 0..cin {
                            for r in 0..2 {
                                let line = &planes.data[(ci * planes.h + i + a + r) * planes.stride + x0 + b..][..PIXELS + 1];
                                accumulate(&mut acc, line, &weights[(ci * 2 + r) * 2 * C..][..2 * C]);
                            }
                        }
                        store(&acc, &mut two[a * wide..][..wide], |p| (2 * (x0 + p) + b) * cout + block * C);
                    }
                }
            }
            for (row, from) in rows.chunks_exact_mut(2 * w * cout).zip(two.chunks_exact(wide)) {
                row.copy_from_slice(&from[..2 * w * cout]);
            }
        });
        Map { h: 2 * h, w: 2 * w, c: cout, data: out }
    }
}

/// Four floats as one SIMD value: wasm's `v128` where the build has SIMD (LLVM leaves
/// [`Direct`]'s register blocks scalar on wasm otherwise), elsewhere an array the compiler
/// vectorises by itself.
#[derive(Clone, Copy)]
struct F4(
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))] std::arch::wasm32::v128,
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))] [f32; 4],
);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl F4 {
    fn splat(v: f32) -> Self {
        F4(std::arch::wasm32::f32x4_splat(v))
    }

    /// The first four values of `s`.
    fn load(s: &[f32]) -> Self {
        let s = &s[..4];
        // SAFETY: `s` holds four floats; v128 loads need no alignment.
        F4(unsafe { std::arch::wasm32::v128_load(s.as_ptr().cast()) })
    }

    /// `self + a b`.
    fn mul_add(self, a: F4, b: F4) -> Self {
        use std::arch::wasm32::{f32x4_add, f32x4_mul};
        F4(f32x4_add(self.0, f32x4_mul(a.0, b.0)))
    }

    fn lanes(self) -> [f32; 4] {
        use std::arch::wasm32::f32x4_extract_lane as lane;
        [lane::<0>(self.0), lane::<1>(self.0), lane::<2>(self.0), lane::<3>(self.0)]
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl F4 {
    fn splat(v: f32) -> Self {
        F4([v; 4])
    }

    /// The first four values of `s`.
    fn load(s: &[f32]) -> Self {
        F4(s[..4].try_into().expect("four floats"))
    }

    /// `self + a b`.
    fn mul_add(self, a: F4, b: F4) -> Self {
        F4(std::array::from_fn(|i| self.0[i] + a.0[i] * b.0[i]))
    }

    fn lanes(self) -> [f32; 4] {
        self.0
    }
}

/// Channel planes padded by `p` pixels, each row `stride` floats long (zeros past the image's
/// padded width, so that whole blocks of output pixels can be read).
struct Planes {
    c: usize,
    h: usize,
    w: usize,
    stride: usize,
    data: Vec<f32>,
}

/// Where padded row or column `i` (of `n` inside, padded by `p`) is read from: mirrored
/// (reflection padding) or the edge repeated.
fn mirrored(i: usize, n: usize, p: usize) -> usize {
    match i {
        _ if i < p => p - i,
        _ if i >= n + p => 2 * n + p - 2 - i,
        _ => i - p,
    }
}

fn clamped(i: usize, n: usize, p: usize) -> usize {
    i.saturating_sub(p).min(n - 1)
}

impl Planes {
    /// The image whose channel `ch` at `(y, x)` is `at(ch, y, x)` (`h` x `w`), padded by `p`
    /// with rows and columns read from `source` ([`mirrored`] or [`clamped`]).
    #[allow(clippy::too_many_arguments)]
    fn padded(c: usize, h: usize, w: usize, p: usize, stride: usize, source: fn(usize, usize, usize) -> usize, at: impl Fn(usize, usize, usize) -> f32) -> Self {
        assert!(h > p && w > p && stride >= w + 2 * p, "pad: the image is larger than the padding");
        let (ph, pw) = (h + 2 * p, w + 2 * p);
        let mut data = vec![0.0; c * ph * stride];
        for ch in 0..c {
            for py in 0..ph {
                let (y, row) = (source(py, h, p), &mut data[(ch * ph + py) * stride..][..pw]);
                for (px, v) in row.iter_mut().enumerate() {
                    *v = at(ch, y, source(px, w, p));
                }
            }
        }
        Planes { c, h: ph, w: pw, stride, data }
    }

    /// `x` padded by `p`, as planes.
    fn from_map(x: &Map, p: usize, stride: usize, source: fn(usize, usize, usize) -> usize) -> Self {
        Planes::padded(x.c, x.h, x.w, p, stride, source, |ch, y, xx| x.data[(y * x.w + xx) * x.c + ch])
    }
}

/// `acc += w v` for a register block: for each tap `kx` of one input row, the block's 8 inputs
/// from `line[kx..]` times each of the tap's `C` weights (`taps[kx C..][..C]`).
#[inline(always)]
fn accumulate<const C: usize>(acc: &mut [[F4; 2]; C], line: &[f32], taps: &[F4]) {
    for (kx, taps) in taps.chunks_exact(C).enumerate() {
        let v = [F4::load(&line[kx..]), F4::load(&line[kx + 4..])];
        for (a, &w) in acc.iter_mut().zip(taps) {
            *a = [a[0].mul_add(w, v[0]), a[1].mul_add(w, v[1])];
        }
    }
}

/// A register block of output channels `block C..` at their biases.
fn biased<const C: usize>(bias: &[f32], block: usize) -> [[F4; 2]; C] {
    std::array::from_fn(|c| [F4::splat(bias[block * C + c]); 2])
}

/// Writes a register block out: pixel `p`'s `C` channels to `out[at(p)..]`.
fn store<const C: usize>(acc: &[[F4; 2]; C], out: &mut [f32], at: impl Fn(usize) -> usize) {
    for (c, [a0, a1]) in acc.iter().enumerate() {
        for (p, v) in a0.lanes().into_iter().chain(a1.lanes()).enumerate() {
            out[at(p) + c] = v;
        }
    }
}

/// Weights for register blocks of `C` output channels, each already in every lane: for block
/// `i`, `[tap, C]` where `weight(tap, co)` is the weight of output channel `co` at `tap`.
fn weight_blocks<const C: usize>(taps: usize, cout: usize, weight: impl Fn(usize, usize) -> f32) -> Vec<Vec<F4>> {
    (0..cout / C)
        .map(|block| {
            let mut w = Vec::with_capacity(taps * C);
            for tap in 0..taps {
                w.extend((0..C).map(|c| F4::splat(weight(tap, block * C + c))));
            }
            w
        })
        .collect()
}

/// A kxk convolution of few channels (stride 1, no padding) from channel planes, by blocks of
/// `P` output pixels times `C` output channels kept in registers: each tap is one load of `P`
/// inputs and `C` weights for `C P` multiply-adds (a loop over the image per tap would load
/// and store every output again). The first 9x9 layer (3 -> 8 channels) and the last (8 -> 3).
struct Direct {
    k: usize,
    cin: usize,
    cout: usize,
    /// `[c_out, c_in, k, k]`, as Burn keeps it.
    w: Vec<f32>,
    b: Vec<f32>,
}

/// Output pixels in a register block: two [`F4`]s.
const PIXELS: usize = 8;

impl Direct {
    fn new(conv: &Conv2d) -> Self {
        let [cout, cin, kh, kw] = conv.weight.dims();
        assert!(kh == kw && conv.stride == [1, 1] && conv.padding == PaddingConfig2d::Valid, "a square valid convolution of stride 1");
        Direct { k: kh, cin, cout, w: floats(conv.weight.val()), b: bias(conv, cout) }
    }

    /// The row stride input planes need for blocks of `P` output pixels over `w` input pixels.
    fn stride(&self, w: usize) -> usize {
        (w - self.k + 1).next_multiple_of(PIXELS) + self.k - 1
    }

    /// `x` to `[h - k + 1, w - k + 1, c_out]`, channels last, then `activation`; output
    /// channels `C` at a time (`C` divides `c_out`).
    fn forward<const C: usize>(&self, x: &Planes, activation: Option<fn(&mut [f32])>) -> Map {
        let (k, cin, cout) = (self.k, self.cin, self.cout);
        assert!(x.c == cin && cout % C == 0 && x.stride >= self.stride(x.w), "direct: shapes");
        let (oh, ow) = (x.h - k + 1, x.w - k + 1);
        // Each block of `C` output channels' weights, tap by tap: `[c_in, k, k, C]`.
        let blocks = weight_blocks::<C>(cin * k * k, cout, |tap, co| self.w[co * cin * k * k + tap]);
        let mut out = vec![0.0; oh * ow * cout];
        for_each_chunk(&mut out, ow * cout, |oy, row| {
            // Whole blocks of `P` pixels (a constant count keeps `acc` in registers), trimmed
            // after.
            let mut wide = vec![0.0; ow.next_multiple_of(PIXELS) * cout];
            for (block, weights) in blocks.iter().enumerate() {
                for x0 in (0..ow).step_by(PIXELS) {
                    let mut acc = biased::<C>(&self.b, block);
                    for ci in 0..cin {
                        for ky in 0..k {
                            let line = &x.data[(ci * x.h + oy + ky) * x.stride + x0..][..PIXELS + k - 1];
                            accumulate(&mut acc, line, &weights[(ci * k + ky) * k * C..][..k * C]);
                        }
                    }
                    store(&acc, &mut wide, |p| (x0 + p) * cout + block * C);
                }
            }
            row.copy_from_slice(&wide[..ow * cout]);
        });
        if let Some(activation) = activation {
            activation(&mut out);
        }
        Map { h: oh, w: ow, c: cout, data: out }
    }
}

/// The logistic function in place, `1 / (1 + e^-v)`, with an `exp` of its own: the standard
/// library's stays scalar on wasm; this vectorises. `e^x = 2^n e^r` with `n` the nearest
/// integer to `x / ln 2` and `|r| <= ln 2 / 2`, where a degree-6 Taylor polynomial is within
/// 2e-7 (relative).
fn sigmoid(values: &mut [f32]) {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    for v in values {
        // Past these, e^x under- or overflows f32 (and the logistic is 1 or 0 anyway).
        let x = -*v;
        let x = if x < -87.0 { -87.0 } else if x > 88.0 { 88.0 } else { x };
        let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
        let r = x - n * LN2_HI - n * LN2_LO;
        let p = 1.0 + r * (1.0 + r * (1.0 / 2.0 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
        let scale = f32::from_bits(((n as i32 + 127) << 23) as u32);
        *v = 1.0 / (1.0 + p * scale);
    }
}

/// The transformer, channels last: the first 9x9 convolution (`Direct`), the two stride-2
/// 3x3 convolutions down (patches and a matrix product), the five residual blocks (their 3x3
/// convolutions by `Winograd3`), the two up stages (by `UpStage`) and the last 9x9
/// convolution (`Direct`), with their reflection padding, style norms, ReLU, sums and the
/// final logistic in place.
pub struct Transform {
    first: Direct,
    down: [(Window, Dense); 2],
    residual: Vec<[Winograd3; 2]>,
    up: [UpStage; 2],
    last: Direct,
}

impl std::fmt::Debug for Transform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "channels_last::Transform({} residual blocks)", self.residual.len())
    }
}

impl Transform {
    pub fn new(net: &Transformer) -> Self {
        let down = |conv: &Conv2d| (Window::new(conv), Dense::patches(conv));
        let (c, e) = (&net.contract, &net.expand);
        Transform {
            first: Direct::new(&c.conv1),
            down: [down(&c.conv2), down(&c.conv3)],
            residual: net.residual.iter().map(|b| [Winograd3::new(&b.conv1), Winograd3::new(&b.conv2)]).collect(),
            up: [UpStage::new(&e.conv1), UpStage::new(&e.conv2)],
            last: Direct::new(&e.conv3),
        }
    }

    /// What `net` (whose convolutions made this) computes: `rgb` `[1, 3, h, w]` repainted with
    /// `style`, the same shape.
    pub fn forward(&self, net: &Transformer, rgb: Tensor<4>, style: Tensor<2>) -> Tensor<4> {
        let device = rgb.device();
        let [n, c, h, w] = rgb.dims();
        assert_eq!(n, 1, "one image");
        let rgb = floats(rgb);
        let stride = self.first.stride(w + 8);
        let x = Planes::padded(c, h, w, 4, stride, mirrored, |ch, y, x| rgb[(ch * h + y) * w + x]);
        let mut x = self.first.forward::<4>(&x, Some(relu));
        for (window, conv) in &self.down {
            x = conv.forward(&patches3(&reflect(&x, 1), *window), None, Some(relu));
        }
        let norm = |x: &mut Map, norm: &StyleNorm, relu: bool| {
            let affine = |linear: &Linear| floats(linear.forward(style.clone()));
            style_norm(x, &affine(&norm.gamma), &affine(&norm.beta), relu);
        };
        for ([conv1, conv2], block) in self.residual.iter().zip(&net.residual) {
            let mut hidden = conv1.forward(&reflect(&x, 1));
            norm(&mut hidden, &block.norm1, true);
            let mut out = conv2.forward(&reflect(&hidden, 1));
            norm(&mut out, &block.norm2, false);
            x.data.iter_mut().zip(&out.data).for_each(|(a, b)| *a += b);
        }
        let e = &net.expand;
        for (up, style_norm) in self.up.iter().zip([&e.norm1, &e.norm2]) {
            x = up.forward(&x);
            norm(&mut x, style_norm, true);
        }
        let stride = self.last.stride(x.w + 8);
        let x = Planes::from_map(&x, 4, stride, mirrored);
        let mut x = self.last.forward::<3>(&x, None);
        norm(&mut x, &e.norm3, false);
        sigmoid(&mut x.data);
        let pixels = x.h * x.w;
        let mut planes = vec![0.0; x.data.len()];
        for (p, values) in x.data.chunks_exact(x.c).enumerate() {
            for (ch, v) in values.iter().enumerate() {
                planes[ch * pixels + p] = *v;
            }
        }
        Tensor::from_data(TensorData::new(planes, [1, x.c, x.h, x.w]), &device)
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
    fn sigmoid_is_the_logistic_function() {
        let xs: Vec<f32> = (-4000..=4000).map(|i| i as f32 / 100.0).chain([-1e30, -100.0, 100.0, 1e30]).collect();
        let mut ys = xs.clone();
        sigmoid(&mut ys);
        for (x, y) in xs.iter().zip(&ys) {
            let want = 1.0 / (1.0 + (-*x as f64).exp());
            assert!((*y as f64 - want).abs() <= 2e-7 + 1e-6 * want, "sigmoid({x}) = {y}, not {want}");
        }
        let n = ys.len();
        assert!(ys[n - 4] < 1e-37 && ys[n - 1] == 1.0, "the far ends: {} {}", ys[n - 4], ys[n - 1]);
    }

    #[test]
    fn the_transformer_channels_last_is_the_layer_by_layer_one() {
        let device = Device::flex();
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/instant-style.safetensors")).unwrap();
        let net = InstantStyle::from_safetensors(bytes, &device).unwrap().transformer;
        assert!(net.channels_last.is_some(), "loaded on the CPU, the transformer runs channels last");
        // Sides 4 x odd: at a quarter, the last row and column of Winograd's 2x2 blocks lie
        // half outside.
        let rgb = reference_input(36, 52, 0, &device);
        let style: Vec<f32> = (0..STYLE_DIM).map(|i| ((i * 7) % 13) as f32 / 13.0 - 0.5).collect();
        let style = Tensor::<1>::from_floats(style.as_slice(), &device).reshape([1, STYLE_DIM]);
        let want = floats(net.forward_channels_first(rgb.clone(), style.clone()));
        let got = net.forward(rgb, style);
        assert_eq!(got.dims(), [1, 3, 36, 52]);
        let got = floats(got);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= 1e-5, "{g} vs {w}");
        }
        // Not a flat picture.
        let spread = want.iter().fold(0.0f32, |m, v| m.max(v - want[0]).max(want[0] - v));
        assert!(spread > 0.1, "spread {spread}");
    }
}
