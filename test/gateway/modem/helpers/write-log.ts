/**
 * What the gateway writes to a modem audio port, and when: a SerialLink wrapper for tests.
 *
 * The gateway's promise to the modem is about real time: from its first frame on, it never hands
 * over more audio than the time since then plus its lead of `maxAheadFrames` (2) frames, because
 * audio inside the modem cannot be recalled. Checked at the moment of each write, that holds on a
 * machine of any speed (a slow one only writes less). The emulator's playout queue depth is not
 * such a check: it also measures how the gateway and the emulator happened to be scheduled against
 * each other, so it is a figure for bench/modem.ts (modem_queue_max_frames), not a test bound.
 */
import type { ModemAudioPort } from '../../../../gateway/modem/audio-port.ts';
import type { SerialLink } from '../../../../gateway/modem/serial-link.ts';

export interface WriteLog {
  /** performance.now() of each write() call. */
  at: number[];
  bytes: number[];
  /** Writes whose bytes have not reached the OS yet (their `done` has not run). */
  inFlight: number;
}

/** `link`, with every write recorded in `log`. */
export function logWrites(link: SerialLink): { link: SerialLink; log: WriteLog } {
  const log: WriteLog = { at: [], bytes: [], inFlight: 0 };
  const logged: SerialLink = {
    get path() {
      return link.path;
    },
    get isOpen() {
      return link.isOpen;
    },
    write(data, done) {
      log.at.push(performance.now());
      log.bytes.push(typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
      log.inFlight++;
      link.write(data, () => {
        log.inFlight--;
        done?.();
      });
    },
    onData: (fn) => link.onData(fn),
    onClose: (fn) => link.onClose(fn),
    close: () => link.close(),
  };
  return { link: logged, log };
}

/**
 * The most 20 ms frames the writes ever ran ahead of real time since the first one: after each
 * write, the frames written so far minus the frames' worth of time since the first write. A port
 * that keeps its bound (written minus played, at most 2 frames, its estimate allowing 0.5 ms
 * of rounding) stays at or under 2.025 whatever the load.
 */
export function maxLeadFrames(log: WriteLog, frameBytes: number): number {
  let lead = 0;
  let frames = 0;
  for (let i = 0; i < log.at.length; i++) {
    frames += log.bytes[i] / frameBytes;
    lead = Math.max(lead, frames - (log.at[i] - log.at[0]) / 20);
  }
  return lead;
}

/** The bound `maxLeadFrames` must respect for a port allowed `maxAheadFrames` ahead. */
export const leadBound = (maxAheadFrames = 2) => maxAheadFrames + 0.5 / 20;

/** Writes silent frames to `port` as fast as it allows for `ms`, looking every 5 ms as a media clock would. */
export async function writeAsAllowedFor(port: ModemAudioPort, ms: number): Promise<void> {
  const frame = new Int16Array(port.frameSamples);
  const start = performance.now();
  while (performance.now() - start < ms) {
    while (port.writeFrame(frame));
    await new Promise((r) => setTimeout(r, 5));
  }
}
