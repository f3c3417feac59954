/**
 * Runs one CLI as the real process that `npm run <name>` starts and checks the conventions of
 * runtime/cli-args.ts: `--help` prints the usage on stdout and exits 0; an unknown flag, a missing
 * value and a bad value print one line naming the problem, then the usage, on stderr and exit 2;
 * never a stack trace.
 */
import { execFile } from 'node:child_process';
import type { Test } from 'tap';

export interface CliUnderTest {
  name: string;
  script: string;
  /** A string flag left without its value. */
  missingValue: string[];
  /** A value the CLI must refuse: a bad number where it takes one, else a bad choice. */
  badValue: string[];
  badMessage: RegExp;
}

function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { timeout: 60_000, env: { ...process.env, DATA_DIR: '/nonexistent-data-dir' } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

const STACK = /^\s+at .+[:(]/m;

export async function checkCliUsage(t: Test, cli: CliUnderTest): Promise<void> {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown flag', ['--no-such-flag'], /Unknown option '--no-such-flag'/],
    ['missing value', cli.missingValue, /argument missing/],
    ['bad value', cli.badValue, cli.badMessage],
  ];
  // The four runs at once: each is a Node start with tsx, seconds apiece on a loaded machine.
  const [help, ...refused] = await Promise.all([run(cli.script, ['--help']), ...cases.map(([, args]) => run(cli.script, args))]);
  t.equal(help.code, 0, `--help exits 0 (${help.stderr})`);
  t.match(help.stdout, /^usage: /, 'usage on stdout');
  t.equal(help.stderr, '', 'nothing on stderr');

  for (const [i, [what, , message]] of cases.entries()) {
    const r = refused[i];
    t.equal(r.code, 2, `${what}: exit 2`);
    t.match(r.stderr, new RegExp(`^${cli.name}: `), `${what}: the problem first, named by the CLI`);
    t.match(r.stderr.split('\n')[0], message, `${what}: says what is wrong`);
    t.match(r.stderr, /\nusage: /, `${what}: then the usage`);
    t.notMatch(r.stderr + r.stdout, STACK, `${what}: no stack trace`);
    t.equal(r.stdout, '', `${what}: nothing on stdout`);
  }
}
