/**
 * Two gateway processes (`npm start`, gateway/main.ts), each with its own DATA_DIR, on one
 * Postgres database and schema: an FAQ entry added through process A's admin API answers the next
 * chat on process B without a restart (LISTEN/NOTIFY, control/conversation/change-bus.ts). The
 * delay is printed as a figure (the goal is within 1 s), not asserted: a loaded machine stretches it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { hashPassword } from '../../control/auth/password.ts';
import { openDatabase } from '../../control/db/connection.ts';
import { PG_URL, testDatabase } from '../control/helpers/database.ts';
import { until } from '../helpers/until.ts';
import { spawnGateway, type GatewayProcess } from './helpers/gateway-process.ts';

t.setTimeout(300_000);

const PASSWORD = 'correct horse battery staple 42';

async function call(gw: GatewayProcess, method: string, url: string, opts: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${gw.port}${url}`, {
    method,
    headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body ? { 'content-type': 'application/json' } : {}) },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

t.test('an FAQ entry added through gateway A answers the next chat on gateway B', { skip: PG_URL ? false : 'needs Postgres (TEST_DATABASE_URL)' }, async (t) => {
  const db = await testDatabase('postgres');
  const dirs = [mkdtempSync(path.join(tmpdir(), 'vg-gw-a-')), mkdtempSync(path.join(tmpdir(), 'vg-gw-b-'))];
  const gateways: GatewayProcess[] = [];
  t.teardown(async () => {
    for (const gw of gateways) {
      gw.child.kill('SIGTERM');
      await gw.exited;
    }
    await db.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  // The test's schema for both processes, through the connection string's own options.
  const url = new URL(db.databaseUrl!);
  url.searchParams.set('options', `-c search_path=${db.pgSchema}`);
  const env = (dataDir: string) => ({ DATABASE_URL: url.toString(), DATA_DIR: dataDir, SECRET_KEY: 'a shared secret key for both gateways, 32+ chars', PIPELINE: 'echo' });
  // One after the other: the first runs the migrations.
  gateways.push(await spawnGateway(env(dirs[0])));
  gateways.push(await spawnGateway(env(dirs[1])));
  const [a, b] = gateways;

  const direct = await openDatabase({ dataDir: dirs[0], databaseUrl: db.databaseUrl, pgSchema: db.pgSchema, migrate: false });
  const now = new Date().toISOString();
  await direct('users').insert({ username: 'owner', role: 'admin', password_hash: await hashPassword(PASSWORD, { ln: 12, r: 8, p: 1 }), disabled: false, failed_logins: 0, created_at: now, updated_at: now });
  await direct.destroy();
  const login = await call(a, 'POST', '/admin/auth/login', { body: { username: 'owner', password: PASSWORD } });
  t.equal(login.status, 200);
  const admin = login.body.access_token as string;
  const key = (await call(a, 'POST', '/admin/api-keys', { token: admin, body: { name: 'b' } })).body.key as string;

  const askB = async () => {
    const r = await call(b, 'POST', '/v1/chat/completions', { token: key, body: { model: 'faq', messages: [{ role: 'user', content: 'Do you have parking?' }] } });
    return r.status === 200 ? (r.body.choices[0].message.content as string) : `status ${r.status}`;
  };
  t.notMatch(await askB(), /parking behind/, 'before the edit, B has no such answer');

  const sent = performance.now();
  t.equal((await call(a, 'POST', '/admin/faq', { token: admin, body: { question: 'Do you have parking?', answer: 'Yes, free parking behind the building.' } })).status, 201);
  const committed = performance.now();
  const answeredAt = await until('gateway B answering from the new entry', async () => /parking behind/.test(await askB()) && performance.now(), { timeoutMs: 15_000, everyMs: 5 });
  t.comment(`an FAQ entry added through process A: answered by process B ${Math.round(answeredAt - committed)} ms after A confirmed the edit (${Math.round(answeredAt - sent)} ms after it was sent)`);
});
