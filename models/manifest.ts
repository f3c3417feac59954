// The model manifest: what we recommend, where it comes from, and what files an engine needs.
// The data lives in manifest.json so it can be edited without touching code; this file is the
// schema that keeps the data honest (every engine type lists exactly the files it needs, every
// kind is served by a compatible engine) and the lookups the CLI and the pipeline use.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const MODEL_KINDS = ['stt-online', 'stt-offline', 'tts', 'vad'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

// A file name inside the model directory. No separators: sherpa-onnx gets an absolute path we
// build by joining the model dir and this name, and a '..' here would escape the models dir.
const fileName = z.string().min(1).regex(/^[^/\\]+$/, 'a plain file name, no directories').refine((s) => s !== '.' && s !== '..');
// sherpa-onnx takes several lexicons as one comma-separated string; each part is a file name.
const fileList = z.string().min(1).refine((s) => s.split(',').every((p) => fileName.safeParse(p).success), 'comma-separated file names');

// One member per sherpa-onnx model type, each with the files its config needs. strictObject so a
// typo ("tokenz") fails loudly instead of becoming a silently missing file at load time.
const transducer = z.strictObject({ type: z.literal('transducer'), files: z.strictObject({ encoder: fileName, decoder: fileName, joiner: fileName, tokens: fileName }) });
const paraformer = z.strictObject({ type: z.literal('paraformer'), files: z.union([z.strictObject({ model: fileName, tokens: fileName }), z.strictObject({ encoder: fileName, decoder: fileName, tokens: fileName })]) });
const singleModel = <T extends string>(type: T) => z.strictObject({ type: z.literal(type), files: z.strictObject({ model: fileName, tokens: fileName }) });
const whisper = z.strictObject({ type: z.literal('whisper'), files: z.strictObject({ encoder: fileName, decoder: fileName, tokens: fileName }) });
const vits = z.strictObject({ type: z.literal('vits'), files: z.strictObject({ model: fileName, tokens: fileName, dataDir: fileName.optional(), lexicon: fileList.optional() }) });
const matcha = z.strictObject({ type: z.literal('matcha'), files: z.strictObject({ acousticModel: fileName, vocoder: fileName, tokens: fileName, dataDir: fileName.optional(), lexicon: fileList.optional() }) });
const kokoro = z.strictObject({ type: z.literal('kokoro'), files: z.strictObject({ model: fileName, voices: fileName, tokens: fileName, dataDir: fileName, lexicon: fileList.optional() }) });
const sileroVad = z.strictObject({ type: z.literal('silero-vad'), files: z.strictObject({ model: fileName }) });

export const engineSchema = z.discriminatedUnion('type', [
  transducer, paraformer, singleModel('zipformer2-ctc'), singleModel('nemo-ctc'), singleModel('sense-voice'), singleModel('t-one-ctc'),
  whisper, vits, matcha, kokoro, sileroVad,
]);
export type EngineConfig = z.infer<typeof engineSchema>;
export type EngineType = EngineConfig['type'];

// Which engine types can serve which kind; mirrors sherpa-onnx's OnlineRecognizer / OfflineRecognizer /
// OfflineTts / Vad split, so a manifest entry can never send a Whisper model to the streaming recognizer.
export const ENGINES_FOR_KIND: Record<ModelKind, readonly EngineType[]> = {
  'stt-online': ['transducer', 'paraformer', 'zipformer2-ctc', 't-one-ctc'],
  'stt-offline': ['transducer', 'paraformer', 'zipformer2-ctc', 'nemo-ctc', 'whisper', 'sense-voice'],
  tts: ['vits', 'matcha', 'kokoro'],
  vad: ['silero-vad'],
};

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex sha256');
// Archives unpack into a directory named like the archive; that convention is what lets us find
// the files after extraction, so the schema insists the entry name matches the URL's file name.
const ARCHIVE_SUFFIX = '.tar.bz2';

export const modelEntrySchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a directory-safe name'),
  kind: z.enum(MODEL_KINDS),
  languages: z.array(z.string().min(2)),
  description: z.string().min(1),
  engine: engineSchema,
  url: z.string().regex(/^https:\/\/\S+$/, 'an https URL'),
  sizeBytes: z.number().int().positive().nullable(),
  sha256: sha256.nullable(),
  licence: z.string().min(1),
  verified: z.boolean(),
  note: z.string().min(1),
}).superRefine((e, ctx) => {
  if (!ENGINES_FOR_KIND[e.kind].includes(e.engine.type)) {
    ctx.addIssue({ code: 'custom', path: ['engine', 'type'], message: `engine ${e.engine.type} cannot serve kind ${e.kind}` });
  }
  if (e.kind !== 'vad' && e.languages.length === 0) ctx.addIssue({ code: 'custom', path: ['languages'], message: 'speech models need at least one language' });
  if (e.verified && (e.sha256 === null || e.sizeBytes === null)) {
    ctx.addIssue({ code: 'custom', path: ['verified'], message: 'verified entries must pin both sha256 and sizeBytes' });
  }
  const file = urlFileName(e.url);
  if (file.endsWith(ARCHIVE_SUFFIX) ? file !== e.name + ARCHIVE_SUFFIX : !Object.values(e.engine.files).includes(file)) {
    ctx.addIssue({ code: 'custom', path: ['url'], message: `archive must be ${e.name}${ARCHIVE_SUFFIX}, or a single file the engine lists` });
  }
});
export type ModelEntry = z.infer<typeof modelEntrySchema>;

export const manifestSchema = z.object({
  $comment: z.string().optional(),
  models: z.array(modelEntrySchema).min(1),
}).superRefine((m, ctx) => {
  const seen = new Set<string>();
  m.models.forEach((e, i) => {
    if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: ['models', i, 'name'], message: `duplicate name ${e.name}` });
    seen.add(e.name);
  });
});
export type Manifest = z.infer<typeof manifestSchema>;

export function urlFileName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
}

/** How the downloaded file becomes a model directory. */
export function isArchive(entry: ModelEntry): boolean {
  return urlFileName(entry.url).endsWith(ARCHIVE_SUFFIX);
}

export function parseManifest(data: unknown, source = 'manifest'): Manifest {
  const r = manifestSchema.safeParse(data);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`${source} is invalid:\n${lines.join('\n')}`);
  }
  return r.data;
}

export const MANIFEST_PATH = new URL('./manifest.json', import.meta.url);

let cached: Manifest | undefined;
/** The bundled manifest, parsed once. A broken manifest is a programming error: fail at load. */
export function loadManifest(): Manifest {
  cached ??= parseManifest(JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')), 'models/manifest.json');
  return cached;
}

export function findModel(name: string, manifest: Manifest = loadManifest()): ModelEntry | undefined {
  return manifest.models.find((m) => m.name === name);
}

/** The file names an installed model must have, for completeness checks. Lexicon lists are split. */
export function requiredFiles(entry: ModelEntry): string[] {
  return Object.values(entry.engine.files as Record<string, string | undefined>)
    .filter((v): v is string => typeof v === 'string')
    .flatMap((v) => v.split(','));
}
