/**
 * Which STT or TTS engine new calls get, and where that choice comes from (the environment at
 * start, or an admin through the API); for admins, choosing another. The gateway builds and warms
 * the new engine first and refuses in words (422) when it cannot, keeping the old one; calls in
 * progress keep theirs. "Back to the environment's choice" forgets the stored one.
 */
import { createEffect, createResource, createSignal, For, on, Show } from 'solid-js';
import { t } from '../i18n/index.ts';
import { api, can } from '../lib/api.ts';
import { MODEL_KIND_FOR_ENGINE, type EngineKind, type EngineNow, type EnginesAnswer, type ModelItem, type ModelsAnswer } from '../lib/engines-api.ts';
import { ErrorBox } from './ErrorBox.tsx';
import { RouteProblem } from './RouteProblem.tsx';
import { valueOf } from '../lib/resource-value.ts';

interface Draft {
  engine: string;
  model: string;
  voice: string;
}

export function EngineChoice(props: { kind: EngineKind; voices?: string[] }) {
  const [engines, { mutate }] = createResource(() => api<EnginesAnswer>('GET', '/admin/engines'));
  // Only the admin's form offers models; a gateway without the models route offers none.
  const [models] = createResource(
    () => can('admin'),
    () => api<ModelsAnswer>('GET', '/admin/models').then((r) => r.items.filter((m) => m.status === 'installed')).catch(() => [] as ModelItem[]),
  );
  const now = () => valueOf(engines)?.[props.kind];
  const [draft, setDraft] = createSignal<Draft>({ engine: '', model: '', voice: '' });
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const fromNow = (n: EngineNow) => setDraft({ engine: n.engine, model: n.model ?? '', voice: n.voice ?? '' });
  createEffect(on(now, (n) => n && fromNow(n)));
  const modelKind = () => MODEL_KIND_FOR_ENGINE[draft().engine];
  const modelsForEngine = () => (models() ?? []).filter((m) => m.kind === modelKind());
  const formId = `engine-form-${props.kind}`;

  const apply = async (what: () => Promise<EngineNow>) => {
    setError(null);
    setNotice('');
    setBusy(true);
    try {
      const n = await what();
      const e = valueOf(engines);
      if (e) mutate({ ...e, [props.kind]: n });
      setNotice(t('engines.applied', { engine: n.engine }));
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
    if (modelKind() && d.model) body.model = d.model;
    if (props.kind === 'tts' && d.voice.trim()) body.voice = d.voice.trim();
    void apply(() => api<EngineNow>('PUT', `/admin/engines/${props.kind}`, body));
  };
  const reset = () => void apply(() => api<EngineNow>('DELETE', `/admin/engines/${props.kind}`).then(async (n) => n ?? (await api<EnginesAnswer>('GET', '/admin/engines'))[props.kind]));

  return (
    <section aria-labelledby={`engine-${props.kind}`}>
      <h2 id={`engine-${props.kind}`}>{t('engines.title')}</h2>
      <RouteProblem error={engines.error} route="/admin/engines" />
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
            </dl>
            <Show when={n().error}>
              <p class="error" role="alert">
                {t('engines.storedFailed', { message: n().error! })}
              </p>
            </Show>
            <ul class="plain">
              <For each={valueOf(engines)?.available[props.kind]}>
                {(o) => <li>{o.available ? t('engines.available', { engine: o.engine }) : t('engines.unavailable', { engine: o.engine, reason: o.reason ?? t('common.none') })}</li>}
              </For>
            </ul>
            <Show when={can('admin')} fallback={<p class="muted">{t('engines.adminOnly')}</p>}>
              <ErrorBox error={error()} />
              <Show when={notice()}>
                <p class="notice" role="status">
                  {notice()}
                </p>
              </Show>
              <form class="card" onSubmit={save} aria-labelledby={formId}>
                <h3 id={formId}>{t('engines.change')}</h3>
                <div class="row">
                  <label>
                    {t('engines.engine')}
                    <select name="engine" value={draft().engine} onChange={(e) => setDraft({ ...draft(), engine: e.currentTarget.value, model: '' })}>
                      <For each={valueOf(engines)?.available[props.kind]}>
                        {(o) => (
                          <option value={o.engine} disabled={!o.available}>
                            {o.available ? o.engine : t('engines.optionUnavailable', { engine: o.engine })}
                          </option>
                        )}
                      </For>
                    </select>
                  </label>
                  <Show when={modelKind()}>
                    <label>
                      {t('engines.model')}
                      <select name="model" value={draft().model} onChange={(e) => setDraft({ ...draft(), model: e.currentTarget.value })}>
                        <option value="">{t('engines.modelDefault')}</option>
                        <For each={modelsForEngine()}>{(m) => <option value={m.name}>{m.name}</option>}</For>
                      </select>
                    </label>
                  </Show>
                  <Show when={props.kind === 'tts'}>
                    <label>
                      {t('engines.voice')}
                      <input name="voice" list="engine-voices" autocomplete="off" placeholder={t('engines.voiceDefault')} value={draft().voice} onInput={(e) => setDraft({ ...draft(), voice: e.currentTarget.value })} />
                      <datalist id="engine-voices">
                        <For each={props.voices ?? []}>{(v) => <option value={v} />}</For>
                      </datalist>
                    </label>
                  </Show>
                </div>
                <div class="actions">
                  <button type="submit" class="primary" disabled={busy()}>
                    {t('engines.use')}
                  </button>
                  <Show when={n().source === 'admin'}>
                    <button type="button" disabled={busy()} onClick={reset}>
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
