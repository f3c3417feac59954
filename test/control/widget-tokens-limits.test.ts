/**
 * The widget's visitor tokens and per-instance rate limits on their own, with injected clocks:
 * expiry and the renewal window, tokens of one kind refused as the other, a key of another gateway
 * refused; buckets that refill, a limit changed by the admin applying at once, and the sweep.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { VisitorRateLimits } from '../../control/widget/visitor-rate-limits.ts';
import { VISITOR_RENEW_WINDOW_S, VISITOR_TOKEN_TTL_S, VisitorTokens, VOICE_TOKEN_TTL_S } from '../../control/widget/visitor-token.ts';

const visitor = { instanceId: 3, publicId: 'wg_AAAAAAAAAAAAAAAAAAAAAA', sessionId: 42, origin: 'https://shop.example' };
const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

t.test('visitor tokens: what they carry, expiry, renewal window, kinds and keys', async (t) => {
  let now = Date.parse('2026-12-01T10:00:00Z');
  const key = randomBytes(32);
  const tokens = new VisitorTokens(key, () => now);
  const { token, expires_at } = tokens.issue(visitor);
  t.equal(expires_at, new Date(now + VISITOR_TOKEN_TTL_S * 1000).toISOString());
  t.same(tokens.verify(token), visitor);
  now += (VISITOR_TOKEN_TTL_S + 10) * 1000;
  t.equal(codeOf(() => tokens.verify(token)), 'visitor_token_expired');
  t.same(tokens.verifyForRenewal(token), visitor, 'renewable after it expired');
  now += VISITOR_RENEW_WINDOW_S * 1000;
  t.equal(codeOf(() => tokens.verifyForRenewal(token)), 'visitor_token_expired', 'not past the window');

  const voice = tokens.issueVoice(visitor, 7).token;
  t.match(tokens.voiceGrant(voice), { ...visitor, personaId: 7, tokenId: String });
  t.equal(codeOf(() => tokens.verify(voice)), 'visitor_token_invalid', 'a voice token is not a chat token');
  t.equal(tokens.voiceGrant(tokens.issue(visitor).token), null, 'nor a chat token a voice token');
  now += (VOICE_TOKEN_TTL_S + 10) * 1000;
  t.equal(tokens.voiceGrant(voice), null, 'a voice token lives a minute');

  const other = new VisitorTokens(randomBytes(32), () => now);
  t.equal(codeOf(() => other.verify(tokens.issue(visitor).token)), 'visitor_token_invalid', 'another key: refused');
  t.equal(codeOf(() => tokens.verify(undefined)), 'visitor_token_required');
  t.equal(codeOf(() => tokens.verify('a.b.c')), 'visitor_token_invalid');
});

t.test('rate limits: per session and per address, refill, admin changes apply at once, sweep', async (t) => {
  let now = 0;
  const limits = new VisitorRateLimits(() => now);
  t.teardown(() => limits.close());
  const take = (sessionId: number | null, ip = '192.0.2.1', sessionPerMin = 2, ipPerMin = 3) => limits.takeMessage({ instanceId: 1, sessionId, ip, sessionPerMin, ipPerMin });
  t.ok(take(1).ok);
  t.ok(take(1).ok);
  const refused = take(1);
  t.notOk(refused.ok, 'the session’s third in a minute');
  t.ok(refused.retryAfterS > 29 && refused.retryAfterS <= 30, `retry after ${refused.retryAfterS} s (one token at 2/min)`);
  t.ok(take(2).ok, 'another session from the address: its third');
  t.notOk(take(3).ok, 'the address’s fourth, whatever the session');
  t.ok(take(3, '192.0.2.2').ok, 'another address');
  t.ok(take(4, '2001:db8::1').ok);
  t.ok(take(5, '2001:db8::2').ok);
  t.ok(take(6, '2001:db8::3').ok);
  t.notOk(take(7, '2001:db8::4').ok, 'an IPv6 /64 is one address');
  now += 30_000;
  t.ok(take(1).ok, 'half a minute later: a token each again');
  t.notOk(take(1).ok);
  t.ok(take(1, '192.0.2.1', 10, 10).ok, 'the admin raised the limits: the difference is there at once');
  t.notOk(take(1, '192.0.2.1', 1, 10).ok, 'and lowered: nothing left');
  now += 10 * 60_000;
  limits.sweep();
  t.equal(limits.size, 0, 'buckets that refilled are forgotten');
});
