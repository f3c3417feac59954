import t from 'tap';
import { DEVICE_TOKEN_TTL_S, DeviceTokens } from '../../control/auth/device-token.ts';

t.test('device tokens: valid only for the account (and incarnation) they were issued to, until they expire', async (t) => {
  const tokens = new DeviceTokens(Buffer.alloc(32, 7));
  const ann = { id: 3, created_at: '2030-01-01T00:00:00.000Z' };
  const now = Date.parse('2030-02-01T00:00:00.000Z');
  const tok = tokens.issue(ann, undefined, now);
  t.match(tok, /^vgd1\.3\.[0-9a-f]{32}\.\d+\.[A-Za-z0-9_-]{43}$/);
  const device = tokens.deviceOf(tok, ann, now);
  t.match(device, /^[0-9a-f]{32}$/);
  t.equal(tokens.deviceOf(tokens.issue(ann, device!, now), ann, now), device, 'renewing keeps the device');
  t.not(tokens.deviceOf(tokens.issue(ann, undefined, now), ann, now), device, 'a new login without one gets a new device');

  t.equal(tokens.deviceOf(tok, { id: 4, created_at: ann.created_at }, now), null, 'another account');
  t.equal(tokens.deviceOf(tok, { id: 3, created_at: '2030-01-15T00:00:00.000Z' }, now), null, 'a later account that reuses the id');
  t.equal(tokens.deviceOf(tok, ann, now + DEVICE_TOKEN_TTL_S * 1000), null, 'expired');
  t.equal(new DeviceTokens(Buffer.alloc(32, 8)).deviceOf(tok, ann, now), null, 'another key (another installation)');
  const [v, id, dev, exp, mac] = tok.split('.');
  t.equal(tokens.deviceOf([v, id, dev, String(Number(exp) + 1000), mac].join('.'), ann, now), null, 'a stretched expiry');
  t.equal(tokens.deviceOf([v, id, 'f'.repeat(32), exp, mac].join('.'), ann, now), null, 'another device id');
  for (const bad of [undefined, '', 'garbage', `${tok}x`, tok.replace('vgd1', 'vgd2')]) t.equal(tokens.deviceOf(bad, ann, now), null, `refused: ${String(bad).slice(0, 12)}`);
});
