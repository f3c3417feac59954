/**
 * The attached modem: link, network and operator, signal in dBm and in words, SIM, the call in
 * progress (hang up), and for operators a number to dial and a USSD code to run (balance, own
 * number), whose network answer is shown as it came.
 */
import { createSignal, For, Show } from 'solid-js';
import { RowButton } from '../../components/DataTable.tsx';
import { createActions, Feedback } from '../../components/Feedback.tsx';
import { FormCard, TextField } from '../../components/Form.tsx';
import { formatNumber, t, type MessageKey } from '../../i18n/index.ts';
import { api, can } from '../../lib/api.ts';

export interface ModemStatus {
  attached: boolean;
  connected: boolean;
  registered?: boolean;
  operator?: string | null;
  signal_dbm?: number | null;
  sim_ready?: boolean;
  calls?: Array<{ id: string; direction: 'in' | 'out'; number: string | null; state: string }>;
  details?: { own_number?: string | null; imei?: string | null; state?: string };
}

/** Usual GSM bands for RSSI: at -73 dBm and above a call is clear; below -95 it breaks up. */
function signalWords(dbm: number): MessageKey {
  if (dbm >= -73) return 'tel.signal.excellent';
  if (dbm >= -83) return 'tel.signal.good';
  if (dbm >= -95) return 'tel.signal.fair';
  return 'tel.signal.poor';
}

const yesNo = (v: boolean | undefined, yes: MessageKey, no: MessageKey) => (v === undefined ? t('common.none') : t(v ? yes : no));

export function ModemCard(props: { status: ModemStatus; onChange: () => void }) {
  const { error, notice, run } = createActions(props.onChange);
  const [number, setNumber] = createSignal('');
  const [code, setCode] = createSignal('');
  const [ussdAnswer, setUssdAnswer] = createSignal<string | null>(null);
  const s = () => props.status;

  const dial = () =>
    void run(async () => {
      await api('POST', '/admin/gsm/dial', { number: number().trim() });
      setNumber('');
    }, t('tel.dialled', { number: number().trim() }));
  const hangUp = (callId?: string) => void run(() => api('POST', '/admin/gsm/hangup', callId ? { call_id: callId } : {}), t('tel.hungUp'));
  const ussd = () =>
    void run(async () => {
      setUssdAnswer(null);
      setUssdAnswer((await api<{ response: string }>('POST', '/admin/gsm/ussd', { code: code().trim() })).response);
    });

  return (
    <>
      <dl class="card" data-testid="modem-status">
        <dt>{t('tel.link')}</dt>
        <dd class={s().connected ? 'status-ok' : 'status-error'}>{t(s().connected ? 'tel.link.up' : 'tel.link.down')}</dd>
        <dt>{t('tel.network')}</dt>
        <dd>
          {yesNo(s().registered, 'tel.registered', 'tel.notRegistered')}
          <Show when={s().operator}>{(op) => <> ({op()})</>}</Show>
        </dd>
        <dt>{t('tel.signal')}</dt>
        <dd>
          <Show when={typeof s().signal_dbm === 'number'} fallback={t('common.none')}>
            {t('tel.signalValue', { dbm: formatNumber(s().signal_dbm!), words: t(signalWords(s().signal_dbm!)) })}
          </Show>
        </dd>
        <dt>{t('tel.sim')}</dt>
        <dd>{yesNo(s().sim_ready, 'tel.simReady', 'tel.simNotReady')}</dd>
        <Show when={s().details?.own_number}>
          {(n) => (
            <>
              <dt>{t('tel.ownNumber')}</dt>
              <dd>{n()}</dd>
            </>
          )}
        </Show>
        <dt>{t('tel.calls')}</dt>
        <dd data-testid="modem-calls">
          <Show when={s().calls?.length} fallback={t('tel.noCalls')}>
            <ul class="plain">
              <For each={s().calls}>
                {(c) => (
                  <li>
                    {t(c.direction === 'in' ? 'tel.callIn' : 'tel.callOut', { number: c.number ?? t('common.none'), state: c.state })}{' '}
                    <Show when={can('operator')}>
                      <RowButton label={t('tel.hangUp')} of={c.number ?? c.id} onClick={() => hangUp(c.id)} danger />
                    </Show>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </dd>
      </dl>
      <Feedback error={error()} notice={notice()} />
      <Show when={can('operator')}>
        <div class="cards">
          <FormCard id="dial-form" title={t('tel.dial')} submit={t('tel.dialButton')} onSubmit={dial}>
            <TextField label={t('tel.number')} name="number" type="tel" required autocomplete="off" value={number()} onValue={setNumber} />
          </FormCard>
          <FormCard id="ussd-form" title={t('tel.ussd')} submit={t('tel.ussdButton')} onSubmit={ussd}>
            <TextField label={t('tel.ussdCode')} name="code" required placeholder="*100#" autocomplete="off" value={code()} onValue={setCode} />
            <Show when={ussdAnswer() !== null}>
              <p role="status" data-testid="ussd-answer">
                {t('tel.ussdAnswer', { text: ussdAnswer()! })}
              </p>
            </Show>
          </FormCard>
        </div>
      </Show>
    </>
  );
}
