// Drill 8, the API contract: schemathesis (PyPI, pinned below) reads GET /docs-json and sends
// what it describes and what it does not: generated valid and invalid bodies, queries and
// path ids, unsupported methods, missing or wrong credentials, and sequences of calls (an
// incident made, then read). It checks every answer against the document (`--checks all`: no
// 5xx, every status declared, bodies and headers as declared, valid data accepted, invalid data
// refused, authentication enforced). The promise: zero failures.
//
// bench/drills/schemathesis.toml holds the few per-operation settings, each with its reason.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client as PgClient } from 'pg';
import { pythonTool } from '../../test/support/python-tool';
import { scaled, type Drill, type DrillCluster, type DrillReport } from './drill';

export const SCHEMATHESIS_VERSION = '4.32.5';
const CONFIG_FILE = path.join(__dirname, 'schemathesis.toml');
/** Test cases per operation and phase at full size. */
const MAX_EXAMPLES = 50;
/** The person the drill's admin token names: routes that act as a person (runs, votes) are reached, not refused 403. */
const PERSON = 'alice';

export interface ContractRun {
  exitCode: number | null;
  output: string;
  /** The token it ran with still answered GET /me at the end (a run that revoked it would have tested little after). */
  tokenStillValid: boolean;
}

/** Runs schemathesis against the engine's document with an admin token naming a person. */
export async function runSchemathesis(cluster: DrillCluster, opts: { maxExamples: number; seed?: number; say?: (line: string) => void }): Promise<ContractRun> {
  const python = await pythonTool({
    name: 'schemathesis',
    version: SCHEMATHESIS_VERSION,
    requirement: `schemathesis==${SCHEMATHESIS_VERSION}`,
    hint: `Install Python 3 with venv and pip (Debian: apt-get install python3-venv python3-pip) so the drill can run pip install schemathesis==${SCHEMATHESIS_VERSION} itself.`,
  });
  const token = await personToken(cluster);
  const workDir = mkdtempSync(path.join(tmpdir(), 'palisade-schemathesis-'));
  const args = [
    '-m',
    'schemathesis.cli',
    '--config-file',
    CONFIG_FILE,
    'run',
    `${cluster.apiUrl}/docs-json`,
    '--checks',
    'all',
    '--header',
    `Authorization: Bearer ${token}`,
    '--max-examples',
    String(opts.maxExamples),
    '--report',
    'junit',
    '--report-dir',
    workDir,
    '--no-color',
    ...(opts.seed === undefined ? [] : ['--seed', String(opts.seed)]),
  ];
  const child = spawn(python, args, { cwd: workDir, env: { ...process.env, PYTHONUNBUFFERED: '1', COLUMNS: '120' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  writeFileSync(path.join(workDir, 'output.txt'), output);
  opts.say?.(`schemathesis output: ${path.join(workDir, 'output.txt')}`);
  const me = await fetch(`${cluster.apiUrl}/me`, { headers: { authorization: `Bearer ${token}` } });
  await me.arrayBuffer();
  return { exitCode, output, tokenStillValid: me.status === 200 };
}

/** An admin token named for a person in runbooks/people.yaml, made with the bootstrap token. */
async function personToken(cluster: DrillCluster): Promise<string> {
  const res = await fetch(`${cluster.apiUrl}/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${cluster.adminToken}` },
    body: JSON.stringify({ name: PERSON, role: 'admin', expiresIn: '1d' }),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 201 || !body.token) throw new Error(`POST /tokens for ${PERSON} answered ${res.status}: ${JSON.stringify(body)}`);
  return body.token;
}

/** What a run said in its summary: operations, test cases, failures by kind, seed. */
export function summaryOf(output: string): { operations: string | undefined; cases: string | undefined; failures: string[]; seed: string | undefined } {
  const operations = /Selected: (\d+\/\d+)/.exec(output)?.[1];
  const cases = /Test cases:\s*\n\s*(.+)/.exec(output)?.[1]?.trim();
  const failures = [...output.matchAll(/^\s*❌ (ST\d+ .+: \d+)$/gm)].map((m) => m[1]);
  const seed = /^Seed: (\d+)/m.exec(output)?.[1];
  return { operations, cases, failures, seed };
}

/**
 * What schemathesis left that other drills would trip on: suppression windows (a fuzzed
 * `host:*` would set aside every alert) and simulated faults. Its incidents, tokens and fleet
 * additions stay, as a real user's would.
 */
async function tidyUp(cluster: DrillCluster): Promise<{ windows: number; faults: number }> {
  const db = new PgClient({ connectionString: cluster.databaseUrl });
  await db.connect();
  try {
    const windows = await db.query(`UPDATE suppressions SET deleted_at = now() WHERE deleted_at IS NULL`);
    const faults = await db.query(`DELETE FROM sim_faults`);
    return { windows: windows.rowCount ?? 0, faults: faults.rowCount ?? 0 };
  } finally {
    await db.end();
  }
}

/** The drill; `seed` fixes what schemathesis generates (npm test's short version), otherwise each run explores afresh. */
export function contractDrill(fixed: { seed?: number } = {}): Drill {
  return async (cluster, opts): Promise<DrillReport> => {
    const maxExamples = scaled(MAX_EXAMPLES, opts, 2);
    opts.say(`schemathesis ${SCHEMATHESIS_VERSION} against ${cluster.apiUrl}/docs-json, --checks all, ${maxExamples} examples per operation and phase...`);
    const t0 = Date.now();
    const run = await runSchemathesis(cluster, { maxExamples, seed: fixed.seed, say: opts.say });
    const seconds = Math.round((Date.now() - t0) / 1000);
    const tidy = await tidyUp(cluster);
    const summary = summaryOf(run.output);
    const report: DrillReport = {
      drill: 'openapi-contract',
      did: [
        `schemathesis ${SCHEMATHESIS_VERSION} --checks all on ${summary.operations ?? '?'} operations of /docs-json, ${maxExamples} examples per operation and phase (seed ${summary.seed ?? '?'}), in ${seconds} s`,
        `closed ${tidy.windows} suppression windows and cleared ${tidy.faults} faults it had opened`,
      ],
      found: [`test cases: ${summary.cases ?? '(no summary)'}`, summary.failures.length === 0 ? 'no failures' : `failures: ${summary.failures.join('; ')}`],
      losses: [],
    };
    if (!run.tokenStillValid) report.losses.push(`the run revoked the token it ran with: what came after was answered 401 and tested little`);
    if (run.exitCode !== 0) {
      report.losses.push(`schemathesis exited ${run.exitCode}: ${summary.failures.join('; ') || 'see its output'}`);
      // The failures' own blocks (request, answer, curl to reproduce), shortened.
      const details = run.output.split(/^=+ FAILURES =+$/m)[1]?.split(/^=+ SUMMARY =+$/m)[0] ?? run.output.slice(-4000);
      report.losses.push(...details.split(/\n(?=_{5,} )/).map((block) => block.trim().slice(0, 1500)).filter(Boolean));
    }
    return report;
  };
}

export const openapiContract: Drill = contractDrill();

