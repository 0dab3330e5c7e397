//! The training loop (burn-train does not run on wasm, so it is ours).
//!
//! One step is the lesson's game: (1) D learns to tell a real batch (label 1, or less with
//! one-sided label smoothing) from a generated one (label 0) — `d_steps` times, or not at all
//! while D's loss is below the skip threshold — then (2) G learns to make D say 1. BCE on
//! logits or least squares (LSGAN). For a model with categories (the tiny DCGAN's InfoGAN code,
//! [`crate::model::CODES`]) both losses also count how badly D's Q head tells which category G
//! was given. Each step's [`StepStats`] stay on the device until
//! [`Trainer::run_chunk`] reads a whole run of steps back at once.

use burn::module::{ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::activation::{log_sigmoid, log_softmax, sigmoid};
use burn::tensor::{Distribution, TensorData};
use serde::Serialize;

use crate::adam::Adam;
use crate::data::{Dataset, DeviceData, Sampler};
use crate::grid::GRID;
use crate::model::{Discriminator, Generator, code_of};
use crate::rng::Rng;
use crate::settings::{GanConfig, GanLive, Loss};

/// What one training step measured, read back from the device.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StepStats {
    pub d_loss: f32,
    pub g_loss: f32,
    /// Mean D(x) on the real batch: a probability (BCE) or a raw score (LSGAN).
    pub d_real: f32,
    /// Mean D(G(z)) on the generated batch.
    pub d_fake: f32,
    /// D steps skipped in this step (the skip trick).
    pub d_skipped: f32,
}

impl StepStats {
    /// Values per step in the device's statistics buffer, in the order of the fields.
    pub const LEN: usize = 5;

    /// Splits a read-back statistics buffer into steps.
    pub fn split(values: &[f32]) -> Vec<StepStats> {
        values
            .chunks_exact(Self::LEN)
            .map(|c| StepStats { d_loss: c[0], g_loss: c[1], d_real: c[2], d_fake: c[3], d_skipped: c[4] })
            .collect()
    }

    /// Whether every value is a finite number (not NaN, not infinite).
    pub fn is_finite(&self) -> bool {
        [self.d_loss, self.g_loss, self.d_real, self.d_fake, self.d_skipped].iter().all(|v| v.is_finite())
    }
}

/// Steps between the states a run keeps in memory to go back to when it diverges.
pub const KEEP_EVERY: usize = 200;

/// A run's state at one step, kept in memory (weights, Adam's moments, where the batches were):
/// Burn's tensors are immutable and shared, so keeping one costs no copy, only the memory of
/// the weights it holds on to.
#[derive(Clone)]
struct Snapshot {
    g: Generator,
    d: Discriminator,
    opt_g: Adam,
    opt_d: Adam,
    step: usize,
    sampler: Sampler,
    rng: Rng,
    last_d_loss: Option<f32>,
    average: Option<Generator>,
}

/// How much the categories' cross-entropy counts against the GAN's loss (InfoGAN's lambda; 1
/// for categorical codes, as in the paper).
pub const INFO_WEIGHT: f32 = 1.0;

/// Q's cross-entropy: how badly its logits `[n, codes]` tell the one-hot `codes` G was given.
pub fn code_loss(q: Tensor<2>, codes: Tensor<2>) -> Tensor<1> {
    (log_softmax(q, 1) * codes).sum_dim(1).mean().neg()
}

/// A generated batch and, for a model with categories, the one-hot category each image was
/// made from.
#[derive(Clone)]
pub struct Fake {
    pub images: Tensor<4>,
    pub codes: Option<Tensor<2>>,
}

impl Fake {
    /// The batch off G's graph (D's update must not reach G's weights).
    fn detach(self) -> Fake {
        Fake { images: self.images.detach(), ..self }
    }
}

/// A loss no healthy run reaches: D's logits around ±100 (BCE), or outputs ten times past their
/// targets (LSGAN). A learning rate of 1 gets there in a few steps and stays (its losses stay
/// finite: the loss is computed stably), so it counts as diverged like a NaN does.
pub const EXPLODED_LOSS: f32 = 100.0;

/// What went wrong when training diverged: a figure stopped being a finite number, or a loss
/// exploded past [`EXPLODED_LOSS`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Divergence {
    /// The step whose statistics went wrong (the first such).
    pub step: usize,
    /// Which figure, e.g. "D loss".
    pub what: &'static str,
    /// "NaN", "inf", "-inf" or the exploded loss, e.g. "1300".
    pub value: String,
    /// The last step whose state the run kept and can go back to.
    pub good_step: usize,
    /// The learning rates it trained with.
    pub lr_g: f64,
    pub lr_d: f64,
}

impl Divergence {
    /// What happened and the likely cause, for a person (the page and the CLI say the same).
    pub fn message(&self) -> String {
        let became = if self.value.parse::<f32>().is_ok_and(f32::is_finite) {
            format!("reached {} (a healthy run stays below ~10: the weights blew up)", self.value)
        } else {
            format!("became {} (not a finite number)", self.value)
        };
        let cause = if self.lr_g.max(self.lr_d) > 2e-3 {
            format!("the learning rate is too high (G {}, D {}; the lesson's is 2e-4)", self.lr_g, self.lr_d)
        } else {
            format!("the learning rate may be too high for these settings (G {}, D {}): lower it, or change the balance settings", self.lr_g, self.lr_d)
        };
        format!(
            "training diverged at step {}: the {} {became}. Likely cause: {cause}. Go back to step {}, the last good state kept, and train on with a lower learning rate.",
            self.step, self.what, self.good_step
        )
    }
}

/// The first step of `stats` that went wrong: its index, the figure and its value.
fn first_wrong(stats: &[StepStats]) -> Option<(usize, &'static str, f32)> {
    stats.iter().enumerate().find_map(|(i, s)| {
        let figures = [("D loss", s.d_loss), ("G loss", s.g_loss), ("D(x)", s.d_real), ("D(G(z))", s.d_fake), ("D steps skipped", s.d_skipped)];
        let bad = figures.into_iter().find(|(_, v)| !v.is_finite());
        let bad = bad.or_else(|| figures[..2].iter().copied().find(|(_, v)| v.abs() > EXPLODED_LOSS));
        bad.map(|(what, v)| (i, what, v))
    })
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
    /// D's loss in the last step read back; the skip trick decides from it.
    pub last_d_loss: Option<f32>,
    /// Diversity of a sample of the real data ([`crate::images::diversity`]).
    pub real_diversity: f32,
    /// The last state known to be good (finite), every [`KEEP_EVERY`] steps.
    kept: Snapshot,
    /// Set when the run diverged; it trains no more until [`Trainer::go_back`].
    pub diverged: Option<Divergence>,
    /// G's weights averaged over the last [`GanLive::average`] steps, while that is above 0.
    average: Option<Generator>,
}

/// What D's pass over a real and a generated batch gives: its loss and its mean outputs on
/// each batch, one-element tensors.
struct DPass {
    /// On the training device, with its graph until [`DPass::measured`].
    loss: Tensor<1>,
    real: Tensor<1>,
    fake: Tensor<1>,
}

impl DPass {
    /// The pass as statistics only: the loss off the graph (plain device).
    fn measured(self) -> DPass {
        DPass { loss: self.loss.inner(), ..self }
    }
}

impl Trainer {
    /// `device` is the plain device (e.g. `Device::flex()` or a wgpu device); training uses
    /// its autodiff form.
    pub fn new(config: GanConfig, dataset: &Dataset, device: &Device) -> Self {
        Self::with_data(config, dataset.to_device(device), device)
    }

    /// Like [`Trainer::new`], with a data set already on `device` (a new run reuses it).
    pub fn with_data(config: GanConfig, data: DeviceData, device: &Device) -> Self {
        let setup = &config.setup;
        assert!(data.count >= setup.batch_size, "data set smaller than a batch");
        device.seed(setup.seed);
        let train_device = device.clone().autodiff();
        let mut rng = Rng::new(setup.seed ^ 0xF1CE);
        let fixed = rng.normals(GRID * setup.latent);
        let kept = Snapshot {
            g: Generator::new(setup.model, setup.latent, data.shape, &train_device),
            d: Discriminator::new(setup.model, data.shape, &train_device),
            opt_g: Adam::new(setup.beta1),
            opt_d: Adam::new(setup.beta1),
            step: 0,
            sampler: Sampler::new(data.count, setup.batch_size, setup.seed),
            rng: rng.clone(),
            last_d_loss: None,
            average: None,
        };
        Trainer {
            g: kept.g.clone(),
            d: kept.d.clone(),
            opt_g: kept.opt_g.clone(),
            opt_d: kept.opt_d.clone(),
            sampler: kept.sampler.clone(),
            kept,
            diverged: None,
            average: None,
            shape: data.shape,
            data: data.images,
            fixed_noise: Tensor::from_data(TensorData::new(fixed.clone(), [GRID, setup.latent]), &train_device),
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
        let b = self.config.setup.batch_size;
        let batch = self.data.clone().select(0, idx).reshape([b, c, h, w]);
        let batch = if self.config.live.flip {
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
        let below = self.config.live.skip_d_below;
        below > 0.0 && self.last_d_loss.is_some_and(|l| (l as f64) < below)
    }

    /// Whether each step's statistics must be read back before the next step: the skip trick
    /// decides from D's last loss.
    pub fn needs_feedback(&self) -> bool {
        self.config.live.skip_d_below > 0.0
    }

    /// One training iteration, the lesson's two updates. Nothing is read back from the device.
    pub fn train_step(&mut self) {
        let b = self.config.setup.batch_size;
        // G's batch, made once: detached for D's (last) update, with its graph for G's.
        let fake = self.fake_batch(b);

        // (1) Update D: maximise log D(x) + log(1 - D(G(z))).
        let skip = self.skips_d();
        let d = if skip {
            // D is winning easily: leave it as it is and only measure it (for the charts and
            // the next step's decision), so that G can catch up.
            let real = self.real_batch();
            self.d_pass(real, fake.clone().detach()).measured()
        } else {
            let k = self.config.live.d_steps;
            let mut last = None;
            for i in 0..k {
                let real = self.real_batch();
                let fake_d = if i + 1 == k { fake.clone() } else { self.fake_batch(b) }.detach();
                last = Some(self.d_update(real, fake_d));
            }
            last.expect("at least one D step")
        };

        // (2) Update G: maximise log D(G(z)) (G's batch labelled real, only G's weights move).
        let g_loss = self.g_update(fake);
        self.update_average();

        let skipped = if skip { self.config.live.d_steps as f32 } else { 0.0 };
        // Filled on the device, not uploaded: on WebGPU every upload submits the queued work.
        let skipped = Tensor::<1>::full([1], skipped, &g_loss.device());
        // In StepStats' order.
        let stats = Tensor::cat(vec![d.loss, g_loss, d.real, d.fake, skipped], 0);
        self.pending.push(stats);
        self.step += 1;
    }

    /// A generated batch from fresh noise, on the training device (graph kept for G's step).
    pub fn generate(&self, n: usize) -> Tensor<4> {
        self.fake_batch(n).images
    }

    /// [`Trainer::generate`] with the categories the images were made from, if the model has
    /// them.
    fn fake_batch(&self, n: usize) -> Fake {
        let z = Tensor::<2>::random([n, self.config.setup.latent], Distribution::Normal(0.0, 1.0), &self.device);
        let k = self.config.setup.model.codes();
        let codes = (k > 0).then(|| code_of(z.clone(), k));
        Fake { images: self.g.forward(z), codes }
    }

    /// D's logits on a generated batch and, with categories, Q's loss on them.
    fn judge_fake(&self, fake: Fake) -> (Tensor<1>, Option<Tensor<1>>) {
        match (self.d.forward_with_codes(fake.images), fake.codes) {
            ((logits, Some(q)), Some(codes)) => (logits, Some(code_loss(q, codes).mul_scalar(INFO_WEIGHT))),
            ((logits, _), _) => (logits, None),
        }
    }

    /// D's loss: real → the real label, generated → 0.
    fn d_loss(&self, real_logits: Tensor<1>, fake_logits: Tensor<1>) -> Tensor<1> {
        let real = self.config.live.real_label as f32;
        match self.config.setup.loss {
            Loss::Bce => bce_with_logits(real_logits, real) + bce_with_logits(fake_logits, 0.0),
            Loss::Lsgan => least_squares(real_logits, real) + least_squares(fake_logits, 0.0),
        }
    }

    /// What the D chart shows: the probability D gives (BCE) or its raw score (LSGAN).
    fn d_output(&self, logits: Tensor<1>) -> Tensor<1> {
        match self.config.setup.loss {
            Loss::Bce => sigmoid(logits).mean(),
            Loss::Lsgan => logits.mean(),
        }
    }

    fn d_pass(&self, real: Tensor<4>, fake: Fake) -> DPass {
        let real_logits = self.d.forward(real);
        let (fake_logits, code_loss) = self.judge_fake(fake);
        let loss = self.d_loss(real_logits.clone(), fake_logits.clone());
        DPass {
            loss: match code_loss { Some(c) => loss + c, None => loss },
            real: self.d_output(real_logits.inner()),
            fake: self.d_output(fake_logits.inner()),
        }
    }

    fn d_update(&mut self, real: Tensor<4>, fake: Fake) -> DPass {
        let pass = self.d_pass(real, fake);
        let grads = GradientsParams::from_grads(pass.loss.backward(), &self.d);
        self.d = self.opt_d.step(self.config.live.lr_d, self.d.clone(), grads);
        pass.measured()
    }

    /// One update of D on a real and a generated batch. Returns (D loss, mean D(x), mean
    /// D(G(z))) as plain one-element tensors.
    /// Without categories: Q is not trained.
    pub fn d_step(&mut self, real: Tensor<4>, fake: Tensor<4>) -> (Tensor<1>, Tensor<1>, Tensor<1>) {
        let pass = self.d_update(real, Fake { images: fake, codes: None });
        (pass.loss, pass.real, pass.fake)
    }

    /// G's step: its batch through D with label 1. Only G's parameters are stepped. Without
    /// categories (Q's loss is not counted).
    pub fn g_step(&mut self, fake: Tensor<4>) -> Tensor<1> {
        self.g_update(Fake { images: fake, codes: None })
    }

    fn g_update(&mut self, fake: Fake) -> Tensor<1> {
        let (out, code_loss) = self.judge_fake(fake);
        let g_loss = match self.config.setup.loss {
            Loss::Bce => bce_with_logits(out, 1.0),
            Loss::Lsgan => least_squares(out, 1.0),
        };
        let g_loss = match code_loss { Some(c) => g_loss + c, None => g_loss };
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.g);
        self.g = self.opt_g.step(self.config.live.lr_g, self.g.clone(), grads);
        g_loss.inner()
    }

    /// Moves the average of G's weights a step towards G (starting it from G when it is off).
    fn update_average(&mut self) {
        let steps = self.config.live.average;
        self.average = (steps > 0).then(|| match self.average.take() {
            Some(average) => moving_average(average, &self.g, steps),
            None => self.g.clone(),
        });
    }

    /// The generator the samples shown come from (the grid, its quality score, the latent
    /// walk): G's weights averaged over its last steps ([`GanLive::average`]; Yazıcı et al.
    /// 2019 measure such averages' samples better than the last step's), or G itself.
    /// Training always uses G.
    pub fn shown(&self) -> &Generator {
        self.average.as_ref().unwrap_or(&self.g)
    }

    /// Over about how many steps the samples shown average G's weights now (0: they are G's).
    pub fn averaged_over(&self) -> usize {
        if self.average.is_some() { self.config.live.average } else { 0 }
    }

    /// The statistics of the steps since the last call, as one `[steps * StepStats::LEN]`
    /// tensor to read back in a single transfer. `None` if no step ran.
    pub fn take_stats(&mut self) -> Option<Tensor<1>> {
        take_pending(&mut self.pending)
    }

    /// Runs `steps` iterations and reads their statistics back: in one transfer, or after
    /// every step while the skip trick needs D's last loss. The page and the CLI both train
    /// through this.
    ///
    /// If a step's statistics are not finite, the run has diverged: the steps before it are
    /// returned, [`Trainer::diverged`] says what happened, and no step runs until
    /// [`Trainer::go_back`]. Every [`KEEP_EVERY`] steps the state is kept, once the step after
    /// it has shown it finite (a NaN in any weight reaches both losses in the next step).
    pub async fn run_chunk(&mut self, steps: usize) -> Result<Vec<StepStats>, String> {
        let mut out = Vec::with_capacity(steps);
        let mut left = steps;
        while left > 0 && self.diverged.is_none() {
            let due = self.step >= self.kept.step + KEEP_EVERY;
            let candidate = due.then(|| self.snapshot());
            let first_step = self.step;
            let n = if self.needs_feedback() { 1 } else { left };
            for _ in 0..n {
                self.train_step();
            }
            left -= n;
            let mut stats = StepStats::split(&read_f32(self.take_stats().expect("steps ran")).await?);
            let bad = first_wrong(&stats);
            if let Some(kept) = candidate.filter(|_| bad.is_none_or(|(i, ..)| i > 0)) {
                self.kept = kept;
            }
            if let Some((i, what, v)) = bad {
                stats.truncate(i);
                let value = if v.is_nan() { "NaN".into() } else if v.is_infinite() { format!("{v}") } else { format!("{v:.0}") };
                let live = &self.config.live;
                self.diverged = Some(Divergence { step: first_step + i + 1, what, value, good_step: self.kept.step, lr_g: live.lr_g, lr_d: live.lr_d });
            }
            self.last_d_loss = stats.last().map(|s| s.d_loss).or(self.last_d_loss);
            out.extend(stats);
        }
        Ok(out)
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            g: self.g.clone(),
            d: self.d.clone(),
            opt_g: self.opt_g.clone(),
            opt_d: self.opt_d.clone(),
            step: self.step,
            sampler: self.sampler.clone(),
            rng: self.rng.clone(),
            last_d_loss: self.last_d_loss,
            average: self.average.clone(),
        }
    }

    /// Keeps the current state as the one [`Trainer::go_back`] returns to (e.g. a resumed run's).
    pub fn keep(&mut self) {
        self.kept = self.snapshot();
    }

    /// The step [`Trainer::go_back`] returns to.
    pub fn kept_step(&self) -> usize {
        self.kept.step
    }

    /// Restores the last good state kept (after a divergence, or whenever asked): the weights,
    /// Adam's moments and the batch order as they were at [`Trainer::kept_step`]. The settings
    /// that may change while training stay as they are now. Returns the step.
    pub fn go_back(&mut self) -> usize {
        let k = self.kept.clone();
        (self.g, self.d, self.opt_g, self.opt_d) = (k.g, k.d, k.opt_g, k.opt_d);
        (self.step, self.sampler, self.rng, self.last_d_loss, self.average) = (k.step, k.sampler, k.rng, k.last_d_loss, k.average);
        self.pending.clear();
        self.diverged = None;
        self.step
    }

    /// Generated images for the fixed noise batch, `[GRID, c, h, w]` in [-1, 1].
    pub fn samples(&self) -> Tensor<4> {
        // Batch statistics, as in the lesson (the generator is in training mode).
        self.shown().forward(self.fixed_noise.clone()).inner()
    }

    /// Generated images for `noise` (`n * latent` values), `[n, c, h, w]` in [-1, 1], off the
    /// graph; the training's random stream is not touched.
    pub fn generate_from(&self, noise: Vec<f32>) -> Tensor<4> {
        let l = self.config.setup.latent;
        let n = noise.len() / l;
        self.shown().forward(Tensor::from_data(TensorData::new(noise, [n, l]), &self.device)).inner()
    }

    /// `steps` images along the great circle from grid sample `a`'s noise to `b`'s (both
    /// ends included), `[steps, c, h, w]`. They go through G together with the grid's noise so
    /// BatchNorm sees the grid's statistics and the ends look like the grid's tiles.
    pub fn interpolate(&self, a: usize, b: usize, steps: usize) -> Tensor<4> {
        let l = self.config.setup.latent;
        let (za, zb) = (&self.fixed[a * l..(a + 1) * l], &self.fixed[b * l..(b + 1) * l]);
        let path: Vec<f32> = (0..steps).flat_map(|i| slerp(za, zb, i as f32 / (steps - 1).max(1) as f32)).collect();
        let path = Tensor::<2>::from_data(TensorData::new(path, [steps, l]), &self.device);
        let out = self.shown().forward(Tensor::cat(vec![self.fixed_noise.clone(), path], 0)).inner();
        let [_, c, h, w] = out.dims();
        out.slice([GRID..GRID + steps, 0..c, 0..h, 0..w])
    }

    /// Replaces the grid's noise (`GRID * latent` values), e.g. from a checkpoint.
    pub fn set_fixed(&mut self, noise: Vec<f32>) {
        let l = self.config.setup.latent;
        assert_eq!(noise.len(), GRID * l, "fixed noise size");
        self.fixed_noise = Tensor::from_data(TensorData::new(noise.clone(), [GRID, l]), &self.device);
        self.fixed = noise;
    }

    /// Draws new noise for grid sample `i`.
    pub fn resample(&mut self, i: usize) {
        let l = self.config.setup.latent;
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

    /// Takes the settings that may change while training; the run's shape stays.
    pub fn set_live(&mut self, live: GanLive) {
        if live.average == 0 {
            self.average = None;
        }
        self.config.live = live;
    }

    /// The device the run trains on (autodiff).
    pub fn device(&self) -> &Device {
        &self.device
    }
}

/// `average` moved 1/`steps` of the way to `current`, weight by weight (an exponential moving
/// average with decay 1 - 1/`steps`), off the graph. Only `current`'s trainable weights are
/// followed: BatchNorm's running statistics, which training-mode passes do not read, stay.
pub fn moving_average<M: Module>(average: M, current: &M, steps: usize) -> M {
    struct Collect(Vec<Option<Tensor<1>>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let value = param.val();
            self.0.push(value.is_require_grad().then(|| value.inner().flatten(0, D - 1)));
        }
    }
    struct Follow {
        current: std::vec::IntoIter<Option<Tensor<1>>>,
        rate: f64,
    }
    impl ModuleMapper for Follow {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let Some(current) = self.current.next().expect("the same module") else {
                return param;
            };
            let (id, average, mapper) = param.consume();
            let average = average.inner();
            let moved = average.clone() + (current.reshape(average.dims()) - average).mul_scalar(self.rate);
            Param::from_mapped_value(id, Tensor::from_inner(moved), mapper)
        }
    }
    let mut collect = Collect(Vec::new());
    current.visit(&mut collect);
    average.map(&mut Follow { current: collect.0.into_iter(), rate: 1.0 / steps as f64 })
}

/// Joins per-step statistics into one tensor (one read-back), emptying `pending`.
pub fn take_pending(pending: &mut Vec<Tensor<1>>) -> Option<Tensor<1>> {
    if pending.is_empty() { None } else { Some(Tensor::cat(std::mem::take(pending), 0)) }
}

/// Reads a tensor back from the device (asynchronously: the browser's GPU reads must be).
pub async fn read_f32(t: Tensor<1>) -> Result<Vec<f32>, String> {
    let data = t.into_data_async().await.map_err(|e| format!("reading from the device failed: {e}"))?;
    data.try_to_vec::<f32>().map_err(|e| format!("reading from the device failed: {e:?}"))
}
