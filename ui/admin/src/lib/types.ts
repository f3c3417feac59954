/** Shapes of the API answers the views read (see /admin/openapi.json). */
export interface Delivery {
  id: number;
  channel_name: string;
  channel_type: string;
  status: string;
  attempts: number;
  last_error: string | null;
}
export interface Message {
  id: string;
  kind: 'message' | 'human_requested';
  status: 'new' | 'handled';
  caller_name: string | null;
  callback_number: string | null;
  callback_text: string | null;
  caller_id: string | null;
  reason: string | null;
  channel: string;
  call_id: string | null;
  session_id: number | null;
  created_at: string;
  handled_at: string | null;
  handled_by: { id: number | null; username: string | null } | null;
  deliveries: Delivery[];
}
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
export interface Call {
  id: string;
  channel: string;
  direction: string;
  caller_number: string | null;
  status: string;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  summary: string | null;
  end_reason: string | null;
  recording_error: string | null;
}
export const TURN_METRICS = ['endpoint_ms', 'stt_final_ms', 'llm_ttft_ms', 'tts_ttfa_ms', 'v2v_ms', 'barge_in_ms'] as const;
export type Turn = Record<(typeof TURN_METRICS)[number], number | null> & {
  id: number;
  turn_index: number;
  user_text: string | null;
  assistant_text: string | null;
  answer_source: string | null;
  interrupted: boolean;
  started_at: string;
};
export interface TranscriptSegment {
  id: number;
  speaker: string;
  text: string;
}
export interface Recording {
  id: number;
  format?: string;
  duration_ms?: number | null;
}
