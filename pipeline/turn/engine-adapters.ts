/**
 * Adapters from the engine interfaces (pipeline/engines/types.ts) to the turn manager's ports.
 * They exist so the turn manager stays synchronous to construct: a VAD stream that is still being
 * created in its worker buffers audio here and replays it once ready.
 */
import type { SttEngine, SttOptions, TtsEngine, TtsOptions, VadEngine, VadOptions, VadStream } from '../engines/types.ts';
import type { SttPort, TtsPort, VadEvent, VadPort } from './ports.ts';
import { SURE_READING } from './turn-completion.ts';

/**
 * Crashes of its VAD worker a call survives. The VAD thread is shared by many calls (batched
 * runtime), so one crash would otherwise end all of them: instead each call reopens its stream on
 * the pool's replacement thread and goes on. Past this many, the call ends with the error.
 */
export const VAD_RECOVERIES_PER_CALL = 3;

const PORT_EVENT = {
  speech_start: 'start',
  speech_end: 'end',
  speech_pause: 'pause',
  speech_resume: 'resume',
  speech_onset: 'onset',
  speech_onset_lost: 'onset_lost',
} as const;

export function vadPort(engine: VadEngine, opts?: VadOptions): VadPort {
  let stream: VadStream | null = null;
  let closed = false;
  let failed = false;
  /** Samples handed to the port: the call's timeline. A reopened stream counts from 0 again at `base`. */
  let pushed = 0;
  let speaking = false;
  /** An onset was reported and neither a start nor its loss has followed. */
  let onset = false;
  let recoveries = 0;
  const pending: Int16Array[] = [];
  const eventListeners: ((e: VadEvent) => void)[] = [];
  const errorListeners: ((e: Error) => void)[] = [];
  const emit = (ev: VadEvent) => eventListeners.forEach((l) => l(ev));
  const fail = (err: Error) => {
    if (failed || closed) return;
    failed = true;
    errorListeners.forEach((l) => l(err));
  };
  const open = (base: number) =>
    engine.createStream(opts).then(
      (s) => {
        if (closed) return void s.close();
        stream = s;
        s.onEvent((e) => {
          if (stream !== s) return;
          if (e.type === 'speech_start' || e.type === 'speech_end') speaking = e.type === 'speech_start';
          onset = e.type === 'speech_onset';
          emit({ type: PORT_EVENT[e.type], sample: base + e.sample });
        });
        s.onError((err) => {
          if (stream !== s || closed) return;
          stream = null; // frames wait in `pending` for the next stream
          if (recoveries >= VAD_RECOVERIES_PER_CALL) return fail(err);
          recoveries++;
          // The new stream knows nothing of speech in progress: it ended here, as far as the turn goes.
          if (speaking) {
            speaking = false;
            emit({ type: 'end', sample: pushed });
          }
          if (onset) {
            onset = false;
            emit({ type: 'onset_lost', sample: pushed });
          }
          void open(pushed);
        });
        for (const pcm of pending.splice(0)) s.push(pcm);
      },
      (err: Error) => fail(err),
    );
  void open(0);
  return {
    push(pcm) {
      pushed += pcm.length;
      if (stream) stream.push(pcm);
      else if (!closed && !failed) pending.push(pcm);
    },
    onEvent: (l) => void eventListeners.push(l),
    onError: (l) => void errorListeners.push(l),
    close() {
      closed = true;
      void stream?.close();
    },
  };
}

export function sttPort(engine: SttEngine, opts: () => SttOptions = () => ({})): SttPort {
  return {
    begin() {
      const s = engine.createStream(opts());
      let readings: { alternatives: readonly string[]; confidence?: number } = { alternatives: [] };
      return {
        accept: (pcm) => s.accept(pcm),
        onEndpoint: s.onEndpoint ? (l) => void s.onEndpoint!(() => l()) : undefined,
        finish: async () => {
          const result = await s.finish();
          readings = { alternatives: result.alternatives ?? [], confidence: result.confidence };
          return result.text.trim();
        },
        readings: () => readings,
        peek: s.peek
          ? async () => {
              const r = await s.peek!();
              return { text: r.text.trim(), sure: (r.confidence ?? 0) >= SURE_READING };
            }
          : undefined,
        cancel: () => s.cancel(),
      };
    },
  };
}

export function ttsPort(engine: TtsEngine, opts: Omit<TtsOptions, 'signal'> = {}): TtsPort {
  return {
    synthesize: (text, signal) => engine.synthesize(text, { ...opts, signal }),
  };
}
