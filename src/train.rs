//! The training loop (burn-train does not run on wasm, so it is ours).
//!
//! One step: D on a real batch (label 1, or less with one-sided label smoothing) and a
//! generated batch (label 0) — `d_steps` times, or not at all while D's loss is below the skip
//! threshold — then G through D with label 1. BCE on logits or least squares (LSGAN).
//! Statistics of each step stay on the device until the caller reads a whole run of steps back
//! at once (see [`Trainer::take_stats`]).

use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::activation::{log_sigmoid, sigmoid};
use burn::tensor::{Distribution, TensorData};

use crate::adam::Adam;
use crate::data::{Dataset, DeviceData, Sampler};
use crate::model::{Discriminator, Generator, ModelKind};
use crate::rng::Rng;

/// Number of samples in the fixed-noise grid (8 x 8).
pub const GRID: usize = 64;
/// Values per step in the statistics read back: D loss, G loss, mean D(x), mean D(G(z)),
/// D steps skipped in this step.
pub const STATS: usize = 5;

/// The loss the two networks play with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// Binary cross-entropy on D's logits (the lesson's).
    Bce,
    /// Least squares on D's raw output (LSGAN, Mao et al. 2017): targets 1 real, 0 generated.
    Lsgan,
}

impl Loss {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bce" => Some(Loss::Bce),
            "lsgan" => Some(Loss::Lsgan),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Loss::Bce => "bce",
            Loss::Lsgan => "lsgan",
        }
    }
}

/// Everything the user sets before training. `lr_g`, `lr_d`, `real_label`, `d_steps` and
/// `skip_d_below` can also change while it runs ([`Trainer::set_live`]).
#[derive(Clone, Debug, PartialEq)]
pub struct GanConfig {
    pub model: ModelKind,
    pub batch_size: usize,
    pub latent: usize,
    pub lr_g: f64,
    pub lr_d: f64,
    pub beta1: f64,
    pub seed: u64,
    pub loss: Loss,
    /// The real label D learns (1 = none; 0.9 = one-sided label smoothing).
    pub real_label: f64,
    /// D steps per G step.
    pub d_steps: usize,
    /// Skip D's steps while its last loss is below this (0 = never skip).
    pub skip_d_below: f64,
    /// Mirror each real image left-right with probability 1/2.
    pub flip: bool,
}

impl Default for GanConfig {
    fn default() -> Self {
        GanConfig {
            model: ModelKind::Dcgan,
            batch_size: 64,
            latent: 100,
            lr_g: 2e-4,
            lr_d: 2e-4,
            beta1: 0.5,
            seed: 1,
            loss: Loss::Bce,
            real_label: 1.0,
            d_steps: 1,
            skip_d_below: 0.0,
            flip: false,
        }
    }
}

/// The settings as a person typed them (the page's fields, the CLI's flags).
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigInput {
    pub model: String,
    pub batch_size: String,
    pub latent: String,
    pub lr_g: String,
    pub lr_d: String,
    pub beta1: String,
    pub loss: String,
    pub real_label: String,
    pub d_steps: String,
    pub skip_d_below: String,
    pub flip: bool,
}

impl Default for ConfigInput {
    fn default() -> Self {
        let s = |v: &str| v.to_string();
        ConfigInput {
            model: s("dcgan"),
            batch_size: s("64"),
            latent: s("100"),
            lr_g: s("2e-4"),
            lr_d: s("2e-4"),
            beta1: s("0.5"),
            loss: s("bce"),
            real_label: s("1"),
            d_steps: s("1"),
            skip_d_below: s("0"),
            flip: false,
        }
    }
}

/// A refused setting: which field and why.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Parses and checks the settings as typed by a person; every bad field gets a message.
/// `shape` is the loaded data's `[channels, height, width]` (None: not loaded yet).
pub fn parse_config(input: &ConfigInput, shape: Option<[usize; 3]>, dataset_len: usize) -> Result<GanConfig, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut err = |field: &'static str, message: String| errors.push(FieldError { field, message });
    let model = match ModelKind::parse(&input.model) {
        Some(m) => {
            if let Some(Err(e)) = shape.map(|s| m.check_shape(s)) {
                err("model", e);
            }
            m
        }
        None => {
            err("model", format!("unknown model '{}'", input.model));
            ModelKind::Dcgan
        }
    };
    let int = |s: &str| s.trim().parse::<usize>().ok();
    let float = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    let max_batch = dataset_len.clamp(1, 1024);
    let batch_size = match int(&input.batch_size) {
        Some(b) if (1..=max_batch).contains(&b) => b,
        _ => {
            err("batch_size", format!("batch size must be a whole number from 2 to {max_batch}"));
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
    let latent = match int(&input.latent) {
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
    let lr_g = lr("lr_g", &input.lr_g);
    let lr_d = lr("lr_d", &input.lr_d);
    let beta1 = match float(&input.beta1) {
        Some(v) if (0.0..1.0).contains(&v) => v,
        _ => {
            err("beta1", "beta1 must be a number from 0 up to (not including) 1".into());
            0.5
        }
    };
    let loss = Loss::parse(&input.loss).unwrap_or_else(|| {
        err("loss", format!("unknown loss '{}' (bce or lsgan)", input.loss));
        Loss::Bce
    });
    let real_label = match float(&input.real_label) {
        Some(v) if (0.5..=1.0).contains(&v) => v,
        _ => {
            err("real_label", "the real label must be a number from 0.5 to 1 (1 = no smoothing, 0.9 is usual)".into());
            1.0
        }
    };
    let d_steps = match int(&input.d_steps) {
        Some(k) if (1..=10).contains(&k) => k,
        _ => {
            err("d_steps", "D steps per G step must be a whole number from 1 to 10".into());
            1
        }
    };
    let skip_d_below = match float(&input.skip_d_below) {
        Some(v) if (0.0..=10.0).contains(&v) => v,
        _ => {
            err("skip_d_below", "the skip threshold must be a number from 0 (never skip) to 10".into());
            0.0
        }
    };
    if errors.is_empty() {
        Ok(GanConfig { model, batch_size, latent, lr_g, lr_d, beta1, seed: 1, loss, real_label, d_steps, skip_d_below, flip: input.flip })
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

/// Half the mean squared distance of D's outputs to a constant target (LSGAN).
pub fn least_squares(out: Tensor<1>, target: f32) -> Tensor<1> {
    out.sub_scalar(target).powi_scalar(2).mean().mul_scalar(0.5)
}

/// Spherical interpolation between two noise vectors (stays where N(0, I) puts its mass, where
/// a straight line would pass through unusually short vectors).
pub fn slerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    let cos = (a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / (norm(a) * norm(b))).clamp(-1.0, 1.0);
    let omega = cos.acos();
    if omega.abs() < 1e-4 {
        return a.iter().zip(b).map(|(x, y)| x + (y - x) * t).collect();
    }
    let (wa, wb) = (((1.0 - t) * omega).sin() / omega.sin(), (t * omega).sin() / omega.sin());
    a.iter().zip(b).map(|(x, y)| wa * x + wb * y).collect()
}

/// The state of one GAN training run.
pub struct Trainer {
    pub config: GanConfig,
    pub g: Generator,
    pub d: Discriminator,
    pub opt_g: Adam,
    pub opt_d: Adam,
    device: Device,
    data: Tensor<2>,
    pub shape: [usize; 3],
    pub sampler: Sampler,
    /// The grid's noise, on the host (for resampling and checkpoints) and on the device.
    pub fixed: Vec<f32>,
    fixed_noise: Tensor<2>,
    pub step: usize,
    pending: Vec<Tensor<1>>,
    rng: Rng,
    /// D's loss in the last step read back ([`Trainer::note_stats`]); the skip trick uses it.
    pub last_d_loss: Option<f32>,
    /// Diversity of a sample of the real data ([`crate::images::diversity`]).
    pub real_diversity: f32,
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
        let mut rng = Rng::new(config.seed ^ 0xF1CE);
        let fixed = rng.normals(GRID * config.latent);
        Trainer {
            g: Generator::new(config.model, config.latent, data.shape, &train_device),
            d: Discriminator::new(config.model, data.shape, &train_device),
            opt_g: Adam::new(config.beta1),
            opt_d: Adam::new(config.beta1),
            sampler: Sampler::new(data.count, config.batch_size, config.seed),
            shape: data.shape,
            data: data.images,
            fixed_noise: Tensor::from_data(TensorData::new(fixed.clone(), [GRID, config.latent]), &train_device),
            fixed,
            step: 0,
            pending: Vec::new(),
            rng,
            last_d_loss: None,
            real_diversity: data.real_diversity,
            device: train_device,
            config,
        }
    }

    /// The next real batch from the data set, on the training device (mirrored at random when
    /// `flip` is on).
    pub fn real_batch(&mut self) -> Tensor<4> {
        let idx = self.sampler.next_index_tensor(&self.device.clone().inner());
        let [c, h, w] = self.shape;
        let b = self.config.batch_size;
        let batch = self.data.clone().select(0, idx).reshape([b, c, h, w]);
        let batch = if self.config.flip {
            let mask: Vec<f32> = (0..b).map(|_| (self.rng.uniform() < 0.5) as u8 as f32).collect();
            let mask = Tensor::<4>::from_data(TensorData::new(mask, [b, 1, 1, 1]), &batch.device());
            let flipped = batch.clone().flip([3]);
            batch.clone() + (flipped - batch) * mask
        } else {
            batch
        };
        batch.autodiff()
    }

    /// Whether D's steps are skipped in the next step (its last loss is below the threshold).
    pub fn skips_d(&self) -> bool {
        self.config.skip_d_below > 0.0 && self.last_d_loss.is_some_and(|l| (l as f64) < self.config.skip_d_below)
    }

    /// Whether the caller must read each step's statistics back before the next step (and
    /// pass them to [`Trainer::note_stats`]): the skip trick decides from D's last loss.
    pub fn needs_feedback(&self) -> bool {
        self.config.skip_d_below > 0.0
    }

    /// Tells the trainer the statistics read back (the last step's D loss drives skipping).
    pub fn note_stats(&mut self, values: &[f32]) {
        if let Some(last) = split_stats(values).last() {
            self.last_d_loss = Some(last[0]);
        }
    }

    /// One training iteration. Nothing is read back from the device.
    pub fn train_step(&mut self) {
        let b = self.config.batch_size;
        let skip = self.skips_d();
        // G's batch, made once: detached for D's (last) step, with its graph for G's step.
        let fake = self.generate(b);
        let mut d_stats = None;
        // A skipped step only measures D once (for the charts and the next decision).
        let d_steps = if skip { 1 } else { self.config.d_steps };
        for k in 0..d_steps {
            let real = self.real_batch();
            let fake_d = if k + 1 == d_steps { fake.clone().detach() } else { self.generate(b).detach() };
            d_stats = Some(self.d_step_with(real, fake_d, !skip));
        }
        let (d_loss, d_real, d_fake) = d_stats.expect("at least one D step");
        let g_loss = self.g_step(fake);
        let skipped = if skip { self.config.d_steps as f32 } else { 0.0 };
        let skipped = Tensor::<1>::from_data(TensorData::new(vec![skipped], [1]), &d_loss.device());
        let stats = Tensor::cat(vec![d_loss, g_loss, d_real, d_fake, skipped], 0);
        self.pending.push(stats);
        self.step += 1;
    }

    /// A generated batch from fresh noise, on the training device (graph kept for G's step).
    pub fn generate(&self, n: usize) -> Tensor<4> {
        let z = Tensor::<2>::random([n, self.config.latent], Distribution::Normal(0.0, 1.0), &self.device);
        self.g.forward(z)
    }

    fn d_loss(&self, real_logits: Tensor<1>, fake_logits: Tensor<1>) -> Tensor<1> {
        let real = self.config.real_label as f32;
        match self.config.loss {
            Loss::Bce => bce_with_logits(real_logits, real) + bce_with_logits(fake_logits, 0.0),
            Loss::Lsgan => least_squares(real_logits, real) + least_squares(fake_logits, 0.0),
        }
    }

    /// What the D chart shows: the probability D gives (BCE) or its raw score (LSGAN).
    fn d_output(&self, logits: Tensor<1>) -> Tensor<1> {
        match self.config.loss {
            Loss::Bce => sigmoid(logits).mean(),
            Loss::Lsgan => logits.mean(),
        }
    }

    /// D's step: real → the real label, generated → 0. Returns (D loss, mean D(x), mean
    /// D(G(z))) as plain one-element tensors.
    pub fn d_step(&mut self, real: Tensor<4>, fake: Tensor<4>) -> (Tensor<1>, Tensor<1>, Tensor<1>) {
        self.d_step_with(real, fake, true)
    }

    /// [`Trainer::d_step`], or only its losses when `update` is false (a skipped step).
    pub fn d_step_with(&mut self, real: Tensor<4>, fake: Tensor<4>, update: bool) -> (Tensor<1>, Tensor<1>, Tensor<1>) {
        let real_logits = self.d.forward(real);
        let fake_logits = self.d.forward(fake);
        let d_loss = self.d_loss(real_logits.clone(), fake_logits.clone());
        if update {
            let grads = GradientsParams::from_grads(d_loss.backward(), &self.d);
            self.d = self.opt_d.step(self.config.lr_d, self.d.clone(), grads);
        }
        (d_loss.inner(), self.d_output(real_logits.inner()), self.d_output(fake_logits.inner()))
    }

    /// G's step: its batch through D with label 1. Only G's parameters are stepped.
    pub fn g_step(&mut self, fake: Tensor<4>) -> Tensor<1> {
        let out = self.d.forward(fake);
        let g_loss = match self.config.loss {
            Loss::Bce => bce_with_logits(out, 1.0),
            Loss::Lsgan => least_squares(out, 1.0),
        };
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

    /// `steps` images along the great circle from grid sample `a`'s noise to `b`'s (both
    /// ends included), `[steps, c, h, w]`. They go through G together with the grid's noise so
    /// BatchNorm sees the grid's statistics and the ends look like the grid's tiles.
    pub fn interpolate(&self, a: usize, b: usize, steps: usize) -> Tensor<4> {
        let l = self.config.latent;
        let (za, zb) = (&self.fixed[a * l..(a + 1) * l], &self.fixed[b * l..(b + 1) * l]);
        let path: Vec<f32> = (0..steps).flat_map(|i| slerp(za, zb, i as f32 / (steps - 1).max(1) as f32)).collect();
        let path = Tensor::<2>::from_data(TensorData::new(path, [steps, l]), &self.device);
        let out = self.g.forward(Tensor::cat(vec![self.fixed_noise.clone(), path], 0)).inner();
        let [_, c, h, w] = out.dims();
        out.slice([GRID..GRID + steps, 0..c, 0..h, 0..w])
    }

    /// Replaces the grid's noise (`GRID * latent` values), e.g. from a checkpoint.
    pub fn set_fixed(&mut self, noise: Vec<f32>) {
        assert_eq!(noise.len(), GRID * self.config.latent, "fixed noise size");
        self.fixed_noise = Tensor::from_data(TensorData::new(noise.clone(), [GRID, self.config.latent]), &self.device);
        self.fixed = noise;
    }

    /// Draws new noise for grid sample `i`.
    pub fn resample(&mut self, i: usize) {
        let l = self.config.latent;
        let mut fixed = self.fixed.clone();
        fixed[i * l..(i + 1) * l].copy_from_slice(&self.rng.normals(l));
        self.set_fixed(fixed);
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

    /// Takes the settings that may change while training from `c` (learning rates, real
    /// label, D steps, skip threshold); the others stay those the run began with.
    pub fn set_live(&mut self, c: &GanConfig) {
        self.config.lr_g = c.lr_g;
        self.config.lr_d = c.lr_d;
        self.config.real_label = c.real_label;
        self.config.d_steps = c.d_steps;
        self.config.skip_d_below = c.skip_d_below;
    }

    /// The device the run trains on (autodiff).
    pub fn device(&self) -> &Device {
        &self.device
    }
}

/// Joins per-step statistics into one tensor (one read-back), emptying `pending`.
pub fn take_pending(pending: &mut Vec<Tensor<1>>) -> Option<Tensor<1>> {
    if pending.is_empty() { None } else { Some(Tensor::cat(std::mem::take(pending), 0)) }
}

/// Splits a read-back statistics buffer into per-step `[D loss, G loss, D(x), D(G(z)),
/// D steps skipped]`.
pub fn split_stats(values: &[f32]) -> Vec<[f32; STATS]> {
    values.chunks_exact(STATS).map(|c| [c[0], c[1], c[2], c[3], c[4]]).collect()
}
