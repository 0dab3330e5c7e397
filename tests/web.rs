//! Browser test (wasm-bindgen-test in a dedicated worker, as the page runs it): initialise
//! WebGPU the way the page does and train the lesson's DCGAN for a few steps on real MNIST.
//! Run by scripts/test.sh: `cargo test --release --target wasm32-unknown-unknown --test web`.
#![cfg(target_arch = "wasm32")]

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use easel::data::Dataset;
use easel::model::ModelKind;
use easel::train::{GanConfig, Trainer, split_stats};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

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
    let device = Device::wgpu_options()
        .init_async()
        .await
        .expect("no WebGPU adapter: start Chromium with --enable-unsafe-webgpu");
    let data = Dataset::from_gz_bytes(include_bytes!("../www/data/mnist.easelds.gz")).unwrap();
    let config = GanConfig { model: ModelKind::Dcgan, batch_size: 8, ..GanConfig::default() };
    let mut t = Trainer::new(config, &data, &device);
    let g0 = params(&t.g).await;
    let d0 = params(&t.d).await;

    for _ in 0..4 {
        t.train_step();
    }
    let stats = split_stats(&read(t.take_stats().unwrap()).await);
    assert_eq!(stats.len(), 4);
    for s in &stats {
        assert!(s.iter().all(|v| v.is_finite()), "non-finite statistics {s:?}");
        assert!(s[0] > 0.0 && s[1] > 0.0, "losses must be positive: {s:?}");
        assert!((0.0..=1.0).contains(&s[2]) && (0.0..=1.0).contains(&s[3]), "{s:?}");
    }
    // D sees real digits and its own generator's output: after a few steps it tells them apart.
    assert!(stats[3][2] > stats[3][3], "D(x) should exceed D(G(z)) early on: {stats:?}");

    assert!(g0 != params(&t.g).await, "G did not change");
    assert!(d0 != params(&t.d).await, "D did not change");

    let samples = read(t.samples().flatten(0, 3)).await;
    assert_eq!(samples.len(), 64 * 784);
    assert!(samples.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
    let mean = samples.iter().sum::<f32>() / samples.len() as f32;
    let var = samples.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / samples.len() as f32;
    assert!(var > 1e-4, "samples are flat (variance {var})");
}
