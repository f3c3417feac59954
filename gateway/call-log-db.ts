/** The call log in the control plane's database (calls, call_turns, call_transcripts, recordings). */
import type { RecordingStore } from '../control/recordings/recording-store.ts';
import type { Repositories } from '../control/repositories/index.ts';
import type { CallLogSink } from './call-log.ts';

/** End reasons that mean something went wrong on our side or the line's. */
const FAILURE = /error|crash|fail|timeout|slow_consumer|shutdown/;

export function databaseCallLogSink(repos: Pick<Repositories, 'calls'>, recordings: Pick<RecordingStore, 'register'>): CallLogSink {
  const { calls } = repos;
  return {
    async start(info, startedAt) {
      await calls.start({
        id: info.callId,
        channel: info.channel,
        direction: 'inbound',
        caller_number: info.callerNumber ?? null,
        started_at: startedAt.toISOString(),
      });
    },
    async segment(callId, speaker, text, atMs) {
      await calls.addTranscript({ call_id: callId, speaker, text, start_ms: atMs, end_ms: null });
    },
    async turn(callId, t) {
      const m = t.metrics;
      await calls.addTurn({
        call_id: callId,
        turn_index: t.index,
        user_text: t.userText || null,
        assistant_text: t.assistantText || null,
        interrupted: t.interrupted,
        started_at: new Date().toISOString(),
        endpoint_ms: m.endpoint_ms ?? null,
        stt_final_ms: m.stt_final_ms ?? null,
        llm_ttft_ms: m.llm_ttft_ms ?? null,
        tts_ttfa_ms: m.tts_ttfa_ms ?? null,
        v2v_ms: m.v2v_ms ?? null,
        barge_in_ms: m.barge_in_ms ?? null,
      });
    },
    async end(callId, reason, summary) {
      await calls.end(callId, { status: FAILURE.test(reason) ? 'failed' : 'completed', endReason: reason, summary });
    },
    async recording(callId, file) {
      // Size and sha256 from the file as written: what a backup and a download will be checked against.
      await recordings.register(callId, file.path, file.durationMs, file.format);
    },
  };
}
