/**
 * A stored persona as the conversation core speaks it: the pipeline's Persona (the prompts of its
 * language, with the admin's own wording over them), its voice (the TTS preset it names) and its
 * dialogue settings. Rows can come from an uploaded backup, so what reaches an engine is checked
 * again here: a voice that is not a plain name, a language that is not a tag, settings that do not
 * parse are left out (the defaults apply) and said in the log.
 */
import { DialogueSettingsInput, dialogueSettings, type DialogueSettings } from '../../pipeline/conversation/dialogue-settings.ts';
import type { ConversationVoice } from '../../pipeline/conversation/conversation.ts';
import { promptOverridesSchema, shippedLanguage, type DefaultLanguage, type Persona } from '../../pipeline/dialogue/persona.ts';
import { isLanguageTag, isPlainVoiceName } from '../../pipeline/engines/voice-name.ts';
import type { PersonaRow } from '../repositories/personas.ts';
import type { TtsPreset } from '../repositories/tts-presets.ts';

export interface StoredPersona {
  row: PersonaRow;
  persona: Persona;
  voice: ConversationVoice;
  dialogue: DialogueSettings;
}

export interface StoredPersonaContext {
  /** `company.name`; empty: the shipped persona's words for it. */
  company: string;
  presets: ReadonlyMap<number, TtsPreset>;
  /** The shipped persona of a language: its prompts are the defaults. */
  shipped(language: DefaultLanguage): Persona;
  /** Something stored could not be used as it is. */
  warn(fields: Record<string, unknown>, message: string): void;
}

export function storedPersona(row: PersonaRow, ctx: StoredPersonaContext): StoredPersona {
  const language = row.language && isLanguageTag(row.language) ? row.language : null;
  if (row.language && !language) ctx.warn({ persona_id: row.id }, 'a stored persona has a language that is not a language tag; its prompts are English');
  const shipped = ctx.shipped(shippedLanguage(language));
  const overrides = promptOverridesSchema.safeParse(row.prompts ?? {});
  if (!overrides.success) ctx.warn({ persona_id: row.id }, "a stored persona's prompts do not parse; the language's own are used");
  const settings = DialogueSettingsInput.safeParse(row.dialogue ?? {});
  if (!settings.success) ctx.warn({ persona_id: row.id }, "a stored persona's dialogue settings do not parse; the defaults apply");
  const persona: Persona = {
    id: String(row.id),
    language: language ?? shipped.language,
    name: row.name,
    company: ctx.company || shipped.company,
    systemPrompt: row.system_prompt,
    prompts: {
      ...shipped.prompts,
      ...(overrides.success ? definedOnly(overrides.data) : {}),
      ...(row.greeting?.trim() ? { greeting: row.greeting } : {}),
    },
  };
  return { row, persona, voice: presetVoice(row, persona.language, ctx), dialogue: dialogueSettings(settings.success ? settings.data : null) };
}

/** The preset's engine, voice and speed; the persona's language unless the preset has its own. */
function presetVoice(row: PersonaRow, language: string, ctx: StoredPersonaContext): ConversationVoice {
  const preset = row.tts_preset_id === null ? undefined : ctx.presets.get(row.tts_preset_id);
  if (!preset) return { language };
  const voice = isPlainVoiceName(preset.voice) ? preset.voice : undefined;
  if (!voice) ctx.warn({ persona_id: row.id, tts_preset_id: preset.id }, 'a stored TTS preset names a voice that is not a plain voice name; the engine default is used');
  return {
    engine: preset.engine,
    ...(voice ? { voice } : {}),
    language: preset.language && isLanguageTag(preset.language) ? preset.language : language,
    ...(Number.isFinite(preset.speed) && preset.speed > 0 ? { speed: preset.speed } : {}),
  };
}

function definedOnly<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
