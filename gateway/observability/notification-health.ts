/**
 * /health and Prometheus figures for telling the owner: the outbox's deliveries by status, and
 * what this gateway's delivery worker did since it started. `degraded` while the worker cannot
 * read the outbox (the database is away: notifications wait); failed deliveries are shown, not
 * held against the gateway's health (a wrong bot token is the admin's to fix, in
 * /admin/notifications/deliveries?status=failed).
 */
import { Counter, Gauge } from 'prom-client';
import type { ControlPlane } from '../../control/control-plane.ts';
import { dbErrorText } from '../../control/db/rows.ts';
import { DELIVERY_STATUSES } from '../../control/repositories/notification-outbox.ts';
import type { HealthRegistry } from './health.ts';
import type { GatewayMetrics } from './metrics.ts';

export function registerNotificationHealth(health: HealthRegistry, cp: ControlPlane): void {
  health.register('notifications', async () => {
    const worker = cp.notifications.worker.stats();
    try {
      const deliveries = await cp.repos.notificationOutbox.countByStatus();
      return { status: worker.poll_error ? 'degraded' : 'ok', deliveries, worker };
    } catch (err) {
      return { status: 'degraded', error: dbErrorText(err), worker };
    }
  });
}

export function registerNotificationMetrics(metrics: GatewayMetrics, cp: ControlPlane): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'voice_notification_deliveries',
    help: 'Notification outbox rows by status (pending, sending, sent, failed)',
    labelNames: ['status'],
    registers,
    async collect() {
      const counts = await cp.repos.notificationOutbox.countByStatus().catch(() => null);
      if (!counts) return; // the database is away: no figure rather than a wrong one
      for (const status of DELIVERY_STATUSES) this.set({ status }, counts[status]);
    },
  });
  const stats = () => cp.notifications.worker.stats();
  for (const [outcome, help] of [['sent', 'delivered'], ['retried', 'failed and scheduled again'], ['failed', 'failed for good']] as const) {
    let seen = 0;
    new Counter({
      name: `voice_notifications_${outcome}_total`,
      help: `Notification attempts by this gateway that ${help}`,
      registers,
      collect() {
        const v = stats()[outcome];
        if (v > seen) this.inc(v - seen);
        seen = v;
      },
    });
  }
}
