// Piscina worker for backup archives (archive-jobs.ts). Workers start without the parent's tsx
// loader (test runners and `node --import tsx` differ), so tsx is registered here first.
import { move } from 'piscina';
import { register } from 'tsx/esm/api';

register();
const { packBackup, unzipEntries } = await import('./archive-jobs.ts');

/** Results are moved, not copied (a backup may be hundreds of megabytes); a bad archive throws. */
export default function run(job) {
  return move(job.op === 'pack' ? packBackup(job) : unzipEntries(job));
}
