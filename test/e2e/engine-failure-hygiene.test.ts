/**
 * The gateway as `npm start` assembles it, with an espeak-ng that fails printing a line of a secret
 * file to stderr (what the real one does when pointed at a file): /health, a voice call's error
 * event and the admin API say what failed and an error id; the log has the line under that id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { hashPassword } from '../../control/auth/password.ts';
import { assembleGateway } from '../../gateway/assemble.ts';
import { loadConfig } from '../../gateway/config.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { failingCommand, scriptDir } from '../helpers/shell-scripts.ts';
import { TestClient } from '../helpers/ws-client.ts';

const SECRET = 'SECRET-FROM-STDERR-5e1f';

// First on PATH before any engine starts: every espeak-ng this process runs (the pipeline's voice,
// the control plane's) is the failing one.
const scripts = scriptDir();
failingCommand(scripts, `Bad voice attribute: ${SECRET}`, 'espeak-ng');
process.env.PATH = `${scripts.dir}:${process.env.PATH}`;
t.teardown(scripts.remove);

const METRICS_TOKEN = 'metrics-token-for-tests-0123';
const asInsider = { headers: { authorization: `Bearer ${METRICS_TOKEN}` } };

t.test('a failing voice engine: /health, the call and the admin API name an error id; only the log has its stderr', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-hygiene-'));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, SHUTDOWN_GRACE_MS: '1000', PIPELINE: 'secretary', METRICS_TOKEN });
  const captured = capturedLog();
  const app = await assembleGateway(config, { log: captured.log, env: { PASSWORD_HASH_LN: '12' } });
  t.teardown(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const port = await app.listen();
  const base = `http://127.0.0.1:${port}`;

  // The greeting was synthesised at start-up, and failed.
  const health = (await (await fetch(`${base}/health`, asInsider)).json()) as { components: Record<string, { status: string; detail?: string }> };
  t.equal(health.components.tts.status, 'degraded');
  t.notMatch(JSON.stringify(health), SECRET, '/health does not carry stderr');
  const healthId = /error id ([0-9a-f]+)/.exec(health.components.tts.detail ?? '')?.[1];
  t.ok(healthId, `/health names an error id: ${health.components.tts.detail}`);
  t.match(captured.withErrorId(healthId!), { engine: 'espeak-ng', stderr: new RegExp(SECRET) }, 'the log has stderr under it');

  const call = new TestClient(`ws://127.0.0.1:${port}${config.voice.path}`, app.gateway.voiceToken);
  t.teardown(() => call.ws.close());
  await call.start();
  const failed = await call.waitForEvent('error', 20_000);
  t.match(failed, { code: 'reply_failed', message: /espeak-ng exited with 1 \(error id [0-9a-f]+\)/ });
  t.notMatch(JSON.stringify(call.received.events), SECRET, 'the caller is not told either');

  await app.controlPlane.repos.users.create({ username: 'ops', role: 'admin', password_hash: await hashPassword('a long enough password', { ln: 12, r: 8, p: 1 }) });
  const login = await fetch(`${base}/admin/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ops', password: 'a long enough password' }) });
  const token = ((await login.json()) as { access_token: string }).access_token;
  const res = await fetch(`${base}/admin/tts/test`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Hello.' }) });
  const text = await res.text();
  t.equal(res.status, 502);
  t.notMatch(text, SECRET);
  t.ok(captured.withErrorId(JSON.parse(text).error.details.error_id), 'the admin answer names an id the log has');
});
