/**
 * `npm start`: the gateway with its embedded defaults. Configuration comes from the environment
 * (README "Configuration"); SIGINT/SIGTERM end live calls cleanly and flush logs before exit.
 *
 * A start that fails says why in one line on stderr (and one JSON log line, without a stack
 * unless the failure is a bug) and exits with a code a supervisor can act on (README "Exit codes"):
 *   1 failed at run time, a database not reachable (yet), DATA_DIR in use by another gateway, or a
 *   bug; 2 configuration (environment, DATA_DIR, database URL, credentials or database name,
 *   modem settings); 3 the native uWS binary is missing; 4 the port cannot be bound.
 */
import { ControlConfigError } from '../control/config.ts';
import { SecretKeyError } from '../control/crypto/secret-key.ts';
import { DatabaseUnavailableError } from '../control/db/connect-errors.ts';
import { JournalLockedError } from '../control/journal/journal-files.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DataDirError } from './data-dir.ts';
import { createLogger } from './logger.ts';

const EXIT = { ok: 0, failed: 1, config: 2, nativeMissing: 3, cannotListen: 4 } as const;

/** Everything this process creates (database, recordings, backups, keys) is for its own user only. */
process.umask(0o077);

const fail = (message: string, code: number): never => {
  process.stderr.write(`voice-gateway: ${message}\n`);
  process.exit(code);
};

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, EXIT.config);
    throw err;
  }
  const log = createLogger(config.logLevel);
  // Imported after config so a missing native uWS binary is reported as such, not as a stack trace.
  let assemble: typeof import('./assemble.ts');
  try {
    assemble = await import('./assemble.ts');
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err), EXIT.nativeMissing);
    return;
  }
  let app: Awaited<ReturnType<typeof assemble.assembleGateway>>;
  try {
    app = await assemble.assembleGateway(config, { log });
    await app.listen();
  } catch (err) {
    const stage = err instanceof assemble.StartupError ? err.stage : 'startup';
    const cause = err instanceof assemble.StartupError ? err.cause : err;
    const code = cause instanceof assemble.ListenError ? EXIT.cannotListen : stage === 'modem' || isConfigurationError(cause) ? EXIT.config : EXIT.failed;
    // What the operator must fix is the cause's own sentence; a stack only helps with a bug.
    const bug = code === EXIT.failed && !isKnownFailure(cause);
    const message = bug ? (err instanceof Error ? err.message : 'startup failed') : (cause as Error).message;
    if (bug) log.fatal({ err: cause, stage }, message);
    else log.fatal({ stage, exit_code: code }, message);
    process.stderr.write(`voice-gateway: ${message}\n`);
    log.flush(() => process.exit(code));
    return;
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await app.close();
    log.flush(() => process.exit(EXIT.ok));
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A stray rejection is a bug to log, not a reason to drop every live call.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    log.flush(() => process.exit(EXIT.failed));
  });
}

/** A start that failed on what the operator configured, not on a fault of ours. */
function isConfigurationError(err: unknown): boolean {
  return (
    err instanceof ConfigError ||
    err instanceof ControlConfigError ||
    (err instanceof DatabaseUnavailableError && !err.temporary) ||
    err instanceof DataDirError ||
    err instanceof SecretKeyError
  );
}

/**
 * A failure that is neither configuration nor a bug, said in one line (exit 1, so a supervisor
 * restarts it): a database not reachable yet (it may boot after us), or another gateway holding
 * this DATA_DIR.
 */
function isKnownFailure(err: unknown): boolean {
  return (err instanceof DatabaseUnavailableError && err.temporary) || err instanceof JournalLockedError;
}

await main();
