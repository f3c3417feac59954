/**
 * A persona: who answers the phone, in which language, with which words. The built-in dialogue
 * speaks only these prompts, so a persona JSON is also the translation of the secretary.
 * Validated with zod because personas come from admins (control plane) as well as from defaults/.
 * This is the one Persona of every channel: the control plane turns its stored personas into it.
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
export type Prompts = Persona['prompts'];

/** An admin's changes to a persona's prompts: any of them, each a short text (the rest stay the language's own). */
export const promptOverridesSchema = z.strictObject(
  Object.fromEntries(Object.keys(promptsSchema.shape).map((k) => [k, z.string().trim().min(1).max(2000).optional()])) as {
    [K in PromptKey]: z.ZodOptional<z.ZodString>;
  },
);
export type PromptOverrides = z.infer<typeof promptOverridesSchema>;

/** The greeting as the persona's templates fill it: what a call opens with. */
export function greetingText(persona: Persona): string {
  return fillTemplate(persona.prompts.greeting, { name: persona.name, company: persona.company });
}

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

/**
 * What a call may say without waiting for a dialogue: the greeting and the turn manager's cues
 * (a silent caller, the time limit). The voice channels synthesise these ahead.
 */
export function fixedPhrases(persona: Persona): string[] {
  return [greetingText(persona), ...(Object.keys(CUE_PROMPTS) as DialogueCue[]).map((cue) => cueText(persona, cue))];
}

export type DefaultLanguage = 'en' | 'ru';

/** The shipped language closest to `language` (its prompts are the defaults of a persona in it): en-US -> en, ru-RU -> ru, anything else -> en. */
export function shippedLanguage(language: string | null | undefined): DefaultLanguage {
  return language?.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

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
