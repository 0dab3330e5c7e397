//! Tiles generated images into one picture (the 8x8 sample grid).

/// Columns (and rows) of the sample grid.
pub const GRID_COLS: usize = 8;
/// Samples in the fixed-noise grid.
pub const GRID: usize = GRID_COLS * GRID_COLS;
/// Gap between tiles, in pixels.
pub const GAP: usize = 2;

/// `values`: `n` images of `channels` x `size` x `size` in [-1, 1] (channels 1 or 3).
/// Returns `(width, height, rgba)` of a `cols`-wide grid on a dark background.
pub fn tile_rgba(values: &[f32], n: usize, channels: usize, size: usize, cols: usize) -> (usize, usize, Vec<u8>) {
    assert_eq!(values.len(), n * channels * size * size, "grid input size");
    let rows = n.div_ceil(cols);
    let width = cols * size + (cols + 1) * GAP;
    let height = rows * size + (rows + 1) * GAP;
    let mut rgba = vec![0u8; width * height * 4];
    for px in rgba.chunks_exact_mut(4) {
        px.copy_from_slice(&[24, 24, 32, 255]);
    }
    let to_u8 = |v: f32| ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8;
    let plane = size * size;
    for i in 0..n {
        let (r, c) = (i / cols, i % cols);
        let (x0, y0) = (GAP + c * (size + GAP), GAP + r * (size + GAP));
        let img = &values[i * channels * plane..(i + 1) * channels * plane];
        for y in 0..size {
            for x in 0..size {
                let at = |ch: usize| to_u8(img[ch * plane + y * size + x]);
                let (rv, gv, bv) = if channels == 3 { (at(0), at(1), at(2)) } else { (at(0), at(0), at(0)) };
                let o = ((y0 + y) * width + x0 + x) * 4;
                rgba[o..o + 4].copy_from_slice(&[rv, gv, bv, 255]);
            }
        }
    }
    (width, height, rgba)
}

/// The sample grid over training, for an animated GIF: at most `max` frames, thinned (every
/// other frame dropped, the spacing doubled) whenever it fills, so a long run keeps an even
/// record from its first step to its last.
#[derive(Clone, Debug)]
pub struct Timelapse {
    /// (step, width, height, rgba)
    pub frames: Vec<(usize, usize, usize, Vec<u8>)>,
    /// Fewest steps between two frames.
    pub every: usize,
    pub max: usize,
}

impl Timelapse {
    pub fn new(max: usize) -> Self {
        Timelapse { frames: Vec::new(), every: 1, max: max.max(2) }
    }

    /// Offers the grid at `step`; kept if it is far enough from the last frame.
    pub fn offer(&mut self, step: usize, width: usize, height: usize, rgba: &[u8]) {
        if let Some(&(last, w, h, _)) = self.frames.last() {
            if step < last + self.every || (w, h) != (width, height) {
                return;
            }
        }
        self.frames.push((step, width, height, rgba.to_vec()));
        if self.frames.len() > self.max {
            let mut i = 0;
            self.frames.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.every *= 2;
        }
    }

    /// Drops the frames after `step` (the run went back to it).
    pub fn forget_after(&mut self, step: usize) {
        self.frames.retain(|f| f.0 <= step);
    }

    /// A looping animated GIF, `delay_ms` a frame (the last one held 1.5 s).
    pub fn gif(&self, delay_ms: u32) -> Result<Vec<u8>, String> {
        use image::codecs::gif::{GifEncoder, Repeat};
        use image::{Delay, Frame, RgbaImage};
        if self.frames.is_empty() {
            return Err("no samples yet: train a few steps first".into());
        }
        let mut out = Vec::new();
        {
            let mut enc = GifEncoder::new_with_speed(&mut out, 20);
            enc.set_repeat(Repeat::Infinite).map_err(|e| e.to_string())?;
            let n = self.frames.len();
            for (k, (_, w, h, rgba)) in self.frames.iter().enumerate() {
                let img = RgbaImage::from_raw(*w as u32, *h as u32, rgba.clone()).ok_or("frame size")?;
                let ms = if k + 1 == n { 1500 } else { delay_ms };
                enc.encode_frame(Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(ms, 1))).map_err(|e| e.to_string())?;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timelapse_thins_evenly_and_encodes_a_gif() {
        let mut t = Timelapse::new(4);
        for step in 0..20 {
            let v = (step * 10) as u8;
            t.offer(step, 2, 2, &[v, v, v, 255].repeat(4));
        }
        let steps: Vec<usize> = t.frames.iter().map(|f| f.0).collect();
        assert!(steps.len() <= 4 && steps.len() >= 2, "{steps:?}");
        assert_eq!(steps[0], 0);
        assert!(steps.windows(2).all(|w| w[1] - w[0] >= 4), "{steps:?}");
        let gif = t.gif(100).unwrap();
        assert_eq!(&gif[..6], b"GIF89a");
        use image::AnimationDecoder;
        let frames = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(&gif)).unwrap().into_frames().collect_frames().unwrap();
        assert_eq!(frames.len(), steps.len());
        // The frames are the grids offered, in order (GIF quantises, so within a few levels).
        for (f, step) in frames.iter().zip(&steps) {
            let px = f.buffer().get_pixel(0, 0)[0] as i32;
            assert!((px - (*step as i32 * 10)).abs() <= 8, "step {step}: {px}");
        }
        assert!(Timelapse::new(4).gif(100).is_err());
    }

    #[test]
    fn tiles_place_pixels() {
        // two 2x2 grey images: all -1 (black) and all 1 (white)
        let mut v = vec![-1.0; 4];
        v.extend([1.0; 4]);
        let (w, h, px) = tile_rgba(&v, 2, 1, 2, 2);
        assert_eq!((w, h), (2 * 2 + 3 * GAP, 2 + 2 * GAP));
        let at = |x: usize, y: usize| &px[(y * w + x) * 4..(y * w + x) * 4 + 4];
        assert_eq!(at(GAP, GAP), &[0, 0, 0, 255]);
        assert_eq!(at(2 * GAP + 2, GAP + 1), &[255, 255, 255, 255]);
        assert_eq!(at(0, 0), &[24, 24, 32, 255]);
    }
}
