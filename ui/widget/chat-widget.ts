/**
 * The launcher and the chat panel, in the widget's shadow root: greeting, history restored on
 * reload, the visitor's messages, replies as they stream, and what went wrong in words. Keyboard:
 * the launcher is a button, the panel a dialog that takes focus to its input, Enter sends
 * (Shift+Enter for a new line), Escape closes and gives focus back to the launcher. Text only:
 * every message goes in through text nodes (linkify.ts), never as HTML.
 */
import { ApiError, type VisitorApi, type WidgetConfig } from './api.ts';
import { appendText } from './linkify.ts';
import { pickLanguage, STRINGS, type Strings } from './strings.ts';
import { widgetCss } from './styles.ts';
import { VoiceCall } from './voice-call.ts';

export const DEFAULT_CONFIG: WidgetConfig = {
  greeting: null,
  language: 'auto',
  colors: { primary: '#2563eb', primary_text: '#ffffff', background: '#ffffff', text: '#111827' },
  position: 'bottom-right',
  voice: false,
  max_message_chars: 2000,
};

const MIC_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M12 15a3 3 0 0 0 3-3V6a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V22h2v-3.1A7 7 0 0 0 19 12z"/></svg>';
const CHAT_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';

export class ChatWidget {
  #config = DEFAULT_CONFIG;
  #t: Strings = STRINGS.en;
  /** Why this widget cannot chat here (origin refused, switched off), once the gateway said so. */
  #refusal: string | null = null;
  #restored = false;
  #busy = false;
  #call: VoiceCall | null = null;
  /** The assistant bubble a voice reply is being written into. */
  #voiceReply: HTMLElement | null = null;
  readonly #el: {
    style: HTMLStyleElement;
    launcher: HTMLButtonElement;
    panel: HTMLDivElement;
    title: HTMLHeadingElement;
    close: HTMLButtonElement;
    log: HTMLDivElement;
    input: HTMLTextAreaElement;
    send: HTMLButtonElement;
    voice: HTMLButtonElement;
    label: HTMLLabelElement;
  };

  constructor(
    private readonly root: ShadowRoot,
    private readonly api: VisitorApi,
    private readonly pageLang: () => string,
  ) {
    const doc = root.ownerDocument ?? document;
    const make = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string): HTMLElementTagNameMap[K] => {
      const e = doc.createElement(tag);
      if (cls) e.className = cls;
      return e;
    };
    const wrap = make('div', 'root');
    const style = make('style');
    const launcher = make('button', 'launcher');
    launcher.type = 'button';
    launcher.innerHTML = CHAT_ICON; // a constant of ours, not text from anyone
    launcher.setAttribute('aria-haspopup', 'dialog');
    launcher.setAttribute('aria-expanded', 'false');
    const panel = make('div', 'panel');
    panel.hidden = true;
    panel.setAttribute('role', 'dialog');
    panel.id = 'vgw-panel';
    launcher.setAttribute('aria-controls', panel.id);
    const head = make('div', 'head');
    const title = make('h2');
    title.id = 'vgw-title';
    panel.setAttribute('aria-labelledby', title.id);
    const close = make('button', 'close');
    close.type = 'button';
    close.textContent = '×';
    head.append(title, close);
    const log = make('div', 'log');
    log.setAttribute('role', 'log');
    log.setAttribute('aria-live', 'polite');
    const form = make('form', 'form');
    const label = make('label', 'sr');
    label.htmlFor = 'vgw-input';
    const input = make('textarea');
    input.id = 'vgw-input';
    input.rows = 1;
    const send = make('button', 'send');
    send.type = 'submit';
    const voice = make('button', 'voice');
    voice.type = 'button';
    voice.hidden = true;
    voice.innerHTML = MIC_ICON; // a constant of ours
    voice.setAttribute('aria-pressed', 'false');
    form.append(label, input, voice, send);
    panel.append(head, log, form);
    wrap.append(launcher, panel);
    root.append(style, wrap);
    this.#el = { style, launcher, panel, title, close, log, input, send, voice, label };
    voice.addEventListener('click', () => void this.toggleVoice());

    launcher.addEventListener('click', () => (panel.hidden ? this.open() : this.close()));
    close.addEventListener('click', () => this.close());
    panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.close();
      }
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        void this.submit();
      }
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    this.#apply();
  }

  /** Fetch the instance's look and words; a refusal is kept to be shown when the panel opens. */
  async start(): Promise<void> {
    try {
      this.#config = { ...DEFAULT_CONFIG, ...(await this.api.config()) };
    } catch (err) {
      this.#refusal = this.#words(err);
    }
    this.#apply();
  }

  open(): void {
    const { panel, launcher, input } = this.#el;
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    launcher.setAttribute('aria-label', this.#t.close);
    if (!this.#restored) void this.#restore();
    input.focus();
  }

  close(): void {
    this.#call?.stop();
    const { panel, launcher } = this.#el;
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    launcher.setAttribute('aria-label', this.#t.open);
    launcher.focus();
  }

  async submit(): Promise<void> {
    const { input } = this.#el;
    const text = input.value.trim();
    if (!text || this.#busy) return;
    if (this.#refusal) return this.#notice(this.#refusal);
    if (text.length > this.#config.max_message_chars) return this.#notice(this.#t.tooLong(this.#config.max_message_chars));
    input.value = '';
    this.#bubble('user', text);
    const reply = this.#bubble('assistant', '');
    reply.setAttribute('aria-busy', 'true');
    let streamed = '';
    this.#setBusy(true);
    try {
      const { message, truncated } = await this.api.send(text, (delta) => {
        streamed += delta;
        reply.textContent = streamed; // as it arrives; links once it is whole
        this.#scroll();
      });
      reply.textContent = '';
      appendText(reply, message.content + (truncated ? ` ${this.#t.cut}` : ''));
    } catch (err) {
      if (!streamed) reply.remove();
      this.#notice(this.#words(err));
      if (err instanceof ApiError && (err.code === 'origin_not_allowed' || err.code === 'widget_disabled' || err.code === 'widget_not_found')) this.#refusal = this.#words(err);
    } finally {
      reply.removeAttribute('aria-busy');
      this.#setBusy(false);
      this.#scroll();
      input.focus();
    }
  }

  /** Start a hands-free voice call as this visitor, or end the one going on. */
  async toggleVoice(): Promise<void> {
    const { voice } = this.#el;
    if (this.#call) return this.#call.stop();
    const call = new VoiceCall({
      onTranscript: (text) => {
        this.#voiceReply = null;
        this.#bubble('user', text);
      },
      onReplyText: (text) => {
        this.#voiceReply ??= this.#bubble('assistant', '');
        this.#voiceReply.textContent += text;
        this.#scroll();
      },
      onReplyEnd: () => (this.#voiceReply = null),
      onEnd: (error) => {
        this.#call = null;
        this.#voiceReply = null;
        voice.setAttribute('aria-pressed', 'false');
        voice.setAttribute('aria-label', this.#t.voiceStart);
        if (error) this.#notice(this.#t.voiceFailed);
      },
    });
    this.#call = call;
    voice.setAttribute('aria-pressed', 'true');
    voice.setAttribute('aria-label', this.#t.voiceStop);
    try {
      const { token, url } = await this.api.voiceToken();
      await call.start(url, token);
    } catch (err) {
      call.stop();
      this.#notice(err instanceof ApiError ? this.#words(err) : this.#t.voiceFailed);
    }
  }

  async #restore(): Promise<void> {
    this.#restored = true;
    const { log } = this.#el;
    if (this.#refusal) return this.#notice(this.#refusal);
    const greeting = this.#bubble('assistant', this.#config.greeting || this.#t.greeting);
    greeting.dataset.greeting = 'true';
    try {
      const history = await this.api.restore();
      for (const m of history ?? []) this.#bubble(m.role, m.content);
    } catch (err) {
      this.#notice(this.#words(err));
    }
    log.scrollTop = log.scrollHeight;
  }

  /** A message bubble in the log; returns the element its text is in. */
  #bubble(role: 'user' | 'assistant', text: string): HTMLElement {
    const doc = this.root.ownerDocument ?? document;
    const div = doc.createElement('div');
    div.className = `msg ${role}`;
    const who = doc.createElement('span');
    who.className = 'sr';
    who.textContent = `${role === 'user' ? this.#t.you : this.#t.assistant}: `;
    div.append(who);
    const body = doc.createElement('span');
    appendText(body, text);
    div.append(body);
    this.#el.log.append(div);
    this.#scroll();
    return body;
  }

  #notice(text: string): void {
    const doc = this.root.ownerDocument ?? document;
    const div = doc.createElement('div');
    div.className = 'notice';
    div.setAttribute('role', 'alert');
    div.textContent = text;
    this.#el.log.append(div);
    this.#scroll();
  }

  #words(err: unknown): string {
    const t = this.#t;
    if (!(err instanceof ApiError)) return t.failed;
    switch (err.code) {
      case 'origin_not_allowed':
      case 'origin_required':
      case 'cors_forbidden':
        return t.originRefused;
      case 'widget_disabled':
        return t.disabled;
      case 'voice_busy':
        return t.voiceBusy;
      case 'widget_not_found':
      case 'not_found':
        return t.notFound;
      case 'rate_limited':
      case 'usage_limit_exceeded':
        return t.rateLimited(Math.max(1, err.retryAfterS));
      case 'network':
        return t.offline;
      default:
        return t.failed;
    }
  }

  #setBusy(busy: boolean): void {
    this.#busy = busy;
    this.#el.send.disabled = busy;
  }

  #scroll(): void {
    const { log } = this.#el;
    log.scrollTop = log.scrollHeight;
  }

  #apply(): void {
    const t = (this.#t = STRINGS[pickLanguage(this.#config.language, this.pageLang())]);
    const { style, launcher, panel, title, close, input, send, voice, label, log } = this.#el;
    style.textContent = widgetCss(this.#config.colors, this.#config.position);
    launcher.setAttribute('aria-label', panel.hidden ? t.open : t.close);
    title.textContent = t.title;
    close.setAttribute('aria-label', t.close);
    log.setAttribute('aria-label', t.log);
    label.textContent = t.input;
    input.placeholder = t.placeholder;
    input.maxLength = this.#config.max_message_chars;
    send.textContent = t.send;
    voice.hidden = !this.#config.voice || typeof WebSocket === 'undefined' || !navigator.mediaDevices;
    voice.setAttribute('aria-label', this.#call ? t.voiceStop : t.voiceStart);
  }
}
