/**
 * The audit log (admins): every change and every login, newest first, filtered by actor, action (a
 * trailing dot matches a prefix: `faq.`) and target, paged; CSV export of what the filter matches.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Pager } from '../components/Pager.tsx';
import { formatDateTime, t } from '../i18n/index.ts';
import { api, authorized, can } from '../lib/api.ts';
import type { Page } from '../lib/types.ts';

interface Entry {
  id: number;
  at: string;
  actor_type: string;
  actor_name: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  status: number | null;
  details: Record<string, unknown> | null;
}
interface Filter {
  actor: string;
  action: string;
  target: string;
}
const LIMIT = 50;

function params(f: Filter): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v.trim()) p.set(k, v.trim());
  return p;
}

export default function Audit() {
  const [filter, setFilter] = createSignal<Filter>({ actor: '', action: '', target: '' });
  const [draft, setDraft] = createSignal<Filter>({ actor: '', action: '', target: '' });
  const [offset, setOffset] = createSignal(0);
  const [error, setError] = createSignal<unknown>(null);
  const [page] = createResource(
    () => (can('admin') ? { f: filter(), offset: offset() } : false),
    (q) => {
      const p = params(q.f);
      p.set('limit', String(LIMIT));
      p.set('offset', String(q.offset));
      return api<Page<Entry>>('GET', `/admin/audit?${p}`);
    },
  );
  const apply = (e: SubmitEvent) => {
    e.preventDefault();
    setOffset(0);
    setFilter({ ...draft() });
  };
  const exportCsv = async () => {
    setError(null);
    try {
      const p = params(filter());
      p.set('format', 'csv');
      const blob = await (await authorized(`/admin/audit/export?${p}`)).blob();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = 'audit.csv';
      a.click();
      URL.revokeObjectURL(a.href);
    } catch (err) {
      setError(err);
    }
  };
  const set = (patch: Partial<Filter>) => setDraft({ ...draft(), ...patch });
  return (
    <section>
      <h1>{t('nav.audit')}</h1>
      <Show when={can('admin')} fallback={<p class="muted">{t('audit.adminOnly')}</p>}>
        <form class="row card" onSubmit={apply}>
          <label>
            {t('audit.actor')}
            <input name="actor" value={draft().actor} onInput={(e) => set({ actor: e.currentTarget.value })} />
          </label>
          <label>
            {t('audit.action')}
            <input name="action" placeholder="faq." value={draft().action} onInput={(e) => set({ action: e.currentTarget.value })} />
          </label>
          <label>
            {t('audit.target')}
            <input name="target" value={draft().target} onInput={(e) => set({ target: e.currentTarget.value })} />
          </label>
          <button type="submit">{t('calls.apply')}</button>
          <button type="button" onClick={() => void exportCsv()}>
            {t('audit.export')}
          </button>
        </form>
        <ErrorBox error={error() ?? page.error} />
        <div class="table-wrap" tabindex="0" role="region" aria-label={t('nav.audit')}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('msg.when')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.target')}</th>
                <th scope="col">{t('audit.status')}</th>
                <th scope="col">{t('audit.ip')}</th>
                <th scope="col">{t('dash.details')}</th>
              </tr>
            </thead>
            <tbody>
              <Show when={page()?.items.length === 0}>
                <tr>
                  <td colSpan={7}>{t('common.empty')}</td>
                </tr>
              </Show>
              <For each={page()?.items}>
                {(e) => (
                  <tr>
                    <td>{formatDateTime(e.at)}</td>
                    <td>{e.actor_name ?? e.actor_type}</td>
                    <td>{e.action}</td>
                    <td>{e.target ?? t('common.none')}</td>
                    <td class={e.status !== null && e.status >= 400 ? 'status-error' : undefined}>{e.status ?? t('common.none')}</td>
                    <td>{e.ip ?? t('common.none')}</td>
                    <td class="muted">{e.details ? JSON.stringify(e.details) : ''}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
        <Show when={page()}>{(p) => <Pager offset={p().offset} limit={p().limit} total={p().total} onChange={setOffset} />}</Show>
      </Show>
    </section>
  );
}
