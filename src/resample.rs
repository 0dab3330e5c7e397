//! Resizing RGB images: the `image` crate's Lanczos3 and Catmull-Rom resampling, computed row
//! by row.
//!
//! `image::imageops::resize` walks its second pass a column at a time (every row of the
//! image for each output column) and reads each pixel through a bounds-checked accessor:
//! ~17 ms to bring the 512x512 example style image to the style predictor's 256x256 natively,
//! more in the page. Here both passes read and write whole rows. The weights, the order of
//! the sums and the rounding are `image`'s, so the pixels are the same (tested against it).

/// A separable filter: its kernel and how far it reaches (in input pixels at scale 1).
#[derive(Clone, Copy)]
pub struct Filter {
    kernel: fn(f32) -> f32,
    support: f32,
}

/// Lanczos with a window of 3: for shrinking.
pub const LANCZOS3: Filter = Filter { kernel: lanczos3, support: 3.0 };
/// The Catmull-Rom cubic spline: for enlarging.
pub const CATMULL_ROM: Filter = Filter { kernel: catmull_rom, support: 2.0 };

fn sinc(t: f32) -> f32 {
    let a = t * std::f32::consts::PI;
    if t == 0.0 { 1.0 } else { a.sin() / a }
}

fn lanczos3(x: f32) -> f32 {
    if x.abs() < 3.0 { sinc(x) * sinc(x / 3.0) } else { 0.0 }
}

/// Mitchell and Netravali's cubic with b = 0, c = 0.5, written as `image` writes it.
fn catmull_rom(x: f32) -> f32 {
    let (b, c) = (0.0f32, 0.5f32);
    let a = x.abs();
    let k = if a < 1.0 {
        (12.0 - 9.0 * b - 6.0 * c) * a.powi(3) + (-18.0 + 12.0 * b + 6.0 * c) * a.powi(2) + (6.0 - 2.0 * b)
    } else if a < 2.0 {
        (-b - 6.0 * c) * a.powi(3) + (6.0 * b + 30.0 * c) * a.powi(2) + (-12.0 * b - 48.0 * c) * a + (8.0 * b + 24.0 * c)
    } else {
        0.0
    };
    k / 6.0
}

/// For each of `to` output positions along an axis of `from` pixels: the first input pixel
/// it reads and its normalised weights.
fn taps(from: usize, to: usize, filter: Filter) -> Vec<(usize, Vec<f32>)> {
    let ratio = from as f32 / to as f32;
    let scale = ratio.max(1.0);
    let reach = filter.support * scale;
    (0..to)
        .map(|o| {
            let centre = (o as f32 + 0.5) * ratio;
            let first = ((centre - reach).floor() as i64).clamp(0, from as i64 - 1);
            let end = ((centre + reach).ceil() as i64).clamp(first + 1, from as i64);
            // The kernel puts a pixel's centre at 0.
            let centre = centre - 0.5;
            let mut weights: Vec<f32> = (first..end).map(|i| (filter.kernel)((i as f32 - centre) / scale)).collect();
            let mut sum = 0.0;
            for w in &weights {
                sum += w;
            }
            weights.iter_mut().for_each(|w| *w /= sum);
            (first as usize, weights)
        })
        .collect()
}

/// Resamples `pixels` (`width` x `height`, 3 bytes a pixel, row-major) to `to_width` x
/// `to_height` with `filter`: columns first (into floats), then rows, rounded to bytes.
pub fn resize(pixels: &[u8], width: usize, height: usize, to_width: usize, to_height: usize, filter: Filter) -> Vec<u8> {
    assert_eq!(pixels.len(), width * height * 3, "resize: buffer size");
    let row = width * 3;
    let mut tall = vec![0.0f32; to_height * row];
    for ((first, weights), out) in taps(height, to_height, filter).iter().zip(tall.chunks_exact_mut(row)) {
        for (i, w) in weights.iter().enumerate() {
            let input = &pixels[(first + i) * row..][..row];
            for (o, &v) in out.iter_mut().zip(input) {
                *o += v as f32 * w;
            }
        }
    }
    let columns = taps(width, to_width, filter);
    let mut out = Vec::with_capacity(to_width * to_height * 3);
    for input in tall.chunks_exact(row) {
        for (first, weights) in &columns {
            let mut sum = [0.0f32; 3];
            for (i, w) in weights.iter().enumerate() {
                let p = &input[(first + i) * 3..][..3];
                for c in 0..3 {
                    sum[c] += p[c] * w;
                }
            }
            out.extend(sum.map(|v| v.clamp(0.0, 255.0).round() as u8));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;
    use image::imageops::FilterType;

    /// A busy test image: every channel its own pattern.
    fn image(w: usize, h: usize) -> Vec<u8> {
        (0..w * h * 3).map(|i| ((i * 37 + (i / (3 * w)) * 11) % 251) as u8).collect()
    }

    #[test]
    fn the_pixels_are_the_image_crates() {
        let cases = [(512, 512, 256, 256), (451, 300, 256, 170), (451, 300, 1024, 681), (37, 23, 16, 61), (5, 7, 300, 2)];
        for (w, h, tw, th) in cases {
            let pixels = image(w, h);
            let (filter, theirs) = if tw < w { (LANCZOS3, FilterType::Lanczos3) } else { (CATMULL_ROM, FilterType::CatmullRom) };
            let buf = RgbImage::from_raw(w as u32, h as u32, pixels.clone()).unwrap();
            let want = image::imageops::resize(&buf, tw as u32, th as u32, theirs).into_raw();
            let got = resize(&pixels, w, h, tw, th, filter);
            assert_eq!(got.len(), want.len());
            let differ = got.iter().zip(&want).filter(|(a, b)| a != b).count();
            assert_eq!(differ, 0, "{w}x{h} -> {tw}x{th}: {differ} bytes differ");
        }
    }
}
