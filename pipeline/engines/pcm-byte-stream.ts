/**
 * Byte chunks from a pipe or an HTTP body -> PCM16 sample chunks. Bytes arrive in arbitrary
 * splits (an odd byte count is normal), and a WAV stream starts with a header whose data length
 * is a placeholder (espeak-ng writes 0x7ffff000, streaming servers 0xFFFFFFFF), so the header is
 * read only for its format and everything after 'data' is taken as it comes.
 */
import { int16FromBytes } from '../../media/pcm.ts';

export class PcmStreamFormatError extends Error {
  override readonly name = 'PcmStreamFormatError';
}

export class PcmByteStream {
  private pending: Uint8Array = new Uint8Array(0);
  private headerDone: boolean;
  sampleRate: number;

  /** `wav`: expect a RIFF header first (its rate wins over `sampleRate`). */
  constructor(opts: { wav: boolean; sampleRate: number }) {
    this.headerDone = !opts.wav;
    this.sampleRate = opts.sampleRate;
  }

  /** Samples completed by these bytes (possibly empty). */
  push(bytes: Uint8Array): Int16Array {
    let data = this.pending.length ? concat(this.pending, bytes) : bytes;
    if (!this.headerDone) {
      const end = this.parseHeader(data);
      if (end < 0) {
        this.pending = data.slice();
        return new Int16Array(0);
      }
      data = data.subarray(end);
      this.headerDone = true;
    }
    const even = data.byteLength & ~1;
    this.pending = data.slice(even);
    return even ? int16FromBytes(data.subarray(0, even)) : new Int16Array(0);
  }

  /** Index after the 'data' chunk header, or -1 when more bytes are needed. */
  private parseHeader(b: Uint8Array): number {
    if (b.byteLength < 12) return -1;
    const tag = (at: number) => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
    if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new PcmStreamFormatError('stream is not a RIFF/WAVE');
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let at = 12;
    while (at + 8 <= b.byteLength) {
      const id = tag(at);
      const size = dv.getUint32(at + 4, true);
      if (id === 'data') return at + 8;
      if (at + 8 + size > b.byteLength) return -1;
      if (id === 'fmt ') {
        const format = dv.getUint16(at + 8, true);
        const channels = dv.getUint16(at + 10, true);
        const bits = dv.getUint16(at + 22, true);
        if (format !== 1 || channels !== 1 || bits !== 16) {
          throw new PcmStreamFormatError(`streamed WAV must be PCM16 mono (format ${format}, ${channels} ch, ${bits} bit)`);
        }
        this.sampleRate = dv.getUint32(at + 12, true);
      }
      at += 8 + size + (size & 1);
    }
    return -1;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
