// The wasm's code by crate, so that a size regression has a name: sums the size of each function
// body (code section) by the crate its name belongs to, and prints the largest crates by raw bytes
// and share, then the app crate's own modules (agent_adapter::services, ::ui, …).
//
//   node scripts/wasm-crates.mjs <wasm> [top]
//
// It needs the function names of the wasm's "name" section, which only the cargo artifact keeps:
// target/wasm32-unknown-unknown/release/agent-adapter.wasm, before wasm-bindgen and wasm-opt (the
// shipped dist/*.wasm has none). That artifact's code is larger than the shipped one: wasm-opt
// shrinks it, and wasm-bindgen removes its "describe" functions (counted apart below), so read the
// shares, not the bytes, against dist/. The data section (strings, tables, the phone metadata) has
// no names: scripts/wasm-sections.mjs prints it whole.
//
// Crates come from Rust's mangled names, demangled here just enough:
// - legacy `_ZN<len><ident>…E`: the first path segment; a trait impl `<T as core::fmt::Debug>` or
//   an impl on a type `<alloc::vec::Vec<T>>` counts for the first identifier followed by `::`;
// - v0 `_R…`: the first crate root `C[s<hash>_]<len><ident>`.
// A generic function counts for the crate that defines it, whatever its type arguments:
// `core::ptr::drop_in_place<agent_adapter::…>` is core's. Names that are not mangled (memcmp,
// wasm-bindgen's exports, …) are grouped as "(not mangled)".
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const APP = 'agent_adapter';
const file = process.argv[2];
const top = Number(process.argv[3] ?? 20);
if (!file) {
  console.error('usage: node scripts/wasm-crates.mjs <wasm with a name section> [top]');
  process.exit(2);
}
const bytes = readFileSync(file);

let i = 8;
const leb = () => {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[i++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return result;
  }
};
const str = () => {
  const n = leb();
  const s = bytes.toString('utf8', i, i + n);
  i += n;
  return s;
};
const limits = () => {
  const flags = bytes[i++];
  leb();
  if (flags & 1) leb();
};

// Function indices count the imported functions first, then the bodies of the code section.
let importedFunctions = 0;
const bodies = []; // [start, end) of each body, size prefix included
const names = new Map();
while (i < bytes.length) {
  const id = bytes[i++];
  const len = leb();
  const end = i + len;
  if (id === 2) {
    for (let n = leb(); n > 0; n--) {
      str();
      str();
      const kind = bytes[i++];
      if (kind === 0) {
        leb();
        importedFunctions++;
      } else if (kind === 1) {
        i++;
        limits();
      } else if (kind === 2) {
        limits();
      } else if (kind === 3) {
        i += 2;
      } else if (kind === 4) {
        i++;
        leb();
      } else {
        throw new Error(`import kind ${kind} not understood`);
      }
    }
  } else if (id === 10) {
    for (let n = leb(); n > 0; n--) {
      const start = i;
      const size = leb();
      bodies.push([start, i + size]);
      i += size;
    }
  } else if (id === 0 && str() === 'name') {
    while (i < end) {
      const sub = bytes[i++];
      const subEnd = leb() + i;
      if (sub === 1) {
        for (let n = leb(); n > 0; n--) {
          const index = leb();
          names.set(index, str());
        }
      }
      i = subEnd;
    }
  }
  i = end;
}
if (names.size === 0) {
  console.error(`${file}: no "name" section (function names), so no crates to tell apart.`);
  console.error('Use the cargo artifact, not dist/; if it has none either, the release profile strips it:');
  console.error('build it with CARGO_PROFILE_RELEASE_STRIP=none on that cargo command.');
  process.exit(1);
}

// Legacy escapes: `$LT$` <, `$GT$` >, `$u20$` a space, `..` ::, and so on.
const ESCAPES = { SP: '@', BP: '*', RF: '&', LT: '<', GT: '>', LP: '(', RP: ')', C: ',' };
const unescape = (s) =>
  s
    .replace(/^_\$/, '$')
    .replace(/\$([A-Z]{1,2}|u[0-9a-f]+)\$/g, (m, e) =>
      e.startsWith('u') ? String.fromCodePoint(parseInt(e.slice(1), 16)) : (ESCAPES[e] ?? m))
    .replace(/\.\./g, '::');

// The path segments of a legacy name, decoded, without the trailing hash.
function legacySegments(name) {
  const segments = [];
  let p = 3;
  while (p < name.length && name[p] !== 'E') {
    const m = /^\d+/.exec(name.slice(p));
    if (!m) break;
    p += m[0].length;
    segments.push(unescape(name.slice(p, p + Number(m[0]))));
    p += Number(m[0]);
  }
  if (/^h[0-9a-f]{16}$/.test(segments.at(-1) ?? '')) segments.pop();
  return segments;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/;
// [crate, the app's module or null] of a function name.
function owner(name) {
  if (name.startsWith('_ZN')) {
    const segments = legacySegments(name);
    if (segments.length === 0) return ['(not mangled)', null];
    let crate;
    let module;
    if (segments[0].startsWith('<')) {
      // `<T as core::fmt::Debug>`, `<alloc::vec::Vec<T>>`: the first identifier that starts a path.
      const joined = segments.join('::');
      crate = new RegExp(`(${IDENT.source})::`).exec(joined)?.[1] ?? '(impl on a primitive)';
      module = new RegExp(`\\b${crate}::(${IDENT.source})`).exec(joined)?.[1];
    } else {
      crate = segments[0];
      module = segments[1];
    }
    return [crate, crate === APP ? moduleName(module) : null];
  }
  if (name.startsWith('_R')) {
    // v0: the first crate root, then the identifier after it is the next path level.
    const m = /C(?:s[0-9A-Za-z]*_)?(\d+)_?/.exec(name);
    if (!m) return ['(not mangled)', null];
    const at = m.index + m[0].length;
    const crate = name.slice(at, at + Number(m[1]));
    const next = /^(?:s[0-9A-Za-z]*_)?(\d+)_?/.exec(name.slice(at + crate.length));
    const module = next ? name.slice(at + crate.length + next[0].length).slice(0, Number(next[1])) : undefined;
    return [crate, crate === APP ? moduleName(module) : null];
  }
  return ['(not mangled)', null];
}

// `agent_adapter::ui`. A legacy name does not tell a module from a function, so a function of the
// crate root shows under its own name (`agent_adapter::main`); what has no usable name there is the
// crate root's.
function moduleName(module) {
  return module && IDENT.test(module) && /^[a-z_][a-z0-9_]*$/.test(module) && module !== '{{closure}}'
    ? `${APP}::${module}`
    : `${APP} (crate root)`;
}

const crates = new Map();
const modules = new Map();
const add = (map, key, body) => {
  const entry = map.get(key) ?? { raw: 0, bodies: [] };
  entry.raw += body[1] - body[0];
  entry.bodies.push(body);
  map.set(key, entry);
};
const described = { count: 0, raw: 0 };
let total = 0;
for (const [k, body] of bodies.entries()) {
  const name = names.get(importedFunctions + k) ?? '';
  // wasm-bindgen runs these at build time to learn the exported types, then deletes them.
  if (name.startsWith('__wbindgen_describe')) {
    described.count++;
    described.raw += body[1] - body[0];
    continue;
  }
  total += body[1] - body[0];
  const [crate, module] = owner(name);
  add(crates, crate, body);
  if (module) add(modules, module, body);
}

// Each group's bodies compressed on their own: what the group would weigh alone (compressed with
// the rest, shared strings make it a little less).
const gz = (entry) => gzipSync(Buffer.concat(entry.bodies.map(([s, e]) => bytes.subarray(s, e))), { level: 9 }).length;
const num = (n) => n.toLocaleString('en-US');
const pct = (n) => `${((100 * n) / total).toFixed(1)} %`;
const row = (label, raw, share, gzip) =>
  console.log(`  ${label.padEnd(34)} ${String(raw).padStart(10)} ${String(share).padStart(8)} ${String(gzip).padStart(10)}`);

console.log(`wasm code by crate (${file}: ${num(bodies.length - described.count)} function bodies, ${num(total)} bytes;`);
console.log(`  not counted: ${num(described.count)} wasm-bindgen describe functions, ${num(described.raw)} bytes, removed before shipping)`);
row('crate', 'raw', 'share', 'gzip-9 alone');
const sorted = [...crates].sort((a, b) => b[1].raw - a[1].raw);
for (const [crate, entry] of sorted.slice(0, top)) row(crate, entry.raw, pct(entry.raw), gz(entry));
const rest = sorted.slice(top);
if (rest.length) {
  const raw = rest.reduce((s, [, e]) => s + e.raw, 0);
  row(`${rest.length} more crates`, raw, pct(raw), gz({ bodies: rest.flatMap(([, e]) => e.bodies) }));
}
console.log(`${APP} by module (share of all the code)`);
for (const [module, entry] of [...modules].sort((a, b) => b[1].raw - a[1].raw)) {
  row(module, entry.raw, pct(entry.raw), gz(entry));
}
