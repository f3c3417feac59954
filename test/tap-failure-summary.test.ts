/**
 * The suite's reporter: TAP passes through unchanged, and the innermost failures are summarised at
 * the end (CI keeps only the tail of the log).
 */
import t from 'tap';
import TapFailureSummary from './helpers/tap-failure-summary.mjs';

async function report(tap: string, chunkSize = 7): Promise<string> {
  const stream = new TapFailureSummary();
  const out: Buffer[] = [];
  stream.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((resolve) => stream.on('end', resolve));
  for (let i = 0; i < tap.length; i += chunkSize) stream.write(tap.slice(i, i + chunkSize));
  stream.end();
  await ended;
  return Buffer.concat(out).toString('utf8');
}

const failing = [
  'TAP version 14',
  '# Subtest: test/a.test.ts',
  '    # Subtest: outer',
  '        ok 1 - fine',
  '        not ok 2 - one is two',
  '          ---',
  '          diff: |',
  '            -2',
  '            +1',
  '          ...',
  '        ',
  '        1..2',
  '    not ok 1 - outer # time=3ms',
  '    ',
  '    1..1',
  'not ok 1 - test/a.test.ts # time=10ms',
  '# Subtest: test/b.test.ts',
  '    ok 1 - fine # time=1ms',
  'ok 2 - test/b.test.ts # time=5ms',
  '# Subtest: test/c.test.ts',
  '    ok 1 - started',
  'not ok 3 - test/c.test.ts # time=300000ms',
  '  ---',
  '  signal: SIGTERM',
  '  ...',
  '1..3',
  '',
].join('\n');

t.test('failures summarised innermost first, with their diagnostics; the TAP itself unchanged', async (t) => {
  const out = await report(failing);
  t.ok(out.startsWith(failing), 'the TAP stream passes through byte for byte');
  const summary = out.slice(failing.length);
  t.equal(summary, [
    '',
    '# 2 failures in this run:',
    '#   test/a.test.ts > outer > one is two',
    '#       diff: |',
    '#         -2',
    '#         +1',
    '#   test/c.test.ts',
    '#       signal: SIGTERM',
    '',
  ].join('\n'));
  t.notMatch(summary, /test\/b\.test\.ts/, 'a passing file is not named');
});

t.test('a green run adds nothing', async (t) => {
  const green = 'TAP version 14\n# Subtest: test/b.test.ts\n    ok 1 - fine\nok 1 - test/b.test.ts # time=5ms\n1..1\n';
  t.equal(await report(green, 3), green);
});

t.test('a todo or skipped subtest fails nothing; a failing todo point is not a failure; names may repeat; unnamed points count', async (t) => {
  const tap = [
    'TAP version 14',
    '# Subtest: test/d.test.ts',
    '    # Subtest: later',
    '        not ok 1 - fails inside a todo',
    '        1..1',
    '    not ok 1 - later # TODO not built yet',
    '    not ok 2 - known gap # TODO',
    '    # Subtest: same',
    '        ok 1 - fine',
    '        1..1',
    '    ok 3 - same # time=1ms',
    '    not ok 4 - same',
    '      ---',
    '      found: 1',
    '      ...',
    '    not ok 5',
    '    1..5',
    'not ok 1 - test/d.test.ts # time=9ms',
    'Bail out! stopped',
    'Bail out! stopped',
    '',
  ].join('\n');
  const summary = (await report(tap)).slice(tap.length);
  t.equal(summary, [
    '',
    '# 3 failures in this run:',
    '#   test/d.test.ts > same',
    '#       found: 1',
    '#   test/d.test.ts > (unnamed)',
    '#   Bail out! stopped',
    '',
  ].join('\n'), 'an assertion named like a passing subtest beside it is still listed; one bail-out');
});
