/**
 * A session module for testing the pool's failure handling: echoes sample counts, throws on a
 * chunk whose first sample is 1 (a session error), and kills its whole thread on 2 (a crash).
 */
import type { WorkerSession } from '../../../pipeline/workers/protocol.ts';

export function createSession(config: unknown): WorkerSession {
  if ((config as { failOpen?: boolean } | null)?.failOpen) throw new Error('open failed on purpose');
  return {
    data(pcm) {
      if (pcm[0] === 1) throw new Error('session failed on purpose');
      if (pcm[0] === 2) process.exit(3);
      return [{ samples: pcm.length }];
    },
  };
}
