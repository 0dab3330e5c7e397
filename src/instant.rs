//! Instant style: a feed-forward network repaints a photo in one pass, in the style of any
//! image (Ghiasi et al. 2017, "Exploring the structure of a real-time, arbitrary neural
//! artistic stylization network"; Magenta's mobile variant).
//!
//! Two networks, both from www/models/instant-style.safetensors (tools/convert_instant.py):
//! - the **style predictor**, a MobileNetV2, turns a style image into a 100-number style
//!   vector;
//! - the **transformer** repaints the photo: three convolutions down, five residual blocks,
//!   three up, with reflection padding, and *conditional instance normalisation*: each norm's
//!   scale and shift (gamma, beta) are computed from the style vector.
//!
//! Because the style lives in a vector, styles mix by mixing vectors: **strength** moves from
//! the photo's own style vector (0) to the style image's (1), and two styles **blend** the same
//! way. Images are `[1, 3, h, w]` RGB in [0, 1], as in [`crate::style`].

use std::sync::Arc;

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::ops::PadMode;

use crate::channels_last;
use crate::model::upsample2;
use crate::photo::{Rgb, fit_longest, resize};
use crate::settings::StyleConfig;
use crate::style::{load_half, luminance, rgb_to_tensor, with_photo_colours};

/// Length of the style vector.
pub const STYLE_DIM: usize = 100;
/// Side of the square the style predictor sees (a centre crop, resized), as in training.
pub const STYLE_SIDE: u32 = 256;
/// Output sides (the photo's longest side) the page offers, and the most it allows.
pub const MIN_SIDE: u32 = 16;
pub const MAX_SIDE: u32 = 1024;

/// MobileNetV2's clipped ReLU.
fn relu6(x: Tensor<4>) -> Tensor<4> {
    x.clamp(0.0, 6.0)
}

fn conv(cin: usize, cout: usize, kernel: usize, stride: usize, groups: usize, padding: PaddingConfig2d, device: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [kernel, kernel])
        .with_stride([stride, stride])
        .with_groups(groups)
        .with_padding(padding)
        .init(device)
}

/// TensorFlow's "SAME" padding for a 3x3 kernel: stride 1 pads one pixel all round; stride 2
/// (on even sides) pads only the bottom and right.
fn same3(stride: usize) -> PaddingConfig2d {
    if stride == 1 { PaddingConfig2d::Explicit(1, 1, 1, 1) } else { PaddingConfig2d::Explicit(0, 0, 1, 1) }
}

/// MobileNetV2's inverted residual block: 1x1 expand (ReLU6), 3x3 depthwise (ReLU6), 1x1
/// linear projection; the input is added back when the shape is unchanged.
#[derive(Module, Debug)]
pub struct InvertedResidual {
    pub(crate) expand: Option<Conv2d>,
    pub(crate) depthwise: Conv2d,
    pub(crate) project: Conv2d,
    pub(crate) residual: bool,
}

impl InvertedResidual {
    fn new(cin: usize, cout: usize, expansion: usize, stride: usize, device: &Device) -> Self {
        let hidden = cin * expansion;
        InvertedResidual {
            expand: (expansion != 1).then(|| conv(cin, hidden, 1, 1, 1, PaddingConfig2d::Valid, device)),
            depthwise: conv(hidden, hidden, 3, stride, hidden, same3(stride), device),
            project: conv(hidden, cout, 1, 1, 1, PaddingConfig2d::Valid, device),
            residual: stride == 1 && cin == cout,
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let h = match &self.expand {
            Some(e) => relu6(e.forward(x.clone())),
            None => x.clone(),
        };
        let h = self.project.forward(relu6(self.depthwise.forward(h)));
        if self.residual { h + x } else { h }
    }
}

/// The style predictor: MobileNetV2 (width 1.0), global average pooling, and a 1x1
/// "bottleneck" to the style vector.
#[derive(Module, Debug)]
pub struct StylePredictor {
    pub(crate) stem: Conv2d,
    pub(crate) blocks: Vec<InvertedResidual>,
    pub(crate) head: Conv2d,
    pub(crate) bottleneck: Linear,
    /// The same weights laid out for the CPU ([`crate::channels_last`]), once loaded by
    /// [`InstantStyle::from_safetensors`].
    #[module(skip)]
    pub(crate) channels_last: Option<Arc<channels_last::Predictor>>,
}

/// MobileNetV2 after its stem: (expansion, output channels, repeats, first stride).
const MOBILENET_V2: [(usize, usize, usize, usize); 7] =
    [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

impl StylePredictor {
    fn new(device: &Device) -> Self {
        let mut blocks = Vec::new();
        let mut cin = 32;
        for (expansion, cout, repeats, stride) in MOBILENET_V2 {
            for i in 0..repeats {
                blocks.push(InvertedResidual::new(cin, cout, expansion, if i == 0 { stride } else { 1 }, device));
                cin = cout;
            }
        }
        StylePredictor {
            stem: conv(3, 32, 3, 2, 1, same3(2), device),
            blocks,
            head: conv(320, 1280, 1, 1, 1, PaddingConfig2d::Valid, device),
            bottleneck: LinearConfig::new(1280, STYLE_DIM).init(device),
            channels_last: None,
        }
    }

    /// The style vector of `[n, 3, h, w]` RGB in [0, 1] (even sides), `[n, STYLE_DIM]`: on
    /// the CPU by [`crate::channels_last`] once the weights are loaded (1.6x faster), else
    /// layer by layer.
    pub fn forward(&self, rgb: Tensor<4>) -> Tensor<2> {
        match &self.channels_last {
            Some(predictor) if rgb.device() == Device::flex() => predictor.forward(rgb),
            _ => self.forward_channels_first(rgb),
        }
    }

    /// The style vector computed layer by layer with Burn's modules.
    pub fn forward_channels_first(&self, rgb: Tensor<4>) -> Tensor<2> {
        let mut x = relu6(self.stem.forward(rgb));
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = relu6(self.head.forward(x));
        let [n, c, h, w] = x.dims();
        let pooled = x.reshape([n, c, h * w]).mean_dim(2).reshape([n, c]);
        self.bottleneck.forward(pooled)
    }
}

/// Conditional instance normalisation: normalise each channel over the image, then scale and
/// shift by amounts computed from the style vector.
#[derive(Module, Debug)]
pub struct StyleNorm {
    pub(crate) gamma: Linear,
    pub(crate) beta: Linear,
}

impl StyleNorm {
    fn new(channels: usize, device: &Device) -> Self {
        StyleNorm {
            gamma: LinearConfig::new(STYLE_DIM, channels).init(device),
            beta: LinearConfig::new(STYLE_DIM, channels).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>, style: Tensor<2>) -> Tensor<4> {
        let [n, c, h, w] = x.dims();
        let flat = x.reshape([n, c, h * w]);
        let mean = flat.clone().mean_dim(2);
        let var = (flat.clone() - mean.clone()).square().mean_dim(2);
        let gamma = self.gamma.forward(style.clone()).reshape([n, c, 1]);
        let beta = self.beta.forward(style).reshape([n, c, 1]);
        let scale = gamma / var.add_scalar(1e-5).sqrt();
        (flat * scale.clone() + (beta - mean * scale)).reshape([n, c, h, w])
    }
}

/// Reflection padding of `p` pixels on every side (the original network's, which avoids the
/// dark borders zero padding leaves): the `p` rows and columns next to each edge, mirrored.
/// The same values as `pad(.., PadMode::Reflect)` (tested), written as slices and concatenation
/// because that runs 2-4x faster on the CPU backend.
pub(crate) fn reflect(x: Tensor<4>, p: usize) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let top = x.clone().slice([0..n, 0..c, 1..p + 1, 0..w]).flip([2]);
    let bottom = x.clone().slice([0..n, 0..c, h - p - 1..h - 1, 0..w]).flip([2]);
    let x = Tensor::cat(vec![top, x, bottom], 2);
    let h = h + 2 * p;
    let left = x.clone().slice([0..n, 0..c, 0..h, 1..p + 1]).flip([3]);
    let right = x.clone().slice([0..n, 0..c, 0..h, w - p - 1..w - 1]).flip([3]);
    Tensor::cat(vec![left, x, right], 3)
}

/// The edge pixels repeated `p` times on every side: `pad(.., PadMode::Edge)`'s values (tested),
/// as slices and concatenation, like [`reflect`]: Burn's pad was not faster here (page CPU path,
/// transform at 512 px: 256, 286, 297 ms with it; 256, 257 ms with this, the same hour).
fn edge(x: Tensor<4>, p: usize) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let top = x.clone().slice([0..n, 0..c, 0..1, 0..w]).repeat_dim(2, p);
    let bottom = x.clone().slice([0..n, 0..c, h - 1..h, 0..w]).repeat_dim(2, p);
    let x = Tensor::cat(vec![top, x, bottom], 2);
    let h = h + 2 * p;
    let left = x.clone().slice([0..n, 0..c, 0..h, 0..1]).repeat_dim(3, p);
    let right = x.clone().slice([0..n, 0..c, 0..h, w - 1..w]).repeat_dim(3, p);
    Tensor::cat(vec![left, x, right], 3)
}

/// Nearest-neighbour x2, mirrored by one pixel, then the 3x3 `conv`: an up stage. Mirroring
/// the upsampled image by one pixel repeats the small image's edge pixels, so on the CPU it is
/// computed from the small image by phases ([`crate::model::phase_conv3`]: 2.25x fewer
/// multiply-adds, and no full-size upsampled copy).
fn up_conv(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    if x.device() != Device::flex() {
        return conv.forward(reflect(upsample2(x), 1));
    }
    crate::model::phase_conv3(edge(x, 1), conv, 0)
}

/// `conv` applied to `x` as the sum of the convolutions of its input channels taken four at a
/// time (the same result): Burn's CPU backend convolves four or fewer input channels directly
/// and more through im2col, which for the last 9x9 layer (8 -> 3 channels) is ~8x slower.
pub(crate) fn conv_by_fours(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let [n, cin, h, w] = x.dims();
    let weight = conv.weight.val();
    let [cout, _, kh, kw] = weight.dims();
    let options = burn::tensor::ops::ConvOptions::new([1, 1], [0, 0], [1, 1], 1);
    let mut out = conv.bias.as_ref().map(|b| b.val().reshape([1, cout, 1, 1]));
    for start in (0..cin).step_by(4) {
        let end = (start + 4).min(cin);
        let part = burn::tensor::module::conv2d(
            x.clone().slice([0..n, start..end, 0..h, 0..w]),
            weight.clone().slice([0..cout, start..end, 0..kh, 0..kw]),
            None,
            options.clone(),
        );
        out = Some(match out {
            Some(sum) => sum + part,
            None => part,
        });
    }
    out.expect("at least one input channel")
}

fn valid(cin: usize, cout: usize, kernel: usize, stride: usize, device: &Device) -> Conv2d {
    conv(cin, cout, kernel, stride, 1, PaddingConfig2d::Valid, device)
}

/// Two 3x3 convolutions with style norms; the input added back.
#[derive(Module, Debug)]
pub struct ResidualBlock {
    pub(crate) conv1: Conv2d,
    pub(crate) norm1: StyleNorm,
    pub(crate) conv2: Conv2d,
    pub(crate) norm2: StyleNorm,
}

impl ResidualBlock {
    pub(crate) fn forward(&self, x: Tensor<4>, style: Tensor<2>) -> Tensor<4> {
        let h = relu(self.norm1.forward(self.conv1.forward(reflect(x.clone(), 1)), style.clone()));
        x + self.norm2.forward(self.conv2.forward(reflect(h, 1)), style)
    }
}

/// Down to a quarter of the side: 9x9 (8 channels), then two stride-2 3x3 (16, 32); ReLU each.
#[derive(Module, Debug)]
pub struct Contract {
    pub(crate) conv1: Conv2d,
    pub(crate) conv2: Conv2d,
    pub(crate) conv3: Conv2d,
}

/// Back up: nearest-neighbour x2 and 3x3 (16), x2 and 3x3 (8), then 9x9 to RGB; style norms.
#[derive(Module, Debug)]
pub struct Expand {
    pub(crate) conv1: Conv2d,
    pub(crate) norm1: StyleNorm,
    pub(crate) conv2: Conv2d,
    pub(crate) norm2: StyleNorm,
    pub(crate) conv3: Conv2d,
    pub(crate) norm3: StyleNorm,
}

/// The transformer network.
#[derive(Module, Debug)]
pub struct Transformer {
    pub(crate) contract: Contract,
    pub(crate) residual: Vec<ResidualBlock>,
    pub(crate) expand: Expand,
    /// The same weights laid out for the CPU ([`crate::channels_last`]), once loaded by
    /// [`InstantStyle::from_safetensors`].
    #[module(skip)]
    pub(crate) channels_last: Option<Arc<channels_last::Transform>>,
}

impl Transformer {
    fn new(device: &Device) -> Self {
        Transformer {
            contract: Contract {
                conv1: valid(3, 8, 9, 1, device),
                conv2: valid(8, 16, 3, 2, device),
                conv3: valid(16, 32, 3, 2, device),
            },
            residual: (0..5)
                .map(|_| ResidualBlock {
                    conv1: valid(32, 32, 3, 1, device),
                    norm1: StyleNorm::new(32, device),
                    conv2: valid(32, 32, 3, 1, device),
                    norm2: StyleNorm::new(32, device),
                })
                .collect(),
            expand: Expand {
                conv1: valid(32, 16, 3, 1, device),
                norm1: StyleNorm::new(16, device),
                conv2: valid(16, 8, 3, 1, device),
                norm2: StyleNorm::new(8, device),
                conv3: valid(8, 3, 9, 1, device),
                norm3: StyleNorm::new(3, device),
            },
            channels_last: None,
        }
    }

    /// Repaints `[1, 3, h, w]` RGB in [0, 1] (sides multiples of 4) with `style` `[1,
    /// STYLE_DIM]`: the same shape, in [0, 1].
    pub fn forward(&self, rgb: Tensor<4>, style: Tensor<2>) -> Tensor<4> {
        match &self.channels_last {
            Some(transform) if rgb.device() == Device::flex() => transform.forward(self, rgb, style),
            _ => self.forward_channels_first(rgb, style),
        }
    }

    /// [`Transformer::forward`] layer by layer with Burn's modules (on WebGPU; the reference
    /// for the CPU's channels-last path): the 9x9 and the two stride-2 convolutions, the residual
    /// blocks, the two up stages and the last 9x9.
    pub(crate) fn forward_channels_first(&self, rgb: Tensor<4>, style: Tensor<2>) -> Tensor<4> {
        let (c, e) = (&self.contract, &self.expand);
        let x = relu(c.conv1.forward(reflect(rgb, 4)));
        let x = relu(c.conv2.forward(reflect(x, 1)));
        let mut x = relu(c.conv3.forward(reflect(x, 1)));
        for block in &self.residual {
            x = block.forward(x, style.clone());
        }
        let x = relu(e.norm1.forward(up_conv(&e.conv1, x), style.clone()));
        let x = relu(e.norm2.forward(up_conv(&e.conv2, x), style.clone()));
        let x = conv_by_fours(&e.conv3, reflect(x, 4));
        sigmoid(e.norm3.forward(x, style))
    }
}

/// Both networks, as shipped in one file.
#[derive(Module, Debug)]
pub struct InstantStyle {
    pub predictor: StylePredictor,
    pub transformer: Transformer,
}

impl InstantStyle {
    /// The architecture with random weights (load real ones with [`InstantStyle::from_safetensors`]).
    pub fn new(device: &Device) -> Self {
        InstantStyle { predictor: StylePredictor::new(device), transformer: Transformer::new(device) }
    }

    /// Loads the shipped `instant-style.safetensors` (float16, float32 once loaded).
    pub fn from_safetensors(bytes: Vec<u8>, device: &Device) -> Result<Self, String> {
        let mut net = load_half(InstantStyle::new(device), bytes, "instant style network")?;
        if *device == Device::flex() {
            net.predictor.channels_last = Some(Arc::new(channels_last::Predictor::new(&net.predictor)));
            net.transformer.channels_last = Some(Arc::new(channels_last::Transform::new(&net.transformer)));
        }
        Ok(net)
    }

    /// The style vectors of images, in one pass: each image's centre square at [`STYLE_SIDE`],
    /// `[images, STYLE_DIM]`.
    pub fn style_vectors(&self, imgs: &[&Rgb], device: &Device) -> Tensor<2> {
        let squares = imgs.iter().map(|img| {
            let side = img.width.min(img.height);
            let square = crop(img, (img.width - side) / 2, (img.height - side) / 2, side, side);
            rgb_to_tensor(&resize(&square, STYLE_SIDE, STYLE_SIDE), device)
        });
        self.predictor.forward(Tensor::cat(squares.collect(), 0))
    }

    /// Repaints `photo` (`[1, 3, h, w]`, any sides of at least [`MIN_SIDE`]) with `style`:
    /// reflect-padded to multiples of 4 for the network and cropped back.
    pub fn stylize(&self, photo: Tensor<4>, style: Tensor<2>) -> Tensor<4> {
        let [_, _, h, w] = photo.dims();
        let (ph, pw) = ((4 - h % 4) % 4, (4 - w % 4) % 4);
        let padded = if ph + pw > 0 { photo.pad((0, pw, 0, ph), PadMode::Reflect) } else { photo };
        self.transformer.forward(padded, style).slice([0..1, 0..3, 0..h, 0..w])
    }
}

/// The style vector a run uses: `blend` mixes the second style image's vector into the
/// first's (0 = only the first), then `strength` moves from the photo's own vector (0) to
/// that mix (1) — the published way to weaken a style.
pub fn mix_styles(own: Tensor<2>, style: Tensor<2>, second: Option<Tensor<2>>, blend: f32, strength: f32) -> Tensor<2> {
    let target = match second {
        Some(second) => style.mul_scalar(1.0 - blend) + second.mul_scalar(blend),
        None => style,
    };
    own.mul_scalar(1.0 - strength) + target.mul_scalar(strength)
}

/// The photo at the output size: longest side `size` (never enlarged past [`MAX_SIDE`]).
pub fn fit_photo(photo: &Rgb, size: u32) -> Result<Rgb, String> {
    let (w, h) = fit_longest(photo.width, photo.height, size.min(MAX_SIDE));
    if w.min(h) < MIN_SIDE {
        return Err(format!("the photo is too narrow: at {w} x {h} the network needs at least {MIN_SIDE} pixels a side"));
    }
    Ok(resize(photo, w, h))
}

fn crop(img: &Rgb, x0: u32, y0: u32, w: u32, h: u32) -> Rgb {
    let mut pixels = Vec::with_capacity((3 * w * h) as usize);
    for y in y0..y0 + h {
        let row = ((y * img.width + x0) * 3) as usize;
        pixels.extend_from_slice(&img.pixels[row..row + (3 * w) as usize]);
    }
    Rgb { width: w, height: h, pixels }
}

/// The converter's fixed input: `((c*31 + y*7 + x*13 + k) % 17) / 16`, `[1, 3, h, w]`.
pub fn reference_input(h: usize, w: usize, k: usize, device: &Device) -> Tensor<4> {
    let mut v = Vec::with_capacity(3 * h * w);
    for c in 0..3 {
        for y in 0..h {
            for x in 0..w {
                v.push(((c * 31 + y * 7 + x * 13 + k) % 17) as f32 / 16.0);
            }
        }
    }
    Tensor::from_data(TensorData::new(v, [1, 3, h, w]), device)
}

/// The style vectors an instant render mixes, read back once per image: changing strength or
/// blend re-renders from these without running the predictor again.
#[derive(Clone, Debug, Default)]
pub struct StyleVectors {
    /// The photo's own style (what strength 0 keeps).
    pub own: Vec<f32>,
    pub style: Vec<f32>,
    /// A second style image's, to blend with the first.
    pub second: Option<Vec<f32>>,
}

/// Images' style vectors ([`InstantStyle::style_vectors`]), read back to the host (small:
/// [`STYLE_DIM`] numbers each).
pub async fn read_vectors(net: &InstantStyle, imgs: &[&Rgb], device: &Device) -> Result<Vec<Vec<f32>>, String> {
    if imgs.is_empty() {
        return Ok(Vec::new());
    }
    let values = crate::train::read_f32(net.style_vectors(imgs, device).reshape([imgs.len() * STYLE_DIM])).await?;
    Ok(values.chunks_exact(STYLE_DIM).map(<[f32]>::to_vec).collect())
}

/// An image's style vector, read back to the host.
pub async fn read_vector(net: &InstantStyle, img: &Rgb, device: &Device) -> Result<Vec<f32>, String> {
    Ok(read_vectors(net, &[img], device).await?.remove(0))
}

/// Repaints `photo` at `config.size` with the mix of `vectors` that `config` asks for
/// (strength, blend, keep the photo's colours): `[1, 3, h, w]` RGB in [0, 1].
pub fn render(net: &InstantStyle, photo: &Rgb, vectors: &StyleVectors, config: &StyleConfig, device: &Device) -> Result<Tensor<4>, String> {
    let photo = rgb_to_tensor(&fit_photo(photo, config.size)?, device);
    let vector = |v: &[f32]| Tensor::<1>::from_floats(v, device).reshape([1, STYLE_DIM]);
    let style = mix_styles(
        vector(&vectors.own),
        vector(&vectors.style),
        vectors.second.as_deref().map(vector),
        config.blend as f32,
        config.strength as f32,
    );
    let styled = net.stylize(photo.clone(), style);
    Ok(if config.keep_colors {
        with_photo_colours(photo.clone(), luminance(photo), luminance(styled))
    } else {
        styled
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: Tensor<4>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn reflect_is_reflection_padding() {
        let device = Device::flex();
        let x = reference_input(7, 9, 3, &device);
        for p in [1, 4] {
            assert_eq!(values(reflect(x.clone(), p)), values(x.clone().pad((p, p, p, p), PadMode::Reflect)));
        }
    }

    /// The CPU's up stage (from the small image by phases) is the upsampled image mirrored and
    /// convolved, on sides odd and even.
    #[test]
    fn an_up_stage_by_phases_is_the_mirrored_upsampled_convolution() {
        let device = Device::flex();
        for (cin, cout, h, w) in [(32, 16, 6, 9), (16, 8, 5, 4)] {
            let conv = valid(cin, cout, 3, 1, &device);
            let x = Tensor::<4>::random([1, cin, h, w], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
            let plain = values(conv.forward(reflect(upsample2(x.clone()), 1)));
            let fast = values(up_conv(&conv, x));
            assert_eq!(fast.len(), cout * 4 * h * w);
            let worst = plain.iter().zip(&fast).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-4, "differs by {worst}");
        }
    }

    #[test]
    fn edge_repeats_the_edge_pixels() {
        let device = Device::flex();
        let x = reference_input(5, 6, 2, &device);
        assert_eq!(values(edge(x.clone(), 2)), values(x.pad((2, 2, 2, 2), PadMode::Edge)));
    }

    #[test]
    fn convolving_four_input_channels_at_a_time_is_the_same_convolution() {
        let device = Device::flex();
        let conv = valid(8, 3, 9, 1, &device);
        let x = Tensor::<4>::random([1, 8, 20, 23], burn::tensor::Distribution::Default, &device);
        let (a, b) = (values(conv.forward(x.clone())), values(conv_by_fours(&conv, x)));
        assert_eq!(a.len(), 3 * 12 * 15);
        assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-4));
    }
}

