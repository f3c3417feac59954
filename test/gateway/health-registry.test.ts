/**
 * HealthRegistry: a check that never answers (a database that stopped answering without closing
 * the connection) is reported `down` after the deadline; the other components are still reported.
 */
import t from 'tap';
import { HealthRegistry } from '../../gateway/observability/health.ts';

t.test('a hung check is down with a reason, and does not hold the report', async (t) => {
  const health = new HealthRegistry();
  health.register('db', () => new Promise(() => {}));
  health.register('disk', () => ({ status: 'ok' }));
  health.register('broken', () => {
    throw new Error('statfs failed');
  });
  const report = await health.report();
  t.equal(report.status, 'degraded');
  t.same(report.components.db, { status: 'down', error: 'no answer within 3 s' });
  t.same(report.components.disk, { status: 'ok' });
  t.same(report.components.broken, { status: 'down', error: 'statfs failed' }, 'a check that throws synchronously is down too');
});
