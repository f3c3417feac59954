/**
 * Adapters from the engine interfaces (pipeline/engines/types.ts) to the turn manager's ports.
 * They exist so the turn manager stays synchronous to construct: a VAD stream that is still being
 * created in its worker buffers audio here and replays it once ready.
 */
import type { SttEngine, SttOptions, TtsEngine, TtsOptions, VadEngine, VadOptions, VadStream } from '../engines/types.ts';
import type { SttPort, TtsPort, VadEvent, VadPort } from './ports.ts';

export function vadPort(engine: VadEngine, opts?: VadOptions): VadPort {
  let stream: VadStream | null = null;
  let closed = false;
  const pending: Int16Array[] = [];
  const eventListeners: ((e: VadEvent) => void)[] = [];
  const errorListeners: ((e: Error) => void)[] = [];
  const fail = (err: Error) => errorListeners.forEach((l) => l(err));
  engine.createStream(opts).then(
    (s) => {
      if (closed) return void s.close();
      stream = s;
      s.onEvent((e) => {
        const ev: VadEvent = e.type === 'speech_start' ? { type: 'start', sample: e.sample } : { type: 'end', sample: e.sample };
        eventListeners.forEach((l) => l(ev));
      });
      s.onError(fail);
      for (const pcm of pending.splice(0)) s.push(pcm);
    },
    (err: Error) => fail(err),
  );
  return {
    push(pcm) {
      if (stream) stream.push(pcm);
      else if (!closed) pending.push(pcm);
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
      return {
        accept: (pcm) => s.accept(pcm),
        finish: async () => (await s.finish()).text.trim(),
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
