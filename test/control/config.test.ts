import t from 'tap';
import { ControlConfigError, loadControlConfig } from '../../control/config.ts';

t.test('login throttling settings: defaults, and old lockout values beyond the new meaning are refused by name', async (t) => {
  t.same(loadControlConfig({}).loginThrottle, { freeFailures: 5, firstDelayS: 1, maxDelayS: 300 });
  t.same(loadControlConfig({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_S: '900' }).loginThrottle, { freeFailures: 3, firstDelayS: 1, maxDelayS: 900 }, 'the old default, 900, still works (as the longest wait)');
  t.throws(() => loadControlConfig({ LOGIN_LOCKOUT_S: '86400' }), new ControlConfigError('invalid configuration: LOGIN_LOCKOUT_S: LOGIN_LOCKOUT_S is now the longest wait between checked login attempts, 1-3600 s (it no longer locks an account for that long)'));
  t.throws(() => loadControlConfig({ LOGIN_FIRST_DELAY_S: '60', LOGIN_LOCKOUT_S: '30' }), /LOGIN_FIRST_DELAY_S: must not exceed LOGIN_LOCKOUT_S/);
  t.throws(() => loadControlConfig({ LOGIN_MAX_FAILURES: '0' }), /LOGIN_MAX_FAILURES/);
});

t.test("password hashing cost: OWASP's by default, 18 at most", async (t) => {
  t.equal(loadControlConfig({}).passwordHashLn, 17);
  t.equal(loadControlConfig({ PASSWORD_HASH_LN: '12' }).passwordHashLn, 12, 'tests keep a cheap setting');
  t.throws(() => loadControlConfig({ PASSWORD_HASH_LN: '20' }), /PASSWORD_HASH_LN/, '1 GiB per hash is refused');
});
