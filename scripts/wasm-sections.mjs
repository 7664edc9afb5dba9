// Prints the gzip -9 size of a wasm file's code and data sections apart: what the app's logic
// costs against what is built-in data (the phone number metadata is most of the data).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const bytes = readFileSync(process.argv[2]);
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
const sizes = { code: [0, 0], data: [0, 0], other: [0, 0] };
while (i < bytes.length) {
  const id = bytes[i++];
  const len = leb();
  const body = bytes.subarray(i, i + len);
  i += len;
  const kind = id === 10 ? 'code' : id === 11 ? 'data' : 'other';
  sizes[kind][0] += len;
  sizes[kind][1] += gzipSync(body, { level: 9 }).length;
}
for (const [kind, [raw, gz]] of Object.entries(sizes)) {
  console.log(`  wasm ${kind.padEnd(6)} ${String(raw).padStart(10)} ${String(gz).padStart(10)}`);
}
