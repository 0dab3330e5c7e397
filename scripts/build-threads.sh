#!/usr/bin/env bash
# The page's second wasm: Burn's CPU backend only, its work split over a rayon pool of Web
# Workers that share the wasm memory (wasm-bindgen-rayon). Shared memory needs atomics, and
# atomics need the standard library rebuilt with them: the pinned nightly's -Z build-std. The
# WebGPU build cannot be this one (wgpu's handles are not Send once wasm has threads).
# Run by Trunk (Trunk.toml hook) into its staging folder's threads/; by hand: into dist/threads/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
out="${TRUNK_STAGING_DIR:-$PWD/dist}/threads"
# Its own build folder: other flags and another compiler than the main build's.
target="$CARGO_TARGET_DIR-threads"
# Every crate (and std) with atomics; the link step (`cargo rustc` passes these to the last
# crate only) makes the memory shared and imported, as wasm-bindgen's thread support expects
# (rustc no longer does this by itself: rust-lang/rust#147225). 4 GiB: the most a wasm32 memory
# can grow to (a shared memory must declare its maximum).
link=(--shared-memory --import-memory --max-memory=4294967296
  --export=__wasm_init_tls --export=__tls_size --export=__tls_align --export=__tls_base)
RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+simd128" \
  cargo "+$EASEL_NIGHTLY" rustc --release --locked --lib --target wasm32-unknown-unknown \
  --no-default-features --features threads -Z build-std=std,panic_abort --target-dir "$target" \
  -- "${link[@]/#/-Clink-arg=}"
# wasm-bindgen and wasm-opt (minutes) only when the wasm changed; kept beside the build.
wasm="$target/wasm32-unknown-unknown/release/easel.wasm"
profile="${TRUNK_PROFILE:-release}"
page="$target/page-$profile"
if [ ! -f "$page/easel_bg.wasm" ] || [ "$wasm" -nt "$page/easel_bg.wasm" ]; then
  rm -rf "$page" "$page.tmp"
  wasm-bindgen --target web --no-typescript --out-dir "$page.tmp" --out-name easel "$wasm"
  if [ "$profile" = release ]; then
    wasm-opt -Oz --enable-threads --enable-bulk-memory --enable-simd --enable-mutable-globals \
      --enable-sign-ext --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
      "$page.tmp/easel_bg.wasm" -o "$page.tmp/easel_bg.wasm"
  fi
  mv "$page.tmp" "$page"
fi
mkdir -p "$out"
cp -r "$page/." "$out/"
