/**
 * The call log as a real VoicePipeline (hand-driven ports) feeds it, into a real control plane's
 * database through the journal. What the caller did not hear is never stored as said: a reply cut
 * by a barge-in, by typed text or by a hangup keeps only its played part, in the transcript and in
 * the turn. A reply is written sentence by sentence as it plays (a crash mid-reply keeps those),
 * and the end reason decides completed or failed from an explicit table (modem_lost is a failure).
 * The same over the modem transport: a remote hang-up mid-reply on the emulated GSM line.
 */
import pino from 'pino';
import t, { type Test } from 'tap';
import { createControlPlane, type ControlPlane } from '../../control/control-plane.ts';
import { CallLog } from '../../gateway/call-log.ts';
import { TURN_METRICS } from '../../control/repositories/calls.ts';
import type { PipelineEvent, TurnRecord } from '../../pipeline/call-pipeline.ts';
import type { DialogueSettings } from '../../pipeline/conversation/dialogue-settings.ts';
import { SentenceSplitter } from '../../pipeline/text/sentence-splitter.ts';
import type { DialogueChunk, DialoguePort, TtsPort } from '../../pipeline/turn/ports.ts';
import { VoicePipeline } from '../../pipeline/voice-pipeline.ts';
import { TEST_ENV } from '../control/helpers/control.ts';
import { testDatabase } from '../control/helpers/database.ts';
import { CUE_WORDS } from '../pipeline/helpers/clocked-call.ts';
import { ManualVad } from '../pipeline/helpers/manual-vad.ts';
import { until } from '../helpers/until.ts';
import { modemRig } from './modem/helpers/modem-rig.ts';

const FRAMES_PER_SENTENCE = 10;
const REPLY = ['We open at nine in the morning. ', 'We close at six in the evening. ', 'On Sundays we are closed.'];

async function controlPlane(t: Test): Promise<ControlPlane> {
  const tdb = await testDatabase();
  const cp = await createControlPlane({ dataDir: tdb.dataDir, databaseUrl: tdb.databaseUrl, pgSchema: tdb.pgSchema, log: pino({ level: 'silent' }), env: TEST_ENV });
  t.teardown(async () => {
    await cp.close();
    await tdb.cleanup();
  });
  return cp;
}

/** A secretary stand-in: every sentence is `frames` 20 ms frames of audio; the caller's words come from `heard`, in order. */
function voicePipelines(callLog: CallLog, heard: string[], { frames = FRAMES_PER_SENTENCE, greeting = 'Hello, how can I help?', settings = {} as Partial<DialogueSettings> } = {}) {
  const vad = new ManualVad();
  const tts: TtsPort = {
    async *synthesize() {
      yield { pcm: new Int16Array(320 * frames).fill(3000), sampleRate: 16000 };
    },
  };
  const dialogue: DialoguePort = {
    async *greet() {
      yield { type: 'text', text: greeting };
    },
    async *respond(): AsyncIterable<DialogueChunk> {
      for (const s of REPLY) yield { type: 'text', text: s };
    },
    cue: (cue) => CUE_WORDS[cue],
  };
  const stt = { begin: () => ({ accept() {}, finish: async () => heard.shift() ?? '', cancel() {} }) };
  const factory = callLog.wrap(
    (info) =>
      new VoicePipeline(info, {
        vad, stt, tts, dialogue,
        splitter: () => new SentenceSplitter(),
        config: { minUtteranceMs: 0, bargeInConfirmMs: 400, vadHangoverMs: 0 },
        dialogueSettings: { silenceRepromptMs: 0, silenceHangupMs: 0, maxCallMs: 0, offerMessageAfterFailures: 0, ...settings },
      }),
  );
  return { vad, factory };
}

/** One call driven by hand (the test is the transport's clock). */
function call(callLog: CallLog, callId: string, heard: string[]) {
  const { vad, factory } = voicePipelines(callLog, heard);
  const p = factory({ callId, channel: 'ws', callerNumber: '+15550100' });
  const events: PipelineEvent[] = [];
  p.onEvent((e) => events.push(e));
  let sample = 0;
  return {
    p,
    events,
    /** Pull `n` reply frames (as a transport's clock would). */
    play(n: number) {
      for (let i = 0; i < n; i++) p.pullAudio();
    },
    /** The caller says something: speech from now for 100 ms, then its end. */
    async say() {
      for (let i = 0; i < 5; i++) p.pushAudio(new Int16Array(320));
      vad.fire({ type: 'start', sample });
      sample += 1600;
      vad.fire({ type: 'end', sample });
      await settle();
    },
  };
}

const settle = async () => {
  for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
};

async function greeted(c: ReturnType<typeof call>) {
  c.p.start();
  await settle();
  c.play(FRAMES_PER_SENTENCE + 1);
}

/** A call past its greeting whose caller has just asked something: the reply is on its way. */
async function askedCall(t: Test, callId: string, heard: string[]) {
  const cp = await controlPlane(t);
  const log = new CallLog(cp.callJournal, pino({ level: 'silent' }));
  const c = call(log, callId, heard);
  await greeted(c);
  await c.say();
  return { cp, log, c };
}

const heardOf = (events: PipelineEvent[]) => (events.filter((e) => e.type === 'interrupted').at(-1) as { spoken_text: string } | undefined)?.spoken_text;

t.test('the turn rows are the records the pipeline reported: a normal turn, a barge-in, a hang-up mid-reply', async (t) => {
  const cp = await controlPlane(t);
  const log = new CallLog(cp.callJournal, pino({ level: 'silent' }));
  const c = call(log, 'records', ['what are your hours', 'and on sunday', 'where are you']);
  const records: TurnRecord[] = [];
  c.p.onRecord((e) => void (e.type === 'turn_end' && records.push(e.turn)));
  await greeted(c);
  await c.say();
  c.play(3 * FRAMES_PER_SENTENCE + 1); // answered, played whole
  await c.say();
  c.play(FRAMES_PER_SENTENCE + 4);
  await c.say(); // cuts into the second answer
  c.play(FRAMES_PER_SENTENCE + 2);
  await c.p.close('client_hangup'); // mid-way through the third
  t.ok(await log.flush(10_000));

  t.match(records.map((r) => [r.cause, r.interrupted]), [['greeting', false], ['caller', false], ['caller', true], ['caller', true]], 'the four turns');
  const rows = await cp.repos.calls.turns('records');
  const stored = rows.map((r) => ({ index: r.turn_index, user: r.user_text, heard: r.assistant_text, interrupted: r.interrupted, startedAt: r.started_at, endedAt: r.ended_at, latencies: TURN_METRICS.map((m) => r[m]) }));
  const reported = records.map((r) => ({ index: r.index, user: r.callerText || null, heard: r.heardText || null, interrupted: r.interrupted, startedAt: r.startedAt, endedAt: r.endedAt, latencies: TURN_METRICS.map((m) => r.metrics[m] ?? null) }));
  t.same(stored, reported, 'row for row, field for field');
  t.match(stored[2], { user: 'and on sunday', heard: 'We open at nine in the morning. We close…', interrupted: true });
  t.type(stored[2].latencies[TURN_METRICS.indexOf('barge_in_ms')], 'number', 'the barge-in latency is stored');
  t.match(stored[3], { user: 'where are you', heard: 'We open at nine in the morning.', interrupted: true });
  t.ok(stored[1].latencies.every((v, i) => (TURN_METRICS[i] === 'barge_in_ms' ? v === null : typeof v === 'number')), 'the played-out answer has every latency but barge_in_ms');
});

t.test('a barge-in: the turn and the transcript keep what was heard, not the unspoken rest', async (t) => {
  const { cp, log, c } = await askedCall(t, 'barge', ['what are your hours', 'and on sunday']);
  c.play(FRAMES_PER_SENTENCE + 4); // the first sentence, and 40% of the second
  await c.say(); // words, not a backchannel: the interruption is confirmed
  const heard = heardOf(c.events);
  t.equal(heard, 'We open at nine in the morning. We close…', 'the pipeline reports the played part');
  await c.p.close('client_hangup');
  t.ok(await log.flush(10_000));

  const transcript = await cp.repos.calls.transcript('barge');
  t.same(transcript.filter((s) => s.speaker === 'assistant').map((s) => s.text).slice(0, 2), ['Hello, how can I help?', heard], 'the cut reply is stored as heard');
  t.notOk(transcript.some((s) => /Sundays|six in the evening/.test(s.text)), 'nothing unspoken in the transcript');
  const turn = (await cp.repos.calls.turns('barge')).find((x) => x.turn_index === 2)!;
  t.match(turn, { user_text: 'what are your hours', assistant_text: heard, interrupted: true });
  t.type(turn.barge_in_ms, 'number', 'with its barge-in latency');
  t.same(transcript.map((s) => s.seq), transcript.map((_, i) => i + 1), 'segments numbered in order');
});

t.test('a hangup mid-reply stores the played part (it stored the whole reply)', async (t) => {
  const { cp, log, c } = await askedCall(t, 'hangup', ['what are your hours']);
  c.play(FRAMES_PER_SENTENCE + 1);
  await c.p.close('client_hangup');
  t.ok(await log.flush(10_000));
  const assistant = (await cp.repos.calls.transcript('hangup')).filter((s) => s.speaker === 'assistant').map((s) => s.text);
  t.same(assistant, ['Hello, how can I help?', 'We open at nine in the morning.'], 'the first sentence only (the second was cut before a whole word played)');
  t.match((await cp.repos.calls.turns('hangup')).find((x) => x.turn_index === 2), { assistant_text: 'We open at nine in the morning.', interrupted: true });
  t.match(await cp.repos.calls.get('hangup'), { status: 'completed', end_reason: 'client_hangup' });
});

t.test('typed text cuts the reply: the cut reply is stored as heard', async (t) => {
  const { cp, log, c } = await askedCall(t, 'typed', ['what are your hours']);
  c.play(5); // half of the first sentence
  c.p.control({ type: 'text', text: 'where are you' });
  await settle();
  const heard = heardOf(c.events);
  t.match(heard, /^We open at…$/, 'the pipeline reports the cut');
  c.play(3 * FRAMES_PER_SENTENCE + 1);
  await c.p.close('client_hangup');
  t.ok(await log.flush(10_000));
  const assistant = (await cp.repos.calls.transcript('typed')).filter((s) => s.speaker === 'assistant').map((s) => s.text);
  t.same(assistant, ['Hello, how can I help?', heard, REPLY.join('').trim()], 'cut reply as heard, the next one whole');
  const turns = await cp.repos.calls.turns('typed');
  t.match(turns.find((x) => x.turn_index === 2), { user_text: 'what are your hours', assistant_text: heard, interrupted: true });
  t.match(turns.find((x) => x.turn_index === 3), { user_text: 'where are you', assistant_text: REPLY.join('').trim(), interrupted: false });
});

t.test('a reply is in the database sentence by sentence as it plays, before its turn ends', async (t) => {
  const { cp, log, c } = await askedCall(t, 'growing', ['what are your hours']);
  c.play(FRAMES_PER_SENTENCE);
  t.ok(await log.flush(10_000));
  t.same((await cp.repos.calls.transcript('growing')).map((s) => [s.speaker, s.text]), [
    ['assistant', 'Hello, how can I help?'],
    ['caller', 'what are your hours'],
    ['assistant', 'We open at nine in the morning.'],
  ], 'the played sentence, nothing more');
  t.match((await cp.repos.calls.turns('growing')).find((x) => x.turn_index === 2), { user_text: 'what are your hours', assistant_text: 'We open at nine in the morning.', interrupted: true, v2v_ms: null }, 'a provisional turn: what a crash now would leave');
  c.play(2 * FRAMES_PER_SENTENCE + 1);
  t.ok(await log.flush(10_000));
  const transcript = await cp.repos.calls.transcript('growing');
  t.equal(transcript.length, 3, 'the same segment grew; none added');
  t.equal(transcript[2].text, REPLY.join('').trim());
  const turns = (await cp.repos.calls.turns('growing')).filter((x) => x.turn_index === 2);
  t.equal(turns.length, 1, 'the finished turn replaced the provisional row');
  t.match(turns[0], { assistant_text: REPLY.join('').trim(), interrupted: false });
  t.type(turns[0].v2v_ms, 'number');
  await c.p.close('client_hangup');
});

t.test('end reasons: failures are failed, whatever detail follows the code; the caller\'s own reasons completed', async (t) => {
  const cp = await controlPlane(t);
  const log = new CallLog(cp.callJournal, pino({ level: 'silent' }));
  const cases: Array<[string, string]> = [
    ['modem_lost: serial port closed', 'failed'],
    ['worker_crashed', 'failed'],
    ['server_shutdown', 'failed'],
    ['slow_consumer', 'failed'],
    ['too_many_errors', 'failed'],
    ['start_timeout', 'failed'],
    ['remote_hangup', 'completed'],
    ['client_hangup', 'completed'],
    ['dialogue_finished', 'completed'],
    ['script_done', 'completed'],
  ];
  for (const [i, [reason]] of cases.entries()) await call(log, `end-${i}`, []).p.close(reason);
  t.ok(await log.flush(10_000));
  for (const [i, [reason, status]] of cases.entries()) t.match(await cp.repos.calls.get(`end-${i}`), { status, end_reason: reason }, reason);
});

t.test('modem: a remote hang-up mid-reply stores the part the line carried', async (t) => {
  const cp = await controlPlane(t);
  const log = new CallLog(cp.callJournal, pino({ level: 'silent' }));
  // Each sentence plays a second: the line is cut during the greeting's second.
  const { factory } = voicePipelines(log, [], { frames: 50, greeting: 'Hello, you have reached the office. How can I help you today?' });
  const { emu, manager, records } = await modemRig(t, factory);
  const events: PipelineEvent[] = [];
  manager.on('call', (c) => c.on('pipeline', (e) => events.push(e)));
  emu.ring('+79161234567');
  await until('the first greeting sentence played on the line', () => events.some((e) => e.type === 'response_spoken'));
  emu.remoteHangup();
  await until('the call record', () => records.length === 1);
  t.ok(await log.flush(10_000));
  const heard = heardOf(events)!;
  t.match(heard, /^Hello, you have reached the office\.( How\b.*…)?$/, 'the modem call reports what was played');
  const id = records[0].callId;
  t.same((await cp.repos.calls.transcript(id)).map((s) => [s.speaker, s.text]), [['assistant', heard]], 'stored as played');
  t.match(await cp.repos.calls.get(id), { channel: 'modem', status: 'completed', end_reason: 'remote_hangup', caller_number: '+79161234567' });
});

t.test('modem: a silent caller is asked once, said goodbye to, and hung up on with AT+CHUP; logged `silence`, completed', async (t) => {
  const cp = await controlPlane(t);
  const log = new CallLog(cp.callJournal, pino({ level: 'silent' }));
  // The caller's line is silent: the VAD (fired by hand here) never hears speech.
  const { factory } = voicePipelines(log, [], { settings: { silenceRepromptMs: 600, silenceHangupMs: 1500 } });
  const { emu, manager, records } = await modemRig(t, factory);
  const events: PipelineEvent[] = [];
  manager.on('call', (c) => c.on('pipeline', (e) => events.push(e)));
  emu.ring('+79161234567');
  await until('the call record', () => records.length === 1);
  t.equal(records[0].reason, 'silence', 'the call manager ended it for silence');
  t.ok(emu.commandLog.some((c) => c.command === 'AT+CHUP'), 'hung up with AT+CHUP');
  const said = events.filter((e) => e.type === 'response_text_delta').map((e) => (e as { text: string }).text);
  t.same(said, ['Hello, how can I help?', CUE_WORDS.still_there, CUE_WORDS.silence_goodbye], 'greeting, the question once, the goodbye');
  t.match(events.find((e) => e.type === 'hangup'), { reason: 'silence' });
  t.ok(await log.flush(10_000));
  const id = records[0].callId;
  t.match(await cp.repos.calls.get(id), { channel: 'modem', status: 'completed', end_reason: 'silence' });
  t.same((await cp.repos.calls.turns(id)).map((x) => [x.turn_index, x.assistant_text, x.interrupted]), [
    [1, 'Hello, how can I help?', false],
    [2, CUE_WORDS.still_there, false],
    [3, CUE_WORDS.silence_goodbye, false],
  ], 'each played whole on the line');
});

t.test("a message taken in a call: in its transcript, its summary and the owner's inbox, with the call's channel and id", async (t) => {
  const cp = await controlPlane(t);
  const log = new CallLog(cp.callJournal, pino({ level: 'silent' }), { inbox: cp.messages });
  const c = call(log, 'msg-call', []);
  c.p.start();
  await settle();
  const taken = { callId: 'msg-call', callerName: 'Jane Roe', callbackNumber: 'five five five one two three four', reason: 'a quote', language: 'en', callerId: '+15550100', createdAt: new Date().toISOString() };
  await log.save(taken);
  await c.p.close('dialogue_finished');
  t.ok(await log.flush(10_000));
  const { items } = await cp.repos.messages.list({}, { limit: 10, offset: 0 });
  t.match(items, [{ kind: 'message', channel: 'ws', call_id: 'msg-call', caller_name: 'Jane Roe', callback_number: '5551234', caller_id: '+15550100', reason: 'a quote', status: 'new' }]);
  t.match(await cp.repos.calls.get('msg-call'), { summary: 'Message from Jane Roe, callback five five five one two three four: a quote' });
  t.ok((await cp.repos.calls.transcript('msg-call')).some((s) => s.speaker === 'message'), 'and in the transcript');

  // An inbox that cannot keep it: the secretary must not say it was recorded.
  const failing = new CallLog(cp.callJournal, pino({ level: 'silent' }), { inbox: { save: async () => Promise.reject(new Error('not durable')) } });
  const other = call(failing, 'msg-call-2', []);
  other.p.start();
  await settle();
  await t.rejects(failing.save({ ...taken, callId: 'msg-call-2' }), /could not be stored/);
  await other.p.close('dialogue_finished');
});
