/**
 * The error of a view's main request, in words. A 404 from a list or status route means this
 * gateway is older than the UI (the route does not exist yet): that is said plainly, naming the
 * route, instead of showing "no route for GET ..." as a failure.
 */
import { Show } from 'solid-js';
import { t } from '../i18n/index.ts';
import { ApiError } from '../lib/api.ts';
import { ErrorBox } from './ErrorBox.tsx';

export const isMissingRoute = (err: unknown): boolean => err instanceof ApiError && err.status === 404;

export function RouteProblem(props: { error: unknown; route: string }) {
  return (
    <Show when={isMissingRoute(props.error)} fallback={<ErrorBox error={props.error} />}>
      <p class="card warn" role="status" data-testid="route-missing">
        {t('route.missing', { route: props.route })}
      </p>
    </Show>
  );
}
