//! Browser test (wasm-bindgen-test in a dedicated worker, as the page runs it): initialise
//! WebGPU the way the page does and train the lesson's DCGAN for a few steps on real MNIST.
//! Run by scripts/test.sh: `cargo test --release --target wasm32-unknown-unknown --test web`.
#![cfg(target_arch = "wasm32")]

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use easel::data::Dataset;
use burn::tensor::TensorData;
use easel::model::{ModelKind, upsample2};
use easel::settings::{GanConfig, GanLive, GanSetup, Loss};
use easel::train::{StepStats, Trainer};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

thread_local! {
    static DEVICE: std::cell::RefCell<Option<Device>> = const { std::cell::RefCell::new(None) };
}

/// WebGPU, initialised the way the page does it, once per test run (a second initialisation
/// of the same device is refused).
async fn webgpu() -> Device {
    if let Some(d) = DEVICE.with(|d| d.borrow().clone()) {
        return d;
    }
    let d = easel::gpu::open().await.expect("no WebGPU adapter: start Chromium with --enable-unsafe-webgpu");
    DEVICE.with(|c| *c.borrow_mut() = Some(d.clone()));
    d
}

async fn read(t: Tensor<1>) -> Vec<f32> {
    t.into_data_async().await.expect("read back").try_to_vec::<f32>().unwrap()
}

/// All float parameters of a module, read back asynchronously (a blocking read panics on WebGPU).
async fn params<M: Module>(m: &M) -> Vec<f32> {
    struct Collect(Vec<Tensor<1>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            // Trainable parameters only: BatchNorm's running statistics are buffers.
            if !p.val().is_require_grad() {
                return;
            }
            self.0.push(p.val().flatten(0, D - 1));
        }
    }
    let mut c = Collect(Vec::new());
    m.visit(&mut c);
    read(Tensor::cat(c.0, 0)).await
}

#[wasm_bindgen_test]
async fn webgpu_trains_the_lesson_dcgan_on_mnist() {
    let device = webgpu().await;
    let data = Dataset::from_gz_bytes(include_bytes!("../www/data/mnist.easelds.gz")).unwrap();
    let config = GanConfig { setup: GanSetup { model: ModelKind::Dcgan, batch_size: 8, ..GanSetup::default() }, ..GanConfig::default() };
    let mut t = Trainer::new(config, &data, &device);
    let g0 = params(&t.g).await;
    let d0 = params(&t.d).await;

    // As the page trains: a chunk of steps, the statistics read back once, asynchronously.
    let stats = t.run_chunk(4).await.expect("reads back");
    assert_eq!(stats.len(), 4);
    for s in &stats {
        assert!(s.is_finite(), "non-finite statistics {s:?}");
        assert!(s.d_loss > 0.0 && s.g_loss > 0.0, "losses must be positive: {s:?}");
        assert!((0.0..=1.0).contains(&s.d_real) && (0.0..=1.0).contains(&s.d_fake), "{s:?}");
    }
    // D sees real digits and its own generator's output: after a few steps it tells them apart.
    assert!(stats[3].d_real > stats[3].d_fake, "D(x) should exceed D(G(z)) early on: {stats:?}");

    assert!(g0 != params(&t.g).await, "G did not change");
    assert!(d0 != params(&t.d).await, "D did not change");

    let samples = read(t.samples().flatten(0, 3)).await;
    assert_eq!(samples.len(), 64 * 784);
    assert!(samples.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
    let mean = samples.iter().sum::<f32>() / samples.len() as f32;
    let var = samples.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / samples.len() as f32;
    assert!(var > 1e-4, "samples are flat (variance {var})");
}

/// The tiny DCGAN (the default for 28x28 images) on WebGPU: its upsampling (repeat each pixel
/// 2x2) gives exact values, and a few steps train both nets to finite, varied samples.
#[wasm_bindgen_test]
async fn webgpu_trains_the_tiny_dcgan() {
    let device = webgpu().await;
    let x = Tensor::<4>::from_data(TensorData::new((1..=8).map(|v| v as f32).collect::<Vec<_>>(), [1, 2, 2, 2]), &device);
    let up = read(upsample2(x).flatten(0, 3)).await;
    let want: Vec<f32> = (0..2)
        .flat_map(|c| (0..4).flat_map(move |y| (0..4).map(move |x| (c * 4 + (y / 2) * 2 + x / 2 + 1) as f32)))
        .collect();
    assert_eq!(up, want);

    let data = Dataset::from_gz_bytes(include_bytes!("../www/data/mnist.easelds.gz")).unwrap();
    let config = GanConfig::parse(&[("model".to_string(), "tiny".to_string()), ("batch_size".into(), "8".into())].into_iter().collect(), None).unwrap();
    assert_eq!(config.live.lr_g, ModelKind::Tiny.learning_rate());
    let mut t = Trainer::new(config, &data, &device);
    let (g0, d0) = (params(&t.g).await, params(&t.d).await);
    let stats = t.run_chunk(4).await.expect("reads back");
    assert!(stats.len() == 4 && stats.iter().all(|s| s.is_finite() && s.d_loss > 0.0 && s.g_loss > 0.0), "{stats:?}");
    assert!(g0 != params(&t.g).await && d0 != params(&t.d).await, "a net did not change");
    let samples = read(t.samples().flatten(0, 3)).await;
    assert_eq!(samples.len(), 64 * 784);
    assert!(samples.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
    let mean = samples.iter().sum::<f32>() / samples.len() as f32;
    assert!(samples.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / samples.len() as f32 > 1e-4, "flat samples");
}

/// The colour DCGAN at 64 px on WebGPU (the kernels the page's 64 px choice runs), with label
/// smoothing, LSGAN and flip, then a checkpoint read back asynchronously and resumed on WebGPU:
/// the resumed run's samples match.
#[wasm_bindgen_test]
async fn webgpu_trains_colour_64_and_resumes_a_checkpoint() {
    let device = webgpu().await;
    let n = 6;
    let mut pixels = Vec::new();
    for i in 0..n {
        for c in 0..3 {
            for y in 0..64 {
                for x in 0..64 {
                    pixels.push(((x * 4 + y * 2 + i * 40 + c * 70) % 256) as u8);
                }
            }
        }
    }
    let data = Dataset { count: n, channels: 3, height: 64, width: 64, classes: 0, labels: vec![0; n], pixels };
    let config = GanConfig {
        setup: GanSetup { model: ModelKind::Dcgan64, batch_size: 4, latent: 16, loss: Loss::Lsgan, ..GanSetup::default() },
        live: GanLive { real_label: 0.9, flip: true, ..GanLive::default() },
    };
    let mut t = Trainer::new(config, &data, &device);
    for _ in 0..2 {
        t.train_step();
    }
    let stats = StepStats::split(&read(t.take_stats().unwrap()).await);
    assert!(stats.iter().all(StepStats::is_finite), "{stats:?}");
    let samples = read(t.samples().flatten(0, 3)).await;
    assert_eq!(samples.len(), 64 * 3 * 64 * 64);

    let (layout, values) = t.checkpoint_values();
    let bytes = t.checkpoint_bytes(&layout, &read(values).await, "test");
    let (r, info) = easel::checkpoint::resume(&bytes, data.to_device(&device), &device).expect("resume");
    assert_eq!((info.step, r.step), (2, 2));
    let again = read(r.samples().flatten(0, 3)).await;
    let max_diff = samples.iter().zip(&again).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(max_diff < 1e-4, "resumed samples differ by {max_diff}");
}

/// Instant style on WebGPU: the hand-written networks (depthwise and strided convolutions,
/// reflection padding, conditional instance norm, upsampling) against onnxruntime's outputs on
/// the converter's fixed inputs, as the native test checks them on the CPU. A kernel that
/// WebGPU refused would be skipped silently (cubecl#1641) and show here as wrong numbers.
#[wasm_bindgen_test]
async fn webgpu_instant_style_matches_the_reference() {
    use easel::instant::{InstantStyle, reference_input};
    let device = webgpu().await;
    let net = InstantStyle::from_safetensors(include_bytes!("../www/models/instant-style.safetensors").to_vec(), &device).unwrap();
    let reference: serde_json::Value = serde_json::from_str(include_str!("data/instant_reference.json")).unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f32> { v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect() };
    let max_diff = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    let vector = read(net.predictor.forward(reference_input(64, 64, 0, &device)).reshape([100])).await;
    let want = floats(&reference["style_vector"]);
    assert!(max_diff(&vector, &want) < 1e-3, "style vector differs by {}", max_diff(&vector, &want));
    let style = Tensor::<1>::from_floats(want.as_slice(), &device).reshape([1, 100]);
    let image = read(net.transformer.forward(reference_input(32, 32, 5, &device), style).flatten(0, 3)).await;
    let want = floats(&reference["image"]);
    assert_eq!(image.len(), want.len());
    assert!(max_diff(&image, &want) < 1e-3, "stylised image differs by {}", max_diff(&image, &want));
}

/// The page's WebGPU self-check on this browser's WebGPU: two training steps of both 28x28
/// models agree with the CPU path (Burn's flex, in the same wasm) from the same weights and
/// inputs; with one generated pixel corrupted, as a skipped shader would leave it, it fails.
/// With tests/training.rs (the CPU path trains as it did before Adam was packed), this is the
/// fixed-seed equality of training on WebGPU.
#[wasm_bindgen_test]
async fn webgpu_passes_the_self_check_and_catches_a_corrupted_result() {
    let device = webgpu().await;
    let report = easel::gpu::self_check(&device, false).await.expect("runs");
    assert!(report.passed, "{}", report.details());
    let corrupted = easel::gpu::self_check(&device, true).await.expect("runs");
    assert!(!corrupted.passed, "{}", corrupted.details());
    assert_eq!(corrupted.telling().what, "tiny DCGAN, step 1: generated images", "{}", corrupted.details());
}
