//! The Style tab's calls: the feature network, the two images, a style-transfer run.

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::{Session, form, js_err, rgba_object, set, to_js};
use crate::fields;
use crate::photo;
use crate::settings::StyleConfig;
use crate::style::{Stylizer, Vgg, planar_to_rgba};
use crate::train::read_f32;

const NO_RUN: &str = "no style transfer is set up";

#[wasm_bindgen]
impl Session {
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

    /// Checks the style settings form; returns `[{field, message}]`.
    #[wasm_bindgen(js_name = styleValidate)]
    pub fn style_validate(&self, values: JsValue) -> Result<JsValue, JsValue> {
        Ok(to_js(&fields::parse::<StyleConfig>(&form(&values)?).err().unwrap_or_default()))
    }

    /// Starts a style-transfer run from the loaded images. Returns `{ok: true, width, height,
    /// iterations}` or `{ok: false, errors: [{field, message}]}`; throws if an image or the
    /// network is missing or an image cannot be used.
    #[wasm_bindgen(js_name = styleStart)]
    pub fn style_start(&self, values: JsValue) -> Result<JsValue, JsValue> {
        let out = Object::new();
        let config = match fields::parse::<StyleConfig>(&form(&values)?) {
            Ok(c) => c,
            Err(errors) => {
                set(&out, "ok", false);
                set(&out, "errors", to_js(&errors));
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

    /// Runs up to `n` iterations ([`Stylizer::run_chunk`]): `{stats: [{total, content, style,
    /// tv}], iteration, done}`.
    #[wasm_bindgen(js_name = styleRun)]
    pub fn style_run(&self, n: u32) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            // Out of the state while it runs, so that nothing else can borrow it across the wait.
            let mut s = state.borrow_mut().stylizer.take().ok_or_else(|| js_err(NO_RUN))?;
            let stats = s.run_chunk(n as usize).await;
            let out = Object::new();
            set(&out, "iteration", s.iteration as u32);
            set(&out, "done", s.done());
            state.borrow_mut().stylizer = Some(s);
            set(&out, "stats", to_js(&stats.map_err(js_err)?));
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
                let s = st.stylizer.as_ref().ok_or_else(|| js_err(NO_RUN))?;
                (s.output(), s.width, s.height)
            };
            let values = read_f32(t.flatten(0, 3)).await.map_err(js_err)?;
            Ok(rgba_object(w, h, &planar_to_rgba(&values, w, h)))
        })
    }
}
