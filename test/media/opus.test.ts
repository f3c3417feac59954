import t from 'tap';
import { OPUS_FRAME_SAMPLES, OpusCodec, OpusDecodeError, OpusEncodeError } from '../../media/opus.ts';
import { concatInt16 } from '../../media/pcm.ts';
import { alignedSnrDb, db, rmsOf, sine, speechLike, toneAmplitude } from './signals.ts';

function roundTrip(codec: OpusCodec, x: Int16Array): { packets: Buffer[]; y: Int16Array } {
  const packets: Buffer[] = [];
  const out: Int16Array[] = [];
  for (let off = 0; off + OPUS_FRAME_SAMPLES <= x.length; off += OPUS_FRAME_SAMPLES) {
    const p = codec.encode(x.subarray(off, off + OPUS_FRAME_SAMPLES));
    packets.push(p);
    out.push(codec.decode(p));
  }
  return { packets, y: concatInt16(out) };
}

t.test('a 1 kHz tone survives encode/decode with its level and a clean waveform', async (t) => {
  const codec = new OpusCodec();
  const x = sine(48000, 1000, 48000, 10000);
  const { packets, y } = roundTrip(codec, x);
  t.equal(packets.length, 50);
  t.equal(y.length, x.length, 'every packet decodes to 960 samples');
  t.ok(packets.every((p) => p.length > 0 && p.length < 200), 'packets are compact (32 kbit/s is 80 B per 20 ms)');
  const gain = db(toneAmplitude(y, 48000, 1000, 9600) / 10000);
  t.ok(Math.abs(gain) < 0.5, `level within 0.5 dB (${gain.toFixed(2)} dB)`);
  // Opus has 6.5 ms of lookahead (312 samples at 48 kHz): compare after aligning.
  const { snr, delay } = alignedSnrDb(x, y, 960, 4800);
  t.ok(snr > 20, `tone SNR ${snr.toFixed(1)} dB after a ${delay}-sample codec delay`);
  codec.close();
});

t.test('speech-like audio round-trips with a sensible SNR', async (t) => {
  const codec = new OpusCodec();
  const x = speechLike(48000, 48000);
  const { y } = roundTrip(codec, x);
  const { snr } = alignedSnrDb(x, y, 960, 4800);
  t.ok(snr > 10, `speech-like SNR ${snr.toFixed(1)} dB`);
  t.ok(Math.abs(db(rmsOf(y, 4800) / rmsOf(x, 4800))) < 1, 'level within 1 dB');
});

t.test('bad input fails with typed errors, and the codec keeps working', async (t) => {
  const codec = new OpusCodec();
  t.throws(() => codec.encode(new Int16Array(320)), OpusEncodeError, 'encode needs exactly 960 samples');
  t.throws(() => codec.decode(new Uint8Array(0)), OpusDecodeError, 'empty packet');
  const junk = new Uint8Array(40).fill(0xff);
  try {
    codec.decode(junk);
    t.fail('junk decoded');
  } catch (err) {
    t.type(err, OpusDecodeError);
    t.equal((err as OpusDecodeError).packetBytes, 40);
    t.match((err as Error).message, /40 bytes did not decode/);
  }
  const p = codec.encode(sine(48000, 440, 960, 5000));
  t.equal(codec.decode(p).length, 960, 'still decodes after a bad packet');
  codec.close();
  t.throws(() => codec.encode(new Int16Array(960)), /closed/);
});
