/**
 * A second gateway on a port already in use must not start. uWS listens with SO_REUSEPORT by
 * default, so it used to start anyway and the kernel split callers between the two processes
 * (different voice tokens, databases, calls). Now it listens exclusively and fails with one line
 * and exit code 4 (README "Exit codes"), printing no setup token.
 *
 * The first gateway takes a fixed port, not port 0: Linux never shares a port that bind(0) chose,
 * so only a fixed port shows the old behaviour (and a real deployment uses one).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadConfig } from '../../gateway/config.ts';
import { ListenError } from '../../gateway/listen.ts';
import { createLogger } from '../../gateway/logger.ts';
import { createGateway } from '../../gateway/server.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { deadPort } from '../helpers/dead-port.ts';
import { spawnGateway } from '../helpers/gateway-process.ts';

t.test('two real gateway processes on one port: the second exits 4 with one line, the first keeps serving', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vg-exclusive-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = (name: string, port: string) => ({ HOST: '127.0.0.1', PORT: port, DATA_DIR: path.join(dir, name), PIPELINE: 'echo', LOG_LEVEL: 'info' });
  const first = spawnGateway(env('first', String(await deadPort())));
  t.teardown(() => void (first.child.exitCode === null && first.child.kill('SIGKILL')));
  const port = await first.listening;

  const second = spawnGateway(env('second', String(port)));
  t.teardown(() => void (second.child.exitCode === null && second.child.kill('SIGKILL')));
  const outcome = await Promise.race([second.exited, second.listening.then(() => 'listening too')]);
  t.equal(outcome, 4, 'exit code 4: cannot listen');
  t.equal(second.stderr, `voice-gateway: cannot listen on 127.0.0.1:${port}: the port is already in use (another gateway, or another program)\n`);
  t.notMatch(second.stdout, /gateway listening/);
  t.notMatch(second.stdout, /No admin user exists/, 'a start that fails prints no setup token');
  t.match(first.stdout, /No admin user exists/, 'the one that listens does');

  const health = await fetch(`http://127.0.0.1:${port}/health`);
  t.equal(health.status, 200, 'the first gateway still answers');
  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0);
});

t.test('in one process: listen() on a taken port rejects with ListenError in_use, whoever holds it', async (t) => {
  const gw = await startTestGateway({ PORT: String(await deadPort()) });
  t.teardown(() => gw.stop());
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-exclusive-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = (port: number) => loadConfig({ HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'silent' });

  const second = createGateway(config(gw.port), { log: createLogger('silent') });
  t.teardown(() => second.close());
  const err = await second.listen().catch((e: unknown) => e);
  t.ok(err instanceof ListenError, String(err));
  t.equal((err as ListenError).reason, 'in_use');

  // Another program on the port: the same refusal.
  const other = net.createServer();
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  t.teardown(() => other.close());
  const third = createGateway(config((other.address() as net.AddressInfo).port), { log: createLogger('silent') });
  t.teardown(() => third.close());
  t.match(await third.listen().catch((e: unknown) => e), { name: 'ListenError', reason: 'in_use' });
});
