// Trunk's post-build step (Trunk.toml): splits the wasm in two, then gives the page its
// Content-Security-Policy (scripts/csp.mjs). Trunk runs the hooks of one stage at the same time,
// so this one step does both, in order.
//
// The split. The app marks one split point (src/session_code.rs: the session's code, reached
// only through a table of entry points), built with the `split` feature, which also has the
// linker keep its relocations (build.rs). Trunk 0.21 cannot split a wasm, so this step redoes
// what trunk did after cargo, on cargo's artifact:
//   1. `wasm-split-cli` (wasm_split_cli_support, installed by scripts/setup.sh) cuts the artifact
//      into the main module (what the sign-in screen runs) and `split_session.wasm` (what only
//      the session's code reaches), plus `__wasm_split.js`, which loads the second on demand;
//   2. `wasm-bindgen` makes the main module's JS glue, as trunk does, keeping the exports the
//      second module links to (`--keep-lld-exports`);
//   3. in a release build, `wasm-opt -Oz` shrinks both modules, as trunk's `data-wasm-opt="z"`
//      did before (index.html now turns trunk's own pass off: it would optimise the unsplit
//      wasm, which this step replaces);
//   4. the files replace trunk's glue and wasm in the staging directory under trunk's names,
//      the loader and the session module get names with a hash of their content, and each
//      reference is rewritten: index.html's integrity hashes, the glue's import of the loader,
//      the loader's fetch of the session module (with its integrity hash, and through the bytes,
//      not `instantiateStreaming`: Zendesk's asset host may serve .wasm without its MIME type,
//      see scripts/package.sh).
import { execFile as execFileCb, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

const execFile = promisify(execFileCb);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = process.argv[2] ?? process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('usage: node scripts/split.mjs <staging dir> (or run by trunk)');
const release = (process.env.TRUNK_PROFILE ?? 'release') === 'release';
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const artifact = join(targetDir, 'wasm32-unknown-unknown', release ? 'release' : 'debug', 'agent-adapter.wasm');
const work = join(targetDir, 'split', release ? 'release' : 'debug');

const fail = (why) => {
  console.error(`split: ${why}`);
  process.exit(1);
};
const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
const short = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const replaceOnce = (text, from, to, where) => {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + from.length) >= 0) {
    fail(`${where}: expected exactly one ${JSON.stringify(from)}; the tool's output changed, update scripts/split.mjs`);
  }
  return text.slice(0, at) + to + text.slice(at + from.length);
};

const indexFile = join(dir, 'index.html');
let html = readFileSync(indexFile, 'utf8');
const glue = html.match(/import init, \* as bindings from '\.\/([^']+)\.js';/)?.[1];
if (!glue) fail(`${indexFile}: trunk's start-up script not found`);
if (!existsSync(artifact)) fail(`${artifact}: no cargo artifact`);

// The tools at the versions Trunk.toml names (trunk's own checks do not cover these calls):
// npm's binaryen first (scripts/env.sh), never an older wasm-opt that breaks the build.
const pinned = (key) => readFileSync(join(root, 'Trunk.toml'), 'utf8').match(new RegExp(`^${key} = "([^"]+)"`, 'm'))?.[1];
const tool = (name, key, shown) => {
  const local = join(root, 'node_modules', '.bin', name);
  const bin = existsSync(local) ? local : name;
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  if (!version.includes(shown(pinned(key)))) fail(`${bin} is "${version.trim()}", Trunk.toml names ${pinned(key)} (scripts/setup.sh installs it)`);
  return bin;
};
const wasmBindgen = tool('wasm-bindgen', 'wasm_bindgen', (v) => v);
const wasmOpt = tool('wasm-opt', 'wasm_opt', (v) => v.replace('version_', 'version '));

rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'bindgen'), { recursive: true });
execFileSync('wasm-split-cli', [artifact, work, '--target', 'web', '--out-name', glue], { stdio: 'inherit' });
const chunk = join(work, 'split_session.wasm');
if (!existsSync(chunk)) fail('no split_session.wasm: is the `split` feature on (index.html) and the split point in src/session_code.rs?');
execFileSync(
  wasmBindgen,
  ['--target=web', `--out-dir=${join(work, 'bindgen')}`, `--out-name=${glue}`, '--no-typescript', '--keep-lld-exports', join(work, `${glue}.wasm`)],
  { stdio: 'inherit' },
);
const mainWasm = join(work, 'bindgen', `${glue}_bg.wasm`);
// The split modules keep their function names (scripts/size.sh breaks them down by crate):
// the optimised session module is written beside its input.
const chunkOut = join(work, 'session.opt.wasm');
if (release) {
  // Both at once: two cores, one module each.
  await Promise.all([
    execFile(wasmOpt, ['-Oz', mainWasm, '-o', mainWasm], { cwd: root }),
    execFile(wasmOpt, ['-Oz', chunk, '-o', chunkOut], { cwd: root }),
  ]);
} else {
  copyFileSync(chunk, chunkOut);
}

// The session module and the loader, named by their content.
const chunkBytes = readFileSync(chunkOut);
const chunkName = `session-${short(chunkBytes)}.wasm`;
writeFileSync(join(dir, chunkName), chunkBytes);
let loader = readFileSync(join(work, '__wasm_split.js'), 'utf8');
loader = replaceOnce(
  loader,
  'const src = fetch(new URL("./split_session.wasm", import.meta.url));',
  `const src = fetch(new URL("./${chunkName}", import.meta.url), { integrity: "${sri(chunkBytes)}" })
        .then((r) => { if (!r.ok) throw new Error("session code: HTTP " + r.status); return r.arrayBuffer(); });`,
  '__wasm_split.js',
);
// A debug build wraps the instantiation in a check of its own (`debugWrap`): kept.
const streaming = /return async \(imports\) => (debugWrap)?\(WebAssembly\.instantiateStreaming\(src, imports\)\);/g;
if ((loader.match(streaming) ?? []).length !== 1) {
  fail("__wasm_split.js: expected one instantiateStreaming(src, imports); the tool's output changed, update scripts/split.mjs");
}
loader = loader.replace(streaming, (_, wrap) => `return async (imports) => ${wrap ?? ''}(WebAssembly.instantiate(await src, imports));`);
const loaderName = `split-${short(Buffer.from(loader))}.js`;
writeFileSync(join(dir, loaderName), loader);

// The glue and the main module, under trunk's names, and the page's integrity hashes.
let js = readFileSync(join(work, 'bindgen', `${glue}.js`), 'utf8');
js = replaceOnce(js, 'from "./__wasm_split.js"', `from "./${loaderName}"`, `${glue}.js`);
const wasmBytes = readFileSync(mainWasm);
writeFileSync(join(dir, `${glue}.js`), js);
writeFileSync(join(dir, `${glue}_bg.wasm`), wasmBytes);
const integrity = (file, bytes) => {
  const re = new RegExp(`(href="\\./${file.replace(/[.]/g, '\\.')}"[^>]*integrity=")[^"]*"`);
  if (!re.test(html)) fail(`${indexFile}: no integrity attribute for ${file}`);
  html = html.replace(re, `$1${sri(bytes)}"`);
};
integrity(`${glue}.js`, Buffer.from(js));
integrity(`${glue}_bg.wasm`, wasmBytes);
// The glue imports the loader at once: fetched beside it, not after it.
html = replaceOnce(
  html,
  '</head>',
  `<link rel="modulepreload" href="./${loaderName}" crossorigin="anonymous" integrity="${sri(Buffer.from(loader))}"></head>`,
  indexFile,
);
writeFileSync(indexFile, html);
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
console.log(
  `split: ${glue}_bg.wasm ${wasmBytes.length} bytes (${gz(wasmBytes)} gzip), ${chunkName} ${chunkBytes.length} bytes (${gz(chunkBytes)} gzip)`,
);

execFileSync('node', [join(root, 'scripts', 'csp.mjs'), dir], { stdio: 'inherit' });
