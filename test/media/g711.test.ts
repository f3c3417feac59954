import t from 'tap';
import alawmulaw from 'alawmulaw';
import { ALAW_SILENCE, MULAW_SILENCE, alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../media/g711.ts';
import { sineDbfs, snrDb } from './signals.ts';

const everySample = new Int16Array(65536).map((_, i) => i - 32768);
const everyByte = new Uint8Array(256).map((_, i) => i);

t.test('bit-exact with alawmulaw on all 65536 inputs and all 256 codes', async (t) => {
  t.same(Array.from(mulawEncode(everySample)), Array.from(alawmulaw.mulaw.encode(everySample)), 'mu-law encode');
  t.same(Array.from(alawEncode(everySample)), Array.from(alawmulaw.alaw.encode(everySample)), 'A-law encode');
  t.same(Array.from(mulawDecode(everyByte)), Array.from(alawmulaw.mulaw.decode(everyByte)), 'mu-law decode');
  t.same(Array.from(alawDecode(everyByte)), Array.from(alawmulaw.alaw.decode(everyByte)), 'A-law decode');
});

t.test('the well-known code points', async (t) => {
  t.equal(MULAW_SILENCE, 0xff, 'mu-law silence is 0xFF');
  t.equal(ALAW_SILENCE, 0xd5, 'A-law silence is 0xD5');
  t.same(Array.from(mulawDecode(new Uint8Array([0x00, 0x80]))), [-32124, 32124], 'mu-law extremes');
  t.same(Array.from(alawDecode(new Uint8Array([0x2a, 0xaa]))), [-32256, 32256], 'A-law extremes');
});

for (const [name, encode, decode] of [
  ['mu-law', mulawEncode, mulawDecode],
  ['A-law', alawEncode, alawDecode],
] as const) {
  t.test(`${name} round trip`, async (t) => {
    // G.711 gives ~38 dB SNR over a wide range of levels; 33 dB is the bound the spec implies.
    for (const level of [-10, -30]) {
      const x = sineDbfs(8000, 1000, 8000, level);
      const snr = snrDb(x, decode(encode(x)));
      t.ok(snr >= 33, `${level} dBFS 1 kHz sine: SNR ${snr.toFixed(1)} dB >= 33 dB`);
    }
    // Every input decodes to within half a quantisation step: worst case is the top segment.
    const back = decode(encode(everySample));
    let worst = 0;
    for (let i = 0; i < everySample.length; i++) worst = Math.max(worst, Math.abs(back[i] - everySample[i]));
    t.ok(worst <= 1100, `max abs error ${worst} within the top segment's step`);
    // Every code decodes to its own reconstruction level, so re-encoding gives the code back;
    // the one exception is mu-law's negative zero (0x7F), which re-encodes as +0 (0xFF).
    const reencoded = encode(decode(everyByte));
    const changed = Array.from(everyByte).filter((b) => reencoded[b] !== b);
    t.same(changed, name === 'mu-law' ? [0x7f] : [], 'encode(decode(code)) === code');
  });

  t.test(`${name} writes into a caller's buffer without allocating`, async (t) => {
    const pcm = sineDbfs(8000, 440, 160, -6);
    const bytes = new Uint8Array(200);
    const enc = encode(pcm, bytes);
    t.equal(enc.buffer, bytes.buffer);
    t.equal(enc.length, 160);
    t.same(Array.from(enc), Array.from(encode(pcm)));
    const pcmOut = new Int16Array(160);
    const dec = decode(enc, pcmOut);
    t.equal(dec.buffer, pcmOut.buffer);
    t.same(Array.from(dec), Array.from(decode(enc)));
    t.throws(() => encode(pcm, new Uint8Array(10)), RangeError);
    t.throws(() => decode(enc, new Int16Array(10)), RangeError);
  });
}
