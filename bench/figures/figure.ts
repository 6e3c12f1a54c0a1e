import type { Client } from 'pg';
import type { FakeSlack } from '../../test/support/fake-slack';
import type { BenchEngine } from '../support/engine';
import type { SlackWatch } from '../support/slack-watch';

/** One line of the table: a latency (p50/p99 ms) or a single value, and whether its goal was met. */
export interface Figure {
  figure: string;
  p50?: number;
  p99?: number;
  value?: number;
  unit?: string;
  /** '' when the figure has no goal (then `met` is undefined). */
  goal: string;
  met?: boolean;
}

export interface SectionResult {
  figures: Figure[];
  /** Everything else worth keeping in the JSON (counts, samples, problems). */
  details: Record<string, unknown>;
}

/** What bench/run.ts hands every section: one engine, its database, a fake Slack it posts to. */
export interface BenchContext {
  engine: BenchEngine;
  db: Client;
  slack: FakeSlack;
  watch: SlackWatch;
  quick: boolean;
  /** Unique per run: hosts, credentials and alert ids carry it. */
  runId: string;
  /** --heap-snapshot: where the worker writes its heap snapshots (bench/support/worker-heap.ts). */
  heapSnapshotDir?: string;
  log: (message: string) => void;
}

export interface Section {
  /** The --only name. */
  name: string;
  title: string;
  run: (ctx: BenchContext) => Promise<SectionResult>;
}
