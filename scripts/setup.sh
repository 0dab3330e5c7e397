#!/usr/bin/env bash
# Installs what Easel needs to build, serve and test, skipping whatever is already there.
# Debian/Ubuntu with rustup. Safe to run again; needs only the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# The CLI must equal the wasm-bindgen crate that Cargo.lock pins.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
export PATH="$HOME/.cargo/bin:$PATH"

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
pkgs=()
command -v chromium >/dev/null || pkgs+=(chromium)
command -v chromedriver >/dev/null || pkgs+=(chromium-driver)
command -v node >/dev/null || pkgs+=(nodejs npm)
command -v pkg-config >/dev/null || pkgs+=(pkg-config)
# Vulkan on the CPU (lavapipe), for native wgpu runs of the CLI and benchmarks.
dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || pkgs+=(mesa-vulkan-drivers)
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${pkgs[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
# The page's threaded build (scripts/build-threads.sh): the pinned nightly, with the standard
# library's source for -Z build-std (about 20 s).
EASEL_NIGHTLY=$(sed -n 's/^export EASEL_NIGHTLY=//p' scripts/env.sh)
if ! rustup "+$EASEL_NIGHTLY" component list --installed 2>/dev/null | grep -qx rust-src; then
  echo "setup: installing the Rust toolchain $EASEL_NIGHTLY (threaded build)"
  rustup toolchain install "$EASEL_NIGHTLY" --profile minimal --component rust-src --target wasm32-unknown-unknown
fi

# The two tools build side by side (each build has long single-threaded stretches).
pids=()
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  echo "setup: building wasm-bindgen-cli $WASM_BINDGEN_VERSION (5 to 7 minutes)"
  # Not --locked: the CLI's own lock file pins a webpki-roots release the registry no longer serves.
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" & pids+=($!)
fi
if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION\$"; then
  echo "setup: building trunk $TRUNK_VERSION (10 to 18 minutes)"
  cargo install -q trunk --version "$TRUNK_VERSION" --locked & pids+=($!)
fi
for pid in "${pids[@]}"; do wait "$pid"; done

# playwright-core (drives /usr/bin/chromium; never downloads a browser) and binaryen's wasm-opt.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# Every crate for every target, so Trunk's offline build finds them.
cargo fetch --locked -q
