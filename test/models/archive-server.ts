// A stand-in for GitHub releases on 127.0.0.1: serves a real .tar.bz2 made with the system tar,
// honours Range like the CDN does, and can misbehave on demand (cut the connection, ignore Range,
// redirect) so the fetcher's recovery paths run against real sockets.
import { execFileSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ModelEntry } from '../../models/manifest.ts';
import { tempDir } from '../helpers/temp-dir.ts';

export interface FakeArchive { name: string; bytes: Buffer; sha256: string; files: string[] }

/** A small model archive: <name>/model.onnx (random, so bzip2 cannot shrink it) and <name>/tokens.txt. */
export function makeArchive(name = 'fake-model', modelBytes = 256 * 1024): FakeArchive {
  const work = tempDir('fake-archive-');
  mkdirSync(join(work, name));
  writeFileSync(join(work, name, 'model.onnx'), randomBytes(modelBytes));
  writeFileSync(join(work, name, 'tokens.txt'), '<blk> 0\na 1\nb 2\n');
  execFileSync('tar', ['cjf', join(work, `${name}.tar.bz2`), '-C', work, name]);
  const bytes = readFileSync(join(work, `${name}.tar.bz2`));
  return { name, bytes, sha256: createHash('sha256').update(bytes).digest('hex'), files: ['model.onnx', 'tokens.txt'] };
}

export interface ServerControl {
  url: (path: string) => string;
  /** Range header of every request for the file, in order ('' when none). */
  ranges: string[];
  /** The next `count` file requests send only `bytes` bytes of their body, then drop the socket. */
  cutNext: (count: number, bytes: number) => void;
  /**
   * The next file request sends `bytes` bytes of its body, then waits until the returned function
   * is called to send the rest: a download caught in the middle, for as long as a test needs.
   */
  holdNext: (bytes: number) => () => void;
  ignoreRange: boolean;
  close: () => Promise<void>;
}

export async function serveArchive(files: Record<string, Buffer>): Promise<ServerControl> {
  let cuts = 0;
  let cutAfter = 0;
  let hold: { bytes: number; released: Promise<void> } | null = null;
  const ctl = {
    ranges: [] as string[],
    ignoreRange: false,
  };
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.startsWith('/redirect/')) {
      // GitHub answers release URLs with 302 to another host; a relative Location exercises URL resolution too.
      res.writeHead(302, { location: '/files/' + path.slice('/redirect/'.length) });
      return res.end();
    }
    const body = files[path.replace(/^\/files\//, '')];
    if (!path.startsWith('/files/') || !body) { res.writeHead(404); return res.end('not found'); }
    const range = req.headers.range ?? '';
    ctl.ranges.push(range);
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(range);
    if (m && !ctl.ignoreRange) {
      start = Number(m[1]);
      if (start >= body.length) { res.writeHead(416, { 'content-range': `bytes */${body.length}` }); return res.end(); }
      res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
    } else {
      res.writeHead(200, { 'content-length': body.length });
    }
    if (hold && start + hold.bytes < body.length) {
      const { bytes, released } = hold;
      hold = null;
      res.write(body.subarray(start, start + bytes));
      void released.then(() => res.end(body.subarray(start + bytes)));
      return;
    }
    if (cuts > 0 && start + cutAfter < body.length) {
      cuts--;
      // The reset comes after the client has read the bytes (a reset makes its kernel drop unread data;
      // 20 ms was too short on a busy machine and the client saw fewer bytes than the test expects).
      res.write(body.subarray(start, start + cutAfter), () => setTimeout(() => res.socket?.destroy(), 150));
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(ctl, {
    url: (p: string) => `http://127.0.0.1:${port}${p}`,
    cutNext: (count: number, bytes: number) => { cuts = count; cutAfter = bytes; },
    holdNext: (bytes: number) => {
      let release!: () => void;
      hold = { bytes, released: new Promise<void>((r) => (release = r)) };
      return release;
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  });
}

/** A port nothing listens on: bind one, then close it. */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export function entryFor(a: FakeArchive, url: string, pin: { sha256?: string | null; sizeBytes?: number | null } = {}): ModelEntry {
  return {
    name: a.name, kind: 'stt-offline', languages: ['en'], description: 'test archive',
    engine: { type: 'sense-voice', files: { model: 'model.onnx', tokens: 'tokens.txt' } },
    url, sizeBytes: pin.sizeBytes === undefined ? a.bytes.length : pin.sizeBytes,
    sha256: pin.sha256 === undefined ? a.sha256 : pin.sha256, licence: 'test', verified: pin.sha256 !== null, note: 'test',
  };
}
