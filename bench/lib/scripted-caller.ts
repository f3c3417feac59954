/**
 * A WebSocket caller that follows a script, like a person: it keeps streaming 20 ms frames in real
 * time (silence between utterances), says each utterance when its cue comes (after the reply
 * ended, or a set time into a reply to interrupt it), and records every event and reply frame on
 * one clock. Latencies are read off that timeline (DESIGN.md: a client-side measurement beats a
 * server log). Used by the end-to-end tests and the voice bench.
 */
import { WebSocket } from 'ws';

const RATE = 16000;
const FRAME = 320;
const FRAME_MS = 20;

export type Cue =
  /** When the reply before has finished playing, after `gapMs` of silence (default 400). */
  | { after: 'reply'; gapMs?: number }
  /** `delayMs` after reply audio starts arriving: an interruption. */
  | { after: 'reply_start'; delayMs: number }
  /** At a fixed time from the start of the call. */
  | { at: number }
  /** Once the reply before has finished playing and `ready()` says so (a test acting between two utterances of one call). */
  | { when: () => boolean };

export interface Step {
  audio: Int16Array;
  cue: Cue;
}

export interface ScriptedCallOptions {
  url: string;
  token: string;
  caller?: string;
  /** Persona id or language the call asks for (start message). */
  persona?: string;
  steps: Step[];
  /** Hard cap on the call. */
  maxMs: number;
  /** Stop this long after the last step was said and its reply ended (default 1500). */
  lingerMs?: number;
  /**
   * Also stop once every step was said and, for this long, nothing played: no reply since the
   * last step ended (or since the last reply ended). For calls in which nothing, or nothing more,
   * is expected to answer (noise that must not become a turn; a greeting alone), which would
   * otherwise run to `maxMs`. Off by default: a silent caller waiting for the gateway's hang-up.
   */
  idleEndMs?: number;
  /** Told of every server event as it arrives (a test acting mid-call). */
  onEvent?: (event: TimedEvent) => void;
}

export interface TimedEvent {
  t_ms: number;
  type: string;
  [k: string]: unknown;
}

export interface SaidUtterance {
  /** When the first frame with speech left, and when the last one did. */
  speechStartMs: number;
  speechEndMs: number;
}

export interface ScriptedCallResult {
  events: TimedEvent[];
  /** Arrival time of every reply frame and whether it carried sound. */
  frames: { t_ms: number; loud: boolean }[];
  said: SaidUtterance[];
  close: { code: number; reason: string } | null;
  stepsSaid: number;
}

/** Frames above about -45 dBFS count as sound. */
const isLoud = (pcm: Int16Array): boolean => {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / Math.max(1, pcm.length)) > 180;
};

export async function runScriptedCall(opts: ScriptedCallOptions): Promise<ScriptedCallResult> {
  const ws = new WebSocket(opts.url, [], { headers: { authorization: `Bearer ${opts.token}` }, perMessageDeflate: false });
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const events: TimedEvent[] = [];
  const frames: ScriptedCallResult['frames'] = [];
  const said: SaidUtterance[] = [];
  let close: ScriptedCallResult['close'] = null;
  let started = false;
  let stepIndex = 0;
  /** Audio being said now, and the read position in it. */
  let current: { audio: Int16Array; pos: number; said: SaidUtterance | null } | null = null;
  /** Time the cue for the next step became true (for gaps). */
  let replyEndedAt: number | null = null;
  let replyStartedAt: number | null = null;
  let lastStepDoneAt: number | null = null;

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const t = now();
    if (isBinary) {
      // Copied: a ws Buffer may start at an odd offset, which an Int16Array view cannot.
      frames.push({ t_ms: t, loud: isLoud(new Int16Array(new Uint8Array(data).buffer, 0, data.byteLength >> 1)) });
      return;
    }
    const e = JSON.parse(data.toString()) as TimedEvent;
    e.t_ms = t;
    events.push(e);
    if (e.type === 'started') started = true;
    if (e.type === 'response_audio_start') replyStartedAt = t;
    if (e.type === 'response_audio_end' && !e.interrupted) replyEndedAt = t;
    opts.onEvent?.(e);
  });
  const closed = new Promise<void>((resolve) =>
    ws.on('close', (code, reason) => {
      close = { code, reason: reason.toString() };
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'start', codec: 'pcm16', sample_rate: RATE, ...(opts.caller ? { caller: opts.caller } : {}), ...(opts.persona ? { persona: opts.persona } : {}) }));

  const cueReady = (cue: Cue, t: number): boolean => {
    if ('at' in cue) return t >= cue.at;
    if ('when' in cue) return replyEndedAt !== null && cue.when();
    if (cue.after === 'reply') return replyEndedAt !== null && t - replyEndedAt >= (cue.gapMs ?? 400);
    return replyStartedAt !== null && t - replyStartedAt >= cue.delayMs;
  };

  const replyPlaying = () => replyStartedAt !== null && (replyEndedAt === null || replyEndedAt < replyStartedAt);
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const t = now();
      if (close || t > opts.maxMs) {
        clearInterval(timer);
        return resolve();
      }
      if (stepIndex >= opts.steps.length && !current && lastStepDoneAt !== null && replyEndedAt !== null && replyEndedAt > lastStepDoneAt && t - replyEndedAt > (opts.lingerMs ?? 1500)) {
        clearInterval(timer);
        return resolve();
      }
      if (opts.idleEndMs !== undefined && stepIndex >= opts.steps.length && !current && !replyPlaying()) {
        const lastSound = Math.max(lastStepDoneAt ?? -1, replyEndedAt ?? -1);
        if (lastSound >= 0 && t - lastSound > opts.idleEndMs) {
          clearInterval(timer);
          return resolve();
        }
      }
      if (!started) return;
      // Real time against absolute deadlines: send every frame that is due.
      while (sent * FRAME_MS <= t) {
        if (!current && stepIndex < opts.steps.length && cueReady(opts.steps[stepIndex].cue, t)) {
          current = { audio: opts.steps[stepIndex].audio, pos: 0, said: null };
          stepIndex++;
          replyEndedAt = null;
          replyStartedAt = null;
        }
        const frame = new Int16Array(FRAME);
        if (current) {
          frame.set(current.audio.subarray(current.pos, current.pos + FRAME));
          current.pos += FRAME;
          if (isLoud(frame)) {
            const at = sent * FRAME_MS;
            if (!current.said) {
              current.said = { speechStartMs: at, speechEndMs: at + FRAME_MS };
              said.push(current.said);
            } else current.said.speechEndMs = at + FRAME_MS;
          }
          if (current.pos >= current.audio.length) {
            current = null;
            lastStepDoneAt = t;
          }
        }
        ws.send(frame);
        sent++;
      }
    }, 5);
  });
  if (!close) {
    ws.send(JSON.stringify({ type: 'hangup', reason: 'script_done' }));
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    if (!close) ws.terminate();
  }
  return { events, frames, said, close, stepsSaid: stepIndex };
}

/**
 * Client-side barge-in: from the first speech frame of the interruption to the last loud reply
 * frame before the reply audio stops (a gap of at least `gapMs` in loud frames).
 */
export function clientBargeInMs(result: ScriptedCallResult, utterance: SaidUtterance, gapMs = 200): number | null {
  let last: number | null = null;
  for (const f of result.frames) {
    if (!f.loud) continue;
    if (f.t_ms < utterance.speechStartMs) {
      last = f.t_ms;
      continue;
    }
    if (last !== null && f.t_ms - last >= gapMs) break;
    last = f.t_ms;
  }
  if (last === null || last < utterance.speechStartMs - gapMs) return null;
  return Math.max(0, last - utterance.speechStartMs);
}

/** Client-side voice-to-voice: the caller's last speech frame sent to the first loud reply frame after it. */
export function clientV2vMs(result: ScriptedCallResult, utterance: SaidUtterance): number | null {
  const first = result.frames.find((f) => f.loud && f.t_ms > utterance.speechEndMs);
  return first ? first.t_ms - utterance.speechEndMs : null;
}

/**
 * Output underruns as a caller hears them: a client plays reply audio through a small playout
 * buffer (`bufferMs`, like any VoIP client's jitter buffer). Frame k of a reply is due at
 * first arrival + bufferMs + k * 20 ms; one arriving later means the buffer ran dry (an audible
 * gap), and playout re-anchors there. A pause for a possible barge-in is not an underrun.
 */
export function countUnderruns(result: ScriptedCallResult, bufferMs = 80): number {
  return underrunGaps(result, bufferMs).length;
}

/** How late (ms past its playout deadline) each frame that ran the playout buffer dry arrived. */
export function underrunGaps(result: ScriptedCallResult, bufferMs = 80): number[] {
  let anchor: number | null = null;
  let k = 0;
  const late: number[] = [];
  const timeline = [...result.events.map((e) => ({ t: e.t_ms, e: e.type })), ...result.frames.map((f) => ({ t: f.t_ms, e: 'frame' }))].sort((a, b) => a.t - b.t);
  for (const x of timeline) {
    if (x.e === 'response_audio_start' || x.e === 'speech_started' || x.e === 'response_audio_end' || x.e === 'interrupted') {
      anchor = null; // a new reply, or a pause the pipeline made on purpose
    } else if (x.e === 'frame') {
      if (anchor === null || x.t > anchor + bufferMs + k * FRAME_MS) {
        if (anchor !== null) late.push(Math.round(x.t - (anchor + bufferMs + k * FRAME_MS)));
        anchor = x.t;
        k = 0;
      }
      k++;
    }
  }
  return late;
}
