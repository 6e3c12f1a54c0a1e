import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const RESULTS = path.join(__dirname, '..', 'results');

/** Writes bench/results/<name>-<timestamp>.json (and <name>-latest.json when asked); returns the first path, relative to the working folder. */
export function writeResults(name: string, data: unknown, opts: { latest?: boolean } = {}): string {
  mkdirSync(RESULTS, { recursive: true });
  const text = `${JSON.stringify(data, null, 2)}\n`;
  const out = path.join(RESULTS, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, text);
  if (opts.latest) writeFileSync(path.join(RESULTS, `${name}-latest.json`), text);
  return path.relative(process.cwd(), out);
}
