/**
 * A PostgreSQL server of a test's own (initdb in a temp dir, its own port on 127.0.0.1), which
 * the test may stop and start again: the shared server other test files use must never go down.
 * Run as root (CI), initdb and pg_ctl run as the `postgres` user. Null when the PostgreSQL server
 * binaries are not installed (the caller skips, saying why).
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ThrowawayPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** Fast shutdown: every connection is cut, as when a database server goes down. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop and remove everything. */
  destroy(): Promise<void>;
}

export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  for (const version of readdirSync(root).sort().reverse()) {
    const bin = path.join(root, version, 'bin');
    if (existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres | null> {
  const bin = postgresBinDir();
  if (!bin) return null;
  const root = mkdtempSync(path.join(tmpdir(), 'vg-pg-'));
  const data = path.join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(root, ...(await postgresIds()));
  // As root, the server refuses to run: everything goes through `su postgres`.
  const sh = (cmd: string) => (asRoot ? run('su', ['postgres', '-s', '/bin/sh', '-c', cmd], { cwd: '/' }) : run('/bin/sh', ['-c', cmd]));
  const port = await freePort();
  await sh(`${quote(path.join(bin, 'initdb'))} -D ${quote(data)} -A trust -U postgres --no-sync -E UTF8 >/dev/null`);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const pgCtl = (args: string) => sh(`${quote(path.join(bin, 'pg_ctl'))} -D ${quote(data)} -l ${quote(path.join(root, 'log'))} -w ${args}`);
  const start = async () => void (await pgCtl(`-o ${quote(options)} start`));
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => void (await pgCtl('-m fast stop')),
    start,
    async destroy() {
      await pgCtl('-m immediate stop').catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: g } = await run('id', ['-g', 'postgres']);
  return [Number(stdout.trim()), Number(g.trim())];
}
