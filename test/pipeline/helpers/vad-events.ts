/**
 * Clips through VAD streams, each stream's events back, with "and nothing more" proven by a later
 * event instead of a wait: after its clip every stream hears a marker phrase (after a second of
 * silence), and since a stream's events arrive in order, once the marker's segment has ended
 * nothing of the clip can still come. A fixed wait would be too short on a loaded machine (the
 * worker's results trail the audio by several batch runs) and needlessly long on an idle one.
 */
import type { VadEvent, VadStream } from '../../../pipeline/engines/types.ts';
import { until } from '../../helpers/until.ts';
import { speech } from './speech.ts';

let marker: Promise<Int16Array> | null = null;
/** Trailing silence longer than any stream's min silence here (at most 1 s), so the marker's segment ends. */
const markerAudio = () => (marker ??= speech('Thank you, that is all.', { leadSilenceSec: 1, trailSilenceSec: 1.2 }).then((s) => s.pcm));

/**
 * Pushes each clip and then the marker into its stream in 20 ms frames, interleaved frame by frame
 * as the media clock does (yielding now and then, so frames reach the worker in several
 * messages); resolves with each stream's events from its clip (those before the marker's).
 */
export async function vadEvents(streams: VadStream[], clips: Int16Array[]): Promise<VadEvent[][]> {
  const tail = await markerAudio();
  const events = streams.map(() => [] as VadEvent[]);
  streams.forEach((s, i) => s.onEvent((e) => events[i].push(e)));
  const inputs = clips.map((c) => {
    const all = new Int16Array(c.length + tail.length);
    all.set(c);
    all.set(tail, c.length);
    return all;
  });
  const longest = Math.max(...inputs.map((c) => c.length));
  for (let at = 0; at < longest; at += 320) {
    inputs.forEach((c, i) => {
      if (at < c.length) streams[i].push(c.subarray(at, Math.min(c.length, at + 320)));
    });
    if ((at / 320) % 25 === 0) await new Promise((r) => setImmediate(r));
  }
  const markerEnded = (i: number) => events[i].some((e) => e.type === 'speech_end' && e.sample >= clips[i].length);
  await until("the marker's segment to end on every stream", () => streams.every((_, i) => markerEnded(i)), 30_000);
  return events.map((e, i) => e.filter((x) => x.sample < clips[i].length));
}
