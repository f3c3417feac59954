/**
 * `npm start`: the gateway with its embedded defaults. Configuration comes from the environment
 * (README "Configuration"); SIGINT/SIGTERM end live calls cleanly and flush logs before exit.
 */
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`voice-gateway: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  // Imported after config so a missing native uWS binary is reported as such, not as a stack trace.
  let assemble: typeof import('./assemble.ts');
  try {
    assemble = await import('./assemble.ts');
  } catch (err) {
    process.stderr.write(`voice-gateway: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(3);
  }
  let app: Awaited<ReturnType<typeof assemble.assembleGateway>>;
  try {
    app = await assemble.assembleGateway(config, { log });
    await app.listen();
  } catch (err) {
    // A bad modem setting is a configuration error (exit 2); a port that cannot be bound exit 4
    // (one line, the port taken is no bug to show a stack for); anything else failed at run time (exit 1).
    const stage = err instanceof assemble.StartupError ? err.stage : 'startup';
    const cause = err instanceof Error && err.cause ? err.cause : err;
    if (cause instanceof assemble.ListenError) {
      log.fatal({ stage, exit_code: 4 }, cause.message);
      process.stderr.write(`voice-gateway: ${cause.message}\n`);
      log.flush(() => process.exit(4));
      return;
    }
    log.fatal({ err: cause, stage }, err instanceof Error ? err.message : 'startup failed');
    log.flush(() => process.exit(stage === 'modem' ? 2 : 1));
    return;
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await app.close();
    log.flush(() => process.exit(0));
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A stray rejection is a bug to log, not a reason to drop every live call.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    log.flush(() => process.exit(1));
  });
}

await main();
