/**
 * What the admin API needs from the gateway's live speech engines, as an interface the gateway
 * implements (gateway/engines/live-engines.ts builds and swaps engines; the control plane only
 * asks). Until the gateway attaches one (cp.setEngines), the /admin/engines routes answer 503
 * `engines_unavailable`: a control plane alone, or a gateway running the echo pipeline, has none.
 *
 * An owner's choice is deliberately narrower than pipeline/engines/select.ts's selections: an
 * engine name, a model by its manifest name (installed ones only, never a path) and, for espeak-ng,
 * a voice from its list. OpenAI-compatible STT/TTS servers stay set by the environment
 * (STT_ENGINE=openai, TTS_ENGINE=openai; docs/engines.md).
 */
import { z } from 'zod';

export const ENGINE_KINDS = ['stt', 'tts'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

/** A manifest name: what models/manifest.ts allows, bounded. */
const ModelName = z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a model name from GET /admin/models');

export const SttChoiceSchema = z.discriminatedUnion('engine', [
  z.strictObject({ engine: z.literal('pocketsphinx') }),
  z.strictObject({ engine: z.literal('sherpa-online'), model: ModelName }),
  z.strictObject({ engine: z.literal('sherpa-offline'), model: ModelName }),
]);
export type SttChoice = z.infer<typeof SttChoiceSchema>;

export const TtsChoiceSchema = z.discriminatedUnion('engine', [
  z.strictObject({ engine: z.literal('espeak'), voice: z.string().min(1).max(64).optional() }),
  z.strictObject({ engine: z.literal('sherpa'), model: ModelName }),
]);
export type TtsChoice = z.infer<typeof TtsChoiceSchema>;

export type EngineChoice<K extends EngineKind> = K extends 'stt' ? SttChoice : TtsChoice;

export const CHOICE_SCHEMAS = { stt: SttChoiceSchema, tts: TtsChoiceSchema } as const;

/** One engine an owner could pick, and why not when it cannot be picked now. */
export interface EngineOption {
  engine: string;
  available: boolean;
  /** Why not, in words (pocketsphinx not installed, no model installed, set by the environment only...); null when available. */
  reason: string | null;
  /** For engines that load a model: the installed manifest models of the right kind, by name. */
  models: string[];
  /** Whether the owner may choose it through the API (false: environment only). */
  settable: boolean;
}

/** What new calls of one kind get now, where that comes from, and what else there is. */
export interface EngineSlotView {
  /** The engine as chosen: `pocketsphinx`, `sherpa-online`, `espeak`, `openai`, ... */
  engine: string;
  /** The manifest model (or, for a directory set by the environment, its directory name); null when none. */
  model: string | null;
  /** The voice new calls get by default (TTS); null for the engine's own default. */
  voice: string | null;
  /** `admin`: chosen through this API and stored; `environment`: STT_ENGINE / TTS_ENGINE and friends. */
  source: 'environment' | 'admin';
  /** The running engine's own name, as /health shows it (`espeak-ng`, `sherpa-onnx-vits`, ...). */
  runtime: string;
  health: { ok: boolean; detail: string | null };
  /** Calls that hold the current engine. */
  calls: number;
  /** Engines replaced while calls held them, closed when their last call ends. */
  draining: Array<{ runtime: string; calls: number }>;
  /**
   * An owner's choice that is stored but not in effect: it could not be built (at start, or when
   * another gateway stored it), so the environment's (or the previous) engine serves instead.
   */
  stored_choice_failed: { choice: unknown; error: string; error_id: string | null } | null;
  choices: EngineOption[];
}

/** A choice the catalog or the engine's voice list refuses before anything is built (HTTP 400/404). */
export class EngineChoiceError extends Error {
  override name = 'EngineChoiceError';
  constructor(
    readonly problem: 'unknown_model' | 'model_not_installed' | 'wrong_model_kind' | 'unknown_voice' | 'engine_unavailable',
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The engine could not be built or warmed (HTTP 422); the engine before it stays. Our words and an error id. */
export class EngineStartError extends Error {
  override name = 'EngineStartError';
  constructor(
    message: string,
    readonly errorId: string,
  ) {
    super(message);
  }
}

export interface EngineControl {
  view(kind: EngineKind): Promise<EngineSlotView>;
  /**
   * Build and warm the chosen engine, store the choice (it wins over the environment from now on,
   * restarts included) and hand it to new calls; calls in progress keep theirs. Throws
   * EngineChoiceError or EngineStartError, and then nothing changed.
   */
  choose<K extends EngineKind>(kind: K, choice: EngineChoice<K>, by: number | null): Promise<EngineSlotView>;
  /** Back to the environment's engine: built first (EngineStartError: nothing changed), then the stored choice is removed. */
  reset(kind: EngineKind): Promise<EngineSlotView>;
  /** Manifest models the engines use now, current or still held by calls: they cannot be removed. */
  modelsInUse(): Map<string, EngineKind>;
  /** The running engines' own names (for /admin/about). */
  runtimeNames(): Record<EngineKind, string>;
}

/** Where an owner's choice is kept: the `system_config` table, under keys no /admin/config route knows. */
export const STORED_CHOICE_KEY: Record<EngineKind, string> = { stt: 'engines.stt', tts: 'engines.tts' };
