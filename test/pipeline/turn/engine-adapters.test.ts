/**
 * The VAD port survives its worker crashing: the VAD thread is shared by every call (batched
 * runtime), so each call reopens its stream on the replacement and goes on, its timeline intact;
 * speech in progress ends where the crash cut it; past VAD_RECOVERIES_PER_CALL the call fails.
 */
import t from 'tap';
import type { VadEngine, VadEvent as EngineVadEvent, VadStream } from '../../../pipeline/engines/types.ts';
import { VAD_RECOVERIES_PER_CALL, vadPort } from '../../../pipeline/turn/engine-adapters.ts';
import type { VadEvent } from '../../../pipeline/turn/ports.ts';

/** Streams that count what they are fed and can be made to crash or report events. */
class FakeVad implements VadEngine {
  readonly streams: Array<{ fed: number; crash: (err: Error) => void; fire: (e: EngineVadEvent) => void }> = [];
  async createStream(): Promise<VadStream> {
    let onEvent: (e: EngineVadEvent) => void = () => {};
    let onError: (err: Error) => void = () => {};
    const rec = { fed: 0, crash: (err: Error) => onError(err), fire: (e: EngineVadEvent) => onEvent(e) };
    this.streams.push(rec);
    return {
      push: (pcm) => void (rec.fed += pcm.length),
      onEvent: (l) => ((onEvent = l), () => {}),
      onError: (l) => ((onError = l), () => {}),
      reset() {},
      close: async () => {},
    };
  }
  health() {
    return { name: 'fake', ok: true };
  }
  async close() {}
}

const tick = () => new Promise((r) => setImmediate(r));
const frame = () => new Int16Array(320);

t.test('a crashed VAD stream is reopened; events keep the call\'s timeline; speech cut by the crash ends there', async (t) => {
  const engine = new FakeVad();
  const port = vadPort(engine);
  const events: VadEvent[] = [];
  const errors: Error[] = [];
  port.onEvent((e) => events.push(e));
  port.onError((e) => errors.push(e));
  for (let i = 0; i < 5; i++) port.push(frame()); // before the stream exists: replayed to it
  await tick();
  t.equal(engine.streams[0].fed, 1600, 'frames pushed while it opened reach it');
  engine.streams[0].fire({ type: 'speech_start', sample: 640, t_ms: 40 });
  for (let i = 0; i < 5; i++) port.push(frame());
  engine.streams[0].crash(new Error('worker exited'));
  t.same(events.at(-1), { type: 'end', sample: 3200 }, 'speech in progress ends at the crash');
  for (let i = 0; i < 3; i++) port.push(frame()); // while the new stream opens
  await tick();
  t.equal(engine.streams.length, 2, 'reopened on the replacement');
  t.equal(engine.streams[1].fed, 960, 'the frames since the crash reach the new stream');
  engine.streams[1].fire({ type: 'speech_start', sample: 320, t_ms: 20 });
  t.same(events.at(-1), { type: 'start', sample: 3200 + 320 }, 'on the call\'s timeline');
  engine.streams[0].fire({ type: 'speech_end', sample: 9999, t_ms: 625, startSample: 640 });
  t.same(events.at(-1), { type: 'start', sample: 3520 }, 'the dead stream is not heard any more');
  t.same(errors, [], 'the call goes on');
  port.close();
});

t.test('an onset the crash cut before its start or loss is lost there: a reply paused at it is not left silent', async (t) => {
  const engine = new FakeVad();
  const port = vadPort(engine);
  const events: VadEvent[] = [];
  port.onEvent((e) => events.push(e));
  await tick();
  engine.streams[0].fire({ type: 'speech_onset', sample: 320, t_ms: 20 });
  t.same(events, [{ type: 'onset', sample: 320 }]);
  for (let i = 0; i < 2; i++) port.push(frame());
  engine.streams[0].crash(new Error('worker exited'));
  t.same(events.at(-1), { type: 'onset_lost', sample: 640 }, 'lost at the crash');
  await tick();
  // An onset that led to its start is not lost at a later crash: the speech ends instead.
  engine.streams[1].fire({ type: 'speech_onset', sample: 0, t_ms: 0 });
  engine.streams[1].fire({ type: 'speech_start', sample: 0, t_ms: 0 });
  engine.streams[1].crash(new Error('worker exited'));
  t.same(events.slice(-3).map((e) => e.type), ['onset', 'start', 'end']);
  port.close();
});

t.test(`after ${VAD_RECOVERIES_PER_CALL} recoveries the next crash fails the call, once`, async (t) => {
  const engine = new FakeVad();
  const port = vadPort(engine);
  const errors: Error[] = [];
  port.onError((e) => errors.push(e));
  await tick();
  for (let i = 0; i < VAD_RECOVERIES_PER_CALL; i++) {
    engine.streams.at(-1)!.crash(new Error(`crash ${i + 1}`));
    await tick();
  }
  t.equal(engine.streams.length, VAD_RECOVERIES_PER_CALL + 1);
  t.same(errors, []);
  engine.streams.at(-1)!.crash(new Error('once too often'));
  await tick();
  t.same(errors.map((e) => e.message), ['once too often']);
  t.equal(engine.streams.length, VAD_RECOVERIES_PER_CALL + 1, 'not reopened again');
});
