//! Decoding untrusted image files: each bad kind gets a clear message, each odd encoding
//! comes out as correct upright 8-bit RGB. Files from tools/make_examples.py.

use easel::photo::{Rgb, check_size, decode, fit_longest};

fn load(name: &str) -> Result<Rgb, String> {
    let bytes = std::fs::read(format!("tests/data/images/{name}")).unwrap();
    decode(&bytes).map_err(|e| e.0)
}

fn px(img: &Rgb, x: u32, y: u32) -> [u8; 3] {
    let i = 3 * (y * img.width + x) as usize;
    [img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]]
}

fn near(a: [u8; 3], b: [u8; 3], tol: i32) -> bool {
    a.iter().zip(b).all(|(&x, y)| (x as i32 - y as i32).abs() <= tol)
}

/// The test gradient at (x, y): [4x, 5y, 255 - 3x].
fn gradient(x: u32, y: u32) -> [u8; 3] {
    [(4 * x) as u8, (5 * y) as u8, (255 - 3 * x) as u8]
}

#[test]
fn good_images_in_every_accepted_format_decode_to_the_same_pixels() {
    for (name, tol) in [("good.png", 0), ("good.bmp", 0), ("good.webp", 0), ("good.jpg", 12), ("rgb16.png", 0), ("palette.gif", 24)] {
        let img = load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((img.width, img.height), (64, 48), "{name}");
        for (x, y) in [(0, 0), (10, 20), (63, 47), (40, 5)] {
            assert!(near(px(&img, x, y), gradient(x, y), tol), "{name} at ({x},{y}): {:?} vs {:?}", px(&img, x, y), gradient(x, y));
        }
    }
}

#[test]
fn greyscale_and_cmyk_become_rgb() {
    let grey = load("grey.png").unwrap();
    let p = px(&grey, 10, 20);
    assert!(p[0] == p[1] && p[1] == p[2], "{p:?}");
    let cmyk = load("cmyk.jpg").unwrap();
    assert_eq!((cmyk.width, cmyk.height), (64, 48));
    for (x, y) in [(10, 20), (50, 40)] {
        assert!(near(px(&cmyk, x, y), gradient(x, y), 24), "cmyk at ({x},{y}): {:?} vs {:?}", px(&cmyk, x, y), gradient(x, y));
    }
}

#[test]
fn transparency_is_composited_onto_white() {
    let img = load("alpha.png").unwrap();
    assert_eq!(px(&img, 5, 5), [255, 0, 0]);
    assert_eq!(px(&img, 50, 5), [255, 255, 255]);
}

#[test]
fn exif_orientation_is_honoured() {
    // Stored 64 x 48 with a white block at the stored top-left; orientation 6 means "rotate
    // 90° clockwise to display": shown 48 x 64 with the block at the top-right.
    let img = load("exif_rotate90.jpg").unwrap();
    assert_eq!((img.width, img.height), (48, 64));
    assert!(near(px(&img, 44, 3), [255, 255, 255], 30), "{:?}", px(&img, 44, 3));
    assert!(!near(px(&img, 3, 3), [255, 255, 255], 60));
}

#[test]
fn bad_files_get_clear_messages() {
    let cases = [
        ("empty.png", "empty"),
        ("not_an_image.jpg", "not an image"),
        ("truncated.png", "corrupt or truncated"),
        ("truncated.jpg", "the JPEG file is truncated"),
        ("unsupported.tiff", "not supported"),
        ("huge.png", "30000 x 30000 pixels (900.0 megapixels); the limit is 50 megapixels"),
    ];
    for (name, want) in cases {
        let e = load(name).err().unwrap_or_else(|| panic!("{name} was accepted"));
        assert!(e.contains(want), "{name}: {e}");
    }
    // A JPEG with garbage in its second half: either refused, or decoded to the right size.
    match load("corrupt.jpg") {
        Err(e) => assert!(e.contains("corrupt"), "{e}"),
        Ok(img) => assert_eq!((img.width, img.height), (64, 48)),
    }
}

#[test]
fn header_sizes_are_read_for_every_accepted_format() {
    use easel::photo::header_dimensions;
    use image::ImageFormat as F;
    for (name, format, want) in [
        ("good.png", F::Png, (64, 48)),
        ("good.jpg", F::Jpeg, (64, 48)),
        ("cmyk.jpg", F::Jpeg, (64, 48)),
        ("exif_rotate90.jpg", F::Jpeg, (64, 48)),
        ("good.webp", F::WebP, (64, 48)),
        ("palette.gif", F::Gif, (64, 48)),
        ("good.bmp", F::Bmp, (64, 48)),
        ("huge.png", F::Png, (30000, 30000)),
    ] {
        let bytes = std::fs::read(format!("tests/data/images/{name}")).unwrap();
        assert_eq!(header_dimensions(format, &bytes), Some(want), "{name}");
    }
    let cat = std::fs::read("www/examples/cat.jpg").unwrap();
    assert_eq!(header_dimensions(F::Jpeg, &cat), Some((451, 300)));
}

#[test]
fn sizes_are_checked_before_decoding() {
    assert!(check_size(8000, 6000).is_ok());
    assert!(check_size(10000, 6000).unwrap_err().0.contains("60.0 megapixels"));
    assert!(check_size(20000, 10).unwrap_err().0.contains("16384 pixels a side"));
    assert!(check_size(0, 10).is_err());
}

#[test]
fn fit_longest_keeps_the_aspect_ratio() {
    assert_eq!(fit_longest(451, 300, 256), (256, 170));
    assert_eq!(fit_longest(300, 451, 256), (170, 256));
    assert_eq!(fit_longest(1000, 1, 256), (256, 1));
}

#[test]
fn a_jpeg_cut_off_anywhere_in_its_image_data_is_refused() {
    for name in ["www/examples/cat.jpg", "www/examples/swirls.jpg"] {
        let bytes = std::fs::read(name).unwrap();
        assert!(decode(&bytes).is_ok(), "{name} whole");
        for part in [0.3, 0.5, 0.9, 0.999] {
            let cut = &bytes[..(bytes.len() as f64 * part) as usize];
            let e = decode(cut).err().unwrap_or_else(|| panic!("{name} cut at {part} was accepted"));
            assert!(e.to_string().contains("truncated"), "{name} at {part}: {e}");
        }
    }
}
