/** The AT byte stream -> lines and the `> ` prompt: fragments, noise, and prompts next to URCs. Pure. */
import t from 'tap';
import { AtLineParser, type AtToken } from '../../../gateway/modem/at/line-parser.ts';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const lines = (tokens: AtToken[]) => tokens.map((x) => (x.kind === 'line' ? x.text : '<prompt>'));

t.test('a response split at every byte reassembles into the same lines', async (t) => {
  const p = new AtLineParser();
  const out: AtToken[] = [];
  for (const b of bytes('\r\n+CSQ: 23,99\r\n\r\nOK\r\n')) out.push(...p.feed(Uint8Array.of(b)));
  t.same(lines(out), ['+CSQ: 23,99', 'OK']);
});

t.test('binary noise glued to a line is dropped, the line survives; an endless line is cut', async (t) => {
  const p = new AtLineParser();
  t.same(lines(p.feed(bytes('\xff\x00\x13OK\r\n'))), ['OK']);
  t.equal(p.droppedBytes, 3);
  t.same(lines(p.feed(bytes('x'.repeat(9000)))), [], 'no line from 9000 bytes without an end');
  t.same(lines(p.feed(bytes('\r\nRING\r\n'))), ['RING'], 'the next real line is clean');
});

t.test('the prompt is only recognised when one is expected', async (t) => {
  const p = new AtLineParser();
  t.same(lines(p.feed(bytes('\r\n> '))), [], 'not expected: left pending');
  p.reset();
  p.expectPrompt = true;
  t.same(lines(p.feed(bytes('AT+CMGS=20\r\r\n> '))), ['AT+CMGS=20', '<prompt>'], 'echo then prompt');
  t.equal(p.expectPrompt, false, 'one prompt per command');
  t.same(lines(p.feed(bytes('\r\n> quoted text\r\n'))), ['> quoted text'], 'a line that starts with "> " is a line');
});

t.test('a URC right behind the prompt does not hide it', async (t) => {
  const p = new AtLineParser();
  p.expectPrompt = true;
  t.same(lines(p.feed(bytes('\r\n> \r\nSMS DONE\r\n'))), ['<prompt>', 'SMS DONE']);
  p.expectPrompt = true;
  t.same(lines(p.feed(bytes('\r\n>'))), ['<prompt>'], 'the prompt without its space, at the end of a read');
});
