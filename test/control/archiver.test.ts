/**
 * The backup archive thread: what it packs unzips to the same bytes with their sha256, with the
 * manifest's entries and SHA256SUMS written from those hashes and a recording whose bytes differ
 * from its row marked; the caller's buffers are not disturbed unless they were handed over whole;
 * archives it must not open (a zip bomb over the limit, garbage) are refused with a reason, the
 * thread surviving for the next job.
 */
import { createHash, randomBytes } from 'node:crypto';
import { strFromU8, strToU8, zipSync } from 'fflate';
import t from 'tap';
import { Archiver, InvalidArchiveError } from '../../control/backup/archiver.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const manifest = () => ({ format: 'test', entries: {}, recordings: { '1': { entry: 'recordings/1.wav' }, '2': { entry: 'recordings/2.wav' } } });

t.test('pack then unzip gives the same entries and their sha256; the manifest is written from them', async (t) => {
  const archiver = new Archiver();
  t.teardown(() => archiver.close());
  const noise = new Uint8Array(randomBytes(2_000_000));
  const other = new Uint8Array(randomBytes(1000));
  const text = strToU8('{"rows": []}');
  const expected = { 'recordings/1.wav': sha256(noise), 'recordings/2.wav': sha256(other), 'tables/faq.json': sha256(text) };
  const packed = await archiver.pack({
    manifest: manifest(),
    entries: [
      { name: 'recordings/1.wav', data: noise, level: 1 },
      { name: 'recordings/2.wav', data: other, level: 1 },
      { name: 'tables/faq.json', data: text, level: 6 },
    ],
    rowSha256: { 'recordings/1.wav': expected['recordings/1.wav'], 'recordings/2.wav': 'f'.repeat(64) },
  });
  t.equal(noise.byteLength, 0, 'a buffer the entry owned whole was moved, not copied');
  t.equal(packed.sha256, sha256(packed.zip), 'the zip\'s own sha256');
  t.same(packed.manifest.recordings, { '1': { entry: 'recordings/1.wav' }, '2': { entry: 'recordings/2.wav', differs_from_row: true } }, 'only the recording whose bytes differ from its row is marked');
  t.same(Object.fromEntries(Object.entries(packed.manifest.entries).map(([n, e]) => [n, e.sha256])), expected);
  const kept = new Uint8Array(packed.zip);
  const { entries, sha256: zipSha } = await archiver.unzip(packed.zip, 10_000_000);
  t.equal(zipSha, packed.sha256);
  const files = Object.fromEntries([...entries].filter(([n]) => n in expected).map(([name, e]) => [name, e.sha256]));
  t.same(files, expected);
  t.same(Object.fromEntries([...entries].filter(([n]) => n in expected).map(([name, e]) => [name, sha256(e.data)])), expected, 'the bytes hash as reported');
  t.same(JSON.parse(strFromU8(entries.get('manifest.json')!.data)), packed.manifest, 'manifest.json is the manifest returned');
  t.equal(strFromU8(entries.get('SHA256SUMS')!.data).trim().split('\n').length, 3);
  t.ok(kept.byteLength > 2_000_000, 'a copy made before survives');
});

t.test('a view into a larger buffer is copied, never moved away from its owner', async (t) => {
  const archiver = new Archiver();
  t.teardown(() => archiver.close());
  const big = Buffer.from(randomBytes(4096));
  const view = big.subarray(100, 200);
  const { zip } = await archiver.pack({ manifest: { entries: {} }, entries: [{ name: 'a', data: view, level: 6 }], rowSha256: {} });
  t.equal(big.byteLength, 4096, 'the owner keeps its memory');
  t.same([...(await archiver.unzip(zip, 10_000)).entries.get('a')!.data], [...big.subarray(100, 200)]);
});

t.test('over the unpacked limit, or not a zip: refused with the reason; the thread goes on', async (t) => {
  const archiver = new Archiver();
  t.teardown(() => archiver.close());
  const bomb = zipSync({ zeros: [new Uint8Array(5_000_000), { level: 9 }] });
  t.ok(bomb.byteLength < 20_000, 'small on the wire');
  await t.rejects(archiver.unzip(bomb, 1_000_000), new InvalidArchiveError('unpacks to more than 1000000 bytes'));
  await t.rejects(archiver.unzip(strToU8('not a zip at all, just text'), 1_000_000), new InvalidArchiveError('invalid zip data'), 'the archive\'s fault, as its own error class');
  const ok = await archiver.unzip(zipSync({ x: strToU8('fine') }), 1000);
  t.equal(Buffer.from(ok.entries.get('x')!.data).toString(), 'fine');
});
