import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface RunbookPage {
  /** The page as written (Markdown), or null when the playbook has none. */
  text: string | null;
  /** The steps, in order, as the page's "What the playbook does" list names them in bold. */
  steps: string[];
}

/** Reads `<dir>/<playbook>.md`, the runbook a responder reads beside the playbook's code. */
export function readRunbookPage(dir: string, playbook: string): RunbookPage {
  const file = path.join(dir, `${playbook}.md`);
  if (!existsSync(file)) return { text: null, steps: [] };
  const text = readFileSync(file, 'utf8');
  return { text, steps: stepsOf(text) };
}

/** `1. **Snapshot disks**, then …` → "Snapshot disks", from the section "## What the playbook does…". */
export function stepsOf(markdown: string): string[] {
  const section = /^## What the playbook does[^\n]*\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(markdown)?.[1] ?? '';
  return [...section.matchAll(/^\d+\.\s+\*\*(.+?)\*\*/gm)].map((m) => m[1].replace(/[.:]+$/, '').trim());
}
