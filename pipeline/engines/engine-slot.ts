/**
 * An engine that can be replaced while calls use it. Every call leases the engine that is current
 * when it starts and gives it back when it ends; a replacement is what new calls lease from then
 * on, while calls in progress keep the engine they started with. A replaced engine is closed once
 * its last call gives it back (at once when none holds it), so no call loses its voice mid-sentence
 * and no engine outlives the calls that need it.
 *
 * Nothing here builds or checks engines: whoever replaces one has built and warmed the new one.
 */

export interface Closable {
  close(): Promise<void>;
}

/** One call's hold on an engine. `release` is idempotent. */
export interface EngineLease<E> {
  readonly engine: E;
  release(): void;
}

/** An engine replaced while calls still held it: how many still do. */
export interface DrainingEngine<E> {
  engine: E;
  calls: number;
}

interface Generation<E> {
  readonly engine: E;
  /** Every hold, calls' and others' (a greeting being synthesised ahead): the engine closes when none is left. */
  leases: number;
  /** The holds that are calls, as reported. */
  calls: number;
  /** Closed (or being closed): never closed twice, whatever releases or shutdowns come after. */
  closing: Promise<void> | null;
}

export class EngineSlot<E extends Closable> {
  #current: Generation<E>;
  readonly #draining = new Set<Generation<E>>();
  /** Waiters for a replaced engine to be closed, by generation. */
  readonly #whenClosed = new Map<Generation<E>, () => void>();
  #closed = false;

  /** `onCloseError`: a replaced engine failed to close (its resources may leak; nobody waits for it). */
  constructor(
    engine: E,
    private readonly onCloseError: (err: unknown, engine: E) => void = () => {},
  ) {
    this.#current = { engine, leases: 0, calls: 0, closing: null };
  }

  /** The engine new calls get now. */
  get engine(): E {
    return this.#current.engine;
  }

  /** Calls holding the current engine. */
  get calls(): number {
    return this.#current.calls;
  }

  /** Replaced engines still held, by calls or other work, oldest first. */
  draining(): DrainingEngine<E>[] {
    return [...this.#draining].map((g) => ({ engine: g.engine, calls: g.calls }));
  }

  /** Hold the current engine: for a call (counted in `calls`), or, with `call: false`, for other work that must finish with it. */
  lease({ call = true }: { call?: boolean } = {}): EngineLease<E> {
    if (this.#closed) throw new Error('the engine slot is closed');
    const g = this.#current;
    g.leases++;
    if (call) g.calls++;
    let held = true;
    return {
      engine: g.engine,
      release: () => {
        if (!held) return;
        held = false;
        g.leases--;
        if (call) g.calls--;
        if (g !== this.#current && g.leases === 0) void this.#retire(g);
      },
    };
  }

  /**
   * New calls get `next` from now on. Resolves when the engine it replaced has been closed, which
   * is when the last call holding it ended (now, when none did).
   */
  replace(next: E): Promise<void> {
    if (this.#closed) throw new Error('the engine slot is closed');
    const old = this.#current;
    this.#current = { engine: next, leases: 0, calls: 0, closing: null };
    if (old.leases === 0) return this.#retire(old);
    this.#draining.add(old);
    return new Promise<void>((resolve) => this.#whenClosed.set(old, resolve));
  }

  #retire(g: Generation<E>): Promise<void> {
    this.#draining.delete(g);
    g.closing ??= g.engine.close().catch((err: unknown) => this.onCloseError(err, g.engine));
    return g.closing.finally(() => {
      this.#whenClosed.get(g)?.();
      this.#whenClosed.delete(g);
    });
  }

  /** Closes the current engine and every replaced one, whoever still holds them (shutdown: calls are gone by then). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#current, ...this.#draining].map((g) => this.#retire(g)));
  }
}
