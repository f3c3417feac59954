import t from 'tap';
import { CODEC_RATES, UnsupportedCodecError, WirePayloadError, createEdgeConverter, createWireCodec, type CodecName } from '../../media/codec.ts';
import { OpusDecodeError } from '../../media/opus.ts';
import { concatInt16 } from '../../media/pcm.ts';
import { db, sine, toneAmplitude } from './signals.ts';

t.test('supported combinations and 20 ms frame sizes', async (t) => {
  const expected: [CodecName, number, number, number | undefined][] = [
    ['pcm16', 8000, 160, 320],
    ['pcm16', 16000, 320, 640],
    ['pcm16', 24000, 480, 960],
    ['pcm16', 48000, 960, 1920],
    ['mulaw', 8000, 160, 160],
    ['alaw', 8000, 160, 160],
    ['opus', 48000, 960, undefined],
  ];
  for (const [name, rate, samples, bytes] of expected) {
    const c = createWireCodec(name, rate);
    t.same([c.name, c.sampleRate, c.frameSamples, c.frameBytes], [name, rate, samples, bytes], `${name} @ ${rate}`);
    c.close();
  }
  t.equal(Object.values(CODEC_RATES).flat().length, expected.length, 'nothing else is allowed');
});

t.test('unsupported combinations throw UnsupportedCodecError with a clear message', async (t) => {
  const cases: [string, number, RegExp][] = [
    ['mulaw', 16000, /"mulaw" supports 8000 Hz, not 16000 Hz/],
    ['alaw', 48000, /"alaw" supports 8000 Hz, not 48000 Hz/],
    ['opus', 16000, /"opus" supports 48000 Hz, not 16000 Hz/],
    ['pcm16', 22050, /"pcm16" supports 8000, 16000, 24000, 48000 Hz, not 22050 Hz/],
    ['pcm16', 11025, /not 11025 Hz/],
    ['g729', 8000, /unknown codec "g729" \(supported: pcm16, mulaw, alaw, opus\)/],
  ];
  for (const [name, rate, re] of cases) {
    t.throws(() => createWireCodec(name, rate), re, `${name} @ ${rate}`);
    t.throws(() => createWireCodec(name, rate), UnsupportedCodecError);
  }
});

t.test('payloads: fresh arrays both ways, bad payloads throw', async (t) => {
  const pcm16 = createWireCodec('pcm16', 16000);
  const frame = sine(16000, 500, 320, 9000);
  const bytes = pcm16.encode(frame);
  t.equal(bytes.length, 640);
  frame[0] = 1234;
  t.not(new Int16Array(bytes.buffer, bytes.byteOffset, 1)[0], 1234, 'encode copies (the frame may be reused)');
  const odd = new Uint8Array(bytes.length + 1);
  odd.set(bytes, 1);
  const decoded = pcm16.decode(odd.subarray(1));
  t.same(decoded, new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 640)), 'decode handles odd byte offsets');
  t.throws(() => pcm16.decode(new Uint8Array(3)), WirePayloadError);

  const opus = createWireCodec('opus', 48000);
  t.throws(() => opus.decode(new Uint8Array(30).fill(0xff)), OpusDecodeError);
  t.throws(() => opus.encode(new Int16Array(100)), /960 samples/);
  opus.close();

  const mu = createWireCodec('mulaw', 8000);
  t.equal(mu.decode(new Uint8Array(7)).length, 7, 'G.711 takes any length');
});

for (const [name, rate] of [
  ['mulaw', 8000],
  ['alaw', 8000],
  ['pcm16', 8000],
  ['pcm16', 16000],
  ['pcm16', 24000],
  ['pcm16', 48000],
  ['opus', 48000],
] as const) {
  t.test(`edge converter ${name} @ ${rate}: exact frame sizes and a tone both ways`, async (t) => {
    const wire = createWireCodec(name, rate); // the far end
    const edge = createEdgeConverter(createWireCodec(name, rate));
    const x = sine(rate, 1000, rate / 2, 10000); // 500 ms
    const toPipe: Int16Array[] = [];
    for (let off = 0; off < x.length; off += wire.frameSamples) {
      const f = edge.toPipeline(wire.encode(x.subarray(off, off + wire.frameSamples)));
      toPipe.push(f);
    }
    t.ok(toPipe.every((f) => f.length === 320), 'every 20 ms payload becomes exactly 320 samples at 16 kHz');
    const pipe = concatInt16(toPipe);
    const inGain = db(toneAmplitude(pipe, 16000, 1000, 1600) / 10000);
    t.ok(Math.abs(inGain) < 0.6, `inbound 1 kHz level ${inGain.toFixed(2)} dB`);

    const back: Int16Array[] = [];
    const sizes = new Set<number>();
    const y = sine(16000, 1000, 8000, 10000);
    for (let off = 0; off < y.length; off += 320) {
      const payload = edge.fromPipeline(y.subarray(off, off + 320));
      if (wire.frameBytes !== undefined) sizes.add(payload.length);
      back.push(wire.decode(payload));
    }
    if (wire.frameBytes !== undefined) t.same([...sizes], [wire.frameBytes], `every outbound payload is ${wire.frameBytes} bytes`);
    t.ok(back.every((f) => f.length === wire.frameSamples), `every outbound frame is ${wire.frameSamples} samples`);
    const outGain = db(toneAmplitude(concatInt16(back), rate, 1000, rate / 10) / 10000);
    t.ok(Math.abs(outGain) < 0.6, `outbound 1 kHz level ${outGain.toFixed(2)} dB`);
    edge.close();
    edge.close();
    t.throws(() => edge.fromPipeline(y.subarray(0, 320)), /closed/);
    wire.close();
  });
}

t.test('edge converter refuses a short frame for opus', async (t) => {
  const edge = createEdgeConverter(createWireCodec('opus', 48000));
  t.throws(() => edge.fromPipeline(new Int16Array(100)), /320-sample/);
  edge.close();
});

t.test('edge converter: inbound frames are the caller\'s to keep; outbound payloads reuse scratch memory until the next call', async (t) => {
  for (const [name, rate] of [
    ['mulaw', 8000],
    ['pcm16', 24000],
    ['pcm16', 16000],
  ] as const) {
    const wire = createWireCodec(name, rate);
    const edge = createEdgeConverter(createWireCodec(name, rate));
    const a = edge.toPipeline(wire.encode(sine(rate, 700, wire.frameSamples, 8000)));
    const aCopy = a.slice();
    const frame1 = sine(16000, 700, 320, 8000);
    const p = edge.fromPipeline(frame1);
    const pCopy = p.slice();
    const fresh = createEdgeConverter(createWireCodec(name, rate)).fromPipeline(frame1);
    t.same(pCopy, fresh.slice(), `${name} @ ${rate}: the payload is the frame's encoding`);
    edge.toPipeline(wire.encode(sine(rate, 300, wire.frameSamples, 20000)));
    const frame2 = sine(16000, 300, 320, 20000);
    const q = edge.fromPipeline(frame2);
    t.same(a, aCopy, `${name} @ ${rate}: inbound frame unchanged by the next call (the pipeline keeps it)`);
    if (rate === 16000) t.equal(q.buffer, frame2.buffer, 'pcm16 at the pipeline rate: a view of the frame, no copy');
    else t.equal(q.buffer, p.buffer, `${name} @ ${rate}: the next payload reuses the same scratch (no allocation per frame)`);
    // Payloads of other sizes than 20 ms work too (the scratch buffers grow).
    t.equal(edge.toPipeline(wire.encode(new Int16Array(wire.frameSamples * 3))).length, 960);
    t.equal(edge.fromPipeline(new Int16Array(960)).length, name === 'mulaw' ? 480 : (960 * rate * 2) / 16000);
    edge.close();
  }
});
