// The offline STT piscina task (pipeline/workers/stt-offline-task.mjs) with failures on demand,
// told by the utterance's first sample: 1 throws (a failed task), 2 kills the whole thread
// (process.exit inside a worker), 3 holds the thread before the real decode until the test
// releases it (taskGate() in stt-task-gate.ts): "this thread is busy" is then a fact a test can
// wait for and end, not a guess about how long some milliseconds are on a loaded machine.
import { BroadcastChannel } from 'node:worker_threads';
import decode from '../../../pipeline/workers/stt-offline-task.mjs';

/** The channel taskGate() listens on (stt-task-gate.ts). */
const GATE_CHANNEL = 'crashing-stt-task-gate';
/** A cap on the hold, so a test that forgets to release cannot hold a thread for ever. */
const HOLD_CAP_MS = 60_000;

function held() {
  const channel = new BroadcastChannel(GATE_CHANNEL);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(cap);
      channel.close();
      resolve();
    };
    const cap = setTimeout(done, HOLD_CAP_MS);
    channel.onmessage = (m) => m.data === 'release' && done();
    channel.postMessage('held');
  });
}

export default async function task(t) {
  const mark = t.pcm?.[0];
  if (mark === 1) throw new Error('decode failed on purpose');
  if (mark === 2) process.exit(3);
  if (mark === 3) await held();
  return decode(t);
}
