import 'reflect-metadata';
import { Command } from 'commander';
import { loadConfig } from '../../lib/config/env';
import { describeError, PalisadeError } from '../../lib/errors';
import { HISTORY_DIR, historyExport } from './commands/history-export';
import { routingTest } from './commands/routing-test';
import { runEngine } from './start/supervisor';

const program = new Command()
  .name('palisade')
  .description('Palisade incident playbook engine.')
  .showHelpAfterError();

program
  .command('start')
  .description(
    'Run the engine: Temporal (unless TEMPORAL_ADDRESS is set), Postgres (unless DATABASE_URL is set), the worker and the API.',
  )
  .action(async () => {
    const say = (line: string) => console.log(line);
    await runEngine({ config: loadConfig(process.env), env: process.env, say });
  });

program
  .command('routing')
  .description('Check routing rules (runbooks/routing.yaml, or PALISADE_ROUTING_FILE).')
  .command('test')
  .argument('<source>', 'the webhook source, e.g. falco')
  .argument('<file>', 'a JSON payload as the vendor sends it')
  .option('-H, --header <name:value...>', 'a request header the adapter reads, e.g. "X-GitHub-Event: secret_scanning_alert"')
  .description('Show which rule an alert matches and which incident it would join.')
  .action((source: string, file: string, opts: { header?: string[] }) => {
    const headers = Object.fromEntries(
      (opts.header ?? []).map((h) => [h.slice(0, h.indexOf(':')).trim().toLowerCase(), h.slice(h.indexOf(':') + 1).trim()]),
    );
    console.log(routingTest(loadConfig(process.env), source, file, headers));
  });

program
  .command('history')
  .description('Workflow histories for replay tests (test/histories/).')
  .command('export')
  .argument('<workflowId>', 'the workflow id, e.g. host-compromise:host:web-1')
  .option('--run-id <id>', 'a run of that workflow (default: the latest)')
  .option('--out <dir>', 'the folder to write to', HISTORY_DIR)
  .option('--name <file>', 'the file name (default: <workflowType>-<run id prefix>.json)')
  .description('Write the history of a workflow run (running or closed) as JSON that the replay tests read.')
  .action(async (workflowId: string, opts: { runId?: string; out: string; name?: string }) => {
    console.log(await historyExport(loadConfig(process.env), workflowId, opts));
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof PalisadeError) {
    console.error(`palisade: ${err.message}\n  ${err.hint}`);
  } else {
    console.error(`palisade: ${describeError(err)}`);
  }
  process.exit(1);
});
