/**
 * The backup archive thread: what it zips unzips to the same bytes with their sha256, the caller's
 * buffers are not disturbed unless they were handed over whole, and archives it must not open (a
 * zip bomb over the limit, garbage) are refused with a reason, the thread surviving for the next job.
 */
import { createHash, randomBytes } from 'node:crypto';
import { strToU8, zipSync } from 'fflate';
import t from 'tap';
import { Archiver } from '../../control/backup/archiver.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

t.test('zip then unzip gives the same entries and their sha256', async (t) => {
  const archiver = new Archiver();
  t.teardown(() => archiver.close());
  const noise = new Uint8Array(randomBytes(2_000_000));
  const text = strToU8('{"rows": []}');
  const expected = { 'recordings/1.wav': sha256(noise), 'tables/faq.json': sha256(text) };
  const zip = await archiver.zip([
    { name: 'recordings/1.wav', data: noise, level: 1 },
    { name: 'tables/faq.json', data: text, level: 6 },
  ]);
  t.equal(noise.byteLength, 0, 'a buffer the entry owned whole was moved, not copied');
  const kept = new Uint8Array(zip);
  const entries = await archiver.unzip(zip, 10_000_000);
  t.same(Object.fromEntries([...entries].map(([name, e]) => [name, e.sha256])), expected);
  t.same(Object.fromEntries([...entries].map(([name, e]) => [name, sha256(e.data)])), expected, 'the bytes hash as reported');
  t.ok(kept.byteLength > 2_000_000, 'a copy made before survives');
});

t.test('a view into a larger buffer is copied, never moved away from its owner', async (t) => {
  const archiver = new Archiver();
  t.teardown(() => archiver.close());
  const big = Buffer.from(randomBytes(4096));
  const view = big.subarray(100, 200);
  const zip = await archiver.zip([{ name: 'a', data: view, level: 6 }]);
  t.equal(big.byteLength, 4096, 'the owner keeps its memory');
  t.same([...(await archiver.unzip(zip, 1000)).get('a')!.data], [...big.subarray(100, 200)]);
});

t.test('over the unpacked limit, or not a zip: refused with the reason; the thread goes on', async (t) => {
  const archiver = new Archiver();
  t.teardown(() => archiver.close());
  const bomb = zipSync({ zeros: [new Uint8Array(5_000_000), { level: 9 }] });
  t.ok(bomb.byteLength < 20_000, 'small on the wire');
  await t.rejects(archiver.unzip(bomb, 1_000_000), /^invalid archive: unpacks to more than 1000000 bytes/);
  await t.rejects(archiver.unzip(strToU8('not a zip at all, just text'), 1_000_000), /^invalid archive: invalid zip data/, 'marked as the archive\'s fault');
  const ok = await archiver.unzip(zipSync({ x: strToU8('fine') }), 1000);
  t.equal(Buffer.from(ok.get('x')!.data).toString(), 'fine');
});
