/**
 * What a view says after the owner did something: the API's refusal in words, or a short notice
 * that it worked. `createActions` runs every change through the same path: clear the last word, do
 * it, say so or show the error, and reload the list either way (after a refusal the list must still
 * show what the server holds, e.g. the role a user kept).
 */
import { createSignal, Show } from 'solid-js';
import { t } from '../i18n/index.ts';
import { ErrorBox } from './ErrorBox.tsx';

export function createActions(after?: () => unknown) {
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal('');
  const run = async (what: () => Promise<unknown>, done?: string): Promise<void> => {
    setError(null);
    setNotice('');
    try {
      await what();
      if (done) setNotice(done);
    } catch (err) {
      setError(err);
    } finally {
      // A reload that fails (the session ended with a restore) leaves the list as it was.
      await Promise.resolve()
        .then(after)
        .catch(() => {});
    }
  };
  /** Delete after the browser's confirm names what goes. */
  const remove = (name: string, what: () => Promise<unknown>) => {
    if (confirm(t('common.confirmDelete', { name }))) void run(what);
  };
  return { error, setError, notice, setNotice, run, remove };
}

export function Feedback(props: { error: unknown; notice?: string }) {
  return (
    <>
      <ErrorBox error={props.error} />
      <Show when={props.notice}>
        <p class="notice" role="status">
          {props.notice}
        </p>
      </Show>
    </>
  );
}
