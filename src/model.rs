//! The lesson's two GANs: the convolutional DCGAN and the dense (MLP) GAN.
//!
//! Images are `[batch, 1, 28, 28]` in [-1, 1]; noise is `[batch, latent]` from N(0, 1).

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu, tanh};

/// Which of the lesson's networks to train.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// Convolutional generator and discriminator (the default).
    Dcgan,
    /// Multi-layer perceptrons.
    Dense,
}

impl ModelKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "dcgan" => Some(ModelKind::Dcgan),
            "dense" => Some(ModelKind::Dense),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Dcgan => "dcgan",
            ModelKind::Dense => "dense",
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

/// Dense generator: z → 256 → 512 → 1024 → 784, hidden layers BN + LeakyReLU 0.2, tanh out.
#[derive(Module, Debug)]
pub struct DenseGenerator {
    pub l1: Linear,
    pub bn1: BatchNorm,
    pub l2: Linear,
    pub bn2: BatchNorm,
    pub l3: Linear,
    pub bn3: BatchNorm,
    pub l4: Linear,
}

impl DenseGenerator {
    pub fn new(latent: usize, device: &Device) -> Self {
        Self {
            l1: LinearConfig::new(latent, 256).init(device),
            bn1: BatchNormConfig::new(256).init(device),
            l2: LinearConfig::new(256, 512).init(device),
            bn2: BatchNormConfig::new(512).init(device),
            l3: LinearConfig::new(512, 1024).init(device),
            bn3: BatchNormConfig::new(1024).init(device),
            l4: LinearConfig::new(1024, 784).init(device),
        }
    }

    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        let h = leaky_relu(self.bn1.forward(self.l1.forward(z)), LEAK);
        let h = leaky_relu(self.bn2.forward(self.l2.forward(h)), LEAK);
        let h = leaky_relu(self.bn3.forward(self.l3.forward(h)), LEAK);
        let out = tanh(self.l4.forward(h));
        let b = out.dims()[0];
        out.reshape([b, 1, 28, 28])
    }
}

/// Dense discriminator: 784 → 512 → 256 → 1 with LeakyReLU 0.2.
#[derive(Module, Debug)]
pub struct DenseDiscriminator {
    pub l1: Linear,
    pub l2: Linear,
    pub l3: Linear,
}

impl DenseDiscriminator {
    pub fn new(device: &Device) -> Self {
        Self {
            l1: LinearConfig::new(784, 512).init(device),
            l2: LinearConfig::new(512, 256).init(device),
            l3: LinearConfig::new(256, 1).init(device),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<1> {
        let b = x.dims()[0];
        let h = leaky_relu(self.l1.forward(x.reshape([b, 784])), LEAK);
        let h = leaky_relu(self.l2.forward(h), LEAK);
        self.l3.forward(h).reshape([b])
    }
}

/// A generator of either kind.
#[derive(Module, Debug)]
pub enum Generator {
    Dc(DcGenerator),
    Dense(DenseGenerator),
}

/// A discriminator of either kind.
#[derive(Module, Debug)]
pub enum Discriminator {
    Dc(DcDiscriminator),
    Dense(DenseDiscriminator),
}

impl Generator {
    pub fn new(kind: ModelKind, latent: usize, device: &Device) -> Self {
        match kind {
            ModelKind::Dcgan => Generator::Dc(DcGenerator::new(latent, device)),
            ModelKind::Dense => Generator::Dense(DenseGenerator::new(latent, device)),
        }
    }

    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        match self {
            Generator::Dc(g) => g.forward(z),
            Generator::Dense(g) => g.forward(z),
        }
    }
}

impl Discriminator {
    pub fn new(kind: ModelKind, device: &Device) -> Self {
        match kind {
            ModelKind::Dcgan => Discriminator::Dc(DcDiscriminator::new(device)),
            ModelKind::Dense => Discriminator::Dense(DenseDiscriminator::new(device)),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<1> {
        match self {
            Discriminator::Dc(d) => d.forward(x),
            Discriminator::Dense(d) => d.forward(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn dense_shapes_and_output_range() {
        let device = Device::flex();
        let g = DenseGenerator::new(100, &device);
        assert_eq!(g.l4.weight.dims(), [1024, 784]);
        let img = g.forward(Tensor::random([3, 100], burn::tensor::Distribution::Normal(0.0, 1.0), &device));
        assert_eq!(img.dims(), [3, 1, 28, 28]);
        let v = img.into_data().try_to_vec::<f32>().unwrap();
        assert!(v.iter().all(|x| x.is_finite() && x.abs() <= 1.0));
        let d = DenseDiscriminator::new(&device);
        assert_eq!(d.forward(Tensor::zeros([3, 1, 28, 28], &device)).dims(), [3]);
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
