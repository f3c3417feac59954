/**
 * A control-plane WebSocket endpoint on uWS (gateway/http/uws-websocket.ts), driven by a hand-made
 * service on a real socket: the upgrade decision sees the headers, the peer's address and the
 * offered subprotocols, and answers with the chosen one or with its error in the error format; a
 * client that leaves during a slow decision aborts its signal and the late decision is dropped;
 * text and binary frames both ways; a failing decision is a 500 with an error id, a handler that
 * throws closes only its connection with 1011.
 */
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { HttpError } from '../../control/http/errors.ts';
import type { UpgradeDecision, UpgradeRequest, WebSocketPeer, WebSocketService } from '../../control/http/websocket-port.ts';
import { serveWebSocket } from '../../gateway/http/uws-websocket.ts';
import { listenExclusive } from '../../gateway/listen.ts';
import { uws } from '../../gateway/uws.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { rawUpgrade } from '../helpers/raw-upgrade.ts';
import { nextEvent, until } from '../helpers/until.ts';

interface State {
  name: string;
}

/** An echo endpoint whose upgrade decision the test supplies; `boom` as a message makes the handler throw. */
async function serve(t: Test, decide: (req: UpgradeRequest) => Promise<UpgradeDecision<State>>) {
  const events: string[] = [];
  const service: WebSocketService<State> = {
    path: '/ws/test',
    maxMessageBytes: 1024,
    idleTimeoutS: 60,
    maxBackpressureBytes: 1024 * 1024,
    upgrade: decide,
    open: (peer) => events.push(`open ${peer.state.name}`),
    message(peer: WebSocketPeer<State>, data, isBinary) {
      const text = Buffer.from(data).toString();
      if (text === 'boom') throw new Error('handler bug');
      peer.send(isBinary ? new Uint8Array(data.slice(0)).reverse() : `${peer.state.name}: ${text} (${peer.bufferedAmount} queued)`);
    },
    drain: () => {},
    close: (peer, code) => events.push(`close ${peer.state.name} ${code}`),
  };
  const captured = capturedLog();
  const app = uws.App();
  serveWebSocket(app, service, captured.log);
  const { socket, port } = await listenExclusive(app, '127.0.0.1', 0);
  t.teardown(() => uws.us_listen_socket_close(socket));
  return { port, events, lines: captured.lines };
}

t.test('the decision sees headers, address and offered protocols; the chosen protocol is answered; frames both ways', async (t) => {
  const seen: UpgradeRequest[] = [];
  const s = await serve(t, async (req) => {
    seen.push(req);
    return { accept: true, state: { name: req.headers['x-name'] }, protocol: 'vg-test' };
  });
  const raw = await rawUpgrade(s.port, '/ws/test', { 'Sec-WebSocket-Protocol': ' bearer.secret , vg-test', 'X-Name': 'ann' });
  t.equal(raw.status, 101);
  t.equal(raw.headers['sec-websocket-protocol'], 'vg-test');
  t.match(seen[0], { remoteAddress: '127.0.0.1', protocols: ['bearer.secret', 'vg-test'], headers: { 'x-name': 'ann' } });
  t.notOk(seen[0].signal.aborted);

  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws/test`, ['vg-test'], { headers: { 'x-name': 'bob' } });
  await nextEvent(ws, 'open');
  t.equal(ws.protocol, 'vg-test');
  ws.send('hello');
  t.equal(String(await nextEvent(ws, 'message')), 'bob: hello (0 queued)');
  ws.send(Buffer.from([1, 2, 3]));
  t.same([...((await nextEvent(ws, 'message')) as Buffer)], [3, 2, 1], 'binary comes back binary');
  ws.close(1000);
  await until('the close reaches the service', () => s.events.includes('close bob 1000'));
  t.ok(s.events.includes('open bob'));
});

t.test('a refusal is answered with its status, headers and the error format, with security headers', async (t) => {
  const s = await serve(t, async () => ({ accept: false, error: new HttpError(429, 'slow_down', 'too many', undefined, [['Retry-After', '7']]) }));
  const raw = await rawUpgrade(s.port, '/ws/test');
  t.equal(raw.status, 429);
  t.equal(raw.headers['retry-after'], '7');
  t.equal(raw.headers['content-type'], 'application/json; charset=utf-8');
  t.equal(raw.headers['x-content-type-options'], 'nosniff');
});

t.test('a client that leaves during a slow decision: its signal aborts and the late decision is dropped', async (t) => {
  let release!: () => void;
  const pending: UpgradeRequest[] = [];
  const s = await serve(t, async (req) => {
    pending.push(req);
    if (req.headers['x-name'] === 'slow') await new Promise<void>((r) => (release = r));
    return { accept: true, state: { name: req.headers['x-name'] }, protocol: '' };
  });
  const slow = new WebSocket(`ws://127.0.0.1:${s.port}/ws/test`, { headers: { 'x-name': 'slow' } });
  slow.on('error', () => {}); // terminated before the handshake, on purpose
  await until('the slow decision has started', () => pending.length === 1);
  slow.terminate();
  await until('the server saw the client leave', () => pending[0].signal.aborted);
  release();
  // Proven by a later event: the next client is served, and nothing was logged as failed.
  const next = new WebSocket(`ws://127.0.0.1:${s.port}/ws/test`, { headers: { 'x-name': 'next' } });
  await nextEvent(next, 'open');
  next.close();
  t.notOk(s.events.includes('open slow'), 'no socket for the client that left');
  t.same(s.lines.filter((l) => (l.level as number) >= 50), []);
});

t.test('a decision that fails is a 500 with an error id; a handler that throws closes only its connection with 1011', async (t) => {
  const s = await serve(t, async (req) => {
    if (req.headers['x-name'] === 'broken') throw new Error('database is down at /var/secret/path');
    return { accept: true, state: { name: req.headers['x-name'] }, protocol: '' };
  });
  const raw = await rawUpgrade(s.port, '/ws/test', { 'X-Name': 'broken' });
  t.equal(raw.status, 500);
  const failed = s.lines.find((l) => l.msg === 'websocket upgrade decision failed');
  t.match(failed, { error_id: /^[0-9a-f]{10}$/, path: '/ws/test' });

  const victim = new WebSocket(`ws://127.0.0.1:${s.port}/ws/test`, { headers: { 'x-name': 'victim' } });
  const bystander = new WebSocket(`ws://127.0.0.1:${s.port}/ws/test`, { headers: { 'x-name': 'bystander' } });
  await Promise.all([nextEvent(victim, 'open'), nextEvent(bystander, 'open')]);
  const closed = new Promise<number>((resolve) => victim.once('close', (code) => resolve(code)));
  victim.send('boom');
  t.equal(await closed, 1011);
  bystander.send('still here');
  t.equal(String(await nextEvent(bystander, 'message')), 'bystander: still here (0 queued)');
  bystander.close();
  t.ok(s.lines.some((l) => l.msg === 'websocket message handler failed'));
});
