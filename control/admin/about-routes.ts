/** `GET /admin/about`: version, commit, runtime, uptime, database kind, engines and UI build (control/about/about.ts). */
import { dbClient } from '../db/connection.ts';
import { json, route, type RouteDef } from '../http/route.ts';
import { aboutGateway } from '../about/about.ts';
import type { ControlServices } from '../services.ts';

export function aboutRoutes(s: ControlServices): RouteDef[] {
  return [
    route({
      method: 'GET',
      path: '/admin/about',
      summary: 'This gateway: version, commit, Node.js, platform, uptime, database kind, engines now, admin UI build',
      tag: 'meta',
      auth: { kind: 'user', role: 'viewer' },
      async handler() {
        return json(aboutGateway({ database: dbClient(s.db), engines: s.live.engines?.runtimeNames() ?? null, uiDistDir: s.uiDistDir }));
      },
    }),
  ];
}
