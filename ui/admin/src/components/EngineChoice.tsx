/**
 * Which STT or TTS engine new calls get, where that choice comes from (the environment at start,
 * or an admin through the API), what runs now and how it is; for admins, choosing another. The
 * gateway builds and warms the new engine first and refuses in words when it cannot, keeping the
 * old one; calls in progress keep theirs. "Back to the environment's choice" forgets the stored one.
 */
import { createEffect, createResource, createSignal, For, on, Show } from 'solid-js';
import { t } from '../i18n/index.ts';
import { api, can } from '../lib/api.ts';
import { ENGINE_TAKES, selectable, type EngineKind, type EngineSlot, type EnginesAnswer } from '../lib/engines-api.ts';
import { valueOf } from '../lib/resource-value.ts';
import { ErrorBox } from './ErrorBox.tsx';
import { Feedback } from './Feedback.tsx';

interface Draft {
  engine: string;
  model: string;
  voice: string;
}

export function EngineChoice(props: { kind: EngineKind; voices?: string[] }) {
  const [engines, { refetch }] = createResource(() => api<EnginesAnswer>('GET', '/admin/engines').then((r) => r[props.kind]));
  const now = () => valueOf(engines);
  const options = () => now()?.choices ?? [];
  const [draft, setDraft] = createSignal<Draft>({ engine: '', model: '', voice: '' });
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  createEffect(on(now, (n?: EngineSlot) => n && setDraft({ engine: n.engine, model: n.model ?? '', voice: n.voice ?? '' })));
  // Sherpa engines load an installed model (the API lists them per engine); espeak takes a voice.
  const takes = () => ENGINE_TAKES[draft().engine];
  const models = () => options().find((o) => o.engine === draft().engine)?.models ?? [];
  const formId = `engine-form-${props.kind}`;

  const apply = async (method: 'PUT' | 'DELETE', body?: Record<string, string>) => {
    setError(null);
    setNotice('');
    setBusy(true);
    try {
      await api(method, `/admin/engines/${props.kind}`, body);
      await refetch();
      setNotice(t('engines.applied', { engine: now()?.engine ?? '' }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const d = draft();
    const body: Record<string, string> = { engine: d.engine };
    if (takes() === 'model') body.model = d.model;
    if (takes() === 'voice' && d.voice.trim()) body.voice = d.voice.trim();
    void apply('PUT', body);
  };

  return (
    <section aria-labelledby={`engine-${props.kind}`}>
      <h2 id={`engine-${props.kind}`}>{t('engines.title')}</h2>
      <ErrorBox error={engines.error} />
      <Show when={now()}>
        {(n) => (
          <>
            <dl class="card" data-testid={`engine-now-${props.kind}`}>
              <dt>{t('engines.engine')}</dt>
              <dd data-testid="engine-name">{n().engine}</dd>
              <dt>{t('engines.model')}</dt>
              <dd>{n().model ?? t('common.none')}</dd>
              <Show when={props.kind === 'tts'}>
                <dt>{t('engines.voice')}</dt>
                <dd>{n().voice ?? t('common.none')}</dd>
              </Show>
              <dt>{t('engines.source')}</dt>
              <dd data-testid="engine-source">{n().source === 'admin' ? t('engines.source.admin') : t('engines.source.env')}</dd>
              <dt>{t('engines.running')}</dt>
              <dd data-testid="engine-running">
                {n().runtime}:{' '}
                <span classList={{ 'status-ok': n().health.ok, 'status-error': !n().health.ok }}>
                  {n().health.ok ? t('tts.healthy') : t('tts.unhealthy')}
                  {n().health.detail ? ` (${n().health.detail})` : ''}
                </span>
                , {t('engines.calls', { count: n().calls })}
              </dd>
              <Show when={n().draining.length > 0}>
                <dt>{t('engines.draining')}</dt>
                <dd>{n().draining.map((d) => t('engines.drainingOne', { runtime: d.runtime, count: d.calls })).join(', ')}</dd>
              </Show>
            </dl>
            <Show when={n().stored_choice_failed}>
              {(f) => (
                <p class="error" role="alert">
                  {t('engines.storedFailed', { message: f().error })}
                </p>
              )}
            </Show>
            <ul class="plain">
              <For each={options()}>{(o) => <li>{selectable(o) ? t('engines.available', { engine: o.engine }) : t('engines.unavailable', { engine: o.engine, reason: o.reason ?? t('common.none') })}</li>}</For>
            </ul>
            <Show when={can('admin')} fallback={<p class="muted">{t('engines.adminOnly')}</p>}>
              <Feedback error={error()} notice={notice()} />
              <form class="card" onSubmit={save} aria-labelledby={formId}>
                <h3 id={formId}>{t('engines.change')}</h3>
                <div class="row">
                  <label>
                    {t('engines.engine')}
                    <select name="engine" value={draft().engine} onChange={(e) => setDraft({ ...draft(), engine: e.currentTarget.value, model: '' })}>
                      <For each={options()}>
                        {(o) => (
                          <option value={o.engine} disabled={!selectable(o)}>
                            {selectable(o) ? o.engine : t('engines.optionUnavailable', { engine: o.engine })}
                          </option>
                        )}
                      </For>
                    </select>
                  </label>
                  <Show when={takes() === 'model'}>
                    <label>
                      {t('engines.model')}
                      <select name="model" required value={draft().model} onChange={(e) => setDraft({ ...draft(), model: e.currentTarget.value })}>
                        <option value="">{t('engines.modelPick')}</option>
                        <For each={models()}>{(m) => <option value={m}>{m}</option>}</For>
                      </select>
                      <Show when={models().length === 0}>
                        <span class="muted">{t('engines.noModels')}</span>
                      </Show>
                    </label>
                  </Show>
                  <Show when={takes() === 'voice'}>
                    <label>
                      {t('engines.voice')}
                      <input name="voice" list={`engine-voices-${props.kind}`} autocomplete="off" placeholder={t('engines.voiceDefault')} value={draft().voice} onInput={(e) => setDraft({ ...draft(), voice: e.currentTarget.value })} />
                      <datalist id={`engine-voices-${props.kind}`}>
                        <For each={props.voices ?? []}>{(v) => <option value={v} />}</For>
                      </datalist>
                    </label>
                  </Show>
                </div>
                <div class="actions">
                  <button type="submit" class="primary" disabled={busy()}>
                    {t('engines.use')}
                  </button>
                  {/* Also when a stored choice failed at start: resetting forgets it (the API accepts that). */}
                  <Show when={n().source === 'admin' || n().stored_choice_failed}>
                    <button type="button" disabled={busy()} onClick={() => void apply('DELETE')}>
                      {t('engines.reset')}
                    </button>
                  </Show>
                </div>
              </form>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
