//! Decoding the user's images safely: every file is untrusted.
//!
//! Formats: PNG, JPEG, WebP, GIF (first frame), BMP. 16-bit, greyscale, palette and CMYK
//! (JPEG) images are converted to 8-bit RGB; transparent pixels are composited onto white;
//! the EXIF orientation (JPEG, WebP) is applied. The size is checked from the header, before
//! any pixel is decoded.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use crate::resample;

/// The most pixels Easel decodes (a 48-megapixel phone photo fits: 8000 x 6000).
pub const MAX_PIXELS: u64 = 50_000_000;
/// The longest side Easel decodes.
pub const MAX_SIDE: u32 = 16_384;
/// The largest file Easel reads.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// An 8-bit RGB image, row-major, 3 bytes a pixel.
#[derive(Clone, Debug, PartialEq)]
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Why a file was refused, in words for the page.
#[derive(Clone, Debug, PartialEq)]
pub struct PhotoError(pub String);

impl std::fmt::Display for PhotoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, PhotoError> {
    Err(PhotoError(msg.into()))
}

const FORMATS: &str = "PNG, JPEG, WebP, GIF or BMP";

fn format_name(format: image::ImageFormat) -> String {
    use image::ImageFormat as F;
    match format {
        F::Png => "PNG".into(),
        F::Jpeg => "JPEG".into(),
        F::WebP => "WebP".into(),
        F::Gif => "GIF".into(),
        F::Bmp => "BMP".into(),
        F::Tiff => "TIFF".into(),
        F::Avif => "AVIF".into(),
        other => format!("{other:?}").to_uppercase(),
    }
}

/// Decodes `bytes` into upright 8-bit RGB, refusing anything unsafe or unreadable with a
/// message that says what is wrong.
pub fn decode(bytes: &[u8]) -> Result<Rgb, PhotoError> {
    if bytes.is_empty() {
        return err("the file is empty (0 bytes)");
    }
    if bytes.len() > MAX_FILE_BYTES {
        return err(format!(
            "the file is {:.1} MB; the limit is {} MB",
            bytes.len() as f64 / 1e6,
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PhotoError(format!("could not read the file: {e}")))?;
    let Some(format) = reader.format() else {
        return err(format!("not an image Easel can read (expected {FORMATS})"));
    };
    let supported = matches!(
        format,
        image::ImageFormat::Png
            | image::ImageFormat::Jpeg
            | image::ImageFormat::WebP
            | image::ImageFormat::Gif
            | image::ImageFormat::Bmp
    );
    if !supported {
        return err(format!("{} images are not supported (use {FORMATS})", format_name(format)));
    }
    // The size the header claims, checked before anything is decoded (read here by hand:
    // on wasm32 the decoders refuse huge sizes early with a less helpful error).
    if let Some((w, h)) = header_dimensions(format, bytes) {
        check_size(w, h)?;
    }
    if format == image::ImageFormat::Jpeg && !jpeg_reaches_its_end(bytes) {
        return err("the JPEG file is truncated: it stops before the end of its image data (a download or copy cut short?)");
    }
    let mut decoder = reader.into_decoder().map_err(|e| describe(format, e))?;
    let (w, h) = decoder.dimensions();
    check_size(w, h)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 8 + (64 << 20));
    decoder.set_limits(limits).map_err(|e| describe(format, e))?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| describe(format, e))?;
    img.apply_orientation(orientation);
    Ok(to_rgb_on_white(img))
}

/// Width and height as the file's header states them, for the accepted formats.
pub fn header_dimensions(format: image::ImageFormat, b: &[u8]) -> Option<(u32, u32)> {
    use image::ImageFormat as F;
    let be32 = |i: usize| b.get(i..i + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
    let le32 = |i: usize| b.get(i..i + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
    let le16 = |i: usize| b.get(i..i + 2).map(|s| u16::from_le_bytes([s[0], s[1]]) as u32);
    let be16 = |i: usize| b.get(i..i + 2).map(|s| u16::from_be_bytes([s[0], s[1]]) as u32);
    match format {
        // Signature, then the IHDR chunk: length, "IHDR", width, height.
        F::Png => Some((be32(16)?, be32(20)?)),
        F::Gif => Some((le16(6)?, le16(8)?)),
        F::Bmp => Some((le32(18)?, (le32(22)? as i32).unsigned_abs())),
        F::WebP => match b.get(12..16)? {
            b"VP8X" => Some((1 + (le32(24)? & 0xFF_FFFF), 1 + (le32(27)? & 0xFF_FFFF))),
            b"VP8L" => {
                let v = le32(21)?;
                Some((1 + (v & 0x3FFF), 1 + ((v >> 14) & 0x3FFF)))
            }
            b"VP8 " => Some((le16(26)? & 0x3FFF, le16(28)? & 0x3FFF)),
            _ => None,
        },
        F::Jpeg => {
            // Walk the markers to the first start-of-frame.
            let mut i = 2;
            while i + 9 < b.len() {
                if b[i] != 0xFF {
                    return None;
                }
                let marker = b[i + 1];
                if marker == 0xFF {
                    i += 1;
                    continue;
                }
                let len = be16(i + 2)? as usize;
                if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                    return Some((be16(i + 7)?, be16(i + 5)?));
                }
                i += 2 + len;
            }
            None
        }
        _ => None,
    }
}

/// Whether a JPEG's compressed data reaches its end-of-image marker. The decoder accepts a file
/// cut off part-way and paints the missing rows grey, so this is checked first: the segments
/// are walked by their lengths to the first start-of-scan (skipping a thumbnail in the EXIF
/// segment), and after it `FF D9` can only be that marker (the data escapes FF as FF 00).
fn jpeg_reaches_its_end(b: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return false;
        }
        match b[i + 1] {
            0xFF => i += 1,
            0xDA => return b[i..].windows(2).any(|w| w == [0xFF, 0xD9]),
            _ => i += 2 + u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize,
        }
    }
    false
}

/// Refuses sizes that would exhaust memory, before decoding.
pub fn check_size(w: u32, h: u32) -> Result<(), PhotoError> {
    if w == 0 || h == 0 {
        return err(format!("the image is {w} x {h} pixels: it has no pixels"));
    }
    let pixels = w as u64 * h as u64;
    if w > MAX_SIDE || h > MAX_SIDE || pixels > MAX_PIXELS {
        return err(format!(
            "the image is {w} x {h} pixels ({:.1} megapixels); the limit is {} megapixels and {MAX_SIDE} pixels a side",
            pixels as f64 / 1e6,
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

fn describe(format: image::ImageFormat, e: image::ImageError) -> PhotoError {
    use image::ImageError as E;
    let format = format_name(format);
    let what = match &e {
        E::Limits(_) => return PhotoError(format!(
            "the image is too large to decode safely (limit {} megapixels, {MAX_SIDE} pixels a side)",
            MAX_PIXELS / 1_000_000
        )),
        E::Unsupported(u) => format!("this {format} variant is not supported ({u})"),
        E::Decoding(d) => format!("the {format} file is corrupt or truncated ({d})"),
        E::IoError(io) => format!("the {format} file is corrupt or truncated ({io})"),
        other => format!("could not decode the {format} file ({other})"),
    };
    PhotoError(what)
}

/// 8-bit RGB; alpha is composited onto white (what a transparent PNG looks like on a page).
fn to_rgb_on_white(img: DynamicImage) -> Rgb {
    let (width, height) = (img.width(), img.height());
    let pixels = if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        let mut out = Vec::with_capacity(width as usize * height as usize * 3);
        for p in rgba.pixels() {
            let a = p[3] as u32;
            for c in 0..3 {
                out.push(((p[c] as u32 * a + 255 * (255 - a) + 127) / 255) as u8);
            }
        }
        out
    } else {
        img.to_rgb8().into_raw()
    };
    Rgb { width, height, pixels }
}

/// The size with the longest side `longest`, keeping the aspect ratio (each side ≥ 1).
pub fn fit_longest(width: u32, height: u32, longest: u32) -> (u32, u32) {
    if width >= height {
        let h = ((height as f64 * longest as f64 / width as f64).round() as u32).max(1);
        (longest, h)
    } else {
        let w = ((width as f64 * longest as f64 / height as f64).round() as u32).max(1);
        (w, longest)
    }
}

/// Resizes to exactly `w` x `h` (Lanczos on downscaling, Catmull-Rom on upscaling; the
/// `image` crate's pixels, computed faster: [`crate::resample`]).
pub fn resize(img: &Rgb, w: u32, h: u32) -> Rgb {
    if img.width == w && img.height == h {
        return img.clone();
    }
    let filter = if w < img.width { resample::LANCZOS3 } else { resample::CATMULL_ROM };
    let pixels = resample::resize(&img.pixels, img.width as usize, img.height as usize, w as usize, h as usize, filter);
    Rgb { width: w, height: h, pixels }
}

/// Encodes RGB as PNG (for tests and the CLI; the page draws on a canvas).
pub fn encode_png(img: &Rgb) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::png::PngEncoder::new(&mut out);
    image::ImageEncoder::write_image(enc, &img.pixels, img.width, img.height, image::ExtendedColorType::Rgb8)
        .expect("PNG encoding into memory");
    out
}
