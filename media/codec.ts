/**
 * Wire codecs and the edge converter: the one place where a transport's audio format meets the
 * pipeline's (PCM16 mono 16 kHz, 20 ms frames). The WebSocket and modem transports call this on
 * every frame, in both directions.
 */
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from './g711.ts';
import { OPUS_MAX_FRAME_SAMPLES, OpusCodec } from './opus.ts';
import { bytesFromInt16, int16FromBytes, samplesPerFrame } from './pcm.ts';
import { createResampler, type Resampler, type ResamplerOptions } from './resampler.ts';

export type CodecName = 'pcm16' | 'mulaw' | 'alaw' | 'opus';
export const CODEC_NAMES: readonly CodecName[] = ['pcm16', 'mulaw', 'alaw', 'opus'];

/** The pipeline's rate (pipeline/call-pipeline.ts says the same; media cannot import it). */
export const PIPELINE_SAMPLE_RATE = 16000;
export const PIPELINE_FRAME_SAMPLES = samplesPerFrame(PIPELINE_SAMPLE_RATE);

/** Which rates each codec may run at on the wire. G.711 is narrowband by definition; our opus leg is fixed at 48 kHz. */
export const CODEC_RATES: Readonly<Record<CodecName, readonly number[]>> = {
  pcm16: [8000, 16000, 24000, 48000],
  mulaw: [8000],
  alaw: [8000],
  opus: [48000],
};

/** A codec/rate combination we do not support; the message is safe to show to a client. */
export class UnsupportedCodecError extends Error {
  override readonly name = 'UnsupportedCodecError';
}

/** A payload that cannot be audio in the negotiated codec (e.g. odd-length PCM16). */
export class WirePayloadError extends Error {
  override readonly name = 'WirePayloadError';
}

export interface WireCodec {
  readonly name: CodecName;
  readonly sampleRate: number;
  /** Samples in one 20 ms frame at the wire rate. */
  readonly frameSamples: number;
  /** Bytes of one 20 ms frame; undefined for opus (variable bitrate). */
  readonly frameBytes: number | undefined;
  /**
   * Payload -> PCM16 at the wire rate, copied out of the payload (transport buffers do not outlive
   * their callback): a fresh array, or a view of `out` when given (it must be large enough).
   */
  decode(payload: Uint8Array, out?: Int16Array): Int16Array;
  /**
   * PCM16 at the wire rate -> payload. Fresh bytes, safe to queue; or, with `out` (G.711, pcm16),
   * bytes in `out` or a view of `pcm` itself, valid only as long as those are. Opus takes exactly
   * one 20 ms frame and always returns fresh bytes.
   */
  encode(pcm: Int16Array, out?: Uint8Array): Uint8Array;
  close(): void;
}

export function isCodecName(name: unknown): name is CodecName {
  return typeof name === 'string' && (CODEC_NAMES as readonly string[]).includes(name);
}

/** Validates the combination and returns a codec for one call leg (opus holds per-call state). */
export function createWireCodec(name: string, sampleRate: number): WireCodec {
  if (!isCodecName(name)) throw new UnsupportedCodecError(`unknown codec "${name}" (supported: ${CODEC_NAMES.join(', ')})`);
  const rates = CODEC_RATES[name];
  if (!rates.includes(sampleRate)) {
    throw new UnsupportedCodecError(`codec "${name}" supports ${rates.join(', ')} Hz, not ${sampleRate} Hz`);
  }
  const frameSamples = samplesPerFrame(sampleRate);
  switch (name) {
    case 'pcm16':
      return {
        name,
        sampleRate,
        frameSamples,
        frameBytes: frameSamples * 2,
        decode(payload, out) {
          if (payload.byteLength % 2 !== 0) throw new WirePayloadError(`pcm16 payload has an odd length (${payload.byteLength} bytes)`);
          return int16FromBytes(payload, out);
        },
        encode: (pcm, out) => (out ? bytesFromInt16(pcm) : bytesFromInt16(pcm, true)),
        close() {},
      };
    case 'mulaw':
    case 'alaw': {
      const decode = name === 'mulaw' ? mulawDecode : alawDecode;
      const encode = name === 'mulaw' ? mulawEncode : alawEncode;
      return { name, sampleRate, frameSamples, frameBytes: frameSamples, decode: (b, out) => decode(b, out), encode: (p, out) => encode(p, out), close() {} };
    }
    case 'opus': {
      const opus = new OpusCodec();
      return {
        name,
        sampleRate,
        frameSamples,
        frameBytes: undefined,
        decode: (payload, out) => opus.decode(payload, out),
        encode: (pcm) => opus.encode(pcm),
        close: () => opus.close(),
      };
    }
  }
}

/** One call leg's conversion between the wire and the pipeline, holding its two resamplers. */
export interface EdgeConverter {
  readonly codec: WireCodec;
  /**
   * Wire payload -> PCM16 16 kHz (any number of samples; 20 ms in gives exactly 320), in a fresh
   * array the caller may keep. (Carving frames out of shared slabs instead was tried: the slabs
   * outlived the young generation and brought a full GC every ~1.4 s at 500 calls.)
   */
  toPipeline(payload: Uint8Array): Int16Array;
  /**
   * One pipeline frame (PCM16 16 kHz, normally 320 samples) -> wire payload, in this converter's
   * scratch memory (or a view of `frame`): valid until the next call, so send or copy it at once.
   * Transports send each reply frame the moment it is made; allocating it cost more than the
   * G.711 encode itself.
   */
  fromPipeline(frame: Int16Array): Uint8Array;
  /** Releases the codec; the converter must not be used afterwards. */
  close(): void;
}

export function createEdgeConverter(codec: WireCodec, opts: ResamplerOptions = {}): EdgeConverter {
  // Equal rates skip the resampler entirely: decode already returns a fresh array.
  const inbound: Resampler | null = codec.sampleRate === PIPELINE_SAMPLE_RATE ? null : createResampler(codec.sampleRate, PIPELINE_SAMPLE_RATE, opts);
  const outbound: Resampler | null = codec.sampleRate === PIPELINE_SAMPLE_RATE ? null : createResampler(PIPELINE_SAMPLE_RATE, codec.sampleRate, opts);
  // Intermediate audio (decoded wire-rate PCM in, resampled wire-rate PCM out) lives in scratch
  // buffers reused every frame; only what leaves the converter is freshly allocated. Small typed
  // arrays cost about as much to allocate and collect as the G.711 work itself.
  let scratchIn = new Int16Array(codec.frameSamples);
  let scratchOut = new Int16Array(codec.frameSamples);
  let scratchWire = new Uint8Array(codec.frameSamples);
  const wire = (pcm: Int16Array): Uint8Array => {
    if (codec.name === 'opus') return codec.encode(pcm);
    if (scratchWire.length < pcm.length) scratchWire = new Uint8Array(pcm.length);
    return codec.encode(pcm, scratchWire);
  };
  let closed = false;
  return {
    codec,
    toPipeline(payload) {
      if (closed) throw new Error('edge converter is closed');
      if (!inbound) return codec.decode(payload);
      // An upper bound on the samples a payload can carry: bytes for G.711, bytes/2 for pcm16, 120 ms for opus.
      const most = codec.name === 'opus' ? OPUS_MAX_FRAME_SAMPLES : payload.byteLength;
      if (scratchIn.length < most) scratchIn = new Int16Array(most);
      return inbound.process(codec.decode(payload, scratchIn));
    },
    fromPipeline(frame) {
      if (closed) throw new Error('edge converter is closed');
      if (codec.name === 'opus' && frame.length !== PIPELINE_FRAME_SAMPLES) {
        // Opus packets are whole frames; 320 at 16 kHz is exactly 960 at 48 kHz.
        throw new RangeError(`opus needs ${PIPELINE_FRAME_SAMPLES}-sample pipeline frames, got ${frame.length}`);
      }
      if (!outbound) return wire(frame);
      const n = outbound.outputLength(frame.length);
      if (scratchOut.length < n) scratchOut = new Int16Array(n);
      return wire(outbound.process(frame, scratchOut));
    },
    close() {
      if (closed) return;
      closed = true;
      codec.close();
    },
  };
}
