//! Native command-line trainer, built from the same model, training and settings code as the
//! page: `easel-cli train` (a GAN on a built-in set or a folder of your images; writes the
//! sample grid and a checkpoint the page resumes), `easel-cli style CONTENT STYLE` (instant or Gatys
//! style transfer) and `easel-cli classifier` (makes the classifier that judges samples). Every setting's flag, default, help and check comes from
//! `easel::settings`; `easel-cli --help` lists them.

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::marker::PhantomData;
    use std::path::{Path, PathBuf};
    use std::time::Instant;

    use burn::prelude::*;
    use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueEnum};
    use easel::checkpoint::resume;
    use easel::data::Dataset;
    use easel::fields::{self, Field, Form, Kind, Settings, errors_line};
    use easel::grid::{GRID, GRID_COLS, tile_rgba};
    use easel::images::{ImageSet, refuse_by_size};
    use easel::model::ModelKind;
    use easel::photo::{Rgb, decode, encode_png};
    use easel::quality::{self, ClassifierTraining, FeatureStats, Judge, Quality};
    use easel::instant::{self, InstantStyle, StyleVectors};
    use easel::settings::{DataFit, GanConfig, GanLive, GanSetup, Method, StyleConfig};
    use easel::style::{Stylizer, Vgg, planar_to_rgba};
    use easel::train::{Trainer, read_f32};
    use futures_lite::future::block_on;

    /// Train the lesson's GANs and repaint photos, natively: the same code as the Easel page.
    #[derive(Parser)]
    #[command(name = "easel-cli", version)]
    struct Cli {
        #[command(subcommand)]
        command: Command,
        /// CPU threads for the CPU backend (default: one per core).
        #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Train a GAN on MNIST, Fashion-MNIST or a folder of your images.
        Train(TrainArgs),
        /// Repaint the CONTENT photo in the style of the STYLE image: instant (one pass of a
        /// feed-forward network, Ghiasi et al.; the default) or Gatys et al.'s optimisation.
        Style(StyleArgs),
        /// Train the small classifier that scores a built-in data set's samples (the files in
        /// www/models/): held-out accuracy, then the real set's feature statistics.
        Classifier(ClassifierArgs),
        /// Check this GPU's arithmetic (wgpu) against the CPU backend: the page's WebGPU
        /// self-check, two training steps of each 28x28 model compared figure by figure.
        GpuCheck,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum Backend {
        /// Burn's CPU backend (flex).
        Cpu,
        /// Your GPU through wgpu (Vulkan, Metal or DX12).
        Wgpu,
    }

    #[derive(Args)]
    struct TrainArgs {
        /// What to train on: mnist, fashion, a data set file (.easelds.gz) or a folder of your
        /// images (read recursively, centre-cropped to --size, colour).
        #[arg(long, default_value = "mnist")]
        data: String,
        /// The size a folder's images are prepared at.
        #[arg(long, default_value_t = 32, value_parser = own_size)]
        size: usize,
        #[arg(long, value_enum, default_value_t = Backend::Cpu)]
        backend: Backend,
        /// Training steps to run.
        #[arg(long, default_value_t = 100)]
        steps: usize,
        /// Continue the run saved in this checkpoint (its settings replace the flags', except the
        /// learning rates and balance flags given: e.g. lower the rate after a divergence).
        #[arg(long, value_name = "CKPT")]
        resume: Option<PathBuf>,
        /// Write a checkpoint here at the end (the page's "Resume from checkpoint" reads it).
        #[arg(long, value_name = "OUT.safetensors")]
        checkpoint: Option<PathBuf>,
        /// Write the fixed-noise sample grid here (PNG).
        #[arg(long, value_name = "FILE.png")]
        out: Option<PathBuf>,
        /// Also write the grid at every report, as DIR/step-NNNNNN.png.
        #[arg(long, value_name = "DIR")]
        grids: Option<PathBuf>,
        #[command(flatten)]
        setup: Flags<GanSetup>,
        #[command(flatten)]
        live: Flags<GanLive>,
    }

    #[derive(Args)]
    struct StyleArgs {
        /// The photo to repaint.
        content: PathBuf,
        /// The image whose style to take.
        style: PathBuf,
        /// Instant only: a second style image, mixed in by --blend.
        #[arg(long, value_name = "IMAGE")]
        second_style: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Backend::Cpu)]
        backend: Backend,
        /// Where to write the result (PNG).
        #[arg(long, default_value = "styled.png", value_name = "FILE.png")]
        out: PathBuf,
        #[command(flatten)]
        settings: Flags<StyleConfig>,
    }

    #[derive(Args)]
    struct ClassifierArgs {
        /// The built-in data set: mnist or fashion.
        #[arg(long, default_value = "mnist", value_parser = ["mnist", "fashion"])]
        data: String,
        /// Where to write it [default: www/models/classifier-DATA.safetensors].
        #[arg(long, value_name = "OUT.safetensors")]
        out: Option<PathBuf>,
        /// Passes over the training split.
        #[arg(long, default_value_t = ClassifierTraining::default().epochs as u16, value_parser = clap::value_parser!(u16).range(1..=200))]
        epochs: u16,
        /// Seed of the split, the initial weights and the batch order.
        #[arg(long, default_value_t = ClassifierTraining::default().seed)]
        seed: u64,
        /// Move each training image by up to N pixels each way at random.
        #[arg(long, default_value_t = ClassifierTraining::default().shift as u8, value_parser = clap::value_parser!(u8).range(0..=4))]
        shift: u8,
        #[arg(long, value_enum, default_value_t = Backend::Cpu)]
        backend: Backend,
    }

    fn own_size(s: &str) -> Result<usize, String> {
        s.parse().ok().filter(|n| easel::images::OWN_IMAGE_SIZES.contains(n)).ok_or_else(|| format!("must be one of {:?}", easel::images::OWN_IMAGE_SIZES))
    }

    /// The flags of a settings struct, one per [`Field`], each checked as the page checks it.
    /// Holds the text of the flags given (the others take the struct's defaults).
    struct Flags<S> {
        form: Form,
        settings: PhantomData<S>,
    }

    fn flag(field: &'static Field, default: &str) -> Arg {
        let arg = Arg::new(field.name).long(field.flag);
        let (value_name, choices) = match field.kind {
            Kind::Bool => return arg.action(ArgAction::SetTrue).help(field.help),
            Kind::Choice(choices) => ("NAME", format!(" [possible values: {}]", choices().iter().map(|c| c.0).collect::<Vec<_>>().join(", "))),
            Kind::Int { .. } => ("N", String::new()),
            Kind::Float { .. } | Kind::Slider { .. } => ("X", String::new()),
        };
        // A help that names its own default (e.g. one that depends on the data) says it best.
        let default = if field.help.contains("default:") { String::new() } else { format!(" [default: {default}]") };
        arg.value_name(value_name)
            .help(format!("{}{default}{choices}", field.help))
            .value_parser(move |s: &str| fields::check(field, s).map(|_| s.to_string()))
    }

    impl<S: Settings> FromArgMatches for Flags<S> {
        fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
            let mut form = Form::new();
            for f in S::FIELDS {
                let text = match f.kind {
                    Kind::Bool => m.get_flag(f.name).then(|| "true".to_string()),
                    _ => m.get_one::<String>(f.name).cloned(),
                };
                if let Some(text) = text {
                    form.insert(f.name.to_string(), text);
                }
            }
            Ok(Flags { form, settings: PhantomData })
        }

        fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
            *self = Self::from_arg_matches(m)?;
            Ok(())
        }
    }

    impl<S: Settings> Args for Flags<S> {
        fn augment_args(cmd: clap::Command) -> clap::Command {
            let defaults = fields::to_form(&S::default());
            cmd.args(S::FIELDS.iter().map(|f| flag(f, &defaults[f.name])))
        }

        fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
            Self::augment_args(cmd)
        }
    }

    /// A problem the user can fix (a missing file, data that does not fit): one line, status 2.
    fn fail(msg: impl std::fmt::Display) -> ! {
        eprintln!("error: {msg}");
        std::process::exit(2)
    }

    fn read(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap_or_else(|e| fail(format!("cannot read {}: {e}", path.display())))
    }

    fn gpu_check() {
        let gpu = device(Backend::Wgpu);
        let started = std::time::Instant::now();
        let report = block_on(easel::gpu::self_check(&gpu, false)).unwrap_or_else(|e| fail(e));
        for f in &report.figures {
            println!("{}: largest difference {:.2e} of its size", f.what, f.difference);
        }
        let verdict = if report.passed { "passed" } else { "FAILED" };
        println!("self-check {verdict} in {} ms (allowed {:.0e}); {}", started.elapsed().as_millis(), easel::gpu::TOLERANCE, report.details());
        if !report.passed {
            std::process::exit(1);
        }
    }

    fn device(backend: Backend) -> Device {
        match backend {
            Backend::Cpu => Device::flex(),
            Backend::Wgpu => block_on(easel::gpu::open()).unwrap_or_else(|e| fail(format!("wgpu found no usable GPU: {e}"))),
        }
    }

    fn bar(done: usize, total: usize) -> String {
        let width = 30;
        let filled = done * width / total.max(1);
        format!("[{}{}]", "#".repeat(filled), ".".repeat(width - filled))
    }

    /// Reads every file under `dir` (sorted, recursively) into an image set; prints what it skips.
    fn image_folder(dir: &Path, size: usize) -> Dataset {
        let mut set = ImageSet::new(size).unwrap_or_else(|e| fail(e));
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap_or_else(|e| fail(format!("cannot read {}: {e}", d.display()))).flatten() {
                let p = entry.path();
                if p.is_dir() { stack.push(p) } else { files.push(p) }
            }
        }
        files.sort();
        for (i, f) in files.iter().enumerate() {
            let name = f.strip_prefix(dir).unwrap_or(f).display().to_string();
            let len = std::fs::metadata(f).map(|m| m.len() as usize).unwrap_or(0);
            if let Some(why) = refuse_by_size(len) {
                set.skip(&name, why);
            } else {
                match std::fs::read(f) {
                    Ok(bytes) => {
                        let _ = set.add(&name, &bytes);
                    }
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
        set.to_dataset().unwrap_or_else(|e| fail(format!("{}: {e}", dir.display())))
    }

    fn project_file(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
    }

    fn built_in(name: &str) -> Dataset {
        let file = project_file(&format!("www/data/{name}.easelds.gz"));
        Dataset::from_gz_bytes(&read(&file)).unwrap_or_else(|e| fail(format!("{}: {e}", file.display())))
    }

    fn load_data(args: &TrainArgs) -> (Dataset, String) {
        let path = Path::new(&args.data);
        match args.data.as_str() {
            "mnist" | "fashion" => (built_in(&args.data), args.data.clone()),
            _ if path.is_dir() => {
                let d = image_folder(path, args.size);
                let name = format!("own images ({})", d.count);
                (d, name)
            }
            _ => (Dataset::from_gz_bytes(&read(path)).unwrap_or_else(|e| fail(format!("{}: {e}", path.display()))), args.data.clone()),
        }
    }

    /// The fixed-noise sample grid as a PNG.
    fn write_grid(trainer: &Trainer, out: &Path) {
        let samples = trainer.samples();
        let [_, c, h, _] = samples.dims();
        let values = block_on(read_f32(samples.flatten(0, 3))).unwrap_or_else(|e| fail(e));
        let (w, hh, rgba) = tile_rgba(&values, GRID, c, h, GRID_COLS);
        image::save_buffer(out, &rgba, w as u32, hh as u32, image::ColorType::Rgba8).unwrap_or_else(|e| fail(format!("{}: {e}", out.display())));
    }

    fn train(args: TrainArgs) {
        let (dataset, data_name) = load_data(&args);
        let shape = [dataset.channels, dataset.height, dataset.width];
        let mut form = args.setup.form.clone();
        form.extend(args.live.form.clone());
        // Like the page: the DCGAN made for the data's image size unless a model is named.
        form.entry("model".into()).or_insert_with(|| ModelKind::default_for(shape).name().into());
        let device = device(args.backend);
        let mut trainer = match &args.resume {
            Some(path) => {
                let (mut t, info) = resume(&read(path), dataset.to_device(&device), &device).unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
                println!("resumed {} at step {} (trained on {})", path.display(), info.step, info.data);
                if !args.live.form.is_empty() {
                    let mut live = fields::to_form(&t.config.live);
                    live.extend(args.live.form.clone());
                    t.set_live(fields::parse::<GanLive>(&live).unwrap_or_else(|errs| fail(errors_line(&errs))));
                }
                t
            }
            None => {
                let config = GanConfig::parse(&form, Some(DataFit { shape, count: dataset.count })).unwrap_or_else(|errs| fail(errors_line(&errs)));
                Trainer::new(config, &dataset, &device)
            }
        };
        let setup = &trainer.config.setup;
        let (b, model, backend) = (setup.batch_size, setup.model.name(), args.backend.to_possible_value().expect("named").get_name().to_string());
        println!("training {} on {data_name} ({}x{}x{}, {} images), batch {b}, {backend}", setup.model.title(), shape[0], shape[1], shape[2], dataset.count);
        // The built-in sets are judged by their shipped classifier at every report.
        let judge = quality::classifier_file(&data_name).and_then(|file| {
            let path = project_file(&format!("www/models/{file}"));
            if !path.exists() {
                println!("no quality figures: {} is missing (make it with `easel-cli classifier --data {data_name}`)", path.display());
                return None;
            }
            let judge = Judge::from_bytes(&read(&path), &device).unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
            // From the host copy: the trainer's upload of the set is its own.
            let (images, _) = quality::images(&dataset, &quality::reference_indices(dataset.count), &device);
            let real = block_on(judge.judge(images)).unwrap_or_else(|e| fail(e));
            println!("quality of 64 real images: classifier score {:.2}  classes {}/{}", real.score, real.classes, quality::CLASSES);
            Some(judge)
        });
        let measure = |trainer: &Trainer| -> Option<Quality> {
            judge.as_ref().map(|j| block_on(j.measure(trainer, true)).unwrap_or_else(|e| fail(e)).0)
        };
        if let Some(dir) = &args.grids {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| fail(format!("{}: {e}", dir.display())));
        }
        let steps = args.steps;
        let report = 10.max(steps / 10);
        // Statistics come back once per chunk: a few per report, so the bar moves.
        let chunk = (report / 5).max(1);
        let start = Instant::now();
        let (mut done, mut skipped) = (0, 0.0f32);
        while done < steps {
            let n = chunk.min(report - done % report).min(steps - done);
            let stats = block_on(trainer.run_chunk(n)).unwrap_or_else(|e| fail(e));
            if let Some(d) = trainer.diverged.clone() {
                eprint!("\r{:78}\r", "");
                eprintln!("error: {}", d.message());
                trainer.go_back();
                let path = args.checkpoint.clone().unwrap_or_else(|| PathBuf::from(format!("easel-last-good-step-{}.safetensors", trainer.step)));
                write_checkpoint(&trainer, &path, &data_name);
                eprintln!(
                    "wrote the last good state (step {}) to {}; go on from it with: easel-cli train --resume {} --lr-g 2e-4 --lr-d 2e-4",
                    trainer.step,
                    path.display(),
                    path.display()
                );
                std::process::exit(DIVERGED)
            }
            done += n;
            skipped += stats.iter().map(|s| s.d_skipped).sum::<f32>();
            let secs = start.elapsed().as_secs_f64();
            let ips = (done * b) as f64 / secs;
            if done % report == 0 || done == steps {
                let s = stats.last().expect("a step ran");
                // Clear the progress bar's line, print the report, the bar comes back next chunk.
                eprint!("\r{:78}\r", "");
                println!(
                    "step {:>6}  D loss {:.3}  G loss {:.3}  D(x) {:.3}  D(G(z)) {:.3}  D steps skipped {skipped}  {ips:.1} img/s",
                    trainer.step, s.d_loss, s.g_loss, s.d_real, s.d_fake
                );
                if let Some(q) = measure(&trainer) {
                    println!("step {:>6}  {q}  {secs:.0} s", trainer.step);
                }
                if let Some(dir) = &args.grids {
                    write_grid(&trainer, &dir.join(format!("step-{:06}.png", trainer.step)));
                }
            }
            eprint!("\r{} {done}/{steps}  {ips:.1} img/s  ETA {:.0} s ", bar(done, steps), secs / done as f64 * (steps - done) as f64);
        }
        eprintln!();
        let secs = start.elapsed().as_secs_f64();
        println!("RESULT backend={backend} threads={} model={model} batch={b} steps={steps} img_per_s={:.2}", rayon::current_num_threads(), (steps * b) as f64 / secs);
        if let Some(q) = measure(&trainer) {
            println!("QUALITY step={} score={:.3} classes={} fd={:.3}", q.step, q.score, q.classes, q.fd.unwrap_or(f64::NAN));
        }
        if let Some(out) = args.out {
            write_grid(&trainer, &out);
            println!("wrote {}", out.display());
        }
        if let Some(path) = args.checkpoint {
            write_checkpoint(&trainer, &path, &data_name);
            println!("wrote checkpoint {} (step {}); load it in the page with \"Resume from checkpoint\"", path.display(), trainer.step);
        }
    }

    /// Exit status when training diverged (after writing the last good state).
    const DIVERGED: i32 = 3;

    fn write_checkpoint(trainer: &Trainer, path: &Path, data_name: &str) {
        let (layout, values) = trainer.checkpoint_values();
        let values = block_on(read_f32(values)).unwrap_or_else(|e| fail(e));
        std::fs::write(path, trainer.checkpoint_bytes(&layout, &values, data_name)).unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
    }

    fn classifier(args: ClassifierArgs) {
        let data = built_in(&args.data);
        let device = device(args.backend);
        let how = ClassifierTraining { epochs: args.epochs.into(), seed: args.seed, shift: args.shift.into(), ..ClassifierTraining::default() };
        let (train_idx, held) = quality::split(data.count, how.seed);
        println!("training the {} classifier on {} images ({} held out), {} epochs, seed {}", args.data, train_idx.len(), held.len(), how.epochs, how.seed);
        let start = Instant::now();
        let model = block_on(quality::train_classifier(&data, &how, &device, |epoch, loss| {
            println!("epoch {epoch:>3}  loss {loss:.4}  {:.0} s", start.elapsed().as_secs_f64());
        }))
        .unwrap_or_else(|e| fail(e));
        let accuracy = block_on(quality::accuracy(&model, &data, &held, &device)).unwrap_or_else(|e| fail(e));
        let real: FeatureStats = block_on(quality::real_stats(&model, &data, &device)).unwrap_or_else(|e| fail(e));
        let out = args.out.unwrap_or_else(|| project_file(&format!("www/models/{}", quality::classifier_file(&args.data).expect("a built-in set"))));
        let meta = [
            ("data", args.data.clone()),
            ("seed", how.seed.to_string()),
            ("epochs", how.epochs.to_string()),
            ("batch", how.batch.to_string()),
            ("lr", how.lr.to_string()),
            ("shift", how.shift.to_string()),
            ("held_out", held.len().to_string()),
            ("held_out_accuracy", format!("{accuracy:.4}")),
            ("made_by", format!("easel-cli classifier --data {} --epochs {} --seed {} --shift {}", args.data, how.epochs, how.seed, how.shift)),
            ("version", env!("CARGO_PKG_VERSION").to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let bytes = block_on(Judge::to_bytes(&model, &real, meta)).unwrap_or_else(|e| fail(e));
        std::fs::write(&out, &bytes).unwrap_or_else(|e| fail(format!("{}: {e}", out.display())));
        println!("RESULT data={} held_out_accuracy={accuracy:.4} bytes={} seconds={:.0}", args.data, bytes.len(), start.elapsed().as_secs_f64());
        println!("wrote {}", out.display());
    }

    fn style(args: StyleArgs) {
        let config: StyleConfig = fields::parse(&args.settings.form).unwrap_or_else(|errs| fail(errors_line(&errs)));
        let image = |p: &Path| -> Rgb { decode(&read(p)).unwrap_or_else(|e| fail(format!("{}: {e}", p.display()))) };
        let (content, style) = (image(&args.content), image(&args.style));
        let device = device(args.backend);
        if config.method == Method::Instant {
            let second = args.second_style.as_deref().map(image);
            return instant_style(config, &content, &style, second.as_ref(), &args.out, &device);
        }
        if args.second_style.is_some() {
            fail("--second-style is for --method instant");
        }
        let vgg_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models/vgg16.safetensors");
        let vgg = Vgg::from_safetensors(read(&vgg_path), &device.clone().autodiff()).unwrap_or_else(|e| fail(e));
        let n = config.iterations;
        let mut st = Stylizer::new(config, vgg, &content, &style, &device).unwrap_or_else(|e| fail(e));
        let start = Instant::now();
        let report = 10.max(n / 10);
        while !st.done() {
            let stats = block_on(st.run_chunk(report - st.iteration % report)).unwrap_or_else(|e| fail(e));
            let s = stats.last().expect("an iteration ran");
            println!(
                "iteration {:>5}/{n}  total {:.4}  content {:.4}  style {:.5}  tv {:.6}  {:.0} ms/iteration",
                st.iteration, s.total, s.content, s.style, s.tv, start.elapsed().as_secs_f64() * 1000.0 / st.iteration as f64
            );
        }
        let out = &args.out;
        let (w, h) = write_rgb(out, st.output());
        println!("RESULT size={w}x{h} threads={} iterations={n} ms_per_iteration={:.1}", rayon::current_num_threads(), start.elapsed().as_secs_f64() * 1000.0 / n as f64);
        println!("wrote {}", out.display());
    }

    fn write_rgb(out: &Path, t: Tensor<4>) -> (usize, usize) {
        let [_, _, h, w] = t.dims();
        let values = block_on(read_f32(t.flatten(0, 3))).unwrap_or_else(|e| fail(e));
        let rgb: Vec<u8> = planar_to_rgba(&values, w, h).chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        std::fs::write(out, encode_png(&Rgb { width: w as u32, height: h as u32, pixels: rgb })).unwrap_or_else(|e| fail(format!("{}: {e}", out.display())));
        (w, h)
    }

    fn instant_style(config: StyleConfig, content: &Rgb, style: &Rgb, second: Option<&Rgb>, out: &Path, device: &Device) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models/instant-style.safetensors");
        let net = InstantStyle::from_safetensors(read(&path), device).unwrap_or_else(|e| fail(e));
        let start = Instant::now();
        let imgs: Vec<&Rgb> = [content, style].into_iter().chain(second).collect();
        let mut vectors = block_on(instant::read_vectors(&net, &imgs, device)).unwrap_or_else(|e| fail(e)).into_iter();
        let mut next = || vectors.next().expect("a vector per image");
        let vectors = StyleVectors { own: next(), style: next(), second: second.map(|_| next()) };
        let predict = start.elapsed();
        let t = instant::render(&net, content, &vectors, &config, device).unwrap_or_else(|e| fail(e));
        let (w, h) = write_rgb(out, t);
        let total = start.elapsed();
        println!(
            "RESULT method=instant size={w}x{h} threads={} predict_ms={:.0} transform_ms={:.0}",
            rayon::current_num_threads(),
            predict.as_secs_f64() * 1000.0,
            (total - predict).as_secs_f64() * 1000.0
        );
        println!("wrote {}", out.display());
    }

    pub fn main() {
        let cli = Cli::parse();
        // Burn's CPU backend splits large matrix products, convolutions and reductions over
        // rayon's global pool; without --threads it has one thread per core.
        if let Some(n) = cli.threads {
            rayon::ThreadPoolBuilder::new().num_threads(n.into()).build_global().expect("the pool is built once, first");
        }
        match cli.command {
            Command::Train(args) => train(args),
            Command::Style(args) => style(args),
            Command::Classifier(args) => classifier(args),
            Command::GpuCheck => gpu_check(),
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
