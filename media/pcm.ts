/**
 * PCM16 frame helpers shared by every media module: frame sizes, safe byte <-> sample views and a
 * level meter. Audio in this project is signed 16-bit, mono, little-endian on the wire.
 */

/** Every stage of the gateway works in 20 ms frames (telephony's packetisation interval). */
export const FRAME_MS = 20;

/** The rates the media layer converts between. 22050 is there for TTS engines that emit it. */
export type SampleRate = 8000 | 16000 | 22050 | 24000 | 48000;
export const SAMPLE_RATES: readonly SampleRate[] = [8000, 16000, 22050, 24000, 48000];

export function isSampleRate(rate: unknown): rate is SampleRate {
  return typeof rate === 'number' && (SAMPLE_RATES as readonly number[]).includes(rate);
}

/** Samples in one 20 ms frame; every supported rate divides evenly (22050 Hz -> 441). */
export function samplesPerFrame(rate: number, frameMs = FRAME_MS): number {
  const n = (rate * frameMs) / 1000;
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`${frameMs} ms at ${rate} Hz is not a whole number of samples`);
  return n;
}

/** Typed arrays alias host memory; the wire is little-endian, so a big-endian host must swap. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Little-endian PCM16 bytes -> samples, always copied: into `out` when given (which must hold
 * bytes/2 samples; the result is a view of it), else into a fresh Int16Array.
 * Copying is deliberate: an Int16Array view needs an even byte offset (a Buffer sliced from
 * Node's pool or a network packet often has an odd one), and transport buffers (uWS) are only
 * valid during the callback, so audio that outlives it must own its memory. A trailing odd byte
 * is an error rather than silently dropped.
 */
export function int16FromBytes(bytes: Uint8Array, out?: Int16Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) throw new RangeError(`PCM16 payload has an odd length (${bytes.byteLength} bytes)`);
  const n = bytes.byteLength / 2;
  if (out && out.length < n) throw new RangeError(`output holds ${out.length} samples, need ${n}`);
  const dst = out ? out.subarray(0, n) : new Int16Array(n);
  if (HOST_IS_LITTLE_ENDIAN) {
    // One memcpy whatever the alignment of the source.
    new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(bytes);
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) dst[i] = dv.getInt16(2 * i, true);
  }
  return dst;
}

/**
 * PCM16 samples -> little-endian bytes. On a little-endian host this is a view over the same
 * memory (no copy): the caller must not mutate `pcm` while the bytes are in use. Pass `copy` when
 * the bytes must outlive a buffer that will be reused.
 */
export function bytesFromInt16(pcm: Int16Array, copy = false): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) {
    const view = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    return copy ? view.slice() : view;
  }
  const out = new Uint8Array(pcm.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < pcm.length; i++) dv.setInt16(2 * i, pcm[i], true);
  return out;
}

/** Concatenate frames (e.g. a recording assembled from 20 ms chunks). */
export function concatInt16(parts: readonly Int16Array[]): Int16Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Int16Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Saturate a float sample to the int16 range with round-half-up (matches the DSP kernels). */
export function clampToInt16(x: number): number {
  const r = Math.floor(x + 0.5);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/**
 * Levels are relative to digital full scale, 32768: a full-scale square wave is 0 dBFS RMS and a
 * full-scale sine is -3.01 dBFS RMS (peak 0 dBFS). Silence reads DBFS_FLOOR rather than -Infinity
 * so levels stay comparable and survive JSON.
 */
export const FULL_SCALE = 32768;
export const DBFS_FLOOR = -120;

export function dbfs(linear: number): number {
  if (!(linear > 0)) return DBFS_FLOOR;
  return Math.max(DBFS_FLOOR, 20 * Math.log10(linear / FULL_SCALE));
}

/** Root mean square in sample units (0..32768). */
export function rms(pcm: Int16Array): number {
  const n = pcm.length;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += pcm[i] * pcm[i];
  return Math.sqrt(sum / n);
}

/** Largest absolute sample (0..32768). */
export function peak(pcm: Int16Array): number {
  let max = 0;
  for (let i = 0; i < pcm.length; i++) {
    const a = pcm[i] < 0 ? -pcm[i] : pcm[i];
    if (a > max) max = a;
  }
  return max;
}

export interface Levels {
  rmsDbfs: number;
  peakDbfs: number;
}

/** Level meter for one frame or buffer, in one pass. */
export function levels(pcm: Int16Array): Levels {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s = pcm[i];
    sum += s * s;
    const a = s < 0 ? -s : s;
    if (a > max) max = a;
  }
  return { rmsDbfs: dbfs(pcm.length ? Math.sqrt(sum / pcm.length) : 0), peakDbfs: dbfs(max) };
}

export const rmsDbfs = (pcm: Int16Array): number => dbfs(rms(pcm));
export const peakDbfs = (pcm: Int16Array): number => dbfs(peak(pcm));
