//! The user's own images as a training set: each file decoded safely ([`crate::photo`]),
//! centre-cropped to a square and resized to 32 or 64 px, colour. Files that cannot be used are
//! skipped with the reason, and the rest still make a data set.

use crate::data::Dataset;
use crate::photo::{self, PhotoError, Rgb};
use crate::rng::Rng;

/// The sizes the colour DCGANs train on.
pub const OWN_IMAGE_SIZES: [usize; 2] = [32, 64];
/// The most images one set takes (64 px: 12 KB each as bytes, 48 KB each on the GPU).
pub const MAX_IMAGES: usize = 20_000;

/// The largest centred square of `img`, resized to `size` x `size`.
pub fn center_square(img: &Rgb, size: u32) -> Rgb {
    let side = img.width.min(img.height);
    let (x0, y0) = ((img.width - side) / 2, (img.height - side) / 2);
    let mut pixels = Vec::with_capacity(side as usize * side as usize * 3);
    for y in y0..y0 + side {
        let row = (y * img.width + x0) as usize * 3;
        pixels.extend_from_slice(&img.pixels[row..row + side as usize * 3]);
    }
    let square = image::RgbImage::from_raw(side, side, pixels).expect("buffer size");
    // thumbnail averages areas: fast and alias-free for the big reductions photos need.
    let out = if side > size { image::imageops::thumbnail(&square, size, size) } else {
        image::imageops::resize(&square, size, size, image::imageops::FilterType::CatmullRom)
    };
    Rgb { width: size, height: size, pixels: out.into_raw() }
}

/// Decodes one file and prepares it: `3 x size x size` bytes, planar (channel first).
pub fn prepare(bytes: &[u8], size: usize) -> Result<Vec<u8>, PhotoError> {
    let img = center_square(&photo::decode(bytes)?, size as u32);
    let plane = size * size;
    let mut out = vec![0u8; 3 * plane];
    for (i, p) in img.pixels.chunks_exact(3).enumerate() {
        for c in 0..3 {
            out[c * plane + i] = p[c];
        }
    }
    Ok(out)
}

/// Why a file of `len` bytes is refused without reading it, if it is.
pub fn refuse_by_size(len: usize) -> Option<String> {
    if len == 0 {
        Some("the file is empty (0 bytes)".into())
    } else if len > photo::MAX_FILE_BYTES {
        Some(format!(
            "the file is {:.1} MB; the limit is {} MB, so it was not read",
            len as f64 / 1e6,
            photo::MAX_FILE_BYTES / (1024 * 1024)
        ))
    } else {
        None
    }
}

/// A data set being built from the user's files.
#[derive(Clone, Debug)]
pub struct ImageSet {
    pub size: usize,
    pub names: Vec<String>,
    /// `names.len()` images of `3 x size x size` bytes.
    pub pixels: Vec<u8>,
    /// (file name, reason) of every file not taken.
    pub skipped: Vec<(String, String)>,
}

impl ImageSet {
    pub fn new(size: usize) -> Result<Self, String> {
        if !OWN_IMAGE_SIZES.contains(&size) {
            return Err(format!("image size must be one of {OWN_IMAGE_SIZES:?} pixels"));
        }
        Ok(ImageSet { size, names: Vec::new(), pixels: Vec::new(), skipped: Vec::new() })
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Adds one file; returns the reason if it was skipped.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let result = if self.len() >= MAX_IMAGES {
            Err(format!("the set already has the maximum of {MAX_IMAGES} images"))
        } else if let Some(why) = refuse_by_size(bytes.len()) {
            Err(why)
        } else {
            prepare(bytes, self.size).map_err(|e| e.0)
        };
        match result {
            Ok(px) => {
                self.names.push(name.to_string());
                self.pixels.extend(px);
                Ok(())
            }
            Err(why) => {
                self.skipped.push((name.to_string(), why.clone()));
                Err(why)
            }
        }
    }

    /// Records a file refused without reading it (e.g. too large).
    pub fn skip(&mut self, name: &str, why: String) {
        self.skipped.push((name.to_string(), why));
    }

    /// The images as a data set (labels all 0); at least two images are needed for a batch.
    pub fn to_dataset(&self) -> Result<Dataset, String> {
        if self.len() < 2 {
            return Err(format!(
                "{} usable image{} — a GAN needs at least 2 (a few hundred give better results)",
                self.len(),
                if self.len() == 1 { "" } else { "s" }
            ));
        }
        Ok(Dataset {
            count: self.len(),
            channels: 3,
            height: self.size,
            width: self.size,
            classes: 0,
            labels: vec![0; self.len()],
            pixels: self.pixels.clone(),
        })
    }
}

/// The mode-collapse meter: mean distance between every pair of `n` images (`values` holds
/// them one after another), each distance the root-mean-square difference of their values.
/// Identical images give 0; images in [-1, 1] give at most 2.
pub fn diversity(values: &[f32], n: usize) -> f32 {
    if n < 2 {
        return 0.0;
    }
    let dim = values.len() / n;
    let mut total = 0.0f64;
    for i in 0..n {
        let a = &values[i * dim..(i + 1) * dim];
        for j in i + 1..n {
            let b = &values[j * dim..(j + 1) * dim];
            let sq: f32 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
            total += (sq as f64 / dim as f64).sqrt();
        }
    }
    (total / (n * (n - 1) / 2) as f64) as f32
}

impl Dataset {
    /// [`diversity`] of up to `n` images drawn with a fixed seed, scaled to [-1, 1] like the
    /// generator's output: the level the samples' diversity should reach.
    pub fn diversity_sample(&self, n: usize) -> f32 {
        let mut idx: Vec<usize> = (0..self.count).collect();
        Rng::new(0xD1).shuffle(&mut idx);
        let n = n.min(self.count);
        let values: Vec<f32> = idx[..n].iter().flat_map(|&i| self.image_f32(i)).collect();
        diversity(&values, n)
    }
}
