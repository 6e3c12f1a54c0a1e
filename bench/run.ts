// Palisade's figures in one table: one engine started as `npm start` does (embedded defaults
// unless DATABASE_URL is set; Slack pointed at a fake Slack Web API on loopback), each section
// of bench/figures/ run in turn, then the table printed and the JSON written to
// bench/results/bench-<timestamp>.json and bench/results/bench-latest.json. Not part of `npm test`.
//
//   npm run bench [-- --quick] [-- --only containment,approvals] [-- --heap-snapshot]
//
// Sections: replay, postmortem, containment, approvals, burst, open-incidents, ingest. Ingest runs
// last: it leaves thousands of playbooks behind that would disturb the other figures.
// --quick runs smaller counts (a smoke run; its figures are not the ones to quote).
// --heap-snapshot: the burst section takes heap snapshots of every thread of the worker, at rest
// and with every incident at its gate, into bench/results/heap-<run>/ (apps/worker/heap-snapshots.ts).
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { FakeSlack } from '../test/support/fake-slack';
import { SLACK_TEST_BOT_TOKEN, SLACK_TEST_SIGNING_SECRET } from '../test/support/slack-requests';
import { approvalsSection } from './figures/approvals';
import { burstSection } from './figures/burst';
import { containmentSection } from './figures/containment';
import type { BenchContext, Section } from './figures/figure';
import { ingestSection } from './figures/ingest';
import { openIncidentsSection } from './figures/open-incidents';
import { postmortemSection } from './figures/postmortem';
import { replaySection } from './figures/replay';
import { startBenchEngine } from './support/engine';
import { writeResults } from './support/results';
import { SLACK_USERS, SlackWatch } from './support/slack-watch';
import { round } from './support/stats';
import { formatTable, type TableRow } from './support/table';

/** In the order they run. */
const SECTIONS: Section[] = [replaySection, postmortemSection, containmentSection, approvalsSection, burstSection, openIncidentsSection, ingestSection];

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, 'heap-snapshot': { type: 'boolean', default: false } } });
const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((name) => !SECTIONS.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(`Unknown section(s): ${unknown.join(', ')}. Sections: ${SECTIONS.map((s) => s.name).join(', ')}.`);
  process.exit(2);
}
const chosen = SECTIONS.filter((s) => !only || only.includes(s.name));
const postgres = process.env.DATABASE_URL ? 'external' : 'pglite';

interface SectionRecord {
  title: string;
  seconds: number;
  figures: TableRow[];
  details?: Record<string, unknown>;
  error?: string;
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const slack = await new FakeSlack({ users: SLACK_USERS }).start();
  const watch = new SlackWatch(slack);
  let engine: Awaited<ReturnType<typeof startBenchEngine>> | undefined;
  let db: Client | undefined;
  const records: Record<string, SectionRecord> = {};
  try {
    const runId = randomUUID().slice(0, 8);
    const heapSnapshotDir = values['heap-snapshot'] ? path.resolve(__dirname, 'results', `heap-${runId}`) : undefined;
    console.log(`Starting the engine (npm start on ${postgres === 'external' ? 'DATABASE_URL' : 'embedded defaults'}, Slack at a fake Web API on loopback)...`);
    engine = await startBenchEngine({
      SLACK_SIGNING_SECRET: SLACK_TEST_SIGNING_SECRET,
      SLACK_BOT_TOKEN: SLACK_TEST_BOT_TOKEN,
      SLACK_API_URL: slack.url,
      ...(heapSnapshotDir ? { PALISADE_WORKER_HEAP_SNAPSHOT_DIR: heapSnapshotDir } : {}),
    });
    db = new Client({ connectionString: engine.databaseUrl });
    await db.connect();
    const ctx: BenchContext = { engine, db, slack, watch, quick: values.quick, runId, heapSnapshotDir, log: (m) => console.log(`  ${m}`) };

    for (const section of chosen) {
      console.log(`\n[${section.name}] ${section.title}`);
      const t0 = performance.now();
      try {
        const result = await section.run(ctx);
        records[section.name] = { title: section.title, seconds: round((performance.now() - t0) / 1000), figures: result.figures.map((f) => ({ section: section.name, ...f })), details: result.details };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        console.error(`  [${section.name}] failed: ${message}`);
        records[section.name] = { title: section.title, seconds: round((performance.now() - t0) / 1000), figures: [{ section: section.name, figure: `failed: ${message.slice(0, 80)}`, goal: '', met: false }], error: message };
      }
      console.log(`  done in ${records[section.name].seconds} s`);
    }
  } finally {
    watch.stop();
    await db?.end().catch(() => undefined);
    await engine?.stop();
    await slack.close();
  }

  const rows = Object.values(records).flatMap((r) => r.figures);
  console.log(`\nPalisade figures (${postgres === 'external' ? 'external Postgres' : 'embedded PGlite'}, ${os.cpus().length} cores${values.quick ? ', --quick: smoke counts' : ''}):\n`);
  console.log(formatTable(rows));
  const missed = rows.filter((r) => r.met === false).length;
  console.log(`\n${rows.filter((r) => r.met === true).length} goal(s) met, ${missed} missed.`);
  const out = writeResults(
    'bench',
    { at: startedAt, finishedAt: new Date().toISOString(), quick: values.quick, postgres, machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryMiB: Math.round(os.totalmem() / 2 ** 20), node: process.version }, figures: rows, sections: records },
    { latest: true },
  );
  console.log(`Written to ${out} and bench/results/bench-latest.json`);
  if (Object.values(records).some((r) => r.error)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
