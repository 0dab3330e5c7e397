//! The wasm layer: translates between the page's worker (www/worker.js) and the Rust code.
//! No model or training logic lives here.

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::*;
use js_sys::{Array, Float32Array, Object, Promise, Reflect, Uint8ClampedArray};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::checkpoint::{CheckpointInfo, read_info, resume};
use crate::data::{Dataset, DeviceData};
use crate::grid::{GAP, Timelapse, tile_rgba};
use crate::images::{ImageSet, diversity, refuse_by_size};
use crate::photo::{self, Rgb};
use crate::style::{SIZES, Stylizer, Vgg, parse_style_config, planar_to_rgba};
use crate::train::{ConfigInput, FieldError, GRID, Trainer, parse_config};

/// Frames kept for the timelapse GIF.
const TIMELAPSE_FRAMES: usize = 60;

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    Reflect::set(obj, &JsValue::from_str(key), &value.into()).expect("set property");
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsError::new(&e.to_string()).into()
}

/// Whether `navigator.gpu` exists in this global scope (window or worker).
fn has_webgpu() -> bool {
    let global = js_sys::global();
    Reflect::get(&global, &"navigator".into())
        .and_then(|nav| Reflect::get(&nav, &"gpu".into()))
        .map(|gpu| !gpu.is_undefined() && !gpu.is_null())
        .unwrap_or(false)
}

fn errors_to_js(errors: Vec<FieldError>) -> Array {
    let list = Array::new();
    for e in errors {
        let o = Object::new();
        set(&o, "field", e.field);
        set(&o, "message", e.message);
        list.push(&o);
    }
    list
}

struct State {
    device: Device,
    /// The loaded data set, uploaded once and shared by every run, and its name.
    data: Option<DeviceData>,
    data_name: String,
    /// The user's own images being collected.
    images: Option<ImageSet>,
    trainer: Option<Trainer>,
    timelapse: Timelapse,
    /// Style transfer: the feature network (autodiff device), the two images, the run.
    vgg: Option<Vgg>,
    content: Option<Rgb>,
    style: Option<Rgb>,
    stylizer: Option<Stylizer>,
}

fn rgba_object(width: usize, height: usize, rgba: &[u8]) -> JsValue {
    let out = Object::new();
    set(&out, "width", width as u32);
    set(&out, "height", height as u32);
    set(&out, "rgba", Uint8ClampedArray::from(rgba));
    out.into()
}

/// The settings object the page sends (`{model, batch_size, ..., flip}`) as typed.
fn config_input(v: &JsValue) -> ConfigInput {
    let text = |k: &str| Reflect::get(v, &k.into()).ok().and_then(|x| x.as_string()).unwrap_or_default();
    let d = ConfigInput::default();
    let or = |k: &str, def: String| {
        let t = text(k);
        if Reflect::has(v, &k.into()).unwrap_or(false) { t } else { def }
    };
    ConfigInput {
        model: or("model", d.model),
        batch_size: or("batch_size", d.batch_size),
        latent: or("latent", d.latent),
        lr_g: or("lr_g", d.lr_g),
        lr_d: or("lr_d", d.lr_d),
        beta1: or("beta1", d.beta1),
        loss: or("loss", d.loss),
        real_label: or("real_label", d.real_label),
        d_steps: or("d_steps", d.d_steps),
        skip_d_below: or("skip_d_below", d.skip_d_below),
        flip: Reflect::get(v, &"flip".into()).ok().and_then(|x| x.as_bool()).unwrap_or(false),
    }
}

fn info_object(info: &CheckpointInfo) -> JsValue {
    let o = Object::new();
    let i = &info.input;
    let settings = Object::new();
    for (k, v) in [
        ("model", &i.model),
        ("batch_size", &i.batch_size),
        ("latent", &i.latent),
        ("lr_g", &i.lr_g),
        ("lr_d", &i.lr_d),
        ("beta1", &i.beta1),
        ("loss", &i.loss),
        ("real_label", &i.real_label),
        ("d_steps", &i.d_steps),
        ("skip_d_below", &i.skip_d_below),
    ] {
        set(&settings, k, v.as_str());
    }
    set(&settings, "flip", i.flip);
    set(&o, "settings", settings);
    set(&o, "step", info.step as u32);
    set(&o, "epoch", info.epoch as u32);
    set(&o, "data", info.data.as_str());
    let [c, h, w] = info.shape;
    set(&o, "channels", c as u32);
    set(&o, "height", h as u32);
    set(&o, "width", w as u32);
    o.into()
}

fn data_info(d: &DeviceData) -> Object {
    let info = Object::new();
    set(&info, "count", d.count as u32);
    set(&info, "channels", d.shape[0] as u32);
    set(&info, "height", d.shape[1] as u32);
    set(&info, "width", d.shape[2] as u32);
    set(&info, "realDiversity", d.real_diversity);
    // The DCGAN made for this shape, which the page selects.
    set(&info, "model", crate::model::ModelKind::dcgan_for(d.shape).unwrap_or(crate::model::ModelKind::Dense).name());
    info
}

async fn read_f32(t: Tensor<1>) -> Result<Vec<f32>, JsValue> {
    t.into_data_async().await.map_err(js_err)?.try_to_vec::<f32>().map_err(|e| js_err(format!("{e:?}")))
}

/// One page's training session: a device, a data set and (once configured) a trainer.
#[wasm_bindgen]
pub struct Session {
    state: Rc<RefCell<State>>,
    backend: String,
    note: String,
}

#[wasm_bindgen]
impl Session {
    /// Opens WebGPU unless `force_cpu`; where WebGPU is missing or fails, falls back to Burn's
    /// CPU backend (flex) compiled to wasm and says why in `note`.
    pub async fn open(force_cpu: bool) -> Session {
        console_error_panic_hook::set_once();
        let (device, backend, note) = if force_cpu {
            (Device::flex(), "CPU", "CPU backend chosen by the page (?backend=cpu).".to_string())
        } else if !has_webgpu() {
            (Device::flex(), "CPU", "This browser has no WebGPU (navigator.gpu is missing), so training runs on the CPU in wasm: expect it to be far slower.".to_string())
        } else {
            match Device::wgpu_options().init_async().await {
                Ok(device) => (device, "WebGPU", String::new()),
                Err(e) => (
                    Device::flex(),
                    "CPU",
                    format!("This browser has WebGPU but gave Easel no usable GPU adapter, so training runs on the CPU in wasm: expect it to be far slower. (Details: {e})"),
                ),
            }
        };
        Session {
            state: Rc::new(RefCell::new(State {
                device,
                data: None,
                data_name: String::new(),
                images: None,
                trainer: None,
                timelapse: Timelapse::new(TIMELAPSE_FRAMES),
                vgg: None,
                content: None,
                style: None,
                stylizer: None,
            })),
            backend: backend.to_string(),
            note,
        }
    }

    /// "WebGPU" or "CPU".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.clone()
    }

    /// Why the CPU backend is in use, or empty.
    #[wasm_bindgen(getter)]
    pub fn note(&self) -> String {
        self.note.clone()
    }

    /// Loads a data set file (`*.easelds.gz`) named `name`. Returns `{count, channels, height,
    /// width, realDiversity}`.
    #[wasm_bindgen(js_name = loadDataset)]
    pub fn load_dataset(&self, bytes: &[u8], name: &str) -> Result<JsValue, JsValue> {
        let data = Dataset::from_gz_bytes(bytes).map_err(js_err)?;
        let mut st = self.state.borrow_mut();
        st.trainer = None;
        let d = data.to_device(&st.device);
        let info = data_info(&d);
        st.data = Some(d);
        st.data_name = name.to_string();
        Ok(info.into())
    }

    /// Starts (or restarts) collecting the user's images at `size` px (32 or 64).
    #[wasm_bindgen(js_name = imagesClear)]
    pub fn images_clear(&self, size: u32) -> Result<(), JsValue> {
        self.state.borrow_mut().images = Some(ImageSet::new(size as usize).map_err(js_err)?);
        Ok(())
    }

    /// Why a file of `len` bytes is refused before reading it, or undefined.
    #[wasm_bindgen(js_name = imagesRefuseSize)]
    pub fn images_refuse_size(&self, len: f64) -> Option<String> {
        refuse_by_size(len.min(usize::MAX as f64) as usize)
    }

    /// Adds one file to the images being collected: undefined if taken, else why not.
    #[wasm_bindgen(js_name = imagesAdd)]
    pub fn images_add(&self, name: &str, bytes: &[u8]) -> Result<Option<String>, JsValue> {
        let mut st = self.state.borrow_mut();
        let set = st.images.as_mut().ok_or_else(|| js_err("choose an image size first"))?;
        Ok(set.add(name, bytes).err())
    }

    /// Records a file refused without reading it.
    #[wasm_bindgen(js_name = imagesSkip)]
    pub fn images_skip(&self, name: &str, why: String) -> Result<(), JsValue> {
        let mut st = self.state.borrow_mut();
        st.images.as_mut().ok_or_else(|| js_err("choose an image size first"))?.skip(name, why);
        Ok(())
    }

    /// Makes the collected images the data set: `{ok: true, count, channels, height, width,
    /// realDiversity, model, name, skipped: [{name, why}], preview: {width, height, rgba}}`, or
    /// `{ok: false, message, count, skipped}` when too few images are usable (the images
    /// collected so far are kept, more can be added).
    #[wasm_bindgen(js_name = imagesFinish)]
    pub fn images_finish(&self) -> Result<JsValue, JsValue> {
        let mut st = self.state.borrow_mut();
        let images = st.images.as_ref().ok_or_else(|| js_err("no images were added"))?;
        let skipped = Array::new();
        for (name, why) in &images.skipped {
            let o = Object::new();
            set(&o, "name", name.as_str());
            set(&o, "why", why.as_str());
            skipped.push(&o);
        }
        let data = match images.to_dataset() {
            Ok(d) => d,
            Err(e) => {
                let out = Object::new();
                set(&out, "ok", false);
                set(&out, "message", e);
                set(&out, "count", images.len() as u32);
                set(&out, "skipped", skipped);
                return Ok(out.into());
            }
        };
        let n = data.count.min(GRID);
        let preview: Vec<f32> = (0..n).flat_map(|i| data.image_f32(i)).collect();
        let (w, h, rgba) = tile_rgba(&preview, n, 3, data.height, 8);
        let name = format!("own images ({})", data.count);
        st.trainer = None;
        let d = data.to_device(&st.device);
        let info = data_info(&d);
        set(&info, "ok", true);
        set(&info, "skipped", skipped);
        set(&info, "preview", rgba_object(w, h, &rgba));
        set(&info, "name", name.as_str());
        st.data = Some(d);
        st.data_name = name;
        Ok(info.into())
    }

    fn shape_and_count(&self) -> (Option<[usize; 3]>, usize) {
        let st = self.state.borrow();
        (st.data.as_ref().map(|d| d.shape), st.data.as_ref().map_or(usize::MAX, |d| d.count))
    }

    /// Checks the settings object as typed; returns `[{field, message}]` (empty when valid).
    pub fn validate(&self, values: JsValue) -> Array {
        let (shape, count) = self.shape_and_count();
        match parse_config(&config_input(&values), shape, count) {
            Ok(_) => Array::new(),
            Err(errors) => errors_to_js(errors),
        }
    }

    /// Checks the settings and, if all are valid, starts a fresh training run.
    /// Returns `{ok: true, batchesPerEpoch}` or `{ok: false, errors: [{field, message}]}`.
    pub fn configure(&self, values: JsValue) -> Result<JsValue, JsValue> {
        let mut st = self.state.borrow_mut();
        let Some(data) = st.data.clone() else {
            return Err(js_err("no data set is loaded yet"));
        };
        let out = Object::new();
        match parse_config(&config_input(&values), Some(data.shape), data.count) {
            Ok(config) => {
                let trainer = Trainer::with_data(config, data, &st.device);
                set(&out, "ok", true);
                set(&out, "batchesPerEpoch", trainer.sampler.batches_per_epoch() as u32);
                st.trainer = Some(trainer);
                st.timelapse = Timelapse::new(TIMELAPSE_FRAMES);
            }
            Err(errors) => {
                set(&out, "ok", false);
                set(&out, "errors", errors_to_js(errors));
            }
        }
        Ok(out.into())
    }

    /// Changes what may change while training (learning rates, real label, D steps per G step,
    /// skip threshold) from the settings object; returns the refused fields (empty: applied).
    #[wasm_bindgen(js_name = setLive)]
    pub fn set_live(&self, values: JsValue) -> Result<Array, JsValue> {
        let (shape, count) = self.shape_and_count();
        let mut st = self.state.borrow_mut();
        let t = st.trainer.as_mut().ok_or_else(|| js_err("no training run is configured"))?;
        let mut input = config_input(&values);
        // The run's shape stays as it began; only the live fields are taken.
        input.model = t.config.model.name().to_string();
        input.batch_size = t.config.batch_size.to_string();
        input.latent = t.config.latent.to_string();
        match parse_config(&input, shape, count) {
            Ok(c) => {
                t.set_live(&c);
                Ok(Array::new())
            }
            Err(errors) => Ok(errors_to_js(errors)),
        }
    }

    /// Runs `steps` iterations, then reads their statistics back in one transfer (each step's
    /// when the skip trick needs D's last loss). Resolves to `{stats: Float32Array(steps*5),
    /// step, epoch, epochProgress}`.
    pub fn train(&self, steps: u32) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let mut values = Vec::new();
            let mut left = steps;
            while left > 0 {
                let stats = {
                    let mut st = state.borrow_mut();
                    let t = st.trainer.as_mut().ok_or_else(|| js_err("no training run is configured"))?;
                    let n = if t.needs_feedback() { 1 } else { left };
                    for _ in 0..n {
                        t.train_step();
                    }
                    left -= n;
                    t.take_stats()
                };
                if let Some(s) = stats {
                    let v = read_f32(s).await?;
                    if let Some(t) = state.borrow_mut().trainer.as_mut() {
                        t.note_stats(&v);
                    }
                    values.extend(v);
                }
            }
            let st = state.borrow();
            let t = st.trainer.as_ref().ok_or_else(|| js_err("no training run is configured"))?;
            let out = Object::new();
            set(&out, "stats", Float32Array::from(values.as_slice()));
            set(&out, "step", t.step as u32);
            set(&out, "epoch", t.epoch() as u32);
            set(&out, "epochProgress", t.epoch_progress());
            Ok(out.into())
        })
    }

    /// The 8x8 grid of samples from the fixed noise batch: `{width, height, rgba, tile, gap,
    /// step, diversity, realDiversity}` (diversity: the mode-collapse meter).
    pub fn samples(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (tensor, channels, size, step, real) = {
                let st = state.borrow();
                let t = st.trainer.as_ref().ok_or_else(|| js_err("no training run is configured"))?;
                let s = t.samples();
                let [_, c, h, _] = s.dims();
                (s, c, h, t.step, t.real_diversity)
            };
            let values = read_f32(tensor.flatten(0, 3)).await?;
            let (w, h, rgba) = tile_rgba(&values, GRID, channels, size, 8);
            state.borrow_mut().timelapse.offer(step, w, h, &rgba);
            let out = rgba_object(w, h, &rgba);
            let o: &Object = out.unchecked_ref();
            set(o, "tile", size as u32);
            set(o, "gap", GAP as u32);
            set(o, "step", step as u32);
            set(o, "diversity", diversity(&values, GRID));
            set(o, "realDiversity", real);
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
            let tensor = {
                let st = state.borrow();
                st.trainer.as_ref().ok_or_else(|| js_err("no training run is configured"))?.interpolate(a, b, steps)
            };
            let [_, c, h, _] = tensor.dims();
            let values = read_f32(tensor.flatten(0, 3)).await?;
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
        st.trainer.as_mut().ok_or_else(|| js_err("no training run is configured"))?.resample(i as usize);
        Ok(())
    }

    /// The run as a checkpoint file (safetensors): resolves to a Uint8Array.
    pub fn checkpoint(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (layout, tensor) = {
                let st = state.borrow();
                st.trainer.as_ref().ok_or_else(|| js_err("no training run to save"))?.checkpoint_values()
            };
            let values = read_f32(tensor).await?;
            let st = state.borrow();
            let t = st.trainer.as_ref().ok_or_else(|| js_err("no training run to save"))?;
            let bytes = t.checkpoint_bytes(&layout, &values, &st.data_name);
            Ok(js_sys::Uint8Array::from(bytes.as_slice()).into())
        })
    }

    /// What a checkpoint file holds (settings, step, data shape and name), without loading it:
    /// `{settings, step, epoch, data, channels, height, width}`; throws with the reason if the
    /// file is not a usable checkpoint.
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
    pub fn timelapse(&self) -> Result<js_sys::Uint8Array, JsValue> {
        let gif = self.state.borrow().timelapse.gif(120).map_err(js_err)?;
        Ok(js_sys::Uint8Array::from(gif.as_slice()))
    }

    /// Whether the style feature network is loaded.
    #[wasm_bindgen(getter, js_name = hasVgg)]
    pub fn has_vgg(&self) -> bool {
        self.state.borrow().vgg.is_some()
    }

    /// Loads the shipped `vgg16.safetensors`.
    #[wasm_bindgen(js_name = loadVgg)]
    pub fn load_vgg(&self, bytes: Vec<u8>) -> Result<(), JsValue> {
        let mut st = self.state.borrow_mut();
        let ad = st.device.clone().autodiff();
        st.vgg = Some(Vgg::from_safetensors(bytes, &ad).map_err(js_err)?);
        Ok(())
    }

    /// Decodes a user's image for `role` ("content" or "style"). On success keeps it and
    /// returns `{width, height, preview: {width, height, rgba}}` (preview: longest side
    /// `preview_side`); a bad file throws an Error whose message says what is wrong, and the
    /// image held before stays.
    #[wasm_bindgen(js_name = loadStyleImage)]
    pub fn load_style_image(&self, role: &str, bytes: &[u8], preview_side: u32) -> Result<JsValue, JsValue> {
        let img = photo::decode(bytes).map_err(js_err)?;
        let (pw, ph) = photo::fit_longest(img.width, img.height, preview_side.min(img.width.max(img.height)));
        let preview = photo::resize(&img, pw, ph);
        let mut rgba = Vec::with_capacity(preview.pixels.len() / 3 * 4);
        for p in preview.pixels.chunks_exact(3) {
            rgba.extend_from_slice(&[p[0], p[1], p[2], 255]);
        }
        let out = Object::new();
        set(&out, "width", img.width);
        set(&out, "height", img.height);
        set(&out, "preview", rgba_object(pw as usize, ph as usize, &rgba));
        let mut st = self.state.borrow_mut();
        match role {
            "content" => st.content = Some(img),
            "style" => st.style = Some(img),
            _ => return Err(js_err(format!("unknown image role {role}"))),
        }
        Ok(out.into())
    }

    /// Checks the style settings as typed; returns `[{field, message}]`.
    #[wasm_bindgen(js_name = styleValidate)]
    pub fn style_validate(&self, size: &str, content_weight: &str, style_weight: &str, tv_weight: &str, iterations: &str, init: &str, keep_colors: bool) -> Array {
        match parse_style_config(size, content_weight, style_weight, tv_weight, iterations, init, keep_colors, &SIZES) {
            Ok(_) => Array::new(),
            Err(errors) => errors_to_js(errors),
        }
    }

    /// Starts a style-transfer run from the loaded images. Returns `{ok: true, width, height,
    /// iterations}` or `{ok: false, errors: [{field, message}]}`; throws if an image or the
    /// network is missing or an image cannot be used.
    #[wasm_bindgen(js_name = styleStart)]
    pub fn style_start(&self, size: &str, content_weight: &str, style_weight: &str, tv_weight: &str, iterations: &str, init: &str, keep_colors: bool) -> Result<JsValue, JsValue> {
        let out = Object::new();
        let config = match parse_style_config(size, content_weight, style_weight, tv_weight, iterations, init, keep_colors, &SIZES) {
            Ok(c) => c,
            Err(errors) => {
                set(&out, "ok", false);
                set(&out, "errors", errors_to_js(errors));
                return Ok(out.into());
            }
        };
        let mut st = self.state.borrow_mut();
        st.stylizer = None;
        let vgg = st.vgg.clone().ok_or_else(|| js_err("the feature network is not loaded yet"))?;
        let content = st.content.as_ref().ok_or_else(|| js_err("choose a content photo first"))?;
        let style = st.style.as_ref().ok_or_else(|| js_err("choose a style image first"))?;
        let iterations = config.iterations;
        let stylizer = Stylizer::new(config, vgg, content, style, &st.device).map_err(js_err)?;
        set(&out, "ok", true);
        set(&out, "width", stylizer.width as u32);
        set(&out, "height", stylizer.height as u32);
        set(&out, "iterations", iterations as u32);
        st.stylizer = Some(stylizer);
        Ok(out.into())
    }

    /// Runs up to `n` iterations (not past the configured number) and reads their losses
    /// back in one transfer: `{stats: Float32Array(n*4), iteration, done}`.
    #[wasm_bindgen(js_name = styleRun)]
    pub fn style_run(&self, n: u32) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (stats, iteration, done) = {
                let mut st = state.borrow_mut();
                let s = st.stylizer.as_mut().ok_or_else(|| js_err("no style transfer is set up"))?;
                for _ in 0..n {
                    if s.done() {
                        break;
                    }
                    s.step();
                }
                (s.take_stats(), s.iteration, s.done())
            };
            let values = match stats {
                Some(t) => read_f32(t).await?,
                None => Vec::new(),
            };
            let out = Object::new();
            set(&out, "stats", Float32Array::from(values.as_slice()));
            set(&out, "iteration", iteration as u32);
            set(&out, "done", done);
            Ok(out.into())
        })
    }

    /// The current style-transfer result as `{width, height, rgba}`.
    #[wasm_bindgen(js_name = styleOutput)]
    pub fn style_output(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (t, w, h) = {
                let st = state.borrow();
                let s = st.stylizer.as_ref().ok_or_else(|| js_err("no style transfer is set up"))?;
                (s.output(), s.width, s.height)
            };
            let values = read_f32(t.flatten(0, 3)).await?;
            Ok(rgba_object(w, h, &planar_to_rgba(&values, w, h)))
        })
    }
}
