/** Shapes of the TTS routes' answers (control/admin/tts-routes.ts). */
export interface TtsPreset {
  id: number;
  name: string;
  engine: string;
  voice: string;
  language: string | null;
  speed: number;
  params: Record<string, unknown>;
}

export interface TtsVoice {
  engine: string;
  id: string;
  name: string;
  language: string | null;
  gender?: string | null;
}

export interface TtsVoices {
  default_engine: string;
  engines: Array<{ name: string; sample_rate: number; health: { name: string; ok: boolean; detail?: string } }>;
  items: TtsVoice[];
}

export interface TtsCacheAnswer {
  cache: { entries: number; bytes: number; max_bytes: number; hits: number; misses: number; evictions: number; hit_ratio: number };
  streams: { streams: number; active: number; sentences: number; failures: number };
}
