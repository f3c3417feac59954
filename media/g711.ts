/**
 * G.711 mu-law and A-law, bit-exact with alawmulaw but table-driven.
 *
 * alawmulaw's per-sample functions do a sign/exponent/mantissa dance per sample; a 20 ms frame on
 * every call of every call-leg makes that the hottest codec path we have. G.711 is a pure function
 * of a 16-bit input (encode) or an 8-bit input (decode), so we evaluate alawmulaw once per possible
 * input at module load (65536 + 256 entries per law, ~130 KiB) and every frame becomes a table loop.
 * The tables are indexed by the uint16 view of the sample (`s & 0xffff`), so negative samples need
 * no branch.
 */
import alawmulaw from 'alawmulaw';

function buildEncodeTable(encodeSample: (s: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let u = 0; u < 65536; u++) {
    const s = u >= 32768 ? u - 65536 : u;
    table[u] = encodeSample(s) & 0xff; // alawmulaw returns ~x for mu-law: keep the low byte
  }
  return table;
}

function buildDecodeTable(decodeSample: (b: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let b = 0; b < 256; b++) table[b] = decodeSample(b);
  return table;
}

const MULAW_ENCODE = buildEncodeTable(alawmulaw.mulaw.encodeSample);
const MULAW_DECODE = buildDecodeTable(alawmulaw.mulaw.decodeSample);
const ALAW_ENCODE = buildEncodeTable(alawmulaw.alaw.encodeSample);
const ALAW_DECODE = buildDecodeTable(alawmulaw.alaw.decodeSample);

/** The byte that encodes digital silence (0): what a G.711 stream is padded with. */
export const MULAW_SILENCE = MULAW_ENCODE[0];
export const ALAW_SILENCE = ALAW_ENCODE[0];

function checkOut(out: { length: number } | undefined, n: number): void {
  if (out && out.length < n) throw new RangeError(`output holds ${out.length} samples, need ${n}`);
}

function encodeWith(table: Uint8Array, pcm: Int16Array, out?: Uint8Array): Uint8Array {
  const n = pcm.length;
  checkOut(out, n);
  const dst = out ?? new Uint8Array(n);
  for (let i = 0; i < n; i++) dst[i] = table[pcm[i] & 0xffff];
  return dst.length === n ? dst : dst.subarray(0, n); // no new view when `out` fits exactly
}

function decodeWith(table: Int16Array, bytes: Uint8Array, out?: Int16Array): Int16Array {
  const n = bytes.length;
  checkOut(out, n);
  const dst = out ?? new Int16Array(n);
  for (let i = 0; i < n; i++) dst[i] = table[bytes[i]];
  return dst.length === n ? dst : dst.subarray(0, n);
}

/**
 * PCM16 -> mu-law bytes. With `out` (length >= pcm.length) nothing is allocated: the result is
 * `out` itself when the lengths match, else a view of its first pcm.length bytes.
 */
export function mulawEncode(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  return encodeWith(MULAW_ENCODE, pcm, out);
}

export function mulawDecode(bytes: Uint8Array, out?: Int16Array): Int16Array {
  return decodeWith(MULAW_DECODE, bytes, out);
}

export function alawEncode(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  return encodeWith(ALAW_ENCODE, pcm, out);
}

export function alawDecode(bytes: Uint8Array, out?: Int16Array): Int16Array {
  return decodeWith(ALAW_DECODE, bytes, out);
}

/** The lookup tables themselves, read-only by convention: for the native addon and for tests. */
export const g711Tables = {
  mulawEncode: MULAW_ENCODE,
  mulawDecode: MULAW_DECODE,
  alawEncode: ALAW_ENCODE,
  alawDecode: ALAW_DECODE,
} as const;
