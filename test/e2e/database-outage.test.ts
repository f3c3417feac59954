/**
 * The database goes away for more than 10 s in the middle of real calls (the gateway as `npm start`
 * assembles it, on a PostgreSQL server of this test's own that it stops and starts again; flite
 * speech over the WebSocket, pocketsphinx, espeak-ng). A caller leaves a message during the
 * outage and is told, truthfully, that it was recorded; another call starts and ends while the
 * database is down. /health says what is going on. Once the database is back, every turn, every
 * transcript line and the message (in the transcript and in the owner's inbox) are in it, exactly once.
 */
import t from 'tap';
import { runScriptedCall, type ScriptedCallResult, type TimedEvent } from '../../bench/lib/scripted-caller.ts';
import { leaveMessageSteps, say } from './helpers/caller-script.ts';
import { startThrowawayPostgres } from '../helpers/throwaway-postgres.ts';
import { until } from '../helpers/until.ts';
import { startSecretaryGateway } from './helpers/secretary-gateway.ts';

t.setTimeout(400_000);

const METRICS_TOKEN = 'metrics-token-for-tests-0123';
const asInsider = { headers: { authorization: `Bearer ${METRICS_TOKEN}` } };

const pg = await startThrowawayPostgres();
if (!pg) {
  t.comment('skipped: needs the PostgreSQL server binaries (initdb, pg_ctl under /usr/lib/postgresql; .ci/run installs them)');
  t.test('Postgres outage', { skip: 'the PostgreSQL server binaries (initdb, pg_ctl) are not installed' }, () => {});
} else {
  t.teardown(() => pg.destroy());
  const gw = await startSecretaryGateway({ METRICS_TOKEN }, { DATABASE_URL: pg.url });
  t.teardown(() => gw.stop());
  const http = gw.url.replace(/^ws:/, 'http:').replace(/\/ws\/voice$/, '');
  const health = async () => (await (await fetch(`${http}/health`, asInsider)).json()) as { components: Record<string, Record<string, unknown>> };

  t.test('Postgres down for over 10 s mid-call: every turn, transcript line and taken message reaches it afterwards', async (t) => {
    let outage: { since: number; stopped: Promise<void> } | null = null;
    let messageRecorded = false;
    const onEvent = (e: TimedEvent) => {
      // The caller has given their name: the database goes down for the rest of the message.
      if (!outage && e.type === 'transcript' && e.final && /john|smith/i.test(String(e.text))) outage = { since: performance.now(), stopped: pg.stop() };
      if (e.type === 'response_text_delta' && /your message has been recorded/.test(String(e.text))) messageRecorded = true;
    };
    const messageCall = runScriptedCall({
      url: gw.url,
      token: gw.token,
      caller: '+15551234567',
      steps: leaveMessageSteps(),
      maxMs: 120_000,
      onEvent,
    });

    const down = await until('the database stopped mid-call', () => outage, { timeoutMs: 90_000 });
    await down.stopped;
    // A call that starts and ends while the database is down.
    const duringOutage = await runScriptedCall({ url: gw.url, token: gw.token, caller: '+15550001111', steps: [say('What are your opening hours?')], maxMs: 40_000 });
    t.ok(duringOutage.events.some((e) => e.type === 'started') && finals(duringOutage).length > 0, 'it was answered and heard');
    const sick = await until('/health showing the outage', async () => {
      const h = await health();
      return h.components.db?.status === 'down' && Number(h.components.journal?.pending) > 0 ? h : null;
    });
    t.match(sick.components.journal, { status: 'degraded', writable: true, apply_error: /./ }, 'the journal holds the writes and says why');
    await until('the message taken (said while the database is down)', () => messageRecorded, { timeoutMs: 120_000 });
    await until('an outage of over 10 s', () => performance.now() - down.since > 10_500, { timeoutMs: 30_000 });
    t.equal((await health()).components.db?.status, 'down', 'still down when the message was saved');

    await pg.start();
    const message = await messageCall;
    await until('the journal caught up', async () => (await health()).components.journal?.pending === 0, { timeoutMs: 60_000 });
    const healthy = await until('/health ok again', async () => {
      const h = await health();
      return h.components.db?.status === 'ok' && h.components.journal?.status === 'ok' ? h : null;
    }, { timeoutMs: 30_000 });
    t.match(healthy.components.journal, { pending: 0, rejected: 0, lost: 0 });

    t.notMatch(text(message), /could not save/, 'the caller was never told the message failed');
    t.match(text(message), /your message has been recorded/);
    const calls = gw.controlPlane.repos.calls;
    for (const [name, r] of [['message call', message], ['call during the outage', duringOutage]] as const) {
      const id = callId(r);
      const row = await calls.get(id);
      t.ok(row, `${name}: its row exists`);
      t.equal(row?.status, 'completed', `${name}: ended, completed`);
      const transcript = await calls.transcript(id);
      t.same(transcript.filter((s) => s.speaker === 'caller').map((s) => s.text), finals(r), `${name}: every caller line, once, in order`);
      const spoken = transcript.filter((s) => s.speaker === 'assistant').map((s) => s.text).join(' ');
      for (const reply of replies(r)) t.ok(spoken.includes(reply.slice(0, 40)), `${name}: reply in the transcript: ${reply.slice(0, 40)}`);
      t.same((await calls.turns(id)).map((x) => x.turn_index), turnsOf(r), `${name}: every turn, once`);
    }
    const id = callId(message);
    const stored = (await calls.transcript(id)).filter((s) => s.speaker === 'message');
    t.equal(stored.length, 1, 'the message is in the transcript, once');
    t.match(JSON.parse(stored[0]!.text), { callbackNumber: '+15551234567' });
    t.match((await calls.get(id))?.summary, /^Message from .+, callback \+15551234567: .+/, 'and is the call summary');
    const inbox = await gw.controlPlane.repos.messages.list({}, { limit: 10, offset: 0 });
    t.match(inbox, { total: 1, items: [{ call_id: id, callback_number: '+15551234567', status: 'new' }] }, "and in the owner's inbox, once");
  });
}

const text = (r: ScriptedCallResult) => r.events.filter((e) => e.type === 'response_text_delta').map((e) => String(e.text)).join('');
const callId = (r: ScriptedCallResult) => String(r.events.find((e) => e.type === 'started')!.call_id);
const finals = (r: ScriptedCallResult) => r.events.filter((e) => e.type === 'transcript' && e.final).map((e) => String(e.text));
const turnsOf = (r: ScriptedCallResult) => r.events.filter((e) => e.type === 'turn_metrics').map((e) => (e.metrics as { turn: number }).turn).sort((a, b) => a - b);
/** Each reply's text as the client saw it, for replies that played to the end. */
function replies(r: ScriptedCallResult): string[] {
  const out: string[] = [];
  let current = '';
  for (const e of r.events) {
    if (e.type === 'response_text_delta') current += String(e.text);
    if (e.type === 'response_audio_end') {
      if (!e.interrupted && current.trim()) out.push(current.trim());
      current = '';
    }
  }
  return out;
}
