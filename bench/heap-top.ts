// What fills a V8 heap snapshot: totals per node type, then the biggest groups by constructor
// (or V8's name) by self size. For the worker's snapshots (`npm run bench -- --only burst
// --heap-snapshot`, in bench/results/heap-<run>/), or any .heapsnapshot.
//
//   npm run bench:heap-top -- <file.heapsnapshot>... [--top 40]
import { parseArgs } from 'node:util';
import { formatHeapSummary, summarizeHeapSnapshot } from './support/heap-snapshot';

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' } }, allowPositionals: true });
if (positionals.length === 0) {
  console.error('Usage: npm run bench:heap-top -- <file.heapsnapshot>... [--top 40]');
  process.exit(2);
}
for (const file of positionals) {
  const t0 = Date.now();
  const summary = summarizeHeapSnapshot(file);
  console.log(formatHeapSummary(file, summary, Number(values.top)).join('\n'));
  console.log(`  (read in ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
