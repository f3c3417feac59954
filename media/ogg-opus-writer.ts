/**
 * Ogg Opus (RFC 7845 in an RFC 3533 Ogg stream), written incrementally so HTTP answers can stream
 * it: `start()` gives the two header pages, each `write()` the pages for the 20 ms packets it
 * completed, `end()` the last page (end-of-stream flag, granule trimmed to the real length). No
 * npm package writes Ogg pages for Node (prism-media only demuxes), and the format is a 27-byte
 * header, a lacing table and a CRC, so it is written here; the tests read it back with an
 * independent decoder (ogg-opus-decoder).
 */
import { OPUS_FRAME_SAMPLES, OPUS_SAMPLE_RATE, OpusCodec, type OpusCodecOptions } from './opus.ts';

/** libopus's encoder delay at 48 kHz (what opusenc writes): decoders drop this many samples first. */
const PRE_SKIP = 312;
const HEADER_FLAG_BOS = 0x02;
const HEADER_FLAG_EOS = 0x04;
const MAX_SEGMENTS = 255;
const VENDOR = 'voice-gateway (libopus via @discordjs/opus)';

const CRC_TABLE = (() => {
  // Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial value 0, no final xor.
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  return crc;
}

export class OggOpusWriter {
  private readonly codec: OpusCodec;
  private readonly serial: number;
  private sequence = 0;
  /** 48 kHz samples in every packet written so far (pre-skip and the last frame's padding included). */
  private granule = 0;
  /** 48 kHz samples of real input, for trimming the padding at the end. */
  private inputSamples = 0;
  private pending = new Int16Array(OPUS_FRAME_SAMPLES);
  private pendingLength = 0;
  private ended = false;

  /** `inputRate` is only recorded in the header (players may show it); audio must be 48 kHz. */
  constructor(
    private readonly inputRate = OPUS_SAMPLE_RATE,
    opts: OpusCodecOptions & { serial?: number } = {},
  ) {
    this.codec = new OpusCodec(opts);
    this.serial = opts.serial ?? (Math.random() * 0x100000000) >>> 0;
  }

  /** The identification and comment header pages. */
  start(): Buffer {
    const head = Buffer.alloc(19);
    head.write('OpusHead', 0, 'ascii');
    head[8] = 1; // version
    head[9] = 1; // channels
    head.writeUInt16LE(PRE_SKIP, 10);
    head.writeUInt32LE(this.inputRate, 12);
    head.writeInt16LE(0, 16); // output gain
    head[18] = 0; // channel mapping family: mono/stereo
    const vendor = Buffer.from(VENDOR, 'utf8');
    const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
    tags.write('OpusTags', 0, 'ascii');
    tags.writeUInt32LE(vendor.length, 8);
    vendor.copy(tags, 12);
    tags.writeUInt32LE(0, 12 + vendor.length); // no user comments
    this.granule = 0;
    return Buffer.concat([this.page([head], 0, HEADER_FLAG_BOS), this.page([tags], 0, 0)]);
  }

  /** 48 kHz mono PCM16 -> the pages of every packet it completes (empty when none yet). */
  write(pcm: Int16Array): Buffer {
    if (this.ended) throw new Error('OggOpusWriter has ended');
    this.inputSamples += pcm.length;
    const packets: Buffer[] = [];
    let at = 0;
    while (at < pcm.length) {
      const n = Math.min(OPUS_FRAME_SAMPLES - this.pendingLength, pcm.length - at);
      this.pending.set(pcm.subarray(at, at + n), this.pendingLength);
      this.pendingLength += n;
      at += n;
      if (this.pendingLength === OPUS_FRAME_SAMPLES) {
        packets.push(this.codec.encode(this.pending));
        this.pendingLength = 0;
      }
    }
    return this.pages(packets, 0);
  }

  /** The rest, padded with silence to whole frames, on the end-of-stream page. */
  end(): Buffer {
    if (this.ended) return Buffer.alloc(0);
    this.ended = true;
    // The encoder runs PRE_SKIP samples behind: pad with silence until the last real sample is out.
    const target = PRE_SKIP + this.inputSamples;
    const packets: Buffer[] = [];
    while (this.pendingLength > 0 || this.granule + packets.length * OPUS_FRAME_SAMPLES < target) {
      this.pending.fill(0, this.pendingLength);
      packets.push(this.codec.encode(this.pending));
      this.pendingLength = 0;
    }
    const out = this.pages(packets, HEADER_FLAG_EOS, target);
    this.codec.close();
    return out;
  }

  /** Drops the encoder without writing the last page (the stream was abandoned). */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.codec.close();
  }

  /** Packets into as many pages as the 255-entry lacing table needs; the last page gets `flags`. */
  private pages(packets: Buffer[], lastFlags: number, finalGranule?: number): Buffer {
    const out: Buffer[] = [];
    let batch: Buffer[] = [];
    let segments = 0;
    const flush = (last: boolean) => {
      this.granule += batch.length * OPUS_FRAME_SAMPLES;
      const granule = last && finalGranule !== undefined ? Math.min(finalGranule, this.granule) : this.granule;
      out.push(this.page(batch, granule, last ? lastFlags : 0));
      batch = [];
      segments = 0;
    };
    for (const p of packets) {
      const need = Math.floor(p.length / 255) + 1;
      if (segments + need > MAX_SEGMENTS) flush(false);
      batch.push(p);
      segments += need;
    }
    if (batch.length || lastFlags) flush(true);
    return Buffer.concat(out);
  }

  private page(packets: Buffer[], granule: number, flags: number): Buffer {
    const lacing: number[] = [];
    for (const p of packets) {
      for (let left = p.length; ; left -= 255) {
        lacing.push(Math.min(left, 255));
        if (left < 255) break;
      }
    }
    const header = Buffer.alloc(27 + lacing.length);
    header.write('OggS', 0, 'ascii');
    header[4] = 0; // stream structure version
    header[5] = flags;
    header.writeBigUInt64LE(BigInt(granule), 6);
    header.writeUInt32LE(this.serial, 14);
    header.writeUInt32LE(this.sequence++, 18);
    header.writeUInt32LE(0, 22); // CRC, filled in below
    header[26] = lacing.length;
    Buffer.from(lacing).copy(header, 27);
    const page = Buffer.concat([header, ...packets]);
    page.writeUInt32LE(oggCrc(page), 22);
    return page;
  }
}
