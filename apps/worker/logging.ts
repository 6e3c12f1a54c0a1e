import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../../lib/logger';

const TEMPORAL_LEVEL: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
};

/** Sends the Temporal SDK's own logs (worker, workflows, activities) through our pino logger. */
export function installTemporalLogging(log: Logger): void {
  const write = (entry: LogEntry) => {
    const fields = { ...entry.meta, sdk: true };
    switch (entry.level) {
      case 'TRACE':
        return log.trace(fields, entry.message);
      case 'DEBUG':
        return log.debug(fields, entry.message);
      case 'INFO':
        return log.info(fields, entry.message);
      case 'WARN':
        return log.warn(fields, entry.message);
      default:
        return log.error(fields, entry.message);
    }
  };
  Runtime.install({ logger: new DefaultLogger(TEMPORAL_LEVEL[log.level] ?? 'INFO', write) });
}
