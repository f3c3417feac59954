/**
 * An HTTP answer that streams PCM as it is produced. The first piece is awaited before the answer
 * starts, so an engine that fails at once still gets a proper JSON error (TtsService.stream throws
 * HttpErrors that name what failed, never what the engine said); after that every piece is written
 * the moment it exists (waiting out backpressure), and a client that leaves stops synthesis.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { bytesFromInt16 } from '../../media/pcm.ts';
import { encodeWav } from '../../media/wav.ts';
import type { Reply } from '../http/route.ts';

/** A WAV header for a stream of unknown length (sizes 0xFFFFFFFF, as streaming servers send). */
export function streamingWavHeader(sampleRate: number): Buffer {
  const h = encodeWav(new Int16Array(0), sampleRate);
  h.writeUInt32LE(0xffffffff, 4);
  h.writeUInt32LE(0xffffffff, 40);
  return h;
}

/** Turns PCM pieces into the bytes of a compressed format (control/tts/speech-formats.ts). */
export interface PcmEncoder {
  encode(pcm: Int16Array): Uint8Array;
  /** Encode at most this many samples per event-loop turn (compressed formats). */
  sliceSamples?: number;
  /** The tail, written only when the audio ended normally. */
  end(): Uint8Array;
  close(): void;
}

export async function pcmStreamReply(
  pcm: AsyncGenerator<Int16Array>,
  opts: { contentType: string; headers?: Array<[string, string]>; prefix?: Uint8Array; encoder?: PcmEncoder; onDone?: (bytes: number) => void },
): Promise<Reply> {
  let first: IteratorResult<Int16Array>;
  try {
    first = await pcm.next();
  } catch (err) {
    opts.encoder?.close();
    throw err;
  }
  const encode = opts.encoder ? (p: Int16Array) => opts.encoder!.encode(p) : (p: Int16Array) => bytesFromInt16(p);
  return {
    kind: 'stream',
    status: 200,
    contentType: opts.contentType,
    headers: [['X-Accel-Buffering', 'no'], ...(opts.headers ?? [])],
    async run(sink) {
      let bytes = 0;
      try {
        if (opts.prefix && !(await sink.write(opts.prefix))) return;
        let next = first;
        while (!next.done) {
          if (next.value.length) {
            bytes += next.value.byteLength;
            const slice = opts.encoder?.sliceSamples ?? next.value.length;
            for (let at = 0; at < next.value.length; at += slice) {
              if (at > 0) await yieldToLoop();
              const out = encode(next.value.subarray(at, at + slice));
              // An encoder may hold a piece back until it has a whole frame.
              if (out.byteLength && !(await sink.write(out))) return;
            }
          }
          next = await pcm.next();
        }
        const tail = opts.encoder?.end();
        if (tail?.byteLength) await sink.write(tail);
      } finally {
        opts.encoder?.close();
        await pcm.return(undefined);
        opts.onDone?.(bytes);
      }
    },
  };
}
