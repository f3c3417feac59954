/**
 * `npm start` as a real process (gateway/main.ts) on 127.0.0.1 with an ephemeral port: resolves
 * once it logs that it listens, with the port it bound. Output is collected for assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { until } from '../../helpers/until.ts';

export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnGateway(env: Record<string, string>, timeoutMs = 90_000): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  const port = await until(
    'the gateway listening',
    () => {
      if (gone) throw new Error(`the gateway exited before listening: ${out}`);
      const at = out.indexOf('"msg":"gateway listening"');
      const m = at >= 0 && /"port":(\d+)/.exec(out.slice(Math.max(0, at - 300), at + 300));
      return m ? Number(m[1]) : null;
    },
    { timeoutMs, everyMs: 50 },
  );
  return { child, port, output: () => out, exited };
}
