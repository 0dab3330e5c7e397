//! Instant style's style predictor (MobileNetV2) run on the CPU with channels last.
//!
//! Burn's CPU backend keeps images channels first (`[n, c, h, w]`) and writes a new tensor
//! for every step (each convolution, bias, ReLU6 and residual sum); its depthwise and
//! three-channel convolutions walk one channel's plane at a time, by strides of two where the
//! layer's stride is two. Here each feature map is one `[h, w, c]` buffer, as onnxruntime lays
//! them out:
//! - a 1x1 convolution is one matrix product `[h w, c_in] x [c_in, c_out]` (gemm, the crate
//!   Burn's CPU backend calls), added onto the bias (and the block's input) already in place;
//! - the depthwise 3x3 adds nine products of contiguous channel rows per pixel: the loop over
//!   channels vectorises;
//! - the stem's 3x3 convolution of three channels gathers its 27 inputs per pixel and is
//!   then one matrix product too.
//!
//! Inference only: the same numbers as [`StylePredictor::forward_channels_first`] to float
//! rounding (tested), from the same weights, converted once when the network is loaded.
//! Natively (2 threads) ~33 ms an image at 256 px against ~53 ms layer by layer; in the page's
//! CPU path both style images together 108 ms against 169-198 ms (bench/README.md).

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;

use crate::instant::{InvertedResidual, STYLE_DIM, StylePredictor};

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

/// `out += a b` for row-major `a` `[m, k]`, `b` `[k, n]` and `out` `[m, n]`.
fn matmul_add(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) {
    assert!(out.len() == m * n && a.len() == m * k && b.len() == k * n, "matmul_add: shapes");
    // Split over the thread pool where there is one, for products big enough to pay for it
    // (the size Burn's CPU backend uses).
    #[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
    let parallelism = if m * n * k >= 192 * 192 * 192 { gemm::Parallelism::Rayon(0) } else { gemm::Parallelism::None };
    #[cfg(not(any(not(target_arch = "wasm32"), feature = "threads")))]
    let parallelism = gemm::Parallelism::None;
    // SAFETY: the asserts above make every address the row-major strides below reach lie
    // inside its slice; `out` does not alias `a` or `b` (a `&mut` borrow).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            true,
            a.as_ptr(),
            1,
            k as isize,
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
}
