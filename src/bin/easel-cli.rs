//! Native command-line trainer, built from the same model and training code as the page.
//!
//!     easel-cli [train] [--data mnist|fashion|FILE.easelds.gz|FOLDER] [--size 32|64]
//!               [--model dcgan|dcgan32|dcgan64|dense] [--backend cpu|wgpu] [--steps N]
//!               [--batch N] [--latent N] [--lr-g X] [--lr-d X] [--beta1 X] [--loss bce|lsgan]
//!               [--real-label X] [--d-steps K] [--skip-d-below X] [--flip]
//!               [--resume CKPT.safetensors] [--checkpoint OUT.safetensors] [--out grid.png]
//!
//! Trains on a built-in set or a folder of your images (centre-cropped to --size, colour) with
//! a progress bar; writes the fixed-noise sample grid as a PNG and a checkpoint the page resumes.
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
    use easel::checkpoint::resume;
    use easel::model::ModelKind;
    use easel::train::{ConfigInput, GRID, Trainer, parse_config, split_stats};

    fn usage(msg: &str) -> ! {
        eprintln!("error: {msg}\nusage: easel-cli [train] [--data mnist|fashion|FILE.easelds.gz|FOLDER] [--size 32|64] [--model dcgan|dcgan32|dcgan64|dense] [--backend cpu|wgpu] [--steps N] [--batch N] [--latent N] [--lr-g X] [--lr-d X] [--beta1 X] [--loss bce|lsgan] [--real-label X] [--d-steps K] [--skip-d-below X] [--flip] [--resume CKPT] [--checkpoint OUT.safetensors] [--out FILE.png]");
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

    /// Reads every file under `dir` (sorted, recursively) into an image set; prints what it skips.
    fn image_folder(dir: &str, size: &str) -> easel::data::Dataset {
        let size: usize = size.parse().unwrap_or_else(|_| usage("--size must be 32 or 64"));
        let mut set = easel::images::ImageSet::new(size).unwrap_or_else(|e| usage(&e));
        let mut files = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap_or_else(|e| usage(&format!("cannot read {}: {e}", d.display()))).flatten() {
                let p = entry.path();
                if p.is_dir() { stack.push(p) } else { files.push(p) }
            }
        }
        files.sort();
        for (i, f) in files.iter().enumerate() {
            let name = f.strip_prefix(dir).unwrap_or(f).display().to_string();
            let len = std::fs::metadata(f).map(|m| m.len() as usize).unwrap_or(0);
            if let Some(why) = easel::images::refuse_by_size(len) {
                set.skip(&name, why);
            } else {
                match std::fs::read(f) {
                    Ok(bytes) => { let _ = set.add(&name, &bytes); }
                    Err(e) => set.skip(&name, format!("could not read the file: {e}")),
                }
            }
            if i % 20 == 19 || i + 1 == files.len() {
                eprint!("\rpreparing images {} {}/{}", bar(i + 1, files.len()), i + 1, files.len());
            }
        }
        eprintln!();
        for (name, why) in &set.skipped {
            println!("skipped {name}: {why}");
        }
        println!("{} images taken at {size}x{size}, {} skipped", set.len(), set.skipped.len());
        set.to_dataset().unwrap_or_else(|e| usage(&format!("{dir}: {e}")))
    }

    fn bar(done: usize, total: usize) -> String {
        let width = 30;
        let filled = done * width / total.max(1);
        format!("[{}{}]", "#".repeat(filled), ".".repeat(width - filled))
    }

    pub fn main() {
        let mut argv: Vec<String> = std::env::args().skip(1).collect();
        match argv.first().map(String::as_str) {
            Some("style") => return style(argv[1..].to_vec()),
            Some("train") => { argv.remove(0); }
            _ => {}
        }
        let mut input = ConfigInput { model: "auto".into(), ..ConfigInput::default() };
        let (mut data, mut size, mut backend, mut steps) = ("mnist".to_string(), "32".to_string(), "cpu".to_string(), 100usize);
        let (mut out, mut checkpoint, mut resume_from) = (None, None, None);
        let mut args = argv.into_iter();
        while let Some(a) = args.next() {
            let mut val = || args.next().unwrap_or_else(|| usage(&format!("{a} needs a value")));
            match a.as_str() {
                "--data" => data = val(),
                "--size" => size = val(),
                "--model" => input.model = val(),
                "--backend" => backend = val(),
                "--steps" => steps = val().parse().unwrap_or_else(|_| usage("--steps needs a whole number")),
                "--batch" => input.batch_size = val(),
                "--latent" => input.latent = val(),
                "--lr-g" => input.lr_g = val(),
                "--lr-d" => input.lr_d = val(),
                "--beta1" => input.beta1 = val(),
                "--loss" => input.loss = val(),
                "--real-label" => input.real_label = val(),
                "--d-steps" => input.d_steps = val(),
                "--skip-d-below" => input.skip_d_below = val(),
                "--flip" => input.flip = true,
                "--out" => out = Some(val()),
                "--checkpoint" => checkpoint = Some(val()),
                "--resume" => resume_from = Some(val()),
                "-h" | "--help" => usage("help"),
                _ => usage(&format!("unknown argument {a}")),
            }
        }
        let (dataset, data_name) = match data.as_str() {
            "mnist" | "fashion" => {
                let path = format!("{}/www/data/{data}.easelds.gz", env!("CARGO_MANIFEST_DIR"));
                (Dataset::from_gz_bytes(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| usage(&format!("{path}: {e}"))), data.clone())
            }
            p if std::path::Path::new(p).is_dir() => {
                let d = image_folder(p, &size);
                let name = format!("own images ({})", d.count);
                (d, name)
            }
            p => {
                let bytes = std::fs::read(p).unwrap_or_else(|e| usage(&format!("cannot read {p}: {e}")));
                (Dataset::from_gz_bytes(&bytes).unwrap_or_else(|e| usage(&format!("{p}: {e}"))), p.to_string())
            }
        };
        let shape = [dataset.channels, dataset.height, dataset.width];
        if input.model == "auto" {
            input.model = ModelKind::dcgan_for(shape).unwrap_or(ModelKind::Dense).name().to_string();
        }
        let device = device(&backend);
        let mut trainer = match &resume_from {
            Some(path) => {
                let bytes = std::fs::read(path).unwrap_or_else(|e| usage(&format!("cannot read {path}: {e}")));
                let (t, info) = resume(&bytes, dataset.to_device(&device), &device).unwrap_or_else(|e| usage(&format!("{path}: {e}")));
                println!("resumed {path} at step {} (trained on {})", info.step, info.data);
                t
            }
            None => {
                let config = parse_config(&input, Some(shape), dataset.count).unwrap_or_else(|errs| {
                    usage(&errs.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
                });
                Trainer::new(config, &dataset, &device)
            }
        };
        let (b, model) = (trainer.config.batch_size, trainer.config.model.name());
        println!("training {} on {data_name} ({}x{}x{}, {} images), batch {b}, {backend}", trainer.config.model.title(), shape[0], shape[1], shape[2], dataset.count);
        let start = Instant::now();
        let report = 10.max(steps / 10);
        let mut skipped = 0.0f32;
        for i in 1..=steps {
            trainer.train_step();
            let secs = start.elapsed().as_secs_f64();
            eprint!("\r{} {i}/{steps}  {:.1} img/s  ETA {:.0} s ", bar(i, steps), (i * b) as f64 / secs, secs / i as f64 * (steps - i) as f64);
            let feedback = trainer.needs_feedback();
            if feedback || i % report == 0 || i == steps {
                let values = trainer.take_stats().unwrap().into_data().try_to_vec::<f32>().unwrap();
                trainer.note_stats(&values);
                let stats = split_stats(&values);
                skipped += stats.iter().map(|s| s[4]).sum::<f32>();
                if i % report == 0 || i == steps {
                    let s = stats.last().unwrap();
                    // Clear the progress bar's line, print the report, the bar comes back next step.
                    eprint!("\r{:78}\r", "");
                    println!(
                        "step {:>6}  D loss {:.3}  G loss {:.3}  D(x) {:.3}  D(G(z)) {:.3}  D steps skipped {skipped}  {:.1} img/s",
                        trainer.step, s[0], s[1], s[2], s[3], (i * b) as f64 / secs
                    );
                }
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
        if let Some(path) = checkpoint {
            let (layout, values) = trainer.checkpoint_values();
            let values = values.into_data().try_to_vec::<f32>().unwrap();
            std::fs::write(&path, trainer.checkpoint_bytes(&layout, &values, &data_name)).unwrap_or_else(|e| usage(&format!("{path}: {e}")));
            println!("wrote checkpoint {path} (step {}); load it in the page with \"Resume from checkpoint\"", trainer.step);
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
