/**
 * Temporary directories survive a kill -9 (nothing runs to remove them): the secretary's
 * pocketsphinx decoders leave three (grammar files, and one work dir per decoder). Each is named
 * for its process (runtime/owned-temp.ts), so the next start removes those whose owner is dead and
 * leaves alone those of processes still running. Both gateways share a TMPDIR of the test's own.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ownedTempDir } from '../../runtime/owned-temp.ts';
import { spawnGateway } from '../helpers/gateway-process.ts';
import { until } from '../helpers/until.ts';
import { TestClient } from '../helpers/ws-client.ts';

const TOKEN = 'stale-temp-sweep-token-0123456789';

/** Processes whose command line names `dir`: pocketsphinx is started with its work dir as -cepdir. */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

t.test('kill -9 mid-call leaves temp dirs; the next start removes them and keeps a live process\'s', { timeout: 240_000 }, async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'vg-sweep-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const env = { HOST: '127.0.0.1', PORT: '0', DATA_DIR: path.join(tmp, 'data'), TMPDIR: tmp, PIPELINE: 'secretary', VOICE_WS_TOKEN: TOKEN, LOG_LEVEL: 'info' };

  const first = spawnGateway(env);
  t.teardown(() => void (first.child.exitCode === null && first.child.kill('SIGKILL')));
  const port = await first.listening;
  const owned = (pid: number) => readdirSync(tmp).filter((n) => n.startsWith('vgtmp-') && n.includes(`-p${pid}-`));
  const left = await until('the first gateway\'s pocketsphinx work dirs', () => (owned(first.child.pid!).length >= 3 ? owned(first.child.pid!) : null), { timeoutMs: 60_000 });
  t.match(left.join(' '), /vgtmp-psx-grammar-/, 'the grammar dir is among them');

  // Mid-work: a call is streaming when the process is killed.
  const caller = new TestClient(`ws://127.0.0.1:${port}/ws/voice`, TOKEN);
  await caller.start('pcm16', 16000);
  for (let i = 0; i < 25; i++) caller.ws.send(Buffer.alloc(640, 3));
  first.child.kill('SIGKILL');
  await first.exited;
  await caller.closed;
  t.same(owned(first.child.pid!), left, 'kill -9: the directories are left behind');
  // Its decoder processes end with it (their stdin closes), so nothing uses the directories now.
  await until('the killed gateway\'s pocketsphinx processes gone', () => left.every((d) => processesUsing(path.join(tmp, d)).length === 0), { timeoutMs: 30_000 });

  const live = ownedTempDir('psx', tmp); // a running process's (this test's): never swept

  const second = spawnGateway(env);
  t.teardown(() => void (second.child.exitCode === null && second.child.kill('SIGKILL')));
  await second.listening;
  t.same(left.filter((d) => existsSync(path.join(tmp, d))), [], 'the dead gateway\'s directories are gone');
  t.ok(existsSync(live), 'the live process\'s directory is untouched');
  t.ok(owned(second.child.pid!).length >= 3, 'the new gateway has its own');
  t.match(second.stdout, /"msg":"removed temporary files of processes that no longer run"/, 'the sweep is logged');

  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0);
  t.same(owned(second.child.pid!), [], 'a clean stop removes its own');
});
