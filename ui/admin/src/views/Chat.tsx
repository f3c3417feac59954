/**
 * Try the secretary by text: conversations of the `admin` source, the reply streamed as it is
 * written (server-sent events from /admin/chat/sessions/:id/reply: `delta`, then `done`), and a
 * per-conversation choice of what answers (the persona's default, the FAQ only, or one provider).
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatDateTime, t } from '../i18n/index.ts';
import { api, authorized, can } from '../lib/api.ts';
import { readEvents } from '../lib/sse.ts';

interface Session {
  id: number;
  source_id: string;
  llm_backend: string | null;
  llm_provider_id: number | null;
  updated_at: string;
}
interface ChatMessage {
  id: number;
  role: 'user' | 'assistant' | 'system';
  content: string;
}
interface Provider {
  id: number;
  name: string;
  enabled?: boolean;
}
interface Done {
  message: ChatMessage;
  source: string;
  truncated?: boolean;
  error?: { message: string };
}

export default function Chat() {
  const [sessions, { refetch: refetchSessions }] = createResource(() => api<{ items: Session[] }>('GET', '/admin/chat/sessions?source=admin&limit=50').then((r) => r.items));
  const [providers] = createResource(() => api<{ items: Provider[] }>('GET', '/admin/llm-providers').then((r) => r.items).catch(() => [] as Provider[]));
  const [current, setCurrent] = createSignal<Session | null>(null);
  const [messages, setMessages] = createSignal<ChatMessage[]>([]);
  const [streaming, setStreaming] = createSignal<string | null>(null);
  const [lastSource, setLastSource] = createSignal<string | null>(null);
  const [input, setInput] = createSignal('');
  const [error, setError] = createSignal<unknown>(null);

  const open = async (s: Session) => {
    setError(null);
    setCurrent(s);
    setLastSource(null);
    try {
      setMessages((await api<{ items: ChatMessage[] }>('GET', `/admin/chat/sessions/${s.id}/messages`)).items);
    } catch (err) {
      setError(err);
    }
  };

  const start = async () => {
    setError(null);
    try {
      const s = await api<Session>('POST', '/admin/chat/sessions', { source: 'admin' });
      await refetchSessions();
      await open(s);
    } catch (err) {
      setError(err);
    }
  };

  const backendValue = () => {
    const s = current();
    if (!s || !s.llm_backend) return 'default';
    return s.llm_backend === 'provider' ? `provider:${s.llm_provider_id}` : s.llm_backend;
  };
  const setBackend = async (value: string) => {
    const s = current();
    if (!s) return;
    setError(null);
    const body = value.startsWith('provider:') ? { backend: 'provider', provider_id: Number(value.slice(9)) } : { backend: value };
    try {
      setCurrent(await api<Session>('PUT', `/admin/chat/sessions/${s.id}/llm`, body));
    } catch (err) {
      setError(err);
    }
  };

  const send = async (e: SubmitEvent) => {
    e.preventDefault();
    const s = current();
    const text = input().trim();
    if (!s || !text || streaming() !== null) return;
    setError(null);
    setInput('');
    setMessages([...messages(), { id: -Date.now(), role: 'user', content: text }]);
    setStreaming('');
    try {
      const res = await authorized(`/admin/chat/sessions/${s.id}/reply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: text }) });
      for await (const ev of readEvents(res)) {
        if (ev.event === 'delta') setStreaming((streaming() ?? '') + (ev.data as { text: string }).text);
        else if (ev.event === 'done') {
          const done = ev.data as Done;
          setMessages([...messages(), done.message]);
          setLastSource(done.source);
          if (done.truncated && done.error) setError(new Error(t('chat.truncated', { message: done.error.message })));
        } else if (ev.event === 'error') setError(new Error((ev.data as { message?: string }).message ?? String(ev.data)));
      }
    } catch (err) {
      setError(err);
    } finally {
      setStreaming(null);
    }
  };

  return (
    <section>
      <h1>{t('chat.title')}</h1>
      <ErrorBox error={error() ?? sessions.error} />
      <div class="chat">
        <div>
          <h2>{t('chat.sessions')}</h2>
          <Show when={can('operator')}>
            <button type="button" class="primary" onClick={() => void start()}>
              {t('chat.newSession')}
            </button>
          </Show>
          <ul class="sessions">
            <For each={sessions()}>
              {(s) => (
                <li>
                  <button type="button" aria-pressed={current()?.id === s.id} onClick={() => void open(s)}>
                    #{s.id} <span class="muted">{formatDateTime(s.updated_at)}</span>
                  </button>
                </li>
              )}
            </For>
          </ul>
        </div>
        <div>
          <Show when={current()} fallback={<p class="muted">{t('chat.pickOrStart')}</p>}>
            <Show when={can('operator')}>
              <label>
                {t('chat.backend')}
                <select name="backend" value={backendValue()} onChange={(e) => void setBackend(e.currentTarget.value)}>
                  <option value="default">{t('chat.backend.default')}</option>
                  <option value="faq">{t('chat.backend.faq')}</option>
                  <For each={providers()}>{(p) => <option value={`provider:${p.id}`}>{t('chat.backend.provider', { name: p.name })}</option>}</For>
                </select>
              </label>
            </Show>
            <div class="card chat-log" aria-live="polite" data-testid="chat-log">
              <For each={messages().filter((m) => m.role !== 'system')}>
                {(m) => (
                  <div class={`bubble ${m.role}`}>
                    <strong>{m.role === 'user' ? t('chat.you') : t('chat.assistant')}: </strong>
                    {m.content}
                  </div>
                )}
              </For>
              <Show when={streaming() !== null}>
                <div class="bubble assistant" aria-busy="true">
                  <strong>{t('chat.assistant')}: </strong>
                  {streaming()}
                </div>
              </Show>
            </div>
            <Show when={lastSource()}>
              <p class="muted">{t('chat.source', { source: lastSource()! })}</p>
            </Show>
            <Show when={can('operator')}>
              <form class="row" onSubmit={send}>
                <label>
                  {t('chat.input')}
                  <input name="message" required value={input()} onInput={(e) => setInput(e.currentTarget.value)} />
                </label>
                <button type="submit" class="primary" disabled={streaming() !== null}>
                  {t('chat.send')}
                </button>
              </form>
            </Show>
          </Show>
        </div>
      </div>
    </section>
  );
}
