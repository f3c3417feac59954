import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WavFormatError, encodeWav, parseWav, readWavFile, writeWavFile } from '../../media/wav.ts';
import { alawEncode, mulawEncode } from '../../media/g711.ts';
import { noise } from './signals.ts';

interface Chunk {
  id: string;
  body: Uint8Array;
  /** Lie about the size in the header (truncation / streaming placeholders). */
  declaredSize?: number;
}

/** Build a RIFF file from chunks, padding odd-sized ones as the format requires. */
function riff(chunks: Chunk[], type = 'WAVE'): Uint8Array {
  const parts: Buffer[] = [Buffer.from(type, 'latin1')];
  for (const c of chunks) {
    const head = Buffer.alloc(8);
    head.write(c.id, 0, 'latin1');
    head.writeUInt32LE(c.declaredSize ?? c.body.length, 4);
    parts.push(head, Buffer.from(c.body));
    if (c.body.length % 2 === 1 && c.declaredSize === undefined) parts.push(Buffer.alloc(1));
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return new Uint8Array(Buffer.concat([head, body]));
}

function fmt(tag: number, channels: number, rate: number, bits: number, extensible = false): Chunk {
  const b = Buffer.alloc(extensible ? 40 : 16);
  b.writeUInt16LE(extensible ? 0xfffe : tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE((rate * channels * bits) / 8, 8);
  b.writeUInt16LE((channels * bits) / 8, 12);
  b.writeUInt16LE(bits, 14);
  if (extensible) {
    b.writeUInt16LE(22, 16);
    b.writeUInt16LE(bits, 18);
    b.writeUInt32LE(channels === 1 ? 4 : 3, 20);
    b.writeUInt16LE(tag, 24); // SubFormat GUID starts with the format tag
  }
  return { id: 'fmt ', body: b };
}

const data = (bytes: Uint8Array | Buffer): Chunk => ({ id: 'data', body: new Uint8Array(bytes) });

t.test('encodeWav / parseWav round trip, and the canonical header', async (t) => {
  const x = noise(1001, 30000, 4);
  const wav = encodeWav(x, 16000);
  t.equal(wav.length, 44 + 2002);
  t.equal(wav.toString('latin1', 0, 4), 'RIFF');
  t.equal(wav.readUInt32LE(4), 36 + 2002);
  t.equal(wav.readUInt32LE(24), 16000);
  t.equal(wav.readUInt32LE(40), 2002);
  const back = parseWav(wav);
  t.same({ ...back, samples: undefined }, { sampleRate: 16000, channels: 1, bitsPerSample: 16, encoding: 'pcm', samples: undefined, truncated: false });
  t.same(back.samples, x);
});

t.test('unknown and odd-sized chunks are skipped, fmt may follow them', async (t) => {
  const pcm = Buffer.from(new Int16Array([1, -2, 3, -4]).buffer);
  const file = riff([
    { id: 'LIST', body: new Uint8Array(7).fill(65) }, // odd size: one pad byte follows
    fmt(1, 1, 8000, 16),
    { id: 'junk', body: new Uint8Array(3) },
    data(pcm),
    { id: 'id3 ', body: new Uint8Array(5) },
  ]);
  const w = parseWav(file);
  t.same(Array.from(w.samples), [1, -2, 3, -4]);
  t.equal(w.truncated, false);

  // A Buffer slice at an odd byte offset (Node's pool does this) parses the same.
  const backing = new Uint8Array(file.length + 1);
  backing.set(file, 1);
  t.same(Array.from(parseWav(backing.subarray(1)).samples), [1, -2, 3, -4]);
});

t.test('8-bit, 24-bit, 32-bit, float, mu-law, A-law and extensible files decode to PCM16', async (t) => {
  const u8 = parseWav(riff([fmt(1, 1, 8000, 8), data(new Uint8Array([128, 0, 255, 192]))]));
  t.same(Array.from(u8.samples), [0, -32768, 32512, 16384], '8-bit is unsigned around 128');

  const s24 = Buffer.from([0x00, 0x00, 0x40, 0x00, 0x00, 0xc0, 0xff, 0xff, 0x7f, 0x80, 0x00, 0x00]);
  t.same(Array.from(parseWav(riff([fmt(1, 1, 16000, 24), data(s24)])).samples), [16384, -16384, 32767, 1], '24-bit keeps the top 16 bits (rounded)');

  const s32 = Buffer.alloc(8);
  s32.writeInt32LE(0x40000000, 0);
  s32.writeInt32LE(-0x80000000, 4);
  t.same(Array.from(parseWav(riff([fmt(1, 1, 16000, 32), data(s32)])).samples), [16384, -32768]);

  const f32 = Buffer.from(new Float32Array([0.5, -1, 1.5, 0]).buffer);
  const f = parseWav(riff([fmt(3, 1, 24000, 32), data(f32)]));
  t.equal(f.encoding, 'float');
  t.same(Array.from(f.samples), [16384, -32768, 32767, 0], 'float is clipped to the int16 range');

  const pcm = new Int16Array([0, 1000, -1000, 30000]);
  const mu = parseWav(riff([fmt(7, 1, 8000, 8), data(mulawEncode(pcm))]));
  t.equal(mu.encoding, 'mulaw');
  t.ok(mu.samples.every((s, i) => Math.abs(s - pcm[i]) < 1100), 'mu-law (tag 7)');
  const al = parseWav(riff([fmt(6, 1, 8000, 8), data(alawEncode(pcm))]));
  t.equal(al.encoding, 'alaw');
  t.ok(al.samples.every((s, i) => Math.abs(s - pcm[i]) < 1100), 'A-law (tag 6)');

  const ext = parseWav(riff([fmt(1, 1, 48000, 16, true), data(Buffer.from(new Int16Array([7, 8]).buffer))]));
  t.same(Array.from(ext.samples), [7, 8], 'WAVE_FORMAT_EXTENSIBLE with PCM subformat');
});

t.test('stereo is downmixed to mono by averaging', async (t) => {
  const st = Buffer.from(new Int16Array([100, 300, -32768, -32768, 32767, -32767]).buffer);
  const w = parseWav(riff([fmt(1, 2, 44100, 16), data(st)]));
  t.equal(w.channels, 2);
  t.same(Array.from(w.samples), [200, -32768, 0]);
});

t.test('truncated files', async (t) => {
  const full = encodeWav(new Int16Array([1, 2, 3, 4, 5]), 8000);
  const cut = parseWav(full.subarray(0, full.length - 3)); // mid-sample
  t.same(Array.from(cut.samples), [1, 2, 3], 'whole samples that are present');
  t.equal(cut.truncated, true);

  const streaming = Buffer.from(full);
  streaming.writeUInt32LE(0xffffffff, 40); // a writer that never went back to fill in the size
  const s = parseWav(streaming);
  t.same(Array.from(s.samples), [1, 2, 3, 4, 5]);
  t.equal(s.truncated, false, 'an unknown-length placeholder is not truncation');

  t.throws(() => parseWav(full.subarray(0, 30)), WavFormatError, 'cut inside the fmt chunk');
  t.throws(() => parseWav(full.subarray(0, 36)), /no data chunk/, 'cut before the data chunk');
  t.throws(() => parseWav(full.subarray(0, 8)), WavFormatError, 'cut inside the RIFF header');
});

t.test('junk is a clear WavFormatError', async (t) => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /only 0 bytes/],
    ['text', new TextEncoder().encode('hello, this is not audio at all'), /no RIFF header/],
    ['AVI', riff([], 'AVI '), /not WAVE/],
    ['RIFX', new Uint8Array(Buffer.from('RIFX\0\0\0\0WAVE')), /RIFX/],
    ['no fmt', riff([data(new Uint8Array(4))]), /no fmt chunk/],
    ['fmt too short', riff([{ id: 'fmt ', body: new Uint8Array(10) }, data(new Uint8Array(4))]), /at least 16/],
    ['ADPCM', riff([fmt(2, 1, 8000, 4), data(new Uint8Array(4))]), /format tag 2 with 4 bits/],
    ['0 channels', riff([fmt(1, 0, 8000, 16), data(new Uint8Array(4))]), /0 channels/],
  ];
  for (const [name, bytes, re] of cases) t.throws(() => parseWav(bytes), re, name);
  for (const [, bytes] of cases) {
    try {
      parseWav(bytes);
    } catch (err) {
      t.type(err, WavFormatError);
    }
  }
  const badAlign = riff([fmt(1, 1, 8000, 16), data(new Uint8Array(4))]);
  new DataView(badAlign.buffer).setUint16(32, 4, true); // block align 4 for mono 16-bit
  t.throws(() => parseWav(badAlign), /block align/);
});

t.test('readWavFile / writeWavFile', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wav-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'a.wav');
  const x = noise(800, 12000, 8);
  await writeWavFile(file, x, 8000);
  const w = await readWavFile(file);
  t.equal(w.sampleRate, 8000);
  t.same(w.samples, x);
  const junk = path.join(dir, 'junk.wav');
  await writeWavFile(junk, x, 8000);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(junk, 'not a wav');
  await t.rejects(readWavFile(junk), { name: 'WavFormatError', message: new RegExp(`${junk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a WAV`) });
  await t.rejects(readWavFile(path.join(dir, 'missing.wav')), { code: 'ENOENT' });
});
