// Sorts the files of a built app (dist/) for scripts/size.sh: what the browser fetches before the
// first screen is interactive (the critical path) and the rest. Prints one line a file, tab
// separated: `critical <path>`, `later <path>` (paths relative to dist/), and `external <url>` for
// what the page loads from elsewhere (Zendesk's SDK).
//
// The critical path starts at index.html and follows what it loads eagerly: <script src>, the
// inline start-up module's imports and the files it names (the wasm), <link> stylesheets, preloads
// and module preloads, <img src>; then the static imports of each script on the path, and the
// @import and url() of each stylesheet (a font or image a rule names is fetched before the screen
// using it is complete, so it counts). A dynamic import() or a <link rel=prefetch> is not followed:
// it is fetched later. Every other file under dist/, recursively, is "later".
//
// The rest: background.html, the page of Zendesk's background location (another frame, sharing
// the wasm through the browser cache), and phone-metadata.dat and session-<hash>.wasm (the session's
// code, split off the wasm: scripts/split.mjs), which the app fetches at sign-in; the loader that
// fetches the latter is imported by the glue, so it is on the critical path.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

const dist = process.argv[2] ?? 'dist';
if (!existsSync(join(dist, 'index.html'))) {
  console.error(`${dist}/index.html not found: build the app first (trunk build --release)`);
  process.exit(1);
}

const critical = [];
const external = [];
const queue = [];

// A reference made from the file `from` (relative to dist/): queued if it is a file of dist/,
// kept apart if it is another host's, ignored otherwise (data: URLs, anchors).
function follow(from, ref) {
  ref = ref.trim().replace(/[?#].*$/, '');
  if (ref === '' || /^data:/i.test(ref)) return;
  if (/^([a-z][a-z0-9+.-]*:)?\/\//i.test(ref)) {
    if (!external.includes(ref)) external.push(ref);
    return;
  }
  const path = ref.startsWith('/') ? ref.slice(1) : posix.normalize(posix.join(posix.dirname(from), ref));
  const file = join(dist, path);
  if (critical.includes(path) || !existsSync(file) || !statSync(file).isFile()) return;
  critical.push(path);
  queue.push(path);
}

const attr = (tag, name) => tag.match(new RegExp(`\\b${name}\\s*=\\s*["']([^"']*)["']`, 'i'))?.[1];

// Static imports and re-exports of a script (not import()).
function scriptRefs(from, js) {
  for (const m of js.matchAll(/(?:^|[;\s])(?:import|export)\b[^'"`;()]*?\bfrom\s*["']([^"']+)["']/g)) follow(from, m[1]);
  for (const m of js.matchAll(/(?:^|[;\s])import\s*["']([^"']+)["']/g)) follow(from, m[1]);
}

function htmlRefs(from, html) {
  for (const [, attrs, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    const src = attr(`<script ${attrs}>`, 'src');
    if (src !== undefined) {
      follow(from, src);
      continue;
    }
    // The inline start-up module: its imports, and the files it names in strings (the wasm
    // handed to init()).
    scriptRefs(from, body);
    for (const m of body.matchAll(/["'`]([^"'`\s]+\.[a-z0-9]+)["'`]/gi)) follow(from, m[1]);
  }
  for (const [tag] of html.matchAll(/<link\b[^>]*>/gi)) {
    const rel = (attr(tag, 'rel') ?? '').toLowerCase().split(/\s+/);
    if (rel.some((r) => r === 'stylesheet' || r === 'preload' || r === 'modulepreload')) {
      const href = attr(tag, 'href');
      if (href !== undefined) follow(from, href);
    }
  }
  for (const [tag] of html.matchAll(/<img\b[^>]*>/gi)) {
    const src = attr(tag, 'src');
    if (src !== undefined) follow(from, src);
  }
}

function cssRefs(from, css) {
  for (const m of css.matchAll(/@import\s+["']([^"']+)["']/g)) follow(from, m[1]);
  for (const m of css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)) follow(from, m[1]);
}

critical.push('index.html');
queue.push('index.html');
while (queue.length) {
  const path = queue.shift();
  const text = () => readFileSync(join(dist, path), 'utf8');
  if (/\.html?$/i.test(path)) htmlRefs(path, text());
  else if (/\.m?js$/i.test(path)) scriptRefs(path, text());
  else if (/\.css$/i.test(path)) cssRefs(path, text());
}

function walk(dir) {
  return readdirSync(join(dist, dir), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const path = dir ? `${dir}/${e.name}` : e.name;
      return e.isDirectory() ? walk(path) : e.isFile() ? [path] : [];
    });
}

for (const path of critical) console.log(`critical\t${path}`);
for (const url of external) console.log(`external\t${url}`);
for (const path of walk('')) if (!critical.includes(path)) console.log(`later\t${path}`);
