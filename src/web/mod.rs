//! The wasm layer: translates between the page's worker (www/worker.js) and the Rust code.
//! No model or training logic lives here. One `Session` per page, its methods split by
//! concern: the GAN (`gan`), the user's own images (`images`) and style transfer (`style`).
//! Settings cross as `{field: text}` forms, results as objects with named fields.

mod gan;
mod images;
mod style;

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::*;
use js_sys::{Object, Reflect, Uint8ClampedArray};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

use crate::data::DeviceData;
use crate::fields::{Form, describe, text};
use crate::model::ModelKind;
use crate::grid::Timelapse;
use crate::images::ImageSet;
use crate::instant::InstantStyle;
use crate::photo::Rgb;
use crate::quality::Judge;
use crate::settings::{GanConfig, GanLive, GanSetup, StyleConfig};
use crate::style::{Stylizer, Vgg};
use crate::train::Trainer;

/// Frames kept for the timelapse GIF.
const TIMELAPSE_FRAMES: usize = 60;

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    Reflect::set(obj, &JsValue::from_str(key), &value.into()).expect("set property");
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsError::new(&e.to_string()).into()
}

/// Any serialisable value as a plain JavaScript value (objects with named fields).
fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    js_sys::JSON::parse(&serde_json::to_string(value).expect("serialise")).expect("valid JSON")
}

/// The page's `{field: text}` object as a form (booleans and numbers are taken as their text).
fn form(v: &JsValue) -> Result<Form, JsValue> {
    let json: String = js_sys::JSON::stringify(v).map_err(|_| js_err("the settings are not an object"))?.into();
    let map: std::collections::BTreeMap<String, Value> = serde_json::from_str(&json).map_err(|e| js_err(format!("the settings are not an object ({e})")))?;
    Ok(map.into_iter().map(|(k, v)| (k, text(&v))).collect())
}

fn rgba_object(width: usize, height: usize, rgba: &[u8]) -> JsValue {
    let out = Object::new();
    set(&out, "width", width as u32);
    set(&out, "height", height as u32);
    set(&out, "rgba", Uint8ClampedArray::from(rgba));
    out.into()
}

// The threads build exports `initThreadPool(n)`, which the worker awaits before opening a session.
#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

#[cfg(feature = "webgpu")]
async fn open_webgpu() -> Result<Device, String> {
    crate::gpu::open().await
}

#[cfg(not(feature = "webgpu"))]
async fn open_webgpu() -> Result<Device, String> {
    Err("this build of Easel is the CPU-only one".into())
}

/// Every setting the page shows, from the settings structs: `{gan: [field], style: [field],
/// modelDefaults: {model: {field: text}}}`, each field `{name, label, help, group, live,
/// default, kind, min, max | choices}`.
#[wasm_bindgen(js_name = settingsFields)]
pub fn settings_fields() -> JsValue {
    let mut gan = describe::<GanSetup>(false);
    gan.extend(describe::<GanLive>(true));
    // The settings' defaults per model (the latent size and learning rate differ): the page
    // moves a setting still at one model's default to the next model's.
    let per_model: serde_json::Map<String, serde_json::Value> = ModelKind::ALL
        .iter()
        .map(|k| {
            let mut form = GanConfig::for_model(*k).to_form();
            form.remove("model");
            (k.name().to_string(), serde_json::json!(form))
        })
        .collect();
    to_js(&serde_json::json!({ "gan": gan, "style": describe::<StyleConfig>(false), "modelDefaults": per_model }))
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
    /// The loaded built-in set's classifier and what it makes of 64 real images (score,
    /// classes covered): the quality chart's reference.
    judge: Option<Rc<Judge>>,
    real_quality: (f64, usize),
    /// Style transfer: the feature network (autodiff device), the images, the Gatys run.
    vgg: Option<Vgg>,
    content: Option<Rgb>,
    style: Option<Rgb>,
    /// A second style image, blended in by instant style.
    second: Option<Rgb>,
    stylizer: Option<Stylizer>,
    /// Instant style: the network, each image's style vector (dropped when its image
    /// changes), and the last result (what "Refine with Gatys" starts from).
    instant: Option<InstantStyle>,
    vectors: style::Vectors,
    instant_output: Option<Tensor<4>>,
}

/// One page's session: a device, a data set, a GAN run and a style-transfer run.
#[wasm_bindgen]
pub struct Session {
    state: Rc<RefCell<State>>,
    backend: String,
    note: String,
    check: Option<SelfCheck>,
}

/// What the WebGPU self-check found, for the page.
#[derive(Serialize)]
struct SelfCheck {
    passed: bool,
    /// The figure that differed most and by how much.
    details: String,
    /// How long the check took.
    ms: f64,
}

#[wasm_bindgen]
impl Session {
    /// Opens WebGPU if `webgpu` (the worker chose it: www/backend.js), else Burn's CPU backend
    /// (flex) compiled to wasm, whose reason the worker gives in `note`. Where WebGPU fails to
    /// start, falls back to the CPU and says why.
    ///
    /// A WebGPU that starts is checked before it is trusted ([`crate::gpu::self_check`]): if its
    /// answers differ from the CPU path's, the session trains on the CPU and says so, unless
    /// `forced` (the page's `?backend=webgpu`), which keeps WebGPU and says what was wrong.
    /// `corrupt` is the check's test hook (the page's `?selfcheck=corrupt`).
    pub async fn open(webgpu: bool, note: String, forced: bool, corrupt: bool) -> Session {
        console_error_panic_hook::set_once();
        let opened = if webgpu { open_webgpu().await } else { Ok(Device::flex()) };
        let (mut device, mut backend, mut note) = opened
            .map(|device| (device, if webgpu { "WebGPU" } else { "CPU" }, note))
            .unwrap_or_else(|e| (Device::flex(), "CPU", format!("This browser has WebGPU but gave Easel no usable GPU adapter, so training runs on the CPU in wasm: expect it to be far slower. (Details: {e})")));
        let mut check = None;
        if backend == "WebGPU" {
            let started = js_sys::Date::now();
            let report = crate::gpu::self_check(&device, corrupt).await;
            let ms = js_sys::Date::now() - started;
            let (passed, details) = match &report {
                Ok(r) => (r.passed, r.details()),
                Err(e) => (false, format!("the check could not run: {e}")),
            };
            if !passed {
                web_sys::console::warn_1(&format!("Easel's WebGPU self-check failed: {details}").into());
                if forced {
                    note = format!("Your GPU gave wrong results in Easel's self-check ({details}); WebGPU is kept because the address forces it (?backend=webgpu).");
                } else {
                    (device, backend) = (Device::flex(), "CPU");
                    note = format!("Your GPU gave wrong results ({details}); training on the CPU instead. ?backend=webgpu in the address forces WebGPU.");
                }
            }
            check = Some(SelfCheck { passed, details, ms });
        }
        Session {
            state: Rc::new(RefCell::new(State {
                device,
                data: None,
                data_name: String::new(),
                images: None,
                trainer: None,
                timelapse: Timelapse::new(TIMELAPSE_FRAMES),
                judge: None,
                real_quality: (0.0, 0),
                vgg: None,
                content: None,
                style: None,
                second: None,
                stylizer: None,
                instant: None,
                vectors: Default::default(),
                instant_output: None,
            })),
            backend: backend.to_string(),
            note,
            check,
        }
    }

    /// The WebGPU self-check's outcome, `{passed, details, ms}`, or null where WebGPU did not
    /// start.
    #[wasm_bindgen(getter, js_name = selfCheck)]
    pub fn self_check(&self) -> JsValue {
        self.check.as_ref().map_or(JsValue::NULL, to_js)
    }

    /// "WebGPU" or "CPU".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.clone()
    }

    /// Why this backend is in use, or empty.
    #[wasm_bindgen(getter)]
    pub fn note(&self) -> String {
        self.note.clone()
    }
}
