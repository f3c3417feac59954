/**
 * The data directory (SQLite file and journal) on a disk that fills up mid-call: a real tmpfs
 * filled to the last byte. The call goes on; /health and /metrics say the disk is full and the
 * journal cannot write; once space is back the journal writes again and everything said during
 * the full stretch is in the database.
 */
import t from 'tap';
import { mountSmallTmpfs } from '../helpers/small-tmpfs.ts';
import { until } from '../helpers/until.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { startSecretaryGateway } from './helpers/secretary-gateway.ts';

t.setTimeout(300_000);
const disk = await mountSmallTmpfs(32);
if (disk) t.teardown(() => disk.unmount());

const METRICS_TOKEN = 'metrics-token-for-tests-0123';
const asInsider = { headers: { authorization: `Bearer ${METRICS_TOKEN}` } };

t.test('a full disk under DATA_DIR: reported by /health, the call goes on, the journal catches up when space returns', { skip: disk ? false : 'needs to mount a tmpfs (root, as in CI) to fill a real disk' }, async (t) => {
  if (!disk) return;
  const gw = await startSecretaryGateway({ DATA_DIR: disk.dir, METRICS_TOKEN }, { DISK_MIN_FREE_MB: '4' });
  t.teardown(() => gw.stop());
  const http = gw.url.replace(/^ws:/, 'http:').replace(/\/ws\/voice$/, '');
  type Health = { components: Record<string, Record<string, unknown>> };
  const health = async () => (await (await fetch(`${http}/health`, asInsider)).json()) as Health;
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${http}/metrics`, asInsider)).text())?.[1]);
  t.match((await health()).components, { disk: { status: 'ok' }, journal: { status: 'ok', writable: true } });

  const client = new TestClient(gw.url, gw.token);
  const callId = String((await client.start('pcm16', 16000)).call_id);
  const audioEnds = () => client.received.events.filter((e) => e.type === 'response_audio_end').length;
  await client.waitFor(() => audioEnds() === 1, 30_000, 'the greeting');

  await disk.fill();
  // The call goes on while the disk is full. The journal's file has a few hundred bytes of its
  // last page free, so it takes a turn or two before a write needs a page the disk cannot give.
  const asked: string[] = [];
  let full: Health | null = null;
  for (let i = 0; i < 8 && !full; i++) {
    const question = i % 2 ? 'What are your opening hours?' : 'Where are you located?';
    asked.push(question);
    client.sendJson({ type: 'text', text: question });
    await client.waitFor(() => audioEnds() === asked.length + 1, 30_000, 'an answer, disk full or not');
    const h = await health();
    if (h.components.disk?.status === 'degraded' && h.components.journal?.writable === false && h.components.db?.write === 'failing') full = h;
  }
  if (!full) throw new Error(`the full disk never showed in /health: ${JSON.stringify(await health())}`);
  t.match(full.components.journal, { status: 'down', write_error: /ENOSPC/, apply_error: /SQLITE_FULL/ }, 'the journal says it cannot write, and why');
  t.match(full.components.db, { status: 'degraded', write: 'failing', write_error: /^SQLITE_FULL: database or disk is full$/ }, 'the database takes reads but no writes');
  t.ok(Number(full.components.journal?.pending) > 0, 'what was said waits in memory for the disk');
  t.ok(Number(full.components.disk?.free_mb) < 4, 'free space under the threshold');
  t.equal(await metric('voice_journal_writable'), 0, 'metric: journal not writable');
  t.ok((await metric('voice_journal_write_errors_total')) > 0, 'metric: write errors counted');

  await disk.free();
  asked.push('What is your address?');
  client.sendJson({ type: 'text', text: 'What is your address?' });
  await client.waitFor(() => audioEnds() === asked.length + 1, 30_000, 'the next answer');
  client.sendJson({ type: 'hangup', reason: 'done' });
  await client.closed;
  const back = await until('everything written once space returned', async () => {
    const h = await health();
    return h.components.disk?.status === 'ok' && h.components.journal?.status === 'ok' && h.components.journal?.pending === 0 ? h : null;
  }, { timeoutMs: 60_000 });
  t.match(back.components.journal, { writable: true, lost: 0, rejected: 0 });

  const calls = gw.controlPlane.repos.calls;
  t.match(await calls.get(callId), { status: 'completed', end_reason: 'done' });
  const transcript = await calls.transcript(callId);
  t.same(transcript.filter((s) => s.speaker === 'caller').map((s) => s.text), asked, 'every caller line, those said on a full disk too');
  const assistant = transcript.filter((s) => s.speaker === 'assistant').map((s) => s.text).join(' ');
  t.match(assistant, /Monday to Friday|1 Main Street/, 'the answers given on a full disk');
  t.match(assistant, /1 Main Street, on the second floor/);
  const turns = (await calls.turns(callId)).filter((x) => x.turn_index >= 2);
  t.same(turns.map((x) => x.user_text), asked, 'every turn');
  t.ok(turns.every((x) => x.assistant_text), 'each with its answer');
});
