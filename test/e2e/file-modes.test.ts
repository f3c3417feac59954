/**
 * Files on disk are for the gateway's user only. The real gateway (gateway/assemble.ts, with the
 * SIM7600 emulator as its modem) in a fresh DATA_DIR takes a WebSocket call, records a modem call
 * and writes a backup; then every directory it wrote is 0700 and every file 0600, the SQLite
 * database with its -wal and -shm included, whatever the umask (here 022, as for any library user
 * or test: only main.ts sets 077). A DATA_DIR left readable by others is tightened at start.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { hashPassword } from '../../control/auth/password.ts';
import { assembleGateway } from '../../gateway/assemble.ts';
import { loadConfig } from '../../gateway/config.ts';
import { createLogger } from '../../gateway/logger.ts';
import { Sim7600Emulator } from '../../gateway/modem/emulator/sim7600-emulator.ts';
import { until } from '../helpers/until.ts';
import { TestClient } from '../helpers/ws-client.ts';

const CONTROL_ENV = { PASSWORD_HASH_LN: '12', RATE_LIMIT_AUTH: '10000/min', RATE_LIMIT_DEFAULT: '10000/min' };
const PASSWORD = 'a long enough password';

/** Every path under `root` (itself included) with its permission bits, symlinks as they are. */
function modes(root: string): Map<string, { dir: boolean; mode: number }> {
  const out = new Map<string, { dir: boolean; mode: number }>();
  const visit = (p: string) => {
    const st = statSync(p);
    out.set(path.relative(root, p) || '.', { dir: st.isDirectory(), mode: st.mode & 0o7777 });
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(path.join(p, name));
  };
  visit(root);
  return out;
}

t.test('every file and directory the running gateway wrote is private', { timeout: 180_000 }, async (t) => {
  const umask = process.umask(0o022);
  t.teardown(() => void process.umask(umask));
  const emu = new Sim7600Emulator({ ringIntervalMs: 100 });
  const { atPath, audioPath } = await emu.start();
  t.teardown(() => emu.stop());
  const parent = mkdtempSync(path.join(tmpdir(), 'vg-modes-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const dataDir = path.join(parent, 'data'); // made by the gateway
  const recordDir = path.join(dataDir, 'recordings');
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '1000', PIPELINE: 'echo' });
  const app = await assembleGateway(config, {
    log: createLogger('silent'),
    env: { ...CONTROL_ENV, MODEM_AT_PORT: atPath, MODEM_AUDIO_PORT: audioPath, MODEM_AUTO_ANSWER_RINGS: '1', MODEM_RECORD_DIR: recordDir },
  });
  t.teardown(() => app.close());
  const port = await app.listen();
  const base = `http://127.0.0.1:${port}`;
  await app.controlPlane.repos.users.create({ username: 'ops', role: 'admin', password_hash: await hashPassword(PASSWORD, { ln: 12, r: 8, p: 1 }) });
  const login = await fetch(`${base}/admin/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ops', password: PASSWORD }) });
  const token = ((await login.json()) as { access_token: string }).access_token;
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(base + p, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) as any };
  };

  // A WebSocket call: rows in calls and call_turns.
  const client = new TestClient(`ws://127.0.0.1:${port}/ws/voice`, app.gateway.voiceToken);
  await client.start('pcm16', 16000);
  for (let i = 0; i < 5; i++) client.ws.send(Buffer.alloc(640, 1));
  await client.waitFor((r) => r.frames.length > 0, 10_000, 'an echoed frame');
  client.sendJson({ type: 'hangup' });
  await client.closed;

  // A recorded modem call: two WAV files.
  await app.modem!.modem.whenReady(10_000);
  t.equal((await call('PUT', '/admin/config/calls.recording_enabled', { value: true })).status, 200);
  t.equal((await call('POST', '/admin/legal/consents', { subject: '+79161234567', purpose: 'call_recording', granted: true, source: 'call' })).status, 201);
  const calls = app.modem!.calls;
  emu.ring('+79161234567');
  await until('the modem call answered', () => calls.active !== null, { timeoutMs: 20_000 });
  emu.remoteHangup();
  await until('its recording registered', async () => (await app.controlPlane.repos.calls.recordings(calls.records[0]?.callId ?? '-')).length === 2, { timeoutMs: 20_000 });

  // A backup.
  const backup = await call('POST', '/admin/backups');
  t.equal(backup.status, 201, JSON.stringify(backup.body));

  const written = modes(dataDir);
  const names = [...written.keys()];
  for (const expected of ['secretary.db', 'secretary.db-wal', 'secretary.db-shm', 'secret.key', 'voice-token', `backups/${backup.body.name}`, 'recordings']) {
    t.ok(written.has(expected), `${expected} was written`);
  }
  t.equal(names.filter((n) => n.startsWith('recordings/') && n.endsWith('.wav')).length, 2, 'two recording files');
  const loose = [...written].filter(([, m]) => m.mode !== (m.dir ? 0o700 : 0o600)).map(([n, m]) => `${n} ${m.mode.toString(8)}`);
  t.same(loose, [], `every directory 0700, every file 0600 (${names.length} paths)`);
});

t.test('an existing DATA_DIR readable by others is tightened at start, with a warning', { timeout: 60_000 }, async (t) => {
  const parent = mkdtempSync(path.join(tmpdir(), 'vg-modes-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const dataDir = path.join(parent, 'data');
  mkdirSync(path.join(dataDir, 'backups'), { recursive: true });
  chmodSync(dataDir, 0o755);
  chmodSync(path.join(dataDir, 'backups'), 0o775);
  writeFileSync(path.join(dataDir, 'backups', 'backup-old.zip'), 'an old backup', { mode: 0o644 });
  chmodSync(path.join(dataDir, 'backups', 'backup-old.zip'), 0o644);
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', PIPELINE: 'echo' });
  const app = await assembleGateway(config, { log: createLogger('warn', sink), env: CONTROL_ENV });
  t.teardown(() => app.close());
  t.same(
    [...modes(dataDir)].filter(([n]) => ['.', 'backups', 'backups/backup-old.zip'].includes(n)).map(([n, m]) => [n, m.mode]),
    [['.', 0o700], ['backups', 0o700], ['backups/backup-old.zip', 0o600]],
  );
  const warning = lines.map((l) => JSON.parse(l)).find((l) => /readable by other users/.test(l.msg));
  t.ok(warning, 'a warning says so');
  t.equal(warning?.count, 3);
});
