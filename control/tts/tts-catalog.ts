/**
 * The TTS engines the control plane may use, by name, and the voices each offers. The gateway may
 * pass its own catalog (ControlPlaneOptions.tts) to share engines with the voice pipeline; by
 * default the control plane builds espeak-ng (always available, Russian and English) itself.
 */
import { execFile } from 'node:child_process';
import type { EngineLog } from '../../pipeline/engines/engine-error.ts';
import { EspeakTts } from '../../pipeline/engines/tts-espeak.ts';
import type { TtsEngine } from '../../pipeline/engines/types.ts';
import { espeakTakes, parseEspeakVariants, parseEspeakVoices } from './espeak-voices.ts';
import type { TtsVoice } from './tts-voice.ts';

export type { TtsVoice } from './tts-voice.ts';

export interface TtsCatalog {
  /** Engine used when neither the request nor its preset names one. */
  readonly defaultEngine: string;
  engineNames(): string[];
  /** undefined for an unknown name. */
  engine(name: string): TtsEngine | undefined;
  voices(engine?: string): Promise<TtsVoice[]>;
  /**
   * Whether `engine` takes `voice`, where it accepts more than the listed ids (aliases, variants,
   * other spellings). Without it, a voice is taken when it is one of voices()' ids.
   */
  takesVoice?(engine: string, voice: string): Promise<boolean>;
  close(): Promise<void>;
}

/** `log` receives what espeak-ng printed when it failed (never shown to clients). */
export function espeakCatalog({ command = 'espeak-ng', log }: { command?: string; log?: EngineLog } = {}): TtsCatalog {
  // Made now, not on the first request: espeak-ng's helper process and a spare voice get ready meanwhile.
  const engine = new EspeakTts({ command, log });
  const voices = espeakListing(command, ['--voices'], parseEspeakVoices);
  const variants = espeakListing(command, ['--voices=variant'], parseEspeakVariants);
  return {
    defaultEngine: 'espeak-ng',
    engineNames: () => ['espeak-ng'],
    engine: (name) => (name === 'espeak-ng' ? engine : undefined),
    voices: (name) => (name && name !== 'espeak-ng' ? Promise.resolve([]) : voices()),
    async takesVoice(name, voice) {
      return name === 'espeak-ng' && espeakTakes(voice, await voices(), await variants());
    },
    async close() {
      await engine.close();
    },
  };
}

/** One of espeak-ng's listings, read once (again next time while it fails: not installed yet). */
function espeakListing<T>(command: string, args: string[], parse: (stdout: string) => T[]): () => Promise<T[]> {
  let listing: Promise<T[]> | null = null;
  return () =>
    (listing ??= new Promise<T[]>((resolve) =>
      execFile(command, args, { timeout: 5000, maxBuffer: 1 << 20 }, (err, stdout) => {
        if (err) {
          listing = null;
          resolve([]);
        } else resolve(parse(stdout));
      }),
    ));
}

/**
 * Whether `engine` of `catalog` takes `voice` (see TtsCatalog.takesVoice); null when the engine
 * lists no voices, so only the shape of the name can be checked.
 */
export async function catalogTakesVoice(catalog: TtsCatalog, engine: string, voice: string): Promise<boolean | null> {
  const voices = await catalog.voices(engine);
  if (!voices.length) return null;
  return catalog.takesVoice ? catalog.takesVoice(engine, voice) : voices.some((v) => v.id === voice);
}
