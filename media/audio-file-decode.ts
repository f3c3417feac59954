/**
 * Any audio file a person is likely to upload (WAV, MP3, FLAC, Ogg Opus) to PCM16 mono at one rate.
 * The format is told by its first bytes, not by a file name or a Content-Type a client may get
 * wrong. Compressed formats are decoded in chunks with the wasm decoders, downmixed and resampled
 * as they come, so a long file stops at `maxSeconds` without first filling memory with floats.
 * CPU-heavy (a minute of MP3 takes tens of milliseconds): the gateway runs it in a worker
 * (control/stt/upload-decoder.ts), never on the event loop.
 */
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { MPEGDecoder } from 'mpg123-decoder';
import { OggOpusDecoder } from 'ogg-opus-decoder';
import { concatInt16, clampToInt16 } from './pcm.ts';
import { createResampler, type Resampler } from './resampler.ts';
import { parseWav, WavFormatError } from './wav.ts';

export type AudioFileFormat = 'wav' | 'mp3' | 'flac' | 'ogg-opus';
export const AUDIO_FILE_FORMATS: readonly AudioFileFormat[] = ['wav', 'mp3', 'flac', 'ogg-opus'];

export class AudioDecodeError extends Error {
  override readonly name = 'AudioDecodeError';
  constructor(
    readonly code: 'unsupported_audio' | 'audio_too_long',
    message: string,
  ) {
    super(message);
  }
}

export interface DecodedAudioFile {
  format: AudioFileFormat;
  /** PCM16 mono at the rate asked for. */
  samples: Int16Array;
  sampleRate: number;
  sourceRate: number;
  channels: number;
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

/** The format by magic bytes; null when it is none we decode. */
export function sniffAudioFormat(b: Uint8Array): AudioFileFormat | null {
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WAVE') return 'wav';
  if (b.length >= 4 && ascii(b, 0, 4) === 'fLaC') return 'flac';
  // OpusHead is the first packet of the first page (RFC 7845), right after the page header.
  if (b.length >= 36 && ascii(b, 0, 4) === 'OggS' && ascii(b, 28, 8) === 'OpusHead') return 'ogg-opus';
  if (b.length >= 3 && ascii(b, 0, 3) === 'ID3') return 'mp3';
  // An MPEG audio frame sync (11 set bits) with layer bits that are not "reserved".
  if (b.length >= 2 && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0 && (b[1]! & 0x06) !== 0) return 'mp3';
  return null;
}

function describeUnknown(b: Uint8Array): string {
  if (b.length >= 4 && ascii(b, 0, 4) === 'OggS') return 'an Ogg file that is not Opus (Vorbis?)';
  if (b.length >= 8 && ascii(b, 4, 4) === 'ftyp') return 'an MP4/M4A file';
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'a WebM/Matroska file';
  return 'not an audio file we recognise';
}

interface DecodedChunk {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors?: Array<{ message: string }>;
}

interface ChunkDecoder {
  ready: Promise<void>;
  decode(chunk: Uint8Array): DecodedChunk | Promise<DecodedChunk>;
  flush?(): Promise<DecodedChunk>;
  free(): void;
}

const decoders: Record<Exclude<AudioFileFormat, 'wav'>, () => ChunkDecoder> = {
  mp3: () => new MPEGDecoder(),
  flac: () => new FLACDecoder(),
  'ogg-opus': () => new OggOpusDecoder(),
};

/** Compressed input is fed in pieces this big, so memory and the length check track the output. */
const CHUNK_BYTES = 64 * 1024;
const FLAC_TAIL_PADDING = 64;

export async function decodeAudioFile(bytes: Uint8Array, opts: { sampleRate: number; maxSeconds: number }): Promise<DecodedAudioFile> {
  const format = sniffAudioFormat(bytes);
  if (!format) throw new AudioDecodeError('unsupported_audio', `${describeUnknown(bytes)}; send ${AUDIO_FILE_FORMATS.join(', ')}`);
  if (format === 'wav') return decodeWav(bytes, opts);
  const decoder = decoders[format]();
  await decoder.ready;
  const out = new MonoSink(format, opts);
  try {
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) out.add(await decoder.decode(bytes.subarray(at, at + CHUNK_BYTES)));
    // The FLAC parser holds back a last frame shorter than its look-ahead (a tail of silence
    // compresses to a few bytes) until more bytes come; zeros are no frame sync, so they only release it.
    if (format === 'flac') out.add(await decoder.decode(new Uint8Array(FLAC_TAIL_PADDING)));
    if (decoder.flush) out.add(await decoder.flush());
  } finally {
    decoder.free();
  }
  return out.finish();
}

function decodeWav(bytes: Uint8Array, opts: { sampleRate: number; maxSeconds: number }): DecodedAudioFile {
  let wav;
  try {
    wav = parseWav(bytes);
  } catch (err) {
    if (err instanceof WavFormatError) throw new AudioDecodeError('unsupported_audio', `not a readable WAV file: ${err.message}`);
    throw err;
  }
  checkLength(wav.samples.length / wav.sampleRate, opts.maxSeconds);
  const r = resamplerFor(wav.sampleRate, opts.sampleRate);
  const samples = r ? concatInt16([r.process(wav.samples), r.flush()]) : wav.samples;
  return { format: 'wav', samples, sampleRate: opts.sampleRate, sourceRate: wav.sampleRate, channels: wav.channels };
}

function checkLength(seconds: number, maxSeconds: number): void {
  if (seconds > maxSeconds) throw new AudioDecodeError('audio_too_long', `the audio is longer than ${maxSeconds} s (at least ${seconds.toFixed(1)} s)`);
}

function resamplerFor(from: number, to: number): Resampler | null {
  if (from === to) return null;
  try {
    return createResampler(from, to);
  } catch (err) {
    throw new AudioDecodeError('unsupported_audio', `cannot resample ${from} Hz: ${(err as Error).message}`);
  }
}

/** Decoded float chunks -> downmixed, converted, resampled PCM16, with the length limit applied. */
class MonoSink {
  private readonly parts: Int16Array[] = [];
  private resampler: Resampler | null = null;
  private sourceRate = 0;
  private channels = 0;
  private sourceSamples = 0;

  constructor(
    private readonly format: AudioFileFormat,
    private readonly opts: { sampleRate: number; maxSeconds: number },
  ) {}

  add(d: DecodedChunk): void {
    if (!d.samplesDecoded) return;
    if (!this.sourceRate) {
      this.sourceRate = d.sampleRate;
      this.channels = d.channelData.length;
      this.resampler = resamplerFor(d.sampleRate, this.opts.sampleRate);
    } else if (d.sampleRate !== this.sourceRate) {
      throw new AudioDecodeError('unsupported_audio', `the sample rate changes inside the file (${this.sourceRate} -> ${d.sampleRate} Hz)`);
    }
    this.sourceSamples += d.samplesDecoded;
    checkLength(this.sourceSamples / this.sourceRate, this.opts.maxSeconds);
    const mono = downmix(d.channelData, d.samplesDecoded);
    this.parts.push(this.resampler ? this.resampler.process(mono) : mono);
  }

  finish(): DecodedAudioFile {
    if (!this.sourceRate) throw new AudioDecodeError('unsupported_audio', `the ${this.format} file holds no audio we could decode`);
    if (this.resampler) this.parts.push(this.resampler.flush());
    return { format: this.format, samples: concatInt16(this.parts), sampleRate: this.opts.sampleRate, sourceRate: this.sourceRate, channels: this.channels };
  }
}

function downmix(channels: Float32Array[], n: number): Int16Array {
  const out = new Int16Array(n);
  const k = 32767 / channels.length;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (const ch of channels) sum += ch[i]!;
    out[i] = clampToInt16(sum * k);
  }
  return out;
}
