import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as v8 from 'node:v8';
import type { Worker as ThreadWorker } from 'node:worker_threads';
import type { Logger } from '../../lib/logger';
import { memoryMap, parseSmaps, type MemoryMap } from './memory-map';

// Bench only (PALISADE_WORKER_HEAP_SNAPSHOT_DIR, `npm run bench -- --heap-snapshot`): where the
// worker's memory goes. The Temporal SDK runs workflows in worker threads of this process (their
// own V8 isolates, holding the cached runs), and its Rust core keeps each cached run's state
// machines in malloc'd memory. When a file <name>.request appears in the folder (not a signal:
// the SDK's Runtime stops the worker on SIGUSR2, and SIGUSR1 is Node's inspector), the worker writes:
//   <name>-main.heapsnapshot, <name>-thread-<id>.heapsnapshot (one per worker thread), and
//   <name>-memory.json: rss, heap statistics of every isolate and the /proc memory map, before
//   and after the snapshots (a snapshot collects garbage first: the difference is garbage).
// A request that says `report` gets the memory report only: a snapshot's serialiser mallocs
// about twice the heap, which the process keeps (a snapshot at rest inflated the next figures).
// bench/heap-top.ts reads the snapshots.

const MIB = 2 ** 20;
const mib = (bytes: number) => Math.round((bytes / MIB) * 10) / 10;

interface IsolateMemory {
  thread: string;
  usedHeapMiB: number;
  totalHeapMiB: number;
  physicalHeapMiB: number;
  externalMiB: number;
  mallocedMiB: number;
  peakMallocedMiB: number;
  nativeContexts: number;
  detachedContexts: number;
  spaces: Record<string, { usedMiB: number; physicalMiB: number }>;
}

export interface MemoryReport {
  process: { rssMiB: number; heapUsedMiB: number; heapTotalMiB: number; externalMiB: number; arrayBuffersMiB: number };
  isolates: IsolateMemory[];
  map?: MemoryMap;
}

/** Evaluated in each isolate: its heap statistics, in bytes. */
const STATS_EXPRESSION = `JSON.stringify({ thread: String(require('node:worker_threads').threadId), heap: require('node:v8').getHeapStatistics(), spaces: require('node:v8').getHeapSpaceStatistics() })`;

function isolateMemory(json: string): IsolateMemory {
  const { thread, heap, spaces } = JSON.parse(json) as { thread: string; heap: v8.HeapInfo; spaces: v8.HeapSpaceInfo[] };
  return {
    thread: thread === '0' ? 'main' : `thread-${thread}`,
    usedHeapMiB: mib(heap.used_heap_size),
    totalHeapMiB: mib(heap.total_heap_size),
    physicalHeapMiB: mib(heap.total_physical_size),
    externalMiB: mib(heap.external_memory),
    mallocedMiB: mib(heap.malloced_memory),
    peakMallocedMiB: mib(heap.peak_malloced_memory),
    nativeContexts: heap.number_of_native_contexts,
    detachedContexts: heap.number_of_detached_contexts,
    spaces: Object.fromEntries(spaces.map((s) => [s.space_name, { usedMiB: mib(s.space_used_size), physicalMiB: mib(s.physical_space_size) }])),
  };
}

/**
 * The worker threads' heap statistics, asked through the inspector (Node 20's Worker has no
 * getHeapStatistics(): that came in Node 22.16 and 24): the main thread's session attaches to
 * each worker thread (NodeWorker domain) and evaluates STATS_EXPRESSION there.
 */
type Reply = { result?: { result?: { value?: string } }; error?: { message: string } };

class ThreadInspector {
  private readonly session = new Session();
  private readonly attached = new Map<string, string>();
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private nextId = 1;

  private post<T>(method: string, params?: object): Promise<T> {
    return new Promise((resolve, reject) => this.session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))));
  }

  async start(): Promise<void> {
    this.session.connect();
    this.session.on('NodeWorker.attachedToWorker', (m: { params: { sessionId: string; workerInfo: { workerId: string } } }) => this.attached.set(m.params.workerInfo.workerId, m.params.sessionId));
    this.session.on('NodeWorker.detachedFromWorker', (m: { params: { sessionId: string } }) => {
      for (const [id, session] of this.attached) if (session === m.params.sessionId) this.attached.delete(id);
    });
    this.session.on('NodeWorker.receivedMessageFromWorker', (m: { params: { message: string } }) => {
      const message = JSON.parse(m.params.message) as Reply & { id?: number };
      if (message.id === undefined) return;
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    });
    await this.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  async waitFor(threadIds: string[]): Promise<void> {
    for (let i = 0; i < 50 && !threadIds.every((id) => this.attached.has(id)); i++) await new Promise((r) => setTimeout(r, 100));
  }

  async threads(): Promise<IsolateMemory[]> {
    const out: IsolateMemory[] = [];
    for (const sessionId of this.attached.values()) {
      const id = this.nextId++;
      const answer = new Promise<Reply>((resolve) => this.pending.set(id, resolve));
      const message = { id, method: 'Runtime.evaluate', params: { expression: STATS_EXPRESSION, includeCommandLineAPI: true, returnByValue: true } };
      await this.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify(message) });
      const reply = await answer;
      const value = reply.result?.result?.value;
      if (typeof value !== 'string') throw new Error(`a worker thread did not answer its heap statistics: ${JSON.stringify(reply).slice(0, 300)}`);
      out.push(isolateMemory(value));
    }
    return out;
  }
}

function readMemoryMap(): MemoryMap | undefined {
  return existsSync('/proc/self/smaps') ? memoryMap(parseSmaps(readFileSync('/proc/self/smaps', 'utf8'))) : undefined;
}

async function report(inspector: ThreadInspector): Promise<MemoryReport> {
  const usage = process.memoryUsage();
  const main = isolateMemory(JSON.stringify({ thread: '0', heap: v8.getHeapStatistics(), spaces: v8.getHeapSpaceStatistics() }));
  return {
    process: { rssMiB: mib(usage.rss), heapUsedMiB: mib(usage.heapUsed), heapTotalMiB: mib(usage.heapTotal), externalMiB: mib(usage.external), arrayBuffersMiB: mib(usage.arrayBuffers) },
    isolates: [main, ...(await inspector.threads())],
    map: readMemoryMap(),
  };
}

/**
 * Keeps the worker threads this process starts (call it before Worker.create: the SDK starts
 * its workflow threads there) and writes the snapshots and the report when asked (a
 * `<name>.request` file in `dir`, looked for every half second).
 */
export function installHeapSnapshots(dir: string, log: Logger): void {
  mkdirSync(dir, { recursive: true });
  const threads = new Set<ThreadWorker>();
  process.on('worker', (worker: ThreadWorker) => {
    threads.add(worker);
    worker.once('exit', () => threads.delete(worker));
  });
  let inspector: ThreadInspector | undefined;
  let busy = false;
  const take = async (stamp: string, withSnapshots: boolean) => {
    if (!inspector) {
      inspector = new ThreadInspector();
      await inspector.start();
    }
    await inspector.waitFor([...threads].map((t) => String(t.threadId)));
    const before = await report(inspector);
    if (!withSnapshots) return write(stamp, { before, after: before, snapshots: [] });
    const snapshots = [v8.writeHeapSnapshot(path.join(dir, `${stamp}-main.heapsnapshot`))];
    for (const thread of threads) {
      const file = path.join(dir, `${stamp}-thread-${thread.threadId}.heapsnapshot`);
      const out = createWriteStream(file);
      await Promise.all([pipeline(await thread.getHeapSnapshot(), out), once(out, 'close')]);
      snapshots.push(file);
    }
    const after = await report(inspector);
    write(stamp, { before, after, snapshots });
    log.info({ dir, snapshots }, 'heap snapshots written');
  };
  /** `<stamp>-memory.json`, whole or not at all: the bench waits for it. */
  const write = (stamp: string, body: object) => {
    const file = path.join(dir, `${stamp}-memory.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify({ at: new Date().toISOString(), pid: process.pid, ...body }, null, 2));
    renameSync(`${file}.tmp`, file);
  };
  const poll = setInterval(() => {
    if (busy) return;
    const request = readdirSync(dir).find((f) => f.endsWith('.request'));
    if (!request) return;
    const withSnapshots = readFileSync(path.join(dir, request), 'utf8').trim() !== 'report';
    unlinkSync(path.join(dir, request));
    busy = true;
    const stamp = request.slice(0, -'.request'.length);
    take(stamp, withSnapshots)
      .catch((err: unknown) => {
        log.error({ err }, 'heap snapshots failed');
        write(stamp, { error: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => (busy = false));
  }, 500);
  poll.unref();
}
