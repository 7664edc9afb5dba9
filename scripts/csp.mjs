// Trunk's post-build step (Trunk.toml): gives the built page its Content-Security-Policy and
// writes the background location's copy of it.
//
// The policy is a <meta> (Zendesk serves the app's files; the app cannot set headers there):
// scripts only from the app itself and Zendesk's SDK hosts, plus the one inline module script
// trunk writes to start the wasm, allowed by its hash; wasm compiled by the page
// ('wasm-unsafe-eval'); no objects, no plugins, no <base>, no form posts. connect-src admits any
// https/wss address (the platform's address is an installation setting, unknown here) and this
// machine's (the sandbox); once the app knows the platform's address it adds a second, narrower
// policy with only that address (services: `origins::connect_policy`), and a page obeys both.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('usage: node scripts/csp.mjs <dist dir>');
const file = join(dir, 'index.html');
let html = readFileSync(file, 'utf8');
html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\n?/g, '');

const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
  ([, body]) => `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`,
);
if (hashes.length === 0) throw new Error(`${file}: no inline start-up script found`);

const policy = [
  "default-src 'none'",
  `script-src 'self' 'wasm-unsafe-eval' https://static.zdassets.com https://assets.zendesk.com ${hashes.join(' ')}`,
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "media-src 'self' https: http://localhost:* http://127.0.0.1:*",
  "connect-src 'self' https: wss: http://localhost:* ws://localhost:* http://127.0.0.1:* ws://127.0.0.1:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const meta = `<meta http-equiv="Content-Security-Policy" content="${policy}" />`;
if (!/<meta charset="utf-8" \/>/.test(html)) throw new Error(`${file}: no <meta charset> to follow`);
html = html.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    ${meta}`);
writeFileSync(file, html);
// Zendesk's background location loads the same page (see Trunk.toml).
writeFileSync(join(dir, 'background.html'), html);
console.log(`csp: ${hashes.length} inline script hash(es), policy written to index.html and background.html`);
