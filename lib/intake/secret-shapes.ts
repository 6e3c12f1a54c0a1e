/**
 * The shapes of secrets Palisade redacts wherever they appear in text, and the field names
 * whose values are secrets whatever they look like.
 *
 * Token formats follow the vendors' published prefixes as collected in gitleaks' rule set
 * (github.com/gitleaks/gitleaks, cmd/generate/config/rules/: gitlab.go, gcp.go, stripe.go,
 * openai.go, npm.go, slack.go, jwt.go) and GitHub's "About authentication to GitHub" token
 * prefixes; written here for Palisade, not copied. Each expression is kept linear in the text
 * it scans: one unbounded quantifier per expression at most, over a class its neighbours do
 * not share, and bounded look-behinds.
 */

export interface SecretShape {
  type: string;
  /** Lower-case strings one of which any match contains: text without them is not scanned (as gitleaks' keywords). */
  keywords: string[];
  pattern: RegExp;
  /** A match that is not a secret after all (checked on the matched text). */
  accept?: (match: string) => boolean;
}

/** Base64 of `user:password` (what `Authorization: Basic` carries). */
function isBasicCredentials(b64: string): boolean {
  const decoded = Buffer.from(b64, 'base64').toString('utf8');
  return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(decoded);
}

const AUTH_SCHEMES = 'basic|bearer|token|digest|negotiate|apikey|sso-key';

/** Shapes redacted wherever they appear; the first to match a stretch of text names its type. */
export const SECRET_SHAPES: SecretShape[] = [
  { type: 'private_key', keywords: ['private key'], pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g },
  // An SNS unsubscribe link works without authentication: whoever has it can stop a feed.
  { type: 'sns_unsubscribe_url', keywords: ['action=unsubscribe'], pattern: /https:\/\/sns\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/?\?Action=Unsubscribe&[^\s"'<>]+/g },
  { type: 'aws_access_key_id', keywords: ['a3t', 'akia', 'asia', 'abia', 'acca'], pattern: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g },
  { type: 'aws_secret_access_key', keywords: ['aws'], pattern: /(?<=aws.{0,20}?(?:secret|private).{0,20}?[=:"'\s])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/gi },
  { type: 'github_token', keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'], pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  // GitLab's documented prefixes: personal, deploy, runner, trigger, OAuth, SCIM, feed, mail, agent, feature-flag, CI job tokens.
  { type: 'gitlab_token', keywords: ['gl'], pattern: /\bgl(?:pat|dt|rt|ptt|oas|soat|ft|imt|agent|ffct|cbt)-[0-9A-Za-z_.-]{20,300}/g },
  { type: 'slack_token', keywords: ['xox'], pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}\b/g },
  // The path of a Slack incoming webhook is its secret; the host stays readable.
  { type: 'slack_webhook', keywords: ['hooks.slack.com'], pattern: /(?<=\bhooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9_+/-]{20,}/g },
  { type: 'google_api_key', keywords: ['aiza'], pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { type: 'stripe_key', keywords: ['sk_', 'rk_'], pattern: /\b(?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{10,247}\b/g },
  // OpenAI (`sk-`, `sk-proj-`, `sk-svcacct-`, `sk-admin-`) and Anthropic (`sk-ant-`) keys: long enough not to be a hostname.
  { type: 'sk_api_key', keywords: ['sk-'], pattern: /\bsk-[A-Za-z0-9_-]{32,}/g },
  { type: 'npm_token', keywords: ['npm_'], pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  // A JWT: base64url of `{"` twice, then the signature (any JWT, signed or not, is a bearer credential).
  { type: 'jwt', keywords: ['eyj'], pattern: /\beyJ[A-Za-z0-9_-]{8,}\.ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g },
  { type: 'bearer_token', keywords: ['bearer'], pattern: /(?<=\bBearer\s+)(?!\[REDACTED )[A-Za-z0-9\-._~+/]{16,}=*/g },
  // The credentials of an Authorization header, with or without its scheme word.
  {
    type: 'authorization', keywords: ['authorization'],
    pattern: new RegExp(`(?<=\\bauthorization["']?[ \\t]*[:=][ \\t]*["']?(?:(?:${AUTH_SCHEMES})[ \\t]+)?)(?!\\[REDACTED )(?!(?:${AUTH_SCHEMES})\\b)[^\\s"',;]{8,}`, 'gi'),
  },
  { type: 'basic_credentials', keywords: ['basic'], pattern: /(?<=\bBasic\s+)[A-Za-z0-9+/]{12,}={0,2}(?![A-Za-z0-9+/=])/g, accept: isBasicCredentials },
  { type: 'cookie', keywords: ['cookie'], pattern: /(?<=\b(?:set-)?cookie["']?[ \t]*[:=][ \t]*["']?)(?!\[REDACTED )[^\r\n"']{4,}/gi },
  { type: 'url_credentials', keywords: ['@'], pattern: /(?<=\/\/[^/\s:@]+:)[^@\s/]+(?=@)/g },
  { type: 'basic_auth', keywords: ['-u'], pattern: /(?<=\s-u\s+['"]?[^:\s'"]+:)[^\s'"]+/g },
  { type: 'api_key', keywords: ['api'], pattern: /(?<=(?:api[-_]?key|x-api-key)["']?\s*[:=]\s*["']?)(?!\[REDACTED )[A-Za-z0-9\-_.~+/]{12,}/gi },
  // Signed URLs: AWS SigV4 and SigV2 presigned URLs, Google Cloud signed URLs, Azure SAS (`sig=`), OAuth tokens in a query.
  {
    type: 'signed_url', keywords: ['x-amz-', 'x-goog-', 'sig=', 'signature=', 'awsaccesskeyid=', 'token='],
    pattern: /(?<=[?&;](?:x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|sig|signature|awsaccesskeyid|access_token|id_token|refresh_token)=)(?!\[REDACTED )[^&\s"'#<>]+/gi,
  },
];

/** Field names whose values are secrets whatever they look like (matched anywhere in the name)... */
export const SECRET_NAMES = /secret|passw|pwd|passphrase|token|api[-_]?key|credential|private[-_]?key|authorization|cookie|session[-_]?key|signing[-_]?key|^(?:pass|pw|sig)$/i;
/** ...except names that describe a secret rather than hold it (secret_type, token_url, key_id, password_file). */
export const DESCRIPTIVE_NAMES =
  /(?:^|[-_.]|[a-z])(?:type|types|name|url|uri|id|ids|count|at|location|locations|validity|scanning|expires|expiry|length|fingerprint|file|path|dir|env|policy|hint|required|rotation|reset)$/i;

/** True when a field (or `name=value` name, or `--flag`) named so holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAMES.test(name) && !DESCRIPTIVE_NAMES.test(name);
}

/**
 * `name=value`, `name: value`, `"name": "value"` in free text (a connection string, a log line,
 * a description built from a result row): the value is redacted when the name holds a secret.
 * Header-like names whose values hold spaces (Authorization, Cookie) have shapes of their own.
 */
export const NAMED_VALUE = /(?<![\w.-])([A-Za-z_][\w.-]{0,63})(["']?[ \t]{0,3}[:=][ \t]{0,3})(?!\[REDACTED )("(?:[^"\\\n]|\\.){1,500}"|'[^'\n]{1,500}'|[^\s"',;&<>()[\]{}]+)/g;
export const HEADER_NAMES = /^(?:authorization|proxy-authorization|cookie|set-cookie)$/i;
/**
 * Bare words that head a sentence as often as they name a value ("Secret: GitHub token ending
 * …abcd", "Credentials: rotated"): followed by an unquoted `:` they are prose, not a field.
 */
export const PROSE_NAMES = /^(?:secrets?|tokens?|credentials?)$/i;

/** `--password x`, `--password=x`, `-token x` on a command line. */
export const FLAG_VALUE = /(?<![\w-])(--?[A-Za-z][\w-]{0,63})(=|[ \t]+)(?!-)(?!\[REDACTED )("[^"\n]{1,500}"|'[^'\n]{1,500}'|[^\s"']+)/g;
