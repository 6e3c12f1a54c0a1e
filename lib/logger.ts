import pino from 'pino';

export type Logger = pino.Logger;

/** One JSON line per event on stdout; `name` says which process wrote it. */
export function createLogger(name: string, level: pino.LevelWithSilent = 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
