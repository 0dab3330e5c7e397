//! The shipped classifiers (www/models/classifier-*.safetensors, made by `easel-cli
//! classifier`) and the three quality figures they give: loaded from the files, never retrained
//! here.
//!
//! The tests take turns (`serial`): Burn's CPU device has one random stream per process, and
//! making a classifier draws from it (its initial weights), which would move another test's
//! training run.

use burn::prelude::*;
use burn::tensor::TensorData;
use easel::data::Dataset;
use easel::fields::Form;
use easel::quality::{self, CLASSES, FD_SAMPLES, Judge};
use easel::rng::Rng;
use easel::settings::GanConfig;
use easel::train::{Trainer, read_f32};
use futures_lite::future::block_on;

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn data(name: &str) -> Dataset {
    Dataset::from_gz_bytes(&std::fs::read(format!("www/data/{name}.easelds.gz")).unwrap()).unwrap()
}

fn judge(name: &str) -> Judge {
    let file = quality::classifier_file(name).unwrap();
    Judge::from_bytes(&std::fs::read(format!("www/models/{file}")).unwrap(), &Device::flex()).unwrap()
}

/// The held-out split the file says it was trained without.
fn held_out(judge: &Judge, data: &Dataset) -> Vec<usize> {
    let seed: u64 = judge.meta["seed"].parse().unwrap();
    quality::split(data.count, seed).1
}

/// `n` images from uniform noise in [-1, 1].
fn noise_images(n: usize, seed: u64) -> Tensor<4> {
    let mut rng = Rng::new(seed);
    let values: Vec<f32> = (0..n * 28 * 28).map(|_| rng.uniform() as f32 * 2.0 - 1.0).collect();
    Tensor::from_data(TensorData::new(values, [n, 1, 28, 28]), &Device::flex())
}

#[test]
fn the_shipped_classifiers_reach_their_held_out_accuracy() {
    let _turn = serial();
    for (name, target) in [("mnist", 0.98), ("fashion", 0.88)] {
        let (j, d) = (judge(name), data(name));
        let held = held_out(&j, &d);
        assert_eq!(held.len(), quality::HELD_OUT);
        let acc = block_on(quality::accuracy(&j.classifier, &d, &held, &Device::flex())).unwrap();
        assert!(acc >= target, "{name}: held-out accuracy {acc} < {target}");
        // What the file says of itself is what it does.
        let said: f64 = j.meta["held_out_accuracy"].parse().unwrap();
        assert!((said - acc).abs() < 0.002, "{name}: file says {said}, measured {acc}");
    }
}

#[test]
fn real_images_score_high_and_noise_low() {
    let _turn = serial();
    // Fashion-MNIST's classifier is 89 % accurate (shirts, T-shirts, pullovers and coats are
    // confused) and less sure of itself: its real images score lower than MNIST's.
    for (name, real_score) in [("mnist", 8.0), ("fashion", 7.0)] {
        let (j, d) = (judge(name), data(name));
        let idx: Vec<usize> = held_out(&j, &d).into_iter().take(64).collect();
        let (real, _) = quality::images(&d, &idx, &Device::flex());
        let r = block_on(j.judge(real)).unwrap();
        assert!(r.score > real_score, "{name}: 64 real images score {}", r.score);
        assert_eq!(r.classes, CLASSES, "{name}: 64 real images cover {} classes", r.classes);
        let n = block_on(j.judge(noise_images(64, 3))).unwrap();
        assert!(n.score < 2.0, "{name}: 64 noise images score {}", n.score);
        assert_eq!(r.predictions.len(), 64);
    }
}

#[test]
fn one_image_copied_64_times_covers_one_class() {
    let _turn = serial();
    let (j, d) = (judge("mnist"), data("mnist"));
    let i = held_out(&j, &d)[0];
    let (copies, labels) = quality::images(&d, &vec![i; 64], &Device::flex());
    let r = block_on(j.judge(copies)).unwrap();
    assert_eq!(r.classes, 1);
    assert!(r.score < 1.0 + 1e-3, "64 copies score {}", r.score);
    assert_eq!(r.predictions[0].0, labels[0], "the copies are read as their label");
}

#[test]
fn real_images_are_close_to_the_real_statistics_and_noise_is_far() {
    let _turn = serial();
    let (j, d) = (judge("mnist"), data("mnist"));
    let idx: Vec<usize> = held_out(&j, &d).into_iter().chain(0..).take(FD_SAMPLES).collect();
    let (real, _) = quality::images(&d, &idx, &Device::flex());
    let fd_real = block_on(j.frechet(real)).unwrap();
    let fd_noise = block_on(j.frechet(noise_images(FD_SAMPLES, 5))).unwrap();
    assert!(fd_real * 20.0 < fd_noise, "FD real {fd_real}, noise {fd_noise}");
    // The shipped statistics are those of the classifier's own features of the whole set.
    let again = block_on(quality::real_stats(&j.classifier, &d, &Device::flex())).unwrap();
    assert!(quality::frechet_distance(&again, &j.real) < 1e-2 * fd_real.max(1e-3) + 1e-3);
}

#[test]
fn a_classifier_file_round_trips_and_bad_files_are_refused() {
    let _turn = serial();
    let j = judge("mnist");
    let bytes = block_on(Judge::to_bytes(&j.classifier, &j.real, j.meta.clone())).unwrap();
    let back = Judge::from_bytes(&bytes, &Device::flex()).unwrap();
    let x = noise_images(4, 9);
    let a = block_on(read_f32(j.classifier.features(x.clone()).flatten(0, 1))).unwrap();
    let b = block_on(read_f32(back.classifier.features(x).flatten(0, 1))).unwrap();
    assert_eq!(a, b);
    assert_eq!(back.real, j.real);
    let err = Judge::from_bytes(b"not a classifier", &Device::flex()).unwrap_err();
    assert!(err.contains("classifier file is not valid"), "{err}");
}

#[test]
fn measuring_quality_does_not_change_the_training() {
    let _turn = serial();
    let d = data("mnist");
    let form: Form = [("batch_size", "8"), ("seed", "3")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    let config = GanConfig::parse(&form, None).unwrap();
    let j = judge("mnist");
    let run = |measure: bool| {
        let mut t = Trainer::new(config.clone(), &d, &Device::flex());
        block_on(t.run_chunk(2)).unwrap();
        if measure {
            let (q, judged) = block_on(j.measure(&t, true)).unwrap();
            assert_eq!(q.step, 2);
            assert!(q.fd.unwrap().is_finite() && (1.0..=10.0).contains(&q.score));
            assert_eq!(judged.predictions.len(), 64);
        }
        block_on(t.run_chunk(2)).unwrap();
        block_on(read_f32(t.samples().flatten(0, 3))).unwrap()
    };
    assert_eq!(run(false), run(true));
}
