import { readFileSync } from 'node:fs';

// A V8 .heapsnapshot read once into a Buffer and scanned, not JSON.parse'd whole (a snapshot of
// a few hundred MB is past what one JavaScript string can hold): the header, the nodes array
// (digits scanned byte by byte), and the strings table. Edges are skipped: self sizes only.
// Format: V8's HeapSnapshotJSONSerializer (`snapshot.meta.node_fields`, `node_types`).

export interface HeapGroup {
  key: string;
  count: number;
  bytes: number;
}

export interface HeapSummary {
  nodes: number;
  bytes: number;
  /** Self size per node type (object, closure, string, code, hidden, array, native...). */
  byType: HeapGroup[];
  /** Self size per type and name: objects by constructor, closures by function name, hidden/native/array by V8's name; strings, numbers and code by type. */
  byName: HeapGroup[];
}

interface Meta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
}

/** Types whose names are contents or function names, not a kind: grouped by the type alone. */
const BY_TYPE_ONLY = new Set(['string', 'concatenated string', 'sliced string', 'number', 'code', 'regexp', 'symbol', 'bigint']);

function indexAfter(buf: Buffer, token: string, from: number): number {
  const at = buf.indexOf(token, from, 'latin1');
  if (at < 0) throw new Error(`not a V8 heap snapshot: no ${token}`);
  return at + token.length;
}

export function summarizeHeapSnapshot(file: string): HeapSummary {
  const buf = readFileSync(file);
  const nodesAt = indexAfter(buf, '"nodes":[', 0);
  const header = buf.toString('utf8', 0, nodesAt - '"nodes":['.length).replace(/,\s*$/, '');
  const { snapshot } = JSON.parse(`${header}}`) as { snapshot: { meta: Meta; node_count: number } };
  const fields = snapshot.meta.node_fields;
  const width = fields.length;
  const [typeField, nameField, sizeField] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const count = snapshot.node_count;
  const types = new Uint32Array(count);
  const names = new Uint32Array(count);
  const sizes = new Float64Array(count);

  let at = nodesAt;
  let value = 0;
  let field = 0;
  let digits = false;
  for (; at < buf.length; at++) {
    const c = buf[at];
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits = true;
      continue;
    }
    if (digits) {
      const node = Math.floor(field / width);
      const column = field % width;
      if (column === typeField) types[node] = value;
      else if (column === nameField) names[node] = value;
      else if (column === sizeField) sizes[node] = value;
      field++;
      value = 0;
      digits = false;
    }
    if (c === 93 /* ] */) break;
  }
  if (field !== count * width) throw new Error(`${file}: read ${field} node fields, expected ${count * width}`);

  const stringsAt = indexAfter(buf, '"strings":[', at);
  const end = buf.lastIndexOf(']');
  const strings = JSON.parse(buf.toString('utf8', stringsAt - 1, end + 1)) as string[];
  const typeNames = snapshot.meta.node_types[0];

  const byType = new Map<string, HeapGroup>();
  const byName = new Map<string, HeapGroup>();
  const add = (map: Map<string, HeapGroup>, key: string, bytes: number) => {
    const g = map.get(key) ?? map.set(key, { key, count: 0, bytes: 0 }).get(key)!;
    g.count++;
    g.bytes += bytes;
  };
  let total = 0;
  for (let i = 0; i < count; i++) {
    const type = typeNames[types[i]] ?? `type ${types[i]}`;
    total += sizes[i];
    add(byType, type, sizes[i]);
    add(byName, BY_TYPE_ONLY.has(type) ? `(${type})` : `${type}: ${(strings[names[i]] ?? '').slice(0, 80)}`, sizes[i]);
  }
  const sorted = (m: Map<string, HeapGroup>) => [...m.values()].sort((a, b) => b.bytes - a.bytes);
  return { nodes: count, bytes: total, byType: sorted(byType), byName: sorted(byName) };
}

/** A summary as lines of text: totals, then the top `top` groups by name. */
export function formatHeapSummary(title: string, s: HeapSummary, top = 25): string[] {
  const mib = (b: number) => (b / 2 ** 20).toFixed(1).padStart(8);
  const row = (g: HeapGroup) => `${mib(g.bytes)} MiB ${String(g.count).padStart(9)}  ${g.key}`;
  return [
    `${title}: ${(s.bytes / 2 ** 20).toFixed(1)} MiB live in ${s.nodes.toLocaleString('en')} nodes`,
    '  by type:      MiB     count',
    ...s.byType.map((g) => `  ${row(g)}`),
    `  top ${top} by type and name:`,
    ...s.byName.slice(0, top).map((g) => `  ${row(g)}`),
  ];
}
