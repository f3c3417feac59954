/**
 * The whole conversation configuration in memory, built from one read of the database: every
 * persona as the pipeline speaks it, the FAQ as one matcher per language, the enabled LLM
 * providers' clients by priority, the default backend, the modem's persona per caller number,
 * and the text channels' settings. `resolve` answers from it alone, synchronously: a call that
 * starts never waits for the database. A new snapshot replaces it after every change.
 *
 * The shipped sample persona and FAQ apply only while nothing is configured: without a stored
 * persona a conversation gets the shipped one (with the company name, when set); without any FAQ
 * entry and persona, the shipped FAQ. Once an FAQ entry or a persona is stored, the FAQ is the
 * stored one (possibly empty), plus the built-in intents (take a message) in the persona's language.
 * Without a stored LLM provider the environment's (LLM_BASE_URL) is the chain, when there is one.
 */
import type { Logger } from 'pino';
import type { BuiltinConversationSource } from '../../pipeline/conversation/builtin-source.ts';
import type { ConversationConfig, ConversationRequest, Greeting } from '../../pipeline/conversation/conversation.ts';
import { effectiveBackend, orderProviders, type LlmBackendChoice } from '../../pipeline/conversation/llm-choice.ts';
import { FaqMatcher, type FaqEntry } from '../../pipeline/dialogue/faq-matcher.ts';
import { fixedPhrases, shippedLanguage, type DefaultLanguage, type Persona } from '../../pipeline/dialogue/persona.ts';
import { phoneNumberKey } from '../../pipeline/dialogue/phone-number.ts';
import { LlmProviderClient, OpenAiCompatibleLlm } from '../../pipeline/engines/llm-openai.ts';
import type { EgressPolicy } from '../../pipeline/net/egress-policy.ts';
import type { FaqEntry as FaqRow } from '../repositories/faq.ts';
import type { LlmProvider } from '../repositories/llm-providers.ts';
import type { ModemPersona } from '../repositories/modem-personas.ts';
import type { PersonaRow } from '../repositories/personas.ts';
import type { TtsPreset } from '../repositories/tts-presets.ts';
import { storedPersona, type StoredPersona } from './stored-persona.ts';

/** Everything the snapshot is built from, as read in one go (conversation-source.ts). */
export interface StoredConfiguration {
  personas: PersonaRow[];
  /** Enabled entries. */
  faq: FaqRow[];
  /** Whether the FAQ table has any entry at all (an all-disabled FAQ is still the admin's FAQ). */
  faqConfigured: boolean;
  /** Enabled providers by priority, with their secrets. */
  providers: Array<{ row: LlmProvider; apiKey: string | null; proxyUrl: string | null }>;
  presets: TtsPreset[];
  modemPersonas: ModemPersona[];
  settings: {
    company: string;
    defaultBackend: LlmBackendChoice;
    chatPersonaId: number | null;
    faqThreshold: number;
    fallbackMessage: string;
    historyLimit: number;
  };
}

export interface SnapshotOptions {
  builtin: BuiltinConversationSource;
  /** Where stored providers (admin-configured URLs) may connect. */
  egress?: EgressPolicy;
  log: Logger;
  /** Calls: the longest a provider may take to a first token before the secretary answers the turn. */
  voiceFirstTokenMs: number;
}

/** A provider of the chain: a stored one (with its id) or the environment's. */
interface ChainEntry {
  id?: number;
  name: string;
  model: string;
  client: LlmProviderClient;
}

/** The channels a caller hears: their LLM chain waits less for a first token. */
const VOICE_CHANNELS: ReadonlySet<string> = new Set(['ws', 'modem']);

export class ConversationSnapshot {
  /** A persona or an FAQ entry is stored: the shipped sample FAQ no longer applies. */
  readonly configured: boolean;
  readonly defaultBackend: LlmBackendChoice;
  /** The chain members, in priority order: stored providers, or else the environment's. */
  readonly providers: readonly ChainEntry[];
  private readonly personas: StoredPersona[];
  private readonly defaultPersona: StoredPersona | null;
  private readonly chatPersona: StoredPersona | null;
  private readonly lines: ReadonlyMap<string, StoredPersona>;
  private readonly shipped: Record<DefaultLanguage, Persona>;
  private readonly faqs = new Map<DefaultLanguage, FaqMatcher>();

  constructor(
    private readonly stored: StoredConfiguration,
    private readonly opts: SnapshotOptions,
  ) {
    const { builtin, log } = opts;
    const company = stored.settings.company.trim();
    const shipped = (lang: DefaultLanguage) => freezePersona(company ? { ...builtin.persona(lang), company } : builtin.persona(lang));
    this.shipped = { en: shipped('en'), ru: shipped('ru') };
    const presets = new Map(stored.presets.map((p) => [p.id, p]));
    const warn = (fields: Record<string, unknown>, message: string) => log.warn(fields, message);
    this.personas = stored.personas.map((row) => {
      const p = storedPersona(row, { company, presets, shipped: (lang) => this.shipped[lang], warn });
      return { ...p, persona: freezePersona(p.persona) };
    });
    const byId = new Map(this.personas.map((p) => [p.row.id, p]));
    this.defaultPersona = this.personas.find((p) => p.row.is_default) ?? this.personas[0] ?? null;
    this.chatPersona = (stored.settings.chatPersonaId !== null && byId.get(stored.settings.chatPersonaId)) || null;
    this.lines = new Map(stored.modemPersonas.flatMap((l) => (byId.has(l.persona_id) ? [[phoneNumberKey(l.number), byId.get(l.persona_id)!] as const] : [])));
    this.configured = this.personas.length > 0 || stored.faqConfigured;
    this.defaultBackend = stored.settings.defaultBackend;
    this.providers = stored.providers.length
      ? stored.providers.map(({ row, apiKey, proxyUrl }) => ({
          id: row.id,
          name: row.name,
          model: row.model,
          client: new LlmProviderClient({
            name: row.name,
            baseURL: row.base_url,
            model: row.model,
            apiKey: apiKey ?? undefined,
            proxyUrl: proxyUrl ?? undefined,
            timeoutMs: row.timeout_ms,
            firstTokenMs: row.timeout_ms,
            // The chain is the retry policy: a caller cannot wait out the SDK's backoff.
            maxRetries: 0,
            egress: opts.egress,
          }),
        }))
      : builtin.llmProvider
        ? [{ name: builtin.llmProvider.config.name, model: builtin.llmProvider.config.model, client: builtin.llmProvider }]
        : [];
  }

  resolve(request: ConversationRequest): ConversationConfig {
    const stored = this.pickPersona(request);
    const persona = stored?.persona ?? this.shipped[shippedLanguage(this.opts.builtin.persona(request.persona).language)];
    const choice = effectiveBackend({ session: request.llm, personaProviderId: stored?.row.llm_provider_id, fallback: this.defaultBackend });
    const chain = orderProviders(this.providers, choice, request.model);
    const voice = VOICE_CHANNELS.has(request.channel);
    return Object.freeze({
      persona,
      voice: Object.freeze(stored?.voice ?? { voice: persona.voice, language: persona.language }),
      faq: this.faq(shippedLanguage(persona.language)),
      llm: chain.length ? new OpenAiCompatibleLlm(chain.map((p) => p.client), this.opts.log, voice ? this.opts.voiceFirstTokenMs : Infinity) : null,
      dialogue: stored?.dialogue ?? this.opts.builtin.dialogue,
      fallbackMessage: this.stored.settings.fallbackMessage,
      historyLimit: this.stored.settings.historyLimit,
    });
  }

  /** The matcher conversations in this language use (the admin's "try a question" tool asks it too). */
  faq(language: DefaultLanguage = shippedLanguage(this.defaultPersona?.persona.language ?? this.opts.builtin.language)): FaqMatcher {
    let matcher = this.faqs.get(language);
    if (!matcher) {
      const threshold = this.stored.settings.faqThreshold;
      const shipped = this.opts.builtin.faq(language);
      matcher = this.configured
        ? new FaqMatcher([...this.stored.faq.map(faqEntry), ...shipped.entries.filter((e) => e.action)], { threshold })
        : shipped.withThreshold(threshold);
      this.faqs.set(language, matcher);
    }
    return matcher;
  }

  greetings(): Greeting[] {
    if (!this.personas.length) return Object.values(this.shipped).flatMap((p) => fixedPhrases(p).map((text) => ({ text, voice: { voice: p.voice, language: p.language } })));
    return this.personas.flatMap((p) => fixedPhrases(p.persona).map((text) => ({ text, voice: p.voice })));
  }

  /**
   * A stored persona: the modem's for the caller's number, else the one the channel names (id,
   * name, or a language), else the text channels' own (`chat.default_persona_id`), else the
   * default. Null when none is stored: the shipped one answers.
   */
  private pickPersona(request: ConversationRequest): StoredPersona | null {
    if (!this.personas.length) return null;
    const line = request.channel === 'modem' && request.callerNumber ? this.lines.get(phoneNumberKey(request.callerNumber)) : undefined;
    if (line) return line;
    const ref = request.persona?.trim();
    if (ref) {
      const named =
        this.personas.find((p) => String(p.row.id) === ref) ??
        this.personas.find((p) => p.row.name.toLowerCase() === ref.toLowerCase()) ??
        this.personas.find((p) => p.persona.language.toLowerCase() === ref.toLowerCase());
      if (named) return named;
    }
    if (!VOICE_CHANNELS.has(request.channel) && this.chatPersona) return this.chatPersona;
    return this.defaultPersona;
  }
}

function faqEntry(row: FaqRow): FaqEntry {
  return { id: String(row.id), questions: [row.question], answer: row.answer, keywords: row.keywords, ...(row.language ? { language: row.language } : {}) };
}

/** A conversation holds its persona for its lifetime: nothing may change it under it. */
function freezePersona(p: Persona): Persona {
  return Object.freeze({ ...p, prompts: Object.freeze({ ...p.prompts }) });
}
