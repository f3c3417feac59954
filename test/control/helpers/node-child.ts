/**
 * A gateway node in its own process: a control plane on the given database with one call in
 * progress (its row, a caller line, a turn), then it waits to be killed. Argument: JSON
 * {dataDir, databaseUrl, pgSchema, callId, env?} (env: settings added to TEST_ENV). Prints
 * "ready <node id>" once the call is in the database.
 */
import pino from 'pino';
import { createControlPlane } from '../../../control/control-plane.ts';
import { TEST_ENV } from './control.ts';

const { dataDir, databaseUrl, pgSchema, callId, env } = JSON.parse(process.argv[2]!) as { dataDir: string; databaseUrl: string; pgSchema: string; callId: string; env?: Record<string, string> };
const cp = await createControlPlane({ dataDir, databaseUrl, pgSchema, log: pino({ level: 'silent' }), env: { ...TEST_ENV, ...env } });
const started_at = new Date().toISOString();
cp.callJournal.open({ id: callId, channel: 'modem', direction: 'inbound', caller_number: '+15550100', started_at });
cp.callJournal.segment({ call_id: callId, seq: 1, speaker: 'caller', text: 'what are your hours', start_ms: 100, end_ms: null });
cp.callJournal.turn({ call_id: callId, turn_index: 1, user_text: 'what are your hours', assistant_text: 'We open at nine.', interrupted: false, started_at });
await cp.callJournal.flush(10_000);
process.stdout.write(`ready ${cp.node.id}\n`);
await new Promise(() => {});
