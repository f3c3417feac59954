/**
 * A form for what cannot be undone (restore a backup, erase a person's data): it says what will
 * happen and enables its button only once the owner has typed the exact name of what it acts on.
 */
import { createSignal } from 'solid-js';
import { FormCard, TextField } from './Form.tsx';

export function ConfirmByTyping(props: {
  id: string;
  title: string;
  warning: string;
  /** What must be typed. */
  expected: string;
  /** The field's label (it should quote what to type). */
  prompt: string;
  action: string;
  busy?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const [typed, setTyped] = createSignal('');
  const matches = () => typed() === props.expected;
  return (
    <FormCard
      id={props.id}
      title={props.title}
      tone="danger"
      submit={props.action}
      ready={matches() && !props.busy}
      error={props.error}
      onSubmit={() => {
        if (matches()) props.onConfirm();
      }}
      onCancel={props.onCancel}
    >
      <p class="error">{props.warning}</p>
      <TextField label={props.prompt} name="confirm-name" autocomplete="off" value={typed()} onValue={setTyped} />
    </FormCard>
  );
}
