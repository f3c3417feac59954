/**
 * A process that journals a call into a real database and dies by SIGKILL right after the database
 * committed a batch, before the journal could acknowledge it: the crash the journal's idempotent
 * replay is for. Argument: JSON {dataDir, databaseUrl?, pgSchema?, callId}.
 */
import path from 'node:path';
import pino from 'pino';
import { callJournalHandlers } from '../../../control/calls/call-journal.ts';
import { openDatabase } from '../../../control/db/connection.ts';
import { databaseApplier } from '../../../control/journal/database-applier.ts';
import { Journal } from '../../../control/journal/journal.ts';

const { dataDir, databaseUrl, pgSchema, callId } = JSON.parse(process.argv[2]!) as { dataDir: string; databaseUrl?: string; pgSchema?: string; callId: string };
const db = await openDatabase({ dataDir, databaseUrl, pgSchema });
const inner = databaseApplier(db, new Map(callJournalHandlers()));
const journal = await Journal.open({
  dir: path.join(dataDir, 'journal'),
  log: pino({ level: 'silent' }),
  applier: {
    isTransient: inner.isTransient,
    async apply(entries) {
      await inner.apply(entries);
      if (entries.some((e) => e.key.endsWith(':seg:4'))) process.kill(process.pid, 'SIGKILL');
    },
  },
});
const started_at = new Date().toISOString();
journal.append('call.open', `call:${callId}`, { id: callId, channel: 'ws', direction: 'inbound', caller_number: '+15550100', started_at, node_id: null });
journal.append('call.segment', `call:${callId}:seg:1`, { call_id: callId, seq: 1, speaker: 'caller', text: 'what are your hours', start_ms: 100, end_ms: null });
await journal.flush(10_000); // the first batch is committed (and acknowledged, or about to be)
journal.append('call.segment', `call:${callId}:seg:2`, { call_id: callId, seq: 2, speaker: 'assistant', text: 'We open at nine.', start_ms: 200, end_ms: 900 });
journal.append('call.turn', `call:${callId}:turn:1`, { call_id: callId, turn_index: 1, user_text: 'what are your hours', assistant_text: 'We open at nine.', interrupted: false, started_at, v2v_ms: 640 });
journal.append('call.segment', `call:${callId}:seg:3`, { call_id: callId, seq: 3, speaker: 'caller', text: 'thank you', start_ms: 1000, end_ms: null });
journal.append('call.segment', `call:${callId}:seg:4`, { call_id: callId, seq: 4, speaker: 'assistant', text: 'Goodbye.', start_ms: 1100, end_ms: 1500 });
await new Promise(() => {}); // SIGKILL comes from inside apply()
