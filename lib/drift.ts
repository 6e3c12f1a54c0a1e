/**
 * Configuration drift: what changed between a resource's approved baseline and its live
 * configuration, and whether it matters for security. Pure and deterministic: the
 * config-drift playbook runs it inside its workflow.
 *
 * The rule (also in runbooks/config-drift.md). A change is security-relevant when
 *  1. its new value opens the resource to anyone: `0.0.0.0/0` or `::/0` (always, whatever
 *     the setting is called); or
 *  2. a word of its path names a security control: a word of a setting's name (split at
 *     camelCase, `_`, `-`, spaces) starts with one of SECURITY_WORDS, e.g. `ingress`,
 *     `cidr`, `port`, `publicAccess`, `acl`, `policy`, `encryption`, `kmsKeyId`, `logging`,
 *     `mfa`, `tls`, `sshKeys`, `iamRole`, `adminPassword`; a secret (below) always is.
 * Anything else (instance sizes, tags, replicas, descriptions) is not. A false positive
 * reverts a harmless change; a false negative only asks an approver, so the list leans wide.
 *
 * A setting whose name looks like a secret (SECRET_WORDS: password, secret, token, key …)
 * keeps its path but never its values: the report says "(changed)".
 */

export type ChangeKind = 'added' | 'removed' | 'changed';

/** One setting that differs. `from` is absent when it was added, `to` when it was removed. */
export interface DriftChange {
  /** Where, e.g. `ingress[1].cidr` (keys that are not plain names are quoted: `tags["team.name"]`). */
  path: string;
  kind: ChangeKind;
  from?: unknown;
  to?: unknown;
}

/** A change as the timeline shows it. A secret's `from`/`to` are left out. */
export interface ClassifiedChange extends DriftChange {
  securityRelevant: boolean;
  /** Why it is security-relevant, in a few words. */
  reason?: string;
  /** The setting looks like a secret: its values are not shown. */
  secret: boolean;
}

/** `none`: baseline and live configuration match. `security`: at least one change is security-relevant. */
export type DriftVerdict = 'none' | 'benign' | 'security';

export interface DriftReport {
  verdict: DriftVerdict;
  /** How many changes are security-relevant. */
  relevant: number;
  changes: ClassifiedChange[];
}

/** Word prefixes that name a security control (rule 2). */
export const SECURITY_WORDS = [
  // network exposure
  'ingress', 'egress', 'cidr', 'port', 'firewall', 'security', 'public', 'expos', 'cors',
  // who may do what
  'acl', 'allow', 'polic', 'permission', 'principal', 'iam', 'role', 'admin', 'privilege', 'auth', 'mfa',
  // secrets and encryption
  'password', 'secret', 'token', 'key', 'credential', 'encrypt', 'kms', 'tls', 'ssl', 'cert', 'cipher', 'ssh',
  // the record of what happened
  'log', 'audit',
] as const;

/** Word prefixes of a setting whose value is a secret. */
export const SECRET_WORDS = ['password', 'passwd', 'passphrase', 'secret', 'token', 'key', 'credential', 'private'] as const;

/** Values that open a resource to the whole internet (rule 1). */
export const OPEN_TO_ANYONE = ['0.0.0.0/0', '::/0'] as const;

type Segment = string | number;
interface Leaf {
  segments: Segment[];
  value: unknown;
}

/**
 * Every setting that differs between `baseline` and `current`, deep: nested objects by key,
 * arrays by position. Each path appears once, in a stable order (keys sorted, array items
 * by index), whatever order the keys were written in.
 */
export function diffConfig(baseline: Record<string, unknown>, current: Record<string, unknown>): DriftChange[] {
  const before = flatten(baseline);
  const after = flatten(current);
  const paths = [...new Set([...before.keys(), ...after.keys()])];
  const changes: { segments: Segment[]; change: DriftChange }[] = [];
  for (const path of paths) {
    const from = before.get(path);
    const to = after.get(path);
    if (from && to && sameLeaf(from.value, to.value)) continue;
    const kind: ChangeKind = !from ? 'added' : !to ? 'removed' : 'changed';
    const change: DriftChange = { path, kind };
    if (from) change.from = from.value;
    if (to) change.to = to.value;
    changes.push({ segments: (from ?? to)!.segments, change });
  }
  return changes.sort((a, b) => compareSegments(a.segments, b.segments)).map((c) => c.change);
}

/** Marks each change security-relevant or not (the rule above), hides secrets' values, and gives the overall verdict. */
export function classifyDrift(changes: DriftChange[]): DriftReport {
  const classified = changes.map((change): ClassifiedChange => {
    const words = pathWords(change.path);
    const secret = words.some((w) => SECRET_WORDS.some((s) => w.startsWith(s)));
    const open = OPEN_TO_ANYONE.find((v) => typeof change.to === 'string' && change.to.trim() === v);
    const word = words.find((w) => [...SECURITY_WORDS, ...SECRET_WORDS].some((s) => w.startsWith(s)));
    const reason = open ? `opens it to ${open} (anyone)` : word ? `touches ${word}` : undefined;
    const shown: DriftChange = secret ? { path: change.path, kind: change.kind } : change;
    return { ...shown, securityRelevant: reason !== undefined, ...(reason ? { reason } : {}), secret };
  });
  const relevant = classified.filter((c) => c.securityRelevant).length;
  return { verdict: changes.length === 0 ? 'none' : relevant > 0 ? 'security' : 'benign', relevant, changes: classified };
}

/** One change as a responder reads it: `ingress[1].cidr: 10.0.0.0/8 → 0.0.0.0/0`, or `db.password: (changed)`. */
export function describeChange(change: DriftChange & { secret?: boolean }): string {
  if (change.secret) return `${change.path}: (changed)`;
  return `${change.path}: ${show(change.from)} → ${show(change.to)}`;
}

/** The changes in a line, security-relevant ones first, at most `max` of them. */
export function describeDrift(report: DriftReport, max = 8): string {
  const ordered = [...report.changes.filter((c) => c.securityRelevant), ...report.changes.filter((c) => !c.securityRelevant)];
  const shown = ordered.slice(0, max).map(describeChange);
  const more = ordered.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; … and ${more} more` : '');
}

// ── internals ────────────────────────────────────────────────────────────────────────────

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaves by path: primitives, and empty objects or arrays (so adding `{}` is still a change). */
function flatten(root: Record<string, unknown>): Map<string, Leaf> {
  const leaves = new Map<string, Leaf>();
  const walk = (value: unknown, segments: Segment[]): void => {
    const children: [Segment, unknown][] = Array.isArray(value)
      ? value.map((v, i): [Segment, unknown] => [i, v])
      : isObject(value)
        ? Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        : [];
    if (children.length === 0 && segments.length > 0) leaves.set(renderPath(segments), { segments, value });
    for (const [segment, child] of children) walk(child, [...segments, segment]);
  };
  walk(root, []);
  return leaves;
}

function sameLeaf(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b);
  if (isObject(a) || isObject(b)) return isObject(a) && isObject(b);
  return a === b || Object.is(a, b); // 0 and -0 alike, NaN like itself
}

const PLAIN_NAME = /^[A-Za-z_$][\w$-]*$/;

/** `a.b[0]["odd.key"]`: plain names dotted, indexes in brackets, anything else quoted, so no two paths render alike. */
function renderPath(segments: Segment[]): string {
  return segments
    .map((s, i) => (typeof s === 'number' ? `[${s}]` : PLAIN_NAME.test(s) ? (i === 0 ? s : `.${s}`) : `[${JSON.stringify(s)}]`))
    .join('');
}

function compareSegments(a: Segment[], b: Segment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i], b[i]];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x !== typeof y) return typeof x === 'number' ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** The words of a path's setting names, lower case: `ingressRules[0].fromPort` → ingress, rules, from, port. */
function pathWords(path: string): string[] {
  return path
    .replace(/\[\d+\]/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
