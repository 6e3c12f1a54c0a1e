import { loadConfig } from '../../lib/config/env';
import { describeError } from '../../lib/errors';
import { createLogger } from '../../lib/logger';
import { startTracing } from '../../lib/telemetry/tracing';
import { createApiApp } from './app';
import { PinoNestLogger } from './common/pino-logger';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger('api', config.logLevel);
  // Before the app: its Temporal client and routes trace through the provider installed here.
  if (startTracing({ service: 'palisade-api', otlpEndpoint: config.otlpEndpoint })) log.info(`traces to ${config.otlpEndpoint}`);
  const app = await createApiApp(config, new PinoNestLogger(log), process.env);
  await app.listen(config.port, config.host);
  log.info({ url: `http://${config.host}:${config.port}` }, 'api listening');
}

main().catch((err: unknown) => {
  console.error(`palisade api: ${describeError(err)}`);
  process.exit(1);
});
