/**
 * JSON logs through pino. Secrets are redacted by key so a token that finds its way into a log
 * object is never written out.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'voice-gateway' },
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', 'apiKey', '*.apiKey', 'password', '*.password'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
