/** Starts a real gateway on 127.0.0.1 with an ephemeral port and a temp data dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../gateway/config.ts';
import { createLogger } from '../../gateway/logger.ts';
import { createGateway, type Gateway, type GatewayDeps } from '../../gateway/server.ts';

export interface TestGateway {
  gateway: Gateway;
  port: number;
  url: string;
  http: string;
  token: string;
  stop(): Promise<void>;
}

export async function startTestGateway(env: Record<string, string> = {}, deps: Partial<GatewayDeps> = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-test-'));
  // UI_BUILD off: these tests are about the gateway, not the admin UI (its tests let the gateway build it).
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '1000', UI_BUILD: 'off', ...env });
  const log = createLogger('silent');
  const gateway = createGateway(config, { log, ...deps });
  const port = await gateway.listen();
  return {
    gateway,
    port,
    url: `ws://127.0.0.1:${port}${config.voice.path}`,
    http: `http://127.0.0.1:${port}`,
    token: gateway.voiceToken,
    async stop() {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
