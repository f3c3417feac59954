/**
 * A horizontal bar chart that needs no library: one row per bar (its label, an inline SVG bar
 * scaled to the largest value, the value in words), laid out as a table for screen readers, so
 * the numbers are read, not guessed from lengths. It reflows to 360 px like any table row.
 */
import { createMemo, For, Show } from 'solid-js';
import { formatNumber, t } from '../i18n/index.ts';

export interface Bar {
  label: string;
  value: number;
}

export function BarChart(props: { title: string; bars: Bar[]; unit?: string; testId?: string }) {
  const max = createMemo(() => Math.max(0, ...props.bars.map((b) => b.value)));
  return (
    <figure class="chart" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <Show when={props.bars.length} fallback={<p class="muted">{t('common.empty')}</p>}>
        <div class="bars" role="table" aria-label={props.title}>
          <For each={props.bars}>
            {(b) => (
              <div class="bar-row" role="row">
                <span role="rowheader">{b.label}</span>
                <span role="cell" class="bar-cell">
                  <svg aria-hidden="true" viewBox="0 0 100 10" preserveAspectRatio="none">
                    <rect class="bar-fill" x="0" y="0" height="10" width={max() ? (b.value / max()) * 100 : 0} />
                  </svg>
                </span>
                <span role="cell" class="bar-value">
                  {formatNumber(b.value)}
                  {props.unit ? ` ${props.unit}` : ''}
                </span>
              </div>
            )}
          </For>
        </div>
      </Show>
    </figure>
  );
}
