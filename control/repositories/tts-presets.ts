/** Named TTS voices (engine + voice + speed + engine-specific params) a persona can point at. */
import { num, parseJson, type Queryable } from '../db/rows.ts';
import { CrudTable } from './crud-table.ts';

export interface TtsPreset {
  id: number;
  name: string;
  engine: string;
  voice: string;
  language: string | null;
  speed: number;
  params: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export type TtsPresetInput = Omit<TtsPreset, 'id' | 'created_at' | 'updated_at'>;

export class TtsPresetsRepo extends CrudTable<TtsPreset, TtsPresetInput> {
  constructor(db: Queryable) {
    super(db, {
      table: 'tts_presets',
      fromRow: (r) => ({
        id: num(r.id),
        name: String(r.name),
        engine: String(r.engine),
        voice: String(r.voice),
        language: (r.language as string | null) ?? null,
        speed: Number(r.speed),
        params: parseJson(r.params, {}),
        created_at: String(r.created_at),
        updated_at: String(r.updated_at),
      }),
      toRow: (i) => ({ ...i, params: i.params === undefined ? undefined : JSON.stringify(i.params) }),
    });
  }
}
