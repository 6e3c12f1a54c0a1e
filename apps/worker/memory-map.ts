/**
 * What a process's resident memory is made of, from Linux's /proc/<pid>/smaps: file-backed
 * pages (the node binary, Temporal's core bridge and other shared libraries), glibc's malloc
 * heaps (the main `[heap]` and the 64 MiB-aligned arenas other threads malloc from: Temporal's
 * Rust core, V8's own malloc), and the rest of the anonymous memory (V8's heaps of every
 * isolate, large mmap'd allocations, thread stacks). Bench only (apps/worker/heap-snapshots.ts).
 */

/** MiB resident, per kind. */
export interface MemoryMap {
  rssMiB: number;
  fileMiB: { nodeBinary: number; temporalCoreBridge: number; otherLibraries: number; otherFiles: number };
  mallocMiB: { mainHeap: number; arenas: number; arenaHeaps: number };
  /** Anonymous memory outside malloc's heaps: V8's heaps (all threads), large mmap'd blocks, stacks. */
  otherAnonymousMiB: number;
}

interface Mapping {
  start: bigint;
  end: bigint;
  perms: string;
  name: string;
  rssKb: number;
}

/** glibc's HEAP_MAX_SIZE on 64-bit: a non-main arena's heap is reserved this size, aligned to it. */
const ARENA_HEAP = 64n * 1024n * 1024n;

export function parseSmaps(text: string): Mapping[] {
  const mappings: Mapping[] = [];
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      mappings.push({ start: BigInt(`0x${header[1]}`), end: BigInt(`0x${header[2]}`), perms: header[3], name: header[4], rssKb: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && mappings.length > 0) mappings[mappings.length - 1].rssKb = Number(rss[1]);
  }
  return mappings;
}

/**
 * A malloc arena's heap: anonymous mappings that tile one 64 MiB-aligned, 64 MiB block from
 * its start (the part in use read-write, the rest reserved `---p`).
 */
function arenaBlocks(anonymous: Mapping[]): Set<bigint> {
  const byStart = new Map(anonymous.map((m) => [m.start, m]));
  const blocks = new Set<bigint>();
  for (const m of anonymous) {
    if (m.start % ARENA_HEAP !== 0n || !m.perms.startsWith('rw')) continue;
    let at = m.start;
    while (at < m.start + ARENA_HEAP) {
      const next = byStart.get(at);
      if (!next) break;
      at = next.end;
    }
    if (at === m.start + ARENA_HEAP) blocks.add(m.start);
  }
  return blocks;
}

export function memoryMap(mappings: Mapping[]): MemoryMap {
  const mib = (kb: number) => Math.round((kb / 1024) * 10) / 10;
  const sum = (ms: Mapping[]) => ms.reduce((n, m) => n + m.rssKb, 0);
  const files = mappings.filter((m) => m.name.startsWith('/'));
  const anonymous = mappings.filter((m) => m.name === '');
  const blocks = arenaBlocks(anonymous);
  const inArena = (m: Mapping) => blocks.has(m.start - (m.start % ARENA_HEAP));
  const arenas = anonymous.filter(inArena);
  const isNode = (m: Mapping) => /\/node$/.test(m.name);
  const isCore = (m: Mapping) => m.name.endsWith('.node') && m.name.includes('@temporalio');
  const isLibrary = (m: Mapping) => /\.so(\.[\d.]+)?$/.test(m.name) || m.name.endsWith('.node');
  return {
    rssMiB: mib(sum(mappings)),
    fileMiB: {
      nodeBinary: mib(sum(files.filter(isNode))),
      temporalCoreBridge: mib(sum(files.filter(isCore))),
      otherLibraries: mib(sum(files.filter((m) => !isNode(m) && !isCore(m) && isLibrary(m)))),
      otherFiles: mib(sum(files.filter((m) => !isNode(m) && !isLibrary(m)))),
    },
    mallocMiB: { mainHeap: mib(sum(mappings.filter((m) => m.name === '[heap]'))), arenas: mib(sum(arenas)), arenaHeaps: blocks.size },
    otherAnonymousMiB: mib(sum(anonymous.filter((m) => !inArena(m))) + sum(mappings.filter((m) => m.name.startsWith('[') && m.name !== '[heap]'))),
  };
}
