//! Own images, the colour DCGAN, the lesson's balancing tricks, the mode-collapse meter,
//! latent exploration and checkpoints — natively on Burn's CPU backend (flex), same code as
//! the page.

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use easel::checkpoint::{read_info, resume};
use easel::data::Dataset;
use easel::images::{ImageSet, center_square, diversity, prepare};
use easel::model::{CODES, ModelKind, code_of};
use easel::photo::{Rgb, encode_png};
use easel::fields::Form;
use easel::settings::{DataFit, GanConfig, GanLive, GanSetup, Loss};
use easel::train::Trainer;
use futures_lite::future::block_on;

fn params<M: Module>(m: &M) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            if p.val().is_require_grad() {
                self.0.extend(p.val().into_data().try_to_vec::<f32>().unwrap());
            }
        }
    }
    let mut c = Collect(Vec::new());
    m.visit(&mut c);
    c.0
}

fn values(t: Tensor<4>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn own_folder() -> ImageSet {
    let mut set = ImageSet::new(32).unwrap();
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in ["tests/data/own", "tests/data/own/more"] {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.path().is_file() {
                files.push(e.path());
            }
        }
    }
    files.sort();
    for f in files {
        let _ = set.add(&f.file_name().unwrap().to_string_lossy(), &std::fs::read(&f).unwrap());
    }
    set
}

/// Colour 32 px images: a left half in one colour, a right half in another (asymmetric, so
/// a mirrored image is told apart from the original).
fn halves(n: usize) -> Dataset {
    let size = 32;
    let mut pixels = Vec::new();
    for i in 0..n {
        for c in 0..3 {
            for _y in 0..size {
                for x in 0..size {
                    let left = x < size / 2;
                    pixels.push(if left { (i * 37 + c * 80) as u8 } else { 255 - (i * 11 + c * 50) as u8 });
                }
            }
        }
    }
    Dataset { count: n, channels: 3, height: size, width: size, classes: 0, labels: vec![0; n], pixels }
}

/// Grey 28 px images: a bright square at one of `n` places.
fn squares(n: usize) -> Dataset {
    let side = 28;
    let mut pixels = vec![0u8; n * side * side];
    for (i, image) in pixels.chunks_exact_mut(side * side).enumerate() {
        let (x0, y0) = (2 + (i * 5) % 18, 2 + (i * 7) % 18);
        for y in y0..y0 + 8 {
            image[y * side + x0..y * side + x0 + 8].fill(255);
        }
    }
    Dataset { count: n, channels: 1, height: side, width: side, classes: 0, labels: vec![0; n], pixels }
}

fn config(model: ModelKind, batch: usize) -> GanConfig {
    GanConfig { setup: GanSetup { model, batch_size: batch, latent: 16, ..GanSetup::default() }, ..GanConfig::default() }
}

fn form(pairs: &[(&str, &str)]) -> Form {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn photos_are_centre_cropped_and_resized() {
    // 90 x 30: a red third, a green third, a blue third -> the centre square is all green.
    let mut px = Vec::new();
    for _y in 0..30 {
        for x in 0..90 {
            px.extend_from_slice(match x / 30 {
                0 => &[255, 0, 0],
                1 => &[0, 255, 0],
                _ => &[0, 0, 255],
            });
        }
    }
    let wide = Rgb { width: 90, height: 30, pixels: px };
    let sq = center_square(&wide, 32);
    assert_eq!((sq.width, sq.height, sq.pixels.len()), (32, 32, 32 * 32 * 3));
    for p in sq.pixels.chunks_exact(3) {
        assert!(p[0] < 20 && p[1] > 235 && p[2] < 20, "{p:?}");
    }
    // Tall: top white, bottom black, 20 x 100 -> the middle 20 rows; prepared planar (CHW).
    let mut px = Vec::new();
    for y in 0..100 {
        px.extend(std::iter::repeat_n(if y < 50 { 255u8 } else { 0 }, 20 * 3));
    }
    let tall = encode_png(&Rgb { width: 20, height: 100, pixels: px });
    let out = prepare(&tall, 64).unwrap();
    assert_eq!(out.len(), 3 * 64 * 64);
    let plane = 64 * 64;
    for c in 0..3 {
        assert!(out[c * plane + 2 * 64 + 10] > 230, "top of the square is white");
        assert!(out[c * plane + 61 * 64 + 10] < 25, "bottom of the square is black");
    }
}

#[test]
fn a_folder_becomes_a_data_set_and_bad_files_are_reported() {
    let set = own_folder();
    assert_eq!(set.len(), 40, "every sunset is taken");
    let mut skipped: Vec<(String, String)> = set.skipped.clone();
    skipped.sort();
    let names: Vec<&str> = skipped.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, vec!["broken.png", "empty.jpg", "huge.png", "notes.txt"]);
    let why = |n: &str| skipped.iter().find(|s| s.0 == n).unwrap().1.clone();
    assert!(why("notes.txt").contains("not an image"), "{}", why("notes.txt"));
    assert!(why("huge.png").contains("too large") || why("huge.png").contains("limit"), "{}", why("huge.png"));
    assert!(why("broken.png").contains("corrupt or truncated"), "{}", why("broken.png"));
    assert!(why("empty.jpg").contains("empty"), "{}", why("empty.jpg"));
    let d = set.to_dataset().unwrap();
    assert_eq!((d.count, d.channels, d.height, d.width), (40, 3, 32, 32));
    assert!(ImageSet::new(48).is_err());
    let mut one = ImageSet::new(32).unwrap();
    one.add("a.png", &std::fs::read("tests/data/own/sunset001.png").unwrap()).unwrap();
    // A JPEG cut off half-way (it would decode with grey rows) is refused, not taken.
    let cut = one.add("cut.jpg", &std::fs::read("tests/data/images/truncated.jpg").unwrap()).unwrap_err();
    assert!(cut.to_string().contains("JPEG file is truncated"), "{cut}");
    assert!(one.to_dataset().unwrap_err().contains("at least 2"));
}

#[test]
fn diversity_is_zero_for_identical_images_and_grows_with_difference() {
    let img: Vec<f32> = (0..48).map(|i| (i as f32 / 24.0) - 1.0).collect();
    let same: Vec<f32> = img.iter().cycle().take(48 * 5).cloned().collect();
    assert_eq!(diversity(&same, 5), 0.0);
    let two: Vec<f32> = [vec![-1.0; 48], vec![1.0; 48]].concat();
    assert!((diversity(&two, 2) - 2.0).abs() < 1e-6);
    let mut rng = easel::rng::Rng::new(3);
    let noisy: Vec<f32> = same.iter().map(|v| v + 0.1 * rng.normal()).collect();
    let d = diversity(&noisy, 5);
    assert!(d > 0.1 && d < 0.2, "{d}");
    // Real data: the sunsets differ from one another.
    let real = own_folder().to_dataset().unwrap().diversity_sample(64);
    assert!(real > 0.2, "{real}");
}

#[test]
fn colour_dcgan_trains_on_own_images() {
    let device = Device::flex();
    let data = own_folder().to_dataset().unwrap();
    let input = form(&[("model", "dcgan32"), ("batch_size", "8"), ("latent", "16"), ("flip", "true")]);
    let fit = Some(DataFit { shape: [3, 32, 32], count: data.count });
    let config = GanConfig::parse(&input, fit).unwrap();
    assert!(config.live.flip);
    let mut t = Trainer::new(config, &data, &device);
    let stats = block_on(t.run_chunk(3)).unwrap();
    assert_eq!(stats.len(), 3);
    assert!(stats.iter().all(|s| s.is_finite()), "{stats:?}");
    let s = values(t.samples());
    assert_eq!(s.len(), 64 * 3 * 32 * 32);
    // The wrong model for the data is refused with a message.
    let mut wrong = input.clone();
    wrong.insert("model".into(), "dcgan".into());
    let errs = GanConfig::parse(&wrong, fit).unwrap_err();
    assert_eq!(errs[0].field, "model");
    assert!(errs[0].message.contains("1x28x28"), "{}", errs[0].message);
}

#[test]
fn skipping_leaves_d_unchanged_and_counts_the_skip() {
    let device = Device::flex();
    let mut c = config(ModelKind::Dcgan32, 4);
    c.live.skip_d_below = 0.5;
    let mut t = Trainer::new(c, &halves(16), &device);
    assert!(t.needs_feedback());
    // No loss known yet: D trains.
    let d0 = params(&t.d);
    let s = block_on(t.run_chunk(1)).unwrap();
    assert_eq!(s[0].d_skipped, 0.0);
    assert_eq!(t.last_d_loss, Some(s[0].d_loss), "the chunk tells the skip trick D's last loss");
    let (g1, d1) = (params(&t.g), params(&t.d));
    assert!(d0 != d1);
    // D's loss below the threshold: D is skipped, G still learns.
    t.last_d_loss = Some(0.1);
    let s = block_on(t.run_chunk(1)).unwrap();
    assert_eq!(s[0].d_skipped, 1.0, "the skip is counted");
    assert!(params(&t.d) == d1, "a skipped step changed D");
    assert!(params(&t.g) != g1, "G did not learn in a skipped step");
    assert_eq!(t.opt_d.t, 1);
    // Above it: D trains again.
    t.last_d_loss = Some(0.9);
    t.train_step();
    assert!(params(&t.d) != d1);
}

#[test]
fn k_d_steps_per_g_step() {
    let device = Device::flex();
    let mut c = config(ModelKind::Dcgan32, 4);
    c.live.d_steps = 3;
    let mut t = Trainer::new(c, &halves(16), &device);
    t.train_step();
    assert_eq!((t.opt_d.t, t.opt_g.t), (3, 1));
    t.train_step();
    assert_eq!((t.opt_d.t, t.opt_g.t), (6, 2));
}

#[test]
fn label_smoothing_and_lsgan_change_d_step() {
    let device = Device::flex();
    let data = halves(16);
    // Same seed -> same initial nets and batches; only the real label or the loss differs.
    let run = |real_label: f64, loss: Loss| {
        let mut c = config(ModelKind::Dcgan32, 8);
        c.live.real_label = real_label;
        c.setup.loss = loss;
        let mut t = Trainer::new(c, &data, &device);
        let real = t.real_batch();
        let fake = t.generate(8).detach();
        let out = |x: &Tensor<4>| t.d.forward(x.clone()).inner().into_data().try_to_vec::<f32>().unwrap();
        let (r, f) = (out(&real), out(&fake));
        let (loss, _, _) = t.d_step(real, fake);
        (loss.into_data().try_to_vec::<f32>().unwrap()[0], r, f, params(&t.d))
    };
    let mean = |v: Vec<f32>| v.iter().sum::<f32>() / v.len() as f32;
    let log_sig = |x: f32| -(1.0 + (-x).exp()).ln();
    let bce = |r: &[f32], f: &[f32], y: f32| {
        mean(r.iter().map(|&x| -(y * log_sig(x) + (1.0 - y) * log_sig(-x))).collect())
            + mean(f.iter().map(|&x| -log_sig(-x)).collect())
    };
    let (l_plain, r, f, d_plain) = run(1.0, Loss::Bce);
    assert!((l_plain - bce(&r, &f, 1.0)).abs() < 1e-4, "{l_plain} vs {}", bce(&r, &f, 1.0));
    let (l_smooth, r, f, d_smooth) = run(0.9, Loss::Bce);
    assert!((l_smooth - bce(&r, &f, 0.9)).abs() < 1e-4, "smoothed BCE {l_smooth} vs {}", bce(&r, &f, 0.9));
    assert!(d_plain != d_smooth, "the real label did not change D's step");
    // LSGAN: 0.5 mean (D(x) - 1)^2 + 0.5 mean D(G(z))^2 on D's raw output.
    let (l_ls, r, f, d_ls) = run(1.0, Loss::Lsgan);
    let want = 0.5 * mean(r.iter().map(|x| (x - 1.0).powi(2)).collect()) + 0.5 * mean(f.iter().map(|x| x * x).collect());
    assert!((l_ls - want).abs() < 1e-4, "LSGAN D loss {l_ls} vs {want}");
    assert!(d_ls != d_plain);
    let (l_ls9, r, f, _) = run(0.9, Loss::Lsgan);
    let want = 0.5 * mean(r.iter().map(|x| (x - 0.9).powi(2)).collect()) + 0.5 * mean(f.iter().map(|x| x * x).collect());
    assert!((l_ls9 - want).abs() < 1e-4, "smoothed LSGAN {l_ls9} vs {want}");
}

#[test]
fn flip_mirrors_about_half_the_real_images() {
    let device = Device::flex();
    let data = halves(16);
    let mirrored_count = |flip: bool| {
        let mut c = config(ModelKind::Dcgan32, 8);
        c.live.flip = flip;
        let mut t = Trainer::new(c, &data, &device);
        let mut mirrored = 0;
        for _ in 0..4 {
            let batch = values(t.real_batch().inner());
            for img in batch.chunks_exact(3 * 32 * 32) {
                // Each image is one of the data set's, as it is or mirrored.
                let left = img[0];
                let right = img[31];
                let found = (0..16).find_map(|i| {
                    let o = data.image_f32(i);
                    if (o[0] - left).abs() < 1e-5 && (o[31] - right).abs() < 1e-5 {
                        Some(false)
                    } else if (o[31] - left).abs() < 1e-5 && (o[0] - right).abs() < 1e-5 {
                        Some(true)
                    } else {
                        None
                    }
                });
                mirrored += found.expect("a batch image is neither a data image nor its mirror") as usize;
            }
        }
        mirrored
    };
    assert_eq!(mirrored_count(false), 0);
    let m = mirrored_count(true);
    assert!((6..=26).contains(&m), "{m} of 32 mirrored");
}

#[test]
fn interpolation_runs_between_two_grid_samples_and_resample_changes_one() {
    let device = Device::flex();
    let mut t = Trainer::new(config(ModelKind::Dcgan32, 4), &halves(16), &device);
    for _ in 0..2 {
        t.train_step();
    }
    let grid = values(t.samples());
    let n = 3 * 32 * 32;
    let tile = |v: &[f32], i: usize| v[i * n..(i + 1) * n].to_vec();
    let dist = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f32>();
    let path = values(t.interpolate(3, 40, 8));
    assert_eq!(path.len(), 8 * n);
    let (a, b) = (tile(&grid, 3), tile(&grid, 40));
    let (first, last) = (tile(&path, 0), tile(&path, 7));
    assert!(dist(&first, &a) < 0.1 * dist(&first, &b), "the path starts at sample 3");
    assert!(dist(&last, &b) < 0.1 * dist(&last, &a), "the path ends at sample 40");
    // Resampling sample 5 changes it far more than any other.
    t.resample(5);
    let after = values(t.samples());
    let change: Vec<f32> = (0..64).map(|i| dist(&tile(&grid, i), &tile(&after, i))).collect();
    let others = change.iter().enumerate().filter(|(i, _)| *i != 5).map(|(_, c)| *c).fold(0.0, f32::max);
    assert!(change[5] > 10.0 * others, "resampled {} vs others {others}", change[5]);
}

#[test]
fn checkpoint_round_trip_gives_identical_outputs() {
    let device = Device::flex();
    let data = halves(16);
    let mut c = config(ModelKind::Dcgan32, 4);
    c.live.real_label = 0.9;
    c.setup.loss = Loss::Lsgan;
    let mut t = Trainer::new(c, &data, &device);
    for _ in 0..3 {
        t.train_step();
    }
    t.resample(2);
    let (layout, vals) = t.checkpoint_values();
    let bytes = t.checkpoint_bytes(&layout, &vals.into_data().try_to_vec::<f32>().unwrap(), "halves");
    // It is a safetensors file with named weights and moments.
    let names: Vec<&str> = layout.iter().map(|(n, _)| n.as_str()).collect();
    for want in ["generator.first.weight", "generator.ups.0.weight", "generator.first_bn.running_mean", "discriminator.out.weight", "optimizer.generator.first.weight.exp_avg", "optimizer.discriminator.first.weight.exp_avg_sq"] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let info = read_info(&bytes).unwrap();
    assert_eq!((info.step, info.shape, info.data.as_str()), (3, [3, 32, 32], "halves"));
    assert_eq!(info.config, t.config);
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let settings: serde_json::Value = serde_json::from_str(&header.metadata().as_ref().unwrap()["settings"]).unwrap();
    assert_eq!((&settings["setup"]["loss"], &settings["live"]["real_label"], &settings["setup"]["model"]), (&"lsgan".into(), &0.9.into(), &"dcgan32".into()));

    let (r, _) = resume(&bytes, data.to_device(&device), &device).unwrap();
    assert_eq!(r.step, 3);
    assert_eq!(r.config, t.config);
    assert_eq!((r.opt_g.t, r.opt_d.t), (t.opt_g.t, t.opt_d.t));
    assert_eq!(values(r.samples()), values(t.samples()), "samples differ after the round trip");
    let probe = t.real_batch().inner();
    let out = |d: &easel::model::Discriminator| d.forward(probe.clone().autodiff()).inner().into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(out(&r.d), out(&t.d));
    let (moments, resumed) = (t.opt_g.moments(), r.opt_g.moments());
    assert!(!moments.is_empty());
    assert_eq!(moments.len(), resumed.len());
    for ((path, m, v), (rpath, rm, rv)) in moments.iter().zip(&resumed) {
        assert_eq!(path, rpath);
        assert_eq!(m.clone().into_data().try_to_vec::<f32>().unwrap(), rm.clone().into_data().try_to_vec::<f32>().unwrap());
        assert_eq!(v.clone().into_data().try_to_vec::<f32>().unwrap(), rv.clone().into_data().try_to_vec::<f32>().unwrap());
    }
    // The same step from both gives the same G (same batch, same noise).
    let (mut t2, mut r2) = (t, r);
    let z = Tensor::<2>::random([4, 16], burn::tensor::Distribution::Normal(0.0, 1.0), t2.device());
    let fake_t = t2.g.forward(z.clone());
    let fake_r = r2.g.forward(z);
    t2.g_step(fake_t);
    r2.g_step(fake_r);
    assert_eq!(params(&t2.g), params(&r2.g), "one more step diverged after resuming");
}

#[test]
fn bad_and_mismatched_checkpoints_are_refused_with_a_reason() {
    let device = Device::flex();
    let data = halves(16);
    let mut t = Trainer::new(config(ModelKind::Dcgan32, 4), &data, &device);
    t.train_step();
    let (layout, vals) = t.checkpoint_values();
    let bytes = t.checkpoint_bytes(&layout, &vals.into_data().try_to_vec::<f32>().unwrap(), "halves");
    let err = |b: &[u8], d: Dataset| resume(b, d.to_device(&device), &device).err().expect("accepted a bad checkpoint");
    assert!(err(b"hello", data.clone()).contains("not an Easel GAN checkpoint"));
    assert!(err(&std::fs::read("tests/data/own/sunset001.png").unwrap(), data.clone()).contains("not an Easel GAN checkpoint"));
    // Weights of something else (the shipped VGG16 is safetensors too).
    let vgg = std::fs::read("www/models/vgg16.safetensors").unwrap();
    assert!(err(&vgg, data.clone()).contains("without Easel's metadata"));
    // Trained on 3x32x32, offered MNIST-shaped data.
    let grey = Dataset { count: 8, channels: 1, height: 28, width: 28, classes: 0, labels: vec![0; 8], pixels: vec![0; 8 * 784] };
    let e = err(&bytes, grey);
    assert!(e.contains("3x32x32") && e.contains("1x28x28"), "{e}");
    // Truncated.
    assert!(err(&bytes[..bytes.len() / 2], data.clone()).contains("damaged"));
    // A model whose tensors do not fit (edited metadata: same shape, other model).
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta = header.metadata().clone().unwrap();
    let mut settings: GanConfig = serde_json::from_str(&meta["settings"]).unwrap();
    settings.setup.model = ModelKind::Dense;
    meta.insert("settings".into(), serde_json::to_string(&settings).unwrap());
    let edited = safetensors::serialize(st.tensors(), Some(meta)).unwrap();
    assert!(err(&edited, data).contains("does not fit"));
}

/// A checkpoint written before the "average" setting existed resumes with its model's default
/// (the tiny DCGAN's 100), not 0; one that has it keeps its own.
#[test]
fn a_checkpoint_without_a_later_setting_takes_the_models_default() {
    let device = Device::flex();
    let mut t = Trainer::new(GanConfig { live: GanLive { average: 7, ..GanLive::for_model(ModelKind::Tiny) }, ..config(ModelKind::Tiny, 4) }, &squares(8), &device);
    t.train_step();
    let (layout, vals) = t.checkpoint_values();
    let bytes = t.checkpoint_bytes(&layout, &vals.into_data().try_to_vec::<f32>().unwrap(), "squares");
    assert_eq!(read_info(&bytes).unwrap().config.live.average, 7);
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta = header.metadata().clone().unwrap();
    let mut settings: serde_json::Value = serde_json::from_str(&meta["settings"]).unwrap();
    settings["live"].as_object_mut().unwrap().remove("average").expect("written");
    meta.insert("settings".into(), settings.to_string());
    let older = safetensors::serialize(st.tensors(), Some(meta)).unwrap();
    let info = read_info(&older).unwrap();
    assert_eq!(info.config.live.average, ModelKind::Tiny.average());
    assert_eq!(info.config.live.lr_d, t.config.live.lr_d, "the other settings are the checkpoint's");
}

/// `tests/data/checkpoint-v1.safetensors` was written by format-1 Easel (commit acd0d4c: each
/// setting its own metadata entry): dense GAN, latent 3, on eight 1x2x2 images, 3 steps with
/// non-default settings, Adam's moments left out to keep the file small.
/// `checkpoint-v1-samples.json` holds that run's grid samples.
#[test]
fn a_format_1_checkpoint_still_resumes() {
    let bytes = std::fs::read("tests/data/checkpoint-v1.safetensors").unwrap();
    let info = read_info(&bytes).unwrap();
    assert_eq!((info.step, info.shape, info.data.as_str()), (3, [1, 2, 2], "tiny 1x2x2 (8)"));
    let want = GanConfig {
        setup: GanSetup { model: ModelKind::Dense, batch_size: 4, latent: 3, beta1: 0.6, loss: Loss::Lsgan, seed: 5 },
        live: easel::settings::GanLive { lr_g: 1e-3, lr_d: 5e-4, real_label: 0.9, d_steps: 2, skip_d_below: 0.05, flip: true, average: 0 },
    };
    assert_eq!(info.config, want);

    let mut raw = b"EASELDS1".to_vec();
    for v in [8u32, 1, 2, 2, 10] {
        raw.extend_from_slice(&v.to_le_bytes());
    }
    raw.extend((0..8u8).map(|i| i % 10));
    raw.extend((0..32u32).map(|i| (i * 37 % 256) as u8));
    let data = Dataset::from_raw(&raw).unwrap();
    let device = Device::flex();
    let (mut t, _) = resume(&bytes, data.to_device(&device), &device).unwrap();
    assert_eq!((t.step, t.config.clone(), t.opt_g.t), (3, want, 3));
    let saved: Vec<f32> = serde_json::from_str(&std::fs::read_to_string("tests/data/checkpoint-v1-samples.json").unwrap()).unwrap();
    let now = values(t.samples());
    let max = saved.iter().zip(&now).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert_eq!(saved.len(), now.len());
    assert!(max < 1e-5, "samples differ by {max} after resuming");
    // It trains on, and saves as format 2.
    let s = block_on(t.run_chunk(2)).unwrap();
    assert!(s.iter().all(|s| s.is_finite()), "{s:?}");
    let (layout, vals) = t.checkpoint_values();
    let again = t.checkpoint_bytes(&layout, &vals.into_data().try_to_vec::<f32>().unwrap(), "tiny");
    let (_, header) = safetensors::SafeTensors::read_metadata(&again).unwrap();
    assert_eq!(header.metadata().as_ref().unwrap()["version"], "2");
    assert_eq!(read_info(&again).unwrap().config, t.config);
}

/// The tiny DCGAN's categories (InfoGAN): G is given one of 10 with its noise, D's Q head learns
/// to tell from the image which, and G learns to make them tellable. Before training Q guesses
/// (about 1 in 10); after a little it names most.
#[test]
fn the_tiny_dcgans_q_learns_which_category_g_was_given() {
    let form = form(&[("model", "tiny"), ("batch_size", "32"), ("seed", "3")]);
    let mut t = Trainer::new(GanConfig::parse(&form, None).unwrap(), &squares(64), &Device::flex());
    let latent = t.config.setup.latent;
    assert_eq!(latent, 32, "the tiny DCGAN's default noise length");
    let mut rng = easel::rng::Rng::new(9);
    let noise = rng.normals(256 * latent);
    let z = Tensor::<2>::from_data(TensorData::new(noise.clone(), [256, latent]), &Device::flex());
    let codes = code_of(z, CODES).argmax(1).into_data().iter::<i64>().collect::<Vec<_>>();
    let counts = (0..CODES as i64).map(|c| codes.iter().filter(|&&x| x == c).count());
    assert!(counts.clone().all(|n| n > 10), "every category drawn: {:?}", counts.collect::<Vec<_>>());
    let accuracy = |t: &Trainer| {
        let images = t.generate_from(noise.clone()).autodiff();
        let (_, q) = t.d.forward_with_codes(images);
        let named = q.expect("the tiny DCGAN has a Q head").inner().argmax(1).into_data().iter::<i64>().collect::<Vec<_>>();
        named.iter().zip(&codes).filter(|(a, b)| a == b).count() as f64 / codes.len() as f64
    };
    let before = accuracy(&t);
    block_on(t.run_chunk(60)).unwrap();
    let after = accuracy(&t);
    assert!(before < 0.3, "an untrained Q guesses: {before}");
    assert!(after > 0.6, "a trained Q names most categories: {before} -> {after}");
}
