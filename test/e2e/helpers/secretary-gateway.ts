/**
 * The gateway as `npm start` assembles it (control plane on a SQLite file, secretary pipeline with
 * Silero VAD, pocketsphinx and espeak-ng), on 127.0.0.1 with an ephemeral port and a temp data dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ControlPlane } from '../../../control/control-plane.ts';
import { assembleGateway } from '../../../gateway/assemble.ts';
import { loadConfig } from '../../../gateway/config.ts';
import { createLogger } from '../../../gateway/logger.ts';
import type { GatewayPipelines } from '../../../gateway/pipeline-factory.ts';
import type { Gateway } from '../../../gateway/server.ts';
import type { DialogueSettings } from '../../../pipeline/conversation/dialogue-settings.ts';

export interface SecretaryGateway {
  gateway: Gateway;
  controlPlane: ControlPlane;
  pipelines: GatewayPipelines;
  url: string;
  token: string;
  stop(): Promise<void>;
}

/**
 * `env`: gateway settings; `controlEnv`: what the control plane and modem read (DATABASE_URL, ...);
 * `dialogue`: the dialogue settings calls get (silence, call length), over the defaults.
 */
export async function startSecretaryGateway(env: Record<string, string> = {}, controlEnv: Record<string, string> = {}, dialogue: Partial<DialogueSettings> = {}): Promise<SecretaryGateway> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-e2e-'));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '1000', PIPELINE: 'secretary', ...env });
  Object.assign(config.secretary.dialogue, dialogue);
  const log = createLogger(env.LOG_LEVEL === undefined ? 'silent' : config.logLevel);
  const app = await assembleGateway(config, { log, env: controlEnv });
  const port = await app.listen();
  const { gateway, controlPlane, pipelines } = app;
  return {
    gateway,
    controlPlane,
    pipelines,
    url: `ws://127.0.0.1:${port}${config.voice.path}`,
    token: gateway.voiceToken,
    async stop() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
