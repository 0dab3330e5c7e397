//! Native training tests on Burn's CPU backend (flex), using the same code as the page.

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use easel::data::Dataset;
use easel::model::ModelKind;
use easel::settings::{GanConfig, GanSetup};
use easel::train::{StepStats, Trainer};

/// All float parameters of a module, flattened.
fn params<M: Module>(m: &M) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            // Trainable parameters only: BatchNorm's running statistics are buffers.
            if !p.val().is_require_grad() {
                return;
            }
            self.0.extend(p.val().into_data().try_to_vec::<f32>().unwrap());
        }
    }
    let mut c = Collect(Vec::new());
    m.visit(&mut c);
    c.0
}

/// An easy data set: 64 images of two kinds, a bright horizontal bar or a vertical bar.
fn bars() -> Dataset {
    let n = 64;
    let mut pixels = vec![0u8; n * 784];
    for i in 0..n {
        for y in 0..28 {
            for x in 0..28 {
                let on = if i % 2 == 0 { (11..17).contains(&y) && (4..24).contains(&x) } else { (11..17).contains(&x) && (4..24).contains(&y) };
                if on {
                    pixels[i * 784 + y * 28 + x] = 255;
                }
            }
        }
    }
    Dataset { count: n, channels: 1, height: 28, width: 28, classes: 2, labels: (0..n).map(|i| (i % 2) as u8).collect(), pixels }
}

fn config(model: ModelKind, batch: usize) -> GanConfig {
    GanConfig { setup: GanSetup { model, batch_size: batch, ..GanSetup::default() }, ..GanConfig::default() }
}

#[test]
fn each_step_changes_only_the_net_it_trains() {
    for model in [ModelKind::Dcgan, ModelKind::Dense] {
        let device = Device::flex();
        let mut t = Trainer::new(config(model, 4), &bars(), &device);
        let (g0, d0) = (params(&t.g), params(&t.d));
        let real = t.real_batch();
        let fake = t.generate(4);
        t.d_step(real, fake.clone().detach());
        let (g1, d1) = (params(&t.g), params(&t.d));
        assert!(g0 == g1, "{model:?}: D's step changed G");
        assert!(d0 != d1, "{model:?}: D's step left D unchanged");
        t.g_step(fake);
        let (g2, d2) = (params(&t.g), params(&t.d));
        assert!(g1 != g2, "{model:?}: G's step left G unchanged");
        assert!(d1 == d2, "{model:?}: G's step changed D");
    }
}

#[test]
fn dcgan_steps_give_finite_losses_and_samples() {
    let device = Device::flex();
    let mut t = Trainer::new(config(ModelKind::Dcgan, 8), &bars(), &device);
    for _ in 0..3 {
        t.train_step();
    }
    let stats = StepStats::split(&t.take_stats().unwrap().into_data().try_to_vec::<f32>().unwrap());
    assert_eq!(stats.len(), 3);
    for s in &stats {
        assert!(s.is_finite(), "{s:?}");
        assert!(s.d_loss > 0.0 && s.g_loss > 0.0);
        assert!((0.0..=1.0).contains(&s.d_real) && (0.0..=1.0).contains(&s.d_fake));
    }
    assert!(t.take_stats().is_none(), "stats are taken once");
    let samples = t.samples();
    assert_eq!(samples.dims(), [64, 1, 28, 28]);
    let v = samples.into_data().try_to_vec::<f32>().unwrap();
    assert!(v.iter().all(|x| x.is_finite() && x.abs() <= 1.0));
}

/// Mean over generated images of the squared distance to the nearest real image.
fn distance_to_data(samples: &[f32], data: &Dataset) -> f32 {
    let reals: Vec<Vec<f32>> = (0..2).map(|i| data.image_f32(i)).collect();
    let n = samples.len() / 784;
    (0..n)
        .map(|i| {
            let s = &samples[i * 784..(i + 1) * 784];
            reals
                .iter()
                .map(|r| r.iter().zip(s).map(|(a, b)| (a - b).powi(2)).sum::<f32>() / 784.0)
                .fold(f32::MAX, f32::min)
        })
        .sum::<f32>()
        / n as f32
}

#[test]
fn training_moves_d_and_g_the_way_they_must() {
    let device = Device::flex();
    let data = bars();
    let mut t = Trainer::new(config(ModelKind::Dense, 32), &data, &device);
    let before = distance_to_data(&t.samples().into_data().try_to_vec::<f32>().unwrap(), &data);
    let mut stats = Vec::new();
    for _ in 0..300 {
        t.train_step();
        if t.step % 50 == 0 {
            stats.extend(StepStats::split(&t.take_stats().unwrap().into_data().try_to_vec::<f32>().unwrap()));
        }
    }
    let after = distance_to_data(&t.samples().into_data().try_to_vec::<f32>().unwrap(), &data);
    let mean = |r: std::ops::Range<usize>, k: fn(&StepStats) -> f32| stats[r.clone()].iter().map(k).sum::<f32>() / r.len() as f32;
    let (dx_early, dgz_early) = (mean(0..20, |s| s.d_real), mean(0..20, |s| s.d_fake));
    let dgz_min = stats.iter().map(|s| s.d_fake).fold(f32::MAX, f32::min);
    let dgz_late = mean(250..300, |s| s.d_fake);
    eprintln!("D(x) early {dx_early:.3}, D(G(z)) early {dgz_early:.3}, min {dgz_min:.3}, late {dgz_late:.3}; distance {before:.3} -> {after:.3}");
    assert!(stats.iter().all(StepStats::is_finite));
    // D learns first: it tells real from generated and pushes D(G(z)) down from where it began.
    assert!(dx_early > 0.5 && dx_early > dgz_early + 0.1, "D did not learn: D(x) {dx_early}, D(G(z)) {dgz_early}");
    assert!(dgz_min < 0.5 && dgz_min < stats[0].d_fake - 0.05, "D(G(z)) never fell: start {}, min {dgz_min}", stats[0].d_fake);
    // Then G catches up: D(G(z)) climbs back from its low, and samples approach the data.
    assert!(dgz_late > dgz_min + 0.05, "G never fooled D more: min {dgz_min}, late {dgz_late}");
    assert!(after < before * 0.5, "samples did not approach the data: {before} -> {after}");
}
