//! The Style tab's calls: the networks, the images, an instant render, a Gatys run.

use burn::prelude::*;
use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::{Session, form, js_err, rgba_object, set, to_js};
use crate::fields;
use crate::instant::{self, InstantStyle, StyleVectors};
use crate::photo::{self, Rgb};
use crate::settings::StyleConfig;
use crate::style::{Stylizer, Vgg, planar_to_rgba};
use crate::train::read_f32;

const NO_RUN: &str = "no style transfer is set up";

/// Each image's style vector, once computed; `None` until then or after its image changed.
#[derive(Default)]
pub(super) struct Vectors {
    content: Option<Vec<f32>>,
    style: Option<Vec<f32>>,
    second: Option<Vec<f32>>,
}

/// A style-transfer result as `{width, height, rgba}`.
async fn rgba_of(t: Tensor<4>) -> Result<JsValue, JsValue> {
    let [_, _, h, w] = t.dims();
    let values = read_f32(t.flatten(0, 3)).await.map_err(js_err)?;
    Ok(rgba_object(w, h, &planar_to_rgba(&values, w, h)))
}

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

    /// Decodes a user's image for `role` ("content", "style", or "second": the style blended
    /// in). On success keeps it and returns `{width, height, preview: {width, height, rgba}}`
    /// (preview: longest side `preview_side`); a bad file throws an Error whose message says
    /// what is wrong, and the image held before stays.
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
            "content" => (st.content, st.vectors.content) = (Some(img), None),
            "style" => (st.style, st.vectors.style) = (Some(img), None),
            "second" => (st.second, st.vectors.second) = (Some(img), None),
            _ => return Err(js_err(format!("unknown image role {role}"))),
        }
        Ok(out.into())
    }

    /// Forgets the second style image (instant style uses the first alone again).
    #[wasm_bindgen(js_name = clearSecondStyle)]
    pub fn clear_second_style(&self) {
        let mut st = self.state.borrow_mut();
        (st.second, st.vectors.second) = (None, None);
    }

    /// Whether the instant style network is loaded.
    #[wasm_bindgen(getter, js_name = hasInstant)]
    pub fn has_instant(&self) -> bool {
        self.state.borrow().instant.is_some()
    }

    /// Loads the shipped `instant-style.safetensors`.
    #[wasm_bindgen(js_name = loadInstant)]
    pub fn load_instant(&self, bytes: Vec<u8>) -> Result<(), JsValue> {
        let mut st = self.state.borrow_mut();
        let net = InstantStyle::from_safetensors(bytes, &st.device).map_err(js_err)?;
        st.instant = Some(net);
        Ok(())
    }

    /// Predicts the style vectors not known yet (the photo's own, the style image's, the
    /// second style's) and reads them back: `{predicted}` (how many were computed; 0 when only
    /// strength or blend changed).
    #[wasm_bindgen(js_name = instantPredict)]
    pub fn instant_predict(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (net, device, missing) = {
                let st = state.borrow();
                let net = st.instant.clone().ok_or_else(|| js_err("the instant style network is not loaded yet"))?;
                let content = st.content.clone().ok_or_else(|| js_err("choose a content photo first"))?;
                let style = st.style.clone().ok_or_else(|| js_err("choose a style image first"))?;
                let v = &st.vectors;
                let missing: Vec<(&str, Rgb)> = [
                    ("content", v.content.is_none().then_some(content)),
                    ("style", v.style.is_none().then_some(style)),
                    ("second", if v.second.is_none() { st.second.clone() } else { None }),
                ]
                .into_iter()
                .filter_map(|(role, img)| img.map(|i| (role, i)))
                .collect();
                (net, st.device.clone(), missing)
            };
            let predicted = missing.len() as u32;
            let imgs: Vec<&Rgb> = missing.iter().map(|(_, img)| img).collect();
            let vectors = instant::read_vectors(&net, &imgs, &device).await.map_err(js_err)?;
            let mut st = state.borrow_mut();
            for ((role, _), vector) in missing.iter().zip(vectors) {
                match *role {
                    "content" => st.vectors.content = Some(vector),
                    "style" => st.vectors.style = Some(vector),
                    _ => st.vectors.second = Some(vector),
                }
            }
            let out = Object::new();
            set(&out, "predicted", predicted);
            Ok(out.into())
        })
    }

    /// Repaints the photo with the predicted vectors mixed as `values` say: `{ok: true, width,
    /// height, rgba}` or `{ok: false, errors}`.
    #[wasm_bindgen(js_name = instantRender)]
    pub fn instant_render(&self, values: JsValue) -> Promise {
        let state = self.state.clone();
        let config = form(&values).map(|f| fields::parse::<StyleConfig>(&f));
        future_to_promise(async move {
            let config = match config? {
                Ok(c) => c,
                Err(errors) => {
                    let out = Object::new();
                    set(&out, "ok", false);
                    set(&out, "errors", to_js(&errors));
                    return Ok(out.into());
                }
            };
            let t = {
                let mut st = state.borrow_mut();
                let net = st.instant.as_ref().ok_or_else(|| js_err("the instant style network is not loaded yet"))?;
                let photo = st.content.as_ref().ok_or_else(|| js_err("choose a content photo first"))?;
                let v = &st.vectors;
                let vectors = StyleVectors {
                    own: v.content.clone().ok_or_else(|| js_err("the photo's style is not predicted yet"))?,
                    style: v.style.clone().ok_or_else(|| js_err("the style is not predicted yet"))?,
                    second: if st.second.is_some() { v.second.clone() } else { None },
                };
                let t = instant::render(net, photo, &vectors, &config, &st.device).map_err(js_err)?;
                st.instant_output = Some(t.clone());
                t
            };
            let out = rgba_of(t).await?;
            set(out.unchecked_ref(), "ok", true);
            Ok(out)
        })
    }

    /// Checks the style settings form; returns `[{field, message}]`.
    #[wasm_bindgen(js_name = styleValidate)]
    pub fn style_validate(&self, values: JsValue) -> Result<JsValue, JsValue> {
        Ok(to_js(&fields::parse::<StyleConfig>(&form(&values)?).err().unwrap_or_default()))
    }

    /// Starts a Gatys run from the loaded images; with `refine`, from the last instant result
    /// instead of the configured start. Returns `{ok: true, width, height, iterations}` or
    /// `{ok: false, errors: [{field, message}]}`; throws if an image or the network is missing
    /// or an image cannot be used.
    #[wasm_bindgen(js_name = styleStart)]
    pub fn style_start(&self, values: JsValue, refine: bool) -> Result<JsValue, JsValue> {
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
        let mut stylizer = Stylizer::new(config, vgg, content, style, &st.device).map_err(js_err)?;
        if refine {
            let start = st.instant_output.clone().ok_or_else(|| js_err("there is no instant result to refine yet"))?;
            stylizer.start_from(start).map_err(js_err)?;
        }
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
            let t = state.borrow().stylizer.as_ref().ok_or_else(|| js_err(NO_RUN))?.output();
            rgba_of(t).await
        })
    }
}
