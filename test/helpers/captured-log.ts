/** A real pino logger (the gateway's, redaction included) whose JSON lines a test can read back. */
import { createLogger, type Logger } from '../../gateway/logger.ts';

export interface CapturedLog {
  log: Logger;
  lines: Array<Record<string, unknown>>;
  /** The line logged under this error id. */
  withErrorId(id: string): Record<string, unknown> | undefined;
}

export function capturedLog(): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger('info', { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines, withErrorId: (id) => lines.find((l) => l.error_id === id) };
}
