/** An API error in words: the message the API sent, and its code for a support request. */
import { Show } from 'solid-js';
import { t } from '../i18n/index.ts';
import { ApiError } from '../lib/api.ts';

export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.status === 0 ? t('error.network', { message: err.message }) : err.message;
  return err instanceof Error ? err.message : String(err);
}

export function ErrorBox(props: { error: unknown }) {
  return (
    <Show when={props.error}>
      <div class="error" role="alert">
        <strong>{t('error.title')}: </strong>
        {describeError(props.error)}
        <Show when={props.error instanceof ApiError && props.error.status !== 0}>
          <span class="muted"> ({t('error.code', { code: (props.error as ApiError).code })})</span>
        </Show>
      </div>
    </Show>
  );
}
