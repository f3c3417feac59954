/**
 * The shipped sample: the secretary persona and FAQ of pipeline/dialogue/defaults (English and
 * Russian), and the LLM from the operator's environment (LLM_BASE_URL) when there is one. It is
 * what a gateway without a database runs (npm run modem:call, benches of the voice path alone), and
 * what the control plane's source falls back to while nothing is configured there.
 */
import { FaqMatcher } from '../dialogue/faq-matcher.ts';
import { defaultFaq, defaultPersona, fixedPhrases, shippedLanguage, type DefaultLanguage, type Persona } from '../dialogue/persona.ts';
import type { EngineLog } from '../engines/engine-error.ts';
import { LlmProviderClient, OpenAiCompatibleLlm, type LlmProviderConfig } from '../engines/llm-openai.ts';
import { DEFAULT_FALLBACK_MESSAGE, DEFAULT_HISTORY_LIMIT, type ConversationConfig, type ConversationRequest, type ConversationSource, type Greeting } from './conversation.ts';
import { DEFAULT_DIALOGUE_SETTINGS, type DialogueSettings } from './dialogue-settings.ts';

export interface BuiltinSourceOptions {
  /** The persona a conversation gets when it names none (PERSONA_LANGUAGE). */
  language?: DefaultLanguage;
  /** The operator's own LLM (LLM_BASE_URL ...): trusted, so no egress policy. */
  llm?: LlmProviderConfig;
  /** Where a failing provider's answer is logged. */
  log?: EngineLog;
  /** The shipped personas' silence, call length and offering a message (default DEFAULT_DIALOGUE_SETTINGS). */
  dialogue?: DialogueSettings;
}

interface Shipped {
  persona: Persona;
  faq: FaqMatcher;
}

export class BuiltinConversationSource implements ConversationSource {
  readonly language: DefaultLanguage;
  private readonly shipped: Record<DefaultLanguage, Shipped>;
  /** One client for the environment's provider, so its health is kept across conversations. */
  readonly llmProvider: LlmProviderClient | null;
  readonly dialogue: Readonly<DialogueSettings>;

  constructor(private readonly opts: BuiltinSourceOptions = {}) {
    this.language = opts.language ?? 'en';
    this.dialogue = Object.freeze({ ...(opts.dialogue ?? DEFAULT_DIALOGUE_SETTINGS) });
    const shipped = (lang: DefaultLanguage): Shipped => ({ persona: defaultPersona(lang), faq: new FaqMatcher(defaultFaq(lang)) });
    this.shipped = { en: shipped('en'), ru: shipped('ru') };
    this.llmProvider = opts.llm ? new LlmProviderClient(opts.llm) : null;
    void this.llmProvider?.client; // the operator's configuration: a bad proxy URL stops the start
  }

  /** A shipped persona a channel names by language or id (`ru`, `default-ru`), or the default one. */
  persona(ref?: string): Persona {
    return this.pick(ref).persona;
  }

  /** The shipped FAQ of a language, take-a-message included. */
  faq(language: DefaultLanguage): FaqMatcher {
    return this.shipped[language].faq;
  }

  resolve(request: ConversationRequest): ConversationConfig {
    const { persona, faq } = this.pick(request.persona);
    const noLlm = request.model === 'faq' || request.llm?.backend === 'faq';
    return Object.freeze({
      persona,
      voice: Object.freeze({ voice: persona.voice, language: persona.language }),
      faq,
      llm: this.llmProvider && !noLlm ? new OpenAiCompatibleLlm([this.llmProvider], this.opts.log) : null,
      dialogue: this.dialogue,
      fallbackMessage: DEFAULT_FALLBACK_MESSAGE,
      historyLimit: DEFAULT_HISTORY_LIMIT,
    });
  }

  greetings(): Greeting[] {
    return Object.values(this.shipped).flatMap(({ persona }) => fixedPhrases(persona).map((text) => ({ text, voice: { voice: persona.voice, language: persona.language } })));
  }

  /** Nothing here changes. */
  onChange(): () => void {
    return () => {};
  }

  private pick(ref: string | undefined): Shipped {
    const named = ref ? Object.values(this.shipped).find((s) => s.persona.id === ref || s.persona.language === ref) : undefined;
    return named ?? this.shipped[shippedLanguage(this.language)];
  }
}
