/**
 * The engine, model and about routes (`/admin/engines`, `/admin/models`, `/admin/about`) as the
 * TTS, STT, Models and About views read them. Those routes were specified before they were
 * written, and the first implementation named a few things differently (a view per kind carrying
 * its own `choices` instead of one `available` map, `source: 'environment'`, a failed stored
 * choice as `stored_choice_failed`, job errors as text): the readers below take either form, so
 * the views do not break whichever way the names settle.
 */
export type EngineKind = 'stt' | 'tts';

export interface EngineNow {
  engine: string;
  model: string | null;
  voice: string | null;
  /** 'env': the environment's choice at start; 'admin': chosen through the API and stored. */
  source: 'env' | 'admin';
  /** Why the stored choice is not in effect (the environment's engine runs instead). */
  error: string | null;
}

export interface EngineOption {
  engine: string;
  /** Can be chosen here now (available, and not an environment-only engine). */
  available: boolean;
  reason: string | null;
  /** Installed models this engine can load, when the API lists them; null: look them up in /admin/models. */
  models: string[] | null;
}

interface RawOption {
  engine: string;
  available: boolean;
  reason: string | null;
  models?: string[];
  settable?: boolean;
}
interface RawSlot {
  engine: string;
  model?: string | null;
  voice?: string | null;
  source: string;
  error?: string | null;
  stored_choice_failed?: { error: string } | null;
  choices?: RawOption[];
}
export type RawEngines = Record<EngineKind, RawSlot> & { available?: Partial<Record<EngineKind, RawOption[]>> };

export function engineSlot(raw: RawEngines, kind: EngineKind): { now: EngineNow; options: EngineOption[] } {
  const s = raw[kind];
  const options = raw.available?.[kind] ?? s.choices ?? [];
  return {
    now: {
      engine: s.engine,
      model: s.model ?? null,
      voice: s.voice ?? null,
      source: s.source === 'admin' ? 'admin' : 'env',
      error: s.error ?? s.stored_choice_failed?.error ?? null,
    },
    options: options.map((o) => ({ engine: o.engine, available: o.available && o.settable !== false, reason: o.reason, models: o.models ?? null })),
  };
}

export type JobState = 'queued' | 'downloading' | 'verifying' | 'extracting' | 'done' | 'failed';
export const JOB_ENDED: readonly JobState[] = ['done', 'failed'];

export interface ModelJob {
  id: string | number;
  model: string;
  state: JobState;
  received_bytes: number;
  total_bytes: number | null;
  error: { code: string; message: string } | string | null;
}

export interface ModelItem {
  name: string;
  kind: string;
  languages: string[];
  description: string;
  size_bytes: number | null;
  verified: boolean;
  status: 'installed' | 'incomplete' | 'absent';
  /** Where it is installed: a directory, or a token such as `models_dir` / `hf_cache`. */
  location: string | null;
  in_use: EngineKind | null;
}

export interface ModelsAnswer {
  models_dir?: string;
  items: ModelItem[];
  jobs: ModelJob[];
}

/** The manifest kind of model an engine loads (engines without one take no model). */
export const MODEL_KIND_FOR_ENGINE: Record<string, string> = {
  'sherpa-online': 'stt-online',
  'sherpa-offline': 'stt-offline',
  sherpa: 'tts',
};
