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
  // Imported after config so a missing native uWS binary is reported through the logger.
  let createGateway;
  try {
    ({ createGateway } = await import('./server.ts'));
  } catch (err) {
    process.stderr.write(`voice-gateway: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(3);
  }
  let controlPlane;
  try {
    const { createControlPlane } = await import('../control/control-plane.ts');
    controlPlane = await createControlPlane({ dataDir: config.dataDir, log });
  } catch (err) {
    log.fatal({ err }, 'control plane failed to start (database?)');
    log.flush(() => process.exit(1));
    return;
  }
  let pipelines;
  try {
    const { createPipelineFactory } = await import('./pipeline-factory.ts');
    pipelines = await createPipelineFactory(config, { log, controlPlane });
  } catch (err) {
    log.fatal({ err }, 'pipeline failed to start');
    await controlPlane.close();
    log.flush(() => process.exit(1));
    return;
  }
  const gateway = createGateway(config, { log, controlPlane, pipelineFactory: pipelines.factory });
  pipelines.registerHealth(gateway.health);
  let modem;
  try {
    const { startModem } = await import('./modem/attach-modem.ts');
    modem = startModem({ pipelineFactory: pipelines.factory, log, health: gateway.health });
    if (modem) log.info('modem transport started');
  } catch (err) {
    log.fatal({ err }, 'modem failed to start');
    log.flush(() => process.exit(2));
    return;
  }
  try {
    await gateway.listen();
  } catch (err) {
    log.fatal({ err }, 'gateway failed to start');
    log.flush();
    process.exit(1);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await modem?.close();
    await gateway.close();
    await pipelines.close(); // flushes the call log: before the database closes
    await controlPlane.close();
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
