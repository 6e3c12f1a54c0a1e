import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { memoryMap, parseSmaps } from '../../apps/worker/memory-map';
import { summarizeHeapSnapshot } from '../../bench/support/heap-snapshot';

// Issue 22: the tools that say where the worker's memory goes (npm run bench -- --heap-snapshot).
class PalisadeHeapProbe {
  constructor(readonly n: number) {}
}

const mapping = (start: number, end: number, perms: string, name: string, rssKb: number) =>
  `${start.toString(16)}-${end.toString(16)} ${perms} 00000000 00:00 0 ${name}\nSize: ${(end - start) / 1024} kB\nRss: ${rssKb} kB\nAnonymous: ${rssKb} kB\n`;

describe("the worker's memory report", () => {
  it('sums a heap snapshot by constructor, read without parsing it whole', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-heap-'));
    try {
      const probes = Array.from({ length: 5_000 }, (_, i) => new PalisadeHeapProbe(i));
      const file = v8.writeHeapSnapshot(path.join(dir, 'test.heapsnapshot'));
      const summary = summarizeHeapSnapshot(file);
      const group = summary.byName.find((g) => g.key === 'object: PalisadeHeapProbe');
      expect(group?.count).toBe(probes.length);
      expect(group!.bytes).toBeGreaterThan(0);
      expect(summary.byType.reduce((n, g) => n + g.bytes, 0)).toBe(summary.bytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("tells malloc's 64 MiB arena heaps from the rest of the anonymous memory", () => {
    const MiB = 2 ** 20;
    const arena = 0x7f0000000000; // 64 MiB-aligned
    const smaps = [
      mapping(0x400000, 0x400000 + 40 * MiB, 'r-xp', '/usr/bin/node', 30_000),
      mapping(0x2000000, 0x2000000 + 8 * MiB, 'rw-p', '[heap]', 8_000),
      // An arena heap: 10 MiB in use, the rest of its 64 MiB reserved.
      mapping(arena, arena + 10 * MiB, 'rw-p', '', 9_000),
      mapping(arena + 10 * MiB, arena + 64 * MiB, '---p', '', 0),
      // A V8 page elsewhere: anonymous, not an arena.
      mapping(arena + 64 * MiB + 256 * 1024, arena + 64 * MiB + 512 * 1024, 'rw-p', '', 256),
      mapping(0x7f1000000000, 0x7f1000000000 + 2 * MiB, 'r-xp', '/app/node_modules/@temporalio/core-bridge/releases/x86_64-unknown-linux-gnu/index.node', 5_000),
    ].join('');
    const map = memoryMap(parseSmaps(smaps));
    expect(map.mallocMiB).toEqual({ mainHeap: 7.8, arenas: 8.8, arenaHeaps: 1 });
    expect(map.otherAnonymousMiB).toBe(0.3);
    expect(map.fileMiB.nodeBinary).toBe(29.3);
    expect(map.fileMiB.temporalCoreBridge).toBe(4.9);
    expect(map.rssMiB).toBe(51.0);
  });
});
