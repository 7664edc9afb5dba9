# Sourced by the scripts: tools from npm (node_modules/.bin) come first on PATH, so trunk uses
# binaryen's wasm-opt 132 from npm. Debian's binaryen 108 rewrites the externref table that
# wasm-bindgen emits into one browsers reject ("WebAssembly.Table.set(): Argument 1 is invalid").
export PATH="$PWD/node_modules/.bin:$PATH"
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
