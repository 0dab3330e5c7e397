//! The CPU engine: Burn flex with its SIMD kernels, on a pool of threads, trains as the scalar
//! one-thread engine did. The reference grid was written by `easel-cli` built before SIMD and
//! threads were turned on (commit f58cf3a):
//! `easel-cli train --steps 5 --batch 8 --seed 7 --out tests/data/scalar-dcgan-seed7-5-steps.png`
//! (the lesson's DCGAN, then the default; now `--model dcgan`).
//! The page's builds are held to the same grid in tests/e2e/page.test.mjs.

use burn::prelude::*;
use easel::data::Dataset;
use easel::fields::Form;
use easel::grid::{GRID, GRID_COLS, tile_rgba};
use easel::settings::GanConfig;
use easel::train::{Trainer, read_f32};
use futures_lite::future::block_on;

const REFERENCE: &str = "tests/data/scalar-dcgan-seed7-5-steps.png";

/// The fixed-noise sample grid after five steps of the lesson's DCGAN (batch 8, seed 7), as the
/// CLI writes it.
fn grid_after_five_steps() -> Vec<u8> {
    let data = Dataset::from_gz_bytes(&std::fs::read("www/data/mnist.easelds.gz").unwrap()).unwrap();
    let form: Form = [("model", "dcgan"), ("batch_size", "8"), ("seed", "7")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    let config = GanConfig::parse(&form, None).unwrap();
    let device = Device::flex();
    let mut t = Trainer::new(config, &data, &device);
    block_on(t.run_chunk(5)).unwrap();
    let samples = t.samples();
    let [_, c, h, _] = samples.dims();
    let values = block_on(read_f32(samples.flatten(0, 3))).unwrap();
    tile_rgba(&values, GRID, c, h, GRID_COLS).2
}

#[test]
fn simd_and_threads_train_as_the_scalar_engine_did() {
    let want = image::open(REFERENCE).unwrap().to_rgba8().into_raw();
    // One thread, then every core (at least two, so the parallel paths run even on one core).
    for threads in [1, std::thread::available_parallelism().map_or(2, |n| n.get().max(2))] {
        let got = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(grid_after_five_steps);
        assert_eq!(got.len(), want.len());
        // Float sums in another order (SIMD lanes, split matrix products) differ in the last
        // bits; five Adam steps (which divide by the gradients' own size) carry that into the
        // weights, and some 8-bit values move by one step (3.6 % here on one thread). Never by
        // two: a wrong kernel would move them by many.
        let worst = got.iter().zip(&want).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
        let moved = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert!(worst <= 1, "{threads} thread(s): a pixel differs by {worst} levels from the scalar engine's");
        assert!(moved * 10 <= want.len(), "{threads} thread(s): {moved} of {} values differ", want.len());
    }
}
