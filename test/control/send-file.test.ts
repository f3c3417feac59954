/**
 * A file download through the response port (control/http/send-file.ts), against a hand-made
 * ResponseStream: the file goes out whole and in order, a write is not started before the one
 * before it was taken, a file truncated after it was measured cuts the answer instead of finishing
 * it, a client that left stops the reading, and the file is closed every time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { ResponseStream } from '../../control/http/http-port.ts';
import { sendFile } from '../../control/http/send-file.ts';

/** Records what happens to it; `takeAfter`: writes from this one on report that the client left. */
function recordingStream(opts: { takeAfter?: number } = {}) {
  const log = { chunks: [] as Buffer[], finished: false, aborted: false, overlapping: false };
  let pending = false;
  const out: ResponseStream = {
    closed: false,
    async write(chunk) {
      if (pending) log.overlapping = true;
      pending = true;
      await new Promise((r) => setImmediate(r)); // the socket takes its time
      pending = false;
      if (opts.takeAfter !== undefined && log.chunks.length >= opts.takeAfter) return false;
      log.chunks.push(Buffer.from(chunk));
      return true;
    },
    finish: () => void (log.finished = true),
    abort: () => void (log.aborted = true),
  };
  return { out, log };
}

const dir = mkdtempSync(path.join(tmpdir(), 'vg-send-file-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'data.bin');
const content = Buffer.from(Array.from({ length: 300 * 1024 }, (_, i) => i % 253));
writeFileSync(file, content);

t.test('the first `size` bytes, in order, one write at a time; then finished and the file closed', async (t) => {
  const { out, log } = recordingStream();
  const fh = await open(file, 'r');
  await sendFile(out, fh, 200 * 1024);
  t.same(Buffer.concat(log.chunks), content.subarray(0, 200 * 1024));
  t.ok(log.chunks.length > 1, 'in chunks, not read whole');
  t.notOk(log.overlapping, 'no write before the previous one was taken');
  t.ok(log.finished);
  t.notOk(log.aborted);
  t.equal(fh.fd, -1, 'closed');
});

t.test('a file shorter than measured: rejects, the answer is cut, not finished', async (t) => {
  const { out, log } = recordingStream();
  const fh = await open(file, 'r');
  await t.rejects(sendFile(out, fh, content.byteLength + 1000), /file ended after 307200 of 308200 bytes/);
  t.ok(log.aborted);
  t.notOk(log.finished);
  t.equal(fh.fd, -1, 'closed');
});

t.test('the client left: reading stops, nothing finished or cut, the file closed', async (t) => {
  const { out, log } = recordingStream({ takeAfter: 1 });
  const fh = await open(file, 'r');
  await sendFile(out, fh, content.byteLength);
  t.equal(log.chunks.length, 1);
  t.notOk(log.finished);
  t.notOk(log.aborted);
  t.equal(fh.fd, -1, 'closed');
});

t.test('an empty file: finished at once, the file closed', async (t) => {
  const { out, log } = recordingStream();
  const fh = await open(file, 'r');
  await sendFile(out, fh, 0);
  t.same(log.chunks, []);
  t.ok(log.finished);
  t.equal(fh.fd, -1, 'closed');
});
