/**
 * WAV (RIFF/WAVE) reading and writing for test fixtures, the reference client and TTS output.
 *
 * Reading is tolerant where real files are sloppy and strict where the bytes are junk:
 *   - unknown chunks (LIST, fact, bext, ...) are skipped, including the pad byte after odd sizes;
 *   - a data chunk that claims more bytes than the file holds (a recording cut short, or a
 *     streaming writer's 0xFFFFFFFF placeholder) yields the whole frames present (`truncated` tells which);
 *   - anything that is not a RIFF/WAVE with a usable fmt and data chunk throws WavFormatError.
 * Every supported encoding (PCM 8/16/24/32-bit, float 32/64, mu-law, A-law; also inside
 * WAVE_FORMAT_EXTENSIBLE) comes back as PCM16 mono, channels averaged.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { alawDecode, mulawDecode } from './g711.ts';
import { bytesFromInt16, int16FromBytes } from './pcm.ts';

export class WavFormatError extends Error {
  override readonly name = 'WavFormatError';
}

export type WavEncoding = 'pcm' | 'float' | 'alaw' | 'mulaw';

export interface ParsedWav {
  sampleRate: number;
  /** Channels in the file (the samples are downmixed to mono). */
  channels: number;
  bitsPerSample: number;
  encoding: WavEncoding;
  /** PCM16 mono. */
  samples: Int16Array;
  /** The data chunk was shorter than its header claimed. */
  truncated: boolean;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

interface Fmt {
  tag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

function parseFmt(dv: DataView, at: number, size: number): Fmt {
  if (size < 16) throw new WavFormatError(`fmt chunk is ${size} bytes, need at least 16`);
  let tag = dv.getUint16(at, true);
  const channels = dv.getUint16(at + 2, true);
  const sampleRate = dv.getUint32(at + 4, true);
  const blockAlign = dv.getUint16(at + 12, true);
  const bitsPerSample = dv.getUint16(at + 14, true);
  if (tag === FORMAT_EXTENSIBLE) {
    // WAVEFORMATEXTENSIBLE: the real format tag is the first two bytes of the SubFormat GUID.
    if (size < 40) throw new WavFormatError('WAVE_FORMAT_EXTENSIBLE fmt chunk is too short');
    tag = dv.getUint16(at + 24, true);
  }
  return { tag, channels, sampleRate, blockAlign, bitsPerSample };
}

function describeFormat(fmt: Fmt): { encoding: WavEncoding; bytes: number } {
  const { tag, bitsPerSample: bits } = fmt;
  if (tag === FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32)) return { encoding: 'pcm', bytes: bits / 8 };
  if (tag === FORMAT_FLOAT && (bits === 32 || bits === 64)) return { encoding: 'float', bytes: bits / 8 };
  if (tag === FORMAT_ALAW && bits === 8) return { encoding: 'alaw', bytes: 1 };
  if (tag === FORMAT_MULAW && bits === 8) return { encoding: 'mulaw', bytes: 1 };
  throw new WavFormatError(`unsupported WAV encoding: format tag ${tag} with ${bits} bits per sample`);
}

/** Parse a WAV file held in memory. */
export function parseWav(buf: Uint8Array): ParsedWav {
  if (buf.byteLength < 12) throw new WavFormatError(`not a WAV file: only ${buf.byteLength} bytes`);
  const riff = fourcc(buf, 0);
  if (riff !== 'RIFF') {
    throw new WavFormatError(riff === 'RIFX' || riff === 'RF64' ? `${riff} WAV files are not supported` : 'not a WAV file: no RIFF header');
  }
  if (fourcc(buf, 8) !== 'WAVE') throw new WavFormatError('not a WAV file: RIFF type is not WAVE');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

  let fmt: Fmt | null = null;
  let dataAt = -1;
  let dataBytes = 0;
  let truncated = false;
  let at = 12;
  while (at + 8 <= buf.byteLength) {
    const id = fourcc(buf, at);
    const size = dv.getUint32(at + 4, true);
    const body = at + 8;
    const room = buf.byteLength - body;
    if (id === 'fmt ') {
      if (size > room) throw new WavFormatError('fmt chunk runs past the end of the file');
      fmt = parseFmt(dv, body, size);
    } else if (id === 'data') {
      dataAt = body;
      if (size > room) {
        // Cut short, or a streaming writer's placeholder length (0xFFFFFFFF): take what is there.
        dataBytes = room;
        truncated = size !== 0xffffffff;
        break; // nothing reliable can follow a data chunk of unknown length
      }
      dataBytes = size;
    }
    at = body + size + (size & 1); // chunks are word-aligned: odd sizes carry a pad byte
  }
  if (!fmt) throw new WavFormatError('WAV file has no fmt chunk');
  if (dataAt < 0) throw new WavFormatError('WAV file has no data chunk');
  if (fmt.channels < 1) throw new WavFormatError('WAV file declares 0 channels');
  if (fmt.sampleRate < 1) throw new WavFormatError('WAV file declares a sample rate of 0');
  const { encoding, bytes } = describeFormat(fmt);
  const frameBytes = bytes * fmt.channels;
  if (fmt.blockAlign !== frameBytes) throw new WavFormatError(`block align ${fmt.blockAlign} does not match ${fmt.channels} x ${bytes}-byte samples`);
  const frames = Math.floor(dataBytes / frameBytes);
  if (frames * frameBytes !== dataBytes) truncated = true; // a partial last frame is dropped

  const data = buf.subarray(dataAt, dataAt + frames * frameBytes);
  return {
    sampleRate: fmt.sampleRate,
    channels: fmt.channels,
    bitsPerSample: fmt.bitsPerSample,
    encoding,
    samples: toMonoInt16(data, encoding, bytes, fmt.channels, frames),
    truncated,
  };
}

function toMonoInt16(data: Uint8Array, encoding: WavEncoding, bytes: number, channels: number, frames: number): Int16Array {
  if (encoding === 'pcm' && bytes === 2 && channels === 1) return int16FromBytes(data); // the common case: one copy
  let decoded: ArrayLike<number>;
  if (encoding === 'mulaw') decoded = mulawDecode(data);
  else if (encoding === 'alaw') decoded = alawDecode(data);
  else decoded = readSamples(data, encoding, bytes);
  if (channels === 1) return decoded instanceof Int16Array ? decoded : Int16Array.from(decoded, saturate);
  const out = new Int16Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += decoded[f * channels + c];
    out[f] = saturate(sum / channels);
  }
  return out;
}

function saturate(x: number): number {
  const r = Math.round(x);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/** Interleaved samples scaled to the int16 range (not yet rounded). */
function readSamples(data: Uint8Array, encoding: WavEncoding, bytes: number): Float64Array {
  const n = data.byteLength / bytes;
  const out = new Float64Array(n);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (encoding === 'float') {
    for (let i = 0; i < n; i++) out[i] = (bytes === 4 ? dv.getFloat32(4 * i, true) : dv.getFloat64(8 * i, true)) * 32768;
    return out;
  }
  switch (bytes) {
    case 1: // 8-bit WAV is unsigned, centred on 128
      for (let i = 0; i < n; i++) out[i] = (data[i] - 128) * 256;
      break;
    case 2:
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, true);
      break;
    case 3:
      for (let i = 0; i < n; i++) out[i] = ((data[3 * i] | (data[3 * i + 1] << 8) | (data[3 * i + 2] << 16)) << 8 >> 8) / 256;
      break;
    default:
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true) / 65536;
  }
  return out;
}

/** PCM16 mono -> a canonical 44-byte-header WAV file. */
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`bad sample rate ${sampleRate}`);
  const dataBytes = samples.length * 2;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'latin1');
  buf.write('fmt ', 12, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(FORMAT_PCM, 20);
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(dataBytes, 40);
  buf.set(bytesFromInt16(samples), 44);
  return buf;
}

export async function readWavFile(path: string): Promise<ParsedWav> {
  const bytes = await readFile(path);
  try {
    return parseWav(bytes);
  } catch (err) {
    if (err instanceof WavFormatError) throw new WavFormatError(`${path}: ${err.message}`);
    throw err;
  }
}

/** `mode` applies when the file is created (e.g. 0o600 for a call recording: personal data). */
export async function writeWavFile(path: string, samples: Int16Array, sampleRate: number, opts: { mode?: number } = {}): Promise<void> {
  await writeFile(path, encodeWav(samples, sampleRate), { mode: opts.mode });
}
