/**
 * From an owner's choice to a running engine: the choice is checked against the model catalog
 * (manifest names only, installed, of the right kind; the directory is the catalog's, never a
 * client's) and the voice list, turned into a select.ts selection, built, and, before any call
 * gets it, tried: a sentence synthesised, a moment of silence recognised. Whatever fails becomes
 * an EngineChoiceError (the choice itself is refused) or an EngineStartError (our words and an
 * error id; what the engine or sherpa-onnx said is in the log under that id).
 */
import { EngineChoiceError, EngineStartError, type EngineKind, type SttChoice, type TtsChoice } from '../../control/engines/engine-control.ts';
import { EngineError, engineFailure, type EngineLog } from '../../pipeline/engines/engine-error.ts';
import type { ModelCatalog, ModelEntry, ModelKind } from '../../pipeline/engines/model-catalog.ts';
import { createStt, createTts, EngineConfigError, type SttSelection, type TtsSelection } from '../../pipeline/engines/select.ts';
import { ModelDirError } from '../../pipeline/engines/sherpa-model-dir.ts';
import type { SttEngine, TtsEngine } from '../../pipeline/engines/types.ts';

/** A try that does not answer by then fails the switch (a hung engine must not hang the request). */
const TRY_TIMEOUT_MS = 30_000;

export interface BuildContext {
  catalog: ModelCatalog;
  /** Base for the environment's relative model directories and manifest names (MODELS_DIR). */
  modelsDir: string;
  /** Whether espeak-ng has this voice (its list); null when it lists none (not installed): the name's shape is then all there is to check. */
  espeakTakes(voice: string): Promise<boolean | null>;
  log: EngineLog;
}

const SHERPA_KIND: Record<string, ModelKind> = { 'sherpa-online': 'stt-online', 'sherpa-offline': 'stt-offline', sherpa: 'tts' };

/** The installed manifest model a sherpa choice names, as a selection's directory and engine (type and files). */
async function sherpaModel(ctx: BuildContext, engine: string, name: string): Promise<{ modelDir: string; type: ModelEntry['engine'] }> {
  const entry = ctx.catalog.find(name);
  if (!entry) {
    const close = ctx.catalog.closeTo(name);
    throw new EngineChoiceError('unknown_model', `no model named ${JSON.stringify(name)} in the manifest (GET /admin/models lists them)`, { did_you_mean: close.slice(0, 5) });
  }
  const kind = SHERPA_KIND[engine];
  if (entry.kind !== kind) throw new EngineChoiceError('wrong_model_kind', `${name} is a ${entry.kind} model; ${engine} loads ${kind} models`, { kind: entry.kind });
  const install = await ctx.catalog.install(entry);
  if (install.state !== 'installed' || !install.path) {
    throw new EngineChoiceError('model_not_installed', `${name} is not installed${install.state === 'incomplete' ? ' completely' : ''}; fetch it first (POST /admin/models/${name}/fetch)`, { status: install.state });
  }
  return { modelDir: install.path, type: entry.engine };
}

export async function sttSelectionOf(ctx: BuildContext, choice: SttChoice): Promise<SttSelection> {
  if (choice.engine === 'pocketsphinx') return { engine: 'pocketsphinx' };
  return { engine: choice.engine, ...(await sherpaModel(ctx, choice.engine, choice.model)) };
}

export async function ttsSelectionOf(ctx: BuildContext, choice: TtsChoice): Promise<TtsSelection> {
  if (choice.engine === 'sherpa') return { engine: 'sherpa', ...(await sherpaModel(ctx, 'sherpa', choice.model)) };
  if (choice.voice !== undefined && (await ctx.espeakTakes(choice.voice)) === false) {
    throw new EngineChoiceError('unknown_voice', `espeak-ng has no voice ${JSON.stringify(choice.voice.slice(0, 64))} (GET /admin/tts/voices?engine=espeak-ng lists them)`);
  }
  if (choice.voice === undefined) return { engine: 'espeak' };
  // espeak-ng speaks Russian text with its Russian voice and the rest with its other one: a chosen
  // Russian voice (ru, ru+f3) replaces the former, any other voice the latter.
  return { engine: 'espeak', ...(/^ru(?:$|[-_+])/i.test(choice.voice) ? { russianVoice: choice.voice } : { voice: choice.voice }) };
}

const what = (kind: EngineKind, engine: string) => `${kind === 'stt' ? 'the speech recogniser' : 'the voice'} ${engine}`;

/** Build the STT engine; with `tryIt`, recognise half a second of silence before it is handed out. */
export async function buildStt(ctx: BuildContext, sel: SttSelection, tryIt: boolean): Promise<SttEngine> {
  let stt: SttEngine | null = null;
  try {
    stt = await createStt(sel, ctx.modelsDir, ctx.log);
    const engine = stt;
    if (tryIt) await withDeadline(engine.transcribe(new Int16Array(8000)), () => `${engine.name} did not answer within ${TRY_TIMEOUT_MS / 1000} s`);
    return stt;
  } catch (err) {
    await stt?.close().catch(() => {});
    throw startFailure(ctx.log, what('stt', sel.engine), err);
  }
}

/** Build the TTS engine and wait until it is warm; with `tryIt`, synthesise a sentence before it is handed out. */
export async function buildTts(ctx: BuildContext, sel: TtsSelection, tryIt: boolean): Promise<TtsEngine> {
  let tts: TtsEngine | null = null;
  try {
    tts = await createTts(sel, ctx.modelsDir, ctx.log);
    await tts.ready?.();
    const engine = tts;
    if (tryIt) {
      const samples = await withDeadline(countSamples(engine), () => `${engine.name} did not answer within ${TRY_TIMEOUT_MS / 1000} s`);
      if (samples === 0) throw new Error(`${engine.name} produced no audio`);
    }
    return tts;
  } catch (err) {
    await tts?.close().catch(() => {});
    throw startFailure(ctx.log, what('tts', sel.engine), err);
  }
}

async function countSamples(tts: TtsEngine): Promise<number> {
  let n = 0;
  for await (const chunk of tts.synthesize('Hello.')) n += chunk.pcm.length;
  return n;
}

async function withDeadline<T>(work: Promise<T>, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message())), TRY_TIMEOUT_MS)));
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Our words for a failed build, and an error id under which the details are logged. An engine's
 * own EngineError was logged already (its message is ours and carries its id); a choice the
 * catalog refused is passed on as it is.
 */
export function startFailure(log: EngineLog, subject: string, err: unknown): EngineChoiceError | EngineStartError {
  if (err instanceof EngineChoiceError || err instanceof EngineStartError) return err;
  if (err instanceof EngineError) return new EngineStartError(`${subject} could not be started: ${err.message}`, err.errorId);
  const reason =
    err instanceof ModelDirError ? "its model's files are missing or damaged" : err instanceof EngineConfigError ? 'its settings are incomplete' : 'the engine failed to load or to answer';
  const logged = engineFailure(log, subject, `could not be started: ${reason}`, { err });
  return new EngineStartError(`${subject} could not be started: ${reason} (error id ${logged.errorId})`, logged.errorId);
}
