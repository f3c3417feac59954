/**
 * The control plane's HTTP port on uWS (gateway/http/uws-http.ts), driven by a hand-made service on
 * a real socket: streamed answers wait out a client that does not read (sized and chunked), and
 * arrive whole once it does; a sized answer finished short is cut, not passed off as complete; a
 * client that leaves aborts the signal and releases a waiting write; the body limit holds while
 * reading, and an answer given before the body ended closes the connection.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import t, { type Test } from 'tap';
import { ClientAbortedError, type HttpRequest, type HttpResponse, type HttpService, type ResponseStream } from '../../control/http/http-port.ts';
import { serveHttp } from '../../gateway/http/uws-http.ts';
import { listenExclusive } from '../../gateway/listen.ts';
import { uws } from '../../gateway/uws.ts';
import { nextEvent, until } from '../helpers/until.ts';

const CHUNK = 64 * 1024;
/** Far more than loopback socket buffers hold, so a client that does not read must stall the writer. */
const TOTAL = 48 * 1024 * 1024;

/** Serve `handle` under /t on 127.0.0.1; returns the port. */
async function serve(t: Test, handle: HttpService['handle']): Promise<number> {
  const app = uws.App();
  serveHttp(app, { prefixes: ['/t'], handle });
  const { socket, port } = await listenExclusive(app, '127.0.0.1', 0);
  t.teardown(() => uws.us_listen_socket_close(socket));
  return port;
}

/** Writes TOTAL bytes (chunk i filled with i % 251) and counts the writes that had to wait for the socket. */
function writer() {
  const w = { written: 0, stalls: 0, waiting: false, finished: false, hash: createHash('sha256'), results: [] as boolean[] };
  const run = async (out: ResponseStream) => {
    for (let i = 0; w.written < TOTAL; i++) {
      const chunk = Buffer.alloc(Math.min(CHUNK, TOTAL - w.written), i % 251);
      let settled = false;
      const pending = out.write(chunk).then((ok) => ((settled = true), ok));
      await null; // a write the socket took at once has settled by now; one that waits has not
      if (!settled) w.stalls++;
      w.waiting = !settled;
      const ok = await pending;
      w.waiting = false;
      w.results.push(ok);
      if (!ok) return;
      w.hash.update(chunk);
      w.written += chunk.byteLength;
    }
    out.finish();
    w.finished = true;
  };
  return { w, run };
}

/** A GET whose response is not read until `read()`; then its body's size and hash. */
function slowGet(port: number) {
  const req = http.get({ host: '127.0.0.1', port, path: '/t/stream' });
  const response = nextEvent<http.IncomingMessage>(req, 'response', 20_000);
  return {
    response,
    async read() {
      const res = await response;
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.byteLength;
      }
      return { size, hash: hash.digest('hex'), complete: res.complete };
    },
  };
}

for (const mode of ['sized', 'chunked'] as const) {
  t.test(`${mode} stream: a client that does not read stalls the writer; then the whole body arrives intact`, async (t) => {
    const { w, run } = writer();
    const port = await serve(t, (_req, res) => void run(res.stream(200, [['Content-Type', 'application/octet-stream']], mode === 'sized' ? TOTAL : undefined)));
    const get = slowGet(port);
    const res = await get.response;
    t.equal(res.statusCode, 200);
    if (mode === 'sized') t.equal(res.headers['content-length'], String(TOTAL));
    else t.equal(res.headers['transfer-encoding'], 'chunked');
    await until('the writer waits for the socket', () => w.waiting, 30_000);
    t.ok(w.written < TOTAL, `held at ${w.written} of ${TOTAL} bytes while the client reads nothing`);
    const body = await get.read();
    t.equal(body.size, TOTAL);
    t.ok(body.complete);
    t.equal(body.hash, w.hash.digest('hex'), 'every byte, in order, across the partial writes');
    t.ok(w.finished);
    t.ok(w.stalls > 0);
  });
}

t.test('a sized stream finished short of its length cuts the connection', async (t) => {
  const port = await serve(t, (_req, res) => {
    const out = res.stream(200, [], 1000);
    void out.write(Buffer.alloc(500, 1)).then(() => out.finish());
  });
  // Cut at once, the client may not even see the head; either way it must not see a whole answer.
  let outcome = '';
  const req = http.get({ host: '127.0.0.1', port, path: '/t/short' });
  req.on('error', (err: NodeJS.ErrnoException) => (outcome ||= `failed: ${err.code}`));
  req.on('response', (res) => {
    let size = 0;
    res.on('data', (c: Buffer) => (size += c.byteLength));
    res.on('error', (err: NodeJS.ErrnoException) => (outcome ||= `failed after the head: ${err.code}`));
    res.on('end', () => (outcome ||= `ended with ${size} bytes, complete: ${res.complete}`));
  });
  await until('the request to end one way or another', () => outcome);
  t.match(outcome, /^failed/, outcome);
});

t.test('a client that leaves: the signal aborts with ClientAbortedError and a waiting write resolves false', async (t) => {
  const { w, run } = writer();
  let response: HttpResponse | undefined;
  const port = await serve(t, (_req, res) => {
    response = res;
    void run(res.stream(200, [], TOTAL));
  });
  const get = slowGet(port);
  await get.response;
  await until('the writer waits for the socket', () => w.waiting, 30_000);
  get.response.then((r) => r.destroy());
  await until('the abort reaches the response', () => response?.aborted);
  t.ok(response!.signal.aborted);
  t.ok(response!.signal.reason instanceof ClientAbortedError);
  await until('the waiting write is released', () => w.results.at(-1) === false);
  t.notOk(w.finished);
});

t.test('body limit while reading: a chunked body over it is refused at once; answering before its end closes the connection', async (t) => {
  const seen: string[] = [];
  const port = await serve(t, (req: HttpRequest, res: HttpResponse) => {
    seen.push(`${req.method} ${req.path}?${req.query} ${req.headers['x-test']}`);
    req.readBody(1000).then(
      (body) => res.send(200, [], `got ${body.byteLength}`),
      (err: { status: number; code: string }) => res.send(err.status, [['Content-Type', 'application/json']], JSON.stringify({ code: err.code })),
    );
  });

  const small = await fetch(`http://127.0.0.1:${port}/t/echo?x=1`, { method: 'POST', headers: { 'x-test': 'a' }, body: 'hello' });
  t.equal(await small.text(), 'got 5');
  t.same(seen, ['POST /t/echo?x=1 a']);

  // A body without Content-Length: the limit can only be enforced while reading it.
  const socket = net.connect(port, '127.0.0.1');
  await nextEvent(socket, 'connect');
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  const closed = nextEvent(socket, 'close', 20_000);
  socket.write('POST /t/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
  socket.write(`800\r\n${'a'.repeat(0x800)}\r\n`); // 2048 bytes: over the limit, and the body has not ended
  await until('the 413', () => answer.includes('\r\n\r\n'));
  t.match(answer, /^HTTP\/1\.1 413 /);
  t.match(answer, /payload_too_large/);
  await closed; // the rest of that body must not be read as the next request
  t.pass('the connection was closed after the answer');
});
