/** Calls, newest first, filtered by caller, channel and status; each opens its page with the turns. */
import { createResource, createSignal, For, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Pager } from '../components/Pager.tsx';
import { formatDateTime, formatDuration, t } from '../i18n/index.ts';
import { api } from '../lib/api.ts';
import type { Call, Page } from '../lib/types.ts';

const LIMIT = 25;

export default function Calls() {
  const [filter, setFilter] = createSignal({ caller: '', channel: '', status: '' });
  const [draft, setDraft] = createSignal({ caller: '', channel: '', status: '' });
  const [offset, setOffset] = createSignal(0);
  const [page] = createResource(
    () => ({ ...filter(), offset: offset() }),
    (q) => {
      const p = new URLSearchParams({ limit: String(LIMIT), offset: String(q.offset) });
      if (q.caller) p.set('caller', q.caller);
      if (q.channel) p.set('channel', q.channel);
      if (q.status) p.set('status', q.status);
      return api<Page<Call>>('GET', `/admin/calls?${p}`);
    },
  );
  const apply = (e: SubmitEvent) => {
    e.preventDefault();
    setOffset(0);
    setFilter({ ...draft() });
  };
  return (
    <section>
      <h1>{t('calls.title')}</h1>
      <form class="row card" onSubmit={apply}>
        <label>
          {t('calls.filterCaller')}
          <input name="caller" value={draft().caller} onInput={(e) => setDraft({ ...draft(), caller: e.currentTarget.value })} />
        </label>
        <label>
          {t('calls.filterChannel')}
          <select name="channel" value={draft().channel} onChange={(e) => setDraft({ ...draft(), channel: e.currentTarget.value })}>
            <option value="">{t('msg.all')}</option>
            <option value="ws">ws</option>
            <option value="modem">modem</option>
          </select>
        </label>
        <label>
          {t('calls.filterStatus')}
          <input name="status" value={draft().status} onInput={(e) => setDraft({ ...draft(), status: e.currentTarget.value })} />
        </label>
        <button type="submit">{t('calls.apply')}</button>
      </form>
      <ErrorBox error={page.error} />
      <div class="table-wrap" tabindex="0" role="region" aria-label={t('calls.title')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('calls.started')}</th>
              <th scope="col">{t('calls.caller')}</th>
              <th scope="col">{t('calls.channel')}</th>
              <th scope="col">{t('calls.status')}</th>
              <th scope="col">{t('calls.duration')}</th>
              <th scope="col">{t('calls.endReason')}</th>
            </tr>
          </thead>
          <tbody>
            <Show when={page()?.items.length === 0}>
              <tr>
                <td colSpan={6}>{t('common.empty')}</td>
              </tr>
            </Show>
            <For each={page()?.items}>
              {(c) => (
                <tr>
                  <td>
                    <a href={`/calls/${encodeURIComponent(c.id)}`}>{formatDateTime(c.started_at)}</a>
                  </td>
                  <td>{c.caller_number ?? t('common.none')}</td>
                  <td>{c.channel}</td>
                  <td>{c.status}</td>
                  <td>{formatDuration(c.duration_ms)}</td>
                  <td>{c.end_reason ?? t('common.none')}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <Show when={page()}>{(p) => <Pager offset={p().offset} limit={p().limit} total={p().total} onChange={setOffset} />}</Show>
    </section>
  );
}
