/**
 * Turns a reply's text into queued audio: the dialogue's text goes through the sentence splitter,
 * and each sentence to TTS while the ones before it play, resampled to the pipeline's rate and
 * queued in the ReplyPlayer segment by segment (so what was heard is known at any moment). The
 * engine's padding before a reply's first audible sample is dropped (leading-silence.ts).
 */
import { PIPELINE_SAMPLE_RATE } from '../call-pipeline.ts';
import { createResampler, type Resampler } from '../../media/resampler.ts';
import type { DialogueChunk, SentenceSplitterPort, TtsPort } from './ports.ts';
import { LeadingSilenceTrimmer } from './leading-silence.ts';
import type { ReplyPlayer } from './reply-player.ts';

/** Where one reply's progress goes; `signal` stops it. */
export interface ReplySink {
  signal: AbortSignal;
  /** Reply text, as the dialogue produces it (before its audio). */
  text(delta: string): void;
  /** The dialogue asks to hang up once this reply has played. */
  hangup(reason: string): void;
  /** The first sentence's audio began `ms` after it went to TTS (`tts_ttfa_ms`). */
  firstAudio(ms: number): void;
}

export interface ReplyVoiceDeps {
  tts: TtsPort;
  splitter: () => SentenceSplitterPort;
  player: ReplyPlayer;
  now: () => number;
}

export class ReplyVoice {
  private readonly resamplers = new Map<number, Resampler>();

  constructor(private readonly deps: ReplyVoiceDeps) {}

  /** Speaks `chunks` until they end or `sink.signal` aborts; a TTS or dialogue failure is thrown (unless aborted). */
  async speak(chunks: AsyncIterable<DialogueChunk>, sink: ReplySink): Promise<void> {
    const splitter = this.deps.splitter();
    const onset = new LeadingSilenceTrimmer();
    let first = true;
    const say = async (sentences: string[]) => {
      for (const sentence of sentences) {
        await this.synthesize(sentence, sink, first, onset);
        first = false;
        if (sink.signal.aborted) return;
      }
    };
    for await (const chunk of chunks) {
      if (sink.signal.aborted) return;
      if (chunk.type === 'hangup') {
        sink.hangup(chunk.reason);
        continue;
      }
      sink.text(chunk.text);
      await say(splitter.push(chunk.text));
      if (sink.signal.aborted) return;
    }
    await say(splitter.flush());
  }

  /** Audio synthesised ahead of the call (a cached prompt): queued whole, so it plays from the next pull. */
  playReady(text: string, pcm: Int16Array): void {
    this.deps.player.beginSegment(text);
    this.deps.player.push(new LeadingSilenceTrimmer().trim(pcm));
    this.deps.player.endSegment();
  }

  /** Queued audio was dropped: resampler state from before the cut must not bleed into the next reply. */
  reset(): void {
    for (const r of this.resamplers.values()) r.reset();
  }

  /** `first`: the reply's first sentence, whose first audible audio is `tts_ttfa_ms`. `onset` trims until the reply is audible. */
  private async synthesize(sentence: string, sink: ReplySink, first: boolean, onset: LeadingSilenceTrimmer): Promise<void> {
    const text = sentence.trim();
    if (!text) return;
    const { player, tts, now } = this.deps;
    const started = now();
    player.beginSegment(text);
    let gotAudio = false;
    for await (const chunk of tts.synthesize(text, sink.signal)) {
      if (sink.signal.aborted) return;
      const pcm = onset.trim(this.to16k(chunk.pcm, chunk.sampleRate));
      if (pcm.length === 0) continue;
      if (!gotAudio && first) sink.firstAudio(now() - started);
      gotAudio = true;
      player.push(pcm);
    }
    player.endSegment();
  }

  private to16k(pcm: Int16Array, rate: number): Int16Array {
    if (rate === PIPELINE_SAMPLE_RATE) return pcm;
    let r = this.resamplers.get(rate);
    if (!r) {
      r = createResampler(rate, PIPELINE_SAMPLE_RATE);
      this.resamplers.set(rate, r);
    }
    return r.process(pcm);
  }
}
