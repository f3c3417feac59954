/**
 * The one way tests wait: poll a condition until it holds, never a fixed sleep. A fixed sleep is
 * either too short on a loaded machine (the test flakes) or too long on an idle one (the suite
 * crawls); a condition is right on both. The timeout is a ceiling for a broken test, not a
 * figure under test, so it is generous by default: timing goals belong in bench/.
 */

export interface UntilOptions {
  /**
   * Give up after this long (default 30 s: a 2-core machine under stress-ng, or a CI runner, is slow,
   * not broken; a condition that holds returns at once, so only a broken test waits it out).
   */
  timeoutMs?: number;
  /** Poll interval (default 10 ms). */
  everyMs?: number;
}

/** The ceiling every condition wait in the suite uses unless it names its own. */
export const DEFAULT_TIMEOUT_MS = 30_000;

type Falsy = undefined | null | false | 0 | '';

/**
 * Resolves with the probe's first truthy value; rejects naming `what` when the timeout passes.
 * The probe may be async (an HTTP request, a database read); a probe that throws fails at once.
 */
export async function until<T>(what: string, probe: () => T | Falsy | Promise<T | Falsy>, opts: UntilOptions | number = {}): Promise<T> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, everyMs = 10 } = typeof opts === 'number' ? { timeoutMs: opts } : opts;
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as T;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves when `emitter` emits `event` (with its first argument); rejects after the timeout, naming it. */
export function nextEvent<T = unknown>(
  emitter: { once(event: string, listener: (arg: T) => void): unknown; off?(event: string, listener: (arg: T) => void): unknown },
  event: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onEvent = (arg: T) => {
      clearTimeout(timer);
      resolve(arg);
    };
    const timer = setTimeout(() => {
      emitter.off?.(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    emitter.once(event, onEvent);
  });
}
