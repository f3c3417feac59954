/**
 * Latencies read off the emulator's audio timeline: both directions are recorded one 20 ms frame
 * per tick from the moment the PCM channel opened, so "when the caller stopped speaking" and "when
 * the caller first heard a reply" are frame indexes on one clock, free of any gateway log.
 */
const FRAME_MS = 20;
/** About -45 dBFS: above the line noise of synthetic callers, below any speech. */
const LOUD_RMS = 180;

const loud = (f: Int16Array) => {
  let s = 0;
  for (const x of f) s += x * x;
  return Math.sqrt(s / Math.max(1, f.length)) > LOUD_RMS;
};

/**
 * For a loopback (echo) pipeline: the caller's first loud frame to the first loud frame heard, i.e.
 * the whole round trip through the transport, including the frames queued inside the modem.
 */
export function loopbackDelayMs(uplink: readonly Int16Array[], heard: readonly Int16Array[]): number | null {
  const first = uplink.findIndex(loud);
  if (first < 0) return null;
  const back = heard.findIndex((f, i) => i >= first && loud(f));
  return back < 0 ? null : (back - first) * FRAME_MS;
}

export interface TimelineLatencies {
  /** Last loud caller frame to the first loud frame the caller heard after it. */
  v2v_ms: number | null;
  /** Caller speech that starts while reply audio is heard: to the last loud reply frame before a 200 ms gap. */
  barge_in_ms: number[];
}

export function audioTimelineLatencies(uplink: readonly Int16Array[], heard: readonly Int16Array[]): TimelineLatencies {
  const up = uplink.map(loud);
  const down = heard.map(loud);
  let lastSpeech = -1;
  for (let i = up.length - 1; i >= 0; i--) if (up[i]) {
    lastSpeech = i;
    break;
  }
  let v2v: number | null = null;
  if (lastSpeech >= 0) {
    const reply = down.findIndex((d, i) => d && i > lastSpeech);
    if (reply >= 0) v2v = (reply - lastSpeech) * FRAME_MS;
  }
  const bargeIns: number[] = [];
  for (let i = 1; i < up.length; i++) {
    if (!up[i] || up[i - 1] || !down[i]) continue;
    // Caller speech began while the reply was audible: find where the reply went quiet for 200 ms.
    let j = i;
    let quiet = 0;
    let lastLoud = i;
    while (j < down.length && quiet < 10) {
      if (down[j]) {
        lastLoud = j;
        quiet = 0;
      } else quiet++;
      j++;
    }
    bargeIns.push((lastLoud - i) * FRAME_MS);
  }
  return { v2v_ms: v2v, barge_in_ms: bargeIns };
}
