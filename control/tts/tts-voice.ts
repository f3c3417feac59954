/** A voice a TTS engine offers (the catalog's listing, and what espeak-voices.ts parses). */
export interface TtsVoice {
  engine: string;
  /** What to pass as `voice` (preset or request). */
  id: string;
  name: string;
  language: string | null;
  gender?: string | null;
  /** Other names the engine also resolves to this voice (espeak-ng: `en` for en-gb and en-us). */
  aliases?: string[];
}
