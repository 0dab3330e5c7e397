//! The training loop (burn-train does not run on wasm, so it is ours).
//!
//! One step: D on a real batch (label 1) and a generated batch (label 0), BCE on logits;
//! then G through D with label 1. Statistics of each step stay on the device until the
//! caller reads a whole run of steps back at once (see [`Trainer::take_stats`]).

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::activation::{log_sigmoid, sigmoid};
use burn::tensor::{Distribution, TensorData};

use crate::data::{Dataset, DeviceData, Sampler};
use crate::model::{Discriminator, Generator, ModelKind};
use crate::rng::Rng;

/// Number of samples in the fixed-noise grid (8 x 8).
pub const GRID: usize = 64;
/// Values per step in the statistics read back: D loss, G loss, mean D(x), mean D(G(z)).
pub const STATS: usize = 4;

/// Everything the user sets before training.
#[derive(Clone, Debug, PartialEq)]
pub struct GanConfig {
    pub model: ModelKind,
    pub batch_size: usize,
    pub latent: usize,
    pub lr_g: f64,
    pub lr_d: f64,
    pub beta1: f64,
    pub seed: u64,
}

impl Default for GanConfig {
    fn default() -> Self {
        GanConfig { model: ModelKind::Dcgan, batch_size: 64, latent: 100, lr_g: 2e-4, lr_d: 2e-4, beta1: 0.5, seed: 1 }
    }
}

/// A refused setting: which field and why.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Parses and checks the settings as typed by a person; every bad field gets a message.
pub fn parse_config(
    model: &str,
    batch_size: &str,
    latent: &str,
    lr_g: &str,
    lr_d: &str,
    beta1: &str,
    dataset_len: usize,
) -> Result<GanConfig, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut err = |field: &'static str, message: String| errors.push(FieldError { field, message });
    let model = ModelKind::parse(model).unwrap_or_else(|| {
        err("model", format!("unknown model '{model}'"));
        ModelKind::Dcgan
    });
    let int = |s: &str| s.trim().parse::<usize>().ok();
    let float = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    let max_batch = dataset_len.clamp(1, 1024);
    let batch_size = match int(batch_size) {
        Some(b) if (1..=max_batch).contains(&b) => b,
        _ => {
            err("batch_size", format!("batch size must be a whole number from 1 to {max_batch}"));
            64
        }
    };
    // BatchNorm needs at least two samples to have a variance.
    let batch_size = if batch_size == 1 {
        err("batch_size", "batch size must be at least 2 (BatchNorm needs two samples)".into());
        2
    } else {
        batch_size
    };
    let latent = match int(latent) {
        Some(l) if (1..=1024).contains(&l) => l,
        _ => {
            err("latent", "latent size must be a whole number from 1 to 1024".into());
            100
        }
    };
    let mut lr = |field: &'static str, s: &str| match float(s) {
        Some(v) if v > 0.0 && v <= 1.0 => v,
        _ => {
            err(field, "learning rate must be a number above 0 and at most 1 (e.g. 2e-4)".into());
            2e-4
        }
    };
    let lr_g = lr("lr_g", lr_g);
    let lr_d = lr("lr_d", lr_d);
    let beta1 = match float(beta1) {
        Some(v) if (0.0..1.0).contains(&v) => v,
        _ => {
            err("beta1", "beta1 must be a number from 0 up to (not including) 1".into());
            0.5
        }
    };
    if errors.is_empty() {
        Ok(GanConfig { model, batch_size, latent, lr_g, lr_d, beta1, seed: 1 })
    } else {
        Err(errors)
    }
}

/// Binary cross-entropy on logits against a constant label, averaged over the batch.
pub fn bce_with_logits(logits: Tensor<1>, label: f32) -> Tensor<1> {
    // -(y log s(x) + (1 - y) log s(-x))
    let pos = log_sigmoid(logits.clone()).mul_scalar(label);
    let neg = log_sigmoid(logits.neg()).mul_scalar(1.0 - label);
    (pos + neg).neg().mean()
}

/// The state of one GAN training run.
pub struct Trainer {
    pub config: GanConfig,
    pub g: Generator,
    pub d: Discriminator,
    opt_g: ModuleOptimizer,
    opt_d: ModuleOptimizer,
    device: Device,
    data: Tensor<2>,
    shape: [usize; 3],
    pub sampler: Sampler,
    fixed_noise: Tensor<2>,
    pub step: usize,
    pending: Vec<Tensor<1>>,
}

impl Trainer {
    /// `device` is the plain device (e.g. `Device::flex()` or a wgpu device); training uses
    /// its autodiff form.
    pub fn new(config: GanConfig, dataset: &Dataset, device: &Device) -> Self {
        Self::with_data(config, dataset.to_device(device), device)
    }

    /// Like [`Trainer::new`], with a data set already on `device` (a new run reuses it).
    pub fn with_data(config: GanConfig, data: DeviceData, device: &Device) -> Self {
        assert!(data.count >= config.batch_size, "data set smaller than a batch");
        device.seed(config.seed);
        let train_device = device.clone().autodiff();
        let adam = AdamConfig::new().with_beta_1(config.beta1 as f32).with_beta_2(0.999).with_epsilon(1e-8);
        let mut rng = Rng::new(config.seed ^ 0xF1CE);
        let fixed = rng.normals(GRID * config.latent);
        Trainer {
            g: Generator::new(config.model, config.latent, &train_device),
            d: Discriminator::new(config.model, &train_device),
            opt_g: adam.init(),
            opt_d: adam.init(),
            sampler: Sampler::new(data.count, config.batch_size, config.seed),
            shape: data.shape,
            data: data.images,
            fixed_noise: Tensor::from_data(TensorData::new(fixed, [GRID, config.latent]), &train_device),
            step: 0,
            pending: Vec::new(),
            device: train_device,
            config,
        }
    }

    /// The next real batch from the data set, on the training device.
    pub fn real_batch(&mut self) -> Tensor<4> {
        let idx = self.sampler.next_index_tensor(&self.device.clone().inner());
        let [c, h, w] = self.shape;
        let b = self.config.batch_size;
        self.data.clone().select(0, idx).reshape([b, c, h, w]).autodiff()
    }

    /// One training iteration. Nothing is read back from the device.
    pub fn train_step(&mut self) {
        let real = self.real_batch();
        let fake = self.generate(self.config.batch_size);
        // The generated batch is detached for D's step: only D learns from it.
        let (d_loss, d_real, d_fake) = self.d_step(real, fake.clone().detach());
        let g_loss = self.g_step(fake);
        let stats = Tensor::cat(vec![d_loss, g_loss, d_real, d_fake], 0);
        self.pending.push(stats);
        self.step += 1;
    }

    /// A generated batch from fresh noise, on the training device (graph kept for G's step).
    pub fn generate(&self, n: usize) -> Tensor<4> {
        let z = Tensor::<2>::random([n, self.config.latent], Distribution::Normal(0.0, 1.0), &self.device);
        self.g.forward(z)
    }

    /// D's step: real → label 1, generated → label 0. Returns (D loss, mean D(x), mean
    /// D(G(z))) as plain one-element tensors.
    pub fn d_step(&mut self, real: Tensor<4>, fake: Tensor<4>) -> (Tensor<1>, Tensor<1>, Tensor<1>) {
        let real_logits = self.d.forward(real);
        let fake_logits = self.d.forward(fake);
        let d_loss = bce_with_logits(real_logits.clone(), 1.0) + bce_with_logits(fake_logits.clone(), 0.0);
        let grads = GradientsParams::from_grads(d_loss.backward(), &self.d);
        self.d = self.opt_d.step(self.config.lr_d, self.d.clone(), grads);
        (
            d_loss.inner(),
            sigmoid(real_logits.inner()).mean(),
            sigmoid(fake_logits.inner()).mean(),
        )
    }

    /// G's step: its batch through D with label 1. Only G's parameters are stepped.
    pub fn g_step(&mut self, fake: Tensor<4>) -> Tensor<1> {
        let g_loss = bce_with_logits(self.d.forward(fake), 1.0);
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.g);
        self.g = self.opt_g.step(self.config.lr_g, self.g.clone(), grads);
        g_loss.inner()
    }

    /// The statistics of the steps since the last call, as one `[steps * STATS]` tensor to
    /// read back in a single transfer. `None` if no step ran.
    pub fn take_stats(&mut self) -> Option<Tensor<1>> {
        take_pending(&mut self.pending)
    }

    /// Generated images for the fixed noise batch, `[GRID, c, h, w]` in [-1, 1].
    pub fn samples(&self) -> Tensor<4> {
        // Batch statistics, as in the lesson (the generator is in training mode).
        self.g.forward(self.fixed_noise.clone()).inner()
    }

    pub fn epoch(&self) -> usize {
        self.sampler.epoch
    }

    /// Fraction of the current epoch done, in [0, 1).
    pub fn epoch_progress(&self) -> f64 {
        self.sampler.batch_in_epoch() as f64 / self.sampler.batches_per_epoch() as f64
    }

    pub fn set_learning_rates(&mut self, lr_g: f64, lr_d: f64) {
        self.config.lr_g = lr_g;
        self.config.lr_d = lr_d;
    }
}

/// Joins per-step statistics into one tensor (one read-back), emptying `pending`.
pub fn take_pending(pending: &mut Vec<Tensor<1>>) -> Option<Tensor<1>> {
    if pending.is_empty() { None } else { Some(Tensor::cat(std::mem::take(pending), 0)) }
}

/// Splits a read-back statistics buffer into per-step `[D loss, G loss, D(x), D(G(z))]`.
pub fn split_stats(values: &[f32]) -> Vec<[f32; STATS]> {
    values.chunks_exact(STATS).map(|c| [c[0], c[1], c[2], c[3]]).collect()
}
