/**
 * Shapes of the engine, model and about routes (`/admin/engines`, `/admin/models`,
 * `/admin/about`), as the TTS, STT, Models and About views read them.
 */
export type EngineKind = 'stt' | 'tts';

export interface EngineNow {
  engine: string;
  model: string | null;
  /** TTS only. */
  voice?: string | null;
  /** 'env': the environment's choice at start; 'admin': chosen through the API. */
  source: 'env' | 'admin';
  /** Why the stored choice could not be used (the environment's engine runs instead). */
  error: string | null;
}

export interface EngineOption {
  engine: string;
  available: boolean;
  reason: string | null;
}

export interface EnginesAnswer {
  stt: EngineNow;
  tts: EngineNow;
  available: Record<EngineKind, EngineOption[]>;
}

export type JobState = 'queued' | 'downloading' | 'verifying' | 'extracting' | 'done' | 'failed';
export const JOB_ENDED: readonly JobState[] = ['done', 'failed'];

export interface ModelJob {
  id: string | number;
  model: string;
  state: JobState;
  received_bytes: number;
  total_bytes: number | null;
  error: { code: string; message: string } | null;
}

export interface ModelItem {
  name: string;
  kind: string;
  languages: string[];
  description: string;
  size_bytes: number | null;
  verified: boolean;
  status: 'installed' | 'incomplete' | 'absent';
  location: string | null;
  in_use: EngineKind | null;
}

export interface ModelsAnswer {
  models_dir: string;
  items: ModelItem[];
  jobs: ModelJob[];
}

/** The manifest kind of model an engine loads (engines without one take no model). */
export const MODEL_KIND_FOR_ENGINE: Record<string, string> = {
  'sherpa-online': 'stt-online',
  'sherpa-offline': 'stt-offline',
  sherpa: 'tts',
};
