import t from 'tap';
import { OggOpusDecoder } from 'ogg-opus-decoder';
import { oggCrc, OggOpusWriter } from '../../media/ogg-opus-writer.ts';
import { sine, toneAmplitude } from './signals.ts';

interface Page {
  flags: number;
  granule: bigint;
  serial: number;
  sequence: number;
  segments: number;
  crcOk: boolean;
  body: Buffer;
}

/** An independent reading of RFC 3533 pages, to check what the writer claims. */
function pages(file: Buffer): Page[] {
  const out: Page[] = [];
  for (let at = 0; at < file.length; ) {
    if (file.toString('ascii', at, at + 4) !== 'OggS') throw new Error(`no capture pattern at ${at}`);
    const segments = file[at + 26]!;
    const lacing = file.subarray(at + 27, at + 27 + segments);
    const size = 27 + segments + lacing.reduce((a, b) => a + b, 0);
    const page = Buffer.from(file.subarray(at, at + size));
    const crc = page.readUInt32LE(22);
    page.writeUInt32LE(0, 22);
    out.push({ flags: page[5]!, granule: page.readBigUInt64LE(6), serial: page.readUInt32LE(14), sequence: page.readUInt32LE(18), segments, crcOk: oggCrc(page) === crc, body: page.subarray(27 + segments) });
    at += size;
  }
  return out;
}

async function decode(file: Buffer) {
  const d = new OggOpusDecoder();
  await d.ready;
  try {
    return await d.decodeFile(new Uint8Array(file));
  } finally {
    d.free();
  }
}

t.test('streamed in uneven pieces: valid pages, exact length, the same tone back', async (t) => {
  const n = 48000 + 123;
  const pcm = sine(48000, 440, n, 10000);
  const w = new OggOpusWriter(24000, { serial: 77 });
  const parts = [w.start()];
  for (let i = 0; i < n; i += 5000) parts.push(w.write(pcm.subarray(i, i + 5000)));
  parts.push(w.end());
  t.equal(parts[1]!.length > 0 && parts.slice(1, -1).every((p) => p.length > 0), true, 'every 5000-sample piece completes packets and yields a page');
  const file = Buffer.concat(parts);
  const ps = pages(file);
  t.ok(ps.every((p) => p.crcOk), 'every CRC checks');
  t.ok(ps.every((p) => p.serial === 77));
  t.same(ps.map((p) => p.sequence), ps.map((_, i) => i), 'page numbers count up from 0');
  t.equal(ps[0]!.flags, 0x02, 'first page: beginning of stream');
  t.equal(ps[0]!.body.toString('ascii', 0, 8), 'OpusHead');
  t.equal(ps[0]!.body.readUInt16LE(10), 312, 'pre-skip');
  t.equal(ps[0]!.body.readUInt32LE(12), 24000, 'input rate recorded');
  t.equal(ps[1]!.body.toString('ascii', 0, 8), 'OpusTags');
  t.equal(ps.at(-1)!.flags, 0x04, 'last page: end of stream');
  t.equal(ps.at(-1)!.granule, BigInt(312 + n), 'the last granule trims the padding');
  const granules = ps.slice(2).map((p) => Number(p.granule));
  t.same(granules, [...granules].sort((a, b) => a - b), 'granules never go back');

  const back = await decode(file);
  t.same(back.errors, []);
  t.equal(back.samplesDecoded, n, 'an independent decoder gets exactly the samples written');
  const a = toneAmplitude(back.channelData[0]!.map((x) => x * 32768) as unknown as Int16Array, 48000, 440, 4800, 43200);
  t.ok(a > 9000 && a < 11000, `440 Hz at ${a.toFixed(0)} of 10000`);
});

t.test('a long write spreads over pages of at most 255 segments; close() abandons, end() is once', async (t) => {
  const w = new OggOpusWriter();
  const head = w.start();
  const body = w.write(sine(48000, 300, 48000 * 8, 8000)); // 400 packets
  const tail = w.end();
  t.equal(w.end().length, 0, 'a second end() adds nothing');
  t.throws(() => w.write(new Int16Array(960)), /ended/);
  const ps = pages(Buffer.concat([head, body, tail]));
  t.ok(ps.length >= 4, `${ps.length} pages`);
  t.ok(ps.every((p) => p.segments <= 255 && p.crcOk));
  t.equal((await decode(Buffer.concat([head, body, tail]))).samplesDecoded, 48000 * 8);

  const empty = new OggOpusWriter();
  const e = pages(Buffer.concat([empty.start(), empty.end()]));
  t.equal(e.length, 3, 'headers and one end-of-stream page even with no audio');
  t.equal(e[2]!.granule, 312n);

  const abandoned = new OggOpusWriter();
  abandoned.start();
  abandoned.write(new Int16Array(500));
  abandoned.close();
  t.equal(abandoned.end().length, 0, 'nothing after close()');
});
