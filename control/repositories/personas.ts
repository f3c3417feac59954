/**
 * Personas as stored: the secretary's character (prompt, greeting, language, its own wording of the
 * secretary's prompts, dialogue settings) and which LLM and voice it uses. The conversation core
 * turns a row into the pipeline's Persona (control/conversation/stored-persona.ts).
 */
import type { DialogueSettingsInput } from '../../pipeline/conversation/dialogue-settings.ts';
import type { PromptOverrides } from '../../pipeline/dialogue/persona.ts';
import { bool, num, parseJson, type Queryable } from '../db/rows.ts';
import { CrudTable } from './crud-table.ts';

export interface PersonaRow {
  id: number;
  name: string;
  system_prompt: string;
  greeting: string | null;
  language: string | null;
  llm_provider_id: number | null;
  tts_preset_id: number | null;
  /** As the admin set them (seconds); unset fields take the defaults. Stored rows may come from a backup: parsed again when used. */
  dialogue: DialogueSettingsInput | null;
  /** The admin's wording of some of the secretary's prompts. */
  prompts: PromptOverrides | null;
  is_default: boolean;
  created_at: string;
  updated_at: string;
}

export type PersonaInput = Omit<PersonaRow, 'id' | 'created_at' | 'updated_at' | 'dialogue' | 'prompts'> & Partial<Pick<PersonaRow, 'dialogue' | 'prompts'>>;

const json = (v: unknown) => (v === undefined ? undefined : v === null ? null : JSON.stringify(v));

const nullableNum = (v: unknown) => (v === null || v === undefined ? null : num(v));

export class PersonasRepo extends CrudTable<PersonaRow, PersonaInput> {
  constructor(db: Queryable) {
    super(db, {
      table: 'personas',
      fromRow: (r) => ({
        id: num(r.id),
        name: String(r.name),
        system_prompt: String(r.system_prompt),
        greeting: (r.greeting as string | null) ?? null,
        language: (r.language as string | null) ?? null,
        llm_provider_id: nullableNum(r.llm_provider_id),
        tts_preset_id: nullableNum(r.tts_preset_id),
        dialogue: parseJson<DialogueSettingsInput | null>(r.dialogue, null),
        prompts: parseJson<PromptOverrides | null>(r.prompts, null),
        is_default: bool(r.is_default),
        created_at: String(r.created_at),
        updated_at: String(r.updated_at),
      }),
      toRow: (i) => ({ ...i, dialogue: json(i.dialogue), prompts: json(i.prompts) }),
    });
  }

  /** Exactly one default: setting one clears the flag on the others, in one transaction. */
  async setDefault(id: number): Promise<void> {
    const run = async (q: Queryable) => {
      await q('personas').update({ is_default: false });
      await q('personas').where({ id }).update({ is_default: true });
    };
    // On a transaction this nests as a savepoint, so callers may already be inside one.
    await this.db.transaction(run);
  }

  async getDefault(): Promise<PersonaRow | undefined> {
    const r = await this.db('personas').where({ is_default: true }).first();
    return r ? this.m.fromRow(r) : undefined;
  }
}
