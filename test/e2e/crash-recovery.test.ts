/**
 * kill -9 in the middle of a call (the real gateway process, secretary pipeline, SQLite in its data
 * directory), then a restart on the same data directory: the call that was left `active` is closed
 * as `crash`, failed, keeping its turns and transcript, and the reply that was playing when the
 * process died keeps the sentence the caller had already heard (and nothing it had not).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openDatabase } from '../../control/db/connection.ts';
import { until } from '../helpers/until.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { spawnGateway } from './helpers/gateway-process.ts';

t.setTimeout(300_000);
const TOKEN = 'crash-recovery-test-token-0123456789';

t.test('kill -9 mid-reply, restart: the call is closed as crash with its turns and what was heard', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-crash-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { DATA_DIR: dataDir, VOICE_WS_TOKEN: TOKEN };
  const first = await spawnGateway(env);
  t.teardown(() => void (first.child.exitCode === null && first.child.kill('SIGKILL')));

  const client = new TestClient(`ws://127.0.0.1:${first.port}/ws/voice`, TOKEN);
  const started = await client.start('pcm16', 16000);
  const callId = String(started.call_id);
  const audioEnds = () => client.received.events.filter((e) => e.type === 'response_audio_end').length;
  await client.waitFor(() => audioEnds() === 1, 30_000, 'the greeting played');
  client.sendJson({ type: 'text', text: 'What are your opening hours?' });
  await client.waitFor(() => audioEnds() === 2, 30_000, 'the hours answered');
  client.sendJson({ type: 'text', text: 'I want to leave a message.' });
  // Its first sentence has played (and is in the database); the second is playing.
  const event = await until('the first sentence of the third reply played', () => client.received.events.find((e) => e.type === 'response_spoken' && e.turn === 3), { timeoutMs: 30_000 });
  const spoken = { text: String(event.text) };
  const db = await openDatabase({ dataDir, migrate: false });
  t.teardown(() => db.destroy());
  await until('that sentence in the database', async () => (await db('call_transcripts').where({ call_id: callId, text: spoken.text })).length > 0);
  t.equal((await db('calls').where({ id: callId }).first())?.status, 'active', 'the call is live');

  first.child.kill('SIGKILL');
  t.equal((await first.exited).signal, 'SIGKILL');
  t.equal((await db('calls').where({ id: callId }).first())?.status, 'active', 'a crash leaves it active');
  // What the client had when the process died: the reply's text as generated so far, and whether it had finished playing.
  const events = [...client.received.events];
  const secondEnd = events.findIndex((e, i) => e.type === 'response_audio_end' && events.slice(0, i + 1).filter((x) => x.type === 'response_audio_end').length === 2);
  const generated = norm(events.slice(secondEnd + 1).filter((e) => e.type === 'response_text_delta').map((e) => String(e.text)).join(''));
  const finishedPlaying = audioEnds() === 3;

  const second = await spawnGateway(env);
  t.teardown(() => void (second.child.exitCode === null && second.child.kill('SIGKILL')));
  const call = await until('the orphaned call closed', async () => {
    const row = await db('calls').where({ id: callId }).first();
    return row?.status !== 'active' ? row : null;
  }, { timeoutMs: 30_000 });
  t.match(call, { status: 'failed', end_reason: 'crash' }, 'closed as crash, failed');
  t.ok(call.ended_at && call.duration_ms >= 0, 'with an end time');
  const turns = await db('call_turns').where({ call_id: callId }).orderBy('turn_index');
  t.match(turns.find((r) => r.turn_index === 2), { user_text: 'What are your opening hours?', assistant_text: /Monday to Friday/ }, 'the answered turn is kept');
  // A further sentence may have finished playing between the event the test waited for and the
  // kill: what is kept starts with the sentence seen played and is a prefix of the reply generated.
  const cut = turns.find((r) => r.turn_index === 3);
  t.match(cut, { user_text: 'I want to leave a message.' });
  const kept = norm(String(cut?.assistant_text));
  t.ok(kept.startsWith(norm(spoken.text)), `the reply cut by the crash keeps what was heard (${kept})`);
  t.ok(generated.startsWith(kept), 'and only text of that reply');
  if (!finishedPlaying) t.ok(generated.length > kept.length, 'more had been generated than heard, and is not kept');
  const assistant = (await db('call_transcripts').where({ call_id: callId, speaker: 'assistant' }).orderBy('seq')).map((r) => norm(String(r.text)));
  t.ok(kept.endsWith(assistant.at(-1)!), 'the transcript ends with what the turn kept');
  const lives = await db('gateway_nodes').orderBy('started_at');
  t.match(lives, [{ stop_reason: 'crash' }, { stopped_at: null }], 'the dead life is marked crashed, the new one live');
  t.ok(/calls left active by a crash of this gateway were closed as crash/.test(second.output()), 'the restart says so');

  second.child.kill('SIGTERM');
  t.equal((await second.exited).code, 0);
});

/** Spacing between sentences aside. */
function norm(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
