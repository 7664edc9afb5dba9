// Trunk's pre-build step: packs the phone library's metadata (the locked rlibphonenumber crate's
// metadata.bin, a protobuf PhoneMetadataCollection) into target/phone/phone-metadata.dat, which
// index.html has trunk copy into dist/. The app's wasm leaves the metadata out and fetches this
// file after its first screen is painted (src/services/phone_data.rs), and keeps it packed: a
// chunk is inflated only while the tables of a calling code in it are built
// (src/domain/phone_tables.rs, `unpack`, which reads this format and whose tests pack it the
// same way). `cargo metadata` names the crate's source directory (and downloads it on a fresh
// machine). Never committed.
//
// The format: `PMZ1`; the number of chunks (u32, little-endian); each chunk's deflated and
// inflated lengths (u32 each); the chunks, each a run of the collection's region records of at
// least CHUNK bytes (the last may be shorter), deflated raw (no zlib header).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deflateRawSync } from 'node:zlib';

const out = 'target/phone/phone-metadata.dat';
// About 16 KB a chunk: inflating one for a new country takes well under a millisecond and a
// transient 16-22 KB; larger chunks pack a little better (65 KB at 16 KB, 61 KB at 32 KB).
const CHUNK = 16 * 1024;
const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--locked'], {
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
}));
const crate = meta.packages.find((p) => p.name === 'rlibphonenumber');
if (!crate) {
  console.error('phone-metadata: rlibphonenumber is not among the dependencies');
  process.exit(1);
}
const source = join(dirname(crate.manifest_path), 'src/generated/metadata/metadata.bin');
if (!existsSync(source)) {
  console.error(`phone-metadata: ${source} not found`);
  process.exit(1);
}
const raw = readFileSync(source);

// The collection's records (field 1, length-delimited: one region each), where each ends.
let at = 0;
const varint = () => {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    if (at >= raw.length) throw new Error('phone-metadata: a varint runs past the end');
    const b = raw[at++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return value;
  }
};
const runs = [];
let start = 0;
while (at < raw.length) {
  const key = varint();
  if (key !== (1 << 3 | 2)) throw new Error(`phone-metadata: unexpected field key ${key} at ${at}`);
  const len = varint();
  at += len;
  if (at > raw.length) throw new Error('phone-metadata: a region runs past the end');
  if (at - start >= CHUNK) {
    runs.push(raw.subarray(start, at));
    start = at;
  }
}
if (start < raw.length) runs.push(raw.subarray(start));

const deflated = runs.map((run) => deflateRawSync(run, { level: 9 }));
const header = Buffer.alloc(8 + 8 * runs.length);
header.write('PMZ1', 0, 'latin1');
header.writeUInt32LE(runs.length, 4);
runs.forEach((run, i) => {
  header.writeUInt32LE(deflated[i].length, 8 + 8 * i);
  header.writeUInt32LE(run.length, 12 + 8 * i);
});
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, Buffer.concat([header, ...deflated]));
