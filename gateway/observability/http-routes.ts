/**
 * `GET /health` and `GET /metrics`, and who may read what (docs/control-plane.md, "Transport
 * limits"):
 *   - /health: anyone gets `{"status"}`, all a load balancer needs; the components (engine and
 *     database errors, versions, modem state, call counts) only with `Authorization: Bearer` and
 *     the METRICS_TOKEN or an admin's access token. A bearer that is neither is a 401, so a
 *     misconfigured scraper notices.
 *   - /metrics: Prometheus text, never anonymous on the public port: with METRICS_TOKEN it needs
 *     that bearer; with METRICS_PORT it is served on its own listener (METRICS_HOST, loopback by
 *     default) and not on the public port at all; with neither it answers 401 saying how to
 *     enable it. On the metrics listener without a token, everything is open: its address is the
 *     access control.
 */
import { bearerToken } from '../../control/auth/principal.ts';
import { tokenMatches } from '../../control/auth/token-compare.ts';
import { unauthorized } from '../../control/http/errors.ts';
import type { Logger } from 'pino';
import { asyncHandler, errorBody, writeHttpError, writeJson, writeText } from '../http/respond.ts';
import type { UWS } from '../uws.ts';
import type { HealthRegistry } from './health.ts';
import type { GatewayMetrics } from './metrics.ts';

export interface ObservabilityAccess {
  /** METRICS_TOKEN: the bearer that reads /metrics and the /health components. */
  metricsToken?: string;
  /** True for an admin's access token (the control plane's auth); absent without a control plane. */
  isAdmin?: (authorization: string) => Promise<boolean>;
}

export interface ObservabilityPlace {
  /** Whether /metrics is served on this listener (not on the public port when METRICS_PORT is set). */
  metricsHere: boolean;
  /** The metrics listener: trusted by its address, so without a token nothing is asked. */
  trusted: boolean;
}

type Caller = 'insider' | 'anonymous' | 'refused';

export function attachObservability(
  app: UWS.TemplatedApp,
  parts: { health: HealthRegistry; metrics: GatewayMetrics; log: Logger },
  access: ObservabilityAccess,
  place: ObservabilityPlace,
): void {
  const caller = async (authorization: string): Promise<Caller> => {
    if (!authorization) return place.trusted && !access.metricsToken ? 'insider' : 'anonymous';
    const token = bearerToken(authorization);
    if (token && access.metricsToken && tokenMatches(token, access.metricsToken)) return 'insider';
    if (token && access.isAdmin && (await access.isAdmin(authorization).catch(() => false))) return 'insider';
    return 'refused';
  };

  app.get('/health', (res, req) => {
    const authorization = req.getHeader('authorization');
    asyncHandler(async (res, ctx) => {
      const who = await caller(authorization);
      if (who === 'refused') return void (ctx.aborted() || writeHttpError(res, unauthorized('not a metrics token or an admin access token')));
      const report = await parts.health.report();
      if (ctx.aborted()) return;
      writeJson(res, '200 OK', who === 'insider' ? report : { status: report.status });
    }, parts.log)(res);
  });

  app.get('/metrics', (res, req) => {
    if (!place.metricsHere) return writeJson(res, '404 Not Found', errorBody('not_found', 'metrics are served on METRICS_PORT'));
    const authorization = req.getHeader('authorization');
    asyncHandler(async (res, ctx) => {
      const token = bearerToken(authorization);
      const allowed = access.metricsToken ? token !== undefined && tokenMatches(token, access.metricsToken) : place.trusted;
      if (!allowed) {
        const hint = access.metricsToken ? 'send Authorization: Bearer <METRICS_TOKEN>' : 'set METRICS_TOKEN (a bearer for scrapers) or METRICS_PORT (a listener of its own) to serve metrics';
        return writeHttpError(res, unauthorized(hint));
      }
      const { contentType, body } = await parts.metrics.render();
      if (!ctx.aborted()) writeText(res, '200 OK', contentType, body);
    }, parts.log)(res);
  });
}
