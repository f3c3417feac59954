/**
 * What a voice or language name may look like when an engine has no list of its own to check it
 * against. Such names end up as subprocess arguments (espeak-ng -v) or as fields an upstream
 * server may use to open a file (XTTS speaker files), so they are plain names: letters, digits and
 * a few joiners, never a path separator and never "..".
 */

/** Any engine's voice: "alloy", "af_bella", "Ana Florence", "en-us+f3", "speaker1.wav". */
export const PLAIN_VOICE_NAME = /^(?!.*\.\.)[A-Za-z0-9](?:[A-Za-z0-9 ._+-]{0,62}[A-Za-z0-9])?$/;

/** A BCP-47-like language tag: "en", "ru", "en-US", "pt-br", "zh-Hans-CN", "cmn_latn". */
export const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,4}$/;

/** A voice a request named that the engine does not have (or that is not a plain name at all). */
export class UnknownVoiceError extends Error {
  override name = 'UnknownVoiceError';
  constructor(
    readonly engine: string,
    readonly voice: string,
  ) {
    super(`${engine} has no voice ${JSON.stringify(voice.slice(0, 80))}`);
  }
}

export function isPlainVoiceName(voice: string): boolean {
  return PLAIN_VOICE_NAME.test(voice);
}

export function isLanguageTag(language: string): boolean {
  return LANGUAGE_TAG.test(language);
}
