import { createHmac } from 'node:crypto';
import type { SecretDescriptor } from './alert';

interface SecretPattern {
  type: string;
  pattern: RegExp;
}

/** Secret shapes redacted wherever they appear in a payload (strings are scanned whole). */
const PATTERNS: SecretPattern[] = [
  { type: 'private_key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g },
  { type: 'aws_access_key_id', pattern: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g },
  { type: 'aws_secret_access_key', pattern: /(?<=aws.{0,20}?(?:secret|private).{0,20}?[=:"'\s])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/gi },
  { type: 'github_token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { type: 'slack_token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { type: 'bearer_token', pattern: /(?<=\bBearer\s+)[A-Za-z0-9\-._~+/]{16,}=*/g },
  { type: 'url_credentials', pattern: /(?<=\/\/[^/\s:@]+:)[^@\s/]+(?=@)/g },
  { type: 'basic_auth', pattern: /(?<=\s-u\s+['"]?[^:\s'"]+:)[^\s'"]+/g },
  { type: 'api_key', pattern: /(?<=(?:api[-_]?key|x-api-key)["']?\s*[:=]\s*["']?)[A-Za-z0-9\-_.~+/]{12,}/gi },
];

/** Field names whose values are secrets whatever they look like (matched anywhere in the name)... */
const SECRET_KEYS = /secret|passw|pwd|token|api[-_]?key|credential|private[-_]?key|authorization|session[-_]?key|signing[-_]?key/i;
/** ...except names that describe a secret rather than hold it (secret_type, token_url, key_id). */
const DESCRIPTIVE_KEYS = /(?:^|[-_.]|[a-z])(?:type|types|name|url|uri|id|ids|count|at|location|locations|validity|scanning|expires|expiry|length|fingerprint)$/i;

/**
 * Reduces secrets to `{type, fingerprint, last4}`. The fingerprint is keyed (HMAC), so it
 * cannot be brute-forced back to a short secret without the key, yet two leaks of the same
 * secret get the same fingerprint.
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

  /** Redacts every secret-looking string in a string. */
  redactText(text: string, found: SecretDescriptor[] = []): string {
    let out = text;
    for (const { type, pattern } of PATTERNS) {
      out = out.replace(pattern, (match) => {
        const d = this.describe(type, match);
        found.push(d);
        return this.placeholder(d);
      });
    }
    return out;
  }

  /** A deep copy of `value` with secrets redacted; `found` collects what was removed. */
  redactDeep<T>(value: T, found: SecretDescriptor[] = []): T {
    return this.walk(value, undefined, found) as T;
  }

  private walk(value: unknown, key: string | undefined, found: SecretDescriptor[]): unknown {
    if (typeof value === 'string') {
      if (key !== undefined && SECRET_KEYS.test(key) && !DESCRIPTIVE_KEYS.test(key) && value.length > 0) {
        const d = this.describe(`field:${key.toLowerCase()}`, value);
        found.push(d);
        return this.placeholder(d);
      }
      return this.redactText(value, found);
    }
    if (Array.isArray(value)) return value.map((v) => this.walk(v, undefined, found));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      // Keys are scanned too: a secret can arrive as a field name.
      for (const [k, v] of Object.entries(value)) out[this.redactText(k, found)] = this.walk(v, k, found);
      return out;
    }
    return value;
  }
}
