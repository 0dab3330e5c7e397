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
            state: Rc::new(RefCell::new(State { device, data: None, trainer: None })),
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
                Some(s) => s.into_data_async().await.map_err(js_err)?.try_to_vec::<f32>().map_err(|e| js_err(format!("{e:?}")))?,
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
            let values = tensor.into_data_async().await.map_err(js_err)?.try_to_vec::<f32>().map_err(|e| js_err(format!("{e:?}")))?;
            let (w, h, rgba) = tile_rgba(&values, GRID, channels, size, 8);
            let out = Object::new();
            set(&out, "width", w as u32);
            set(&out, "height", h as u32);
            set(&out, "rgba", Uint8ClampedArray::from(rgba.as_slice()));
            Ok(out.into())
        })
    }
}
