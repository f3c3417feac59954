/**
 * Which modem calls may be recorded, when the control plane is attached: only while the admin
 * setting `calls.recording_enabled` is on, and only when the other party's number has a
 * `call_recording` consent that is granted and not withdrawn. Anything else (setting off, withheld
 * number, no consent, a refusal, a withdrawal) means no recording.
 */
import { CONFIG_KEYS, RECORDING_ENABLED_KEY } from '../control/settings/config-keys.ts';
import type { Repositories } from '../control/repositories/index.ts';
import type { RecordingQuery } from './modem/call-manager.ts';

export const RECORDING_CONSENT_PURPOSE = 'call_recording';

export function recordingConsentGate(repos: Pick<Repositories, 'config' | 'consents'>): (call: RecordingQuery) => Promise<boolean> {
  return async ({ number }) => {
    // Read for every call, not cached: the admin may switch recording off between two calls.
    const enabled = (await repos.config.get<unknown>(RECORDING_ENABLED_KEY)) ?? CONFIG_KEYS[RECORDING_ENABLED_KEY].default;
    if (enabled !== true || !number) return false;
    // The subject is the number exactly as the call log stores it (calls.caller_number): the same
    // identifier GDPR export and erase match (control/legal/subject-data.ts), so the consent that
    // allows a recording is the one an erasure of that person finds and deletes with it.
    return repos.consents.hasConsent(number, RECORDING_CONSENT_PURPOSE);
  };
}
