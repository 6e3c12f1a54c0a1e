// `npm run gameday -- <scenario>`: a game day whose scenario breaks the engine's own
// infrastructure (`faults: [{ at, fault: worker-killed | api-killed | temporal-history-down |
// slack-down, for }]`), run from a harness that owns what it breaks: the drill engine
// (bench/support/cluster.ts: Temporal dev server, PGlite, worker and API as processes of their
// own, Slack pointed at a fake), or with --cluster the real Temporal cluster
// (bench/support/real-cluster.ts: history a process of its own, two APIs, two workers).
//
//   npm run gameday -- faults-host-compromise [--cluster] [-o .palisade/gamedays]
//
// Prints a line per event, writes the scorecard (md + json) and exits 1 when an SLO or a
// fault check failed. A scenario without infrastructure faults runs here too.
import { parseArgs } from 'node:util';
import { writeScorecard } from '../apps/cli/commands/gameday';
import { ApiClient } from '../apps/cli/commands/api-client';
import { loadCliSettings } from '../lib/config/cli';
import { webhookSecretVariable } from '../lib/config/env';
import { assertFaultsSupported } from '../lib/gamedays/faults';
import { runGameday } from '../lib/gamedays/runner';
import { loadScenario, resolveScenario } from '../lib/gamedays/scenario';
import { startDrillCluster } from './support/cluster';
import { HARNESS_FAULTS, harnessFaults } from './support/gameday-faults';
import { startRealCluster } from './support/real-cluster';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { cluster: { type: 'boolean', default: false }, output: { type: 'string', short: 'o', default: '.palisade/gamedays' } } });
  if (positionals.length !== 1) throw new Error('Name one scenario: npm run gameday -- <scenario or file> [--cluster] [-o dir]');
  const say = (line: string) => console.log(line);
  const scenario = loadScenario(resolveScenario(positionals[0]));
  const where = values.cluster ? 'npm run gameday -- --cluster' : 'npm run gameday';
  // Refused before minutes go into starting an engine.
  assertFaultsSupported(scenario, { where, supports: HARNESS_FAULTS[values.cluster ? 'cluster' : 'drill'], begin: async () => {}, end: async () => {} });

  const real = values.cluster ? await startRealCluster({ say }) : undefined;
  const cluster = real ?? (await startDrillCluster({ say }));
  const stop = () => void cluster.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const faults = harnessFaults({
      where,
      worker: real?.parts['worker-1'] ?? cluster.processes.worker,
      api: real?.parts['api-1'] ?? cluster.processes.api,
      temporalHistory: real?.parts['temporal-history'],
      slack: cluster.slack,
    });
    const settings = loadCliSettings({});
    const client = (token: string) => new ApiClient({ api: cluster.apiUrl, token }, settings);
    say(`game day ${scenario.name} against ${cluster.apiUrl} (${where})`);
    const scorecard = await runGameday(scenario, {
      api: client(cluster.adminToken),
      as: client,
      secretFor: (source) => cluster.secret(webhookSecretVariable(source)),
      onEvent: (e) => say(`[${(e.atMs / 1000).toFixed(1).padStart(6)}s] ${e.message}`),
      faults,
      ledger: faults,
    });
    for (const slo of scorecard.slos) say(`${slo.passed ? 'pass' : 'FAIL'}  ${slo.slo} ${slo.target}: ${slo.details.map((d) => d.value).join(', ') || 'no incident to judge'}`);
    for (const c of scorecard.checks) say(`${c.passed ? 'pass' : 'FAIL'}  ${c.fault}: ${c.check}: ${c.value}`);
    const written = writeScorecard(scorecard, values.output);
    say(`scorecard: ${written.md} (${written.json})`);
    if (cluster.crashes.length) say(`Processes that exited by themselves:\n${cluster.crashes.join('\n')}`);
    return scorecard.passed ? 0 : 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as { message?: string; hint?: string };
    console.error(`${e.message ?? String(err)}${e.hint ? `\n${e.hint}` : ''}`);
    process.exit(1);
  },
);
