//! Tiles generated images into one picture (the 8x8 sample grid).

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

#[cfg(test)]
mod tests {
    use super::*;

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
