//! The GPU: how Easel opens it (WebGPU in the page, wgpu natively) and a known-answer test
//! of its arithmetic, run by the page before it trusts WebGPU with training.
//!
//! On wasm a shader that fails WebGPU's validation is logged and skipped, and whoever asked
//! for its result gets whatever the buffer held: wrong numbers, no error (cubecl#1641). So
//! before training on a GPU, the same two training steps of a GAN run on it and on the CPU
//! path, from the same weights and inputs, and every figure is compared: the generated
//! images, D's outputs and losses, and the images after the updates (which carry the
//! gradients and Adam through). The CPU path is the reference; a GPU that disagrees is not
//! trusted with training.

use std::collections::BTreeMap;

use burn::prelude::*;
use burn::tensor::TensorData;

use crate::adam::{load_named, named_tensors};
use crate::data::Dataset;
use crate::model::ModelKind;
use crate::rng::Rng;
use crate::settings::{GanConfig, GanLive, GanSetup};
use crate::train::{Trainer, read_f32};

/// Kernels recorded into one GPU command buffer before it is submitted (CubeCL's default is
/// 32). A training step of the lesson's DCGAN is a few hundred kernels: with 32 it was ~38
/// submissions a step, each a round trip to the browser's GPU process; with this, a few
/// (bench/README.md, "What one training step asks of the GPU").
pub const TASKS_PER_SUBMISSION: usize = 256;

/// Opens the GPU through wgpu: WebGPU in the browser, Vulkan, Metal or DX12 natively (where a
/// blocking executor can wait on it).
#[cfg(feature = "webgpu")]
pub async fn open() -> Result<Device, String> {
    Device::wgpu_options().tasks_max(TASKS_PER_SUBMISSION).init_async().await.map_err(|e| e.to_string())
}

/// Images per batch in the check: enough for BatchNorm's statistics, little work.
const BATCH: usize = 2;
/// Training steps checked.
const STEPS: usize = 2;
/// Adam's epsilon in the check. With the usual 1e-8, Adam's first step moves every weight by
/// the learning rate whatever the size of its gradient (m̂ / √v̂ = ±1), so a gradient that is
/// rounding noise would get a full step in a random direction on each device. With an epsilon
/// far above the gradients, Adam's step is proportional to the gradient, and the comparison is
/// as well conditioned as the gradients'.
const ADAM_EPS: f64 = 1.0;
/// The check's learning rate: with [`ADAM_EPS`] the steps are ~`LEARNING_RATE` x gradient, large
/// enough to change the images measurably, small enough not to saturate them.
const LEARNING_RATE: f64 = 0.05;
/// The largest difference allowed, relative to the figure's own size (its largest absolute
/// value, at least 1). GPUs sum in other orders than the CPU: lavapipe's Vulkan differs from
/// it by at most 1.2e-5 (tests/gpu.rs); a skipped kernel or a wrong one is off by far more.
pub const TOLERANCE: f32 = 1e-3;

/// One figure compared: its largest difference, relative to its size, where, and the two
/// values there.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Figure {
    /// e.g. "tiny DCGAN, step 1: generated images".
    pub what: String,
    pub difference: f32,
    /// Flat index of the largest difference.
    pub at: usize,
    pub gpu: f32,
    pub cpu: f32,
}

/// What the check compared and how it went.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CheckReport {
    /// Whether every figure agreed within [`TOLERANCE`].
    pub passed: bool,
    /// Every figure, in the order computed.
    pub figures: Vec<Figure>,
}

impl CheckReport {
    /// The figure to tell a person about: the first one out of tolerance (where the GPU first
    /// went wrong: later figures inherit its error), else the one that differed most.
    pub fn telling(&self) -> &Figure {
        let most = || self.figures.iter().max_by(|a, b| a.difference.total_cmp(&b.difference));
        self.figures.iter().find(|f| f.difference > TOLERANCE).or_else(most).expect("figures compared")
    }

    /// One line for a person: what differed, by how much.
    pub fn details(&self) -> String {
        let f = self.telling();
        format!(
            "{}: value {} is {} on the GPU and {} on the CPU, a difference of {:.2e} of its size (allowed {:.0e})",
            f.what, f.at, f.gpu, f.cpu, f.difference, TOLERANCE
        )
    }
}

/// The models checked: each one's own kernels (transposed convolutions in the lesson's DCGAN,
/// upsampling in the tiny one) at 28x28.
pub const MODELS: [ModelKind; 2] = [ModelKind::Tiny, ModelKind::Dcgan];

/// Runs the check on `gpu` against Burn's CPU backend. `corrupt` is a test hook: it adds 0.5
/// to one pixel of the GPU's first generated batch, as a wrong kernel would, and the check
/// must then fail.
pub async fn self_check(gpu: &Device, corrupt: bool) -> Result<CheckReport, String> {
    let cpu = Device::flex();
    let mut compared = Vec::new();
    for model in MODELS {
        // The weights are made once, on the CPU, and loaded on both devices (a second model
        // made from the same seed is not always the same: flex fills random tensors in
        // parallel).
        let made = Trainer::new(config(model), &squares(), &cpu);
        let weights = (host_values(named_tensors(&made.g)).await?, host_values(named_tensors(&made.d)).await?);
        let on_cpu = figures(model, &cpu, &weights, false).await?;
        let on_gpu = figures(model, gpu, &weights, corrupt).await?;
        for ((what, a), (_, b)) in on_gpu.iter().zip(&on_cpu) {
            let scale = b.iter().fold(1f32, |m, v| m.max(v.abs()));
            let mut f = Figure { what: format!("{}, {what}", model.title()), difference: 0.0, at: 0, gpu: 0.0, cpu: 0.0 };
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                // A NaN on either side is a failure too.
                let d = (x - y).abs() / scale;
                let d = if d.is_nan() { f32::INFINITY } else { d };
                if d > f.difference || i == 0 {
                    (f.difference, f.at, f.gpu, f.cpu) = (d, i, *x, *y);
                }
            }
            compared.push(f);
        }
    }
    let passed = compared.iter().all(|f| f.difference <= TOLERANCE);
    Ok(CheckReport { passed, figures: compared })
}

/// A fixed little data set: 8 images of a bright square at 8 places.
fn squares() -> Dataset {
    let (n, side) = (8, 28);
    let mut pixels = vec![0u8; n * side * side];
    for i in 0..n {
        let (x0, y0) = (3 + 2 * i, 20 - 2 * i);
        for y in y0..y0 + 6 {
            for x in x0..x0 + 6 {
                pixels[i * side * side + y * side + x] = 255;
            }
        }
    }
    Dataset { count: n, channels: 1, height: side, width: side, classes: 1, labels: vec![0; n], pixels }
}

/// Weights read to the host by path, G's and D's.
type Weights = (BTreeMap<String, (Vec<usize>, Vec<f32>)>, BTreeMap<String, (Vec<usize>, Vec<f32>)>);

/// The check's run of `model`: its batch, a fixed seed, its learning rate.
fn config(model: ModelKind) -> GanConfig {
    let live = GanLive { lr_g: LEARNING_RATE, lr_d: LEARNING_RATE, ..GanLive::for_model(model) };
    GanConfig { setup: GanSetup { batch_size: BATCH, seed: 1, ..GanSetup::for_model(model) }, live }
}

/// The named figures of [`STEPS`] training steps of `model` on `device`, from `weights` and
/// fixed inputs.
async fn figures(model: ModelKind, device: &Device, weights: &Weights, corrupt: bool) -> Result<Vec<(String, Vec<f32>)>, String> {
    let data = squares();
    let mut t = Trainer::new(config(model), &data, device);
    t.opt_g.eps = ADAM_EPS;
    t.opt_d.eps = ADAM_EPS;
    t.g = load_named(t.g, &mut weights.0.clone())?;
    t.d = load_named(t.d, &mut weights.1.clone())?;
    let train = device.clone().autodiff();
    let mut rng = Rng::new(7);
    let latent = t.config.setup.latent;
    let real = data.to_device(device).images.slice([0..BATCH]).reshape([BATCH, 1, 28, 28]);
    let mut out = Vec::new();
    for step in 1..=STEPS {
        let z = Tensor::<2>::from_data(TensorData::new(rng.normals(BATCH * latent), [BATCH, latent]), &train);
        let mut fake = t.g.forward(z.clone());
        if corrupt && step == 1 {
            let mut bump = vec![0f32; fake.shape().num_elements()];
            bump[BATCH * 28 * 28 / 3] = 0.5;
            fake = fake.clone() + Tensor::<4>::from_data(TensorData::new(bump, fake.dims()), &train);
        }
        let n = fake.shape().num_elements();
        out.push((format!("step {step}: generated images"), read_f32(fake.clone().inner().reshape([n])).await?));
        let (d_loss, d_real, d_fake) = t.d_step(real.clone().autodiff(), fake.clone().detach());
        out.push((format!("step {step}: D loss, D(x), D(G(z))"), read_f32(Tensor::cat(vec![d_loss, d_real, d_fake], 0)).await?));
        out.push((format!("step {step}: D's weights after its update"), read_f32(flat(&t.d)).await?));
        let g_loss = t.g_step(fake);
        out.push((format!("step {step}: G loss"), read_f32(g_loss).await?));
        out.push((format!("step {step}: G's weights after its update"), read_f32(flat(&t.g)).await?));
        let after = t.g.forward(z).inner();
        out.push((format!("step {step}: generated images after the updates"), read_f32(after.reshape([n])).await?));
    }
    Ok(out)
}

/// Every float tensor of a module, flattened into one.
fn flat<M: burn::module::Module>(module: &M) -> Tensor<1> {
    Tensor::cat(named_tensors(module).into_iter().map(|(_, _, t)| t).collect(), 0)
}

/// Module tensors read to the host, keyed by path, as [`load_named`] takes them.
async fn host_values(tensors: Vec<(String, Vec<usize>, Tensor<1>)>) -> Result<BTreeMap<String, (Vec<usize>, Vec<f32>)>, String> {
    let mut out = BTreeMap::new();
    for (path, shape, t) in tensors {
        out.insert(path, (shape, read_f32(t).await?));
    }
    Ok(out)
}
