/**
 * Forms the views share: a card with a heading that names the form (its accessible name), the
 * fields, the API's refusal in words (ErrorBox) and submit / cancel; and labelled fields that hand
 * back the typed value, so a view binds a field to its draft in one line.
 */
import { createSignal, Show, splitProps, type JSX } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { t } from '../i18n/index.ts';
import { ErrorBox } from './ErrorBox.tsx';

export function FormCard(props: {
  /** The heading's id (the form is labelled by it). */
  id: string;
  title: string;
  onSubmit: () => void;
  /** The submit button's words (default: Save while editing, else Add). */
  submit?: string;
  /** An existing item is being edited (not a new one added). */
  editing?: boolean;
  /** `danger` for a form that destroys something. */
  tone?: 'primary' | 'danger';
  /** The submit button is disabled while this says false. */
  ready?: boolean;
  /** Shown with a Cancel button that calls it; none when absent. */
  onCancel?: () => void;
  error?: unknown;
  /** Lay the fields out in a row (short forms). */
  row?: boolean;
  /** The heading's level: 3 for a form inside a section that has its own h2. */
  level?: 2 | 3;
  /** More buttons after submit and cancel. */
  extra?: JSX.Element;
  children: JSX.Element;
}) {
  return (
    <form
      class={props.row ? 'card row' : 'card'}
      aria-labelledby={props.id}
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <Dynamic component={props.level === 3 ? 'h3' : 'h2'} id={props.id}>
        {props.title}
      </Dynamic>
      {props.children}
      <ErrorBox error={props.error} />
      <div class="actions">
        <button type="submit" class={props.tone ?? 'primary'} disabled={props.ready === false}>
          {props.submit ?? (props.editing ? t('common.save') : t('common.add'))}
        </button>
        <Show when={props.onCancel}>
          {(cancel) => (
            <button type="button" onClick={() => cancel()()}>
              {t('common.cancel')}
            </button>
          )}
        </Show>
        {props.extra}
      </div>
    </form>
  );
}

type InputRest = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'value' | 'onInput' | 'onChange' | 'children'>;

/** A labelled text (or number, date, password, url...) input. */
export function TextField(props: InputRest & { label: string; value: string; onValue: (v: string) => void }) {
  const [own, rest] = splitProps(props, ['label', 'value', 'onValue']);
  return (
    <label>
      {own.label}
      <input {...rest} value={own.value} onInput={(e) => own.onValue(e.currentTarget.value)} />
    </label>
  );
}

/** A labelled multi-line text. */
export function TextArea(props: Omit<JSX.TextareaHTMLAttributes<HTMLTextAreaElement>, 'value' | 'onInput' | 'children'> & { label: string; value: string; onValue: (v: string) => void }) {
  const [own, rest] = splitProps(props, ['label', 'value', 'onValue']);
  return (
    <label>
      {own.label}
      <textarea {...rest} value={own.value} onInput={(e) => own.onValue(e.currentTarget.value)} />
    </label>
  );
}

/** A labelled select; its options are the children. */
export function SelectField(props: { label: string; name?: string; value: string; onValue: (v: string) => void; inline?: boolean; required?: boolean; children: JSX.Element }) {
  return (
    <label class={props.inline ? 'inline' : undefined}>
      {props.label}
      <select name={props.name} required={props.required} value={props.value} onChange={(e) => props.onValue(e.currentTarget.value)}>
        {props.children}
      </select>
    </label>
  );
}

/** A checkbox with its label after it. */
export function CheckField(props: { label: string; name?: string; checked: boolean; onValue: (v: boolean) => void }) {
  return (
    <label class="inline">
      <input type="checkbox" name={props.name} checked={props.checked} onChange={(e) => props.onValue(e.currentTarget.checked)} />
      {props.label}
    </label>
  );
}

/**
 * A form's draft: the item being added (id null) or edited, `set` for one field, `reset` back to
 * a new empty item.
 */
export function createDraft<D extends { id: number | null }>(empty: D) {
  const [draft, setDraft] = createSignal<D>({ ...empty });
  return {
    draft,
    set: (patch: Partial<D>) => setDraft(() => ({ ...draft(), ...patch })),
    load: (d: D) => setDraft(() => d),
    reset: () => setDraft(() => ({ ...empty })),
    editing: () => draft().id !== null,
  };
}

/**
 * A list's filter: fields typed into `draft`, applied to `filter` (which the list's resource
 * reads) by the Apply button, back to the first page.
 */
export function createFilter<F extends Record<string, string>>(empty: F, onApply: () => void) {
  const [filter, setFilter] = createSignal<F>({ ...empty });
  const [draft, setDraft] = createSignal<F>({ ...empty });
  return {
    filter,
    draft,
    set: (patch: Partial<F>) => setDraft(() => ({ ...draft(), ...patch })),
    apply: () => {
      onApply();
      setFilter(() => ({ ...draft() }));
    },
  };
}

/** The filter's fields in a row, with Apply (and whatever else the list offers, after it). */
export function FilterForm(props: { onApply: () => void; children: JSX.Element; extra?: JSX.Element }) {
  return (
    <form
      class="row card"
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply();
      }}
    >
      {props.children}
      <button type="submit">{t('calls.apply')}</button>
      {props.extra}
    </form>
  );
}
