import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { MemoryReport } from '../../apps/worker/heap-snapshots';
import { formatHeapSummary, summarizeHeapSnapshot, type HeapGroup } from './heap-snapshot';
import { until } from './stats';

const REPO_ROOT = path.resolve(__dirname, '../..');

// `--heap-snapshot`: the engine's worker runs with PALISADE_WORKER_HEAP_SNAPSHOT_DIR set
// (apps/worker/heap-snapshots.ts); a <name>.request file there makes it write a heap snapshot
// of each of its threads and a memory report, read here: where its resident memory goes.

export interface WorkerHeap {
  label: string;
  before: MemoryReport;
  after: MemoryReport;
  /** The heap snapshots, each with its top groups. */
  snapshots: { file: string; liveMiB: number; byType: HeapGroup[]; top: HeapGroup[] }[];
  /** What the resident memory is made of, MiB, as measured before the snapshots. */
  accounting: Record<string, number>;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** The resident memory in parts that add up to it (before the snapshots' garbage collection). */
function accounting(r: MemoryReport): Record<string, number> {
  const heaps = Object.fromEntries(r.isolates.map((i) => [`V8 heap, ${i.thread} (resident)`, i.physicalHeapMiB]));
  const v8Resident = r.isolates.reduce((n, i) => n + i.physicalHeapMiB, 0);
  const map = r.map;
  if (!map) return { rss: r.process.rssMiB, ...heaps };
  const file = map.fileMiB.nodeBinary + map.fileMiB.temporalCoreBridge + map.fileMiB.otherLibraries + map.fileMiB.otherFiles;
  return {
    rss: map.rssMiB,
    ...heaps,
    'other anonymous mmaps (V8 code and large blocks, stacks, large mallocs)': round(map.otherAnonymousMiB - v8Resident),
    'malloc: main heap': map.mallocMiB.mainHeap,
    [`malloc: thread arenas (${map.mallocMiB.arenaHeaps} heaps of 64 MiB)`]: map.mallocMiB.arenas,
    'files: node binary': map.fileMiB.nodeBinary,
    'files: Temporal core bridge': map.fileMiB.temporalCoreBridge,
    'files: other': round(file - map.fileMiB.nodeBinary - map.fileMiB.temporalCoreBridge),
    'of which: external memory (array buffers, external strings; in malloc or mmaps)': round(r.isolates.reduce((n, i) => n + i.externalMiB, 0)),
  };
}

/**
 * Asks the worker and waits for its report; without snapshots, the report only (its
 * serialiser's memory stays in the process: take snapshots last). Snapshots of a GiB-sized
 * heap take minutes on 2 busy cores.
 */
export async function takeWorkerHeap(dir: string, name: string, label: string, log: (m: string) => void, withSnapshots = true): Promise<WorkerHeap> {
  const file = path.join(dir, `${name}-memory.json`);
  writeFileSync(path.join(dir, `${name}.request`), withSnapshots ? label : 'report');
  await until(() => `the worker's heap snapshots (${file})`, () => (existsSync(file) ? true : undefined), 900_000, 1_000);
  const body = JSON.parse(readFileSync(file, 'utf8')) as { error?: string; before: MemoryReport; after: MemoryReport; snapshots: string[] };
  if (body.error) throw new Error(`the worker could not write its heap snapshots: ${body.error}`);
  const parts = accounting(body.before);
  log(`Worker memory, ${label} (MiB):`);
  for (const [k, v] of Object.entries(parts)) log(`  ${String(v).padStart(7)}  ${k}`);
  const isolates = (r: MemoryReport) => r.isolates.map((i) => `${i.thread} ${i.usedHeapMiB}/${i.totalHeapMiB} used/total, ${i.nativeContexts} contexts`).join('; ');
  log(`  V8 heaps before the snapshots: ${isolates(body.before)}`);
  log(`  after (a snapshot collects garbage first): ${isolates(body.after)}; rss ${body.after.process.rssMiB}`);
  const snapshots = body.snapshots.map((s) => {
    const summary = summarizeHeapSnapshot(s);
    for (const line of formatHeapSummary(path.basename(s), summary, 15)) log(`  ${line}`);
    // Relative to the repository: the results are committed, machine paths are not.
    return { file: path.relative(REPO_ROOT, s), liveMiB: round(summary.bytes / 2 ** 20), byType: summary.byType.slice(0, 12), top: summary.byName.slice(0, 40) };
  });
  return { label, before: body.before, after: body.after, snapshots, accounting: parts };
}
