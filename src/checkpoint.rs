//! GAN checkpoints: one safetensors file a PyTorch user can open
//! (`safetensors.torch.load_file`), holding
//! - `generator.<path>` and `discriminator.<path>`: every weight and BatchNorm running statistic,
//!   float32, in Burn's (= PyTorch's) layouts, e.g. `generator.ct1.weight`;
//! - `optimizer.generator.<path>.exp_avg` / `.exp_avg_sq` (and the same for the
//!   discriminator): Adam's moments, named as in PyTorch's Adam state;
//! - `fixed_noise`: the sample grid's noise vectors, so the grid continues where it was;
//! - metadata (`__metadata__`): the format and version, `settings` (the run's
//!   [`GanConfig`] as JSON), the step, epoch, Adam's step counts and the data set's shape and
//!   name. Version 1 files, which held each setting as its own entry, still resume.

use std::collections::{BTreeMap, HashMap};

use burn::prelude::*;
use burn::tensor::TensorData;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::adam::{Adam, load_named, named_tensors};
use crate::data::{DeviceData, Sampler};
use crate::fields::{Form, Settings, errors_line};
use crate::grid::GRID;
use crate::settings::{DataFit, GanConfig, GanLive, GanSetup};
use crate::train::Trainer;

pub const FORMAT: &str = "easel-gan-checkpoint";
/// 2: the settings as one JSON entry; 1: each setting its own entry.
pub const VERSION: &str = "2";
const READS: [&str; 2] = ["1", "2"];

/// Names and shapes of what [`Trainer::checkpoint_values`] returns, in its order.
pub type Layout = Vec<(String, Vec<usize>)>;

fn opt_entries(prefix: &str, opt: &Adam, shapes: &BTreeMap<String, Vec<usize>>, out: &mut Vec<(String, Vec<usize>, Tensor<1>)>) {
    for (path, m, v) in opt.moments() {
        let shape = shapes.get(&path).cloned().unwrap_or_else(|| vec![m.dims()[0]]);
        out.push((format!("{prefix}.{path}.exp_avg"), shape.clone(), m));
        out.push((format!("{prefix}.{path}.exp_avg_sq"), shape, v));
    }
}

impl Trainer {
    /// Every tensor a checkpoint holds, as one flat tensor (one read-back; async on the web)
    /// and its layout. Pass both to [`Trainer::checkpoint_bytes`].
    pub fn checkpoint_values(&self) -> (Layout, Tensor<1>) {
        let mut all = Vec::new();
        for (prefix, tensors, opt) in [("generator", named_tensors(&self.g), &self.opt_g), ("discriminator", named_tensors(&self.d), &self.opt_d)] {
            let shapes: BTreeMap<String, Vec<usize>> = tensors.iter().map(|(p, s, _)| (p.clone(), s.clone())).collect();
            for (path, shape, t) in tensors {
                all.push((format!("{prefix}.{path}"), shape, t));
            }
            opt_entries(&format!("optimizer.{prefix}"), opt, &shapes, &mut all);
        }
        let layout = all.iter().map(|(n, s, _)| (n.clone(), s.clone())).collect();
        let values = Tensor::cat(all.into_iter().map(|(_, _, t)| t).collect(), 0);
        (layout, values)
    }

    /// The checkpoint file. `values` are [`Trainer::checkpoint_values`] read back; `data_name`
    /// says what the run trained on (e.g. "mnist", "own images (120)").
    pub fn checkpoint_bytes(&self, layout: &Layout, values: &[f32], data_name: &str) -> Vec<u8> {
        let mut buffers: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
        let mut at = 0;
        for (name, shape) in layout {
            let n: usize = shape.iter().product();
            let bytes = values[at..at + n].iter().flat_map(|v| v.to_le_bytes()).collect();
            buffers.push((name.clone(), shape.clone(), bytes));
            at += n;
        }
        assert_eq!(at, values.len(), "checkpoint values do not match their layout");
        let noise = self.fixed.iter().flat_map(|v| v.to_le_bytes()).collect();
        buffers.push(("fixed_noise".into(), vec![GRID, self.config.setup.latent], noise));
        let [ch, h, w] = self.shape;
        let meta: HashMap<String, String> = [
            ("format", FORMAT.to_string()),
            ("version", VERSION.to_string()),
            ("settings", serde_json::to_string(&self.config).expect("settings serialise")),
            ("step", self.step.to_string()),
            ("epoch", self.epoch().to_string()),
            ("adam_t_generator", self.opt_g.t.to_string()),
            ("adam_t_discriminator", self.opt_d.t.to_string()),
            ("image_shape", format!("{ch}x{h}x{w}")),
            ("data", data_name.to_string()),
            ("last_d_loss", self.last_d_loss.map(|l| l.to_string()).unwrap_or_default()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let views: Vec<(String, TensorView)> = buffers
            .iter()
            .map(|(n, s, b)| (n.clone(), TensorView::new(Dtype::F32, s.clone(), b).expect("tensor view")))
            .collect();
        safetensors::serialize(views, Some(meta)).expect("serialize checkpoint")
    }
}

/// What a checkpoint says about itself besides the weights.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointInfo {
    /// The run's settings (checked on their own; [`resume`] also checks them against the data).
    pub config: GanConfig,
    pub step: usize,
    pub epoch: usize,
    /// `[channels, height, width]` of the images it trained on.
    pub shape: [usize; 3],
    /// What it trained on ("mnist", "fashion", "own images (N)").
    pub data: String,
}

fn not_ours(why: impl std::fmt::Display) -> String {
    format!("this is not an Easel GAN checkpoint ({why})")
}

/// The checkpoint's metadata, once it is known to be an Easel checkpoint of a version this Easel reads.
fn metadata(bytes: &[u8]) -> Result<HashMap<String, String>, String> {
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| match e {
        safetensors::SafeTensorError::MetadataIncompleteBuffer => {
            format!("the checkpoint file is damaged: it is cut off ({} bytes; was the download complete?)", bytes.len())
        }
        e => not_ours(format!("not a safetensors file: {e:?}")),
    })?;
    let meta = header.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(not_ours("a safetensors file without Easel's metadata, e.g. other weights"));
    }
    let version = meta.get("version").map_or("?", String::as_str);
    if !READS.contains(&version) {
        return Err(format!("this checkpoint is format version {version}, this Easel reads versions {}", READS.join(" and ")));
    }
    Ok(meta)
}

/// The settings a checkpoint holds, as the text of each field: version 2's JSON entry, or
/// version 1's entries named like the fields. A setting it lacks (one added since it was
/// written) is left out, so that it resumes with its model's default ([`GanConfig::parse`]).
fn settings_form(meta: &HashMap<String, String>) -> Result<Form, String> {
    if meta.get("version").map(String::as_str) == Some("1") {
        let names = GanSetup::FIELDS.iter().chain(GanLive::FIELDS).map(|f| f.name);
        return Ok(names.filter_map(|k| meta.get(k).map(|v| (k.to_string(), v.clone()))).collect());
    }
    let json = meta.get("settings").ok_or("the checkpoint has no 'settings' entry")?;
    let unreadable = |e: serde_json::Error| format!("the checkpoint's settings are unreadable ({e})");
    let value: serde_json::Value = serde_json::from_str(json).map_err(unreadable)?;
    let config: GanConfig = serde_json::from_value(value.clone()).map_err(unreadable)?;
    let given = |k: &str| ["setup", "live"].iter().any(|part| value[part].get(k).is_some());
    Ok(config.to_form().into_iter().filter(|(k, _)| given(k)).collect())
}

fn info_from(meta: &HashMap<String, String>) -> Result<CheckpointInfo, String> {
    let get = |k: &str| meta.get(k).cloned().ok_or_else(|| format!("the checkpoint has no '{k}' entry"));
    let num = |k: &str| get(k)?.parse::<usize>().map_err(|_| format!("the checkpoint's '{k}' is not a number"));
    let shape: Vec<usize> = get("image_shape")?.split('x').filter_map(|v| v.parse().ok()).collect();
    let shape: [usize; 3] = shape.try_into().map_err(|_| "the checkpoint's image shape is unreadable".to_string())?;
    let config = GanConfig::parse(&settings_form(meta)?, None)
        .map_err(|errs| format!("the checkpoint's settings are out of range ({})", errors_line(&errs)))?;
    Ok(CheckpointInfo {
        config,
        step: num("step")?,
        epoch: num("epoch")?,
        shape,
        data: get("data")?,
    })
}

/// Reads a checkpoint's settings and what it trained on, without loading weights.
pub fn read_info(bytes: &[u8]) -> Result<CheckpointInfo, String> {
    info_from(&metadata(bytes)?)
}

/// Resumes a run from a checkpoint on the data set `data` (which must have the checkpoint's
/// image shape). Every problem is a sentence for the page.
pub fn resume(bytes: &[u8], data: DeviceData, device: &Device) -> Result<(Trainer, CheckpointInfo), String> {
    let meta = metadata(bytes)?;
    let info = info_from(&meta)?;
    let [c, h, w] = info.shape;
    if info.shape != data.shape {
        let [dc, dh, dw] = data.shape;
        return Err(format!(
            "this checkpoint was trained on {c}x{h}x{w} images ({}); the loaded data set has {dc}x{dh}x{dw} images: load matching data first",
            info.data
        ));
    }
    let misfits = info.config.setup.misfits(DataFit { shape: data.shape, count: data.count });
    if !misfits.is_empty() {
        return Err(format!("the checkpoint's settings do not fit the loaded data ({})", errors_line(&misfits)));
    }
    let config = info.config.clone();
    let meta_num = |k: &str| -> u64 { meta.get(k).and_then(|v| v.parse().ok()).unwrap_or(0) };
    let st = SafeTensors::deserialize(bytes).map_err(|e| format!("the checkpoint file is damaged ({e:?})"))?;
    let mut tensors: BTreeMap<String, (Vec<usize>, Vec<f32>)> = BTreeMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(format!("tensor {name} is {:?}, Easel checkpoints hold float32", view.dtype()));
        }
        let values = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        tensors.insert(name, (view.shape().to_vec(), values));
    }
    let mut take = |prefix: &str| -> BTreeMap<String, (Vec<usize>, Vec<f32>)> {
        let keys: Vec<String> = tensors.keys().filter(|k| k.starts_with(prefix)).cloned().collect();
        keys.into_iter().map(|k| {
            let v = tensors.remove(&k).unwrap();
            (k[prefix.len()..].to_string(), v)
        }).collect()
    };
    let seed = config.setup.seed;
    let mut t = Trainer::with_data(config, data, device);
    let plain = device.clone().inner();
    for (which, g) in [("generator", true), ("discriminator", false)] {
        let mut weights = take(&format!("{which}."));
        if g {
            t.g = load_named(t.g, &mut weights).map_err(|e| format!("the {which} does not fit: {e}"))?;
        } else {
            t.d = load_named(t.d, &mut weights).map_err(|e| format!("the {which} does not fit: {e}"))?;
        }
        if let Some(extra) = weights.keys().next() {
            return Err(format!("the {which} does not fit: the checkpoint has a tensor {extra} this model lacks"));
        }
        let mut moments = take(&format!("optimizer.{which}."));
        let mut opt = Adam::new(t.config.setup.beta1);
        opt.t = meta_num(&format!("adam_t_{which}"));
        let paths: Vec<String> = moments.keys().filter_map(|k| k.strip_suffix(".exp_avg").map(str::to_string)).collect();
        for path in paths {
            let m = moments.remove(&format!("{path}.exp_avg")).unwrap();
            let v = moments.remove(&format!("{path}.exp_avg_sq")).ok_or_else(|| format!("the {which}'s optimizer state lacks {path}.exp_avg_sq"))?;
            let flat = |(_, x): (Vec<usize>, Vec<f32>)| {
                let n = x.len();
                Tensor::<1>::from_data(TensorData::new(x, [n]), &plain)
            };
            opt.set_moments(path, flat(m), flat(v));
        }
        if g { t.opt_g = opt } else { t.opt_d = opt }
    }
    let (shape, noise) = tensors.remove("fixed_noise").ok_or("the checkpoint has no fixed_noise tensor")?;
    let latent = t.config.setup.latent;
    if shape != [GRID, latent] {
        return Err(format!("the checkpoint's fixed_noise is {shape:?}, expected [{GRID}, {latent}]"));
    }
    t.set_fixed(noise);
    t.step = info.step;
    t.sampler = Sampler::new(t.sampler.order_len(), t.config.setup.batch_size, seed ^ info.step as u64);
    t.sampler.epoch = info.epoch;
    t.last_d_loss = meta.get("last_d_loss").and_then(|v| v.parse().ok());
    t.keep();
    Ok((t, info))
}
