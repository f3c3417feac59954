// Piscina worker for backup archives (archive-jobs.ts). Workers start without the parent's tsx
// loader (test runners and `node --import tsx` differ), so tsx is registered here first.
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { register } from 'tsx/esm/api';

register();
const { packBackup, resultBuffers, unzipEntries } = await import('./archive-jobs.ts');

/** Results' buffers are moved, not copied (a backup may be hundreds of megabytes). */
export default function run(job) {
  const result = job.op === 'pack' ? packBackup(job) : unzipEntries(job);
  return move({ [transferableSymbol]: resultBuffers(result), [valueSymbol]: result });
}
