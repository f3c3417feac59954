/**
 * A VoicePipeline driven the way a transport drives it, on a clock the test owns: every 20 ms step
 * pushes one caller frame and pulls one reply frame, and time moves only when the test steps it.
 * VAD events are fired by hand (ManualVad), the STT hands out scripted transcripts, the TTS gives
 * `sentenceMs` of audio per sentence, and everything the pipeline reports is collected.
 */
import type { CallRecordEvent, PipelineEvent, TurnRecord } from '../../../pipeline/call-pipeline.ts';
import type { DialogueSettings } from '../../../pipeline/conversation/dialogue-settings.ts';
import type { DialogueChunk, DialogueCue, DialoguePort, TtsPort } from '../../../pipeline/turn/ports.ts';
import type { TurnConfig } from '../../../pipeline/turn/config.ts';
import { SentenceSplitter } from '../../../pipeline/text/sentence-splitter.ts';
import { VoicePipeline } from '../../../pipeline/voice-pipeline.ts';
import { ManualVad } from './manual-vad.ts';

export const CUE_WORDS: Record<DialogueCue, string> = {
  still_there: 'Are you still there?',
  silence_goodbye: 'I cannot hear you. Goodbye!',
  time_limit_goodbye: 'Our time is up. Goodbye!',
};

export interface ClockedCallOptions {
  settings: Partial<DialogueSettings>;
  /** Audio per sentence, ms (default 100). */
  sentenceMs?: number;
  /** Each caller turn's reply, sentence by sentence (default two short sentences). */
  reply?: string[];
  /** What the STT hears, utterance by utterance ('' once they run out). */
  heard?: string[];
  /** The recogniser's confidence in each reading (unset: it gives none). */
  confidence?: number;
  /** Turn settings over the helper's own. */
  turn?: Partial<TurnConfig>;
  /** The dialogue instead of the scripted one. */
  dialogue?: DialoguePort;
}

export function clockedCall(opts: ClockedCallOptions) {
  let now = 0;
  let sample = 0;
  const vad = new ManualVad();
  const heard = [...(opts.heard ?? [])];
  const frames = Math.round((opts.sentenceMs ?? 100) / 20);
  const tts: TtsPort = {
    async *synthesize(_text, signal) {
      if (!signal.aborted) yield { pcm: new Int16Array(320 * frames).fill(3000), sampleRate: 16000 };
    },
  };
  const dialogue: DialoguePort = opts.dialogue ?? {
    async *greet() {
      yield { type: 'text', text: 'Hello.' };
    },
    async *respond(): AsyncIterable<DialogueChunk> {
      for (const s of opts.reply ?? ['We open at nine. ', 'We close at six. ']) yield { type: 'text', text: s };
    },
    cue: (cue) => CUE_WORDS[cue],
  };
  const readings = () => ({ alternatives: [], confidence: opts.confidence });
  const stt = { begin: () => ({ accept() {}, finish: async () => heard.shift() ?? '', ...(opts.confidence === undefined ? {} : { readings }), cancel() {} }) };
  const p = new VoicePipeline(
    { callId: 'clocked', channel: 'test' },
    { vad, stt, tts, dialogue, splitter: () => new SentenceSplitter(), config: { minUtteranceMs: 200, bargeInConfirmMs: 400, vadHangoverMs: 0, ...opts.turn }, dialogueSettings: { silenceRepromptMs: 0, silenceHangupMs: 0, maxCallMs: 0, offerMessageAfterFailures: 0, ...opts.settings }, now: () => now },
  );
  const events: Array<PipelineEvent & { at: number }> = [];
  const records: CallRecordEvent[] = [];
  p.onEvent((e) => events.push({ ...e, at: now }));
  p.onRecord((e) => records.push(e));
  let pulled = 0;
  /** One 20 ms step of the transport's clock; `loud` frames are what a caller on a noisy line sends. */
  const step = (loud = false) => {
    now += 20;
    p.pushAudio(new Int16Array(320).fill(loud ? 1000 : 0));
    sample += 320;
    if (p.pullAudio()) pulled++;
  };
  return {
    p,
    events,
    records,
    now: () => now,
    sample: () => sample,
    pulled: () => pulled,
    /** Steps the clock for `ms`, letting promises (STT, TTS) settle on every step. */
    async run(ms: number, loud = false) {
      for (let t = 0; t < ms; t += 20) {
        step(loud);
        await settle();
      }
    },
    /** Steps until `probe` holds (at most `maxMs` of call time); returns the call time it took. */
    async runUntil(what: string, probe: () => boolean, maxMs = 120_000) {
      const from = now;
      while (!probe()) {
        if (now - from > maxMs) throw new Error(`${what}: not within ${maxMs} ms of call time`);
        step();
        await settle();
      }
      return now - from;
    },
    /** The caller speaks for `ms` (VAD start now, end after it), with the STT hearing the next scripted words. */
    async speak(ms = 600) {
      vad.fire({ type: 'start', sample });
      await this.run(ms, true);
      vad.fire({ type: 'end', sample });
      await settle();
    },
    vad,
    texts: () => events.filter((e) => e.type === 'response_text_delta').map((e) => (e as { text: string }).text).join(''),
    hangup: () => events.find((e) => e.type === 'hangup') as { reason: string; at: number } | undefined,
    turns: (): TurnRecord[] => records.filter((r) => r.type === 'turn_end').map((r) => (r as { turn: TurnRecord }).turn),
  };
}

export type ClockedCall = ReturnType<typeof clockedCall>;

export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
