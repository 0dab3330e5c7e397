//! How good the samples are, on the built-in data sets (MNIST, Fashion-MNIST): a small
//! classifier, trained by Easel's own code (`easel-cli classifier`) and shipped in
//! `www/models/`, judges the generator's samples three ways:
//!
//! - the **classifier score**, `exp(E_x KL(p(y|x) ‖ p(y)))`: 1 when the classifier learns
//!   nothing from the samples, 10 when every sample is a confident prediction and the ten
//!   classes are equally common (the Inception score's idea, with an MNIST-sized network);
//! - **classes covered**: how many classes the confident predictions hit (mode collapse shows
//!   as a small number);
//! - the **Fréchet distance** between the Gaussians fitted to the classifier's penultimate
//!   features of many samples and of the real set (the FID idea; lower is better).
//!
//! The real set's feature statistics are computed once, when the classifier is made, and ship
//! in the same file.

use std::collections::{BTreeMap, HashMap};

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::TensorData;
use burn::tensor::activation::{log_softmax, relu};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::adam::{Adam, load_named, named_tensors};
use crate::data::{Dataset, DeviceData};
use crate::grid::GRID;
use crate::rng::Rng;
use crate::train::{Trainer, read_f32};

/// The classes of the built-in data sets.
pub const CLASSES: usize = 10;
/// Width of the penultimate layer: the features the Fréchet distance compares.
pub const FEATURES: usize = 64;
/// A prediction is confident (counts towards "classes covered") at this probability or above.
pub const CONFIDENT: f32 = 0.8;
/// Samples the Fréchet distance is computed from.
pub const FD_SAMPLES: usize = 512;
/// Images held out of the classifier's training, to measure its accuracy.
pub const HELD_OUT: usize = 1000;
/// The image size the classifier reads.
pub const SIZE: usize = 28;
/// The data sets that have a classifier: (name in the page and CLI, shipped file).
pub const JUDGED: [(&str, &str); 2] = [("mnist", "classifier-mnist.safetensors"), ("fashion", "classifier-fashion.safetensors")];

/// The class names of a built-in data set (by the labels' order).
pub fn class_names(data: &str) -> [&'static str; CLASSES] {
    match data {
        "fashion" => ["T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"],
        _ => ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    }
}

/// The shipped classifier file for a data set name, if it has one.
pub fn classifier_file(data: &str) -> Option<&'static str> {
    JUDGED.iter().find(|(name, _)| *name == data).map(|(_, file)| *file)
}

/// A small convolutional classifier for 28x28 grey images in [-1, 1]: two 3x3 conv + ReLU +
/// 2x2 max-pool blocks (28 → 14 → 7), a 64-wide feature layer, ten logits.
#[derive(Module, Debug)]
pub struct Classifier {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    fc1: Linear,
    fc2: Linear,
}

impl Classifier {
    pub fn new(device: &Device) -> Self {
        let conv = |cin, cout| Conv2dConfig::new([cin, cout], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device);
        Classifier {
            conv1: conv(1, 32),
            conv2: conv(32, 64),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            fc1: LinearConfig::new(64 * 7 * 7, FEATURES).init(device),
            fc2: LinearConfig::new(FEATURES, CLASSES).init(device),
        }
    }

    /// The penultimate features, `[n, FEATURES]`, of images `[n, 1, 28, 28]`.
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.pool.forward(relu(self.conv1.forward(images)));
        let x = self.pool.forward(relu(self.conv2.forward(x)));
        relu(self.fc1.forward(x.flatten(1, 3)))
    }

    /// Class logits from the features, `[n, CLASSES]`.
    pub fn logits(&self, features: Tensor<2>) -> Tensor<2> {
        self.fc2.forward(features)
    }
}

/// Mean and covariance of feature vectors (float64 on the host).
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureStats {
    pub mean: Vec<f64>,
    /// `dim x dim`, row-major; the unbiased estimate.
    pub cov: Vec<f64>,
    pub dim: usize,
}

impl FeatureStats {
    /// From `n` rows of `dim` values.
    pub fn of(rows: &[f32], dim: usize) -> Self {
        let n = rows.len() / dim;
        assert!(n >= 2, "feature statistics need two rows or more");
        let mut mean = vec![0.0f64; dim];
        for r in rows.chunks(dim) {
            for (m, &v) in mean.iter_mut().zip(r) {
                *m += v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut cov = vec![0.0f64; dim * dim];
        let mut centred = vec![0.0f64; dim];
        for r in rows.chunks(dim) {
            for (c, (&v, m)) in centred.iter_mut().zip(r.iter().zip(&mean)) {
                *c = v as f64 - m;
            }
            for i in 0..dim {
                let ci = centred[i];
                for j in i..dim {
                    cov[i * dim + j] += ci * centred[j];
                }
            }
        }
        for i in 0..dim {
            for j in i..dim {
                let v = cov[i * dim + j] / (n - 1) as f64;
                cov[i * dim + j] = v;
                cov[j * dim + i] = v;
            }
        }
        FeatureStats { mean, cov, dim }
    }
}

/// Eigenvalues and eigenvectors (columns of the returned row-major matrix) of a symmetric
/// matrix, by cyclic Jacobi rotations.
fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = vec![0.0; n * n];
    (0..n).for_each(|i| v[i * n + i] = 1.0);
    for _sweep in 0..100 {
        let off: f64 = (0..n).flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| a[i * n + j].powi(2)).sum();
        let scale: f64 = (0..n).map(|i| a[i * n + i].powi(2)).sum::<f64>().max(f64::MIN_POSITIVE);
        if off <= 1e-22 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            for j in 0..n {
                out[i * n + j] += aik * b[k * n + j];
            }
        }
    }
    out
}

/// The Fréchet distance between two Gaussians: `|μa − μb|² + tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½)`.
pub fn frechet_distance(a: &FeatureStats, b: &FeatureStats) -> f64 {
    let n = a.dim;
    assert_eq!(n, b.dim, "features of different widths");
    let mean: f64 = a.mean.iter().zip(&b.mean).map(|(x, y)| (x - y).powi(2)).sum();
    let trace = |m: &[f64]| (0..n).map(|i| m[i * n + i]).sum::<f64>();
    // Σa^½ from Σa's eigen-decomposition (negative rounding noise clamped to 0).
    let (values, vectors) = symmetric_eigen(&a.cov, n);
    let roots: Vec<f64> = values.iter().map(|v| v.max(0.0).sqrt()).collect();
    let mut half = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            half[i * n + j] = (0..n).map(|k| vectors[i * n + k] * roots[k] * vectors[j * n + k]).sum();
        }
    }
    let mut m = matmul(&matmul(&half, &b.cov, n), &half, n);
    // Symmetric in exact arithmetic; make it so in floating point before the eigen-solve.
    for i in 0..n {
        for j in i + 1..n {
            let s = 0.5 * (m[i * n + j] + m[j * n + i]);
            m[i * n + j] = s;
            m[j * n + i] = s;
        }
    }
    let cross: f64 = symmetric_eigen(&m, n).0.iter().map(|v| v.max(0.0).sqrt()).sum();
    (mean + trace(&a.cov) + trace(&b.cov) - 2.0 * cross).max(0.0)
}

/// Row-wise softmax of `[n, CLASSES]` logits on the host.
fn probabilities(logits: &[f32]) -> Vec<f32> {
    logits
        .chunks(CLASSES)
        .flat_map(|row| {
            let max = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            let e: Vec<f32> = row.iter().map(|v| (v - max).exp()).collect();
            let sum: f32 = e.iter().sum();
            e.into_iter().map(move |v| v / sum)
        })
        .collect()
}

/// `exp(E_x KL(p(y|x) ‖ p(y)))` over rows of class probabilities.
pub fn classifier_score(probs: &[f32]) -> f64 {
    let n = probs.len() / CLASSES;
    let mut marginal = [0.0f64; CLASSES];
    for row in probs.chunks(CLASSES) {
        for (m, &p) in marginal.iter_mut().zip(row) {
            *m += p as f64 / n as f64;
        }
    }
    let kl: f64 = probs
        .chunks(CLASSES)
        .map(|row| row.iter().zip(&marginal).filter(|(p, _)| **p > 0.0).map(|(&p, &m)| p as f64 * (p as f64 / m).ln()).sum::<f64>())
        .sum::<f64>()
        / n as f64;
    kl.exp()
}

/// Each row's most likely class and its probability.
pub fn predictions(probs: &[f32]) -> Vec<(u8, f32)> {
    probs
        .chunks(CLASSES)
        .map(|row| row.iter().enumerate().fold((0u8, f32::NEG_INFINITY), |best, (c, &p)| if p > best.1 { (c as u8, p) } else { best }))
        .collect()
}

/// How many classes at least one confident prediction names.
pub fn classes_covered(predictions: &[(u8, f32)]) -> usize {
    let mut hit = [false; CLASSES];
    predictions.iter().filter(|(_, p)| *p >= CONFIDENT).for_each(|(c, _)| hit[*c as usize] = true);
    hit.iter().filter(|h| **h).count()
}

/// What the classifier says about a batch of images.
#[derive(Clone, Debug)]
pub struct Judgement {
    pub score: f64,
    pub classes: usize,
    /// Per image: predicted class, its probability.
    pub predictions: Vec<(u8, f32)>,
}

impl Judgement {
    /// From the class logits of the images, `[n * CLASSES]`, read back.
    pub fn from_logits(logits: &[f32]) -> Self {
        let probs = probabilities(logits);
        let predictions = predictions(&probs);
        Judgement { score: classifier_score(&probs), classes: classes_covered(&predictions), predictions }
    }
}

/// The shipped classifier with the real set's feature statistics and what it made of itself.
#[derive(Debug)]
pub struct Judge {
    pub classifier: Classifier,
    pub real: FeatureStats,
    /// The file's metadata (accuracy, split, seed, how it was made).
    pub meta: HashMap<String, String>,
}

impl Judge {
    /// Reads a classifier file written by [`Judge::to_bytes`].
    pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<Self, String> {
        let bad = |why: String| format!("the classifier file is not valid: {why}");
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let st = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let mut values = BTreeMap::new();
        for (name, view) in st.tensors() {
            let data: Vec<f32> = match view.dtype() {
                Dtype::F16 => view.data().chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
                Dtype::F32 => view.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect(),
                d => return Err(bad(format!("{name} is {d:?}"))),
            };
            values.insert(name, (view.shape().to_vec(), data));
        }
        let mut take = |name: &str| values.remove(name).ok_or_else(|| bad(format!("it lacks {name}")));
        let (_, mean) = take("real.mean")?;
        let (_, cov) = take("real.cov")?;
        if mean.len() != FEATURES || cov.len() != FEATURES * FEATURES {
            return Err(bad("the real-set statistics have the wrong size".into()));
        }
        let real = FeatureStats { mean: mean.iter().map(|&v| v as f64).collect(), cov: cov.iter().map(|&v| v as f64).collect(), dim: FEATURES };
        let classifier = load_named(Classifier::new(device), &mut values).map_err(bad)?;
        Ok(Judge { classifier: classifier.no_grad(), real, meta })
    }

    /// The classifier (weights as float16) and the real-set statistics (float32) as
    /// safetensors, with `meta` as its metadata.
    pub async fn to_bytes(classifier: &Classifier, real: &FeatureStats, meta: HashMap<String, String>) -> Result<Vec<u8>, String> {
        let mut buffers: Vec<(String, Vec<usize>, Dtype, Vec<u8>)> = Vec::new();
        for (name, shape, tensor) in named_tensors(classifier) {
            let bytes = read_f32(tensor).await?.iter().flat_map(|v| half::f16::from_f32(*v).to_le_bytes()).collect();
            buffers.push((name, shape, Dtype::F16, bytes));
        }
        let f32s = |v: &[f64]| v.iter().flat_map(|x| (*x as f32).to_le_bytes()).collect::<Vec<u8>>();
        buffers.push(("real.mean".into(), vec![real.dim], Dtype::F32, f32s(&real.mean)));
        buffers.push(("real.cov".into(), vec![real.dim, real.dim], Dtype::F32, f32s(&real.cov)));
        let views: Vec<(String, TensorView)> = buffers
            .iter()
            .map(|(n, s, d, b)| (n.clone(), TensorView::new(*d, s.clone(), b).expect("tensor view")))
            .collect();
        safetensors::serialize(views, Some(meta)).map_err(|e| e.to_string())
    }

    /// The class logits of `images` (`[n, 1, 28, 28]` in [-1, 1]), `[n * CLASSES]`, on their
    /// device: to read back with other values in one transfer ([`Judgement::from_logits`]).
    pub fn logits(&self, images: Tensor<4>) -> Tensor<1> {
        self.classifier.logits(self.classifier.features(images)).flatten(0, 1)
    }

    /// Classifies `images`: one read-back.
    pub async fn judge(&self, images: Tensor<4>) -> Result<Judgement, String> {
        Ok(Judgement::from_logits(&read_f32(self.logits(images)).await?))
    }

    /// The Fréchet distance of `images`' features (at least two) to the real set's.
    pub async fn frechet(&self, images: Tensor<4>) -> Result<f64, String> {
        let features = read_f32(self.classifier.features(images).flatten(0, 1)).await?;
        Ok(frechet_distance(&FeatureStats::of(&features, FEATURES), &self.real))
    }
}

/// The three figures for a generator at one step.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Quality {
    pub step: usize,
    /// The classifier score of the grid's 64 samples (1 to 10).
    pub score: f64,
    /// Classes the grid's confident predictions cover (0 to 10).
    pub classes: usize,
    /// Fréchet distance of [`FD_SAMPLES`] samples' features to the real set's (when measured).
    pub fd: Option<f64>,
}

/// The 64 real images, spread over a set of `count`, that the samples are shown beside.
pub fn reference_indices(count: usize) -> Vec<usize> {
    (0..GRID).map(|i| i * count / GRID).collect()
}

/// The noise the Fréchet distance's samples are made from: fixed, so that the curve follows the
/// generator and not the draw, and drawn on the host, so that measuring does not move the
/// training's random stream.
pub fn fd_noise(latent: usize) -> Vec<f32> {
    Rng::new(0xFDFD).normals(FD_SAMPLES * latent)
}

impl Judge {
    /// The classifier's view of 64 real images spread over the set: the reference the samples'
    /// score and classes are drawn beside.
    pub async fn real_reference(&self, data: &DeviceData) -> Result<Judgement, String> {
        let idx: Vec<i32> = reference_indices(data.count).into_iter().map(|i| i as i32).collect();
        let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [GRID]), &data.images.device());
        let [c, h, w] = data.shape;
        self.judge(data.images.clone().select(0, idx).reshape([GRID, c, h, w])).await
    }

    /// Judges the trainer's grid samples and, if `with_fd`, its Fréchet distance.
    pub async fn measure(&self, trainer: &Trainer, with_fd: bool) -> Result<(Quality, Judgement), String> {
        let judged = self.judge(trainer.samples()).await?;
        let fd = if with_fd { Some(self.frechet(trainer.generate_from(fd_noise(trainer.config.setup.latent))).await?) } else { None };
        Ok((Quality { step: trainer.step, score: judged.score, classes: judged.classes, fd }, judged))
    }
}

impl std::fmt::Display for Quality {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "classifier score {:.2}  classes {}/{CLASSES}", self.score, self.classes)?;
        if let Some(fd) = self.fd {
            write!(f, "  FD {fd:.2}")?;
        }
        Ok(())
    }
}

/// Which images train the classifier and which are held out: a shuffle by `seed`, the last
/// [`HELD_OUT`] held out.
pub fn split(count: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..count).collect();
    Rng::new(seed).shuffle(&mut order);
    let held = order.split_off(count.saturating_sub(HELD_OUT));
    (order, held)
}

/// Images `idx` of `data` as a `[n, 1, 28, 28]` tensor in [-1, 1], and their labels.
pub fn images(data: &Dataset, idx: &[usize], device: &Device) -> (Tensor<4>, Vec<u8>) {
    let values: Vec<f32> = idx.iter().flat_map(|&i| data.image_f32(i)).collect();
    let tensor = Tensor::from_data(TensorData::new(values, [idx.len(), data.channels, data.height, data.width]), device);
    (tensor, idx.iter().map(|&i| data.labels[i]).collect())
}

/// How the classifier is trained: Adam at `lr` (a tenth of it for the last quarter of the
/// epochs) on cross-entropy, `epochs` passes over the training split in batches of `batch`, each
/// image moved by up to `shift` pixels each way at
/// random (9,000 images are few: without it the MNIST classifier stopped at 97.7 %).
#[derive(Clone, Debug)]
pub struct ClassifierTraining {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    pub shift: usize,
    pub seed: u64,
}

impl Default for ClassifierTraining {
    fn default() -> Self {
        ClassifierTraining { epochs: 16, batch: 64, lr: 1e-3, shift: 1, seed: 1 }
    }
}

/// Image `i` of `data` (one channel) moved by (dx, dy) pixels, the uncovered border black (-1).
fn shifted_image(data: &Dataset, i: usize, dx: isize, dy: isize) -> Vec<f32> {
    let (h, w) = (data.height as isize, data.width as isize);
    let src = data.image_f32(i);
    let mut out = vec![-1.0f32; src.len()];
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = (x - dx, y - dy);
            if (0..w).contains(&sx) && (0..h).contains(&sy) {
                out[(y * w + x) as usize] = src[(sy * w + sx) as usize];
            }
        }
    }
    out
}

/// The fraction of `idx` the classifier labels correctly (batches of 500).
pub async fn accuracy(classifier: &Classifier, data: &Dataset, idx: &[usize], device: &Device) -> Result<f64, String> {
    let mut right = 0;
    for chunk in idx.chunks(500) {
        let (x, labels) = images(data, chunk, device);
        let logits = read_f32(classifier.logits(classifier.features(x)).flatten(0, 1)).await?;
        right += predictions(&probabilities(&logits)).iter().zip(&labels).filter(|((c, _), l)| c == *l).count();
    }
    Ok(right as f64 / idx.len() as f64)
}

/// Trains a classifier on `data`'s training split; `progress(epoch, loss)` after each epoch.
pub async fn train_classifier(data: &Dataset, how: &ClassifierTraining, device: &Device, mut progress: impl FnMut(usize, f32)) -> Result<Classifier, String> {
    if (data.channels, data.height, data.width) != (1, SIZE, SIZE) || data.classes != CLASSES {
        return Err(format!("the classifier reads {CLASSES} classes of 1x{SIZE}x{SIZE} images"));
    }
    device.seed(how.seed);
    let train_device = device.clone().autodiff();
    let mut model = Classifier::new(&train_device);
    let mut opt = Adam::new(0.9);
    let (train, _) = split(data.count, how.seed);
    let mut order = train.clone();
    let mut rng = Rng::new(how.seed ^ 0xC1A5);
    for epoch in 0..how.epochs {
        let lr = if epoch >= how.epochs - how.epochs / 4 { how.lr / 10.0 } else { how.lr };
        rng.shuffle(&mut order);
        let mut losses = Vec::new();
        for chunk in order.chunks_exact(how.batch) {
            let mut shift = || rng.below(2 * how.shift + 1) as isize - how.shift as isize;
            let values: Vec<f32> = chunk.iter().flat_map(|&i| shifted_image(data, i, shift(), shift())).collect();
            let x = Tensor::<4>::from_data(TensorData::new(values, [chunk.len(), 1, SIZE, SIZE]), &train_device);
            let labels: Vec<u8> = chunk.iter().map(|&i| data.labels[i]).collect();
            let one_hot: Vec<f32> = labels.iter().flat_map(|&l| (0..CLASSES).map(move |c| (c == l as usize) as u8 as f32)).collect();
            let target = Tensor::<2>::from_data(TensorData::new(one_hot, [chunk.len(), CLASSES]), &train_device);
            let logits = model.logits(model.features(x));
            let loss = -(log_softmax(logits, 1) * target).sum_dim(1).mean();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = opt.step(lr, model, grads);
            losses.push(loss.inner());
        }
        let losses = read_f32(Tensor::cat(losses, 0)).await?;
        progress(epoch + 1, losses.iter().sum::<f32>() / losses.len() as f32);
    }
    Ok(model.valid())
}

/// The real set's feature statistics (every image of `data`, batches of 500).
pub async fn real_stats(classifier: &Classifier, data: &Dataset, device: &Device) -> Result<FeatureStats, String> {
    let all: Vec<usize> = (0..data.count).collect();
    let mut rows = Vec::with_capacity(data.count * FEATURES);
    for chunk in all.chunks(500) {
        let (x, _) = images(data, chunk, device);
        rows.extend(read_f32(classifier.features(x).flatten(0, 1)).await?);
    }
    Ok(FeatureStats::of(&rows, FEATURES))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaussian(n: usize, dim: usize, shift: f32, scale: f32, seed: u64) -> Vec<f32> {
        let mut rng = Rng::new(seed);
        rng.normals(n * dim).into_iter().map(|v| v * scale + shift).collect()
    }

    #[test]
    fn frechet_distance_of_a_set_to_itself_is_zero_and_grows_with_a_shift() {
        let a = FeatureStats::of(&gaussian(400, 8, 0.0, 1.0, 1), 8);
        assert!(frechet_distance(&a, &a) < 1e-6, "{}", frechet_distance(&a, &a));
        // Shifting every feature by 2 adds |Δμ|² = 8 * 4 = 32.
        let b = FeatureStats { mean: a.mean.iter().map(|m| m + 2.0).collect(), ..a.clone() };
        assert!((frechet_distance(&a, &b) - 32.0).abs() < 1e-6, "{}", frechet_distance(&a, &b));
    }

    #[test]
    fn frechet_distance_matches_the_closed_form_for_diagonal_covariances() {
        // Σa = diag(a²), Σb = diag(b²): FD = Σ (a - b)² (means equal).
        let dim = 4;
        let (sa, sb) = ([1.0, 2.0, 0.5, 3.0], [2.0, 1.0, 0.5, 1.0]);
        let diag = |s: &[f64; 4]| {
            let mut c = vec![0.0; dim * dim];
            (0..dim).for_each(|i| c[i * dim + i] = s[i] * s[i]);
            FeatureStats { mean: vec![0.0; dim], cov: c, dim }
        };
        let want: f64 = sa.iter().zip(&sb).map(|(a, b)| (a - b) * (a - b)).sum();
        assert!((frechet_distance(&diag(&sa), &diag(&sb)) - want).abs() < 1e-9);
    }

    #[test]
    fn eigen_decomposition_rebuilds_the_matrix() {
        let rows = gaussian(50, 6, 0.3, 1.5, 4);
        let s = FeatureStats::of(&rows, 6);
        let (values, v) = symmetric_eigen(&s.cov, 6);
        for i in 0..6 {
            for j in 0..6 {
                let rebuilt: f64 = (0..6).map(|k| v[i * 6 + k] * values[k] * v[j * 6 + k]).sum();
                assert!((rebuilt - s.cov[i * 6 + j]).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn the_score_is_ten_for_confident_balanced_classes_and_one_for_a_single_class() {
        let confident: Vec<f32> = (0..50).flat_map(|i| (0..CLASSES).map(move |c| if c == i % CLASSES { 1.0 } else { 0.0 })).collect();
        assert!((classifier_score(&confident) - 10.0).abs() < 1e-9);
        let one: Vec<f32> = (0..50).flat_map(|_| (0..CLASSES).map(|c| if c == 3 { 1.0 } else { 0.0 })).collect();
        assert!((classifier_score(&one) - 1.0).abs() < 1e-9);
        let unsure = vec![0.1f32; 50 * CLASSES];
        assert!((classifier_score(&unsure) - 1.0).abs() < 1e-6);
        assert_eq!(classes_covered(&predictions(&confident)), 10);
        assert_eq!(classes_covered(&predictions(&one)), 1);
        assert_eq!(classes_covered(&predictions(&unsure)), 0);
    }
}
