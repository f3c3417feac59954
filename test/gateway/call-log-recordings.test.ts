/**
 * Recording files reach the `recordings` table through the database call log: queued behind the
 * call's row (foreign key) even when announced at once, with size and sha256 of the file as
 * written; a failure (no call row, a file outside the recordings directory) is logged, never thrown.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { FieldCipher } from '../../control/crypto/field-cipher.ts';
import { RecordingStore } from '../../control/recordings/recording-store.ts';
import { createRepositories } from '../../control/repositories/index.ts';
import { databaseCallLogSink } from '../../gateway/call-log-db.ts';
import { CallLog } from '../../gateway/call-log.ts';
import { encodeWav } from '../../media/wav.ts';
import { createEchoPipeline } from '../../pipeline/echo-pipeline.ts';
import { openTestDb } from '../control/helpers/database.ts';

t.test('a call recording is registered after its call row; failures are logged, not thrown', async (t) => {
  const { db, t: tdb, close } = await openTestDb();
  t.teardown(close);
  const repos = createRepositories(db, new FieldCipher(Buffer.alloc(32, 7)));
  const store = new RecordingStore(repos.calls, tdb.dataDir);
  const logged: Array<{ msg: string; callId?: string }> = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const callLog = new CallLog(databaseCallLogSink(repos, store), log);

  mkdirSync(store.dir, { recursive: true });
  const wav = encodeWav(new Int16Array(8000).fill(1000), 8000);
  const file = path.join(store.dir, 'c1.caller.wav');
  writeFileSync(file, wav);

  // Announced the moment the call starts: its row is still being written, the recording waits for it.
  const pipeline = callLog.wrap(createEchoPipeline)({ callId: 'c1', channel: 'modem', callerNumber: '+15550100' });
  await callLog.recording('c1', [{ path: file, format: 'wav', durationMs: 1000 }]);
  await pipeline.close('remote_hangup');
  await callLog.flush();
  t.same(logged, [], 'nothing failed');
  t.match(await repos.calls.recordings('c1'), [
    { call_id: 'c1', path: 'recordings/c1.caller.wav', format: 'wav', duration_ms: 1000, size_bytes: wav.byteLength, sha256: createHash('sha256').update(wav).digest('hex') },
  ]);

  // No call row (foreign key), and a file outside the recordings directory: logged, resolved.
  await t.resolves(callLog.recording('no-such-call', [{ path: file, format: 'wav', durationMs: 1000 }]));
  await t.resolves(callLog.recording('c1', [{ path: path.join(tdb.dataDir, 'elsewhere.wav'), format: 'wav', durationMs: 1 }]));
  await callLog.flush();
  t.same(logged.map((l) => [l.msg, l.callId]), [
    ['registering a call recording failed', 'no-such-call'],
    ['registering a call recording failed', 'c1'],
  ]);
  t.equal((await repos.calls.recordings('c1')).length, 1);
});
