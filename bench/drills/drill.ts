// What every drill runs against and what it reports. `npm run drills` runs each drill at full
// size against an engine it starts itself (bench/support/cluster.ts); npm test runs the short
// version of each (test/integration/drills*.test.ts) with a small `scale`.

/** One of the engine's processes, which a drill may kill and start again. */
export interface DrillProcess {
  /** api, worker, temporal, postgres; on the real cluster api-1, worker-2, temporal-history... */
  readonly name: string;
  /** The live process's pid (undefined while stopped). */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Sends the signal and waits until the process has exited. */
  kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts it again (same ports, same data) and waits until it is ready. */
  start(): Promise<void>;
}

/** An engine whose processes a drill controls. */
export interface DrillCluster {
  apiUrl: string;
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** A token of the first admin (PALISADE_BOOTSTRAP_TOKEN). */
  adminToken: string;
  /** The value of a variable the engine runs with: webhook secrets, SLACK_SIGNING_SECRET, PALISADE_REDACTION_KEY. */
  secret(variable: string): string;
  /** Everything the API and worker processes have logged so far. */
  logs(): string;
  /** Undefined where the drill's harness cannot control that process (a short version in npm test). */
  processes: Partial<Record<'api' | 'worker' | 'temporal' | 'postgres', DrillProcess>>;
  /**
   * Another worker beside the engine's, started by the drill and stopped with the engine: `env`
   * adds to the engine's (PALISADE_WORKFLOW_BUNDLE: another build). Absent where the harness
   * cannot start one.
   */
  addWorker?: (name: string, env: NodeJS.ProcessEnv) => DrillProcess;
}

export interface DrillOptions {
  /** 1: the full drill; smaller (say 0.05): the short version npm test runs. Counts scale by it. */
  scale: number;
  /** Progress lines for the operator. */
  say: (line: string) => void;
}

export interface DrillReport {
  drill: string;
  /** What the drill did, one line each ("sent 5,000 alerts over 50 connections"). */
  did: string[];
  /** What it found ("5,000 of 5,000 answered 202; all in Postgres"). */
  found: string[];
  /** Each loss or broken promise, one line each; empty when the drill passed. */
  losses: string[];
}

export type Drill = (cluster: DrillCluster, opts: DrillOptions) => Promise<DrillReport>;

/** `n` scaled for a short run, never below `min`. */
export function scaled(n: number, opts: DrillOptions, min = 1): number {
  return Math.max(min, Math.round(n * opts.scale));
}
