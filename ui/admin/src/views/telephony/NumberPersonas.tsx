/**
 * Which persona answers which caller on the modem, by number (/admin/gsm/personas). Numbers not
 * listed follow MODEM_PERSONAS, then the default persona. Setting a number that is listed already
 * changes its entry (the API matches on the digits), so "edit" is the same form.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { actionsColumn, DataTable, RowButton, type Column } from '../../components/DataTable.tsx';
import { createActions, Feedback } from '../../components/Feedback.tsx';
import { FormCard, SelectField, TextField } from '../../components/Form.tsx';
import { formatDateTime, t } from '../../i18n/index.ts';
import { api, can } from '../../lib/api.ts';

interface Entry {
  id: number;
  number: string;
  persona_id: number;
  updated_at: string;
}
interface Persona {
  id: number;
  name: string;
}

export function NumberPersonas() {
  const [entries, { refetch }] = createResource(() => api<{ items: Entry[] }>('GET', '/admin/gsm/personas').then((r) => r.items));
  const [personas] = createResource(() => api<{ items: Persona[] }>('GET', '/admin/personas').then((r) => r.items));
  const { error, notice, run, remove } = createActions(refetch);
  const [number, setNumber] = createSignal('');
  const [personaId, setPersonaId] = createSignal('');
  const personaName = (id: number) => personas.latest?.find((p) => p.id === id)?.name ?? `#${id}`;

  const save = () =>
    void run(async () => {
      await api('POST', '/admin/gsm/personas', { number: number().trim(), persona_id: Number(personaId()) });
      setNumber('');
    }, t('common.saved'));

  const columns: Column<Entry>[] = [
    { head: 'tel.number', cell: (e) => e.number },
    { head: 'tel.persona', cell: (e) => personaName(e.persona_id) },
    { head: 'tel.changed', cell: (e) => formatDateTime(e.updated_at) },
    actionsColumn(
      (e) => (
        <>
          <RowButton
            label={t('common.edit')}
            of={e.number}
            onClick={() => {
              setNumber(e.number);
              setPersonaId(String(e.persona_id));
            }}
          />
          <RowButton label={t('common.delete')} of={e.number} onClick={() => remove(e.number, () => api('DELETE', `/admin/gsm/personas/${e.id}`))} danger />
        </>
      ),
      () => can('operator'),
    ),
  ];

  return (
    <>
      <h2>{t('tel.personas.title')}</h2>
      <p class="muted">{t('tel.personas.help')}</p>
      <Feedback error={error() ?? entries.error} notice={notice()} />
      <DataTable label={t('tel.personas.title')} columns={columns} rows={entries.latest} empty={t('tel.personas.none')} />
      <Show when={can('operator')} fallback={<p class="muted">{t('common.readOnly')}</p>}>
        <FormCard id="number-persona-form" title={t('tel.personas.set')} submit={t('common.save')} onSubmit={save} row>
          <TextField label={t('tel.number')} name="number" type="tel" required autocomplete="off" value={number()} onValue={setNumber} />
          <SelectField label={t('tel.persona')} name="persona_id" required value={personaId()} onValue={setPersonaId}>
            <option value="" disabled>
              {t('tel.personas.choose')}
            </option>
            <For each={personas.latest}>{(p) => <option value={String(p.id)}>{p.name}</option>}</For>
          </SelectField>
        </FormCard>
      </Show>
    </>
  );
}
