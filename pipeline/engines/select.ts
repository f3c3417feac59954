/**
 * Engines chosen by configuration: one plain object (from env, a file or the admin UI) in, ready
 * engines out, with errors that say which setting is wrong. The gateway wires these into
 * pipelines; nothing here knows about env variables or sockets.
 *
 * Sherpa models are loaded (and their directories checked) before selectEngines resolves, so a
 * bad model path fails at startup, not on the first call.
 */
import { join, isAbsolute } from 'node:path';
import { findModel, type EngineConfig, type EngineType } from '../../models/manifest.ts';
import type { EngineLog } from './engine-error.ts';
import { OpenAiCompatibleLlm, type LlmProviderConfig } from './llm-openai.ts';
import type { SherpaModelKind } from './sherpa-model-dir.ts';
import { OpenAiCompatibleStt, type OpenAiSttOptions } from './stt-openai.ts';
import { PocketsphinxStt, type PocketsphinxSttOptions } from './stt-pocketsphinx.ts';
import { SherpaOfflineStt, type SherpaOfflineSttOptions } from './stt-sherpa-offline.ts';
import { SherpaOnlineStt, type SherpaOnlineSttOptions } from './stt-sherpa-online.ts';
import { EspeakTts, type EspeakTtsOptions } from './tts-espeak.ts';
import { OpenAiCompatibleTts, type OpenAiTtsOptions } from './tts-openai.ts';
import { SherpaTts, type SherpaTtsOptions } from './tts-sherpa.ts';
import type { LlmEngine, SttEngine, TtsEngine, VadEngine } from './types.ts';
import { SileroVad, type SileroVadOptions } from './vad-silero.ts';

export const STT_ENGINES = ['pocketsphinx', 'sherpa-online', 'sherpa-offline', 'openai'] as const;
export const TTS_ENGINES = ['espeak', 'sherpa', 'openai'] as const;
export const VAD_ENGINES = ['silero'] as const;
export type SttEngineName = (typeof STT_ENGINES)[number];
export type TtsEngineName = (typeof TTS_ENGINES)[number];

/** Where a sherpa model is: a directory, or a manifest name installed under `modelsDir`. */
interface SherpaModelRef {
  /** Model directory; relative paths are taken from `modelsDir`. */
  modelDir?: string;
  /** A name from models/manifest.json: its directory under `modelsDir` and its engine type/files. */
  model?: string;
  /**
   * The sherpa model type when a bare directory's files do not tell it ('nemo-ctc', 'sense-voice',
   * ...), or a manifest entry's engine (type and file names) for a directory the caller resolved.
   */
  type?: EngineType | EngineConfig;
}

export type SttSelection =
  | ({ engine: 'pocketsphinx' } & PocketsphinxSttOptions)
  | ({ engine: 'sherpa-online' } & SherpaModelRef & Omit<SherpaOnlineSttOptions, 'modelDir' | 'engine'>)
  | ({ engine: 'sherpa-offline' } & SherpaModelRef & Omit<SherpaOfflineSttOptions, 'modelDir' | 'engine'>)
  | ({ engine: 'openai' } & OpenAiSttOptions);

export type TtsSelection =
  | ({ engine: 'espeak' } & EspeakTtsOptions)
  | ({ engine: 'sherpa' } & SherpaModelRef & Omit<SherpaTtsOptions, 'modelDir' | 'engine'>)
  | ({ engine: 'openai' } & OpenAiTtsOptions);

export type VadSelection = { engine?: 'silero' } & SileroVadOptions;

export interface EngineSelection {
  /** Default Silero with its defaults. */
  vad?: VadSelection;
  /** Default pocketsphinx (works without downloaded models). */
  stt?: SttSelection;
  /** Default espeak-ng. */
  tts?: TtsSelection;
  /** Providers tried in order (fallback chain); none: the built-in dialogue without an LLM. */
  llm?: LlmProviderConfig[];
  /** Base for relative model directories and manifest names (default 'models'). */
  modelsDir?: string;
}

export interface SelectedEngines {
  vad: VadEngine;
  stt: SttEngine;
  tts: TtsEngine;
  llm?: LlmEngine;
  close(): Promise<void>;
}

export class EngineConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineConfigError';
  }
}

function oneOf(what: string, value: unknown, allowed: readonly string[]): never {
  throw new EngineConfigError(`${what}: unknown engine ${JSON.stringify(value)} (expected one of: ${allowed.join(', ')})`);
}

function need(what: string, o: Record<string, unknown>, keys: string[]): void {
  const missing = keys.filter((k) => o[k] === undefined || o[k] === '');
  if (missing.length) throw new EngineConfigError(`${what}: missing ${missing.join(', ')}`);
}

/** modelDir/model -> the directory and (for manifest names) the engine entry, for resolveModel. */
function sherpaModel(what: string, kind: SherpaModelKind, ref: SherpaModelRef, modelsDir: string): { modelDir: string; engine?: SherpaOnlineSttOptions['engine'] } {
  if (ref.model) {
    const entry = findModel(ref.model);
    if (!entry) throw new EngineConfigError(`${what}: no model named ${JSON.stringify(ref.model)} in models/manifest.json (see \`npm run models -- list\`)`);
    if (entry.kind !== kind) throw new EngineConfigError(`${what}: model ${entry.name} is a ${entry.kind} model, not ${kind}`);
    return { modelDir: ref.modelDir ?? join(modelsDir, entry.name), engine: entry.engine };
  }
  if (!ref.modelDir) throw new EngineConfigError(`${what}: set modelDir (a directory) or model (a name from models/manifest.json)`);
  return { modelDir: isAbsolute(ref.modelDir) ? ref.modelDir : join(modelsDir, ref.modelDir), engine: ref.type };
}

/**
 * Build (and for sherpa, load) the STT engine. Throws EngineConfigError / ModelDirError naming the
 * problem. `log` receives what an engine process or server said when it failed.
 */
export async function createStt(sel: SttSelection = { engine: 'pocketsphinx' }, modelsDir = 'models', log?: EngineLog): Promise<SttEngine> {
  const what = `stt (${String(sel?.engine)})`;
  switch (sel?.engine) {
    case 'pocketsphinx': {
      const { engine: _e, ...o } = sel;
      return new PocketsphinxStt({ log, ...o });
    }
    case 'sherpa-online': {
      const { engine: _e, model: _m, modelDir: _d, type: _t, ...o } = sel;
      const stt = new SherpaOnlineStt({ ...o, ...sherpaModel(what, 'stt-online', sel, modelsDir) });
      await warmOrClose(stt);
      return stt;
    }
    case 'sherpa-offline': {
      const { engine: _e, model: _m, modelDir: _d, type: _t, ...o } = sel;
      const stt = new SherpaOfflineStt({ ...o, ...sherpaModel(what, 'stt-offline', sel, modelsDir) });
      await warmOrClose(stt);
      return stt;
    }
    case 'openai': {
      need(what, sel as unknown as Record<string, unknown>, ['baseURL', 'model']);
      const { engine: _e, ...o } = sel;
      return new OpenAiCompatibleStt({ log, ...o });
    }
    default:
      return oneOf('stt', (sel as { engine?: unknown })?.engine, STT_ENGINES);
  }
}

async function warmOrClose(stt: SherpaOnlineStt | SherpaOfflineStt): Promise<void> {
  try {
    await stt.warm();
  } catch (err) {
    await stt.close();
    throw new EngineConfigError(`${stt.name}: cannot load the model in ${stt.model.dir}: ${(err as Error).message}`);
  }
}

/** Build (and for sherpa, load) the TTS engine; `log` as for createStt. */
export async function createTts(sel: TtsSelection = { engine: 'espeak' }, modelsDir = 'models', log?: EngineLog): Promise<TtsEngine> {
  const what = `tts (${String(sel?.engine)})`;
  switch (sel?.engine) {
    case 'espeak': {
      const { engine: _e, ...o } = sel;
      return new EspeakTts({ log, ...o });
    }
    case 'sherpa': {
      const { engine: _e, model: _m, modelDir: _d, type: _t, ...o } = sel;
      return SherpaTts.load({ ...o, ...sherpaModel(what, 'tts', sel, modelsDir) });
    }
    case 'openai': {
      need(what, sel as unknown as Record<string, unknown>, ['baseURL', 'model', 'voice']);
      const { engine: _e, ...o } = sel;
      return new OpenAiCompatibleTts({ log, ...o });
    }
    default:
      return oneOf('tts', (sel as { engine?: unknown })?.engine, TTS_ENGINES);
  }
}

export function createVad(sel: VadSelection = {}): VadEngine {
  const { engine = 'silero', ...o } = sel;
  if (engine !== 'silero') oneOf('vad', engine, VAD_ENGINES);
  return new SileroVad(o);
}

export function createLlm(providers?: LlmProviderConfig[]): LlmEngine | undefined {
  if (!providers?.length) return undefined;
  providers.forEach((p, i) => need(`llm provider ${p.name ?? i}`, p as unknown as Record<string, unknown>, ['name', 'baseURL', 'model']));
  return new OpenAiCompatibleLlm(providers);
}

/**
 * All engines of a configuration. If one fails, those already built are closed before the error
 * is rethrown, so a failed start leaves no worker threads behind.
 */
export async function selectEngines(sel: EngineSelection = {}): Promise<SelectedEngines> {
  const modelsDir = sel.modelsDir ?? 'models';
  const built: Array<{ close(): Promise<void> }> = [];
  try {
    const llm = createLlm(sel.llm);
    const stt = await createStt(sel.stt, modelsDir);
    built.push(stt);
    const tts = await createTts(sel.tts, modelsDir);
    built.push(tts);
    const vad = createVad(sel.vad);
    built.push(vad);
    return {
      vad,
      stt,
      tts,
      llm,
      close: async () => {
        await Promise.all(built.map((e) => e.close()));
      },
    };
  } catch (err) {
    await Promise.all(built.map((e) => e.close().catch(() => {})));
    throw err;
  }
}
