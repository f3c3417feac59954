/**
 * The answers of the engine, model and about routes as the TTS, STT, Models and About views read
 * them: control/admin/{engines,models,about}-routes.ts, described in docs/control-plane.md
 * ("Models", "Engines at run time", "About"). The UI talks HTTP only, so the shapes are repeated
 * here rather than imported from the server.
 */
export type EngineKind = 'stt' | 'tts';

/** One engine an admin could pick (`choices` of GET /admin/engines). */
export interface EngineOption {
  engine: string;
  available: boolean;
  /** Why it cannot be chosen now, in words; null when available. */
  reason: string | null;
  /** For engines that load a model: the installed manifest models they could load. */
  models: string[];
  /** False: set through the environment only (the OpenAI-compatible servers). */
  settable: boolean;
}

/** What new calls of one kind get now (`stt` or `tts` of GET /admin/engines). */
export interface EngineSlot {
  engine: string;
  model: string | null;
  /** The voice new calls get; null: the engine's default. */
  voice: string | null;
  source: 'environment' | 'admin';
  /** The running engine's own name (`espeak-ng`, `sherpa-onnx-vits`), as /health names it. */
  runtime: string;
  health: { ok: boolean; detail: string | null };
  calls: number;
  /** Engines replaced while calls held them, closed when their last call ends. */
  draining: Array<{ runtime: string; calls: number }>;
  /** An admin's choice stored but not in effect, with why. */
  stored_choice_failed: { choice: unknown; error: string; error_id: string | null } | null;
  choices: EngineOption[];
}

export type EnginesAnswer = Record<EngineKind, EngineSlot>;

/** Whether an option may be picked in the form. */
export const selectable = (o: EngineOption): boolean => o.available && o.settable;

/**
 * What a PUT /admin/engines/:kind body carries beside the engine (control/engines/engine-control.ts,
 * SttChoiceSchema and TtsChoiceSchema): sherpa engines a manifest model, espeak optionally a voice.
 */
export const ENGINE_TAKES: Record<string, 'model' | 'voice'> = {
  'sherpa-online': 'model',
  'sherpa-offline': 'model',
  sherpa: 'model',
  espeak: 'voice',
};

export type JobState = 'queued' | 'downloading' | 'verifying' | 'extracting' | 'done' | 'failed';
export const JOB_ENDED: readonly JobState[] = ['done', 'failed'];

/** A model download (POST /admin/models/:name/fetch answers one; GET /admin/models/jobs/:id polls it). */
export interface ModelJob {
  id: string;
  model: string;
  state: JobState;
  received_bytes: number;
  /** Null until the server said how big the file is. */
  total_bytes: number | null;
  /** Why it failed, in the gateway's words ending with an error id; null unless `failed`. */
  error: string | null;
  error_id: string | null;
  started_at: string;
  finished_at: string | null;
}

export interface ModelItem {
  name: string;
  kind: 'stt-online' | 'stt-offline' | 'tts';
  engine_type: string;
  languages: string[];
  description: string;
  size_bytes: number | null;
  verified: boolean;
  licence: string;
  status: 'installed' | 'incomplete' | 'absent';
  location: 'models_dir' | 'hf_cache' | null;
  /** Files an incomplete install lacks. */
  missing_files: string[];
  in_use: EngineKind | null;
  /** A download running for it. */
  job_id: string | null;
}

export interface ModelsAnswer {
  items: ModelItem[];
  jobs: ModelJob[];
}

export interface AboutAnswer {
  version: string | null;
  commit: string | null;
  node: string;
  platform: string;
  arch: string;
  uptime_s: number;
  started_at: string;
  database: 'sqlite' | 'postgres';
  /** The running engines' names; null without speech engines (the echo pipeline). */
  engines: Record<EngineKind, string> | null;
  ui_build: { hash: string; built_at: string | null } | null;
}
