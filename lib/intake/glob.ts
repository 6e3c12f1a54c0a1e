/**
 * Globs over entity keys and label values, where `*` matches any run of characters (line
 * breaks included) and everything else matches itself. Keys and labels come from senders, so
 * the matcher takes time linear in the key and the pattern: the literal pieces between stars
 * are found in order, each leftmost, with Knuth–Morris–Pratt (a backtracking regular
 * expression such as `^.*a.*a.*b$` takes time polynomial in the key, of a degree the number
 * of stars sets). Leftmost-first is enough: with `*` as the only wildcard, a piece found
 * earlier never rules out a match that a later occurrence would allow.
 */

/**
 * Longest pattern accepted where patterns come in (suppression windows from the API and the
 * file, routing label matches, the incident list's entity filter). The matcher itself takes any.
 */
export const MAX_GLOB_PATTERN_CHARS = 300;

/** Counts character comparisons, for tests that a match takes linear steps. */
export interface GlobSteps {
  count: number;
}

export interface Glob {
  readonly pattern: string;
  test(subject: string, steps?: GlobSteps): boolean;
}

interface Piece {
  text: string;
  /** KMP failure function: the length of the longest proper border of text[0..i]. */
  fail: Int32Array;
}

function piece(text: string): Piece {
  const fail = new Int32Array(text.length);
  for (let i = 1, k = 0; i < text.length; i++) {
    while (k > 0 && text[i] !== text[k]) k = fail[k - 1];
    if (text[i] === text[k]) k++;
    fail[i] = k;
  }
  return { text, fail };
}

/** The end of the leftmost occurrence of `p` in subject[from, to), or -1. */
function find(subject: string, from: number, to: number, p: Piece, steps: GlobSteps | undefined): number {
  const { text, fail } = p;
  let k = 0;
  for (let i = from; i < to; i++) {
    while (k > 0 && subject[i] !== text[k]) {
      k = fail[k - 1];
      if (steps) steps.count++;
    }
    if (steps) steps.count++;
    if (subject[i] === text[k]) k++;
    if (k === text.length) return i + 1;
  }
  return -1;
}

export function compileGlob(pattern: string): Glob {
  const parts = pattern.split('*');
  if (parts.length === 1) return { pattern, test: (subject) => subject === pattern };
  const head = parts[0];
  const tail = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((p) => p !== '').map(piece);
  return {
    pattern,
    test(subject, steps) {
      if (subject.length < head.length + tail.length) return false;
      if (!subject.startsWith(head) || !subject.endsWith(tail)) return false;
      if (steps) steps.count += head.length + tail.length;
      let at = head.length;
      const end = subject.length - tail.length;
      for (const p of middle) {
        at = find(subject, at, end, p, steps);
        if (at < 0) return false;
      }
      return true;
    },
  };
}
