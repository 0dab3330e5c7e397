//! Native training tests on Burn's CPU backend (flex), using the same code as the page.

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use easel::data::Dataset;
use easel::model::ModelKind;
use easel::settings::{GanConfig, GanSetup};
use easel::settings::GanLive;
use easel::adam::named_tensors;
use easel::model::Generator;
use easel::train::{EXPLODED_LOSS, KEEP_EVERY, StepStats, Trainer};
use futures_lite::future::block_on;

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
    for model in [ModelKind::Dcgan, ModelKind::Tiny, ModelKind::Dense] {
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

/// A generator's weights, flattened (not BatchNorm's running statistics: every forward pass in
/// training mode moves them, the samples' too, and none of its outputs depends on them).
fn weights(g: &Generator) -> Vec<f32> {
    let weights = named_tensors(g).into_iter().filter(|(path, ..)| !path.contains("running_"));
    weights.flat_map(|(_, _, t)| t.into_data().try_to_vec::<f32>().unwrap()).collect()
}

/// With averaging on, the samples shown come from G's weights averaged step by step (each step
/// moves every averaged weight 1/N of the way to G's new one, from G's after the first step),
/// and training still steps G; with it off, they come from G.
#[test]
fn the_samples_shown_come_from_gs_weights_averaged_over_its_last_steps() {
    let device = Device::flex();
    let mut cfg = config(ModelKind::Tiny, 4);
    // A large step, so that a wrong average is far from the right one.
    (cfg.live.average, cfg.live.lr_g) = (4, 1e-2);
    let mut t = Trainer::new(cfg, &bars(), &device);
    t.train_step();
    let mut want = weights(&t.g);
    assert_eq!(weights(t.shown()), want, "the average starts from G");
    for _ in 0..3 {
        t.train_step();
        for (w, g) in want.iter_mut().zip(weights(&t.g)) {
            *w += (g - *w) / 4.0;
        }
        let got = weights(t.shown());
        let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 1e-6, "the average is off by {worst}");
    }
    assert_ne!(weights(t.shown()), weights(&t.g), "after 4 steps the average is not G");
    let fixed = || Tensor::<2>::from_data(burn::tensor::TensorData::new(t.fixed.clone(), [64, t.config.setup.latent]), t.device());
    let from_g = t.g.forward(fixed()).inner().into_data().try_to_vec::<f32>().unwrap();
    let from_average = t.shown().forward(fixed()).inner().into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(t.samples().into_data().try_to_vec::<f32>().unwrap(), from_average);
    assert_ne!(from_average, from_g);
    // Off: the samples are G's at once.
    t.set_live(GanLive { average: 0, ..t.config.live.clone() });
    assert_eq!(t.samples().into_data().try_to_vec::<f32>().unwrap(), from_g);
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

fn samples(t: &Trainer) -> Vec<f32> {
    t.samples().into_data().try_to_vec::<f32>().unwrap()
}

/// A NaN in the weights (forced: a NaN learning rate) stops the run at the step that shows it;
/// the steps before it are kept, nothing trains until "go back", which restores the state kept
/// at the last multiple of KEEP_EVERY, and training goes on from there.
#[test]
fn a_nan_stops_the_run_and_going_back_restores_the_kept_state() {
    let device = Device::flex();
    let mut t = Trainer::new(config(ModelKind::Tiny, 8), &bars(), &device);
    assert_eq!(t.kept_step(), 0);
    while t.step < KEEP_EVERY {
        assert!(block_on(t.run_chunk(50)).unwrap().iter().all(StepStats::is_finite));
    }
    let at_kept = samples(&t);
    // The state of step KEEP_EVERY is kept once the next chunk's steps show it finite.
    block_on(t.run_chunk(5)).unwrap();
    assert_eq!((t.step, t.kept_step()), (KEEP_EVERY + 5, KEEP_EVERY));
    let live = t.config.live.clone();
    t.set_live(GanLive { lr_g: f64::NAN, lr_d: f64::NAN, ..live.clone() });
    let stats = block_on(t.run_chunk(10)).unwrap();
    // D's update in the first step made its weights NaN; G's loss through D in the same step
    // shows it.
    assert!(stats.is_empty(), "{stats:?}");
    let d = t.diverged.clone().expect("diverged");
    assert_eq!((d.step, d.good_step, d.what, d.value.as_str()), (KEEP_EVERY + 6, KEEP_EVERY, "G loss", "NaN"));
    assert!(d.message().contains(&format!("diverged at step {}: the G loss became NaN", KEEP_EVERY + 6)), "{}", d.message());
    assert!(d.message().contains(&format!("Go back to step {KEEP_EVERY}")), "{}", d.message());
    assert!(samples(&t).iter().any(|v| v.is_nan()));
    // Nothing trains while diverged.
    assert!(block_on(t.run_chunk(3)).unwrap().is_empty());
    assert_eq!(t.go_back(), KEEP_EVERY);
    assert!(t.diverged.is_none());
    assert_eq!(samples(&t), at_kept, "the kept state is step {KEEP_EVERY}'s");
    // The lower learning rate set after going back is the one it trains on.
    t.set_live(live);
    let stats = block_on(t.run_chunk(5)).unwrap();
    assert_eq!((stats.len(), t.step), (5, KEEP_EVERY + 5));
    assert!(stats.iter().all(StepStats::is_finite) && t.diverged.is_none());
    assert!(samples(&t).iter().all(|v| v.is_finite()));
}

/// A learning rate of 1 on both nets does not make a NaN (the loss is computed stably) but
/// blows the weights up within a few steps: losses in the hundreds or thousands. That is caught
/// too, with the likely cause named, and going back to step 0 lets a sane rate train.
#[test]
fn learning_rate_1_is_caught_as_divergence() {
    for model in [ModelKind::Tiny, ModelKind::Dcgan] {
        let device = Device::flex();
        let mut t = Trainer::new(config(model, 8), &bars(), &device);
        let live = t.config.live.clone();
        t.set_live(GanLive { lr_g: 1.0, lr_d: 1.0, ..live.clone() });
        let stats = block_on(t.run_chunk(40)).unwrap();
        let d = t.diverged.clone().unwrap_or_else(|| panic!("{model:?} did not diverge: {stats:?}"));
        assert!(d.step <= 40 && stats.len() == d.step - 1, "{model:?}: {d:?}");
        assert!(stats.iter().all(|s| s.is_finite() && s.d_loss.abs() <= EXPLODED_LOSS && s.g_loss.abs() <= EXPLODED_LOSS));
        let m = d.message();
        assert!(m.contains("learning rate is too high (G 1, D 1") && m.contains("Go back to step 0"), "{m}");
        assert_eq!(t.go_back(), 0);
        t.set_live(live);
        let stats = block_on(t.run_chunk(10)).unwrap();
        assert_eq!(stats.len(), 10, "{model:?}");
        assert!(t.diverged.is_none(), "{model:?}: {:?}", t.diverged);
    }
}
