/**
 * The voice WebSocket's transport limits: a flood of bad messages closes the connection with 4000
 * after VOICE_WS_MAX_ERRORS within the window (a client under the limit keeps its call); an IP
 * with WS_UPGRADE_FAILURE_LIMIT failed upgrades (a wrong token; a path with no socket is a plain
 * 404 and spends nothing) is answered 429 without a token check; and the handshake answer never carries the token, read as raw bytes
 * of the HTTP 101 from a raw socket.
 */
import pino from 'pino';
import t from 'tap';
import { ErrorFlood } from '../../control/http/error-flood.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { rawUpgrade } from '../helpers/raw-upgrade.ts';
import { TestClient } from '../helpers/ws-client.ts';

t.test('ErrorFlood: the limit-th error within the window closes; errors spread wider do not', async (t) => {
  const flood = new ErrorFlood(3, 1000);
  t.same([0, 100, 2000, 2100, 3500, 3550].map((ms) => flood.record(ms)), [false, false, false, false, false, false], 'never 3 within 1 s');
  t.equal(flood.record(3600), true, '3500, 3550, 3600: three within 1 s');
  t.equal(new ErrorFlood(0, 1000).record(0), false, 'limit 0: never');
});

t.test('a flood of bad messages is answered error by error, then closed with 4000 and too_many_errors', async (t) => {
  const gw = await startTestGateway({ VOICE_WS_MAX_ERRORS: '5', VOICE_WS_ERROR_WINDOW_S: '60' });
  t.teardown(() => gw.stop());

  // Under the limit the call goes on.
  const patient = new TestClient(gw.url, gw.token);
  await patient.opened;
  for (let i = 0; i < 4; i++) patient.ws.send('not json');
  patient.sendJson({ type: 'ping', id: 'still-there' });
  await patient.waitForEvent('pong', 10_000);
  t.equal(patient.received.events.filter((e) => e.code === 'bad_json').length, 4);
  patient.ws.close();

  const flooder = new TestClient(gw.url, gw.token);
  await flooder.opened;
  for (let i = 0; i < 3; i++) flooder.ws.send('not json');
  flooder.sendJson({ type: 'launch' });
  flooder.ws.send(Buffer.alloc(320)); // audio before start
  for (let i = 0; i < 50; i++) flooder.ws.send('not json'); // whatever follows the close is not read
  const closed = await flooder.closed;
  t.same(closed, { code: 4000, reason: 'too many protocol errors' });
  t.same(
    flooder.received.events.map((e) => e.code),
    ['bad_json', 'bad_json', 'bad_json', 'unknown_type', 'not_started', 'too_many_errors'],
    'each error answered, the fifth followed by the reason for the close',
  );
});

t.test('failed upgrades per IP: after the limit, 429 without looking at the token', async (t) => {
  const gw = await startTestGateway({ WS_UPGRADE_FAILURE_LIMIT: '3/min' });
  t.teardown(() => gw.stop());
  t.equal((await rawUpgrade(gw.port, '/ws/voice', { Authorization: 'Bearer wrong-token-0123456789' })).status, 401);
  t.equal((await rawUpgrade(gw.port, '/ws/voice')).status, 401, 'no token at all');
  for (let i = 0; i < 10; i++) {
    t.equal((await rawUpgrade(gw.port, `/ws/probe-${i}`)).status, 404, `scanner probe ${i}: 404, spending nothing`);
  }
  t.equal((await rawUpgrade(gw.port, '/ws/voice', { Authorization: `Bearer ${gw.token}` })).status, 101, 'so a scan behind the same address locks no valid client out');
  t.equal((await rawUpgrade(gw.port, '/ws/voice', { Authorization: 'Bearer wrong-token-again-456789' })).status, 401);
  const blocked = await rawUpgrade(gw.port, '/ws/voice', { Authorization: `Bearer ${gw.token}` });
  t.equal(blocked.status, 429, 'the third wrong token: even the right one is refused now');
  t.ok(Number(blocked.headers['retry-after']) >= 1, `Retry-After ${blocked.headers['retry-after']}`);
  t.equal((await fetch(`${gw.http}/health`)).status, 200, 'plain HTTP is not affected');
});

t.test('upgrades with X-Forwarded-For while TRUST_PROXY is off: warned once, naming TRUST_PROXY', async (t) => {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const gw = await startTestGateway({}, { log });
  t.teardown(() => gw.stop());
  for (let i = 0; i < 3; i++) await rawUpgrade(gw.port, '/ws/voice', { Authorization: `Bearer ${gw.token}`, 'X-Forwarded-For': `198.51.100.${i}` });
  const warned = lines.filter((l) => /X-Forwarded-For/.test(l.msg));
  t.equal(warned.length, 1, 'once, however many upgrades');
  t.match(warned[0], { level: 40, msg: /TRUST_PROXY/ });
});

t.test('a good upgrade does not spend the budget', async (t) => {
  const gw = await startTestGateway({ WS_UPGRADE_FAILURE_LIMIT: '2/min' });
  t.teardown(() => gw.stop());
  for (let i = 0; i < 5; i++) t.equal((await rawUpgrade(gw.port, '/ws/voice', { Authorization: `Bearer ${gw.token}` })).status, 101);
});

t.test('the handshake answer never contains the token: voice.v1 is echoed, bearer.<token> never', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const browser = await rawUpgrade(gw.port, '/ws/voice', { 'Sec-WebSocket-Protocol': `voice.v1, bearer.${gw.token}` });
  t.equal(browser.status, 101);
  t.equal(browser.headers['sec-websocket-protocol'], 'voice.v1');
  t.notMatch(browser.head, gw.token, 'no token in the 101');
  // An old client that offered only the bearer one: answered without a protocol header.
  const old = await rawUpgrade(gw.port, '/ws/voice', { 'Sec-WebSocket-Protocol': `bearer.${gw.token}` });
  t.equal(old.status, 101);
  t.notOk('sec-websocket-protocol' in old.headers, 'no Sec-WebSocket-Protocol');
  t.notMatch(old.head, gw.token, 'no token in the 101');
  // Whatever else is offered beside the bearer one is not echoed either.
  const other = await rawUpgrade(gw.port, '/ws/voice', { 'Sec-WebSocket-Protocol': `chat, bearer.${gw.token}` });
  t.equal(other.status, 101);
  t.notOk('sec-websocket-protocol' in other.headers);
  // And a real browser-style client works with it.
  const c = new TestClient(gw.url, null, { protocols: ['voice.v1', `bearer.${gw.token}`] });
  await c.start('pcm16', 16000);
  t.equal(c.ws.protocol, 'voice.v1');
  c.ws.close();
});
