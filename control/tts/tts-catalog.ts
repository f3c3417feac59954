/**
 * The TTS engines the control plane may use, by name, and the voices each offers. The gateway may
 * pass its own catalog (ControlPlaneOptions.tts) to share engines with the voice pipeline; by
 * default the control plane builds espeak-ng (always available, Russian and English) itself.
 */
import { execFile } from 'node:child_process';
import type { EngineLog } from '../../pipeline/engines/engine-error.ts';
import { EspeakTts } from '../../pipeline/engines/tts-espeak.ts';
import type { TtsEngine } from '../../pipeline/engines/types.ts';

export interface TtsVoice {
  engine: string;
  /** What to pass as `voice` (preset or request). */
  id: string;
  name: string;
  language: string | null;
  gender?: string | null;
}

export interface TtsCatalog {
  /** Engine used when neither the request nor its preset names one. */
  readonly defaultEngine: string;
  engineNames(): string[];
  /** undefined for an unknown name. */
  engine(name: string): TtsEngine | undefined;
  voices(engine?: string): Promise<TtsVoice[]>;
  close(): Promise<void>;
}

/** `espeak-ng --voices` lines: `Pty Language       Age/Gender VoiceName          File                 Other Languages`. */
export function parseEspeakVoices(text: string): TtsVoice[] {
  const out: TtsVoice[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5) continue;
    const [, language, ageGender, name, file] = cols;
    const gender = ageGender.includes('M') ? 'male' : ageGender.includes('F') ? 'female' : null;
    out.push({ engine: 'espeak-ng', id: language, name: `${name} (${file})`, language, gender });
  }
  return out;
}

/** `log` receives what espeak-ng printed when it failed (never shown to clients). */
export function espeakCatalog({ command = 'espeak-ng', log }: { command?: string; log?: EngineLog } = {}): TtsCatalog {
  // Made now, not on the first request: espeak-ng's helper process and a spare voice get ready meanwhile.
  const engine = new EspeakTts({ command, log });
  let voices: Promise<TtsVoice[]> | null = null;
  return {
    defaultEngine: 'espeak-ng',
    engineNames: () => ['espeak-ng'],
    engine: (name) => (name === 'espeak-ng' ? engine : undefined),
    voices(name) {
      if (name && name !== 'espeak-ng') return Promise.resolve([]);
      voices ??= new Promise<TtsVoice[]>((resolve) =>
        execFile(command, ['--voices'], { timeout: 5000, maxBuffer: 1 << 20 }, (err, stdout) => {
          if (err) {
            voices = null; // not installed yet: ask again next time
            resolve([]);
          } else resolve(parseEspeakVoices(stdout));
        }),
      );
      return voices;
    },
    async close() {
      await engine.close();
    },
  };
}
