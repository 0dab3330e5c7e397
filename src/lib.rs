//! Easel: train the lesson's GANs with Burn, natively and in the browser (WebGPU).
//!
//! The model and training code here compiles natively and to wasm; `web` only translates
//! between JavaScript and it.

//! Modules depend one way: fields → settings (with model) → data, grid → train → checkpoint,
//! style, quality; `web` and the CLI sit on top.

pub mod adam;
pub mod channels_last;
pub mod checkpoint;
pub mod data;
pub mod fields;
pub mod gpu;
pub mod grid;
pub mod images;
pub mod instant;
pub mod model;
pub mod photo;
pub mod quality;
pub mod resample;
pub mod rng;
pub mod settings;
pub mod style;
pub mod train;

#[cfg(target_arch = "wasm32")]
pub mod web;
