//! The wasm layer: translates between the page's worker (www/worker.js) and the Rust code.
//! No model or training logic lives here.

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::*;
use js_sys::{Array, Float32Array, Object, Promise, Reflect, Uint8ClampedArray};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::data::{Dataset, DeviceData};
use crate::grid::tile_rgba;
use crate::photo::{self, Rgb};
use crate::style::{SIZES, Stylizer, Vgg, parse_style_config, planar_to_rgba};
use crate::train::{FieldError, GRID, Trainer, parse_config};

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
    /// The loaded data set, uploaded once and shared by every run.
    data: Option<DeviceData>,
    trainer: Option<Trainer>,
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
            state: Rc::new(RefCell::new(State { device, data: None, trainer: None, vgg: None, content: None, style: None, stylizer: None })),
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

    /// Loads a data set file (`*.easelds.gz`). Returns `{count, channels, height, width}`.
    #[wasm_bindgen(js_name = loadDataset)]
    pub fn load_dataset(&self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        let data = Dataset::from_gz_bytes(bytes).map_err(js_err)?;
        let info = Object::new();
        set(&info, "count", data.count as u32);
        set(&info, "channels", data.channels as u32);
        set(&info, "height", data.height as u32);
        set(&info, "width", data.width as u32);
        let mut st = self.state.borrow_mut();
        st.trainer = None;
        st.data = Some(data.to_device(&st.device));
        Ok(info.into())
    }

    /// Checks the settings as typed; returns `[{field, message}]` (empty when all are valid).
    pub fn validate(&self, model: &str, batch_size: &str, latent: &str, lr_g: &str, lr_d: &str, beta1: &str) -> Array {
        let count = self.state.borrow().data.as_ref().map_or(usize::MAX, |d| d.count);
        match parse_config(model, batch_size, latent, lr_g, lr_d, beta1, count) {
            Ok(_) => Array::new(),
            Err(errors) => errors_to_js(errors),
        }
    }

    /// Checks the settings as typed and, if all are valid, starts a fresh training run.
    /// Returns `{ok: true, batchesPerEpoch}` or `{ok: false, errors: [{field, message}]}`.
    pub fn configure(&self, model: &str, batch_size: &str, latent: &str, lr_g: &str, lr_d: &str, beta1: &str) -> Result<JsValue, JsValue> {
        let mut st = self.state.borrow_mut();
        let Some(data) = st.data.clone() else {
            return Err(js_err("no data set is loaded yet"));
        };
        let out = Object::new();
        match parse_config(model, batch_size, latent, lr_g, lr_d, beta1, data.count) {
            Ok(config) => {
                let trainer = Trainer::with_data(config, data, &st.device);
                set(&out, "ok", true);
                set(&out, "batchesPerEpoch", trainer.sampler.batches_per_epoch() as u32);
                st.trainer = Some(trainer);
            }
            Err(errors) => {
                set(&out, "ok", false);
                set(&out, "errors", errors_to_js(errors));
            }
        }
        Ok(out.into())
    }

    /// Changes both learning rates of the current run (validated like `configure`).
    #[wasm_bindgen(js_name = setLearningRates)]
    pub fn set_learning_rates(&self, lr_g: f64, lr_d: f64) -> Result<(), JsValue> {
        let ok = |v: f64| v.is_finite() && v > 0.0 && v <= 1.0;
        if !ok(lr_g) || !ok(lr_d) {
            return Err(js_err("learning rate must be above 0 and at most 1"));
        }
        match self.state.borrow_mut().trainer.as_mut() {
            Some(t) => Ok(t.set_learning_rates(lr_g, lr_d)),
            None => Err(js_err("no training run is configured")),
        }
    }

    /// Runs `steps` iterations, then reads their statistics back in one transfer.
    /// Resolves to `{stats: Float32Array(steps*4), step, epoch, epochProgress}`.
    pub fn train(&self, steps: u32) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (stats, step, epoch, progress) = {
                let mut st = state.borrow_mut();
                let t = st.trainer.as_mut().ok_or_else(|| js_err("no training run is configured"))?;
                for _ in 0..steps {
                    t.train_step();
                }
                (t.take_stats(), t.step, t.epoch(), t.epoch_progress())
            };
            let values = match stats {
                Some(s) => read_f32(s).await?,
                None => Vec::new(),
            };
            let out = Object::new();
            set(&out, "stats", Float32Array::from(values.as_slice()));
            set(&out, "step", step as u32);
            set(&out, "epoch", epoch as u32);
            set(&out, "epochProgress", progress);
            Ok(out.into())
        })
    }

    /// The 8x8 grid of samples from the fixed noise batch, as `{width, height, rgba}`.
    pub fn samples(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (tensor, channels, size) = {
                let st = state.borrow();
                let t = st.trainer.as_ref().ok_or_else(|| js_err("no training run is configured"))?;
                let s = t.samples();
                let [_, c, h, _] = s.dims();
                (s, c, h)
            };
            let values = read_f32(tensor.flatten(0, 3)).await?;
            let (w, h, rgba) = tile_rgba(&values, GRID, channels, size, 8);
            Ok(rgba_object(w, h, &rgba))
        })
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
