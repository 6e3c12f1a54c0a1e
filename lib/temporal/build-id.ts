import { createHash } from 'node:crypto';

/**
 * The generated entry's folder (lib/temporal/workflow-bundle.ts makes a fresh temporary one per
 * bundling) is named in the bundle: it is not the workflow code, so it does not count.
 */
const GENERATED_ENTRY_DIR = 'palisade-bundle-';
/** Its random part (mkdtemp: six characters), and the longest folder path taken before it. */
const RANDOM_PART = 6;
const LONGEST_PATH = 1024;

/** The inline source map at the bundle's end: it names the temporary folder too, and the code says the rest. */
const SOURCE_MAP = /\n\/\/# sourceMappingURL=[^\n]*\s*$/;

/**
 * The worker's build id, derived from the workflow code it runs: `b` and the first 16 hex
 * digits of the SHA-256 of the bundle, with the path of the generated entry's temporary folder
 * and the inline source map left out. The same code gives the same id wherever and whenever it is bundled; any change to
 * any playbook, the runner or a package they import gives another. Nobody types it, so nobody
 * forgets to change it.
 */
export function buildIdOf(bundleCode: string): string {
  return `b${createHash('sha256').update(withoutGeneratedDir(bundleCode.replace(SOURCE_MAP, ''))).digest('hex').slice(0, 16)}`;
}

/** The code with each `<tmp>/palisade-bundle-XXXXXX` path as `palisade-bundle` (a linear scan). */
function withoutGeneratedDir(code: string): string {
  const parts: string[] = [];
  let from = 0;
  for (let at = code.indexOf(GENERATED_ENTRY_DIR); at >= 0; at = code.indexOf(GENERATED_ENTRY_DIR, at + 1)) {
    let start = at;
    while (start > from && at - start < LONGEST_PATH && !/[\s"'`(]/.test(code[start - 1])) start -= 1;
    parts.push(code.slice(from, start), 'palisade-bundle');
    from = at + GENERATED_ENTRY_DIR.length + RANDOM_PART;
  }
  parts.push(code.slice(from));
  return parts.join('');
}
