/**
 * runtime/cli-args.ts, the parser every CLI shares: --help on stdout with exit 0; unknown flags,
 * missing values, stray arguments and bad numbers as one line plus the usage on stderr with exit 2;
 * a failure while running as one line with exit 1. Never a stack trace.
 */
import t from 'tap';
import { numberArg, numberListArg, runCommand, UsageError } from '../../runtime/cli-args.ts';

const SPEC = { name: 'demo', usage: 'usage: demo [--count N] [--name S]', options: { count: { type: 'string' }, name: { type: 'string' } } } as const;

async function run(argv: string[], body: Parameters<typeof runCommand<typeof SPEC.options>>[3] = () => 0) {
  const out = { stdout: '', stderr: '' };
  const code = await runCommand(SPEC, argv, { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } }, body);
  return { code, ...out };
}

t.test('--help and -h print the usage on stdout and exit 0 without running the command', async (t) => {
  let ran = false;
  for (const flag of ['--help', '-h']) {
    const r = await run([flag], () => void (ran = true));
    t.same(r, { code: 0, stdout: 'usage: demo [--count N] [--name S]\n', stderr: '' }, flag);
  }
  t.notOk(ran);
});

t.test('parse errors: one line naming the problem, then the usage, exit 2', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /^demo: Unknown option '--bogus'/],
    [['--count'], /^demo: Option '--count <value>' argument missing/],
    [['--count', '--name', 'x'], /^demo: Option '--count' argument is ambiguous/],
    [['stray'], /^demo: Unexpected argument 'stray'/],
  ];
  for (const [argv, message] of cases) {
    const r = await run(argv);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.stderr, message);
    t.equal(r.stderr.split('\n').length, 3, 'the problem on one line, the usage on the next');
    t.match(r.stderr, /\nusage: demo/);
    t.equal(r.stdout, '');
  }
});

t.test('numbers are plain decimals within their rule', async (t) => {
  t.equal(numberArg('12', 'count', { integer: true, min: 1 }), 12);
  t.equal(numberArg('0.5', 'seconds'), 0.5);
  t.equal(numberArg(undefined, 'count'), undefined);
  t.same(numberListArg('100, 200,300', 'clients', { integer: true }), [100, 200, 300]);
  for (const bad of ['abc', '', ' ', '0x10', '1e3', '1.5', '0', '10001']) {
    t.throws(() => numberArg(bad, 'count', { integer: true, min: 1, max: 10000 }), UsageError, `"${bad}" refused`);
  }
  t.throws(() => numberListArg('1,x', 'clients'), { message: '--clients must be a number, not "x"' });
  const r = await run(['--count', 'abc'], ({ values }) => void numberArg(values.count, 'count', { integer: true, min: 1, max: 9 }));
  t.equal(r.code, 2);
  t.match(r.stderr, /^demo: --count must be an integer from 1 to 9, not "abc"\nusage: demo/);
});

t.test('a failure while running is one line on stderr and exit 1; the body chooses other codes', async (t) => {
  const r = await run([], () => {
    throw new Error('the thing failed');
  });
  t.same(r, { code: 1, stdout: '', stderr: 'demo: the thing failed\n' });
  t.equal((await run([], () => 3)).code, 3);
  t.equal((await run([], () => undefined)).code, 0);
});
