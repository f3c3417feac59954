/**
 * From a model directory to a sherpa-onnx config: which model type it holds (from the manifest's
 * `engine` entry when the caller has one, otherwise guessed from the file names), checked before
 * sherpa-onnx sees it.
 *
 * The checks matter because sherpa-onnx does not fail politely: a missing metadata key or a wrong
 * model type ends the whole process with `_Exit(-1)` from C++ (macros.h), and a missing file is
 * reported only as "Please check your config!". So everything we can check cheaply in TypeScript
 * (directory, files, non-empty ONNX protobuf, tokens.txt lines) is checked here, with messages
 * that name the directory and the file. What is left (a valid ONNX graph of the wrong type) is
 * documented in docs/engines.md: use `npm run models -- fetch`, whose checksums rule it out.
 */
import { existsSync, openSync, readFileSync, readSync, closeSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { EngineConfig, EngineType } from '../../models/manifest.ts';

export type SherpaModelKind = 'stt-online' | 'stt-offline' | 'tts';

/** Types each kind can load; mirrors models/manifest.ts ENGINES_FOR_KIND. */
export const SHERPA_TYPES: Record<SherpaModelKind, readonly EngineType[]> = {
  'stt-online': ['transducer', 'paraformer', 'zipformer2-ctc', 't-one-ctc'],
  'stt-offline': ['transducer', 'paraformer', 'zipformer2-ctc', 'nemo-ctc', 'whisper', 'sense-voice'],
  tts: ['vits', 'matcha', 'kokoro'],
};

export interface SherpaModelSpec {
  /** Directory holding the model files (e.g. one unpacked by `npm run models -- fetch`). */
  modelDir: string;
  /**
   * The manifest entry's engine ({ type, files }), or just a type to pick files by name. Without
   * it the type is guessed from the files (and, for one-file models, the directory name).
   */
  engine?: EngineConfig | EngineType;
}

export interface ResolvedModel {
  type: EngineType;
  dir: string;
  /** Role -> absolute path (lexicon may hold several, comma-separated). */
  files: Record<string, string>;
}

export class ModelDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelDirError';
  }
}

const ONNX = /\.onnx$/i;

/** A file name for `role` among `names`: `model.int8.onnx` beats `model.onnx` (faster on CPU, same quality for our use). */
function pickOnnx(names: string[], role: RegExp | null): string | undefined {
  const hits = names.filter((n) => ONNX.test(n) && (!role || role.test(n)));
  return hits.find((n) => /int8/i.test(n)) ?? hits[0];
}

function guessType(kind: SherpaModelKind, dir: string, names: string[]): EngineType {
  const lower = basename(dir).toLowerCase();
  const has = (re: RegExp) => names.some((n) => ONNX.test(n) && re.test(n));
  if (kind === 'tts') {
    if (names.includes('voices.bin')) return 'kokoro';
    if (has(/vocos|hifigan|vocoder/i)) return 'matcha';
    return 'vits';
  }
  if (has(/encoder/i) && has(/decoder/i) && has(/joiner/i)) return 'transducer';
  if (has(/encoder/i) && has(/decoder/i)) return kind === 'stt-online' || /paraformer/.test(lower) ? 'paraformer' : 'whisper';
  if (kind === 'stt-online') return /t-one|tone/.test(lower) ? 't-one-ctc' : 'zipformer2-ctc';
  if (/sense-?voice/.test(lower)) return 'sense-voice';
  if (/paraformer/.test(lower)) return 'paraformer';
  if (/zipformer/.test(lower)) return 'zipformer2-ctc';
  return 'nemo-ctc';
}

/** Files each type needs, found by name when no manifest entry lists them. */
function guessFiles(type: EngineType, names: string[]): Record<string, string | undefined> {
  const tokens = names.includes('tokens.txt') ? 'tokens.txt' : names.find((n) => n.endsWith('tokens.txt'));
  const dataDir = names.includes('espeak-ng-data') ? 'espeak-ng-data' : undefined;
  const lexicons = names.filter((n) => /^lexicon.*\.txt$/.test(n));
  const lexicon = lexicons.length ? lexicons.join(',') : undefined;
  switch (type) {
    case 'transducer':
      return { encoder: pickOnnx(names, /encoder/i), decoder: pickOnnx(names, /decoder/i), joiner: pickOnnx(names, /joiner/i), tokens };
    case 'whisper':
      return { encoder: pickOnnx(names, /encoder/i), decoder: pickOnnx(names, /decoder/i), tokens };
    case 'paraformer': {
      const encoder = pickOnnx(names, /encoder/i);
      if (encoder) return { encoder, decoder: pickOnnx(names, /decoder/i), tokens };
      return { model: pickOnnx(names, null), tokens };
    }
    case 'matcha':
      return {
        acousticModel: pickOnnx(names.filter((n) => !/vocos|hifigan|vocoder/i.test(n)), null),
        vocoder: pickOnnx(names, /vocos|hifigan|vocoder/i),
        tokens,
        dataDir,
        lexicon,
      };
    case 'kokoro':
      return { model: pickOnnx(names, null), voices: 'voices.bin', tokens, dataDir, lexicon };
    case 'vits':
      return { model: pickOnnx(names, null), tokens, dataDir, lexicon };
    default:
      return { model: pickOnnx(names, null), tokens };
  }
}

/** Roles whose files must exist for each type (the rest are optional). */
const OPTIONAL_ROLES = new Set(['dataDir', 'lexicon']);

/** An ONNX file is a protobuf ModelProto; its first field is ir_version (tag 0x08). Catches empty files and HTML error pages. */
function checkOnnx(path: string, where: string): void {
  const size = statSync(path).size;
  if (size === 0) throw new ModelDirError(`${where}: ${basename(path)} is empty`);
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(1);
  try {
    readSync(fd, head, 0, 1, 0);
  } finally {
    closeSync(fd);
  }
  if (head[0] !== 0x08) throw new ModelDirError(`${where}: ${basename(path)} is not an ONNX model (a failed download?)`);
}

/** tokens.txt: one "symbol id" per line (sherpa-onnx's SymbolTable). */
function checkTokens(path: string, where: string, type: EngineType): void {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  if (!lines.length) throw new ModelDirError(`${where}: ${basename(path)} is empty`);
  const bad = lines.findIndex((l) => !/^(\S+|\s)?\s+-?\d+\s*$/.test(l));
  if (bad >= 0) throw new ModelDirError(`${where}: ${basename(path)} line ${bad + 1} is not "<symbol> <id>": ${JSON.stringify(lines[bad].slice(0, 40))}`);
  // CTC decoders exit the process when there is no blank symbol: say so here instead.
  if (['zipformer2-ctc', 'nemo-ctc', 't-one-ctc'].includes(type) && !lines.some((l) => /^(<blk>|<eps>|<blank>)\s/.test(l))) {
    throw new ModelDirError(`${where}: ${basename(path)} has no <blk>, <eps> or <blank> symbol, which a CTC model needs`);
  }
}

/**
 * Resolve and check a model directory for `kind`. Throws ModelDirError naming the directory and
 * what is wrong: it does not exist, the type cannot serve this kind, a file is missing or broken.
 */
export function resolveModel(kind: SherpaModelKind, spec: SherpaModelSpec): ResolvedModel {
  if (!spec?.modelDir) throw new ModelDirError(`sherpa-onnx ${kind}: no model directory configured`);
  const dir = resolve(spec.modelDir);
  const where = `sherpa-onnx ${kind} model dir ${dir}`;
  if (!existsSync(dir)) throw new ModelDirError(`${where}: does not exist (fetch one with \`npm run models -- fetch <name>\`)`);
  if (!statSync(dir).isDirectory()) throw new ModelDirError(`${where}: is not a directory`);
  const names = readdirSync(dir).sort();
  const given = typeof spec.engine === 'string' ? { type: spec.engine } : spec.engine;
  const type = given?.type ?? guessType(kind, dir, names);
  if (!SHERPA_TYPES[kind].includes(type)) {
    throw new ModelDirError(`${where}: a ${type} model cannot serve ${kind} (use one of: ${SHERPA_TYPES[kind].join(', ')})`);
  }
  const listed = given && 'files' in given ? (given.files as Record<string, string | undefined>) : null;
  const wanted = listed ?? guessFiles(type, names);
  const files: Record<string, string> = {};
  for (const [role, name] of Object.entries(wanted)) {
    if (!name) {
      if (OPTIONAL_ROLES.has(role)) continue;
      throw new ModelDirError(`${where}: no ${role} file for a ${type} model (files there: ${names.join(', ') || 'none'})`);
    }
    const parts = name.split(',').map((n) => join(dir, n));
    for (const p of parts) if (!existsSync(p)) throw new ModelDirError(`${where}: ${basename(p)} (${role}) is missing`);
    for (const p of parts) if (ONNX.test(p)) checkOnnx(p, where);
    if (role === 'tokens') checkTokens(parts[0], where, type);
    files[role] = parts.join(',');
  }
  return { type, dir, files };
}

/* ------------------------------------------------------------------ config builders */

export interface SherpaRuntimeOptions {
  /** ONNX Runtime intra-op threads per model (default 1: calls run in parallel instead). */
  numThreads?: number;
  /** 'cpu' (default), 'cuda', 'coreml'. */
  provider?: string;
  /** sherpa-onnx debug logging to stderr. */
  debug?: boolean;
}

const FEAT = { sampleRate: 16000, featureDim: 80 };

function common(m: ResolvedModel, o: SherpaRuntimeOptions) {
  return { tokens: m.files.tokens, numThreads: o.numThreads ?? 1, provider: o.provider ?? 'cpu', debug: o.debug ? 1 : 0 };
}

export interface OnlineEndpointOptions {
  /** Endpoint after this much trailing silence once nothing was decoded (seconds, sherpa rule 1; default 2.4). */
  rule1MinTrailingSilence?: number;
  /** Endpoint after this much trailing silence after some text (seconds, sherpa rule 2; default 0.8 for phone turns). */
  rule2MinTrailingSilence?: number;
  /** Endpoint at this utterance length whatever else (seconds, rule 3; default 20). */
  rule3MinUtteranceLength?: number;
}

export function onlineRecognizerConfig(m: ResolvedModel, o: SherpaRuntimeOptions & OnlineEndpointOptions = {}): Record<string, unknown> {
  const f = m.files;
  const model: Record<string, unknown> = common(m, o);
  if (m.type === 'transducer') model.transducer = { encoder: f.encoder, decoder: f.decoder, joiner: f.joiner };
  else if (m.type === 'paraformer') model.paraformer = { encoder: f.encoder, decoder: f.decoder };
  else if (m.type === 'zipformer2-ctc') model.zipformer2Ctc = { model: f.model };
  else if (m.type === 't-one-ctc') model.toneCtc = { model: f.model };
  else throw new ModelDirError(`sherpa-onnx: ${m.type} is not a streaming model`);
  return {
    featConfig: FEAT,
    modelConfig: model,
    decodingMethod: 'greedy_search',
    enableEndpoint: 1,
    rule1MinTrailingSilence: o.rule1MinTrailingSilence ?? 2.4,
    rule2MinTrailingSilence: o.rule2MinTrailingSilence ?? 0.8,
    rule3MinUtteranceLength: o.rule3MinUtteranceLength ?? 20,
  };
}

export interface OfflineRecognizerOptions extends SherpaRuntimeOptions {
  /** Whisper / SenseVoice language ('en', 'ru'; '' or 'auto' detects). */
  language?: string;
}

export function offlineRecognizerConfig(m: ResolvedModel, o: OfflineRecognizerOptions = {}): Record<string, unknown> {
  const f = m.files;
  const model: Record<string, unknown> = common(m, o);
  if (m.type === 'whisper') model.whisper = { encoder: f.encoder, decoder: f.decoder, language: o.language && o.language !== 'auto' ? o.language : '', task: 'transcribe', tailPaddings: -1 };
  else if (m.type === 'sense-voice') model.senseVoice = { model: f.model, language: o.language || 'auto', useInverseTextNormalization: 1 };
  else if (m.type === 'nemo-ctc') model.nemoCtc = { model: f.model };
  else if (m.type === 'zipformer2-ctc') model.zipformerCtc = { model: f.model };
  else if (m.type === 'transducer') model.transducer = { encoder: f.encoder, decoder: f.decoder, joiner: f.joiner };
  else if (m.type === 'paraformer') model.paraformer = { model: f.model };
  else throw new ModelDirError(`sherpa-onnx: ${m.type} is not an offline recognizer model`);
  return { featConfig: FEAT, modelConfig: model, decodingMethod: 'greedy_search' };
}

export interface OfflineTtsOptions extends SherpaRuntimeOptions {
  /** Sentences per generation step (default 1: one onProgress chunk per sentence, lowest latency). */
  maxNumSentences?: number;
}

export function offlineTtsConfig(m: ResolvedModel, o: OfflineTtsOptions = {}): Record<string, unknown> {
  const f = m.files;
  const rt = { numThreads: o.numThreads ?? 1, provider: o.provider ?? 'cpu', debug: o.debug ? 1 : 0 };
  const opt = (k: string) => (f[k] ? { [k]: f[k] } : {});
  let model: Record<string, unknown>;
  if (m.type === 'vits') model = { vits: { model: f.model, tokens: f.tokens, ...opt('lexicon'), ...opt('dataDir') }, ...rt };
  else if (m.type === 'matcha') model = { matcha: { acousticModel: f.acousticModel, vocoder: f.vocoder, tokens: f.tokens, ...opt('lexicon'), ...opt('dataDir') }, ...rt };
  else if (m.type === 'kokoro') model = { kokoro: { model: f.model, voices: f.voices, tokens: f.tokens, ...opt('lexicon'), ...opt('dataDir') }, ...rt };
  else throw new ModelDirError(`sherpa-onnx: ${m.type} is not a TTS model`);
  return { model, maxNumSentences: o.maxNumSentences ?? 1 };
}
