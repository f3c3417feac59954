/**
 * A session module for testing the pool's failure handling: echoes sample counts, throws on a
 * chunk whose first sample is 1 (a session error), kills its whole thread on 2 (a crash), and on 3
 * holds its thread busy (work in progress when the pool closes) until the test lets it go.
 *
 * The hold is a gate the test shares through the session config (`gate`, see holdGate()): the
 * session marks it when the work starts and spins until released, so "the worker is inside its
 * work" is a fact the test waits for, not a guess about how long 300 ms is on a busy machine.
 */
import type { WorkerSession } from '../../../pipeline/workers/protocol.ts';

/** [0]: 0 idle, 1 working, 2 done; [1]: 1 once released. */
export function holdGate(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8));
}

/** A cap on the hold, so a test that forgets to release cannot spin a thread for ever. */
const HOLD_CAP_MS = 60_000;

export function createSession(config: unknown): WorkerSession {
  const c = (config ?? {}) as { failOpen?: boolean; gate?: Int32Array };
  if (c.failOpen) throw new Error('open failed on purpose');
  return {
    data(pcm) {
      if (pcm[0] === 1) throw new Error('session failed on purpose');
      if (pcm[0] === 2) process.exit(3);
      if (pcm[0] === 3 && c.gate) {
        Atomics.store(c.gate, 0, 1);
        const cap = Date.now() + HOLD_CAP_MS;
        while (Atomics.load(c.gate, 1) === 0 && Date.now() < cap); // busy, as native code would be
        Atomics.store(c.gate, 0, 2);
      }
      return [{ samples: pcm.length }];
    },
  };
}
