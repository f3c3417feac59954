/** The test's side of crashing-stt-task.mjs's hold: how many tasks hold a thread now, and their release. */
import { BroadcastChannel } from 'node:worker_threads';

export function taskGate(): { held(): number; release(): void; close(): void } {
  const channel = new BroadcastChannel('crashing-stt-task-gate'); // GATE_CHANNEL there
  let held = 0;
  channel.onmessage = (m) => {
    if ((m as { data: unknown }).data === 'held') held++;
  };
  return {
    held: () => held,
    /** Lets every task holding a thread now go on. */
    release() {
      held = 0;
      channel.postMessage('release');
    },
    close: () => channel.close(),
  };
}
