/**
 * The transport limits of the voice socket hold on the control plane's WebSocket
 * (/admin/tts/ws/stream) too: bad messages answered one by one until the flood limit, then
 * `too_many_errors` and close 4000; failed upgrades per IP (a refused credential) up to the limit,
 * then 429 before the credential is looked at; and the 101 never echoes `bearer.<token>`.
 */
import t from 'tap';
import WebSocket from 'ws';
import { WS_MAX_ERRORS } from '../../control/tts/tts-websocket.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { rawUpgrade } from '../helpers/raw-upgrade.ts';
import { startControl } from './helpers/control.ts';
import { DEFAULT_UPGRADE_FAILURE_LIMIT, UpgradeGuard } from '../../control/http/upgrade-guard.ts';
import { parseRateSpec } from '../../control/config.ts';
import { catalogOf, GatedTts } from './helpers/fake-engines.ts';

const PATH = '/admin/tts/ws/stream';

t.test('a flood of bad messages closes the TTS socket with 4000 after WS_MAX_ERRORS', async (t) => {
  const c = await startControl({}, { options: { tts: catalogOf(new GatedTts()) } });
  t.teardown(c.stop);
  const op = await c.userToken('olga', 'operator');
  const ws = new WebSocket(`ws://127.0.0.1:${c.port}${PATH}`, { headers: { authorization: `Bearer ${op}` } });
  const codes: string[] = [];
  ws.on('message', (data, isBinary) => void (!isBinary && codes.push(JSON.parse(String(data)).code)));
  const closed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, String(reason)])));
  await new Promise((resolve) => ws.once('open', resolve));
  for (let i = 0; i < WS_MAX_ERRORS - 2; i++) ws.send('{not json');
  ws.send(JSON.stringify({ type: 'synthesize' })); // no text
  ws.send(Buffer.from([1, 2, 3])); // binary
  for (let i = 0; i < 20; i++) ws.send('{not json');
  t.same(await closed, [4000, 'too many errors']);
  t.same(codes, [...Array(WS_MAX_ERRORS - 2).fill('invalid_json'), 'validation_failed', 'bad_message', 'too_many_errors']);
});

t.test("served by the gateway, the TTS socket keeps the voice socket's flood limits (VOICE_WS_MAX_ERRORS)", async (t) => {
  const c = await startControl({}, { options: { tts: catalogOf(new GatedTts()) } });
  t.teardown(c.stop);
  const gw = await startTestGateway({ VOICE_WS_MAX_ERRORS: '3', VOICE_WS_ERROR_WINDOW_S: '60' }, { controlPlane: c.cp });
  t.teardown(() => gw.stop());
  const op = await c.userToken('olga', 'operator');
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}${PATH}`, { headers: { authorization: `Bearer ${op}` } });
  const codes: string[] = [];
  ws.on('message', (data, isBinary) => void (!isBinary && codes.push(JSON.parse(String(data)).code)));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise((resolve) => ws.once('open', resolve));
  for (let i = 0; i < 10; i++) ws.send('{not json');
  t.equal(await closed, 4000);
  t.same(codes, ['invalid_json', 'invalid_json', 'invalid_json', 'too_many_errors'], 'closed at the third, as the voice socket would be');
});

t.test('failed TTS upgrades per IP: after the limit, 429 without a credential check; 101 never echoes the bearer token', async (t) => {
  // The default budget (the gateway passes WS_UPGRADE_FAILURE_LIMIT's), on a clock that stands
  // still: the bucket refills one a second, so 60 upgrades taking longer than that would earn more.
  const c = await startControl({}, { upgradeGuard: new UpgradeGuard(parseRateSpec(DEFAULT_UPGRADE_FAILURE_LIMIT), () => 0) });
  t.teardown(c.stop);
  const op = await c.userToken('olga', 'operator');

  const browser = await rawUpgrade(c.port, PATH, { 'Sec-WebSocket-Protocol': `vg-tts, bearer.${op}` });
  t.equal(browser.status, 101);
  t.equal(browser.headers['sec-websocket-protocol'], 'vg-tts');
  t.notMatch(browser.head, op, 'no token in the 101');
  const bearerOnly = await rawUpgrade(c.port, PATH, { 'Sec-WebSocket-Protocol': `bearer.${op}` });
  t.equal(bearerOnly.status, 101);
  t.notOk('sec-websocket-protocol' in bearerOnly.headers, 'only bearer offered: no protocol header');
  t.notMatch(bearerOnly.head, op);

  // The default budget is 60 failures a minute.
  t.equal(DEFAULT_UPGRADE_FAILURE_LIMIT, '60/min');
  for (let i = 0; i < 60; i++) t.equal((await rawUpgrade(c.port, PATH, { Authorization: `Bearer forged-${i}` })).status, 401, `failure ${i + 1}`);
  const blocked = await rawUpgrade(c.port, PATH, { Authorization: `Bearer ${op}` });
  t.equal(blocked.status, 429, 'the right credential is not even looked at now');
  t.ok(Number(blocked.headers['retry-after']) >= 1);
});
