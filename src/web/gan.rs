//! The GAN tab's calls: built-in data sets, settings, training, samples, checkpoints.

use std::rc::Rc;

use burn::prelude::Tensor;
use js_sys::{Float32Array, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::{Session, State, TIMELAPSE_FRAMES, form, js_err, rgba_object, set, to_js};
use crate::checkpoint::{CheckpointInfo, read_info, resume};
use crate::data::{Dataset, DeviceData};
use crate::fields;
use crate::grid::{GAP, GRID, GRID_COLS, Timelapse, tile_rgba};
use crate::images::diversity;
use crate::model::ModelKind;
use crate::quality::{self, Judge, Judgement};
use crate::settings::{DataFit, GanConfig, GanLive};
use crate::train::{Trainer, read_f32};

const NO_RUN: &str = "no training run is configured";

/// `{count, channels, height, width, realDiversity, model, fits}`; `model` is the default model
/// for this shape, which the page selects unless its current choice is among those that `fits`.
pub(super) fn data_info(d: &DeviceData) -> Object {
    let info = Object::new();
    set(&info, "count", d.count as u32);
    set(&info, "channels", d.shape[0] as u32);
    set(&info, "height", d.shape[1] as u32);
    set(&info, "width", d.shape[2] as u32);
    set(&info, "realDiversity", d.real_diversity);
    set(&info, "model", ModelKind::default_for(d.shape).name());
    let fits: Vec<&str> = ModelKind::ALL.iter().filter(|k| k.check_shape(d.shape).is_ok()).map(|k| k.name()).collect();
    set(&info, "fits", to_js(&fits));
    info
}

fn info_object(info: &CheckpointInfo) -> JsValue {
    let o = Object::new();
    set(&o, "settings", to_js(&info.config.to_form()));
    set(&o, "step", info.step as u32);
    set(&o, "epoch", info.epoch as u32);
    set(&o, "data", info.data.as_str());
    let [c, h, w] = info.shape;
    set(&o, "channels", c as u32);
    set(&o, "height", h as u32);
    set(&o, "width", w as u32);
    o.into()
}

impl State {
    fn fit(&self) -> Option<DataFit> {
        self.data.as_ref().map(|d| DataFit { shape: d.shape, count: d.count })
    }

    /// Makes `data` the data set every new run trains on (the current run ends).
    pub(super) fn use_data(&mut self, data: &Dataset, name: String) -> Object {
        self.trainer = None;
        self.judge = None;
        let d = data.to_device(&self.device);
        let info = data_info(&d);
        // The file of the classifier that judges this set's samples, if it has one.
        set(&info, "classifier", quality::classifier_file(&name).map(JsValue::from).unwrap_or(JsValue::NULL));
        self.data = Some(d);
        self.data_name = name;
        info
    }
}

#[wasm_bindgen]
impl Session {
    /// Loads a data set file (`*.easelds.gz`) named `name`. Returns `{count, channels, height,
    /// width, realDiversity, model}`.
    #[wasm_bindgen(js_name = loadDataset)]
    pub fn load_dataset(&self, bytes: &[u8], name: &str) -> Result<JsValue, JsValue> {
        let data = Dataset::from_gz_bytes(bytes).map_err(js_err)?;
        Ok(self.state.borrow_mut().use_data(&data, name.to_string()).into())
    }

    /// Loads the classifier file for the loaded built-in data set (`loadDataset` names it).
    /// Resolves to `{realScore, realClasses, accuracy, classNames}`: what it makes of 64 real
    /// images, its held-out accuracy, and the names of the classes.
    #[wasm_bindgen(js_name = loadClassifier)]
    pub fn load_classifier(&self, bytes: Vec<u8>) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (data, device) = {
                let st = state.borrow();
                (st.data.clone().ok_or_else(|| js_err("no data set is loaded yet"))?, st.device.clone())
            };
            let judge = Judge::from_bytes(&bytes, &device).map_err(js_err)?;
            let real = judge.real_reference(&data).await.map_err(js_err)?;
            let out = Object::new();
            set(&out, "realScore", real.score);
            set(&out, "realClasses", real.classes as u32);
            set(&out, "accuracy", judge.meta.get("held_out_accuracy").and_then(|a| a.parse::<f64>().ok()).unwrap_or(f64::NAN));
            let mut st = state.borrow_mut();
            set(&out, "classNames", to_js(&quality::class_names(&st.data_name)));
            st.real_quality = (real.score, real.classes);
            st.judge = Some(Rc::new(judge));
            Ok(out.into())
        })
    }

    /// The Fréchet distance of the generator's samples (`quality::FD_SAMPLES` from fixed noise)
    /// to the real set, through the classifier: `{step, fd}`.
    pub fn frechet(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (judge, images, step) = {
                let st = state.borrow();
                let t = st.trainer.as_ref().ok_or_else(|| js_err(NO_RUN))?;
                let judge = st.judge.clone().ok_or_else(|| js_err("no classifier for this data set"))?;
                (judge, t.generate_from(quality::fd_noise(t.config.setup.latent)), t.step)
            };
            let fd = judge.frechet(images).await.map_err(js_err)?;
            let out = Object::new();
            set(&out, "step", step as u32);
            set(&out, "fd", fd);
            Ok(out.into())
        })
    }

    /// Checks the GAN settings form (and, once data is loaded, that the run fits it); returns
    /// `[{field, message}]`, empty when valid.
    pub fn validate(&self, values: JsValue) -> Result<JsValue, JsValue> {
        let fit = self.state.borrow().fit();
        Ok(to_js(&GanConfig::parse(&form(&values)?, fit).err().unwrap_or_default()))
    }

    /// Checks the settings and, if all are valid, starts a fresh training run.
    /// Returns `{ok: true, batchesPerEpoch}` or `{ok: false, errors: [{field, message}]}`.
    pub fn configure(&self, values: JsValue) -> Result<JsValue, JsValue> {
        let form = form(&values)?;
        let mut st = self.state.borrow_mut();
        let data = st.data.clone().ok_or_else(|| js_err("no data set is loaded yet"))?;
        let out = Object::new();
        match GanConfig::parse(&form, st.fit()) {
            Ok(config) => {
                let trainer = Trainer::with_data(config, data, &st.device);
                set(&out, "ok", true);
                set(&out, "batchesPerEpoch", trainer.sampler.batches_per_epoch() as u32);
                st.trainer = Some(trainer);
                st.timelapse = Timelapse::new(TIMELAPSE_FRAMES);
            }
            Err(errors) => {
                set(&out, "ok", false);
                set(&out, "errors", to_js(&errors));
            }
        }
        Ok(out.into())
    }

    /// Changes what may change while training (the [`GanLive`] fields of the form); returns
    /// the refused fields (empty: applied).
    #[wasm_bindgen(js_name = setLive)]
    pub fn set_live(&self, values: JsValue) -> Result<JsValue, JsValue> {
        let form = form(&values)?;
        let mut st = self.state.borrow_mut();
        let t = st.trainer.as_mut().ok_or_else(|| js_err(NO_RUN))?;
        let errors = match fields::parse::<GanLive>(&form) {
            Ok(live) => {
                t.set_live(live);
                Vec::new()
            }
            Err(errors) => errors,
        };
        Ok(to_js(&errors))
    }

    /// Runs `steps` iterations ([`Trainer::run_chunk`]). Resolves to `{stats: [{d_loss,
    /// g_loss, d_real, d_fake, d_skipped}], step, epoch, epochProgress}`, and `diverged: {step,
    /// what, value, good_step, lr_g, lr_d, message}` if a step's figures stopped being finite
    /// (the stats end before it; no step runs until [`Session::go_back`]).
    pub fn train(&self, steps: u32) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            // Out of the state while it runs, so that nothing else can borrow it across the wait.
            let mut t = state.borrow_mut().trainer.take().ok_or_else(|| js_err(NO_RUN))?;
            let stats = t.run_chunk(steps as usize).await;
            let out = Object::new();
            // The last step the statistics show (a diverged chunk's end before its bad step).
            set(&out, "step", t.diverged.as_ref().map_or(t.step, |d| d.step - 1) as u32);
            set(&out, "epoch", t.epoch() as u32);
            set(&out, "epochProgress", t.epoch_progress());
            if let Some(d) = &t.diverged {
                let o: Object = to_js(d).unchecked_into();
                set(&o, "message", d.message());
                set(&out, "diverged", o);
            }
            state.borrow_mut().trainer = Some(t);
            set(&out, "stats", to_js(&stats.map_err(js_err)?));
            Ok(out.into())
        })
    }

    /// Goes back to the last good state the run kept in memory ([`Trainer::go_back`]); returns
    /// its step.
    #[wasm_bindgen(js_name = goBack)]
    pub fn go_back(&self) -> Result<u32, JsValue> {
        let mut st = self.state.borrow_mut();
        let step = st.trainer.as_mut().ok_or_else(|| js_err(NO_RUN))?.go_back();
        st.timelapse.forget_after(step);
        Ok(step as u32)
    }

    /// The 8x8 grid of samples from the fixed noise batch: `{width, height, rgba, tile, gap,
    /// cols, step, averagedOver, diversity, realDiversity}` (averagedOver: the steps G's weights
    /// are averaged over for them, 0 = G's; diversity: the mode-collapse meter), and with a
    /// classifier loaded `quality: {score, classes, realScore, realClasses}` and per sample
    /// `classes` (Uint8Array) and `confidences` (Float32Array).
    pub fn samples(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (tensor, step, averaged, real, judge, real_quality) = {
                let st = state.borrow();
                let t = st.trainer.as_ref().ok_or_else(|| js_err(NO_RUN))?;
                (t.samples(), t.step, t.averaged_over(), t.real_diversity, st.judge.clone(), st.real_quality)
            };
            let [_, channels, size, _] = tensor.dims();
            // The grid and, with a classifier, its logits: one read-back.
            let grid = tensor.clone().flatten(0, 3);
            let grid_len = grid.dims()[0];
            let both = match &judge {
                Some(j) => Tensor::cat(vec![grid, j.logits(tensor)], 0),
                None => grid,
            };
            let mut values = read_f32(both).await.map_err(js_err)?;
            let judged = judge.map(|_| Judgement::from_logits(&values.split_off(grid_len)));
            let (w, h, rgba) = tile_rgba(&values, GRID, channels, size, GRID_COLS);
            state.borrow_mut().timelapse.offer(step, w, h, &rgba);
            let out = rgba_object(w, h, &rgba);
            let o: &Object = out.unchecked_ref();
            set(o, "tile", size as u32);
            set(o, "gap", GAP as u32);
            set(o, "cols", GRID_COLS as u32);
            set(o, "step", step as u32);
            set(o, "averagedOver", averaged as u32);
            set(o, "diversity", diversity(&values, GRID));
            set(o, "realDiversity", real);
            if let Some(j) = judged {
                let q = Object::new();
                set(&q, "score", j.score);
                set(&q, "classes", j.classes as u32);
                set(&q, "realScore", real_quality.0);
                set(&q, "realClasses", real_quality.1 as u32);
                set(o, "quality", q);
                let classes: Vec<u8> = j.predictions.iter().map(|p| p.0).collect();
                let confidences: Vec<f32> = j.predictions.iter().map(|p| p.1).collect();
                set(o, "classes", Uint8Array::from(&classes[..]));
                set(o, "confidences", Float32Array::from(&confidences[..]));
            }
            Ok(out)
        })
    }

    /// `steps` images from grid sample `a` to grid sample `b` (spherical interpolation of
    /// their noise), as one strip `{width, height, rgba}`.
    pub fn interpolate(&self, a: u32, b: u32, steps: u32) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (a, b, steps) = (a as usize, b as usize, steps.clamp(2, 16) as usize);
            if a >= GRID || b >= GRID {
                return Err(js_err(format!("samples are numbered 0 to {}", GRID - 1)));
            }
            let tensor = state.borrow().trainer.as_ref().ok_or_else(|| js_err(NO_RUN))?.interpolate(a, b, steps);
            let [_, c, h, _] = tensor.dims();
            let values = read_f32(tensor.flatten(0, 3)).await.map_err(js_err)?;
            let (w, hh, rgba) = tile_rgba(&values, steps, c, h, steps);
            Ok(rgba_object(w, hh, &rgba))
        })
    }

    /// New noise for grid sample `i`.
    pub fn resample(&self, i: u32) -> Result<(), JsValue> {
        if i as usize >= GRID {
            return Err(js_err(format!("samples are numbered 0 to {}", GRID - 1)));
        }
        let mut st = self.state.borrow_mut();
        st.trainer.as_mut().ok_or_else(|| js_err(NO_RUN))?.resample(i as usize);
        Ok(())
    }

    /// The run as a checkpoint file (safetensors): resolves to a Uint8Array.
    pub fn checkpoint(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (layout, tensor) = state.borrow().trainer.as_ref().ok_or_else(|| js_err("no training run to save"))?.checkpoint_values();
            let values = read_f32(tensor).await.map_err(js_err)?;
            let st = state.borrow();
            let t = st.trainer.as_ref().ok_or_else(|| js_err("no training run to save"))?;
            let bytes = t.checkpoint_bytes(&layout, &values, &st.data_name);
            Ok(Uint8Array::from(bytes.as_slice()).into())
        })
    }

    /// What a checkpoint file holds, without loading it: `{settings: {field: text}, step,
    /// epoch, data, channels, height, width}`; throws with the reason if the file is not a
    /// usable checkpoint.
    #[wasm_bindgen(js_name = checkpointInfo)]
    pub fn checkpoint_info(&self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        Ok(info_object(&read_info(bytes).map_err(js_err)?))
    }

    /// Resumes the run saved in a checkpoint on the loaded data (which must have the same image
    /// shape): returns what [`Session::checkpoint_info`] returns plus `batchesPerEpoch`; throws
    /// with the reason, leaving the current run as it was.
    pub fn resume(&self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        let mut st = self.state.borrow_mut();
        let data = st.data.clone().ok_or_else(|| js_err("no data set is loaded yet"))?;
        let (trainer, info) = resume(bytes, data, &st.device).map_err(js_err)?;
        let out = info_object(&info);
        set(out.unchecked_ref(), "batchesPerEpoch", trainer.sampler.batches_per_epoch() as u32);
        st.trainer = Some(trainer);
        st.timelapse = Timelapse::new(TIMELAPSE_FRAMES);
        Ok(out)
    }

    /// The fixed-noise grid over training as an animated GIF (Uint8Array).
    pub fn timelapse(&self) -> Result<Uint8Array, JsValue> {
        let gif = self.state.borrow().timelapse.gif(120).map_err(js_err)?;
        Ok(Uint8Array::from(gif.as_slice()))
    }
}
