//! Gatys neural style transfer: optimise the image itself so that its VGG16 features match
//! the content photo (relu4_2) and its Gram matrices match the style image (relu1_1 ..
//! relu5_1), plus total variation for smoothness.
//!
//! Images are `[1, channels, h, w]` RGB in [0, 1]; the network gets them as BGR 0..255 minus
//! the ImageNet mean (the convention of the shipped weights, see www/models/SOURCES.md).

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::prelude::*;
use burn::store::{HalfPrecisionAdapter, ModuleSnapshot, SafetensorsStore};
use burn::tensor::activation::relu;

use crate::photo::{Rgb, fit_longest, resize};
use crate::rng::Rng;
use crate::settings::{Init, StyleConfig};
use crate::train::{read_f32, take_pending};

/// The mean the network subtracts, in BGR order.
pub const MEAN_BGR: [f32; 3] = [104.00699, 116.66877, 122.67892];

/// The losses of one iteration, read back from the device (each normalised, before weighting
/// except `total`).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct StyleStats {
    pub total: f32,
    pub content: f32,
    pub style: f32,
    pub tv: f32,
}

impl StyleStats {
    /// Values per iteration in the device's buffer, in the order of the fields.
    pub const LEN: usize = 4;

    /// Splits read-back losses into iterations.
    pub fn split(values: &[f32]) -> Vec<StyleStats> {
        values.chunks_exact(Self::LEN).map(|c| StyleStats { total: c[0], content: c[1], style: c[2], tv: c[3] }).collect()
    }
}

fn conv3(cin: usize, cout: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

/// VGG16's convolutions up to conv5_1 (what the losses use), with max pooling between blocks.
#[derive(Module, Debug)]
pub struct Vgg {
    conv1_1: Conv2d,
    conv1_2: Conv2d,
    conv2_1: Conv2d,
    conv2_2: Conv2d,
    conv3_1: Conv2d,
    conv3_2: Conv2d,
    conv3_3: Conv2d,
    conv4_1: Conv2d,
    conv4_2: Conv2d,
    conv4_3: Conv2d,
    conv5_1: Conv2d,
    pool: MaxPool2d,
    /// MEAN_BGR as `[1, 3, 1, 1]` on the network's device: uploaded once, not per iteration.
    #[module(skip)]
    mean: Tensor<4>,
}

/// The activations the losses read.
pub struct Features {
    /// relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 (style).
    pub style: Vec<Tensor<4>>,
    /// relu4_2 (content).
    pub content: Tensor<4>,
}

impl Vgg {
    /// The architecture with random weights (load real ones with [`Vgg::from_safetensors`]).
    pub fn new(device: &Device) -> Self {
        Vgg {
            conv1_1: conv3(3, 64, device),
            conv1_2: conv3(64, 64, device),
            conv2_1: conv3(64, 128, device),
            conv2_2: conv3(128, 128, device),
            conv3_1: conv3(128, 256, device),
            conv3_2: conv3(256, 256, device),
            conv3_3: conv3(256, 256, device),
            conv4_1: conv3(256, 512, device),
            conv4_2: conv3(512, 512, device),
            conv4_3: conv3(512, 512, device),
            conv5_1: conv3(512, 512, device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            mean: Tensor::<1>::from_floats(MEAN_BGR, device).reshape([1, 3, 1, 1]),
        }
    }

    /// Loads the shipped `vgg16.safetensors` (float16, converted to float32 on load). The
    /// network's weights never train: they are marked as not needing gradients.
    pub fn from_safetensors(bytes: Vec<u8>, device: &Device) -> Result<Self, String> {
        Ok(load_half(Vgg::new(device), bytes, "feature network")?.no_grad())
    }

    /// Features of RGB images in [0, 1], `[n, 3, h, w]`.
    pub fn features(&self, rgb: Tensor<4>) -> Features {
        let x = rgb.flip([1]).mul_scalar(255.0) - self.mean.clone();
        let r11 = relu(self.conv1_1.forward(x));
        let x = self.pool.forward(relu(self.conv1_2.forward(r11.clone())));
        let r21 = relu(self.conv2_1.forward(x));
        let x = self.pool.forward(relu(self.conv2_2.forward(r21.clone())));
        let r31 = relu(self.conv3_1.forward(x));
        let x = relu(self.conv3_2.forward(r31.clone()));
        let x = self.pool.forward(relu(self.conv3_3.forward(x)));
        let r41 = relu(self.conv4_1.forward(x));
        let r42 = relu(self.conv4_2.forward(r41.clone()));
        let x = self.pool.forward(relu(self.conv4_3.forward(r42.clone())));
        let r51 = relu(self.conv5_1.forward(x));
        Features { style: vec![r11, r21, r31, r41, r51], content: r42 }
    }
}

/// Loads a shipped float16 safetensors file into `module` (float32 once loaded), refusing one
/// that lacks any of its weights; `what` names the network in the messages.
pub fn load_half<M: ModuleSnapshot>(mut module: M, bytes: Vec<u8>, what: &str) -> Result<M, String> {
    let mut store = SafetensorsStore::from_bytes(Some(bytes)).with_from_adapter(HalfPrecisionAdapter::new());
    let result = module.load_from(&mut store).map_err(|e| format!("the {what} file is not valid: {e}"))?;
    if !result.missing.is_empty() {
        return Err(format!("the {what} file lacks {:?}", result.missing));
    }
    Ok(module)
}

/// Gram matrix of `[1, c, h, w]` features: `F Fᵀ / (c h w)`, `[c, c]`.
pub fn gram(features: Tensor<4>) -> Tensor<2> {
    let [n, c, h, w] = features.dims();
    assert_eq!(n, 1, "gram: one image at a time");
    let f = features.reshape([c, h * w]);
    f.clone().matmul(f.transpose()).div_scalar((c * h * w) as f32)
}

/// Total variation: mean squared difference of vertical plus horizontal neighbours.
pub fn total_variation(x: Tensor<4>) -> Tensor<1> {
    let [n, c, h, w] = x.dims();
    let dy = x.clone().slice([0..n, 0..c, 1..h, 0..w]) - x.clone().slice([0..n, 0..c, 0..h - 1, 0..w]);
    let dx = x.clone().slice([0..n, 0..c, 0..h, 1..w]) - x.slice([0..n, 0..c, 0..h, 0..w - 1]);
    dy.square().mean() + dx.square().mean()
}

/// RGB bytes to a `[1, 3, h, w]` tensor in [0, 1].
pub fn rgb_to_tensor(img: &Rgb, device: &Device) -> Tensor<4> {
    let (w, h) = (img.width as usize, img.height as usize);
    let mut planar = vec![0f32; 3 * w * h];
    for (i, px) in img.pixels.chunks_exact(3).enumerate() {
        for c in 0..3 {
            planar[c * w * h + i] = px[c] as f32 / 255.0;
        }
    }
    Tensor::from_data(TensorData::new(planar, [1, 3, h, w]), device)
}

/// `[3 * h * w]` planar values in [0, 1] to interleaved RGBA bytes.
pub fn planar_to_rgba(values: &[f32], w: usize, h: usize) -> Vec<u8> {
    let n = w * h;
    let mut out = vec![255u8; 4 * n];
    for i in 0..n {
        for c in 0..3 {
            out[4 * i + c] = (values[c * n + i].clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    }
    out
}

/// ITU-R BT.601 luma of `[1, 3, h, w]` RGB, `[1, 1, h, w]`.
pub fn luminance(rgb: Tensor<4>) -> Tensor<4> {
    let device = rgb.device();
    let k = Tensor::<1>::from_floats([0.299, 0.587, 0.114], &device).reshape([1, 3, 1, 1]);
    (rgb * k).sum_dim(1)
}

/// The photo `[1, 3, h, w]` (luminance `photo_luma`) with its luminance replaced by `luma`
/// `[1, 1, h, w]`: the style's light and dark in the photo's colours. In YIQ, changing only Y
/// adds the same amount to R, G and B.
pub fn with_photo_colours(photo: Tensor<4>, photo_luma: Tensor<4>, luma: Tensor<4>) -> Tensor<4> {
    (photo + (luma - photo_luma).repeat_dim(1, 3)).clamp(0.0, 1.0)
}

/// The smallest side the network can take (4 poolings before conv5_1).
pub const MIN_SIDE: u32 = 16;

/// One style-transfer run.
pub struct Stylizer {
    pub config: StyleConfig,
    vgg: Vgg,
    /// The optimised image, plain device: `[1, 3, h, w]` RGB, or `[1, 1, h, w]` luminance
    /// when keeping the photo's colours.
    image: Tensor<4>,
    m: Tensor<4>,
    v: Tensor<4>,
    content_rgb: Tensor<4>,
    content_luma: Tensor<4>,
    content_target: Tensor<4>,
    style_targets: Vec<Tensor<2>>,
    content_norm: Tensor<1>,
    style_norms: Vec<Tensor<1>>,
    pub iteration: usize,
    pending: Vec<Tensor<1>>,
    pub width: usize,
    pub height: usize,
}

impl Stylizer {
    /// `vgg` lives on the autodiff form of `device` (the plain device). The content photo is
    /// resized so its longest side is `config.size`; the style image to the same longest side.
    pub fn new(config: StyleConfig, vgg: Vgg, content: &Rgb, style: &Rgb, device: &Device) -> Result<Self, String> {
        let (cw, ch) = fit_longest(content.width, content.height, config.size);
        if cw.min(ch) < MIN_SIDE {
            return Err(format!(
                "the photo is too narrow: at {cw} x {ch} the network needs at least {MIN_SIDE} pixels a side"
            ));
        }
        let (sw, sh) = fit_longest(style.width, style.height, config.size);
        if sw.min(sh) < MIN_SIDE {
            return Err(format!(
                "the style image is too narrow: at {sw} x {sh} the network needs at least {MIN_SIDE} pixels a side"
            ));
        }
        let content_rgb = rgb_to_tensor(&resize(content, cw, ch), device);
        let mut style_rgb = rgb_to_tensor(&resize(style, sw, sh), device);
        let content_luma = luminance(content_rgb.clone());
        if config.keep_colors {
            // Style luminance, matched to the photo's luminance mean and spread (Gatys et al.
            // 2016, "Preserving color in neural artistic style transfer").
            let ys = luminance(style_rgb);
            let (ms, ss) = mean_std(ys.clone());
            let (mc, sc) = mean_std(content_luma.clone());
            style_rgb = ((ys - ms) / ss * sc + mc).clamp(0.0, 1.0);
        }
        let cf = vgg.features(as_rgb(if config.keep_colors { content_luma.clone() } else { content_rgb.clone() }).autodiff());
        let content_target = cf.content.inner();
        let sf = vgg.features(as_rgb(style_rgb).autodiff());
        let style_targets: Vec<Tensor<2>> = sf.style.into_iter().map(|f| gram(f.inner())).collect();
        let content_norm = content_target.clone().square().mean().add_scalar(1e-8);
        let style_norms = style_targets.iter().map(|g| g.clone().square().sum().add_scalar(1e-8)).collect();
        let channels = if config.keep_colors { 1 } else { 3 };
        let image = match config.init {
            Init::Content => if config.keep_colors { content_luma.clone() } else { content_rgb.clone() },
            Init::Noise => {
                let mut rng = Rng::new(config.seed);
                let n = channels * (cw * ch) as usize;
                let noise: Vec<f32> = rng.normals(n).into_iter().map(|z| (0.5 + 0.15 * z).clamp(0.0, 1.0)).collect();
                Tensor::from_data(TensorData::new(noise, [1, channels, ch as usize, cw as usize]), device)
            }
        };
        Ok(Stylizer {
            m: image.zeros_like(),
            v: image.zeros_like(),
            image,
            vgg,
            content_rgb,
            content_luma,
            content_target,
            style_targets,
            content_norm,
            style_norms,
            iteration: 0,
            pending: Vec::new(),
            width: cw as usize,
            height: ch as usize,
            config,
        })
    }

    /// Starts the optimisation from `rgb` (`[1, 3, h, w]` at this run's size, e.g. an instant
    /// result to refine) instead of the configured start; Adam starts afresh.
    pub fn start_from(&mut self, rgb: Tensor<4>) -> Result<(), String> {
        let [_, _, h, w] = rgb.dims();
        if (w, h) != (self.width, self.height) {
            return Err(format!(
                "the image to refine is {w} x {h} but this run's output is {} x {}: repaint it at this size first",
                self.width, self.height
            ));
        }
        self.image = if self.config.keep_colors { luminance(rgb) } else { rgb };
        self.m = self.image.zeros_like();
        self.v = self.image.zeros_like();
        self.iteration = 0;
        Ok(())
    }

    /// The losses of `image` (autodiff): (total, content, style, tv), each `[1]`.
    fn losses(&self, image: Tensor<4>) -> [Tensor<1>; 4] {
        let f = self.vgg.features(as_rgb(image.clone()));
        let content = (f.content - self.content_target.clone().autodiff()).square().mean() / self.content_norm.clone().autodiff();
        let layers = self.style_targets.len() as f32;
        let mut style = Tensor::<1>::zeros([1], &image.device());
        for ((feat, target), norm) in f.style.into_iter().zip(&self.style_targets).zip(&self.style_norms) {
            style = style + (gram(feat) - target.clone().autodiff()).square().sum() / norm.clone().autodiff();
        }
        let style = style.div_scalar(layers);
        let tv = total_variation(image);
        let total = content.clone().mul_scalar(self.config.content_weight)
            + style.clone().mul_scalar(self.config.style_weight)
            + tv.clone().mul_scalar(self.config.tv_weight);
        [total, content, style, tv]
    }

    /// One Adam step on the image. Nothing is read back from the device.
    pub fn step(&mut self) {
        let x = self.image.clone().autodiff().require_grad();
        let [total, content, style, tv] = self.losses(x.clone());
        let grads = total.backward();
        let g = x.grad(&grads).expect("the image has a gradient");
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        self.iteration += 1;
        let t = self.iteration as i32;
        self.m = self.m.clone().mul_scalar(b1) + g.clone().mul_scalar(1.0 - b1);
        self.v = self.v.clone().mul_scalar(b2) + g.square().mul_scalar(1.0 - b2);
        let mhat = self.m.clone().div_scalar(1.0 - b1.powi(t));
        let vhat = self.v.clone().div_scalar(1.0 - b2.powi(t));
        let update = mhat / vhat.sqrt().add_scalar(eps);
        self.image = (self.image.clone() - update.mul_scalar(self.config.lr)).clamp(0.0, 1.0);
        self.pending.push(Tensor::cat(vec![total.inner(), content.inner(), style.inner(), tv.inner()], 0));
    }

    /// The losses of the iterations since the last call, `[iterations * StyleStats::LEN]`.
    pub fn take_stats(&mut self) -> Option<Tensor<1>> {
        take_pending(&mut self.pending)
    }

    /// The current result, `[1, 3, h, w]` RGB in [0, 1].
    pub fn output(&self) -> Tensor<4> {
        if self.config.keep_colors {
            with_photo_colours(self.content_rgb.clone(), self.content_luma.clone(), self.image.clone())
        } else {
            self.image.clone()
        }
    }

    pub fn done(&self) -> bool {
        self.iteration >= self.config.iterations
    }

    /// Runs up to `n` iterations (not past the configured number) and reads their losses back
    /// in one transfer.
    pub async fn run_chunk(&mut self, n: usize) -> Result<Vec<StyleStats>, String> {
        for _ in 0..n {
            if self.done() {
                break;
            }
            self.step();
        }
        match self.take_stats() {
            Some(t) => Ok(StyleStats::split(&read_f32(t).await?)),
            None => Ok(Vec::new()),
        }
    }
}

/// A one-channel (luminance) image repeated to the three channels the network takes.
fn as_rgb(x: Tensor<4>) -> Tensor<4> {
    if x.dims()[1] == 1 { x.repeat_dim(1, 3) } else { x }
}

fn mean_std(x: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
    let mean = x.clone().mean().reshape([1, 1, 1, 1]);
    let var = (x - mean.clone()).square().mean().reshape([1, 1, 1, 1]);
    (mean, var.add_scalar(1e-6).sqrt())
}

/// The reference input of tools/convert_vgg.py: `((c*31 + y*7 + x*13) % 17) / 16`, [1,3,32,32].
pub fn reference_input(device: &Device) -> Tensor<4> {
    let mut v = Vec::with_capacity(3 * 32 * 32);
    for c in 0..3 {
        for y in 0..32 {
            for x in 0..32 {
                v.push(((c * 31 + y * 7 + x * 13) % 17) as f32 / 16.0);
            }
        }
    }
    Tensor::from_data(TensorData::new(v, [1, 3, 32, 32]), device)
}
