import * as path from 'node:path';
import { z } from 'zod';
import { PalisadeError } from '../errors';
import { DURATION_PATTERN, durationMs } from '../duration';
import { SOURCES, type SourceName } from '../intake/alert';
import { TASK_QUEUE } from '../temporal/names';
import { LIVE_POLL_WINDOW_MS } from '../temporal/pollers';
import { runsWorkingMax } from '../temporal/workflow-cache';

/**
 * Every environment variable Palisade reads, validated once. Nothing outside `lib/config`
 * reads `process.env`: callers pass the environment in, which keeps tests honest.
 */
const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

const envSchema = z.object({
  PORT: port(3000),
  HOST: z.string().default('127.0.0.1'),
  PALISADE_DATA_DIR: z.string().default('.palisade'),
  PALISADE_CACHE_DIR: z.string().default('.cache'),
  PALISADE_TEMPORAL_PORT: port(7233),
  PALISADE_TEMPORAL_UI_PORT: port(8233),
  /** `npm start` only: the Temporal dev server's Prometheus endpoint; 0: none (the server picks a port it tells nobody). */
  PALISADE_TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  PALISADE_POSTGRES_PORT: port(5433),
  /**
   * `npm start` only: the embedded Postgres closes a client silent this long (ms) inside a
   * transaction, which holds PGlite's one session; 0: never. Unset: 30 s
   * (apps/cli/start/pglite-guard.ts, DEFAULT_IDLE_IN_TRANSACTION_MS).
   */
  PALISADE_EMBEDDED_IDLE_IN_TRANSACTION_MS: z.coerce.number().int().min(0).max(2_147_483_647).optional(),
  /** The worker's Prometheus endpoint (the Temporal SDK's metrics); 0: none (npm run cluster: 9464 and 9465). */
  PALISADE_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  PALISADE_TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
  TEMPORAL_CLI_PATH: optionalString,
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString,
  /** A prebuilt workflow bundle (`npm start` builds one each start); unset, the worker bundles at start. */
  PALISADE_WORKFLOW_BUNDLE: optionalString,
  PALISADE_DEPLOYMENT_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').max(200).default('palisade'),
  PALISADE_WORKER_VERSIONING: z.enum(['true', 'false'], { message: "expected 'true' or 'false'" }).default('true'),
  PALISADE_BECOME_CURRENT: z.enum(['if-none', 'always', 'never'], { message: "expected 'if-none', 'always' or 'never'" }).default('if-none'),
  /**
   * GET /deploys counts a worker as polling while its last poll is younger than this (ms). It must
   * exceed how long the Temporal server holds an idle poll (a minute by default, its
   * matching.longPollExpirationInterval). Unset: 75 s (lib/temporal/pollers.ts, LIVE_POLL_WINDOW_MS).
   */
  PALISADE_LIVE_POLL_WINDOW_MS: z.coerce.number().int().min(1_000).max(3_600_000).optional(),
  DATABASE_URL: optionalString,
  PALISADE_DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /** `npm start` runs the worker and the Temporal dev server this much nicer than the API (0–19). */
  PALISADE_BACKGROUND_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /** The worker's memory budget (MiB): its workflow cache is sized to fit in it. */
  PALISADE_WORKER_MEMORY_MB: z.coerce.number().int().min(128).max(1_000_000).default(300),
  /** Bench only (`npm run bench -- --heap-snapshot`): on SIGUSR2 the worker writes every thread's heap snapshot and its memory here. */
  PALISADE_WORKER_HEAP_SNAPSHOT_DIR: optionalString,
  /**
   * New incidents' runs the inbox dispatcher lets be on their way to their first wait at once
   * (0: no limit); unset, half of one worker's cache (lib/temporal/workflow-cache.ts).
   */
  PALISADE_DISPATCH_RUNS_WORKING: z.coerce.number().int().min(0).max(1_000_000).optional(),
  /** `/readyz` says degraded when the inbox's oldest pending alert waits longer than this (seconds)… */
  PALISADE_READY_INBOX_MAX_AGE: z.coerce.number().int().min(1).default(120),
  /** …or more than this many alerts wait in it. */
  PALISADE_READY_INBOX_MAX_PENDING: z.coerce.number().int().min(1).default(5_000),
  PALISADE_ROUTING_FILE: z.string().default('runbooks/routing.yaml'),
  PALISADE_SUPPRESSIONS_FILE: z.string().default('runbooks/suppressions.yaml'),
  PALISADE_APPROVALS_FILE: z.string().default('runbooks/approvals.yaml'),
  /** How long a vote (API or Slack) waits for the run's worker to take it (ms) before 503 temporal_unavailable: a little longer than a read. */
  PALISADE_VOTE_DEADLINE_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  PALISADE_PEOPLE_FILE: z.string().default('runbooks/people.yaml'),
  PALISADE_ASSIGNMENT_FILE: z.string().default('runbooks/assignment.yaml'),
  PALISADE_PROVIDERS_FILE: z.string().default('runbooks/providers.yaml'),
  PALISADE_PAGING_FILE: z.string().default('runbooks/paging.yaml'),
  PALISADE_FLEET_FILE: z.string().default('runbooks/fleet.yaml'),
  PALISADE_GAMEDAYS_DIR: z.string().default('runbooks/gamedays'),
  /** The runbook page of each playbook: <dir>/<playbook>.md. */
  PALISADE_RUNBOOKS_DIR: z.string().default('runbooks'),
  /** A team's playbook folders, outside the engine (path-list separated, like PATH). */
  PALISADE_PLAYBOOKS_DIR: z.string().optional(),
  /** SNS topics whose signed messages guardduty/securityhub accept (comma-separated ARNs). */
  PALISADE_SNS_TOPIC_ARNS: z.string().default(''),
  /** Confirm an allowed topic's SNS subscription by visiting its SubscribeURL (else only log it). */
  PALISADE_SNS_AUTO_CONFIRM: z.enum(['true', 'false'], { message: "expected 'true' or 'false'" }).default('true'),
  /** PEM bundle SNS signing certificates must chain to, instead of Node's root store. */
  PALISADE_SNS_CA_FILE: optionalString,
  PALISADE_WEBHOOK_MAX_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  /** Key of the HMAC that fingerprints leaked secrets (hex or any string of 16+ characters). */
  PALISADE_REDACTION_KEY: optionalString.pipe(z.string().min(16).optional()),
  /** Slack: both or neither (README "Connect Slack"). */
  /** Becomes the first admin API token on the first start (24+ characters). */
  PALISADE_BOOTSTRAP_TOKEN: optionalString.pipe(z.string().min(24, 'must be at least 24 characters (e.g. `openssl rand -hex 24`)').optional()),
  /** How long an API token lasts unless it asks for less (`expiresIn`), and the longest one may ask for. */
  PALISADE_TOKEN_TTL: z.string().regex(DURATION_PATTERN, 'must be a duration such as 30d or 12h').default('90d'),
  PALISADE_TOKEN_MAX_TTL: z.string().regex(DURATION_PATTERN, 'must be a duration such as 365d').default('365d'),
  /** Live timeline streams one API process serves at once, for one token and in all. */
  PALISADE_STREAMS_PER_TOKEN: z.coerce.number().int().min(1).max(1000).default(5),
  PALISADE_STREAMS_MAX: z.coerce.number().int().min(1).max(100_000).default(200),
  PALISADE_STUCK_CHECK_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
  PALISADE_STUCK_ATTEMPTS: z.coerce.number().int().min(2).max(1_000).default(3),
  /** Runs the stuck check describes a second, at most, per API process: with many open, a check takes longer instead of loading Temporal. */
  PALISADE_STUCK_CHECK_RATE: z.coerce.number().min(0.1).max(10_000).default(20),
  PALISADE_SLA_FILE: z.string().default('runbooks/sla.yaml'),
  PALISADE_SLA_CHECK_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_API_URL: z.string().url().default('https://slack.com/api/'),
  PALISADE_SLACK_TEMPLATES_DIR: z.string().default('runbooks/templates/slack'),
  PALISADE_POSTMORTEM_TEMPLATES_DIR: z.string().default('runbooks/templates'),
  /** Where responders reach this API: links in Slack messages. Default: http://HOST:PORT. */
  PALISADE_PUBLIC_URL: optionalString.pipe(z.string().url().optional()),
  /** Called (POST, JSON) when Slack cannot be reached for an approval: a pager bridge, a chat webhook. */
  PALISADE_FALLBACK_WEBHOOK_URL: optionalString.pipe(z.string().url().optional()),
  PALISADE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export interface PalisadeConfig {
  port: number;
  host: string;
  /** Absolute path of the data folder (Temporal's file database, embedded Postgres, lock). */
  dataDir: string;
  /** Absolute path of the project's build cache (the Temporal CLI it builds). */
  cacheDir: string;
  /** OpenTelemetry traces over OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://collector:4318); undefined: off. */
  otlpEndpoint: string | undefined;
  temporal: {
    /** Set when an external server is used; `npm start` fills it in for the embedded one. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    cliPath: string | undefined;
    /** Absolute path of a prebuilt workflow bundle, or undefined: the worker bundles the code itself. */
    workflowBundle: string | undefined;
    /**
     * Worker Versioning: the worker deployment its workers belong to (each worker's version is
     * this name and the build id derived from its workflow bundle), or undefined when off
     * (PALISADE_WORKER_VERSIONING=false: Temporal's time-skipping test server has no deployments).
     */
    deploymentName: string | undefined;
    /**
     * When a worker makes its own version the deployment's current one: `if-none` (no version
     * is current yet: a first start), `always` (`npm start` on its own dev server: one node,
     * the build it starts is the one to run), `never` (a deploy decides: `palisade deploy`).
     */
    becomeCurrent: 'if-none' | 'always' | 'never';
    /** A worker whose last poll is younger than this (ms) polls; older, it is at capacity or gone (GET /deploys' pollers). */
    livePollWindowMs: number;
    devServerPort: number;
    devServerUiPort: number;
    /** The dev server serves Temporal's own metrics at http://127.0.0.1:<port>/metrics; 0: not on a known port. */
    devServerMetricsPort: number;
    /** The worker serves the SDK's metrics at http://<host>:<port>/metrics; 0: it does not. */
    workerMetricsPort: number;
    /** The worker's memory budget in MiB (PALISADE_WORKER_MEMORY_MB, given in MB): sizes its workflow cache. */
    workerMemoryMiB: number;
    /**
     * Bench only: a folder where the worker, on SIGUSR2, writes a heap snapshot of each of its
     * threads (the SDK's workflow threads included) and what its memory is made of
     * (apps/worker/heap-snapshots.ts); undefined: off.
     */
    workerHeapSnapshotDir: string | undefined;
  };
  /**
   * `npm start` only: the scheduling niceness of the worker and the Temporal dev server. On a
   * shared machine the door (API) answers first under a storm; the playbooks behind it are
   * durable queues that catch up. 0 runs everything at the same priority.
   */
  backgroundNice: number;
  database: {
    /** Set when an external server is used; `npm start` fills it in for the embedded one. */
    url: string | undefined;
    /** Connections per process; `npm start` sets 1 for the embedded PGlite. */
    poolSize: number;
    embeddedPort: number;
    /** See PALISADE_EMBEDDED_IDLE_IN_TRANSACTION_MS; undefined: the embedded server's default. */
    embeddedIdleInTransactionMs: number | undefined;
  };
  intake: {
    /** Per source, the accepted secrets (two during a rotation). Empty: the source refuses everything. */
    secrets: Record<SourceName, string[]>;
    maxBodyBytes: number;
    redactionKey: string | undefined;
    routingFile: string;
    suppressionsFile: string;
    snsTopicArns: string[];
    snsAutoConfirm: boolean;
    snsCaFile: string | undefined;
  };
  playbooks: {
    /** Approval policies, read by each playbook run when it starts. */
    approvalsFile: string;
    /** How long a vote waits for the run's worker to take it (the `decide` Update), ms. */
    voteDeadlineMs: number;
    peopleFile: string;
    /** Who owns a new incident, per routing rule or playbook (runbooks/assignment.yaml). */
    assignmentFile: string;
    /** Which vendor serves each capability. */
    providersFile: string;
    /** Which incidents page, open a ticket, both or neither (runbooks/paging.yaml). */
    pagingFile: string;
    /** The simulated fleet's seed: hosts, credentials, resources (added once, never overwritten). */
    fleetFile: string;
    /** The runbook pages (<playbook>.md) GET /playbooks serves. */
    runbooksDir: string;
    /** Game day scenarios POST /gamedays runs by name (<name>.yaml). */
    gamedaysDir: string;
    /** A team's playbook folders (PALISADE_PLAYBOOKS_DIR), beside the shipped ones. */
    teamDirs: string[];
  };
  api: {
    /** Seeds the first admin token while no valid one exists. */
    bootstrapToken: string | undefined;
    /** A token's lifetime unless it asks for less, and the longest it may ask for (ms). */
    tokenTtlMs: number;
    tokenMaxTtlMs: number;
    /** Live timeline streams per token and in all, per API process. */
    streamsPerToken: number;
    streamsMax: number;
    /** /readyz says degraded past either: the inbox's oldest pending alert (seconds), or how many wait. */
    readyInbox: { maxAgeSeconds: number; maxPending: number };
    /** New incidents' runs on their way to their first wait at once (0: no limit): the dispatcher starts no more. */
    runsWorkingMax: number;
    /** How often the stuck watcher looks at open incidents' runs (0: never), and after how many failed attempts of one workflow task a run is stuck. */
    stuckCheckMs: number;
    stuckAttempts: number;
    /** Runs described a second, at most, by one stuck check (PALISADE_STUCK_CHECK_RATE). */
    stuckCheckRate: number;
    /** The SLA policy (runbooks/sla.yaml; absent: no targets), and how often an API looks for breaches (0: never). */
    slaFile: string;
    slaCheckMs: number;
  };
  /** Undefined when Slack is off (no signing secret and bot token): approvals go through the API. */
  slack: SlackConfig | undefined;
  /** Base URL of this API as responders reach it (links in messages). */
  publicUrl: string;
  /** Told when Slack cannot be reached for an approval (undefined: nobody is). */
  fallbackWebhookUrl: string | undefined;
  /** Handlebars templates of the postmortem (postmortem.md.hbs, postmortem.html.hbs). */
  postmortemTemplatesDir: string;
  logLevel: z.infer<typeof envSchema>['PALISADE_LOG_LEVEL'];
}

export interface SlackConfig {
  signingSecret: string;
  botToken: string;
  /** Slack's Web API base URL (tests point it at a fake Slack on loopback). */
  apiUrl: string;
  /** Handlebars Block Kit templates operators edit (runbooks/templates/slack). */
  templatesDir: string;
}

/** `PALISADE_WEBHOOK_SECRET_<SOURCE>`: the variable that holds a source's secret(s). */
export function webhookSecretVariable(source: SourceName): string {
  return `PALISADE_WEBHOOK_SECRET_${source.toUpperCase()}`;
}

/** PALISADE_WORKER_MEMORY_MB is in megabytes, as its name and issue 22's goal (300 MB) say: 300 MB is 286.1 MiB. */
function megabytesInMiB(mb: number): number {
  return (mb * 1e6) / 2 ** 20;
}

export function loadConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): PalisadeConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new PalisadeError(
      'invalid_environment',
      `Some environment variables are not valid: ${problems}.`,
      'Fix or unset them; README.md lists every variable with its default.',
    );
  }
  const e = parsed.data;
  if (Boolean(e.SLACK_SIGNING_SECRET) !== Boolean(e.SLACK_BOT_TOKEN)) {
    const missing = e.SLACK_SIGNING_SECRET ? 'SLACK_BOT_TOKEN' : 'SLACK_SIGNING_SECRET';
    throw new PalisadeError(
      'slack_half_configured',
      `Slack is half configured: ${missing} is not set.`,
      'Set both SLACK_SIGNING_SECRET (Basic Information → App Credentials) and SLACK_BOT_TOKEN (OAuth & Permissions, xoxb-…), or neither to run without Slack (README: "Connect Slack").',
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(cwd, e.PALISADE_DATA_DIR),
    cacheDir: path.resolve(cwd, e.PALISADE_CACHE_DIR),
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.PALISADE_TASK_QUEUE,
      cliPath: e.TEMPORAL_CLI_PATH,
      workflowBundle: e.PALISADE_WORKFLOW_BUNDLE ? path.resolve(cwd, e.PALISADE_WORKFLOW_BUNDLE) : undefined,
      deploymentName: e.PALISADE_WORKER_VERSIONING === 'true' ? e.PALISADE_DEPLOYMENT_NAME : undefined,
      becomeCurrent: e.PALISADE_BECOME_CURRENT,
      livePollWindowMs: e.PALISADE_LIVE_POLL_WINDOW_MS ?? LIVE_POLL_WINDOW_MS,
      devServerPort: e.PALISADE_TEMPORAL_PORT,
      devServerUiPort: e.PALISADE_TEMPORAL_UI_PORT,
      devServerMetricsPort: e.PALISADE_TEMPORAL_METRICS_PORT,
      workerMetricsPort: e.PALISADE_WORKER_METRICS_PORT,
      workerMemoryMiB: megabytesInMiB(e.PALISADE_WORKER_MEMORY_MB),
      workerHeapSnapshotDir: e.PALISADE_WORKER_HEAP_SNAPSHOT_DIR ? path.resolve(cwd, e.PALISADE_WORKER_HEAP_SNAPSHOT_DIR) : undefined,
    },
    backgroundNice: e.PALISADE_BACKGROUND_NICE,
    database: { url: e.DATABASE_URL, poolSize: e.PALISADE_DB_POOL_SIZE, embeddedPort: e.PALISADE_POSTGRES_PORT, embeddedIdleInTransactionMs: e.PALISADE_EMBEDDED_IDLE_IN_TRANSACTION_MS },
    api: {
      bootstrapToken: e.PALISADE_BOOTSTRAP_TOKEN,
      tokenTtlMs: Math.min(durationMs(e.PALISADE_TOKEN_TTL), durationMs(e.PALISADE_TOKEN_MAX_TTL)),
      tokenMaxTtlMs: durationMs(e.PALISADE_TOKEN_MAX_TTL),
      streamsPerToken: e.PALISADE_STREAMS_PER_TOKEN,
      streamsMax: e.PALISADE_STREAMS_MAX,
      readyInbox: { maxAgeSeconds: e.PALISADE_READY_INBOX_MAX_AGE, maxPending: e.PALISADE_READY_INBOX_MAX_PENDING },
      runsWorkingMax: runsWorkingMax(e.PALISADE_DISPATCH_RUNS_WORKING, megabytesInMiB(e.PALISADE_WORKER_MEMORY_MB)),
      stuckCheckMs: e.PALISADE_STUCK_CHECK_MS,
      stuckAttempts: e.PALISADE_STUCK_ATTEMPTS,
      stuckCheckRate: e.PALISADE_STUCK_CHECK_RATE,
      slaFile: path.resolve(cwd, e.PALISADE_SLA_FILE),
      slaCheckMs: e.PALISADE_SLA_CHECK_MS,
    },
    intake: {
      secrets: Object.fromEntries(
        SOURCES.map((source) => [
          source,
          (env[webhookSecretVariable(source)] ?? '')
            .split(',')
            .map((v) => v.trim())
            .filter(Boolean),
        ]),
      ) as Record<SourceName, string[]>,
      maxBodyBytes: e.PALISADE_WEBHOOK_MAX_BYTES,
      redactionKey: e.PALISADE_REDACTION_KEY,
      routingFile: path.resolve(cwd, e.PALISADE_ROUTING_FILE),
      suppressionsFile: path.resolve(cwd, e.PALISADE_SUPPRESSIONS_FILE),
      snsTopicArns: e.PALISADE_SNS_TOPIC_ARNS.split(',').map((v) => v.trim()).filter(Boolean),
      snsAutoConfirm: e.PALISADE_SNS_AUTO_CONFIRM === 'true',
      snsCaFile: e.PALISADE_SNS_CA_FILE ? path.resolve(cwd, e.PALISADE_SNS_CA_FILE) : undefined,
    },
    playbooks: {
      approvalsFile: path.resolve(cwd, e.PALISADE_APPROVALS_FILE),
      voteDeadlineMs: e.PALISADE_VOTE_DEADLINE_MS,
      peopleFile: path.resolve(cwd, e.PALISADE_PEOPLE_FILE),
      assignmentFile: path.resolve(cwd, e.PALISADE_ASSIGNMENT_FILE),
      providersFile: path.resolve(cwd, e.PALISADE_PROVIDERS_FILE),
      pagingFile: path.resolve(cwd, e.PALISADE_PAGING_FILE),
      fleetFile: path.resolve(cwd, e.PALISADE_FLEET_FILE),
      runbooksDir: path.resolve(cwd, e.PALISADE_RUNBOOKS_DIR),
      gamedaysDir: path.resolve(cwd, e.PALISADE_GAMEDAYS_DIR),
      teamDirs: (e.PALISADE_PLAYBOOKS_DIR ?? '').split(path.delimiter).map((d) => d.trim()).filter(Boolean).map((d) => path.resolve(cwd, d)),
    },
    slack:
      e.SLACK_SIGNING_SECRET && e.SLACK_BOT_TOKEN
        ? {
            signingSecret: e.SLACK_SIGNING_SECRET,
            botToken: e.SLACK_BOT_TOKEN,
            apiUrl: e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`,
            templatesDir: path.resolve(cwd, e.PALISADE_SLACK_TEMPLATES_DIR),
          }
        : undefined,
    publicUrl: (e.PALISADE_PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`).replace(/\/+$/, ''),
    fallbackWebhookUrl: e.PALISADE_FALLBACK_WEBHOOK_URL,
    postmortemTemplatesDir: path.resolve(cwd, e.PALISADE_POSTMORTEM_TEMPLATES_DIR),
    logLevel: e.PALISADE_LOG_LEVEL,
  };
}

/** The Temporal address a process must have by now (external, or filled in by `npm start`). */
export function requireTemporalAddress(config: PalisadeConfig): string {
  if (!config.temporal.address) {
    throw new PalisadeError(
      'temporal_not_configured',
      'TEMPORAL_ADDRESS is not set.',
      'Start Palisade with `npm start` (it starts Temporal for you) or set TEMPORAL_ADDRESS to a running server, e.g. 127.0.0.1:7233.',
    );
  }
  return config.temporal.address;
}

/** The Postgres URL a process must have by now (external, or filled in by `npm start`). */
export function requireDatabaseUrl(config: PalisadeConfig): string {
  if (!config.database.url) {
    throw new PalisadeError(
      'database_not_configured',
      'DATABASE_URL is not set.',
      'Start Palisade with `npm start` (it starts an embedded Postgres for you) or set DATABASE_URL, e.g. postgres://palisade@127.0.0.1:5432/palisade.',
    );
  }
  return config.database.url;
}
