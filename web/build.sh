#!/usr/bin/env bash
# Builds the browser version into dist/: index.html, the module after
# wasm-bindgen and wasm-opt, its JS glue, the bundled scenarios and a favicon.
# Installs what it needs when missing: the wasm32 target (rustup), the
# wasm-bindgen CLI at exactly the version in Cargo.lock (cargo install), and a
# current binaryen for wasm-opt (npm; Debian's binaryen 108 breaks the module).
#
#   web/build.sh              # dist/ beside Cargo.toml
#   DIST=/srv/www web/build.sh
#   WASM_OPT=-Os web/build.sh # wasm-opt's passes (default -O1, then merging identical
#                             # and similar functions and dropping unused arguments;
#                             # "none" skips it)
#
# Tools go in $FLOTILLA_WEB_TOOLS (default ~/.cache/flotilla-web), so they are
# installed once per machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist=${DIST:-$root/dist}
tools=${FLOTILLA_WEB_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/flotilla-web}
opt_passes=${WASM_OPT:--O1 --duplicate-function-elimination --merge-similar-functions --dae-optimizing}
binaryen_version=132.0.0
target=wasm32-unknown-unknown
profile=wasm-release
mkdir -p "$tools"
say() { printf 'web/build.sh: %s\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx "$target"; then
  say "adding the $target target"
  rustup target add "$target"
fi

# The CLI must match the wasm-bindgen crate the module was built with.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$bindgen_version" ] || { say "no wasm-bindgen in Cargo.lock"; exit 1; }
bindgen=$tools/bin/wasm-bindgen
if [ "$("$bindgen" --version 2>/dev/null)" != "wasm-bindgen $bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version into $tools (a few minutes, once)"
  cargo install --quiet --root "$tools" wasm-bindgen-cli --version "=$bindgen_version"
fi

wasm_opt=$tools/node_modules/.bin/wasm-opt
if [ "$opt_passes" != none ] && [ "$("$wasm_opt" --version 2>/dev/null | awk '{print $3}')" != "${binaryen_version%%.*}" ]; then
  say "installing binaryen $binaryen_version (wasm-opt) from npm into $tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" "binaryen@$binaryen_version" >/dev/null
fi

say "cargo build --profile $profile --target $target"
started=$(date +%s)
cargo build --profile "$profile" --target "$target" --bin flotilla
say "built in $(( $(date +%s) - started )) s"
module=${CARGO_TARGET_DIR:-target}/$target/$profile/flotilla.wasm

rm -rf "$dist"
mkdir -p "$dist/scenarios"
# Names and producers go: they are for debuggers, and they are half the module.
"$bindgen" --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-dir "$dist" --out-name flotilla "$module"
out=$dist/flotilla_bg.wasm
raw=$(stat -c %s "$out")
if [ "$opt_passes" != none ]; then
  say "wasm-opt $opt_passes (binaryen $binaryen_version)"
  read -ra passes <<< "$opt_passes"
  started=$(date +%s)
  "$wasm_opt" "${passes[@]}" --strip-debug --strip-producers "$out" -o "$out.opt"
  mv "$out.opt" "$out"
  say "wasm-opt took $(( $(date +%s) - started )) s"
fi
cp web/index.html web/favicon.svg "$dist/"
cp scenarios/*.ron scenarios/*.csv "$dist/scenarios/"

size=$(stat -c %s "$out")
gz=$(gzip -9 -c "$out" | wc -c)
printf 'flotilla_bg.wasm: %s bytes after wasm-bindgen, %s after wasm-opt, %s gzipped (gzip -9)\n' "$raw" "$size" "$gz"
printf 'wrote %s\n' "$dist"
