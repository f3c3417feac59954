/**
 * TTS presets: named voices (engine, voice, language, speed) that personas point at. Operators
 * add, edit and delete; the API checks the engine and voice and says what it would accept.
 * Engine-specific params are kept as they are (not edited here).
 */
import { For, Show } from 'solid-js';
import { actionsColumn, DataTable, RowButton, type Column } from '../../components/DataTable.tsx';
import { createActions, Feedback } from '../../components/Feedback.tsx';
import { createDraft, FormCard, SelectField, TextField } from '../../components/Form.tsx';
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
  const { draft, set, load, reset, editing } = createDraft<Draft>({ id: null, name: '', engine: '', voice: '', language: '', speed: '1' });
  const { error, notice, run, remove } = createActions(props.changed);
  // The engine picked in the form, or the default one before the voices arrived.
  const engine = () => draft().engine || props.voices?.default_engine || '';
  const voiceIds = () => (props.voices?.items ?? []).filter((v) => v.engine === engine()).map((v) => v.id);

  const save = () => {
    const d = draft();
    const body = { name: d.name, engine: engine(), voice: d.voice.trim(), language: d.language.trim() || null, speed: Number(d.speed) };
    void run(async () => {
      await (d.id === null ? api('POST', '/admin/tts/presets', body) : api('PATCH', `/admin/tts/presets/${d.id}`, body));
      reset();
    }, t('common.saved'));
  };
  const edit = (p: TtsPreset) => load({ id: p.id, name: p.name, engine: p.engine, voice: p.voice, language: p.language ?? '', speed: String(p.speed) });

  const columns: Column<TtsPreset>[] = [
    { head: 'tts.preset.name', cell: (p) => p.name },
    { head: 'tts.engine', cell: (p) => p.engine },
    { head: 'tts.voice', cell: (p) => p.voice },
    { head: 'tts.language', cell: (p) => p.language ?? t('common.none') },
    { head: 'tts.speed', cell: (p) => formatNumber(p.speed) },
    actionsColumn(
      (p) => (
        <>
          <RowButton label={t('common.edit')} of={p.name} onClick={() => edit(p)} />
          <RowButton label={t('common.delete')} of={p.name} onClick={() => remove(p.name, () => api('DELETE', `/admin/tts/presets/${p.id}`))} danger />
        </>
      ),
      () => can('operator'),
    ),
  ];

  return (
    <section aria-labelledby="tts-presets">
      <h2 id="tts-presets">{t('tts.presets')}</h2>
      <Feedback error={error()} notice={notice()} />
      <DataTable label={t('tts.presets')} columns={columns} rows={props.presets} empty={t('tts.presets.none')} />
      <Show when={can('operator')}>
        <FormCard id="preset-form" level={3} title={editing() ? t('tts.preset.editing', { name: draft().name }) : t('tts.preset.new')} editing={editing()} onSubmit={save} onCancel={editing() ? reset : undefined}>
          <div class="row">
            <TextField label={t('tts.preset.name')} name="preset-name" required maxLength={100} value={draft().name} onValue={(v) => set({ name: v })} />
            <SelectField label={t('tts.engine')} name="preset-engine" value={engine()} onValue={(v) => set({ engine: v, voice: '' })}>
              <For each={props.voices?.engines ?? []}>{(e) => <option value={e.name}>{e.name}</option>}</For>
            </SelectField>
            <label>
              {t('tts.voice')}
              <input name="preset-voice" list="preset-voices" required maxLength={200} autocomplete="off" value={draft().voice} onInput={(e) => set({ voice: e.currentTarget.value })} />
              <datalist id="preset-voices">
                <For each={voiceIds()}>{(v) => <option value={v} />}</For>
              </datalist>
            </label>
            <TextField label={t('tts.language')} name="preset-language" maxLength={35} placeholder="en, ru" value={draft().language} onValue={(v) => set({ language: v })} />
            <TextField label={t('tts.speed')} name="preset-speed" type="number" required min="0.25" max="4" step="0.05" value={draft().speed} onValue={(v) => set({ speed: v })} />
          </div>
        </FormCard>
      </Show>
    </section>
  );
}
