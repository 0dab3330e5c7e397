//! Style transfer, natively on Burn's CPU backend: the Gram matrix, the shipped network's
//! features against the conversion script's reference, the optimisation, colour keeping.

use burn::prelude::*;
use easel::photo::{Rgb, decode};
use easel::fields::{self, Form};
use easel::settings::{Init, StyleConfig};
use easel::style::{StyleStats, Stylizer, Vgg, gram, luminance, reference_input, total_variation};

fn vgg(device: &Device) -> Vgg {
    let bytes = std::fs::read("www/models/vgg16.safetensors").expect("www/models/vgg16.safetensors (tools/convert_vgg.py)");
    Vgg::from_safetensors(bytes, &device.clone().autodiff()).expect("loads")
}

fn values(t: Tensor<4>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn gram_matches_a_hand_computed_case() {
    let device = Device::flex();
    // Two channels over a 1 x 3 image: f0 = [1, 2, 3], f1 = [0, -1, 4].
    let f: Tensor<4> = Tensor::<1>::from_floats([1.0, 2.0, 3.0, 0.0, -1.0, 4.0], &device).reshape([1, 2, 1, 3]);
    let g = gram(f).into_data().try_to_vec::<f32>().unwrap();
    // f0·f0 = 14, f0·f1 = 10, f1·f1 = 17; divided by c*h*w = 6.
    let want = [14.0 / 6.0, 10.0 / 6.0, 10.0 / 6.0, 17.0 / 6.0];
    for (a, b) in g.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{g:?} vs {want:?}");
    }
}

#[test]
fn total_variation_is_zero_on_flat_and_known_on_a_step() {
    let device = Device::flex();
    let flat = Tensor::<4>::ones([1, 3, 4, 4], &device).mul_scalar(0.3);
    assert!(total_variation(flat).into_scalar::<f32>().abs() < 1e-9);
    // A vertical edge: left two columns 0, right two 1 -> horizontal diffs: one of three is 1.
    let step: Tensor<4> = Tensor::<1>::from_floats([0.0, 0.0, 1.0, 1.0], &device).reshape([1, 1, 1, 4]).repeat_dim(2, 4);
    let tv = total_variation(step).into_scalar::<f32>();
    assert!((tv - 1.0 / 3.0).abs() < 1e-6, "{tv}");
}

#[test]
fn shipped_network_matches_the_conversion_reference() {
    let device = Device::flex();
    let net = vgg(&device);
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("tests/data/vgg16_reference.json").unwrap()).unwrap();
    let f = net.features(reference_input(&device).autodiff());
    let mut taps = vec![];
    for (name, t) in ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"].iter().zip(f.style) {
        taps.push((*name, t.inner()));
    }
    taps.push(("conv4_2", f.content.inner()));
    for (name, t) in taps {
        let r = &reference["layers"][name];
        let dims = t.dims();
        let shape: Vec<usize> = r["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        assert_eq!(&dims[1..], &shape[..], "{name} shape");
        let v = values(t);
        let close = |a: f64, b: f64, what: &str| {
            let tol = 1e-3 * b.abs().max(1.0);
            assert!((a - b).abs() <= tol, "{name} {what}: got {a}, reference {b}");
        };
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        let sq = v.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / v.len() as f64;
        close(mean, r["mean"].as_f64().unwrap(), "mean");
        close(sq, r["sq_mean"].as_f64().unwrap(), "mean of squares");
        for (i, want) in r["index"].as_array().unwrap().iter().zip(r["values"].as_array().unwrap()) {
            close(v[i.as_u64().unwrap() as usize] as f64, want.as_f64().unwrap(), "value");
        }
    }
}

/// A 64 x 48 "photo": coloured regions with edges, and a striped style image.
fn content_and_style() -> (Rgb, Rgb) {
    let (w, h) = (64u32, 48u32);
    let mut c = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let inside = (x as i32 - 24).pow(2) + (y as i32 - 24).pow(2) < 15 * 15;
            let px = if inside { [220, 60, 40] } else if y > 34 { [40, 140, 60] } else { [90, 150, 230] };
            c.extend_from_slice(&px);
        }
    }
    let mut s = Vec::new();
    for y in 0..64u32 {
        for x in 0..64u32 {
            let stripe = ((x + 2 * y) / 5) % 2 == 0;
            s.extend_from_slice(&if stripe { [250, 220, 40] } else { [20, 20, 110] });
        }
    }
    (Rgb { width: w, height: h, pixels: c }, Rgb { width: 64, height: 64, pixels: s })
}

fn run(config: StyleConfig, iterations: usize) -> (Stylizer, Vec<StyleStats>) {
    let device = Device::flex();
    let (content, style) = content_and_style();
    let mut st = Stylizer::new(config, vgg(&device), &content, &style, &device).unwrap();
    let stats = futures_lite::future::block_on(st.run_chunk(iterations)).unwrap();
    (st, stats)
}

#[test]
fn total_loss_falls_over_20_iterations_at_64_px() {
    let config = StyleConfig { size: 64, iterations: 20, ..StyleConfig::default() };
    let (st, stats) = run(config, 20);
    assert_eq!(stats.len(), 20);
    assert!(stats.iter().all(|s| [s.total, s.content, s.style, s.tv].iter().all(|v| v.is_finite())));
    let (first, last) = (stats[0], stats[19]);
    // Starting from the content photo: content loss starts at 0, style loss high.
    assert!(first.content < 1e-6, "content loss at the start {}", first.content);
    assert!(last.total < 0.7 * first.total, "total {} -> {}", first.total, last.total);
    assert!(last.style < first.style, "style {} -> {}", first.style, last.style);
    assert!(st.done());
    let out = values(st.output());
    assert_eq!(out.len(), 3 * 64 * 48);
    assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn from_noise_the_content_loss_falls() {
    let config = StyleConfig { size: 64, init: Init::Noise, style_weight: 0.0, tv_weight: 0.0, ..StyleConfig::default() };
    let (_, stats) = run(config, 15);
    assert!(stats[14].content < 0.8 * stats[0].content, "content {} -> {}", stats[0].content, stats[14].content);
}

/// YIQ chroma of planar RGB.
fn chroma(v: &[f32], n: usize) -> Vec<(f32, f32)> {
    (0..n)
        .map(|i| {
            let (r, g, b) = (v[i], v[n + i], v[2 * n + i]);
            (0.596 * r - 0.274 * g - 0.322 * b, 0.211 * r - 0.523 * g + 0.312 * b)
        })
        .collect()
}

#[test]
fn keeping_colours_changes_luminance_only() {
    let device = Device::flex();
    let (content, _) = content_and_style();
    let base = StyleConfig { size: 64, iterations: 20, style_weight: 100.0, ..StyleConfig::default() };
    let (kept, _) = run(StyleConfig { keep_colors: true, ..base.clone() }, 20);
    let (free, _) = run(base, 20);
    let n = 64 * 48;
    let c = values(easel::style::rgb_to_tensor(&content, &device));
    let (k, f) = (values(kept.output()), values(free.output()));
    let diff = |a: &[f32]| {
        let (ca, cc) = (chroma(a, n), chroma(&c, n));
        ca.iter().zip(&cc).map(|(x, y)| (x.0 - y.0).abs() + (x.1 - y.1).abs()).sum::<f32>() / n as f32
    };
    let luma_change = |a: &[f32]| {
        let la = values(luminance(Tensor::from_data(TensorData::new(a.to_vec(), [1, 3, 48, 64]), &device)));
        let lc = values(luminance(Tensor::from_data(TensorData::new(c.clone(), [1, 3, 48, 64]), &device)));
        la.iter().zip(&lc).map(|(x, y)| (x - y).abs()).sum::<f32>() / n as f32
    };
    let (kept_chroma, free_chroma) = (diff(&k), diff(&f));
    assert!(luma_change(&k) > 0.01, "the kept-colour result did change: {}", luma_change(&k));
    // Only clamping at 0 and 1 can move the chroma of the kept-colour result.
    assert!(kept_chroma < 0.01, "chroma moved by {kept_chroma}");
    assert!(free_chroma > 3.0 * kept_chroma, "free {free_chroma} vs kept {kept_chroma}");
}

#[test]
fn style_settings_are_checked_field_by_field() {
    let form = |pairs: &[(&str, &str)]| -> Form { pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    let ok: StyleConfig = fields::parse(&form(&[("size", "256"), ("iterations", "300"), ("init", "noise"), ("keep_colors", "true")])).unwrap();
    assert_eq!((ok.size, ok.iterations, ok.init, ok.keep_colors), (256, 300, Init::Noise, true));
    let bad = form(&[("size", "8"), ("content_weight", "-1"), ("style_weight", "abc"), ("tv_weight", "1e9"), ("iterations", "0"), ("init", "sky")]);
    let errs = fields::parse::<StyleConfig>(&bad).unwrap_err();
    let names: Vec<&str> = errs.iter().map(|e| e.field).collect();
    assert_eq!(names, ["size", "content_weight", "style_weight", "tv_weight", "iterations", "init"]);
    let both_zero = fields::parse::<StyleConfig>(&form(&[("content_weight", "0"), ("style_weight", "0")])).unwrap_err();
    assert_eq!(both_zero[0].field, "style_weight");
    // One default for the page and the CLI.
    assert_eq!(StyleConfig::default().iterations, 200);
}

#[test]
fn a_too_narrow_photo_is_refused_with_a_message() {
    let device = Device::flex();
    let (_, style) = content_and_style();
    let strip = Rgb { width: 400, height: 10, pixels: vec![128; 400 * 10 * 3] };
    let config = StyleConfig { size: 256, ..StyleConfig::default() };
    let err = Stylizer::new(config, vgg(&device), &strip, &style, &device).err().unwrap();
    assert!(err.contains("too narrow"), "{err}");
}

#[test]
fn the_example_pair_decodes() {
    for f in ["www/examples/cat.jpg", "www/examples/swirls.jpg"] {
        let img = decode(&std::fs::read(f).unwrap()).unwrap();
        assert!(img.width >= 256 && img.height >= 256, "{f}");
    }
}
