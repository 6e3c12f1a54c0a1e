import { createHmac } from 'node:crypto';
import type { ParsedAlert, SecretDescriptor } from './alert';
import { FLAG_VALUE, HEADER_NAMES, isSecretName, NAMED_VALUE, PROSE_NAMES, SECRET_SHAPES } from './secret-shapes';

/** Deeper than this, a payload's values are dropped (no sender nests so deep; walking further would overflow the stack). */
export const MAX_REDACT_DEPTH = 64;
const TOO_DEEP = `[dropped: nested deeper than ${MAX_REDACT_DEPTH} levels]`;
/** What `placeholder` writes: a second pass leaves it alone. */
const PLACEHOLDER = /^\[REDACTED [^\]]+\]$/;
/** Labels an alert keeps, and the longest label name and value (longer values are cut, with …). */
export const LABEL_LIMITS = { count: 64, nameChars: 100, valueChars: 1_000 } as const;

/**
 * Reduces secrets to `{type, fingerprint, last4}`. The fingerprint is keyed (HMAC), so it
 * cannot be brute-forced back to a short secret without the key, yet two leaks of the same
 * secret get the same fingerprint.
 *
 * Text is redacted in three passes: the shapes of lib/intake/secret-shapes.ts, then values
 * whose name says they are secrets (`password=…`, `"token": "…"`, `--password …`). A string
 * that is itself JSON (an SNS `Message`, a Splunk `_raw`) is parsed and redacted as JSON, so
 * its fields are judged by their names too.
 */
export class Redactor {
  constructor(private readonly key: Buffer) {}

  describe(type: string, value: string): SecretDescriptor {
    return { type, fingerprint: this.fingerprint(value), last4: value.slice(-4) };
  }

  fingerprint(value: string): string {
    return createHmac('sha256', this.key).update(value).digest('hex');
  }

  /** The placeholder that stands where a secret was. */
  placeholder(d: SecretDescriptor): string {
    return `[REDACTED ${d.type} fp:${d.fingerprint.slice(0, 12)} …${d.last4}]`;
  }

  /** Redacts every secret-looking string in a string (a whole-JSON string as JSON). */
  redactText(text: string, found: SecretDescriptor[] = []): string {
    return this.text(text, found, 0);
  }

  /** A deep copy of `value` with secrets redacted; `found` collects what was removed. */
  redactDeep<T>(value: T, found: SecretDescriptor[] = []): T {
    return this.walk(value, undefined, found, 0) as T;
  }

  /**
   * One alert as an adapter parsed it, redacted again with every rule (whatever the adapter
   * did) before anything stores it or hands it to a playbook: title, description, the entity's
   * display name and labels, the labels held to LABEL_LIMITS. The entity key is the adapter's
   * to decide: it is an identity (an access key id names the leaked credential, and is no secret).
   */
  redactAlert(alert: ParsedAlert): ParsedAlert {
    const found: SecretDescriptor[] = [...(alert.secrets ?? [])];
    const clean = (s: string) => this.text(s, found, 0);
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(alert.labels).slice(0, LABEL_LIMITS.count)) {
      labels[cut(clean(name), LABEL_LIMITS.nameChars)] = cut(isSecretName(name) && value !== '' && !PLACEHOLDER.test(value) ? this.secret(`field:${name.toLowerCase()}`, value, found) : clean(value), LABEL_LIMITS.valueChars);
    }
    const out: ParsedAlert = {
      ...alert,
      title: clean(alert.title),
      description: clean(alert.description),
      entity: { ...alert.entity, display: clean(alert.entity.display) },
      labels,
    };
    const secrets = [...new Map(found.map((d) => [`${d.type}:${d.fingerprint}`, d])).values()];
    if (secrets.length) out.secrets = secrets;
    else delete out.secrets;
    return out;
  }

  private secret(type: string, value: string, found: SecretDescriptor[]): string {
    const d = this.describe(type, value);
    found.push(d);
    return this.placeholder(d);
  }

  private text(text: string, found: SecretDescriptor[], depth: number): string {
    const json = this.asJson(text, found, depth);
    if (json !== undefined) return json;
    const lower = text.toLowerCase();
    let out = text;
    for (const { type, keywords, pattern, accept } of SECRET_SHAPES) {
      if (!keywords.some((k) => lower.includes(k))) continue;
      out = out.replace(pattern, (match) => (accept && !accept(match) ? match : this.secret(type, match, found)));
    }
    if (out.includes('=') || out.includes(':')) out = out.replace(NAMED_VALUE, (match, name: string, sep: string, value: string) => {
      const prose = PROSE_NAMES.test(name) && sep.trim() === ':';
      return !prose && !HEADER_NAMES.test(name) && isSecretName(name) ? `${name}${sep}${this.secret(`field:${name.toLowerCase()}`, unquote(value), found)}` : match;
    });
    if (!out.includes('-')) return out;
    return out.replace(FLAG_VALUE, (match, flag: string, sep: string, value: string) =>
      isSecretName(flag.replace(/^-+/, '')) ? `${flag}${sep}${this.secret(`flag:${flag.replace(/^-+/, '').toLowerCase()}`, unquote(value), found)}` : match,
    );
  }

  /** A string holding a JSON object or array, redacted as JSON; undefined when it is not one or holds no secret. */
  private asJson(text: string, found: SecretDescriptor[], depth: number): string | undefined {
    const t = text.trim();
    if (!((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']')))) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch {
      return undefined;
    }
    const mine: SecretDescriptor[] = [];
    const redacted = this.walk(parsed, undefined, mine, depth + 1);
    if (mine.length === 0) return text;
    found.push(...mine);
    return JSON.stringify(redacted);
  }

  private walk(value: unknown, key: string | undefined, found: SecretDescriptor[], depth: number): unknown {
    if (depth > MAX_REDACT_DEPTH) return TOO_DEEP;
    if (typeof value === 'string') {
      if (key !== undefined && isSecretName(key) && value.length > 0 && !PLACEHOLDER.test(value)) return this.secret(`field:${key.toLowerCase()}`, value, found);
      return this.text(value, found, depth);
    }
    if (Array.isArray(value)) return value.map((v) => this.walk(v, undefined, found, depth + 1));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      // Keys are scanned too: a secret can arrive as a field name.
      for (const [k, v] of Object.entries(value)) out[this.text(k, found, depth)] = this.walk(v, k, found, depth + 1);
      return out;
    }
    return value;
  }
}

function unquote(value: string): string {
  return value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0] ? value.slice(1, -1) : value;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
