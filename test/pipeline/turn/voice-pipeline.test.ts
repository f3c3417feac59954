/**
 * The turn manager's sequencing with in-memory ports: greeting, a turn with its latency names,
 * barge-in that pauses at once and cancels on confirmation, a backchannel that resumes the reply,
 * and a goodbye that hangs up only after its audio played. Real engines are exercised in the
 * end-to-end tests; here every event is placed exactly.
 */
import t from 'tap';
import { until } from '../../helpers/until.ts';
import { VoicePipeline } from '../../../pipeline/voice-pipeline.ts';
import type { PipelineEvent } from '../../../pipeline/call-pipeline.ts';
import type { DialogueChunk, DialoguePort, SttPort, TtsPort } from '../../../pipeline/turn/ports.ts';
import { ManualVad } from '../helpers/manual-vad.ts';

function setup(
  opts: { transcript?: string; reply?: string[]; hangup?: boolean; confirmMs?: number; minUtteranceMs?: number; hangoverMs?: number; stt?: SttPort; isAnswer?: (text: string) => boolean } = {},
) {
  const vad = new ManualVad();
  const heard: string[] = [];
  let transcript = opts.transcript ?? 'what are your hours';
  const stt: SttPort = opts.stt ?? {
    begin: () => ({ accept() {}, finish: async () => transcript, cancel() {} }),
  };
  // 100 ms of audio per sentence (5 frames), in two chunks of odd size, at 8 kHz to exercise resampling.
  const tts: TtsPort = {
    async *synthesize(_text, signal) {
      for (const n of [333, 467]) {
        if (signal.aborted) return;
        yield { pcm: new Int16Array(n).fill(3000), sampleRate: 8000 };
      }
    },
  };
  const dialogue: DialoguePort = {
    async *greet() {
      yield { type: 'text' as const, text: 'Hello.' };
    },
    async *respond(text): AsyncIterable<DialogueChunk> {
      for (const s of opts.reply ?? ['We open at nine. ', 'We close at six. ']) yield { type: 'text', text: s };
      if (opts.hangup) yield { type: 'hangup', reason: 'goodbye' };
    },
    interrupted: (spoken) => heard.push(spoken),
    isAnswer: opts.isAnswer,
  };
  const splitter = () => {
    let buf = '';
    return {
      push(d: string) {
        buf += d;
        const out: string[] = [];
        let i: number;
        while ((i = buf.indexOf('. ')) >= 0) {
          out.push(buf.slice(0, i + 1));
          buf = buf.slice(i + 2);
        }
        return out;
      },
      flush() {
        const r = buf.trim() ? [buf] : [];
        buf = '';
        return r;
      },
    };
  };
  const p = new VoicePipeline({ callId: 'c1', channel: 'test' }, {
    vad, stt, tts, dialogue, splitter,
    config: { bargeInConfirmMs: opts.confirmMs ?? 400, minUtteranceMs: opts.minUtteranceMs ?? 0, vadHangoverMs: opts.hangoverMs ?? 0 },
  });
  const events: PipelineEvent[] = [];
  p.onEvent((e) => events.push(e));
  return { p, vad, events, heard, setTranscript: (s: string) => (transcript = s) };
}

const tick = () => new Promise((r) => setImmediate(r));
async function settle() {
  for (let i = 0; i < 20; i++) await tick();
}
function pullAll(p: VoicePipeline, max = 1000): number {
  let n = 0;
  while (n < max && p.pullAudio()) n++;
  return n;
}
const silence = () => new Int16Array(320);

t.test('greeting plays, then a turn answers with per-turn metrics', async (t) => {
  const { p, vad, events } = setup();
  p.start();
  await settle();
  t.equal(pullAll(p), 5, 'greeting: 100 ms of audio = 5 frames');
  p.pullAudio();
  t.ok(events.some((e) => e.type === 'response_audio_end' && !e.interrupted));

  for (let i = 0; i < 50; i++) p.pushAudio(silence());
  vad.fire({ type: 'start', sample: 3200 });
  vad.fire({ type: 'end', sample: 12800 });
  await settle();
  t.ok(events.some((e) => e.type === 'transcript' && e.final && e.text === 'what are your hours'));
  t.equal(pullAll(p), 10, 'two sentences of 5 frames each');
  p.pullAudio();
  const metrics = events.filter((e) => e.type === 'turn_metrics').map((e) => (e as unknown as { metrics: Record<string, number> }).metrics);
  const turn = metrics.find((m) => m.turn === 2)!;
  t.ok(turn, 'turn 2 metrics emitted');
  for (const k of ['endpoint_ms', 'stt_final_ms', 'llm_ttft_ms', 'tts_ttfa_ms', 'v2v_ms']) t.type(turn[k], 'number', k);
  t.same(
    events.map((e) => e.type).filter((x) => x.startsWith('response_audio')),
    ['response_audio_start', 'response_audio_end', 'response_audio_start', 'response_audio_end'],
  );
});

t.test('a VAD start that comes a second late (a loaded worker) still gives STT the utterance from its start, pre-roll included', async (t) => {
  const accepted: number[] = [];
  // Every sample of frame k carries k, so what STT got says which frames it got.
  const stt: SttPort = { begin: () => ({ accept: (pcm) => void accepted.push(...new Set(pcm)), finish: async () => 'hello', cancel() {} }) };
  const { p, vad } = setup({ stt });
  for (let k = 0; k < 100; k++) p.pushAudio(new Int16Array(320).fill(k)); // 2 s of caller audio
  vad.fire({ type: 'start', sample: 16000 }); // speech began at 1 s: reported with 1 s of lag
  t.equal(accepted[0], 35, 'from 300 ms (15 frames) before the speech began');
  t.same(accepted, Array.from({ length: 65 }, (_, i) => 35 + i), 'and every frame since, in order');
  await p.close('client_hangup');
});

t.test('barge-in pauses the reply at once and cancels it once confirmed', async (t) => {
  const { p, vad, events, heard } = setup({ reply: ['One two three four five six seven eight. ', 'Second sentence here. '] });
  for (let i = 0; i < 10; i++) p.pushAudio(silence());
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'end', sample: 1600 });
  await settle();
  t.equal(pullAll(p, 3), 3, 'reply playing');
  vad.fire({ type: 'start', sample: 3200 });
  t.equal(p.pullAudio(), null, 'the next pull is silent: paused on speech start');
  // 400 ms more caller speech confirms the interruption.
  for (let i = 0; i < 21; i++) p.pushAudio(silence());
  await settle();
  const interrupted = events.find((e) => e.type === 'interrupted') as { spoken_text: string } | undefined;
  t.ok(interrupted, 'interrupted event');
  t.match(interrupted!.spoken_text, /^One two three/, 'the heard part of the first sentence is kept');
  t.notMatch(interrupted!.spoken_text, /Second/, 'unplayed text is not claimed as spoken');
  t.equal(heard[0], interrupted!.spoken_text, 'the dialogue learns what was heard');
  t.ok(events.some((e) => e.type === 'response_audio_end' && e.interrupted));
  const m = events.find((e) => e.type === 'turn_metrics') as { metrics: { barge_in_ms?: number } };
  t.type(m.metrics.barge_in_ms, 'number', 'barge_in_ms recorded');
  t.equal(pullAll(p), 0, 'queued reply audio was dropped');
});

t.test('a backchannel pauses, then the reply resumes where it stopped', async (t) => {
  const { p, vad, events, setTranscript } = setup({ reply: ['A fairly long first sentence. ', 'And a second. '] });
  for (let i = 0; i < 10; i++) p.pushAudio(silence());
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'end', sample: 1600 });
  await settle();
  t.equal(pullAll(p, 2), 2);
  setTranscript('mhm');
  vad.fire({ type: 'start', sample: 3200 });
  t.equal(p.pullAudio(), null, 'paused');
  vad.fire({ type: 'end', sample: 4800 });
  await settle();
  t.notOk(events.some((e) => e.type === 'interrupted'), 'no interruption for "mhm"');
  t.equal(pullAll(p), 8, 'the remaining 8 frames play after the backchannel');
});

t.test('an onset pauses the reply before the start; the start keeps it paused, and the barge-in counts from the onset', async (t) => {
  let clock = 0;
  const { p, vad, events } = setup({ reply: ['One two three four five six seven eight. ', 'Second sentence here. '] });
  (p as unknown as { now: () => number }).now = () => clock;
  for (let i = 0; i < 10; i++) p.pushAudio(silence());
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'end', sample: 1600 });
  await settle();
  t.equal(pullAll(p, 3), 3, 'reply playing');
  clock = 1000;
  vad.fire({ type: 'onset', sample: 3200 });
  t.equal(p.pullAudio(), null, 'silent from the onset');
  clock = 1064;
  vad.fire({ type: 'start', sample: 3200 });
  t.equal(p.pullAudio(), null, 'and still after the start');
  for (let i = 0; i < 21; i++) p.pushAudio(silence());
  await settle();
  t.ok(events.some((e) => e.type === 'interrupted'), 'confirmed speech cancels as before');
  const m = events.find((e) => e.type === 'turn_metrics' && (e as { metrics: { barge_in_ms?: number } }).metrics.barge_in_ms !== undefined) as { metrics: { barge_in_ms: number } };
  t.equal(m.metrics.barge_in_ms, 1000, "counted to the onset's pause (1000), not the start (1064)");
});

t.test('an onset that no start follows (a click) resumes the reply where it stopped; none pauses a reply that is not playing', async (t) => {
  const { p, vad, events } = setup({ reply: ['A fairly long first sentence. ', 'And a second. '] });
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'end', sample: 1600 });
  await settle();
  t.equal(pullAll(p, 2), 2);
  vad.fire({ type: 'onset', sample: 3200 });
  t.equal(p.pullAudio(), null, 'paused at the onset');
  vad.fire({ type: 'onset_lost', sample: 3700 });
  t.equal(pullAll(p), 8, 'the remaining 8 frames play');
  t.notOk(events.some((e) => e.type === 'interrupted'));
  p.pullAudio();
  t.ok(events.some((e) => e.type === 'response_audio_end' && !e.interrupted), 'the reply ends as played');
  // Over silence (nothing playing) an onset changes nothing: the next reply plays at once.
  vad.fire({ type: 'onset', sample: 9000 });
  vad.fire({ type: 'start', sample: 9000 });
  vad.fire({ type: 'end', sample: 12000 });
  await settle();
  t.equal(pullAll(p), 10, 'the next reply plays whole');
});

/** A recogniser that also reports its other readings and confidence, as pocketsphinx does. */
function readingStt(heard: { text: string; alternatives: string[]; confidence: number }): SttPort {
  let utterances = 0;
  return {
    begin: () => {
      // The first utterance is the question the reply answers; the next is the speech over it.
      const first = utterances++ === 0;
      return { accept() {}, finish: async () => (first ? 'what are your hours' : heard.text), readings: () => (first ? { alternatives: [] } : heard), cancel() {} };
    },
  };
}

t.test('a vocalisation the recogniser misread ("the", read by its grammar as "uh huh") resumes the reply; a clipped "stop" ("so") cancels it', async (t) => {
  for (const [heard, interrupts] of [
    [{ text: 'the', alternatives: ['uh huh'], confidence: 0.4 }, false],
    [{ text: 'so', alternatives: ['stop'], confidence: 0.4 }, true],
  ] as const) {
    const { p, vad, events } = setup({ reply: ['A fairly long first sentence. ', 'And a second. '], stt: readingStt({ ...heard, alternatives: [...heard.alternatives] }) });
    vad.fire({ type: 'start', sample: 0 });
    vad.fire({ type: 'end', sample: 1600 });
    await settle();
    t.equal(pullAll(p, 2), 2);
    vad.fire({ type: 'start', sample: 3200 });
    t.equal(p.pullAudio(), null, 'paused at once');
    vad.fire({ type: 'end', sample: 3200 + 5600 }); // 350 ms: under the confirmation time
    await settle();
    t.equal(events.some((e) => e.type === 'interrupted'), interrupts, `"${heard.text}" ${interrupts ? 'interrupts' : 'does not interrupt'}`);
    if (!interrupts) t.equal(pullAll(p), 8, 'the rest of the reply plays');
  }
});

t.test('a goodbye hangs up only after its audio has played', async (t) => {
  const { p, vad, events } = setup({ reply: ['Goodbye. '], hangup: true });
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'end', sample: 1600 });
  await settle();
  t.notOk(events.some((e) => e.type === 'hangup'), 'not while audio is queued');
  pullAll(p);
  p.pullAudio();
  t.ok(events.some((e) => e.type === 'hangup' && e.reason === 'goodbye'));
});

t.test('a segment shorter than minUtteranceMs is noise: no turn, and a paused reply resumes', async (t) => {
  const { p, vad, events } = setup({ reply: ['A fairly long first sentence. ', 'And a second. '], minUtteranceMs: 200 });
  for (let i = 0; i < 10; i++) p.pushAudio(silence());
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'end', sample: 4000 }); // 250 ms: a turn
  await settle();
  t.equal(pullAll(p, 2), 2, 'reply playing');
  vad.fire({ type: 'start', sample: 8000 });
  t.equal(p.pullAudio(), null, 'paused on speech start');
  vad.fire({ type: 'end', sample: 8000 + 1600 }); // 100 ms: a click
  await settle();
  t.equal(events.filter((e) => e.type === 'transcript').length, 1, 'the click was not decoded into a turn');
  t.notOk(events.some((e) => e.type === 'interrupted'));
  t.equal(pullAll(p), 8, 'the reply resumes where it paused');
  const m = events.filter((e) => e.type === 'turn_metrics') as { metrics: { barge_in_ms?: number } }[];
  t.notOk(m.some((e) => e.metrics.barge_in_ms !== undefined), 'a false alarm records no barge_in_ms');
});

t.test('confirmation waits for the VAD hangover: speech is only known to last once no end came', async (t) => {
  const { p, vad, events } = setup({ reply: ['One two three four five six seven eight. ', 'Second sentence here. '], hangoverMs: 500 });
  for (let i = 0; i < 10; i++) p.pushAudio(silence());
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'end', sample: 1600 });
  await settle();
  pullAll(p, 2);
  vad.fire({ type: 'start', sample: 3200 });
  for (let i = 0; i < 30; i++) p.pushAudio(silence()); // 600 ms < 400 + 500
  await settle();
  t.notOk(events.some((e) => e.type === 'interrupted'), 'not cancelled after 600 ms');
  for (let i = 0; i < 20; i++) p.pushAudio(silence()); // 1000 ms >= 900
  await settle();
  t.ok(events.some((e) => e.type === 'interrupted'), 'cancelled once 900 ms passed without an end');
});

/** The caller speaks over the reply for 100 ms, and the VAD reports it (start, then end). */
async function speakOver(p: VoicePipeline, vad: ManualVad, from: number) {
  for (let i = 0; i < 5; i++) p.pushAudio(silence());
  vad.fire({ type: 'start', sample: from });
  vad.fire({ type: 'end', sample: from + 1600 });
  await settle();
}

t.test('a reply that played to its end is not reported as heard again at the next barge-in', async (t) => {
  const { p, vad, heard, events } = setup();
  p.start();
  await settle();
  t.equal(pullAll(p), 5, 'the greeting plays to its end');
  p.pullAudio();
  for (let i = 0; i < 10; i++) p.pushAudio(silence());
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'end', sample: 1600 });
  await settle();
  for (let i = 0; i < 7; i++) t.ok(p.pullAudio(), `reply frame ${i + 1}`);
  await speakOver(p, vad, 3200);
  t.equal(heard.at(-1), 'We open at nine. We…', 'only this reply: its first sentence and the start of the second');
  t.match(events.filter((e) => e.type === 'interrupted').at(-1), { spoken_text: 'We open at nine. We…' });
});

t.test('"yes" while a read-back plays answers it when the dialogue asks for it; otherwise it is a backchannel', async (t) => {
  for (const asked of [true, false]) {
    const { p, vad, events, heard } = setup({ transcript: 'Yes.', isAnswer: asked ? (x) => x === 'Yes.' : undefined });
    for (let i = 0; i < 10; i++) p.pushAudio(silence());
    vad.fire({ type: 'start', sample: 0 });
    vad.fire({ type: 'end', sample: 1600 });
    await settle();
    t.ok(p.pullAudio(), 'the reply (a read-back) is playing');
    const before = events.length;
    await speakOver(p, vad, 3200);
    const transcripts = events.slice(before).filter((e) => e.type === 'transcript');
    if (asked) {
      t.equal(heard.length, 1, 'the read-back is cut');
      t.match(transcripts, [{ final: true, text: 'Yes.' }], 'and "yes" is the caller\'s turn');
    } else {
      t.equal(heard.length, 0, 'a backchannel does not interrupt');
      t.same(transcripts, [], 'and is not a turn');
      t.ok(p.pullAudio(), 'the reply resumes');
    }
  }
});

t.test("a failing recogniser: the caller gets our words and an error id, never the failure's own text", async (t) => {
  const stt: SttPort = { begin: () => ({ accept() {}, finish: async () => Promise.reject(new Error('sherpa worker: cannot open /opt/models/secret-model.onnx')), cancel() {} }) };
  const { p, vad, events } = setup({ stt });
  for (let i = 0; i < 20; i++) p.pushAudio(silence());
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'end', sample: 1600 });
  await until('the error event', () => events.some((e) => e.type === 'error'));
  const error = events.find((e) => e.type === 'error') as { code: string; message: string };
  t.match(error, { code: 'stt_failed', message: /^speech recognition failed \(error id [0-9a-f]{10}\)$/ });
  t.notMatch(error.message, /sherpa|opt|onnx/);
});

t.test('a transcript that arrives after a later utterance was answered is dropped, not answered over the newer reply', async (t) => {
  const pending: Array<(text: string) => void> = [];
  const stt: SttPort = { begin: () => ({ accept() {}, finish: () => new Promise<string>((r) => pending.push(r)), cancel() {} }) };
  const { p, vad, events } = setup({ stt });
  for (let i = 0; i < 20; i++) p.pushAudio(silence());
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'end', sample: 1600 });
  vad.fire({ type: 'start', sample: 3200 });
  vad.fire({ type: 'end', sample: 4800 });
  t.equal(pending.length, 2, 'two utterances decoding');
  pending[1]('the second question');
  await settle();
  t.ok(p.pullAudio(), 'the answer to the second question plays');
  pending[0]('the first question');
  await settle();
  t.same(events.filter((e) => e.type === 'transcript').map((e) => (e as { text: string }).text), ['the second question']);
  t.notOk(events.some((e) => e.type === 'interrupted'), 'the reply was not cut');
  t.equal(pullAll(p), 9, 'and plays to its end');
});

t.test('a backchannel that decodes first does not make an earlier question stale: the question is still answered', async (t) => {
  const pending: Array<(text: string) => void> = [];
  const stt: SttPort = { begin: () => ({ accept() {}, finish: () => new Promise<string>((r) => pending.push(r)), cancel() {} }) };
  const { p, vad, events } = setup({ stt });
  p.start();
  await settle();
  t.ok(p.pullAudio(), 'the greeting plays');
  for (let i = 0; i < 20; i++) p.pushAudio(silence());
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'end', sample: 1600 });
  vad.fire({ type: 'start', sample: 3200 });
  vad.fire({ type: 'end', sample: 4800 });
  pending[1]('mhm');
  await settle();
  pending[0]('what are your hours');
  await settle();
  t.same(events.filter((e) => e.type === 'transcript').map((e) => (e as { text: string }).text), ['what are your hours'], 'the question is answered');
});

/** An STT whose utterances can report the recogniser's endpoint, with a transcript per utterance. */
function endpointingStt(texts: string[]) {
  const endpoints: Array<() => void> = [];
  let n = 0;
  const stt: SttPort = {
    begin: () => {
      const text = texts[n++] ?? '';
      return { accept() {}, onEndpoint: (l) => void endpoints.push(l), finish: async () => text, cancel() {} };
    },
  };
  return { stt, endpoints };
}
const transcriptsOf = (events: PipelineEvent[]) => events.filter((e) => e.type === 'transcript').map((e) => (e as { text: string }).text);

/** A turn ended by the recogniser's endpoint after a second of "speech" (line noise keeps the VAD on). */
async function endpointedTurn(texts: string[]) {
  const { stt, endpoints } = endpointingStt(texts);
  const rig = setup({ stt, minUtteranceMs: 200 });
  for (let i = 0; i < 10; i++) rig.p.pushAudio(silence());
  rig.vad.fire({ type: 'start', sample: 0 });
  for (let i = 0; i < 50; i++) rig.p.pushAudio(silence());
  endpoints[0]();
  await settle();
  return rig;
}

t.test('the recogniser\'s endpoint ends the turn while the VAD still hears speech; the VAD\'s late end adds nothing', async (t) => {
  const { p, vad, events } = await endpointedTurn(['what are your hours', '']);
  t.same(transcriptsOf(events), ['what are your hours'], 'answered at the recogniser\'s endpoint');
  t.ok(p.pullAudio(), 'the reply plays');
  for (let i = 0; i < 5; i++) p.pushAudio(silence());
  vad.fire({ type: 'end', sample: 60 * 320 + 1600 });
  await settle();
  t.same(transcriptsOf(events), ['what are your hours'], 'no second turn');
  t.equal(events.filter((e) => e.type === 'speech_stopped').length, 1, 'one speech_stopped');
  t.notOk(events.some((e) => e.type === 'interrupted'), 'the reply goes on');
});

t.test('words said right after a recogniser endpoint are the next utterance, ended by the VAD', async (t) => {
  const { p, vad, events } = await endpointedTurn(['I want to leave a message', 'my name is Ann']);
  for (let i = 0; i < 50; i++) p.pushAudio(silence()); // the caller goes on talking for a second
  vad.fire({ type: 'end', sample: 110 * 320 });
  await settle();
  t.same(transcriptsOf(events), ['I want to leave a message', 'my name is Ann']);
});

t.test('after a recogniser endpoint, seconds of line noise that decode to nothing leave the reply alone', async (t) => {
  const { p, vad, events, heard } = await endpointedTurn(['what are your hours', '']);
  t.ok(p.pullAudio(), 'the reply starts');
  for (let i = 0; i < 100; i++) p.pushAudio(silence()); // two more seconds the VAD calls speech
  vad.fire({ type: 'end', sample: 160 * 320 });
  await settle();
  t.same(transcriptsOf(events), ['what are your hours'], 'no empty turn');
  t.notOk(events.some((e) => e.type === 'interrupted'), 'nothing interrupted');
  t.same(heard, []);
  t.equal(pullAll(p), 9, 'the reply plays to its end');
  t.equal(events.filter((e) => e.type === 'response_audio_start').length, 1, 'and no second reply ("say again?") follows');
});

t.test('words after a recogniser endpoint cut into its reply as a barge-in: the dialogue hears what was said', async (t) => {
  const { p, vad, events, heard } = await endpointedTurn(['what are your hours', 'and on sunday']);
  for (let i = 0; i < 3; i++) t.ok(p.pullAudio());
  for (let i = 0; i < 50; i++) p.pushAudio(silence());
  vad.fire({ type: 'end', sample: 110 * 320 });
  await settle();
  t.same(transcriptsOf(events), ['what are your hours', 'and on sunday']);
  t.ok(events.some((e) => e.type === 'interrupted'), 'the first reply is reported interrupted');
  t.equal(heard.length, 1, 'and the dialogue is told what was heard of it');
});
