/**
 * What espeak-ng answers to as a voice, from its own listings: `espeak-ng --voices` (the voices and
 * the language codes each also answers to) and `espeak-ng --voices=variant` (the `+variant`
 * suffixes: f1..f5 are its female voices, m1..m7 male, klatt another synthesiser). espeak-ng
 * resolves names without regard to case, so a preset saved as `en` or `en-US+f3` stays valid.
 */
import type { TtsVoice } from './tts-voice.ts';

/** `espeak-ng --voices` lines: `Pty Language       Age/Gender VoiceName          File                 Other Languages`. */
export function parseEspeakVoices(text: string): TtsVoice[] {
  const out: TtsVoice[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5) continue;
    const [, language, ageGender, name, file, ...rest] = cols;
    const gender = ageGender.includes('M') ? 'male' : ageGender.includes('F') ? 'female' : null;
    // "Other Languages" reads `(en 10)(en-gb 3)`: the codes (with a priority) this voice also serves.
    const aliases = [...rest.join(' ').matchAll(/\(([A-Za-z0-9-]+) \d+\)/g)].map((m) => m[1]);
    out.push({ engine: 'espeak-ng', id: language, name: `${name} (${file})`, language, gender, ...(aliases.length ? { aliases } : {}) });
  }
  return out;
}

/** `espeak-ng --voices=variant` lines: the variant's name is its file's, after `!v/`. */
export function parseEspeakVariants(text: string): string[] {
  return [...text.matchAll(/\s!v\/([A-Za-z0-9_-]+)/g)].map((m) => m[1]);
}

/**
 * Whether espeak-ng takes `voice`: a listed voice or one of the codes it also answers to (so the
 * bare `en`), compared without case, optionally followed by `+<variant>` of a listed variant.
 */
export function espeakTakes(voice: string, voices: TtsVoice[], variants: string[]): boolean {
  const plus = voice.indexOf('+');
  const base = (plus < 0 ? voice : voice.slice(0, plus)).toLowerCase();
  const variant = plus < 0 ? null : voice.slice(plus + 1).toLowerCase();
  if (variant !== null && !variants.some((v) => v.toLowerCase() === variant)) return false;
  return voices.some((v) => v.id.toLowerCase() === base || (v.aliases ?? []).some((a) => a.toLowerCase() === base));
}
