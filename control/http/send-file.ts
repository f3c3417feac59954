/**
 * The first `size` bytes of an open file as the body of `out` (a stream that declared `size`),
 * read only as fast as the client takes them: each chunk waits until the socket took the one
 * before, so a slow client holds the file, not memory. Closes the file whatever happens. Resolves
 * once sent or the client left; a file shorter than `size` (truncated after it was measured) cuts
 * the connection and rejects, since a short body must not pass for the file.
 */
import type { FileHandle } from 'node:fs/promises';
import type { ResponseStream } from './http-port.ts';

const CHUNK_BYTES = 64 * 1024;

export async function sendFile(out: ResponseStream, fh: FileHandle, size: number): Promise<void> {
  if (out.closed || size === 0) {
    out.finish();
    return fh.close();
  }
  const chunks = fh.createReadStream({ start: 0, end: size - 1, highWaterMark: CHUNK_BYTES });
  let received = 0;
  try {
    for await (const chunk of chunks as AsyncIterable<Buffer>) {
      received += chunk.byteLength;
      if (!(await out.write(chunk))) return;
    }
    if (received < size) throw new Error(`file ended after ${received} of ${size} bytes`);
    out.finish();
  } catch (err) {
    out.abort();
    throw err;
  } finally {
    chunks.destroy();
    await fh.close();
  }
}
