# Sourced by the scripts: tool paths and a build folder outside the clone, shared by clones.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/easel/target}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
# SwiftShader WebGPU is slow: give browser tests time (wasm-bindgen-test-runner default is 20 s).
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-600}"
# The nightly toolchain of the page's threaded build (scripts/build-threads.sh): atomics need the
# standard library rebuilt (-Z build-std). Pinned; scripts/setup.sh installs it.
export EASEL_NIGHTLY=nightly-2026-05-20
