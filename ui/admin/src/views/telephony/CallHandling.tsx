/**
 * Who the modem answers and when (GET /admin/gsm/call-handling): rings before answering, working
 * days and hours, allow and block lists, callers without a number, and what a refused caller hears.
 * Shown as calls get it now (the stored setting, else the environment's MODEM_* variables); admins
 * save it as the `modem.call_handling` setting (PUT /admin/config/...), which the next ring obeys,
 * or go back to the environment (DELETE). The API validates; its refusal is shown in words.
 */
import { createEffect, createResource, createSignal, For, Show } from 'solid-js';
import { createActions, Feedback } from '../../components/Feedback.tsx';
import { CheckField, FormCard, SelectField, TextArea, TextField } from '../../components/Form.tsx';
import { locale, t } from '../../i18n/index.ts';
import { api, can } from '../../lib/api.ts';
import { valueOf } from '../../lib/resource-value.ts';

interface Hours {
  days: number[];
  start: string;
  end: string;
  time_zone: string | null;
}
interface Handling {
  auto_answer_rings: number;
  allow: string[];
  block: string[];
  hours: Hours | null;
  anonymous: 'answer' | 'reject';
  refuse_with: 'hangup' | 'ignore';
}
interface HandlingState {
  source: 'stored' | 'environment';
  /** A stored value that no longer parses (calls ignore it): offered for reset. */
  stored_invalid: boolean;
  stored: Handling | null;
  environment: Handling | null;
  effective: Handling | null;
}

const SETTING = '/admin/config/modem.call_handling';
/** Monday first, as a week is read where this UI's languages are spoken; values are JS days (0 = Sunday). */
const WEEK = [1, 2, 3, 4, 5, 6, 0];
const WORKDAYS = [1, 2, 3, 4, 5];

/** A weekday's name in the chosen language (1 Jan 2023 was a Sunday). */
const dayName = (day: number) => new Intl.DateTimeFormat(locale(), { weekday: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2023, 0, 1 + day)));
/**
 * One number per line (commas and semicolons also separate); spaces, dots, dashes and brackets
 * inside a number are how people write them, not separators: "+7 (916) 123-45-67" is one number.
 */
const numbersOf = (text: string) =>
  text
    .split(/[\n,;]+/)
    .map((n) => n.replace(/[\s().-]/g, ''))
    .filter(Boolean);

export function CallHandling() {
  const [state, { refetch }] = createResource(() => api<HandlingState>('GET', '/admin/gsm/call-handling'));
  // No reload after a refusal: the form keeps what was typed, with the API's words beside it.
  const { error, notice, run } = createActions();
  const current = () => valueOf(state);
  const [rings, setRings] = createSignal('1');
  const [limitHours, setLimitHours] = createSignal(false);
  const [days, setDays] = createSignal<number[]>(WORKDAYS);
  const [start, setStart] = createSignal('09:00');
  const [end, setEnd] = createSignal('18:00');
  const [zone, setZone] = createSignal('');
  const [allow, setAllow] = createSignal('');
  const [block, setBlock] = createSignal('');
  const [anonymous, setAnonymous] = createSignal<Handling['anonymous']>('answer');
  const [refuseWith, setRefuseWith] = createSignal<Handling['refuse_with']>('hangup');

  /** The form shows what calls get now, whenever that is (re)read. */
  createEffect(() => {
    const h = current()?.effective;
    if (!h) return;
    setRings(String(h.auto_answer_rings));
    setLimitHours(h.hours !== null);
    if (h.hours) {
      setDays(h.hours.days);
      setStart(h.hours.start);
      setEnd(h.hours.end);
      setZone(h.hours.time_zone ?? '');
    }
    setAllow(h.allow.join('\n'));
    setBlock(h.block.join('\n'));
    setAnonymous(h.anonymous);
    setRefuseWith(h.refuse_with);
  });

  const toggleDay = (day: number, on: boolean) => setDays((d) => (on ? [...d.filter((x) => x !== day), day].sort((a, b) => a - b) : d.filter((x) => x !== day)));
  const value = (): Handling => ({
    auto_answer_rings: Number(rings()),
    allow: numbersOf(allow()),
    block: numbersOf(block()),
    hours: limitHours() ? { days: days(), start: start(), end: end(), time_zone: zone().trim() || null } : null,
    anonymous: anonymous(),
    refuse_with: refuseWith(),
  });
  const save = () => void run(() => api('PUT', SETTING, { value: value() }).then(() => refetch()), t('common.saved'));
  const backToEnvironment = () => void run(() => api('DELETE', SETTING).then(() => refetch()), t('tel.handling.wasReset'));

  return (
    <>
      <h2 id="call-handling-title">{t('tel.handling.title')}</h2>
      <p class="muted">{t('tel.handling.help')}</p>
      <Show when={current()}>
        {(s) => (
          <p data-testid="call-handling-source">
            {s().source === 'stored' ? t('tel.handling.fromSetting') : s().environment ? t('tel.handling.fromEnvironment') : t('tel.handling.noModem')}
            <Show when={s().stored_invalid}> {t('tel.handling.storedInvalid')}</Show>
          </p>
        )}
      </Show>
      <Feedback error={error() ?? state.error} notice={notice()} />
      <Show when={!can('admin') && current()?.effective}>{(h) => <HandlingSummary handling={h()} />}</Show>
      <Show when={can('admin')} fallback={<p class="muted">{t('tel.handling.adminOnly')}</p>}>
        <FormCard
          id="call-handling-form"
          title={t('tel.handling.edit')}
          submit={t('common.save')}
          onSubmit={save}
          level={3}
          extra={
            <Show when={current()?.source === 'stored' || current()?.stored_invalid}>
              <button type="button" onClick={backToEnvironment}>
                {t('tel.handling.reset')}
              </button>
            </Show>
          }
        >
          <TextField label={t('tel.handling.rings')} name="auto_answer_rings" type="number" min="1" max="20" required value={rings()} onValue={setRings} />
          <CheckField label={t('tel.handling.limitHours')} name="limit_hours" checked={limitHours()} onValue={setLimitHours} />
          <Show when={limitHours()}>
            <fieldset class="row">
              <legend>{t('tel.handling.days')}</legend>
              <For each={WEEK}>{(day) => <CheckField label={dayName(day)} name={`day-${day}`} checked={days().includes(day)} onValue={(on) => toggleDay(day, on)} />}</For>
            </fieldset>
            <div class="row">
              <TextField label={t('tel.handling.start')} name="start" type="time" required value={start()} onValue={setStart} />
              <TextField label={t('tel.handling.end')} name="end" type="time" required value={end()} onValue={setEnd} />
              <TextField label={t('tel.handling.zone')} name="time_zone" placeholder="Europe/Moscow" autocomplete="off" value={zone()} onValue={setZone} />
            </div>
          </Show>
          <TextArea label={t('tel.handling.allow')} name="allow" rows={3} spellcheck={false} value={allow()} onValue={setAllow} />
          <Show when={numbersOf(allow()).length > 0}>
            <p class="muted">{t('tel.handling.allowHidesAnonymous')}</p>
          </Show>
          <TextArea label={t('tel.handling.block')} name="block" rows={3} spellcheck={false} value={block()} onValue={setBlock} />
          <SelectField label={t('tel.handling.anonymous')} name="anonymous" value={anonymous()} onValue={(v) => setAnonymous(v as Handling['anonymous'])}>
            <option value="answer">{t('tel.handling.anonymousAnswer')}</option>
            <option value="reject">{t('tel.handling.anonymousReject')}</option>
          </SelectField>
          <SelectField label={t('tel.handling.refuseWith')} name="refuse_with" value={refuseWith()} onValue={(v) => setRefuseWith(v as Handling['refuse_with'])}>
            <option value="hangup">{t('tel.handling.refuseHangup')}</option>
            <option value="ignore">{t('tel.handling.refuseIgnore')}</option>
          </SelectField>
        </FormCard>
      </Show>
    </>
  );
}

/** What calls get, read-only (for those who may not change it). */
function HandlingSummary(props: { handling: Handling }) {
  const h = () => props.handling;
  const list = (numbers: string[]) => (numbers.length ? numbers.join(', ') : t('common.none'));
  const hours = (x: Hours) => `${WEEK.filter((d) => x.days.includes(d)).map(dayName).join(', ')}: ${x.start}-${x.end}${x.time_zone ? ` (${x.time_zone})` : ''}`;
  return (
    <dl class="card" data-testid="call-handling-summary">
      <dt>{t('tel.handling.rings')}</dt>
      <dd>{h().auto_answer_rings}</dd>
      <dt>{t('tel.handling.hours')}</dt>
      <dd>{h().hours ? hours(h().hours!) : t('tel.handling.always')}</dd>
      <dt>{t('tel.handling.allow')}</dt>
      <dd>{list(h().allow)}</dd>
      <dt>{t('tel.handling.block')}</dt>
      <dd>{list(h().block)}</dd>
      <dt>{t('tel.handling.anonymous')}</dt>
      <dd>{h().anonymous === 'reject' || h().allow.length > 0 ? t('tel.handling.anonymousReject') : t('tel.handling.anonymousAnswer')}</dd>
      <dt>{t('tel.handling.refuseWith')}</dt>
      <dd>{h().refuse_with === 'hangup' ? t('tel.handling.refuseHangup') : t('tel.handling.refuseIgnore')}</dd>
    </dl>
  );
}
