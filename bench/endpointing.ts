/**
 * Premature turn ends: does the secretary answer while the caller is still speaking? Utterances
 * with natural internal pauses of 300, 500 and 700 ms (a question with a hesitation, a name after
 * "my name is", a phone number read in groups) in six synthetic voices (espeak-ng and flite, several
 * speeds: 126 utterances), each said after the reply before it ended, to a real gateway (Silero
 * VAD, pocketsphinx, espeak-ng, the built-in secretary), a call each, a few calls at a time. A turn
 * ended prematurely when a final transcript reaches the caller before their last speech frame left.
 * Three gateways in one run: VAD_PAUSE_MS=0 TURN_HOLD_MS=0 TURN_HOLD_UNSURE_MS=0 (the fixed
 * silence rule alone), TURN_HOLD_UNSURE_MS=0 (a whole phrase ends at a 200 ms pause, a turn that
 * plainly goes on waits 800 ms more) and the defaults (also: a short unsure reading waits 400 ms).
 */
import { withSilence } from './lib/flite-speech.ts';
import { machineInfo } from './lib/machine.ts';
import { speechSpan, synthesize, voiceName, VOICES, type SyntheticVoice } from './lib/synthetic-voices.ts';
import { runScriptedCall, type ScriptedCallResult, type Step } from './lib/scripted-caller.ts';
import { startGateway, VOICE_BENCH_TOKEN } from './voice.ts';

export const PAUSED_UTTERANCES: readonly string[][] = [
  ['What are your', 'opening hours?'],
  ['Where is', 'your office?'],
  ['When are you', 'open?'],
  ['My name is', 'John Smith.'],
  ['My number is', 'five five five', 'one two three', 'four five six seven'],
  ['five five five', 'one two three', 'four five six seven'],
  ['What is', 'your address?'],
];
export const PAUSES_MS = [300, 500, 700];
/** Calls at a time: the figures are counts, and a few calls leave the recogniser's timing as one call's. */
const CONCURRENT_CALLS = 3;

/** The parts said with exactly `pauseMs` of silence between them (the engine's own padding cut off), 16 kHz. */
function withPauses(parts: readonly string[], pauseMs: number, voice: SyntheticVoice): Int16Array {
  const spoken = (text: string) => {
    const pcm = synthesize(text, voice);
    const { first, last } = speechSpan(pcm);
    return pcm.subarray(Math.max(0, first), last > first ? last : pcm.length);
  };
  const audio = parts.map((p, i) => withSilence(spoken(p), 0, i < parts.length - 1 ? pauseMs : 100));
  const out = new Int16Array(audio.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of audio) (out.set(a, at), (at += a.length));
  return out;
}

interface Outcome {
  said: number;
  premature: number;
  /** Utterances answered (a transcript after the caller's last frame). */
  answered: number;
  premature_by_pause_ms: Record<string, number>;
  premature_by_voice: Record<string, number>;
  /** Which utterances were cut, and what was answered first. */
  cut: string[];
}

/** Adds one call's utterance (its only step) to the tally. */
function tally(o: Outcome, r: ScriptedCallResult, pauseMs: number, voice: string, text: string): void {
  const finals = r.events.filter((e) => e.type === 'transcript' && e.final);
  const u = r.said[0];
  if (!u) return;
  o.said++;
  const early = finals.find((e) => e.t_ms >= u.speechStartMs && e.t_ms < u.speechEndMs);
  if (early) {
    o.premature++;
    o.premature_by_pause_ms[String(pauseMs)]++;
    o.premature_by_voice[voice]++;
    o.cut.push(`${pauseMs} ms, ${voice}: "${text}" answered at "${String(early.text)}"`);
  }
  if (finals.some((e) => e.t_ms >= u.speechEndMs)) o.answered++;
}

export async function runEndpointingBench(opts: { onProgress?: (m: string) => void } = {}) {
  const progress = opts.onProgress ?? (() => {});
  const pauses: number[] = [];
  const voices: string[] = [];
  const texts: string[] = [];
  const steps: Step[] = [];
  for (const voice of VOICES) {
    for (const pauseMs of PAUSES_MS) {
      for (const parts of PAUSED_UTTERANCES) {
        pauses.push(pauseMs);
        voices.push(voiceName(voice));
        texts.push(parts.join(' / '));
        steps.push({ audio: withPauses(parts, pauseMs, voice), cue: { after: 'reply', gapMs: 800 } });
      }
    }
  }
  const runs: Record<string, Outcome> = {};
  const configs = [
    ['fixed_silence_only', { VAD_PAUSE_MS: '0', TURN_HOLD_MS: '0', TURN_HOLD_UNSURE_MS: '0' }],
    ['adaptive_without_unsure_hold', { TURN_HOLD_UNSURE_MS: '0' }],
    ['adaptive', {}],
  ] as const;
  for (const [name, env] of configs) {
    const gw = await startGateway(env);
    try {
      progress(`${name}: ${steps.length} utterances, a call each`);
      const o: Outcome = {
        said: 0,
        premature: 0,
        answered: 0,
        premature_by_pause_ms: Object.fromEntries(PAUSES_MS.map((p) => [String(p), 0])),
        premature_by_voice: Object.fromEntries(VOICES.map((v) => [voiceName(v), 0])),
        cut: [],
      };
      // A call per utterance: one answer (a name, a number) must not start the take-a-message flow for the next.
      let next = 0;
      const caller = async () => {
        for (let i = next++; i < steps.length; i = next++) {
          const r = await runScriptedCall({ url: gw.url, token: VOICE_BENCH_TOKEN, steps: [steps[i]], maxMs: 20_000, lingerMs: 1500 });
          tally(o, r, pauses[i], voices[i], texts[i]);
          if (o.said % 21 === 0) progress(`${name}: ${o.said} calls done`);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENT_CALLS }, caller));
      runs[name] = o;
    } finally {
      await gw.stop();
    }
  }
  return { bench: 'endpointing', utterances: steps.length, pauses_ms: PAUSES_MS, voices: VOICES.map(voiceName), calls_at_a_time: CONCURRENT_CALLS, runs, machine: machineInfo() };
}
