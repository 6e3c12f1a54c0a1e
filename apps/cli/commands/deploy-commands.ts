import type { Command } from 'commander';
import type { ApiClient } from './api-client';
import { deployPromote, deployRamp, deployRollback, deployStatus } from './deploy';

/** `palisade deploy status|ramp|promote|rollback` (README "Changing a playbook that has incidents running"). */
export function registerDeploy(program: Command, api: (cmd: Command) => ApiClient): void {
  const deploy = program.command('deploy').description('status | ramp | promote | rollback: ship a new version of the playbooks beside the running one (README: "Changing a playbook that has incidents running").');
  deploy
    .command('status')
    .option('--json', 'print the deployment as JSON')
    .description('The worker versions: current, ramping (with its share), pollers and running incidents of each.')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await deployStatus(api(cmd), opts);
    });
  deploy
    .command('ramp')
    .argument('<version>', 'the build id of a new version (deploy status lists them)')
    .argument('<percent>', 'the share of new runs it takes, 0 to 100')
    .option('--allow-no-pollers', 'go ahead although no worker of the version has polled in the last 75 s (one at capacity stops polling); new incidents wait until one polls')
    .option('--reason <text>', 'why (goes to the audit log)')
    .option('--json', 'print the change and the deployment as JSON')
    .description('Send a share of new runs (and of open AUTO_UPGRADE runs\' next tasks) to a version beside the current one (admin).')
    .action(async (version: string, percent: string, opts: { allowNoPollers?: boolean; reason?: string; json?: boolean }, cmd: Command) => {
      await deployRamp(api(cmd), version, percent, opts);
    });
  deploy
    .command('promote')
    .argument('[version]', 'the build id to make current (default: the ramping one)')
    .option('--force', 'promote even if open incidents do not replay on its code (they are stuck until a rollback)')
    .option('--allow-no-pollers', 'go ahead although no worker of the version has polled in the last 75 s (one at capacity stops polling); new incidents wait until one polls')
    .option('--reason <text>', 'why (goes to the audit log)')
    .option('--json', 'print the change, the replay check and the deployment as JSON')
    .description('Make a version current after replaying every open incident on its code; refused (exit 2) naming the incident and the first diverging command (admin).')
    .action(async (version: string | undefined, opts: { force?: boolean; allowNoPollers?: boolean; reason?: string; json?: boolean }, cmd: Command) => {
      await deployPromote(api(cmd), version, opts);
    });
  deploy
    .command('rollback')
    .option('--allow-no-pollers', 'go ahead although no worker of the version has polled in the last 75 s (one at capacity stops polling); new incidents wait until one polls')
    .option('--reason <text>', 'why (goes to the audit log)')
    .option('--json', 'print the change and the deployment as JSON')
    .description('Undo the last deploy: end the ramp, or make the version current before the last promotion current again (admin).')
    .action(async (opts: { allowNoPollers?: boolean; reason?: string; json?: boolean }, cmd: Command) => {
      await deployRollback(api(cmd), opts);
    });
}
