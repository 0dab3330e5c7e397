//! Instant style, natively on Burn's CPU backend: the hand-written networks against
//! onnxruntime's outputs on the same (dequantised) ONNX graphs, computed by
//! tools/convert_instant.py; strength and blend endpoints.

use burn::prelude::*;
use easel::instant::{InstantStyle, StyleVectors, read_vector, reference_input, render};
use easel::photo::{Rgb, decode};
use easel::settings::StyleConfig;
use futures_lite::future::block_on;

fn network(device: &Device) -> InstantStyle {
    let bytes = std::fs::read("www/models/instant-style.safetensors").expect("www/models/instant-style.safetensors (tools/convert_instant.py)");
    InstantStyle::from_safetensors(bytes, device).expect("loads")
}

fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string("tests/data/instant_reference.json").unwrap()).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn networks_match_onnxruntime_on_the_same_graph() {
    let device = Device::flex();
    let net = network(&device);
    let r = reference();
    let vector = net.predictor.forward(reference_input(64, 64, 0, &device));
    assert_eq!(vector.dims(), [1, 100]);
    let want = floats(&r["style_vector"]);
    let got = values(vector.clone());
    let d = max_diff(&got, &want);
    eprintln!("style vector: max difference {d}");
    assert!(d < 1e-3, "style vector differs by {d}");
    // The reference vector, not ours, so the transformer is checked on its own.
    let style = Tensor::<1>::from_floats(want.as_slice(), &device).reshape([1, 100]);
    let image = net.transformer.forward(reference_input(32, 32, 5, &device), style);
    assert_eq!(image.dims(), [1, 3, 32, 32]);
    let d = max_diff(&values(image), &floats(&r["image"]));
    eprintln!("stylised image: max difference {d}");
    assert!(d < 1e-3, "stylised image differs by {d}");
}

fn example(name: &str) -> Rgb {
    decode(&std::fs::read(format!("www/examples/{name}")).unwrap()).unwrap()
}

fn vectors(net: &InstantStyle, photo: &Rgb, styles: &[&Rgb], device: &Device) -> StyleVectors {
    let v = |img: &Rgb| block_on(read_vector(net, img, device)).unwrap();
    StyleVectors { own: v(photo), style: v(styles[0]), second: styles.get(1).map(|s| v(s)) }
}

fn mean_abs(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

#[test]
fn the_example_pair_is_repainted_at_the_photos_shape() {
    let device = Device::flex();
    let net = network(&device);
    let (cat, swirls) = (example("cat.jpg"), example("swirls.jpg"));
    let v = vectors(&net, &cat, &[&swirls], &device);
    assert_eq!(v.own.len(), 100);
    let config = StyleConfig { size: 128, ..StyleConfig::default() };
    let out = render(&net, &cat, &v, &config, &device).unwrap();
    // 451 x 300 -> 128 x 85 (not a multiple of 4: padded for the network and cropped back).
    assert_eq!(out.dims(), [1, 3, 85, 128]);
    let styled = values(out);
    let photo = values(easel::style::rgb_to_tensor(&easel::instant::fit_photo(&cat, 128).unwrap(), &device));
    assert!(styled.iter().all(|x| (0.0..=1.0).contains(x)));
    let mean = styled.iter().sum::<f32>() / styled.len() as f32;
    let var = styled.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / styled.len() as f32;
    assert!(var > 0.01, "blank output (variance {var})");
    let styled_diff = mean_abs(&styled, &photo);
    assert!(styled_diff > 0.05, "the photo came back unchanged ({styled_diff})");
    // Strength 0 is the photo's own style: much closer to the photo than the swirls are.
    let own = values(render(&net, &cat, &v, &StyleConfig { strength: 0.0, ..config.clone() }, &device).unwrap());
    let own_diff = mean_abs(&own, &photo);
    assert!(own_diff < styled_diff * 0.7, "strength 0 differs from the photo by {own_diff}, strength 1 by {styled_diff}");
    // Keeping the colours: the change is the same in R, G and B (only luminance moved).
    let kept = values(render(&net, &cat, &v, &StyleConfig { keep_colors: true, ..config.clone() }, &device).unwrap());
    let n = 85 * 128;
    let unclamped = (0..n).filter(|&i| (0..3).all(|c| kept[c * n + i] > 0.0 && kept[c * n + i] < 1.0));
    let mut spread = 0.0f32;
    for i in unclamped {
        let d: Vec<f32> = (0..3).map(|c| kept[c * n + i] - photo[c * n + i]).collect();
        spread = spread.max((d[0] - d[1]).abs().max((d[1] - d[2]).abs()));
    }
    assert!(spread < 1e-4, "keep colours changed the hue (spread {spread})");
    assert!(mean_abs(&kept, &photo) > 0.02, "keep colours left the photo as it was");
}

#[test]
fn strength_and_blend_endpoints_are_the_single_styles() {
    let device = Device::flex();
    let net = network(&device);
    let (cat, swirls) = (example("cat.jpg"), example("swirls.jpg"));
    // A second style: the swirls turned upside down and colour-swapped (BGR), a different vector.
    let mut second = swirls.clone();
    second.pixels = swirls.pixels.chunks_exact(3).rev().flat_map(|p| [p[2], p[1], p[0]]).collect();
    let both = vectors(&net, &cat, &[&swirls, &second], &device);
    assert!(mean_abs(&both.style, both.second.as_ref().unwrap()) > 0.01, "the two styles have the same vector");
    let one = |style: &[f32]| StyleVectors { own: both.own.clone(), style: style.to_vec(), second: None };
    let config = StyleConfig { size: 64, ..StyleConfig::default() };
    let run = |v: &StyleVectors, strength: f64, blend: f64| {
        values(render(&net, &cat, v, &StyleConfig { strength, blend, ..config.clone() }, &device).unwrap())
    };
    let first_only = run(&one(&both.style), 1.0, 0.0);
    let second_only = run(&one(both.second.as_ref().unwrap()), 1.0, 0.0);
    let own_only = run(&one(&both.own), 1.0, 0.0);
    assert!(max_diff(&run(&both, 1.0, 0.0), &first_only) < 1e-5);
    assert!(max_diff(&run(&both, 1.0, 1.0), &second_only) < 1e-5);
    assert!(max_diff(&run(&both, 0.0, 0.7), &own_only) < 1e-5);
    let halfway = run(&both, 1.0, 0.5);
    assert!(mean_abs(&halfway, &first_only) > 1e-3 && mean_abs(&halfway, &second_only) > 1e-3, "a blend is neither style");
}
