// Trunk's pre-build step: copies the phone library's metadata (the locked rlibphonenumber crate's
// metadata.bin, a protobuf PhoneMetadataCollection) to target/phone/phone-metadata.pb, which
// index.html has trunk copy into dist/. The app's wasm leaves the metadata out and fetches this
// file after its first screen is painted (src/services/phone_data.rs). `cargo metadata` names the
// crate's source directory (and downloads it on a fresh machine). Never committed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

const out = 'target/phone/phone-metadata.pb';
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
mkdirSync(dirname(out), { recursive: true });
copyFileSync(source, out);
