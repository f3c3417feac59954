/**
 * The one table every list view draws: a labelled, keyboard-scrollable region (narrow screens
 * scroll the table, not the page), a header row, one row per item, a row saying the list is empty
 * (or still loading), and the pager under it when the list is paged. Columns are data, so a view
 * says what it shows, not how a table is built.
 */
import { createMemo, For, Show, type JSX } from 'solid-js';
import { t, type MessageKey } from '../i18n/index.ts';
import { Pager } from './Pager.tsx';

export interface Column<T> {
  /** The header: a dictionary key, or markup (read where it is drawn, so it follows the language). */
  head: MessageKey | (() => JSX.Element);
  cell: (row: T) => JSX.Element;
  /** A class for the cell (a status colour, `muted`). */
  class?: (row: T) => string | undefined;
  /** Left out when this says false (the edit column for a role that cannot edit). */
  when?: () => boolean;
}

export interface PageState {
  offset: number;
  limit: number;
  total: number;
}

export function DataTable<T>(props: {
  /** The region's accessible name. */
  label: string;
  columns: Column<T>[];
  /** Undefined while the first answer is awaited. A resource that failed throws when read: the table then stays empty (the view's ErrorBox says why). */
  rows: readonly T[] | undefined;
  /** What an empty list says (default: "Nothing here yet."). */
  empty?: string;
  /** A test id per row. */
  rowId?: (row: T) => string;
  /** The table's own test id. */
  testId?: string;
  /** A paged list: the pager under the table moves through it. */
  page?: PageState;
  onPage?: (offset: number) => void;
}) {
  const columns = createMemo(() => props.columns.filter((c) => c.when?.() ?? true));
  const rows = createMemo<{ rows?: readonly T[]; failed?: true }>(() => {
    try {
      return { rows: props.rows };
    } catch {
      return { failed: true };
    }
  });
  return (
    <>
      <div class="table-wrap" tabindex="0" role="region" aria-label={props.label}>
        <table data-testid={props.testId}>
          <thead>
            <tr>
              <For each={columns()}>{(c) => <th scope="col">{typeof c.head === 'string' ? t(c.head) : c.head()}</th>}</For>
            </tr>
          </thead>
          <tbody>
            <Show when={!rows().rows?.length}>
              <tr>
                <td colSpan={columns().length}>{rows().failed ? t('common.none') : rows().rows ? (props.empty ?? t('common.empty')) : t('app.loading')}</td>
              </tr>
            </Show>
            <For each={rows().rows}>
              {(row) => (
                <tr data-testid={props.rowId?.(row)}>
                  <For each={columns()}>{(c) => <td class={c.class?.(row)}>{c.cell(row)}</td>}</For>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <Show when={props.page && props.onPage ? props.page : undefined}>
        {(p) => <Pager offset={p().offset} limit={p().limit} total={p().total} onChange={(o) => props.onPage!(o)} />}
      </Show>
    </>
  );
}

/** The last column of a list an editor may change: its buttons in a row, shown to `when` only. */
export function actionsColumn<T>(cell: (row: T) => JSX.Element, when: () => boolean = () => true): Column<T> {
  // The flex row inside the cell, not on it: a cell that is not a table-cell loses its borders' alignment.
  return { head: () => <span class="muted">{t('common.edit')}</span>, cell: (row) => <div class="actions">{cell(row)}</div>, when };
}

/** A button in a row, named for screen readers by what it does and to which row ("Delete: Front desk"). */
export function RowButton(props: { label: string; of: string; onClick: () => void; danger?: boolean; disabled?: boolean }) {
  return (
    <button type="button" class={props.danger ? 'danger' : undefined} disabled={props.disabled} onClick={() => props.onClick()} aria-label={`${props.label}: ${props.of}`}>
      {props.label}
    </button>
  );
}
