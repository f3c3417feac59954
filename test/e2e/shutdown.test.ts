/**
 * `npm start` as a real process (gateway/main.ts, echo pipeline, SQLite in a temp data dir): live
 * calls, then SIGTERM. Every caller hears `hangup` (server_shutdown) and a 1001 close, the process
 * exits 0 without an error line, and every call is in the database, ended, with its reason: the
 * call log is flushed before the database closes (it was not for echo calls, and 498 of 500 call
 * records were lost at a bench's shutdown).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openDatabase } from '../../control/db/connection.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { spawnGateway } from './helpers/gateway-process.ts';

// Enough calls that their end records queue behind one another on SQLite's single connection:
// without the flush, 60 calls happened to pass; 150 lost most of their records.
const CALLS = 150;
const TOKEN = 'shutdown-test-token-0123456789';

t.test('SIGTERM ends live calls cleanly and keeps every call record', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-shutdown-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const gw = await spawnGateway({ DATA_DIR: dataDir, PIPELINE: 'echo', VOICE_WS_TOKEN: TOKEN, SHUTDOWN_GRACE_MS: '2000' }, 30000);
  const { child, port } = gw;
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')));
  const url = `ws://127.0.0.1:${port}/ws/voice`;
  const clients = Array.from({ length: CALLS }, () => new TestClient(url, TOKEN));
  const started = await Promise.all(clients.map((c) => c.start('pcm16', 16000)));
  const frame = Buffer.alloc(640, 1);
  for (let i = 0; i < 5; i++) for (const c of clients) c.ws.send(frame);
  await Promise.all(clients.map((c) => c.waitFor((r) => r.frames.length > 0, 'an echoed frame')));

  child.kill('SIGTERM');
  const closes = await Promise.all(clients.map((c) => c.closed));
  const { code } = await gw.exited;
  t.equal(code, 0, 'exit code 0');
  t.same(closes.map((c) => c.code), Array(CALLS).fill(1001), 'every caller closed with 1001');
  t.ok(clients.every((c) => c.received.events.some((e) => e.type === 'hangup' && e.reason === 'server_shutdown')), 'every caller told why');
  t.notMatch(gw.output(), /Acquire connection error|"level":50|"level":60/, 'no error logged on the way down');

  const db = await openDatabase({ dataDir, migrate: false });
  t.teardown(() => db.destroy());
  const rows = await db('calls').select('id', 'ended_at', 'end_reason', 'channel');
  const ids = started.map((s) => s.call_id as string).sort();
  t.same(rows.map((r) => r.id).sort(), ids, 'every call is in the database');
  t.ok(rows.every((r) => r.ended_at && r.end_reason === 'server_shutdown'), 'each one ended, with the reason');
});
