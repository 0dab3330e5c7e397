//! Native command-line trainer, built from the same model and training code as the page.
//!
//!     easel-cli [--data mnist|fashion|PATH] [--model dcgan|dense] [--backend cpu|wgpu]
//!               [--steps N] [--batch N] [--out grid.png]
//!
//! Prints losses and throughput; writes the fixed-noise sample grid as a PNG.
//!
//!     easel-cli style CONTENT STYLE [--size N] [--iterations N] [--content-weight W]
//!               [--style-weight W] [--tv-weight W] [--init content|noise] [--keep-colors]
//!               [--lr X] [--backend cpu|wgpu] [--out out.png]
//!
//! Gatys style transfer of the image CONTENT in the style of STYLE (same code as the page).

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::time::Instant;

    use burn::prelude::*;
    use easel::data::Dataset;
    use easel::grid::tile_rgba;
    use easel::train::{GRID, Trainer, parse_config, split_stats};

    fn usage(msg: &str) -> ! {
        eprintln!("error: {msg}\nusage: easel-cli [--data mnist|fashion|PATH] [--model dcgan|dense] [--backend cpu|wgpu] [--steps N] [--batch N] [--out FILE.png]");
        std::process::exit(2)
    }

    fn style_usage(msg: &str) -> ! {
        eprintln!("error: {msg}\nusage: easel-cli style CONTENT STYLE [--size N] [--iterations N] [--content-weight W] [--style-weight W] [--tv-weight W] [--init content|noise] [--keep-colors] [--lr X] [--backend cpu|wgpu] [--out FILE.png]");
        std::process::exit(2)
    }

    fn device(backend: &str) -> Device {
        match backend {
            "cpu" => Device::flex(),
            "wgpu" => Device::wgpu_options().init().unwrap_or_else(|e| usage(&format!("wgpu: {e}"))),
            _ => usage("--backend must be cpu or wgpu"),
        }
    }

    fn style(args: Vec<String>) {
        use easel::photo::{Rgb, decode, encode_png};
        use easel::style::{Stylizer, Vgg, parse_style_config, planar_to_rgba, split_style_stats};
        let (mut size, mut iterations, mut cw, mut sw, mut tvw) = ("256".to_string(), "300".to_string(), "1".to_string(), "10".to_string(), "10".to_string());
        let (mut init, mut keep, mut lr, mut backend, mut out) = ("content".to_string(), false, None, "cpu".to_string(), "styled.png".to_string());
        let mut files = vec![];
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            let mut val = || it.next().unwrap_or_else(|| style_usage(&format!("{a} needs a value")));
            match a.as_str() {
                "--size" => size = val(),
                "--iterations" => iterations = val(),
                "--content-weight" => cw = val(),
                "--style-weight" => sw = val(),
                "--tv-weight" => tvw = val(),
                "--init" => init = val(),
                "--keep-colors" => keep = true,
                "--lr" => lr = Some(val().parse::<f32>().unwrap_or_else(|_| style_usage("--lr needs a number"))),
                "--backend" => backend = val(),
                "--out" => out = val(),
                "-h" | "--help" => style_usage("help"),
                f if !f.starts_with("--") => files.push(f.to_string()),
                _ => style_usage(&format!("unknown argument {a}")),
            }
        }
        let [content, style] = files.as_slice() else { style_usage("give a CONTENT and a STYLE image") };
        let read = |p: &str| -> Rgb {
            let bytes = std::fs::read(p).unwrap_or_else(|e| style_usage(&format!("cannot read {p}: {e}")));
            decode(&bytes).unwrap_or_else(|e| style_usage(&format!("{p}: {e}")))
        };
        let (content, style) = (read(content), read(style));
        let sizes: Vec<u32> = (16..=2048).collect();
        let mut config = parse_style_config(&size, &cw, &sw, &tvw, &iterations, &init, keep, &sizes).unwrap_or_else(|errs| {
            style_usage(&errs.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
        });
        if let Some(lr) = lr {
            config.lr = lr;
        }
        let device = device(&backend);
        let vgg_path = format!("{}/www/models/vgg16.safetensors", env!("CARGO_MANIFEST_DIR"));
        let vgg = Vgg::from_safetensors(std::fs::read(&vgg_path).unwrap_or_else(|e| style_usage(&format!("{vgg_path}: {e}"))), &device.clone().autodiff())
            .unwrap_or_else(|e| style_usage(&e));
        let n = config.iterations;
        let mut st = Stylizer::new(config, vgg, &content, &style, &device).unwrap_or_else(|e| style_usage(&e));
        let start = Instant::now();
        let report = 10.max(n / 10);
        for i in 1..=n {
            st.step();
            if i % report == 0 || i == n {
                let stats = split_style_stats(&st.take_stats().unwrap().into_data().try_to_vec::<f32>().unwrap());
                let s = stats.last().unwrap();
                println!(
                    "iteration {i:>5}/{n}  total {:.4}  content {:.4}  style {:.5}  tv {:.6}  {:.0} ms/iteration",
                    s[0], s[1], s[2], s[3], start.elapsed().as_secs_f64() * 1000.0 / i as f64
                );
            }
        }
        let (w, h) = (st.width, st.height);
        let rgba = planar_to_rgba(&st.output().into_data().try_to_vec::<f32>().unwrap(), w, h);
        let rgb: Vec<u8> = rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        std::fs::write(&out, encode_png(&Rgb { width: w as u32, height: h as u32, pixels: rgb })).unwrap_or_else(|e| style_usage(&format!("{out}: {e}")));
        println!("RESULT size={w}x{h} iterations={n} ms_per_iteration={:.1}", start.elapsed().as_secs_f64() * 1000.0 / n as f64);
        println!("wrote {out}");
    }

    pub fn main() {
        let argv: Vec<String> = std::env::args().skip(1).collect();
        if argv.first().map(String::as_str) == Some("style") {
            return style(argv[1..].to_vec());
        }
        let mut data = "mnist".to_string();
        let mut model = "dcgan".to_string();
        let mut backend = "cpu".to_string();
        let mut steps = 100usize;
        let mut batch = "64".to_string();
        let mut out = None;
        let mut args = argv.into_iter();
        while let Some(a) = args.next() {
            let mut val = || args.next().unwrap_or_else(|| usage(&format!("{a} needs a value")));
            match a.as_str() {
                "--data" => data = val(),
                "--model" => model = val(),
                "--backend" => backend = val(),
                "--steps" => steps = val().parse().unwrap_or_else(|_| usage("--steps needs a whole number")),
                "--batch" => batch = val(),
                "--out" => out = Some(val()),
                "-h" | "--help" => usage("help"),
                _ => usage(&format!("unknown argument {a}")),
            }
        }
        let path = match data.as_str() {
            "mnist" | "fashion" => format!("{}/www/data/{data}.easelds.gz", env!("CARGO_MANIFEST_DIR")),
            p => p.to_string(),
        };
        let bytes = std::fs::read(&path).unwrap_or_else(|e| usage(&format!("cannot read {path}: {e}")));
        let dataset = Dataset::from_gz_bytes(&bytes).unwrap_or_else(|e| usage(&format!("{path}: {e}")));
        let config = parse_config(&model, &batch, "100", "2e-4", "2e-4", "0.5", dataset.count).unwrap_or_else(|errs| {
            usage(&errs.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
        });
        let device = device(&backend);
        let b = config.batch_size;
        let mut trainer = Trainer::new(config, &dataset, &device);
        // One warm-up step (kernel compilation), not timed.
        trainer.train_step();
        let _ = trainer.take_stats().unwrap().into_data();
        let start = Instant::now();
        let report = 10.max(steps / 10);
        for i in 1..=steps {
            trainer.train_step();
            if i % report == 0 || i == steps {
                let stats = split_stats(&trainer.take_stats().unwrap().into_data().try_to_vec::<f32>().unwrap());
                let s = stats.last().unwrap();
                let secs = start.elapsed().as_secs_f64();
                println!(
                    "step {i:>5}/{steps}  D loss {:.3}  G loss {:.3}  D(x) {:.3}  D(G(z)) {:.3}  {:.1} img/s",
                    s[0], s[1], s[2], s[3], (i * b) as f64 / secs
                );
            }
        }
        let secs = start.elapsed().as_secs_f64();
        println!("RESULT backend={backend} model={model} batch={b} steps={steps} img_per_s={:.2}", (steps * b) as f64 / secs);
        if let Some(out) = out {
            let samples = trainer.samples();
            let [_, c, h, _] = samples.dims();
            let (w, hh, rgba) = tile_rgba(&samples.into_data().try_to_vec::<f32>().unwrap(), GRID, c, h, 8);
            image::save_buffer(&out, &rgba, w as u32, hh as u32, image::ColorType::Rgba8).unwrap_or_else(|e| usage(&format!("{out}: {e}")));
            println!("wrote {out}");
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    cli::main()
}

// The page is the wasm front end; this program is native only.
#[cfg(target_arch = "wasm32")]
fn main() {}
