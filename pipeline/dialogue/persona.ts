/**
 * A persona: who answers the phone, in which language, with which words. The built-in dialogue
 * speaks only these prompts, so a persona JSON is also the translation of the secretary.
 * Validated with zod because personas come from admins (control plane) as well as from defaults/.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { DialogueCue } from '../turn/ports.ts';
import type { FaqEntry } from './faq-matcher.ts';

const promptsSchema = z.object({
  greeting: z.string(),
  anythingElse: z.string(),
  repeat: z.string(),
  notUnderstood: z.string(),
  offerMessage: z.string(),
  askName: z.string(),
  askNumber: z.string(),
  askNumberCallerId: z.string(),
  askReason: z.string(),
  readBack: z.string(),
  confirmYesNo: z.string(),
  retry: z.string(),
  saved: z.string(),
  saveFailed: z.string(),
  goodbye: z.string(),
  notGiven: z.string(),
  /** Asked once when the caller has been silent for the persona's re-prompt time. */
  stillThere: z.string(),
  /** Said before hanging up on a caller silent for the hang-up time. */
  silenceGoodbye: z.string(),
  /** Said before hanging up at the call's time limit. */
  timeLimitGoodbye: z.string(),
});

export const personaSchema = z.object({
  id: z.string(),
  language: z.string(),
  name: z.string(),
  company: z.string(),
  voice: z.string().optional(),
  systemPrompt: z.string(),
  prompts: promptsSchema,
});

export const faqSchema = z.array(
  z.object({
    id: z.string(),
    questions: z.array(z.string()).min(1),
    answer: z.string(),
    keywords: z.array(z.string()).optional(),
    action: z.enum(['take_message', 'end_call']).optional(),
    language: z.string().optional(),
  }),
);

export type Persona = z.infer<typeof personaSchema>;
export type PromptKey = keyof Persona['prompts'];

/** Fill {placeholders}; unknown ones stay visible so a typo in a persona is heard, not hidden. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);
}

const CUE_PROMPTS: Record<DialogueCue, PromptKey> = {
  still_there: 'stillThere',
  silence_goodbye: 'silenceGoodbye',
  time_limit_goodbye: 'timeLimitGoodbye',
};

/** The persona's words for a cue of the turn manager (a silent caller, the time limit), filled in. */
export function cueText(persona: Persona, cue: DialogueCue): string {
  return fillTemplate(persona.prompts[CUE_PROMPTS[cue]], { name: persona.name, company: persona.company });
}

export type DefaultLanguage = 'en' | 'ru';

function readJson(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./defaults/${name}`, import.meta.url), 'utf8'));
}

/** The sample persona shipped with the gateway, so a fresh install answers something useful. */
export function defaultPersona(language: DefaultLanguage = 'en'): Persona {
  return personaSchema.parse(readJson(`persona.${language}.json`));
}

export function defaultFaq(language: DefaultLanguage = 'en'): FaqEntry[] {
  return faqSchema.parse(readJson(`faq.${language}.json`)).map((e) => ({ ...e, language }));
}
