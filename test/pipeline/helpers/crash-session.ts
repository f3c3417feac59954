/**
 * A session module for testing the pool's failure handling: echoes sample counts, throws on a
 * chunk whose first sample is 1 (a session error), kills its whole thread on 2 (a crash), and is
 * busy for 300 ms on 3 (work in progress when the pool closes).
 */
import type { WorkerSession } from '../../../pipeline/workers/protocol.ts';

export function createSession(config: unknown): WorkerSession {
  if ((config as { failOpen?: boolean } | null)?.failOpen) throw new Error('open failed on purpose');
  return {
    data(pcm) {
      if (pcm[0] === 1) throw new Error('session failed on purpose');
      if (pcm[0] === 2) process.exit(3);
      if (pcm[0] === 3) {
        const until = Date.now() + 300;
        while (Date.now() < until);
      }
      return [{ samples: pcm.length }];
    },
  };
}
