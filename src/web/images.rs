//! The user's own images: collected one file at a time, then made the data set.

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use super::{Session, js_err, rgba_object, set};
use crate::grid::{GRID, GRID_COLS, tile_rgba};
use crate::images::{ImageSet, refuse_by_size};

const NO_SET: &str = "choose an image size first";

#[wasm_bindgen]
impl Session {
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
        let set = st.images.as_mut().ok_or_else(|| js_err(NO_SET))?;
        Ok(set.add(name, bytes).err())
    }

    /// Records a file refused without reading it.
    #[wasm_bindgen(js_name = imagesSkip)]
    pub fn images_skip(&self, name: &str, why: String) -> Result<(), JsValue> {
        let mut st = self.state.borrow_mut();
        st.images.as_mut().ok_or_else(|| js_err(NO_SET))?.skip(name, why);
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
        let (w, h, rgba) = tile_rgba(&preview, n, 3, data.height, GRID_COLS);
        let name = format!("own images ({})", data.count);
        let info = st.use_data(&data, name.clone());
        set(&info, "ok", true);
        set(&info, "skipped", skipped);
        set(&info, "preview", rgba_object(w, h, &rgba));
        set(&info, "name", name.as_str());
        Ok(info.into())
    }
}
