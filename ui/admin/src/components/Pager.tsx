/** Previous/next over a list the API pages with limit and offset. */
import { Show } from 'solid-js';
import { t } from '../i18n/index.ts';

export function Pager(props: { offset: number; limit: number; total: number; onChange: (offset: number) => void }) {
  return (
    <Show when={props.total > props.limit || props.offset > 0}>
      <nav class="actions" aria-label={t('common.page', { from: props.offset + 1, to: Math.min(props.total, props.offset + props.limit), total: props.total })}>
        <button type="button" disabled={props.offset === 0} onClick={() => props.onChange(Math.max(0, props.offset - props.limit))}>
          {t('common.prev')}
        </button>
        <span class="muted">{t('common.page', { from: props.offset + 1, to: Math.min(props.total, props.offset + props.limit), total: props.total })}</span>
        <button type="button" disabled={props.offset + props.limit >= props.total} onClick={() => props.onChange(props.offset + props.limit)}>
          {t('common.next')}
        </button>
      </nav>
    </Show>
  );
}
