/**
 * TTS presets: named voices (engine, voice, language, speed) that personas point at. Operators
 * add, edit and delete; the API checks the engine and voice and says what it would accept.
 * Engine-specific params are kept as they are (not edited here).
 */
import { createSignal, For, Show } from 'solid-js';
import { ErrorBox } from '../../components/ErrorBox.tsx';
import { formatNumber, t } from '../../i18n/index.ts';
import { api, can } from '../../lib/api.ts';
import type { TtsPreset, TtsVoices } from './tts-types.ts';

interface Draft {
  id: number | null;
  name: string;
  engine: string;
  voice: string;
  language: string;
  speed: string;
}

export function TtsPresets(props: { presets: TtsPreset[] | undefined; voices: TtsVoices | undefined; changed: () => unknown }) {
  const empty = (): Draft => ({ id: null, name: '', engine: props.voices?.default_engine ?? '', voice: '', language: '', speed: '1' });
  const [draft, setDraft] = createSignal<Draft>(empty());
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal('');
  const set = (patch: Partial<Draft>) => setDraft({ ...draft(), ...patch });
  // The engine picked in the form, or the default one before the voices arrived.
  const engine = () => draft().engine || props.voices?.default_engine || '';
  const voiceIds = () => (props.voices?.items ?? []).filter((v) => v.engine === engine()).map((v) => v.id);

  const run = async (what: () => Promise<unknown>, done?: string) => {
    setError(null);
    setNotice('');
    try {
      await what();
      if (done) setNotice(done);
      await props.changed();
    } catch (err) {
      setError(err);
    }
  };
  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const d = draft();
    const body = { name: d.name, engine: engine(), voice: d.voice.trim(), language: d.language.trim() || null, speed: Number(d.speed) };
    void run(async () => {
      await (d.id === null ? api('POST', '/admin/tts/presets', body) : api('PATCH', `/admin/tts/presets/${d.id}`, body));
      setDraft(empty());
    }, t('common.saved'));
  };
  const edit = (p: TtsPreset) => setDraft({ id: p.id, name: p.name, engine: p.engine, voice: p.voice, language: p.language ?? '', speed: String(p.speed) });
  const remove = (p: TtsPreset) => {
    if (confirm(t('common.confirmDelete', { name: p.name }))) void run(() => api('DELETE', `/admin/tts/presets/${p.id}`));
  };

  return (
    <section aria-labelledby="tts-presets">
      <h2 id="tts-presets">{t('tts.presets')}</h2>
      <ErrorBox error={error()} />
      <Show when={notice()}>
        <p class="notice" role="status">
          {notice()}
        </p>
      </Show>
      <div class="table-wrap" tabindex="0" role="region" aria-label={t('tts.presets')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('tts.preset.name')}</th>
              <th scope="col">{t('tts.engine')}</th>
              <th scope="col">{t('tts.voice')}</th>
              <th scope="col">{t('tts.language')}</th>
              <th scope="col">{t('tts.speed')}</th>
              <Show when={can('operator')}>
                <th scope="col">
                  <span class="muted">{t('common.edit')}</span>
                </th>
              </Show>
            </tr>
          </thead>
          <tbody>
            <Show when={props.presets?.length === 0}>
              <tr>
                <td colSpan={6}>{t('tts.presets.none')}</td>
              </tr>
            </Show>
            <For each={props.presets}>
              {(p) => (
                <tr>
                  <td>{p.name}</td>
                  <td>{p.engine}</td>
                  <td>{p.voice}</td>
                  <td>{p.language ?? t('common.none')}</td>
                  <td>{formatNumber(p.speed)}</td>
                  <Show when={can('operator')}>
                    <td>
                      <div class="actions">
                        <button type="button" onClick={() => edit(p)} aria-label={`${t('common.edit')}: ${p.name}`}>
                          {t('common.edit')}
                        </button>
                        <button type="button" class="danger" onClick={() => remove(p)} aria-label={`${t('common.delete')}: ${p.name}`}>
                          {t('common.delete')}
                        </button>
                      </div>
                    </td>
                  </Show>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <Show when={can('operator')}>
        <form class="card" onSubmit={save} aria-labelledby="preset-form">
          <h3 id="preset-form">{draft().id === null ? t('tts.preset.new') : t('tts.preset.editing', { name: draft().name })}</h3>
          <div class="row">
            <label>
              {t('tts.preset.name')}
              <input name="preset-name" required maxLength={100} value={draft().name} onInput={(e) => set({ name: e.currentTarget.value })} />
            </label>
            <label>
              {t('tts.engine')}
              <select name="preset-engine" value={engine()} onChange={(e) => set({ engine: e.currentTarget.value, voice: '' })}>
                <For each={props.voices?.engines ?? []}>{(e) => <option value={e.name}>{e.name}</option>}</For>
              </select>
            </label>
            <label>
              {t('tts.voice')}
              <input name="preset-voice" list="preset-voices" required maxLength={200} autocomplete="off" value={draft().voice} onInput={(e) => set({ voice: e.currentTarget.value })} />
              <datalist id="preset-voices">
                <For each={voiceIds()}>{(v) => <option value={v} />}</For>
              </datalist>
            </label>
            <label>
              {t('tts.language')}
              <input name="preset-language" maxLength={35} placeholder="en, ru" value={draft().language} onInput={(e) => set({ language: e.currentTarget.value })} />
            </label>
            <label>
              {t('tts.speed')}
              <input name="preset-speed" type="number" required min="0.25" max="4" step="0.05" value={draft().speed} onInput={(e) => set({ speed: e.currentTarget.value })} />
            </label>
          </div>
          <div class="actions">
            <button type="submit" class="primary">
              {draft().id === null ? t('common.add') : t('common.save')}
            </button>
            <Show when={draft().id !== null}>
              <button type="button" onClick={() => setDraft(empty())}>
                {t('common.cancel')}
              </button>
            </Show>
          </div>
        </form>
      </Show>
    </section>
  );
}
