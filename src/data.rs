//! The data sets Easel ships (`www/data/*.easelds.gz`, made by `tools/make_datasets.py`).

use std::fmt;
use std::io::Read;

use burn::prelude::*;
use burn::tensor::{Int, TensorData};

use crate::grid::GRID;
use crate::rng::Rng;

const MAGIC: &[u8; 8] = b"EASELDS1";
/// Refuse data sets larger than this when decompressed (bytes).
pub const MAX_DECODED_BYTES: usize = 512 << 20;

/// Images as bytes, `count` x `channels` x `height` x `width`, plus one label each.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub count: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub classes: usize,
    pub labels: Vec<u8>,
    pub pixels: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DataError {
    NotGzip(String),
    BadMagic,
    Truncated { expected: usize, got: usize },
    TooLarge(usize),
    Empty,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::NotGzip(e) => write!(f, "the data file is not valid gzip ({e})"),
            DataError::BadMagic => write!(f, "the data file is not an Easel data set"),
            DataError::Truncated { expected, got } => {
                write!(f, "the data file is truncated: {got} of {expected} bytes")
            }
            DataError::TooLarge(n) => write!(
                f,
                "the data set would be {n} bytes when unpacked, over the {MAX_DECODED_BYTES}-byte limit"
            ),
            DataError::Empty => write!(f, "the data set has no images"),
        }
    }
}

impl std::error::Error for DataError {}

impl Dataset {
    /// Parse a gzip-compressed data set file.
    pub fn from_gz_bytes(bytes: &[u8]) -> Result<Self, DataError> {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_DECODED_BYTES as u64 + 1)
            .read_to_end(&mut raw)
            .map_err(|e| DataError::NotGzip(e.to_string()))?;
        if raw.len() > MAX_DECODED_BYTES {
            return Err(DataError::TooLarge(raw.len()));
        }
        Self::from_raw(&raw)
    }

    /// Parse an uncompressed data set.
    pub fn from_raw(raw: &[u8]) -> Result<Self, DataError> {
        if raw.len() < 28 || &raw[..8] != MAGIC {
            return Err(DataError::BadMagic);
        }
        let u = |i: usize| u32::from_le_bytes(raw[8 + 4 * i..12 + 4 * i].try_into().unwrap()) as usize;
        let (count, channels, height, width, classes) = (u(0), u(1), u(2), u(3), u(4));
        let size = channels
            .checked_mul(height)
            .and_then(|s| s.checked_mul(width))
            .and_then(|s| s.checked_add(1))
            .and_then(|s| s.checked_mul(count))
            .ok_or(DataError::TooLarge(usize::MAX))?;
        let expected = 28 + size;
        if raw.len() < expected {
            return Err(DataError::Truncated { expected, got: raw.len() });
        }
        if count == 0 || channels * height * width == 0 {
            return Err(DataError::Empty);
        }
        Ok(Dataset {
            count,
            channels,
            height,
            width,
            classes,
            labels: raw[28..28 + count].to_vec(),
            pixels: raw[28 + count..expected].to_vec(),
        })
    }

    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Pixels of image `i` scaled to [-1, 1].
    pub fn image_f32(&self, i: usize) -> Vec<f32> {
        let n = self.image_len();
        self.pixels[i * n..(i + 1) * n].iter().map(|&p| p as f32 / 127.5 - 1.0).collect()
    }

    /// Uploads the whole data set once, scaled to [-1, 1], so that each training step only
    /// uploads the indices of its batch.
    pub fn to_device(&self, device: &Device) -> DeviceData {
        let values: Vec<f32> = self.pixels.iter().map(|&p| p as f32 / 127.5 - 1.0).collect();
        DeviceData {
            images: Tensor::from_data(TensorData::new(values, [self.count, self.image_len()]), device),
            count: self.count,
            shape: [self.channels, self.height, self.width],
            real_diversity: self.diversity_sample(GRID),
        }
    }
}

/// A data set resident on a device: `images` is `[count, channels*height*width]` in [-1, 1].
#[derive(Clone, Debug)]
pub struct DeviceData {
    pub images: Tensor<2>,
    pub count: usize,
    /// `[channels, height, width]`
    pub shape: [usize; 3],
    /// Diversity of 64 of the images (the mode-collapse meter's reference level).
    pub real_diversity: f32,
}

/// Draws batches without replacement, one shuffled pass (epoch) after another; the last
/// incomplete batch of an epoch is dropped.
#[derive(Clone, Debug)]
pub struct Sampler {
    order: Vec<usize>,
    pos: usize,
    pub batch: usize,
    pub epoch: usize,
    rng: Rng,
    /// This epoch's order on the device, uploaded once per epoch: each batch's indices are a
    /// slice of it (on WebGPU an upload submits the queued work, so one per step would cost a
    /// submission per step).
    on_device: Option<Tensor<1, Int>>,
}

impl Sampler {
    pub fn new(count: usize, batch: usize, seed: u64) -> Self {
        assert!(batch > 0 && batch <= count, "batch {batch} must be in 1..={count}");
        let mut rng = Rng::new(seed);
        let mut order: Vec<usize> = (0..count).collect();
        rng.shuffle(&mut order);
        Sampler { order, pos: 0, batch, epoch: 0, rng, on_device: None }
    }

    /// How many images it draws from.
    pub fn order_len(&self) -> usize {
        self.order.len()
    }

    pub fn batches_per_epoch(&self) -> usize {
        self.order.len() / self.batch
    }

    /// Index of the next batch within the current epoch.
    pub fn batch_in_epoch(&self) -> usize {
        self.pos / self.batch
    }

    /// Where the next batch starts in the order (reshuffled when the epoch is used up).
    fn next_start(&mut self) -> usize {
        if self.pos + self.batch > self.order.len() {
            self.rng.shuffle(&mut self.order);
            self.on_device = None;
            self.pos = 0;
            self.epoch += 1;
        }
        self.pos += self.batch;
        self.pos - self.batch
    }

    pub fn next_indices(&mut self) -> Vec<usize> {
        let start = self.next_start();
        self.order[start..start + self.batch].to_vec()
    }

    /// The next batch's indices on `device`: a slice of the epoch's order there.
    pub fn next_index_tensor(&mut self, device: &Device) -> Tensor<1, Int> {
        let start = self.next_start();
        let order = self.on_device.get_or_insert_with(|| {
            let idx: Vec<i32> = self.order.iter().map(|&i| i as i32).collect();
            let n = idx.len();
            Tensor::from_data(TensorData::new(idx, [n]), device)
        });
        order.clone().slice([start..start + self.batch])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn tiny_raw(count: usize) -> Vec<u8> {
        let mut raw = MAGIC.to_vec();
        for v in [count as u32, 1, 2, 2, 2] {
            raw.extend_from_slice(&v.to_le_bytes());
        }
        raw.extend((0..count).map(|i| (i % 2) as u8));
        raw.extend((0..count * 4).map(|i| (i * 7 % 256) as u8));
        raw
    }

    #[test]
    fn parses_and_rejects() {
        let raw = tiny_raw(3);
        let d = Dataset::from_raw(&raw).unwrap();
        assert_eq!((d.count, d.channels, d.height, d.width), (3, 1, 2, 2));
        assert_eq!(d.labels, vec![0, 1, 0]);
        assert_eq!(d.image_f32(0)[0], -1.0);
        assert_eq!(
            Dataset::from_raw(&raw[..raw.len() - 1]),
            Err(DataError::Truncated { expected: raw.len(), got: raw.len() - 1 })
        );
        assert_eq!(Dataset::from_raw(b"not a data set at all, nope!"), Err(DataError::BadMagic));
        assert!(matches!(Dataset::from_gz_bytes(&raw), Err(DataError::NotGzip(_))));
    }

    #[test]
    fn shipped_sets_load() {
        for name in ["mnist", "fashion"] {
            let bytes = std::fs::read(format!("www/data/{name}.easelds.gz")).unwrap();
            let d = Dataset::from_gz_bytes(&bytes).unwrap();
            assert_eq!((d.count, d.channels, d.height, d.width, d.classes), (10_000, 1, 28, 28, 10));
            // every class is present and images are not blank
            for c in 0..10u8 {
                assert!(d.labels.iter().filter(|&&l| l == c).count() > 500, "{name} class {c}");
            }
            let mean = d.pixels.iter().map(|&p| p as f64).sum::<f64>() / d.pixels.len() as f64;
            assert!(mean > 20.0 && mean < 120.0, "{name} mean pixel {mean}");
        }
    }

    #[test]
    fn sampler_covers_each_epoch_once() {
        let mut s = Sampler::new(10, 3, 1);
        assert_eq!(s.batches_per_epoch(), 3);
        let mut seen: Vec<usize> = (0..3).flat_map(|_| s.next_indices()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 9);
        assert_eq!(s.epoch, 0);
        s.next_indices();
        assert_eq!(s.epoch, 1);
    }

    #[test]
    fn index_tensors_are_the_same_batches_as_the_indices() {
        let device = Device::flex();
        let (mut host, mut dev) = (Sampler::new(10, 3, 4), Sampler::new(10, 3, 4));
        // Three epochs: each reshuffle is uploaded again.
        for _ in 0..9 {
            let want: Vec<i64> = host.next_indices().into_iter().map(|i| i as i64).collect();
            let got = dev.next_index_tensor(&device).into_data().convert::<i64>().try_to_vec::<i64>().unwrap();
            assert_eq!(got, want);
        }
        assert_eq!((host.epoch, dev.epoch), (2, 2));
    }
}
