/**
 * Telephony: the GSM modem as this gateway sees it (link, network, signal, SIM, the call in
 * progress), dial and hang up, USSD, the SMS log with sending, who is answered and when, and which
 * persona answers which caller number. Without a modem it says so in words; the SMS log, who is
 * answered and the per-number personas live in the database and stay usable. Viewers read;
 * operators act, admins decide who is answered (the API refuses others anyway).
 */
import { createResource, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { t } from '../i18n/index.ts';
import { api } from '../lib/api.ts';
import { poll } from '../lib/poll.ts';
import { CallHandling } from './telephony/CallHandling.tsx';
import { ModemCard, type ModemStatus } from './telephony/ModemCard.tsx';
import { NumberPersonas } from './telephony/NumberPersonas.tsx';
import { SmsPanel } from './telephony/SmsPanel.tsx';

/** The modem's state and the SMS log are polled while the view is open: a call, a lost link or an SMS shows without reload. */
const REFRESH_MS = 3000;

export default function Telephony() {
  const [status, { refetch }] = createResource(() => api<ModemStatus>('GET', '/admin/gsm/status'));
  poll(refetch, REFRESH_MS);
  // A failed poll (the modem timed out: 502) is shown by the ErrorBox; reading it would throw.
  const current = () => (status.error ? undefined : status.latest);
  const attached = () => current()?.attached === true;
  return (
    <section>
      <h1>{t('nav.telephony')}</h1>
      <ErrorBox error={status.error} />
      <Show when={current()}>
        {(s) => (
          <Show
            when={s().attached}
            fallback={
              <div class="card" data-testid="no-modem">
                <h2>{t('tel.noModemTitle')}</h2>
                <p>{t('tel.noModem')}</p>
              </div>
            }
          >
            <ModemCard status={s()} onChange={() => void refetch()} />
          </Show>
        )}
      </Show>
      <SmsPanel canSend={attached()} refreshMs={REFRESH_MS} />
      <CallHandling />
      <NumberPersonas />
    </section>
  );
}
