/**
 * The control plane's say over modem recordings, on a real database: the setting
 * `calls.recording_enabled` (read per call) AND a granted, not withdrawn `call_recording` consent
 * for the number exactly as the call log stores it.
 */
import t from 'tap';
import { FieldCipher } from '../../control/crypto/field-cipher.ts';
import { createRepositories } from '../../control/repositories/index.ts';
import { recordingConsentGate } from '../../gateway/recording-consent.ts';
import { openTestDb } from '../control/helpers/database.ts';

t.test('recording needs the setting on and a current call_recording consent for the number', async (t) => {
  const { db, close } = await openTestDb();
  t.teardown(close);
  const repos = createRepositories(db, new FieldCipher(Buffer.alloc(32, 7)));
  const may = recordingConsentGate(repos);
  const ask = (number: string | null) => may({ callId: 'c1', direction: 'in', number });
  const ANNA = '+79161234567';
  const BORIS = '+79035551234';
  const consent = await repos.consents.record({ subject: ANNA, purpose: 'call_recording', granted: true, source: 'call' });
  await repos.consents.record({ subject: BORIS, purpose: 'marketing', granted: true, source: 'web' });

  t.equal(await ask(ANNA), false, 'setting unset (default off): not even a consenting caller is recorded');
  await repos.config.set('calls.recording_enabled', true, null);
  t.equal(await ask(ANNA), true, 'setting on and consent granted');
  t.equal(await ask(BORIS), false, 'a consent for another purpose is not a recording consent');
  t.equal(await ask(null), false, 'a withheld number has no consent');
  t.equal(await ask('89161234567'), false, 'matched exactly as stored, like GDPR export and erase');

  await repos.config.set('calls.recording_enabled', false, null);
  t.equal(await ask(ANNA), false, 'switched off at runtime: read for every call');
  await repos.config.set('calls.recording_enabled', true, null);

  await repos.consents.revoke(consent.id);
  t.equal(await ask(ANNA), false, 'a withdrawn consent is no consent');
  await repos.consents.record({ subject: ANNA, purpose: 'call_recording', granted: true, source: 'call' });
  t.equal(await ask(ANNA), true, 'given again');
  await repos.consents.record({ subject: ANNA, purpose: 'call_recording', granted: false, source: 'paper' });
  t.equal(await ask(ANNA), false, 'a later refusal wins over an earlier grant');
});
