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

/**
 * Sends the Temporal SDK's own logs (worker, workflows, activities) through our pino logger,
 * and, given a metrics address, serves the SDK's metrics there for Prometheus (task slots,
 * sticky cache, poll and task latencies; durations in seconds, counters ending in _total).
 */
export function installTemporalRuntime(log: Logger, metrics?: { bindAddress: string }): void {
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
  Runtime.install({
    logger: new DefaultLogger(TEMPORAL_LEVEL[log.level] ?? 'INFO', write),
    ...(metrics ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metrics.bindAddress, countersTotalSuffix: true, useSecondsForDurations: true } } } } : {}),
  });
}
