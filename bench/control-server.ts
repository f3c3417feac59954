/**
 * The control-plane bench's server process: a control plane on SQLite in a temp dir with an API key
 * and a small FAQ, served by uWS on 127.0.0.1. Prints one JSON line `{ ready, port, key }`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../gateway/logger.ts';
import { uws, type UWS } from '../gateway/uws.ts';
import { createControlPlane } from '../control/index.ts';
import { attachControlPlane } from '../gateway/http/attach-control-plane.ts';
import { hashPassword } from '../control/auth/password.ts';

const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-control-bench-'));
const cp = await createControlPlane({
  dataDir,
  log: createLogger('warn'),
  env: { ...process.env, RATE_LIMIT_CHAT: 'off', RATE_LIMIT_TTS: 'off', PASSWORD_HASH_LN: '12' },
});
const FAQ = [
  ['What are your opening hours?', 'We are open from nine to five, Monday to Friday.'],
  ['Where is your office?', 'Our office is at 1 Main Street, second floor.'],
  ['How much does delivery cost?', 'Delivery is free for orders over 50 euros.'],
  ['Do you accept credit cards?', 'Yes, we accept all major credit cards.'],
  ['How can I reach a human?', 'Leave your number and a colleague will call you back today.'],
];
for (const [question, answer] of FAQ) await cp.repos.faq.create({ question, answer });
for (let i = 0; i < 200; i++) await cp.repos.faq.create({ question: `Question number ${i} about product line ${i % 17}`, answer: `Answer ${i}` });
const { key } = await cp.repos.apiKeys.create({ name: 'bench', created_by: null });
// An operator for the /admin/tts/stream measurement.
const benchPassword = 'bench password for the control plane';
await cp.repos.users.create({ username: 'bench', role: 'operator', password_hash: await hashPassword(benchPassword, { ln: 12, r: 8, p: 1 }) });

const app = uws.App();
attachControlPlane(app, cp);
let listenSocket: UWS.us_listen_socket | null = null;
const port = await new Promise<number>((resolve, reject) =>
  app.listen('127.0.0.1', Number(process.env.PORT ?? 0), (s) => {
    if (!s) return reject(new Error('listen failed'));
    listenSocket = s;
    resolve(uws.us_socket_local_port(s as unknown as UWS.us_socket));
  }),
);
const login = await fetch(`http://127.0.0.1:${port}/admin/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'bench', password: benchPassword }),
});
const { access_token: token } = (await login.json()) as { access_token: string };
process.stdout.write(JSON.stringify({ ready: 'control-bench-ready', port, key, token }) + '\n');

const stop = async () => {
  if (listenSocket) uws.us_listen_socket_close(listenSocket);
  await cp.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
