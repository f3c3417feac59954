/**
 * `GET /health`: one entry per component. A component that is down makes the gateway `degraded`
 * (still serving what it can) rather than failing the whole check, so a load balancer can tell
 * "up but without modem" from "gone".
 */
export type ComponentState = 'ok' | 'degraded' | 'down' | 'disabled';

export interface ComponentHealth {
  status: ComponentState;
  [detail: string]: unknown;
}

export type HealthCheck = () => ComponentHealth | Promise<ComponentHealth>;

export interface HealthReport {
  status: 'ok' | 'degraded';
  uptime_s: number;
  components: Record<string, ComponentHealth>;
}

/** A check with no answer by then is `down`: a hung dependency must not hang /health with it. */
const CHECK_TIMEOUT_MS = 3000;

export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly startedAt = performance.now();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  async report(): Promise<HealthReport> {
    const components: Record<string, ComponentHealth> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<ComponentHealth>((resolve) => {
          timer = setTimeout(() => resolve({ status: 'down', error: `no answer within ${CHECK_TIMEOUT_MS / 1000} s` }), CHECK_TIMEOUT_MS);
        });
        try {
          components[name] = await Promise.race([Promise.resolve().then(check), deadline]);
        } catch (err) {
          components[name] = { status: 'down', error: err instanceof Error ? err.message : String(err) };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const degraded = Object.values(components).some((c) => c.status === 'down' || c.status === 'degraded');
    return {
      status: degraded ? 'degraded' : 'ok',
      uptime_s: Math.round((performance.now() - this.startedAt) / 1000),
      components,
    };
  }
}
