/**
 * Settings: every setting the gateway knows (`GET /admin/config`), with its description, current
 * value and default. Admins change one at a time (`PUT /admin/config/:key`) with an input that
 * fits the value's type (taken from the current value, else the default: a checkbox, a number, a
 * text, or JSON for the rest), or reset it to its default (`DELETE`). The API validates each key
 * and its refusal is shown beside that setting.
 */
import { createResource, createSignal, Index, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Feedback } from '../components/Feedback.tsx';
import { formatDateTime, t } from '../i18n/index.ts';
import { api, can } from '../lib/api.ts';
import { valueOf } from '../lib/resource-value.ts';

interface Setting {
  key: string;
  value: unknown;
  default: unknown;
  description: string;
  updated_at: string | null;
}
type ValueKind = 'boolean' | 'number' | 'string' | 'json';

function kindOf(s: Setting): ValueKind {
  const v = s.value ?? s.default;
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'json';
}
const shown = (v: unknown) => (typeof v === 'string' ? (v === '' ? t('settings.emptyText') : v) : JSON.stringify(v));
/** A safe id from a key such as `llm.default_backend`. */
const idOf = (key: string) => `setting-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`;

export default function Settings() {
  const [settings, { mutate }] = createResource(() => api<{ items: Setting[] }>('GET', '/admin/config').then((r) => r.items));
  const replaced = (s: Setting) => mutate(valueOf(settings)?.map((x) => (x.key === s.key ? s : x)));

  return (
    <section>
      <h1>{t('nav.settings')}</h1>
      <ErrorBox error={settings.error} />
      <Show when={!can('admin')}>
        <p class="muted">{t('settings.adminOnly')}</p>
      </Show>
      {/* Index, not For: a saved setting is a new object, and its card (with its notice) must stay. */}
      <Index each={valueOf(settings)}>{(s) => <SettingCard setting={s()} replaced={replaced} />}</Index>
    </section>
  );
}

function SettingCard(props: { setting: Setting; replaced: (s: Setting) => void }) {
  const s = () => props.setting;
  const kind = kindOf(props.setting);
  const toText = (v: unknown) => (kind === 'json' ? JSON.stringify(v, null, 1) : v === null ? '' : String(v));
  const [text, setText] = createSignal(toText(s().value));
  const [checked, setChecked] = createSignal(s().value === true);
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal('');
  const id = idOf(s().key);

  /** The typed input as the value to send; throws our words when it cannot be one. */
  const value = (): unknown => {
    if (kind === 'boolean') return checked();
    const raw = text();
    // An empty box means "none" for settings whose default is none.
    if (raw.trim() === '' && s().default === null) return null;
    if (kind === 'string') return raw;
    if (kind === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(t('settings.notNumber'));
      return n;
    }
    try {
      return JSON.parse(raw) as unknown;
    } catch (err) {
      throw new Error(t('settings.notJson', { message: err instanceof Error ? err.message : String(err) }));
    }
  };
  const act = async (what: () => Promise<{ value: unknown }>, stored: boolean, done: string) => {
    setError(null);
    setNotice('');
    try {
      const r = await what();
      props.replaced({ ...s(), value: r.value, updated_at: stored ? new Date().toISOString() : null });
      setText(toText(r.value));
      setChecked(r.value === true);
      setNotice(done);
    } catch (err) {
      setError(err);
    }
  };
  const save = (e: SubmitEvent) => {
    e.preventDefault();
    void act(async () => api('PUT', `/admin/config/${encodeURIComponent(s().key)}`, { value: value() }), true, t('common.saved'));
  };
  const reset = () => void act(() => api('DELETE', `/admin/config/${encodeURIComponent(s().key)}`), false, t('settings.wasReset'));

  return (
    <form class="card setting" onSubmit={save} aria-labelledby={id} data-testid={id}>
      <h2 id={id}>
        <code>{s().key}</code>
      </h2>
      <p>{s().description}</p>
      <dl>
        <dt>{t('settings.current')}</dt>
        <dd data-testid="setting-value">
          {shown(s().value)}
          <span class="muted"> ({s().updated_at ? t('settings.changedAt', { at: formatDateTime(s().updated_at) }) : t('settings.isDefault')})</span>
        </dd>
        <dt>{t('settings.default')}</dt>
        <dd>{shown(s().default)}</dd>
      </dl>
      <Show when={can('admin')}>
        <Show when={kind === 'boolean'}>
          <label class="inline">
            <input type="checkbox" name={s().key} checked={checked()} onChange={(e) => setChecked(e.currentTarget.checked)} />
            {t('settings.on', { key: s().key })}
          </label>
        </Show>
        <Show when={kind === 'number' || kind === 'string'}>
          <label>
            {t('settings.newValue', { key: s().key })}
            <input name={s().key} type={kind === 'number' ? 'number' : 'text'} step="any" value={text()} onInput={(e) => setText(e.currentTarget.value)} />
          </label>
        </Show>
        <Show when={kind === 'json'}>
          <label>
            {t('settings.newValueJson', { key: s().key })}
            <textarea name={s().key} spellcheck={false} value={text()} onInput={(e) => setText(e.currentTarget.value)} />
          </label>
        </Show>
        <Feedback error={error()} notice={notice()} />
        <div class="actions">
          <button type="submit" class="primary" aria-label={`${t('common.save')}: ${s().key}`}>
            {t('common.save')}
          </button>
          <Show when={s().updated_at}>
            <button type="button" onClick={reset} aria-label={`${t('settings.reset')}: ${s().key}`}>
              {t('settings.reset')}
            </button>
          </Show>
        </div>
      </Show>
    </form>
  );
}
