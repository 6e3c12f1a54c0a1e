import { Logger as NestLogger } from '@nestjs/common';
import { LogLevel, type Logger } from '@slack/bolt';

/** Bolt's logger interface over Nest's logger (so Bolt's warnings land in Palisade's log). */
export class BoltLogger implements Logger {
  private readonly log = new NestLogger('Slack');
  private level = LogLevel.WARN;

  debug(...msg: unknown[]): void {
    if (this.level === LogLevel.DEBUG) this.log.debug(msg.map(String).join(' '));
  }
  info(...msg: unknown[]): void {
    if (this.level === LogLevel.DEBUG || this.level === LogLevel.INFO) this.log.log(msg.map(String).join(' '));
  }
  warn(...msg: unknown[]): void {
    if (this.level !== LogLevel.ERROR) this.log.warn(msg.map(String).join(' '));
  }
  error(...msg: unknown[]): void {
    this.log.error(msg.map(String).join(' '));
  }
  setLevel(level: LogLevel): void {
    this.level = level;
  }
  getLevel(): LogLevel {
    return this.level;
  }
  setName(): void {}
}
