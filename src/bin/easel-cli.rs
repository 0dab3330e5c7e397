//! Native command-line trainer, built from the same model and training code as the page.
//!
//!     easel-cli [--data mnist|fashion|PATH] [--model dcgan|dense] [--backend cpu|wgpu]
//!               [--steps N] [--batch N] [--out grid.png]
//!
//! Prints losses and throughput; writes the fixed-noise sample grid as a PNG.

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

    pub fn main() {
        let mut data = "mnist".to_string();
        let mut model = "dcgan".to_string();
        let mut backend = "cpu".to_string();
        let mut steps = 100usize;
        let mut batch = "64".to_string();
        let mut out = None;
        let mut args = std::env::args().skip(1);
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
        let device = match backend.as_str() {
            "cpu" => Device::flex(),
            "wgpu" => Device::wgpu_options().init().unwrap_or_else(|e| usage(&format!("wgpu: {e}"))),
            _ => usage("--backend must be cpu or wgpu"),
        };
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
