import { readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';

/** A V8 CPU profile (Chrome DevTools' Profiler.Profile), the parts read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** The Chrome DevTools protocol over an inspector's WebSocket: commands to the process's main thread, or to one of its worker threads (NodeWorker domain). */
class InspectorClient {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();
  /** Worker threads attached (NodeWorker.attachedToWorker): their session ids, in the order seen. */
  readonly workers: { sessionId: string; title: string }[] = [];

  constructor(private readonly ws: WebSocket) {
    ws.onmessage = (event: MessageEvent) => {
      const msg = JSON.parse(String(event.data)) as { id?: number; method?: string; params?: { sessionId: string; message: string; workerInfo?: { title: string } }; result?: unknown; error?: { message: string } };
      if (msg.method === 'NodeWorker.attachedToWorker' && msg.params) this.workers.push({ sessionId: msg.params.sessionId, title: msg.params.workerInfo?.title ?? '?' });
      if (msg.method === 'NodeWorker.receivedMessageFromWorker' && msg.params) {
        this.answer(JSON.parse(msg.params.message) as typeof msg);
        return;
      }
      this.answer(msg);
    };
  }

  private answer(msg: { id?: number; result?: unknown; error?: { message: string } }): void {
    if (msg.id === undefined) return;
    this.pending.get(msg.id)?.(msg.error ? new Error(msg.error.message) : msg.result);
    this.pending.delete(msg.id);
  }

  /** A command to the main thread, or with `sessionId` to that worker thread. */
  send<T>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, (r) => (r instanceof Error ? reject(r) : resolve(r as T)));
      const message = JSON.stringify({ id, method, params });
      this.ws.send(sessionId === undefined ? message : JSON.stringify({ id: this.nextId++, method: 'NodeWorker.sendMessageToWorker', params: { sessionId, message } }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens another Node process's inspector: SIGUSR1 opens it (on 127.0.0.1:9229, Node's default). Needs WebSocket: Node 22, or Node 20 with --experimental-websocket. */
async function openInspector(pid: number, port: number): Promise<InspectorClient> {
  process.kill(pid, 'SIGUSR1');
  let targets: { webSocketDebuggerUrl: string }[] = [];
  for (let i = 0; i < 50 && targets.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    targets = await jsonList(port).catch(() => []);
  }
  if (targets.length === 0) throw new Error(`process ${pid} opened no inspector on port ${port}`);
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return new InspectorClient(ws);
}

/** V8's sampling profiler of one thread: the main thread, or the worker thread of `sessionId`. */
async function threadProfiler(inspector: InspectorClient, sessionId?: string): Promise<{ start: () => Promise<void>; stop: () => Promise<CpuProfile> }> {
  await inspector.send('Profiler.enable', {}, sessionId);
  await inspector.send('Profiler.setSamplingInterval', { interval: 200 }, sessionId);
  return {
    start: () => inspector.send('Profiler.start', {}, sessionId),
    stop: async () => (await inspector.send<{ profile: CpuProfile }>('Profiler.stop', {}, sessionId)).profile,
  };
}

/**
 * Samples another Node process's CPU through its inspector: the Chrome DevTools protocol starts
 * and stops V8's sampling profiler. For a process one cannot restart with --cpu-prof (the API
 * under `npm start`; NestJS ends it by signal, so --cpu-prof would never write its file).
 */
export async function attachProfiler(pid: number, port = 9229): Promise<{ start: () => Promise<void>; stop: () => Promise<CpuProfile>; close: () => void }> {
  const inspector = await openInspector(pid, port);
  return { ...(await threadProfiler(inspector)), close: () => inspector.close() };
}

/** One thread of a process: its Linux thread id and, once stopped, its profile. */
export interface ThreadProfile {
  /** `main`, or the worker thread's title and thread id. */
  thread: string;
  tid: number;
  profile: CpuProfile;
}

/** Evaluated in a thread: its Linux thread id. */
const TID_EXPRESSION = `Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop())`;

/**
 * Like attachProfiler, for the main thread and every worker thread the process has (the
 * Temporal worker runs its workflows in worker threads of their own: a profile of its main
 * thread alone sees only the activities). Each thread is sampled on its own; their Linux
 * thread ids let /proc's per-thread CPU (threadCpuTicks) be told apart.
 */
export async function attachThreadProfilers(pid: number, port = 9229): Promise<{ start: () => Promise<void>; stop: () => Promise<ThreadProfile[]>; close: () => void }> {
  const inspector = await openInspector(pid, port);
  // The worker threads already running are announced (NodeWorker.attachedToWorker) before enable answers.
  await inspector.send('NodeWorker.enable', { waitForDebuggerOnStart: false });
  if (inspector.workers.length === 0) throw new Error(`process ${pid} announced no worker threads`);
  const targets = [{ thread: 'main', sessionId: undefined as string | undefined }, ...inspector.workers.map((w, i) => ({ thread: `worker thread ${i + 1} (${w.title})`, sessionId: w.sessionId }))];
  const threads: { thread: string; tid: number; profiler: Awaited<ReturnType<typeof threadProfiler>> }[] = [];
  for (const t of targets) {
    const profiler = await threadProfiler(inspector, t.sessionId);
    const { result } = await inspector.send<{ result: { value?: number } }>('Runtime.evaluate', { expression: TID_EXPRESSION, includeCommandLineAPI: true, returnByValue: true }, t.sessionId);
    threads.push({ thread: t.thread, tid: result.value ?? 0, profiler });
  }
  return {
    start: async () => {
      for (const t of threads) await t.profiler.start();
    },
    stop: async () => {
      const out: ThreadProfile[] = [];
      for (const t of threads) out.push({ thread: t.thread, tid: t.tid, profile: await t.profiler.stop() });
      return out;
    },
    close: () => inspector.close(),
  };
}

/** A /proc stat file (a process's or a thread's): its name (`comm`) and the fields after it, from the state on. */
function readStat(file: string): { comm: string; fields: string[] } {
  const stat = readFileSync(file, 'utf8');
  return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') };
}

/** CPU time (clock ticks) of each thread of a process, by Linux thread id, with its name (`comm`). */
export function threadCpuTicks(pid: number): Map<number, { ticks: number; name: string }> {
  const out = new Map<number, { ticks: number; name: string }>();
  for (const entry of readdirSync(`/proc/${pid}/task`)) {
    try {
      const { comm, fields } = readStat(`/proc/${pid}/task/${entry}/stat`);
      out.set(Number(entry), { ticks: Number(fields[11]) + Number(fields[12]), name: comm });
    } catch {
      // Ended while read.
    }
  }
  return out;
}

function jsonList(port: number): Promise<{ webSocketDebuggerUrl: string }[]> {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${port}/json/list`, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(JSON.parse(body) as { webSocketDebuggerUrl: string }[]));
    }).on('error', reject);
  });
}

export interface FunctionTime {
  name: string;
  /** Share of all samples, in percent. */
  selfPct: number;
  inclusivePct: number;
}

/** Where a frame's code lives: the project's file, a package, or V8/Node itself. */
function where(url: string): string {
  if (!url) return '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url;
  const own = /\/((?:apps|lib|activities|workflows)\/.*)$/.exec(url);
  return own ? own[1] : url;
}

/**
 * Self time (samples whose top frame is the function) and inclusive time (samples with the
 * function anywhere on the stack, counted once) per function, and self time per file or
 * package, each as a share of all samples (idle included: the process's idle share is `(idle)`).
 */
export function summarizeCpuProfile(profile: CpuProfile): { functions: FunctionTime[]; places: { place: string; selfPct: number; inclusivePct: number }[]; samples: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (id: number) => {
    const f = byId.get(id)!.callFrame;
    return `${f.functionName || '(anonymous)'} ${where(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const placeSelf = new Map<string, number>();
  const placeInclusive = new Map<string, number>();
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const sample of profile.samples) {
    add(self, label(sample));
    add(placeSelf, where(byId.get(sample)!.callFrame.url));
    const seen = new Set<string>();
    const seenPlace = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const l = label(id);
      if (!seen.has(l)) {
        seen.add(l);
        add(inclusive, l);
      }
      const p = where(byId.get(id)!.callFrame.url);
      if (!seenPlace.has(p)) {
        seenPlace.add(p);
        add(placeInclusive, p);
      }
    }
  }
  const total = profile.samples.length || 1;
  const pct = (n: number | undefined) => Math.round(((n ?? 0) / total) * 1000) / 10;
  const functions = [...new Set([...self.keys(), ...inclusive.keys()])].map((name) => ({ name, selfPct: pct(self.get(name)), inclusivePct: pct(inclusive.get(name)) }));
  const places = [...new Set([...placeSelf.keys(), ...placeInclusive.keys()])].map((place) => ({ place, selfPct: pct(placeSelf.get(place)), inclusivePct: pct(placeInclusive.get(place)) }));
  return { functions, places, samples: profile.samples.length };
}

/** The summary's top lines: by self time, by inclusive time, and self time per file or package. */
export function formatCpuSummary(title: string, summary: ReturnType<typeof summarizeCpuProfile>, top: number): string[] {
  const out = [`${title}: ${summary.samples} samples`];
  out.push('  self %  incl %  function (by self time)');
  for (const f of [...summary.functions].sort((a, b) => b.selfPct - a.selfPct).slice(0, top)) out.push(`  ${f.selfPct.toFixed(1).padStart(6)}  ${f.inclusivePct.toFixed(1).padStart(6)}  ${f.name}`);
  out.push('  incl %  self %  function (by inclusive time)');
  for (const f of [...summary.functions].sort((a, b) => b.inclusivePct - a.inclusivePct).slice(0, top)) out.push(`  ${f.inclusivePct.toFixed(1).padStart(6)}  ${f.selfPct.toFixed(1).padStart(6)}  ${f.name}`);
  out.push('  self %  incl %  file or package');
  for (const p of [...summary.places].sort((a, b) => b.selfPct - a.selfPct).slice(0, top)) out.push(`  ${p.selfPct.toFixed(1).padStart(6)}  ${p.inclusivePct.toFixed(1).padStart(6)}  ${p.place}`);
  return out;
}

/** CPU time (user + system, in clock ticks of 1/100 s) of every process readable in /proc (Linux), by pid. */
export function processCpuTicks(): Map<number, { ticks: number; name: string }> {
  const out = new Map<number, { ticks: number; name: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { fields } = readStat(`/proc/${entry}/stat`);
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const name = cmd.find((a) => /\.(ts|js)$/.test(a))?.replace(/^.*\/((?:apps|bench)\/)/, '$1') ?? cmd[0]?.replace(/^.*\//, '') ?? '?';
      out.set(Number(entry), { ticks: Number(fields[11]) + Number(fields[12]), name: `${name}${cmd.includes('server') && name.endsWith('temporal') ? ' server' : ''}` });
    } catch {
      // Gone while read.
    }
  }
  return out;
}

/** CPU time (clock ticks) of this process's children that have ended: the load generator's, once it exited. */
export function endedChildrenTicks(): number {
  const { fields } = readStat('/proc/self/stat');
  return Number(fields[13]) + Number(fields[14]);
}

/** Each process's share of one core between two processCpuTicks() readings `seconds` apart, the busiest first. */
export function cpuBetween(before: ReturnType<typeof processCpuTicks>, after: ReturnType<typeof processCpuTicks>, seconds: number): { pid: number; name: string; corePct: number }[] {
  const out: { pid: number; name: string; corePct: number }[] = [];
  for (const [pid, a] of after) {
    const ticks = a.ticks - (before.get(pid)?.ticks ?? 0);
    if (ticks > 0) out.push({ pid, name: a.name, corePct: Math.round(ticks / seconds) });
  }
  return out.sort((x, y) => y.corePct - x.corePct);
}
