/**
 * The gateway as `npm start` assembles it (control plane on a SQLite file, secretary pipeline with
 * Silero VAD, pocketsphinx and espeak-ng), on 127.0.0.1 with an ephemeral port and a temp data dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashPassword } from '../../../control/auth/password.ts';
import type { ControlPlane } from '../../../control/control-plane.ts';
import type { Role } from '../../../control/repositories/users.ts';
import { assembleGateway, type AssembledGateway, type AssembleOptions } from '../../../gateway/assemble.ts';
import { loadConfig } from '../../../gateway/config.ts';
import { createLogger } from '../../../gateway/logger.ts';
import type { GatewayPipelines } from '../../../gateway/pipeline-factory.ts';
import type { Gateway } from '../../../gateway/server.ts';
import type { DialogueSettings } from '../../../pipeline/conversation/dialogue-settings.ts';
import { jsonCall } from './admin-client.ts';

export interface SecretaryGateway {
  app: AssembledGateway;
  gateway: Gateway;
  controlPlane: ControlPlane;
  pipelines: GatewayPipelines;
  url: string;
  token: string;
  /** `http://127.0.0.1:<port>`: the admin and /v1 APIs. */
  base: string;
  /** A user made in the database and logged in over HTTP: their access token. */
  userToken(username: string, role: Role): Promise<string>;
  /** A JSON request to the admin or /v1 API. */
  call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any; text: string }>;
  stop(): Promise<void>;
}

/** Cheap password hashing and no rate limits: what the admin API tests need, not what they test. */
export const ADMIN_TEST_ENV = { PASSWORD_HASH_LN: '12', RATE_LIMIT_AUTH: '10000/min', RATE_LIMIT_CHAT: '10000/min', RATE_LIMIT_DEFAULT: '10000/min' };
const PASSWORD = 'a long enough password';

/**
 * `env`: gateway settings; `controlEnv`: what the control plane and modem read (DATABASE_URL, ...);
 * `dialogue`: the shipped personas' dialogue settings (silence, call length), over the defaults;
 * `wiring`: what the gateway takes as code, not settings (a test's model manifest).
 */
export async function startSecretaryGateway(
  env: Record<string, string> = {},
  controlEnv: Record<string, string> = {},
  dialogue: Partial<DialogueSettings> = {},
  wiring: Pick<AssembleOptions, 'models'> = {},
): Promise<SecretaryGateway> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-e2e-'));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '1000', PIPELINE: 'secretary', ...env });
  Object.assign(config.secretary.dialogue, dialogue);
  const log = createLogger(env.LOG_LEVEL === undefined ? 'silent' : config.logLevel);
  const app = await assembleGateway(config, { log, env: controlEnv, ...wiring });
  const port = await app.listen();
  const { gateway, controlPlane, pipelines } = app;
  const base = `http://127.0.0.1:${port}`;
  const call: SecretaryGateway['call'] = (method, p, token, body) => jsonCall(base + p, method, token, body);
  return {
    app,
    gateway,
    controlPlane,
    pipelines,
    url: `ws://127.0.0.1:${port}${config.voice.path}`,
    token: gateway.voiceToken,
    base,
    call,
    async userToken(username, role) {
      await controlPlane.repos.users.create({ username, role, password_hash: await hashPassword(PASSWORD, { ln: 12, r: 8, p: 1 }) });
      const res = await fetch(`${base}/admin/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    async stop() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
