/**
 * `npm start` as a real process: `node --import tsx gateway/main.ts` with the given environment,
 * its stdout and stderr collected. `listening` resolves with the port once it logs "gateway
 * listening" (start it with PORT=0 for an ephemeral one) and rejects if it exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface GatewayProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout so far. */
  readonly stdout: string;
  readonly stderr: string;
  listening: Promise<number>;
  /** Its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export function spawnGateway(env: Record<string, string>): GatewayProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.includes('"msg":"gateway listening"'));
      if (line) resolve(JSON.parse(line).port as number);
    });
    void exited.then((code) => reject(new Error(`the gateway exited (${code}) before listening: ${stderr}${stdout.slice(-2000)}`)));
  });
  listening.catch(() => {}); // a test that expects a failed start never awaits it
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    listening,
    exited,
  };
}
