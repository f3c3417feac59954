/**
 * The one way tests wait: poll a condition until it holds, never a fixed sleep. A fixed sleep is
 * either too short on a loaded machine (the test flakes) or too long on an idle one (the suite
 * crawls); a condition is right on both. The timeout is a ceiling for a broken test, not a
 * figure under test, so it is generous by default: timing goals belong in bench/.
 */

export interface UntilOptions {
  /** Give up after this long (default 10 s: a 2-core machine under stress-ng is slow, not broken). */
  timeoutMs?: number;
  /** Poll interval (default 10 ms). */
  everyMs?: number;
}

type Falsy = undefined | null | false | 0 | '';

/**
 * Resolves with the probe's first truthy value; rejects naming `what` when the timeout passes.
 * The probe may be async (an HTTP request, a database read); a probe that throws fails at once.
 */
export async function until<T>(what: string, probe: () => T | Falsy | Promise<T | Falsy>, opts: UntilOptions | number = {}): Promise<T> {
  const { timeoutMs = 10_000, everyMs = 10 } = typeof opts === 'number' ? { timeoutMs: opts } : opts;
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
  timeoutMs = 10_000,
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
