/**
 * The set of routes, checked when built: no duplicate (method, path), every mutating /admin route
 * names its audit action, and nothing but credential exchange is public. Matching prefers literal
 * segments over parameters so `/admin/faq/export` is not taken for `/admin/faq/:id`.
 */
import { compilePath, splitPath, type PathPattern } from './path-pattern.ts';
import type { Method, RouteCors, RouteDef } from './route.ts';

export interface CompiledRoute {
  def: RouteDef;
  pattern: PathPattern;
  /** Number of literal segments; more literals win ties. */
  specificity: number;
}

export type MatchResult =
  | { kind: 'found'; route: CompiledRoute; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allowed: Method[] }
  | { kind: 'not_found' };

/** Public routes must be listed here too: adding one is a deliberate, reviewed act. */
export const PUBLIC_ROUTES = new Set([
  'POST /admin/auth/login',
  'POST /admin/auth/refresh',
  'POST /admin/setup',
  // Telegram's webhook deliveries: checked by the bot's secret token (admin/telegram-routes.ts).
  'POST /telegram/webhook/:id',
  // The website widget's visitors (control/widget/visitor-routes.ts): each checks the Origin
  // against the instance's allow-list; a visitor token comes out of them.
  'GET /widget/v1/:widget/config',
  'POST /widget/v1/:widget/sessions',
  'POST /widget/v1/:widget/sessions/renew',
]);

export class RouteTable {
  readonly routes: readonly CompiledRoute[];

  constructor(defs: readonly RouteDef[]) {
    const seen = new Set<string>();
    const compiled: CompiledRoute[] = [];
    for (const def of defs) {
      const key = `${def.method} ${def.path}`;
      if (seen.has(key)) throw new Error(`duplicate route ${key}`);
      seen.add(key);
      if (def.method !== 'GET' && def.path.startsWith('/admin/') && !def.audit) throw new Error(`${key} mutates but names no audit action`);
      if (def.auth.kind === 'public' && !PUBLIC_ROUTES.has(key)) throw new Error(`${key} is public but not in PUBLIC_ROUTES`);
      const pattern = compilePath(def.path);
      compiled.push({ def, pattern, specificity: pattern.segments.length - pattern.paramNames.length });
    }
    compiled.sort((a, b) => b.specificity - a.specificity);
    this.routes = compiled;
  }

  /** Distinct first path segments (`/admin`, `/v1`): the prefixes the router claims on the app. */
  prefixes(): string[] {
    return [...new Set(this.routes.map((r) => '/' + r.def.path.split('/')[1]))];
  }

  /**
   * The CORS rule of the routes at `url` that have their own (RouteCors), with the path's params and
   * the methods served there: what a preflight for that path is answered by. Null: CORS_ORIGINS.
   */
  corsOf(url: string): { cors: RouteCors; params: Record<string, string>; methods: Method[] } | null {
    const parts = splitPath(url);
    let found: { cors: RouteCors; params: Record<string, string>; methods: Method[] } | null = null;
    for (const r of this.routes) {
      const params = r.pattern.match(parts);
      if (!params || !r.def.cors) continue;
      found ??= { cors: r.def.cors, params, methods: [] };
      if (!found.methods.includes(r.def.method)) found.methods.push(r.def.method);
    }
    return found;
  }

  match(method: string, url: string): MatchResult {
    const parts = splitPath(url);
    const allowed: Method[] = [];
    for (const r of this.routes) {
      const params = r.pattern.match(parts);
      if (!params) continue;
      if (r.def.method === method) return { kind: 'found', route: r, params };
      if (!allowed.includes(r.def.method)) allowed.push(r.def.method);
    }
    return allowed.length ? { kind: 'method_not_allowed', allowed } : { kind: 'not_found' };
  }
}
