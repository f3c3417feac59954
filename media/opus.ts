/**
 * Opus at 48 kHz mono with 20 ms frames (960 samples), wrapping @discordjs/opus (libopus).
 *
 * The WebSocket transport's opus codec: one OpusCodec per call leg, because both the encoder and
 * the decoder carry state across packets (prediction, packet-loss concealment).
 */
import opus from '@discordjs/opus';
import { int16FromBytes } from './pcm.ts';

const { OpusEncoder } = opus;

export const OPUS_SAMPLE_RATE = 48000;
export const OPUS_FRAME_SAMPLES = 960;
/** Longest packet libopus can produce or accept: 120 ms at 48 kHz. */
export const OPUS_MAX_FRAME_SAMPLES = 5760;

// libopus CTL numbers (opus_defines.h); @discordjs/opus passes them through.
const OPUS_SET_COMPLEXITY_REQUEST = 4010;
const OPUS_SET_SIGNAL_REQUEST = 4024;
const OPUS_SIGNAL_VOICE = 3001;

/** A packet libopus refused (corrupt, truncated, or not opus at all). */
export class OpusDecodeError extends Error {
  override readonly name = 'OpusDecodeError';
  constructor(
    message: string,
    readonly packetBytes: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class OpusEncodeError extends Error {
  override readonly name = 'OpusEncodeError';
}

export interface OpusCodecOptions {
  /** Target bitrate in bit/s; 32 kbit/s is transparent enough for wideband speech. */
  bitrate?: number;
  /** 0..10: encoder effort; 5 keeps a 20 ms frame well under a millisecond of CPU. */
  complexity?: number;
}

export class OpusCodec {
  readonly sampleRate = OPUS_SAMPLE_RATE;
  readonly frameSamples = OPUS_FRAME_SAMPLES;
  private codec: InstanceType<typeof OpusEncoder> | null;

  constructor(opts: OpusCodecOptions = {}) {
    // @discordjs/opus's "OpusEncoder" holds both an encoder and a decoder.
    this.codec = new OpusEncoder(OPUS_SAMPLE_RATE, 1);
    this.codec.setBitrate(opts.bitrate ?? 32000);
    this.codec.applyEncoderCTL(OPUS_SET_COMPLEXITY_REQUEST, opts.complexity ?? 5);
    this.codec.applyEncoderCTL(OPUS_SET_SIGNAL_REQUEST, OPUS_SIGNAL_VOICE);
  }

  private live(): InstanceType<typeof OpusEncoder> {
    if (!this.codec) throw new Error('OpusCodec is closed');
    return this.codec;
  }

  /** Exactly one 20 ms frame (960 samples) -> one opus packet. */
  encode(pcm: Int16Array): Buffer {
    if (pcm.length !== OPUS_FRAME_SAMPLES) {
      throw new OpusEncodeError(`opus frames are ${OPUS_FRAME_SAMPLES} samples (20 ms at 48 kHz), got ${pcm.length}`);
    }
    return this.live().encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }

  /**
   * One packet -> its PCM (960 samples for a 20 ms packet; 2.5..120 ms packets are accepted),
   * copied into `out` when given (a view of it is returned).
   */
  decode(packet: Uint8Array, out?: Int16Array): Int16Array {
    const codec = this.live();
    if (packet.byteLength === 0) throw new OpusDecodeError('empty opus packet', 0);
    let pcm: Buffer;
    try {
      pcm = codec.decode(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new OpusDecodeError(`opus packet of ${packet.byteLength} bytes did not decode: ${reason}`, packet.byteLength, { cause: err });
    }
    return int16FromBytes(pcm, out);
  }

  /** Drops the native state now rather than at the next GC. Further calls throw. */
  close(): void {
    this.codec = null;
  }
}
