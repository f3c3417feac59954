// The offline STT piscina task (pipeline/workers/stt-offline-task.mjs) with failures on demand,
// told by the utterance's first sample: 1 throws (a failed task), 2 kills the whole thread
// (process.exit inside a worker), 3 keeps the thread busy for 300 ms before the real decode.
import decode from '../../../pipeline/workers/stt-offline-task.mjs';

export default function task(t) {
  const mark = t.pcm?.[0];
  if (mark === 1) throw new Error('decode failed on purpose');
  if (mark === 2) process.exit(3);
  if (mark === 3) {
    const until = Date.now() + 300;
    while (Date.now() < until);
  }
  return decode(t);
}
