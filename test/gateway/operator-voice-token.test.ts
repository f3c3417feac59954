/**
 * The softphone's voice token: `POST /admin/voice/token` (operators and admins) answers a token
 * that opens one voice WebSocket within its TTL, and never the gateway-wide VOICE_WS_TOKEN.
 */
import t from 'tap';
import { OperatorVoiceTokens } from '../../control/auth/operator-voice-tokens.ts';
import { ADMIN_TEST_ENV, startSecretaryGateway, type SecretaryGateway } from '../e2e/helpers/secretary-gateway.ts';
import { TestClient } from '../helpers/ws-client.ts';

let gw: SecretaryGateway;
let admin: string;
t.before(async () => {
  gw = await startSecretaryGateway({ PIPELINE: 'echo', ...ADMIN_TEST_ENV }, ADMIN_TEST_ENV);
  admin = await gw.userToken('admin1', 'admin');
});
t.teardown(() => gw?.stop());

const connect = (token: string) => new TestClient(gw.url, null, { protocols: ['voice.v1', `bearer.${token}`] });

t.test('an operator gets a token that opens one voice connection, once', async (t) => {
  const operator = await gw.userToken('op1', 'operator');
  const r = await gw.call('POST', '/admin/voice/token', operator);
  t.equal(r.status, 200, r.text);
  t.match(r.body, { token: /^vgop_[A-Za-z0-9_-]{43}$/, expires_in: 60, path: '/ws/voice', subprotocol: 'voice.v1' });
  t.ok(Date.parse(r.body.expires_at) > Date.now(), 'expires in the future');
  t.not(r.body.token, gw.token, 'not the gateway-wide token');
  t.notMatch(r.text, gw.token, 'the gateway-wide token is nowhere in the answer');

  const first = connect(r.body.token);
  const started = await first.start('pcm16', 16000);
  t.equal(started.sample_rate, 16000, 'the call starts');
  t.equal(first.ws.protocol, 'voice.v1', 'voice.v1 selected; the bearer protocol is not echoed');
  first.sendJson({ type: 'hangup', reason: 'done' });
  await first.closed;

  const again = connect(r.body.token);
  await t.rejects(again.opened, /HTTP 401/, 'a spent token is refused');

  const audit = (await gw.call('GET', '/admin/audit?action=voice.token', admin)).body.items as Array<Record<string, unknown>>;
  t.match(audit, [{ action: 'voice.token', actor_name: 'op1', target: /^user:\d+$/ }], 'minting is audited with who asked');
  t.notMatch(JSON.stringify(audit), r.body.token, 'the token is not in the audit log');
});

t.test('a viewer is refused, anonymous too; a made-up token opens nothing', async (t) => {
  const viewer = await gw.userToken('viewer1', 'viewer');
  t.equal((await gw.call('POST', '/admin/voice/token', viewer)).status, 403);
  t.equal((await gw.call('POST', '/admin/voice/token', '')).status, 401);
  await t.rejects(connect('vgop_' + 'A'.repeat(43)).opened, /HTTP 401/);
  // The gateway-wide token still works for scripts and the reference client.
  const script = new TestClient(gw.url, gw.token);
  await script.start('pcm16', 16000);
  script.ws.close();
});

t.test('a token past its TTL is refused and spent tokens are not kept', async (t) => {
  let now = 1_000_000;
  const tokens = new OperatorVoiceTokens(60, () => now);
  const a = tokens.mint({ userId: 1, username: 'a' });
  const b = tokens.mint({ userId: 2, username: 'b' });
  now += 59_999;
  t.same(tokens.redeem(a.token), { userId: 1, username: 'a' }, 'live within the TTL');
  t.equal(tokens.redeem(a.token), null, 'single use');
  now += 1;
  t.equal(tokens.redeem(b.token), null, 'expired at the TTL');
  t.equal(tokens.redeem('something else'), null);
  tokens.mint({ userId: 3, username: 'c' });
  t.equal(tokens.outstanding, 1, 'expired and spent tokens are gone');
});
