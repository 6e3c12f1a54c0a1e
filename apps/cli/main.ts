import 'reflect-metadata';
import { Command } from 'commander';
import { loadConfig } from '../../lib/config/env';
import { describeError, PalisadeError } from '../../lib/errors';
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

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof PalisadeError) {
    console.error(`palisade: ${err.message}\n  ${err.hint}`);
  } else {
    console.error(`palisade: ${describeError(err)}`);
  }
  process.exit(1);
});
