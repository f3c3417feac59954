/**
 * A start that fails on what the operator configured says so in one line on stderr and exits 2
 * (README "Exit codes"): a DATABASE_URL that does not parse, names an unknown host or carries a
 * wrong password; a DATA_DIR that is read-only or shared by everyone. One that may come right by
 * itself exits 1, also with one line: a database where nothing listens yet, a DATA_DIR another
 * gateway is using.
 * No stack trace anywhere (knex used to print "Acquire connection error" with a stack on stdout),
 * never the database password, and no setup token: that is printed only once the gateway listens.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { deadPort } from '../helpers/dead-port.ts';
import { spawnGateway } from '../helpers/gateway-process.ts';

const SECRET = 'sw0rdfish-not-to-be-printed';
const STACK = /^\s+at .+[:(]/m;

interface Case {
  what: string;
  env: Record<string, string>;
  /** The one line on stderr, after "voice-gateway: ". */
  line: RegExp;
  /** 2 (configuration) unless said: 1 for what may come right by itself (a database not up yet). */
  exit?: number;
}

async function expectConfigFailure(t: Test, dataDir: string, c: Case): Promise<void> {
  const gw = spawnGateway({ HOST: '127.0.0.1', PORT: '0', PIPELINE: 'echo', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...c.env });
  t.teardown(() => void (gw.child.exitCode === null && gw.child.kill('SIGKILL')));
  const code = await Promise.race([gw.exited, gw.listening.then(() => 'started')]);
  t.equal(code, c.exit ?? 2, `${c.what}: exit ${c.exit ?? 2}`);
  const lines = gw.stderr.split('\n').filter(Boolean);
  t.equal(lines.length, 1, `${c.what}: one line on stderr (${gw.stderr})`);
  t.match(lines[0], /^voice-gateway: /);
  t.match(lines[0], c.line, `${c.what}: says what is wrong`);
  t.notMatch(gw.stdout + gw.stderr, STACK, `${c.what}: no stack trace`);
  t.notMatch(gw.stdout, /"stack"/, `${c.what}: none in the log either`);
  t.notMatch(gw.stdout, /Acquire connection error/, `${c.what}: knex's own output does not reach stdout`);
  t.notMatch(gw.stdout + gw.stderr, new RegExp(SECRET), `${c.what}: the password is never printed`);
  t.notMatch(gw.stdout, /No admin user exists/, `${c.what}: no setup token from a start that failed`);
  for (const line of gw.stdout.split('\n').filter(Boolean)) JSON.parse(line); // stdout stays JSON lines
}

t.test('a bad DATABASE_URL is a configuration error (exit 2), an unreachable one a temporary failure (exit 1): one clear line', { timeout: 240_000 }, async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'vg-startup-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const cases: Case[] = [
    { what: 'unparseable', env: { DATABASE_URL: `postgres://user:${SECRET}@@:::/db` }, line: /DATABASE_URL is not a valid URL/ },
    { what: 'wrong scheme', env: { DATABASE_URL: `mysql://user:${SECRET}@127.0.0.1/db` }, line: /DATABASE_URL must be a postgres:\/\/ \(or postgresql:\/\/\) URL/ },
    { what: 'nothing listening', env: { DATABASE_URL: `postgres://user:${SECRET}@127.0.0.1:${await deadPort()}/db` }, line: /cannot use the database at postgres:\/\/user@127\.0\.0\.1:\d+\/db: nothing is listening at 127\.0\.0\.1:\d+ \(connection refused\)/, exit: 1 },
    { what: 'unknown host', env: { DATABASE_URL: `postgres://user:${SECRET}@no-such-host.invalid/db` }, line: /the host of no-such-host\.invalid is not known/ },
  ];
  const real = process.env.TEST_DATABASE_URL;
  if (real) {
    const wrong = new URL(real);
    wrong.password = SECRET;
    cases.push({ what: 'wrong password', env: { DATABASE_URL: wrong.href }, line: new RegExp(`password authentication failed for user "${wrong.username}"`) });
  } else t.comment('TEST_DATABASE_URL unset: the wrong-password case needs a real Postgres and is skipped');
  // Side by side: each is a process start, seconds apiece on a loaded machine.
  await Promise.all(cases.map((c, i) => expectConfigFailure(t, path.join(root, String(i)), c)));
});

/** A directory this process cannot write: mode 0500 for a normal user; root writes through modes, so a read-only mount. */
function makeReadOnly(dir: string): (() => void) | string {
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o500);
    return () => chmodSync(dir, 0o700);
  }
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return () => execFileSync('umount', [dir]);
  } catch (err) {
    return `cannot mount a read-only tmpfs here (${(err as Error).message.split('\n')[0]})`;
  }
}

t.test('an unusable DATA_DIR is a configuration error that says why', { timeout: 180_000 }, async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'vg-startup-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const shared = path.join(root, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  const readOnly = path.join(root, 'read-only');
  mkdirSync(readOnly, { mode: 0o700 });
  const undo = makeReadOnly(readOnly);
  const checks = [expectConfigFailure(t, shared, { what: 'world-writable', env: {}, line: /is a shared world-writable directory; give the gateway a directory of its own/ })];
  if (typeof undo === 'string') t.comment(`read-only cases skipped: ${undo}`);
  else {
    t.teardown(undo);
    checks.push(
      expectConfigFailure(t, readOnly, { what: 'read-only', env: {}, line: new RegExp(`DATA_DIR ${readOnly} is read-only`) }),
      expectConfigFailure(t, path.join(readOnly, 'data'), { what: 'under a read-only one', env: {}, line: /DATA_DIR .*\/data is read-only/ }),
    );
  }
  await Promise.all(checks);
});

t.test('a second gateway on the same DATA_DIR exits 1 with one line naming the one that holds it', { timeout: 180_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-startup-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const first = spawnGateway({ HOST: '127.0.0.1', PORT: '0', PIPELINE: 'echo', DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  t.teardown(() => void (first.child.exitCode === null && first.child.kill('SIGKILL')));
  await first.listening;
  await expectConfigFailure(t, dataDir, { what: 'DATA_DIR in use', env: {}, line: new RegExp(`the journal in .* is in use by process ${first.child.pid} \\(one gateway per data directory\\)`), exit: 1 });
});
