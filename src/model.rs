//! The lesson's two GANs: the convolutional DCGAN and the dense (MLP) GAN.
//!
//! Images are `[batch, channels, size, size]` in [-1, 1] (the lesson's 1x28x28, or the user's own
//! colour images at 3x32x32 / 3x64x64); noise is `[batch, latent]` from N(0, 1).

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu, tanh};
use burn::tensor::ops::ConvOptions;
use serde::{Deserialize, Serialize};

/// Which of the lesson's networks to train.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// The lesson's convolutional GAN for 1x28x28 images.
    Dcgan,
    /// A small DCGAN for 28x28 images: few channels, and a generator that upsamples and then
    /// convolves instead of transposed convolutions (no checkerboard); fast on a CPU.
    Tiny,
    /// The same design for 32x32 images (colour): one up/down stage more.
    Dcgan32,
    /// The same design for 64x64 images (colour): two stages more.
    Dcgan64,
    /// Multi-layer perceptrons, for images of any shape.
    Dense,
}

impl ModelKind {
    pub const ALL: [ModelKind; 5] = [ModelKind::Tiny, ModelKind::Dcgan, ModelKind::Dcgan32, ModelKind::Dcgan64, ModelKind::Dense];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Dcgan => "dcgan",
            ModelKind::Tiny => "tiny",
            ModelKind::Dcgan32 => "dcgan32",
            ModelKind::Dcgan64 => "dcgan64",
            ModelKind::Dense => "dense",
        }
    }

    /// Whether this model can train on images of `[channels, height, width]`; if not, why.
    pub fn check_shape(self, [c, h, w]: [usize; 3]) -> Result<(), String> {
        let need = |size: usize, what: &str| {
            if h == size && w == size && (c == 1 || c == 3) {
                Ok(())
            } else {
                Err(format!("the {} needs {what} images; the loaded data set has {c}x{h}x{w}", self.title()))
            }
        };
        match self {
            ModelKind::Dcgan if c == 1 => need(28, "1x28x28 (MNIST-sized)"),
            ModelKind::Dcgan => Err(format!("the {} needs 1x28x28 (MNIST-sized) images; the loaded data set has {c}x{h}x{w}", self.title())),
            ModelKind::Tiny => need(28, "28x28"),
            ModelKind::Dcgan32 => need(32, "32x32"),
            ModelKind::Dcgan64 => need(64, "64x64"),
            ModelKind::Dense if c * h * w <= 3 * 64 * 64 => Ok(()),
            ModelKind::Dense => Err(format!("the dense GAN takes images up to 3x64x64; the loaded data set has {c}x{h}x{w}")),
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ModelKind::Dcgan => "DCGAN 28x28",
            ModelKind::Tiny => "tiny DCGAN",
            ModelKind::Dcgan32 => "DCGAN 32x32",
            ModelKind::Dcgan64 => "DCGAN 64x64",
            ModelKind::Dense => "dense GAN",
        }
    }

    /// How the page offers it.
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Dcgan => "DCGAN 28×28 grey (the lesson's)",
            ModelKind::Tiny => "Tiny DCGAN 28×28 (fast on a CPU)",
            ModelKind::Dcgan32 => "DCGAN 32×32 colour",
            ModelKind::Dcgan64 => "DCGAN 64×64 colour",
            ModelKind::Dense => "Dense GAN (MLP)",
        }
    }

    /// Adam's step size this model trains with unless another is chosen (both nets): the
    /// lesson's 2e-4, or 1e-3 for the tiny DCGAN, whose few weights take larger steps well
    /// (measured in bench/quality.md).
    pub fn learning_rate(self) -> f64 {
        match self {
            ModelKind::Tiny => 1e-3,
            _ => 2e-4,
        }
    }

    /// The noise length this model trains with unless another is chosen: 100 (the lesson's),
    /// or 32 for the tiny DCGAN, whose samples the classifier reads with less doubt from a
    /// shorter z (measured in bench/quality.md).
    pub fn latent(self) -> usize {
        match self {
            ModelKind::Tiny => 32,
            _ => 100,
        }
    }

    /// Over about how many steps the samples shown average G's weights unless chosen otherwise
    /// (0 = they come from G itself): 100 for the tiny DCGAN, whose averaged samples the
    /// classifier scores higher (measured in bench/quality.md); the lesson's models show G.
    pub fn average(self) -> usize {
        match self {
            ModelKind::Tiny => 100,
            _ => 0,
        }
    }

    /// How many categories the model's noise carries (InfoGAN's categorical code, 0 = none):
    /// the tiny DCGAN's generator reads the last [`CODES`] numbers of z as a choice of one of
    /// them ([`code_of`]), and its discriminator learns to tell which was chosen.
    pub fn codes(self) -> usize {
        match self {
            ModelKind::Tiny => CODES,
            _ => 0,
        }
    }

    /// The model a data set of this shape trains with unless another is chosen: the tiny DCGAN
    /// for 28x28 images (on a CPU it shows digits several times sooner than the lesson's
    /// DCGAN: bench/quality.md), the DCGAN made for 32 or 64 px, or the dense GAN.
    pub fn default_for(shape: [usize; 3]) -> Self {
        if ModelKind::Tiny.check_shape(shape).is_ok() { ModelKind::Tiny } else { Self::dcgan_for(shape).unwrap_or(ModelKind::Dense) }
    }

    /// The DCGAN made for images of this shape (the dense GAN fits any).
    pub fn dcgan_for([_, h, _]: [usize; 3]) -> Option<Self> {
        match h {
            28 => Some(ModelKind::Dcgan),
            32 => Some(ModelKind::Dcgan32),
            64 => Some(ModelKind::Dcgan64),
            _ => None,
        }
    }
}

pub const LEAK: f64 = 0.2;
const INIT: Initializer = Initializer::Normal { mean: 0.0, std: 0.02 };

/// BatchNorm with the DCGAN initialisation: gamma ~ N(1, 0.02), beta = 0.
fn batch_norm(features: usize, device: &Device) -> BatchNorm {
    let mut bn = BatchNormConfig::new(features).init(device);
    bn.gamma = Initializer::Normal { mean: 1.0, std: 0.02 }.init([features], device);
    bn
}

fn conv_t(cin: usize, cout: usize, pad: usize, pad_out: usize, bias: bool, device: &Device) -> ConvTranspose2d {
    ConvTranspose2dConfig::new([cin, cout], [3, 3])
        .with_stride([2, 2])
        .with_padding([pad, pad])
        .with_padding_out([pad_out, pad_out])
        .with_bias(bias)
        .with_initializer(INIT)
        .init(device)
}

fn conv(cin: usize, cout: usize, bias: bool, device: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [4, 4])
        .with_stride([2, 2])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_bias(bias)
        .with_initializer(INIT)
        .init(device)
}

/// DCGAN generator: ConvT(z→256) → BN → ReLU → ConvT(256→128) → BN → ReLU →
/// ConvT(128→64) → BN → ReLU → ConvT(64→1, pad 2, output pad 1) → tanh.
/// Spatial size 1 → 3 → 7 → 15 → 28.
#[derive(Module, Debug)]
pub struct DcGenerator {
    pub ct1: ConvTranspose2d,
    pub bn1: BatchNorm,
    pub ct2: ConvTranspose2d,
    pub bn2: BatchNorm,
    pub ct3: ConvTranspose2d,
    pub bn3: BatchNorm,
    pub ct4: ConvTranspose2d,
}

impl DcGenerator {
    pub fn new(latent: usize, device: &Device) -> Self {
        Self {
            ct1: conv_t(latent, 256, 0, 0, false, device),
            bn1: batch_norm(256, device),
            ct2: conv_t(256, 128, 0, 0, false, device),
            bn2: batch_norm(128, device),
            ct3: conv_t(128, 64, 0, 0, false, device),
            bn3: batch_norm(64, device),
            ct4: conv_t(64, 1, 2, 1, true, device),
        }
    }

    /// Every intermediate activation, for shape checks.
    pub fn forward_layers(&self, z: Tensor<2>) -> Vec<Tensor<4>> {
        let [b, l] = z.dims();
        let x = z.reshape([b, l, 1, 1]);
        let h1 = relu(self.bn1.forward(self.ct1.forward(x)));
        let h2 = relu(self.bn2.forward(self.ct2.forward(h1.clone())));
        let h3 = relu(self.bn3.forward(self.ct3.forward(h2.clone())));
        let out = tanh(self.ct4.forward(h3.clone()));
        vec![h1, h2, h3, out]
    }

    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        self.forward_layers(z).pop().unwrap()
    }
}

/// DCGAN discriminator: Conv(1→64) → LReLU → Conv(64→128) → BN → LReLU →
/// Conv(128→256) → BN → LReLU → Conv(256→1) → logit. All k4 s2 p1: 28 → 14 → 7 → 3 → 1.
#[derive(Module, Debug)]
pub struct DcDiscriminator {
    pub c1: Conv2d,
    pub c2: Conv2d,
    pub bn2: BatchNorm,
    pub c3: Conv2d,
    pub bn3: BatchNorm,
    pub c4: Conv2d,
}

impl DcDiscriminator {
    pub fn new(device: &Device) -> Self {
        Self {
            c1: conv(1, 64, true, device),
            c2: conv(64, 128, false, device),
            bn2: batch_norm(128, device),
            c3: conv(128, 256, false, device),
            bn3: batch_norm(256, device),
            c4: conv(256, 1, true, device),
        }
    }

    pub fn forward_layers(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        let h1 = leaky_relu(self.c1.forward(x), LEAK);
        let h2 = leaky_relu(self.bn2.forward(self.c2.forward(h1.clone())), LEAK);
        let h3 = leaky_relu(self.bn3.forward(self.c3.forward(h2.clone())), LEAK);
        let out = self.c4.forward(h3.clone());
        vec![h1, h2, h3, out]
    }

    /// Logits, `[batch]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<1> {
        let out = self.forward_layers(x).pop().unwrap();
        let b = out.dims()[0];
        out.reshape([b])
    }
}

/// Dense generator: z → 256 → 512 → 1024 → c·h·w (784 for MNIST), hidden layers BN + LeakyReLU
/// 0.2, tanh out.
#[derive(Module, Debug)]
pub struct DenseGenerator {
    pub l1: Linear,
    pub bn1: BatchNorm,
    pub l2: Linear,
    pub bn2: BatchNorm,
    pub l3: Linear,
    pub bn3: BatchNorm,
    pub l4: Linear,
    #[module(skip)]
    pub shape: [usize; 3],
}

impl DenseGenerator {
    pub fn new(latent: usize, shape: [usize; 3], device: &Device) -> Self {
        Self {
            shape,
            l1: LinearConfig::new(latent, 256).init(device),
            bn1: BatchNormConfig::new(256).init(device),
            l2: LinearConfig::new(256, 512).init(device),
            bn2: BatchNormConfig::new(512).init(device),
            l3: LinearConfig::new(512, 1024).init(device),
            bn3: BatchNormConfig::new(1024).init(device),
            l4: LinearConfig::new(1024, shape.iter().product()).init(device),
        }
    }

    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        let h = leaky_relu(self.bn1.forward(self.l1.forward(z)), LEAK);
        let h = leaky_relu(self.bn2.forward(self.l2.forward(h)), LEAK);
        let h = leaky_relu(self.bn3.forward(self.l3.forward(h)), LEAK);
        let out = tanh(self.l4.forward(h));
        let b = out.dims()[0];
        let [c, hh, w] = self.shape;
        out.reshape([b, c, hh, w])
    }
}

/// Dense discriminator: c·h·w → 512 → 256 → 1 with LeakyReLU 0.2.
#[derive(Module, Debug)]
pub struct DenseDiscriminator {
    pub l1: Linear,
    pub l2: Linear,
    pub l3: Linear,
}

impl DenseDiscriminator {
    pub fn new(shape: [usize; 3], device: &Device) -> Self {
        Self {
            l1: LinearConfig::new(shape.iter().product(), 512).init(device),
            l2: LinearConfig::new(512, 256).init(device),
            l3: LinearConfig::new(256, 1).init(device),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<1> {
        let b = x.dims()[0];
        let h = leaky_relu(self.l1.forward(x.flatten::<2>(1, 3)), LEAK);
        let h = leaky_relu(self.l2.forward(h), LEAK);
        self.l3.forward(h).reshape([b])
    }
}

/// Doubles an image's side by repeating each pixel 2x2 (nearest-neighbour upsampling).
pub fn upsample2(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h, 1, w, 1]).expand([b, c, h, 2, w, 2]).reshape([b, c, 2 * h, 2 * w])
}

/// Which taps of a 3x3 kernel land on each tap of its 2x2 phase kernels, for
/// [`upsample_conv3`]: `[16 x 9]`, row `((a * 2 + b) * 2 + r) * 2 + c` for output phase (row
/// parity a, column parity b) and tap (r, c), column `3 * dy + dx` for the 3x3 tap.
///
/// Along one axis, output pixel 2i + a of a nearest-upsampled image convolved with taps
/// k0, k1, k2 (padding 1) sees small-image pixels i - 1 + a and i + a through the 2-tap kernel
/// [k0, k1 + k2] (a = 0) or [k0 + k1, k2] (a = 1).
pub(crate) fn phase_taps() -> Vec<f32> {
    let taps = |phase: usize, tap: usize| -> &'static [usize] {
        match (phase, tap) {
            (0, 0) => &[0],
            (0, _) => &[1, 2],
            (_, 0) => &[0, 1],
            _ => &[2],
        }
    };
    let mut m = vec![0.0; 16 * 9];
    for a in 0..2 {
        for b in 0..2 {
            for r in 0..2 {
                for c in 0..2 {
                    let column = ((a * 2 + b) * 2 + r) * 2 + c;
                    for &dy in taps(a, r) {
                        for &dx in taps(b, c) {
                            m[(3 * dy + dx) * 16 + column] = 1.0;
                        }
                    }
                }
            }
        }
    }
    m
}

/// `conv(upsample2(x))` for a 3x3 `conv` padded by one pixel with zeros, stride 1: the tiny
/// DCGAN's up stages.
///
/// On the CPU it is computed without making the upsampled image: each of the four output
/// pixels of a 2x2 block sees a 2x2 neighbourhood of the small image, through a 2x2 kernel that
/// sums the 3x3 kernel's taps falling on the same small pixel ([`phase_taps`]). One 2x2
/// convolution of the small image with the four phases' kernels, then the phases interleaved:
/// 16 multiply-adds per small pixel where the upsampled convolution does 36 (2.25x fewer),
/// the same weights, the same result up to float rounding. On a GPU a step is bound by its
/// kernel count, which the reshuffling would raise, so there it is the plain way.
pub fn upsample_conv3(x: Tensor<4>, conv: &Conv2d) -> Tensor<4> {
    if x.device() != Device::flex() {
        return conv.forward(upsample2(x));
    }
    phase_conv3(x, conv, 1)
}

/// The phase computation of [`upsample_conv3`] with `conv`'s 3x3 kernel, for a small image
/// whose one-pixel border is either added here as zeros (`zeros` = 1) or already there
/// (`zeros` = 0: e.g. the edge pixels repeated, which is what mirroring the upsampled image by
/// one pixel amounts to). `[b, c, h, w]` (h, w without the border) -> `[b, cout, 2h, 2w]`.
pub fn phase_conv3(x: Tensor<4>, conv: &Conv2d, zeros: usize) -> Tensor<4> {
    let device = x.device();
    let weight = conv.weight.val();
    let [cout, cin, kh, kw] = weight.dims();
    assert_eq!([kh, kw], [3, 3], "a 3x3 convolution");
    let taps = Tensor::<2>::from_data(TensorData::new(phase_taps(), [9, 16]), &device);
    // [cout * cin, 9] x [9, 16] -> the four phases' 2x2 kernels, phase-major: [4 * cout, cin, 2, 2].
    let phases = weight
        .reshape([cout * cin, 9])
        .matmul(taps)
        .reshape([cout, cin, 4, 2, 2])
        .permute([2, 0, 1, 3, 4])
        .reshape([4 * cout, cin, 2, 2]);
    let [b, _, ph, pw] = x.dims();
    let (h, w) = (ph + 2 * zeros - 2, pw + 2 * zeros - 2);
    // Output (i, j) of the 2x2 convolution of the bordered image sees small pixels i - 1 and i
    // (rows), j - 1 and j (columns): phase (a, b)'s pixel (i, j) is its output (i + a, j + b).
    let all = burn::tensor::module::conv2d(x, phases, None, ConvOptions::new([1, 1], [zeros, zeros], [1, 1], 1));
    let phase = |p: usize, a: usize, c: usize| all.clone().slice([0..b, p * cout..(p + 1) * cout, a..a + h, c..c + w]).reshape([b, cout, h, 1, w, 1]);
    let rows: Vec<Tensor<6>> = (0..2).map(|a| Tensor::cat(vec![phase(2 * a, a, 0), phase(2 * a + 1, a, 1)], 5)).collect();
    let out = Tensor::cat(rows, 3).reshape([b, cout, 2 * h, 2 * w]);
    match &conv.bias {
        Some(bias) => out + bias.val().reshape([1, cout, 1, 1]),
        None => out,
    }
}

/// Channel width of the tiny DCGAN's 14x14 stage (its 7x7 stage has twice as many).
pub const TINY_WIDTH: usize = 32;

/// The tiny DCGAN's categories (InfoGAN, Chen et al. 2016). An unconditional GAN maps one
/// connected cloud of noise onto ten separate kinds of digit, so some noise lands between two
/// of them and G draws something half one, half the other. With a categorical code the noise is
/// ten separate clouds: G is given one of ten categories with the rest of z, and D's second
/// head (Q) learns to tell from the image which category G was given, G being rewarded when it
/// can (a cross-entropy added to both losses). No labels are used: the categories become
/// whatever ten kinds of image G finds most distinct (on MNIST, mostly digits).
pub const CODES: usize = 10;

/// The one-hot category each noise row carries, `[n, codes]`: the arg max of its last `codes`
/// numbers (each category equally likely for Gaussian noise, and any noise vector, e.g. a
/// latent walk's, has one). Made on the device by comparing with the row's maximum (Burn's
/// `one_hot` reads the indices back synchronously, which WebGPU in a browser cannot); a tie,
/// which Gaussian noise never makes, would mark both.
pub fn code_of(z: Tensor<2>, codes: usize) -> Tensor<2> {
    let [n, l] = z.dims();
    let last = z.slice([0..n, l - codes..l]);
    let max = last.clone().max_dim(1).repeat_dim(1, codes);
    last.greater_equal(max).float()
}

fn conv3(cin: usize, cout: usize, bias: bool, device: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_bias(bias)
        .with_initializer(INIT)
        .init(device)
}

/// Tiny DCGAN generator: Linear(z→2w·7·7) → BN → ReLU → upsample → Conv3x3(2w→w) → BN → ReLU →
/// upsample → Conv3x3(w→channels) → tanh. 7 → 14 → 28. Upsampling then convolving spreads each
/// pixel's paint evenly, where a stride-2 transposed convolution paints some pixels twice (the
/// checkerboard). z's last [`CODES`] numbers are replaced by the one-hot category they pick.
#[derive(Module, Debug)]
pub struct TinyGenerator {
    pub fc: Linear,
    pub bn1: BatchNorm,
    pub c2: Conv2d,
    pub bn2: BatchNorm,
    pub c3: Conv2d,
}

impl TinyGenerator {
    pub fn new(latent: usize, channels: usize, device: &Device) -> Self {
        let w = TINY_WIDTH;
        Self {
            fc: LinearConfig::new(latent, 2 * w * 49).with_bias(false).with_initializer(INIT).init(device),
            bn1: batch_norm(2 * w, device),
            c2: conv3(2 * w, w, false, device),
            bn2: batch_norm(w, device),
            c3: conv3(w, channels, true, device),
        }
    }

    pub fn forward_layers(&self, z: Tensor<2>) -> Vec<Tensor<4>> {
        let [b, l] = z.dims();
        let code = code_of(z.clone(), CODES);
        let z = Tensor::cat(vec![z.slice([0..b, 0..l - CODES]), code], 1);
        let h1 = relu(self.bn1.forward(self.fc.forward(z).reshape([b, 2 * TINY_WIDTH, 7, 7])));
        let h2 = relu(self.bn2.forward(upsample_conv3(h1.clone(), &self.c2)));
        let out = tanh(upsample_conv3(h2.clone(), &self.c3));
        vec![h1, h2, out]
    }

    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        self.forward_layers(z).pop().unwrap()
    }
}

/// Tiny DCGAN discriminator: Conv(channels→w) → LReLU → Conv(w→2w) → BN → LReLU (k4 s2 p1:
/// 28 → 14 → 7) → Linear(2w·7·7→1) → logit; and from the same features Q, Linear(2w·7·7 →
/// [`CODES`]): which category G was given.
#[derive(Module, Debug)]
pub struct TinyDiscriminator {
    pub c1: Conv2d,
    pub c2: Conv2d,
    pub bn2: BatchNorm,
    pub fc: Linear,
    pub q: Linear,
}

impl TinyDiscriminator {
    pub fn new(channels: usize, device: &Device) -> Self {
        let w = TINY_WIDTH;
        Self {
            c1: conv(channels, w, true, device),
            c2: conv(w, 2 * w, false, device),
            bn2: batch_norm(2 * w, device),
            fc: LinearConfig::new(2 * w * 49, 1).with_initializer(INIT).init(device),
            q: LinearConfig::new(2 * w * 49, CODES).with_initializer(INIT).init(device),
        }
    }

    pub fn forward_layers(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        let h1 = leaky_relu(self.c1.forward(x), LEAK);
        let h2 = leaky_relu(self.bn2.forward(self.c2.forward(h1.clone())), LEAK);
        let b = h2.dims()[0];
        let out = self.fc.forward(h2.clone().flatten::<2>(1, 3)).reshape([b, 1, 1, 1]);
        vec![h1, h2, out]
    }

    /// Logits, `[batch]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<1> {
        self.forward_with_codes(x).0
    }

    /// Logits `[batch]` and Q's logits over the categories, `[batch, CODES]`, from one pass.
    pub fn forward_with_codes(&self, x: Tensor<4>) -> (Tensor<1>, Tensor<2>) {
        let [_, h2, out] = <[Tensor<4>; 3]>::try_from(self.forward_layers(x)).expect("three layers");
        let b = out.dims()[0];
        (out.reshape([b]), self.q.forward(h2.flatten::<2>(1, 3)))
    }
}

/// Kernel 4 transposed convolution (the 32/64 px DCGAN's up stage).
fn conv_t4(cin: usize, cout: usize, stride: usize, pad: usize, bias: bool, device: &Device) -> ConvTranspose2d {
    ConvTranspose2dConfig::new([cin, cout], [4, 4])
        .with_stride([stride, stride])
        .with_padding([pad, pad])
        .with_bias(bias)
        .with_initializer(INIT)
        .init(device)
}

/// Channel widths of the 32/64 px DCGAN, from the 4x4 stage up (G) or down to it, reversed (D).
fn widths(size: usize) -> Vec<usize> {
    if size == 64 { vec![256, 128, 64, 32] } else { vec![256, 128, 64] }
}

/// DCGAN generator for `size` 32 or 64 (same rules as the lesson's): ConvT(z→256, k4 s1) makes
/// 4x4, then ConvT k4 s2 p1 → BN → ReLU doubles the side per stage, and a last ConvT k4 s2 p1
/// to the image's channels → tanh. 32: 1→4→8→16→32; 64: one stage more.
#[derive(Module, Debug)]
pub struct ColorGenerator {
    pub first: ConvTranspose2d,
    pub first_bn: BatchNorm,
    pub ups: Vec<ConvTranspose2d>,
    pub bns: Vec<BatchNorm>,
    pub out: ConvTranspose2d,
}

impl ColorGenerator {
    pub fn new(latent: usize, channels: usize, size: usize, device: &Device) -> Self {
        let w = widths(size);
        Self {
            first: conv_t4(latent, w[0], 1, 0, false, device),
            first_bn: batch_norm(w[0], device),
            ups: w.windows(2).map(|p| conv_t4(p[0], p[1], 2, 1, false, device)).collect(),
            bns: w[1..].iter().map(|&c| batch_norm(c, device)).collect(),
            out: conv_t4(*w.last().unwrap(), channels, 2, 1, true, device),
        }
    }

    pub fn forward_layers(&self, z: Tensor<2>) -> Vec<Tensor<4>> {
        let [b, l] = z.dims();
        let mut h = relu(self.first_bn.forward(self.first.forward(z.reshape([b, l, 1, 1]))));
        let mut out = vec![h.clone()];
        for (up, bn) in self.ups.iter().zip(&self.bns) {
            h = relu(bn.forward(up.forward(h)));
            out.push(h.clone());
        }
        out.push(tanh(self.out.forward(h)));
        out
    }

    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        self.forward_layers(z).pop().unwrap()
    }
}

/// DCGAN discriminator for `size` 32 or 64: Conv k4 s2 p1 → LReLU, then Conv k4 s2 p1 → BN →
/// LReLU per stage down to 4x4, and Conv(→1, k4 s1 p0) → logit.
#[derive(Module, Debug)]
pub struct ColorDiscriminator {
    pub first: Conv2d,
    pub downs: Vec<Conv2d>,
    pub bns: Vec<BatchNorm>,
    pub out: Conv2d,
}

impl ColorDiscriminator {
    pub fn new(channels: usize, size: usize, device: &Device) -> Self {
        let mut w = widths(size);
        w.reverse();
        Self {
            first: conv(channels, w[0], true, device),
            downs: w.windows(2).map(|p| conv(p[0], p[1], false, device)).collect(),
            bns: w[1..].iter().map(|&c| batch_norm(c, device)).collect(),
            out: Conv2dConfig::new([*w.last().unwrap(), 1], [4, 4]).with_initializer(INIT).init(device),
        }
    }

    pub fn forward_layers(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        let mut h = leaky_relu(self.first.forward(x), LEAK);
        let mut out = vec![h.clone()];
        for (down, bn) in self.downs.iter().zip(&self.bns) {
            h = leaky_relu(bn.forward(down.forward(h)), LEAK);
            out.push(h.clone());
        }
        out.push(self.out.forward(h));
        out
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<1> {
        let out = self.forward_layers(x).pop().unwrap();
        let b = out.dims()[0];
        out.reshape([b])
    }
}

/// A generator of any kind.
#[derive(Module, Debug)]
pub enum Generator {
    Dc(DcGenerator),
    Tiny(TinyGenerator),
    Color(ColorGenerator),
    Dense(DenseGenerator),
}

/// A discriminator of any kind.
#[derive(Module, Debug)]
pub enum Discriminator {
    Dc(DcDiscriminator),
    Tiny(TinyDiscriminator),
    Color(ColorDiscriminator),
    Dense(DenseDiscriminator),
}

impl Generator {
    /// `shape`: the images' `[channels, height, width]` (checked with [`ModelKind::check_shape`]).
    pub fn new(kind: ModelKind, latent: usize, shape: [usize; 3], device: &Device) -> Self {
        match kind {
            ModelKind::Dcgan => Generator::Dc(DcGenerator::new(latent, device)),
            ModelKind::Tiny => Generator::Tiny(TinyGenerator::new(latent, shape[0], device)),
            ModelKind::Dcgan32 | ModelKind::Dcgan64 => Generator::Color(ColorGenerator::new(latent, shape[0], shape[1], device)),
            ModelKind::Dense => Generator::Dense(DenseGenerator::new(latent, shape, device)),
        }
    }

    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        match self {
            Generator::Dc(g) => g.forward(z),
            Generator::Tiny(g) => g.forward(z),
            Generator::Color(g) => g.forward(z),
            Generator::Dense(g) => g.forward(z),
        }
    }
}

impl Discriminator {
    pub fn new(kind: ModelKind, shape: [usize; 3], device: &Device) -> Self {
        match kind {
            ModelKind::Dcgan => Discriminator::Dc(DcDiscriminator::new(device)),
            ModelKind::Tiny => Discriminator::Tiny(TinyDiscriminator::new(shape[0], device)),
            ModelKind::Dcgan32 | ModelKind::Dcgan64 => Discriminator::Color(ColorDiscriminator::new(shape[0], shape[1], device)),
            ModelKind::Dense => Discriminator::Dense(DenseDiscriminator::new(shape, device)),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<1> {
        match self {
            Discriminator::Dc(d) => d.forward(x),
            Discriminator::Tiny(d) => d.forward(x),
            Discriminator::Color(d) => d.forward(x),
            Discriminator::Dense(d) => d.forward(x),
        }
    }

    /// Logits `[batch]` and, for a model with categories ([`ModelKind::codes`]), Q's logits
    /// over them.
    pub fn forward_with_codes(&self, x: Tensor<4>) -> (Tensor<1>, Option<Tensor<2>>) {
        match self {
            Discriminator::Tiny(d) => {
                let (logits, q) = d.forward_with_codes(x);
                (logits, Some(q))
            }
            _ => (self.forward(x), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tiny_generator_reads_a_category_from_the_last_numbers_of_z() {
        let device = Device::flex();
        let z = |code: &[f32]| [vec![0.3; 22], code.to_vec()].concat();
        let mut three = vec![0.0; 10];
        three[3] = 2.0;
        let mut three_again = vec![-1.0; 10];
        three_again[3] = 0.5;
        let mut seven = vec![0.0; 10];
        seven[7] = 2.0;
        let rows = [z(&three), z(&three_again), z(&seven)].concat();
        let noise = Tensor::<2>::from_data(TensorData::new(rows, [3, 32]), &device);
        let onehot = code_of(noise.clone(), CODES).into_data().try_to_vec::<f32>().unwrap();
        let at = |row: usize| onehot[row * 10..(row + 1) * 10].iter().position(|&v| v == 1.0);
        assert_eq!([at(0), at(1), at(2)], [Some(3), Some(3), Some(7)]);
        assert_eq!(onehot.iter().sum::<f32>(), 3.0);
        // Only the category, not the numbers that chose it, reaches G.
        let g = TinyGenerator::new(32, 1, &device);
        let images = g.forward(noise).into_data().try_to_vec::<f32>().unwrap();
        let image = |row: usize| &images[row * 784..(row + 1) * 784];
        assert_eq!(image(0), image(1));
        assert_ne!(image(0), image(2));
    }

    #[test]
    fn dcgan_layer_shapes() {
        let device = Device::flex();
        let g = DcGenerator::new(100, &device);
        let shapes: Vec<[usize; 4]> = g
            .forward_layers(Tensor::zeros([2, 100], &device))
            .iter()
            .map(|t| t.dims())
            .collect();
        assert_eq!(shapes, vec![[2, 256, 3, 3], [2, 128, 7, 7], [2, 64, 15, 15], [2, 1, 28, 28]]);
        let d = DcDiscriminator::new(&device);
        let shapes: Vec<[usize; 4]> = d
            .forward_layers(Tensor::zeros([2, 1, 28, 28], &device))
            .iter()
            .map(|t| t.dims())
            .collect();
        assert_eq!(shapes, vec![[2, 64, 14, 14], [2, 128, 7, 7], [2, 256, 3, 3], [2, 1, 1, 1]]);
        assert_eq!(d.forward(Tensor::zeros([2, 1, 28, 28], &device)).dims(), [2]);
    }

    /// The CPU's phase computation of `conv(upsample2(x))` ([`upsample_conv3`]) gives the plain
    /// computation's output and gradients, with and without a bias, on sides odd and even.
    #[test]
    fn upsample_conv3_on_the_cpu_is_the_upsampled_convolution() {
        let device = Device::flex().autodiff();
        for (cin, cout, bias, h, w) in [(3, 2, false, 4, 5), (4, 1, true, 7, 7)] {
            let conv = conv3(cin, cout, bias, &device);
            let x = Tensor::<4>::random([2, cin, h, w], burn::tensor::Distribution::Normal(0.0, 1.0), &device).require_grad();
            // A weighting of the output, so that every output pixel's gradient differs.
            let mix = Tensor::<4>::random([2, cout, 2 * h, 2 * w], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
            let fast = upsample_conv3(x.clone(), &conv);
            let plain = conv.forward(upsample2(x.clone()));
            assert_eq!(fast.dims(), [2, cout, 2 * h, 2 * w]);
            let close = |a: Tensor<4>, b: Tensor<4>, what: &str| {
                let (a, b) = (a.into_data().try_to_vec::<f32>().unwrap(), b.into_data().try_to_vec::<f32>().unwrap());
                let worst = a.iter().zip(&b).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
                let size = b.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
                assert!(worst <= 1e-5 * size.max(1.0), "{what}: differs by {worst} (largest value {size})");
            };
            close(fast.clone().inner(), plain.clone().inner(), "output");
            let g_fast = (fast * mix.clone()).sum().backward();
            let g_plain = (plain * mix).sum().backward();
            close(x.grad(&g_fast).unwrap(), x.grad(&g_plain).unwrap(), "input gradient");
            close(conv.weight.grad(&g_fast).unwrap(), conv.weight.grad(&g_plain).unwrap(), "weight gradient");
        }
    }

    #[test]
    fn tiny_dcgan_upsamples_then_convolves() {
        let device = Device::flex();
        let x = Tensor::<4>::from_data(TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [1, 1, 2, 2]), &device);
        let up = upsample2(x).into_data().try_to_vec::<f32>().unwrap();
        #[rustfmt::skip]
        assert_eq!(up, [1.0, 1.0, 2.0, 2.0,
                        1.0, 1.0, 2.0, 2.0,
                        3.0, 3.0, 4.0, 4.0,
                        3.0, 3.0, 4.0, 4.0]);
        let w = TINY_WIDTH;
        let g = TinyGenerator::new(100, 1, &device);
        let shapes: Vec<[usize; 4]> = g.forward_layers(Tensor::zeros([2, 100], &device)).iter().map(|t| t.dims()).collect();
        assert_eq!(shapes, vec![[2, 2 * w, 7, 7], [2, w, 14, 14], [2, 1, 28, 28]]);
        let d = TinyDiscriminator::new(1, &device);
        let shapes: Vec<[usize; 4]> = d.forward_layers(Tensor::zeros([2, 1, 28, 28], &device)).iter().map(|t| t.dims()).collect();
        assert_eq!(shapes, vec![[2, w, 14, 14], [2, 2 * w, 7, 7], [2, 1, 1, 1]]);
        let (logits, q) = d.forward_with_codes(Tensor::zeros([2, 1, 28, 28], &device));
        assert_eq!((logits.dims(), q.dims()), ([2], [2, CODES]));
        // A third of the lesson's DCGAN's weights, most of them in G's first (dense) layer.
        let (tiny, lesson) = (g.num_params() + d.num_params(), DcGenerator::new(100, &device).num_params() + DcDiscriminator::new(&device).num_params());
        assert!(tiny * 3 < lesson, "tiny {tiny}, lesson {lesson}");
        assert!(ModelKind::Tiny.check_shape([1, 28, 28]).is_ok() && ModelKind::Tiny.check_shape([1, 32, 32]).is_err());
    }

    #[test]
    fn dense_shapes_and_output_range() {
        let device = Device::flex();
        let g = DenseGenerator::new(100, [1, 28, 28], &device);
        assert_eq!(g.l4.weight.dims(), [1024, 784]);
        let img = g.forward(Tensor::random([3, 100], burn::tensor::Distribution::Normal(0.0, 1.0), &device));
        assert_eq!(img.dims(), [3, 1, 28, 28]);
        let v = img.into_data().try_to_vec::<f32>().unwrap();
        assert!(v.iter().all(|x| x.is_finite() && x.abs() <= 1.0));
        let d = DenseDiscriminator::new([1, 28, 28], &device);
        assert_eq!(d.forward(Tensor::zeros([3, 1, 28, 28], &device)).dims(), [3]);
    }

    #[test]
    fn colour_dcgan_shapes_one_stage_per_doubling() {
        let device = Device::flex();
        let dims = |v: Vec<Tensor<4>>| v.iter().map(|t| t.dims()).collect::<Vec<[usize; 4]>>();
        let g32 = ColorGenerator::new(16, 3, 32, &device);
        assert_eq!(
            dims(g32.forward_layers(Tensor::zeros([2, 16], &device))),
            vec![[2, 256, 4, 4], [2, 128, 8, 8], [2, 64, 16, 16], [2, 3, 32, 32]]
        );
        let g64 = ColorGenerator::new(16, 3, 64, &device);
        assert_eq!(
            dims(g64.forward_layers(Tensor::zeros([2, 16], &device))),
            vec![[2, 256, 4, 4], [2, 128, 8, 8], [2, 64, 16, 16], [2, 32, 32, 32], [2, 3, 64, 64]]
        );
        let d32 = ColorDiscriminator::new(3, 32, &device);
        assert_eq!(
            dims(d32.forward_layers(Tensor::zeros([2, 3, 32, 32], &device))),
            vec![[2, 64, 16, 16], [2, 128, 8, 8], [2, 256, 4, 4], [2, 1, 1, 1]]
        );
        let d64 = ColorDiscriminator::new(3, 64, &device);
        assert_eq!(
            dims(d64.forward_layers(Tensor::zeros([2, 3, 64, 64], &device))),
            vec![[2, 32, 32, 32], [2, 64, 16, 16], [2, 128, 8, 8], [2, 256, 4, 4], [2, 1, 1, 1]]
        );
        assert_eq!(d64.forward(Tensor::zeros([2, 3, 64, 64], &device)).dims(), [2]);
        // The dense GAN takes colour images too.
        let g = Generator::new(ModelKind::Dense, 8, [3, 32, 32], &device);
        assert_eq!(g.forward(Tensor::zeros([2, 8], &device)).dims(), [2, 3, 32, 32]);
        let d = Discriminator::new(ModelKind::Dense, [3, 32, 32], &device);
        assert_eq!(d.forward(Tensor::zeros([2, 3, 32, 32], &device)).dims(), [2]);
    }

    #[test]
    fn models_refuse_data_of_another_shape() {
        assert!(ModelKind::Dcgan.check_shape([1, 28, 28]).is_ok());
        assert!(ModelKind::Dcgan32.check_shape([3, 32, 32]).is_ok());
        assert!(ModelKind::Dcgan64.check_shape([3, 64, 64]).is_ok());
        let e = ModelKind::Dcgan32.check_shape([1, 28, 28]).unwrap_err();
        assert!(e.contains("32x32") && e.contains("1x28x28"), "{e}");
        assert!(ModelKind::Dcgan.check_shape([3, 32, 32]).is_err());
        assert!(ModelKind::Dcgan64.check_shape([3, 32, 32]).is_err());
        assert_eq!(ModelKind::dcgan_for([3, 64, 64]), Some(ModelKind::Dcgan64));
        assert_eq!(ModelKind::default_for([1, 28, 28]), ModelKind::Tiny);
        assert_eq!(ModelKind::default_for([3, 32, 32]), ModelKind::Dcgan32);
        assert_eq!(ModelKind::default_for([1, 16, 16]), ModelKind::Dense);
        // The settings' JSON (checkpoints, the page) names each model as the page does.
        for k in ModelKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.name());
        }
    }

    #[test]
    fn dcgan_initialisation_follows_the_lesson() {
        let device = Device::flex();
        let g = DcGenerator::new(100, &device);
        let w = g.ct2.weight.val().into_data().try_to_vec::<f32>().unwrap();
        let mean = w.iter().sum::<f32>() / w.len() as f32;
        let std = (w.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / w.len() as f32).sqrt();
        assert!(mean.abs() < 0.002 && (std - 0.02).abs() < 0.002, "mean {mean} std {std}");
        let gamma = g.bn1.gamma.val().into_data().try_to_vec::<f32>().unwrap();
        assert!(gamma.iter().all(|x| (x - 1.0).abs() < 0.12));
        assert!(gamma.iter().any(|x| *x != 1.0));
    }
}
