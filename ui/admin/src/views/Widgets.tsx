/**
 * Website widgets (/admin/widgets): each instance is one `data-widget` id a site embeds, with the
 * origins it may be embedded on, who answers (persona), its greeting, language, colours, corner,
 * voice button and rate limits. The embedding snippet is shown ready to copy. Viewers read;
 * operators change (the API refuses them anyway). Changes reach the next visitor request.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { actionsColumn, DataTable, RowButton, type Column } from '../components/DataTable.tsx';
import { createActions, Feedback } from '../components/Feedback.tsx';
import { CheckField, createDraft, FormCard, SelectField, TextArea, TextField } from '../components/Form.tsx';
import { t } from '../i18n/index.ts';
import { api, can } from '../lib/api.ts';
import { WidgetSnippet } from './widgets/WidgetSnippet.tsx';

const COLOR_KEYS = ['primary', 'primary_text', 'background', 'text'] as const;
type ColorKey = (typeof COLOR_KEYS)[number];
type Colors = Record<ColorKey, string>;

export interface Widget {
  id: number;
  public_id: string;
  name: string;
  enabled: boolean;
  allowed_origins: string[];
  persona_id: number | null;
  greeting: string | null;
  language: 'auto' | 'ru' | 'en';
  colors: Colors;
  position: 'bottom-right' | 'bottom-left';
  voice_enabled: boolean;
  session_messages_per_min: number;
  ip_messages_per_min: number;
}
interface Persona {
  id: number;
  name: string;
}
interface Draft extends Colors {
  id: number | null;
  name: string;
  /** One origin per line. */
  origins: string;
  persona_id: string;
  greeting: string;
  language: Widget['language'];
  position: Widget['position'];
  voice_enabled: boolean;
  session_rate: string;
  ip_rate: string;
  enabled: boolean;
}
// The API's defaults (control/repositories/widgets.ts), so a new instance's form shows what it will get.
const EMPTY: Draft = {
  id: null,
  name: '',
  origins: '',
  persona_id: '',
  greeting: '',
  language: 'auto',
  position: 'bottom-right',
  voice_enabled: false,
  session_rate: '10',
  ip_rate: '30',
  enabled: true,
  primary: '#2563eb',
  primary_text: '#ffffff',
  background: '#ffffff',
  text: '#111827',
};

export default function Widgets() {
  const [widgets, { refetch }] = createResource(() => api<{ items: Widget[] }>('GET', '/admin/widgets').then((r) => r.items));
  const [personas] = createResource(() => api<{ items: Persona[] }>('GET', '/admin/personas').then((r) => r.items));
  const { draft, set, load, reset, editing } = createDraft<Draft>(EMPTY);
  const { error, notice, run, remove } = createActions(refetch);
  const [snippetOf, setSnippetOf] = createSignal<Widget | null>(null);
  const personaName = (id: number | null) => (id === null ? t('wg.defaultPersona') : (personas.latest?.find((p) => p.id === id)?.name ?? `#${id}`));

  const edit = (w: Widget) =>
    load({
      id: w.id,
      name: w.name,
      origins: w.allowed_origins.join('\n'),
      persona_id: w.persona_id === null ? '' : String(w.persona_id),
      greeting: w.greeting ?? '',
      language: w.language,
      position: w.position,
      voice_enabled: w.voice_enabled,
      session_rate: String(w.session_messages_per_min),
      ip_rate: String(w.ip_messages_per_min),
      enabled: w.enabled,
      ...w.colors,
    });
  const save = () => {
    const d = draft();
    const body = {
      name: d.name,
      allowed_origins: d.origins
        .split(/[\s,]+/)
        .map((o) => o.trim())
        .filter(Boolean),
      persona_id: d.persona_id ? Number(d.persona_id) : null,
      greeting: d.greeting.trim() || null,
      language: d.language,
      position: d.position,
      voice_enabled: d.voice_enabled,
      session_messages_per_min: Number(d.session_rate),
      ip_messages_per_min: Number(d.ip_rate),
      enabled: d.enabled,
      colors: Object.fromEntries(COLOR_KEYS.map((k) => [k, d[k]])),
    };
    void run(async () => {
      const w = await (d.id === null ? api<Widget>('POST', '/admin/widgets', body) : api<Widget>('PATCH', `/admin/widgets/${d.id}`, body));
      reset();
      setSnippetOf(w);
    }, t('common.saved'));
  };

  const columns: Column<Widget>[] = [
    {
      head: 'wg.name',
      cell: (w) => (
        <>
          {w.name}
          <Show when={!w.enabled}>
            <span class="muted"> ({t('wg.disabled')})</span>
          </Show>
        </>
      ),
    },
    { head: 'wg.publicId', cell: (w) => <code>{w.public_id}</code> },
    { head: 'wg.origins', cell: (w) => w.allowed_origins.join(', ') },
    { head: 'wg.persona', cell: (w) => personaName(w.persona_id) },
    {
      head: 'wg.snippetColumn',
      cell: (w) => <RowButton label={t('wg.showSnippet')} of={w.name} onClick={() => setSnippetOf(w)} />,
    },
    actionsColumn(
      (w) => (
        <>
          <RowButton label={t('common.edit')} of={w.name} onClick={() => edit(w)} />
          <RowButton
            label={t('common.delete')}
            of={w.name}
            danger
            onClick={() =>
              remove(w.name, async () => {
                await api('DELETE', `/admin/widgets/${w.id}`);
                if (snippetOf()?.id === w.id) setSnippetOf(null);
              })
            }
          />
        </>
      ),
      () => can('operator'),
    ),
  ];

  return (
    <section>
      <h1>{t('nav.widgets')}</h1>
      <Feedback error={error() ?? widgets.error} notice={notice()} />
      <Show when={snippetOf()} keyed>
        {(w) => <WidgetSnippet widget={w} onClose={() => setSnippetOf(null)} />}
      </Show>
      <DataTable label={t('nav.widgets')} columns={columns} rows={widgets.latest} empty={t('wg.none')} rowId={(w) => `widget-${w.name}`} />
      <Show when={can('operator')} fallback={<p class="muted">{t('common.readOnly')}</p>}>
        <FormCard id="widget-form" title={editing() ? t('wg.editing', { name: draft().name }) : t('wg.new')} editing={editing()} onSubmit={save} onCancel={editing() ? reset : undefined}>
          <div class="row">
            <TextField label={t('wg.name')} name="name" required maxLength={100} value={draft().name} onValue={(v) => set({ name: v })} />
            <SelectField label={t('wg.persona')} name="persona_id" value={draft().persona_id} onValue={(v) => set({ persona_id: v })}>
              <option value="">{t('wg.defaultPersona')}</option>
              <For each={personas.latest}>{(p) => <option value={String(p.id)}>{p.name}</option>}</For>
            </SelectField>
            <SelectField label={t('wg.language')} name="language" value={draft().language} onValue={(v) => set({ language: v as Draft['language'] })}>
              <option value="auto">{t('wg.language.auto')}</option>
              <option value="en">{t('wg.language.en')}</option>
              <option value="ru">{t('wg.language.ru')}</option>
            </SelectField>
          </div>
          <TextArea label={t('wg.originsHelp')} name="allowed_origins" required placeholder="https://shop.example" value={draft().origins} onValue={(v) => set({ origins: v })} />
          <TextField label={t('wg.greeting')} name="greeting" maxLength={500} placeholder={t('wg.greetingDefault')} value={draft().greeting} onValue={(v) => set({ greeting: v })} />
          <fieldset class="row">
            <legend>{t('wg.colors')}</legend>
            <For each={COLOR_KEYS}>{(k) => <TextField label={t(`wg.color.${k}`)} name={`color_${k}`} type="color" value={draft()[k]} onValue={(v) => set({ [k]: v } as Partial<Draft>)} />}</For>
          </fieldset>
          <div class="row">
            <SelectField label={t('wg.position')} name="position" value={draft().position} onValue={(v) => set({ position: v as Draft['position'] })}>
              <option value="bottom-right">{t('wg.position.bottom-right')}</option>
              <option value="bottom-left">{t('wg.position.bottom-left')}</option>
            </SelectField>
            <TextField label={t('wg.sessionRate')} name="session_messages_per_min" type="number" min="1" max="600" required value={draft().session_rate} onValue={(v) => set({ session_rate: v })} />
            <TextField label={t('wg.ipRate')} name="ip_messages_per_min" type="number" min="1" max="10000" required value={draft().ip_rate} onValue={(v) => set({ ip_rate: v })} />
          </div>
          <div class="row">
            <CheckField label={t('wg.voice')} name="voice_enabled" checked={draft().voice_enabled} onValue={(v) => set({ voice_enabled: v })} />
            <CheckField label={t('wg.enabled')} name="enabled" checked={draft().enabled} onValue={(v) => set({ enabled: v })} />
          </div>
        </FormCard>
      </Show>
    </section>
  );
}
