import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Output goes to this file (appended), not to the terminal. */
  logFile: string;
  /** Open an IPC channel (Node children). */
  ipc?: boolean;
  /**
   * Scheduling niceness (POSIX `nice`), applied at exec so every thread the process starts
   * inherits it (setpriority on a running pid reaches only its main thread on Linux).
   */
  nice?: number;
}

/** A child process whose output goes to a log file and which can be stopped within a deadline. */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitedAlready = false;
  /** True once the supervisor asked it to stop: any other exit is a crash. */
  stopRequested = false;

  constructor(readonly opts: ManagedProcessOptions) {
    mkdirSync(path.dirname(opts.logFile), { recursive: true });
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    const stdio: StdioOptions = opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
    const [command, args] =
      opts.nice && process.platform !== 'win32' ? ['nice', ['-n', String(opts.nice), opts.command, ...opts.args]] : [opts.command, opts.args];
    this.child = spawn(command, args, { env: opts.env, cwd: opts.cwd, stdio });
    this.child.stdout?.pipe(log, { end: false });
    this.child.stderr?.pipe(log, { end: false });
    this.exited = new Promise((resolve) => {
      this.child.once('error', () => {
        this.exitedAlready = true;
        resolve({ code: null, signal: null });
      });
      this.child.once('exit', (code, signal) => {
        this.exitedAlready = true;
        // Let the pipes flush into the log before closing it.
        setImmediate(() => log.end());
        resolve({ code, signal });
      });
    });
  }

  get name(): string {
    return this.opts.name;
  }

  get running(): boolean {
    return !this.exitedAlready;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopRequested = true;
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The last lines of this process's log, for error messages. */
  logTail(lines = 15): string {
    try {
      return readFileSync(this.opts.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no output)';
    }
  }
}

/** How to run one of Palisade's own TypeScript (or, when built, JavaScript) entry points. */
export function nodeEntry(modulePath: string): { command: string; args: string[] } {
  const args = modulePath.endsWith('.ts') ? ['-r', '@swc-node/register', modulePath] : [modulePath];
  return { command: process.execPath, args };
}
