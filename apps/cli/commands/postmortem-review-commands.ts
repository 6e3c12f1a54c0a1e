import type { Command } from 'commander';
import type { ApiClient } from './api-client';
import { reviewDiff, reviewEdit, reviewRevise, reviewRevisions, reviewShow, reviewSignOff, reviewSubmit, type EditOptions } from './postmortem-review';

/** `palisade review show|edit|submit|sign-off|revise|revisions|diff`: an incident's postmortem review (README "Postmortems"). */
export function registerReview(program: Command, api: (cmd: Command) => ApiClient): void {
  const review = program.command('review').description("show | edit | submit | sign-off | revise | revisions | diff: an incident's postmortem review (draft → in review → published).");
  review
    .command('show')
    .argument('<id>', 'the incident id (or its first 8 characters)')
    .option('--json', 'print the review as JSON')
    .description('The review as it stands: state, sign-offs, root cause, what went well and badly, action items with owners, due dates and tickets.')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await reviewShow(api(cmd), id, opts);
    });
  review
    .command('edit')
    .argument('<id>', 'the incident id (or its first 8 characters)')
    .option('--root-cause <text>', 'why it happened')
    .option('--factor <text...>', 'contributing factors (the whole list)')
    .option('--went-well <text...>', 'what went well (the whole list)')
    .option('--went-badly <text...>', 'what went badly (the whole list)')
    .option('--action <title|owner|due...>', 'add an action item, e.g. "Alarm on console changes|dana|2026-12-20"')
    .option('--done <n...>', 'mark action item n done')
    .option('--json', 'print the answer as JSON')
    .description('Write on the postmortem (responder); a published one is revised with `review revise`.')
    .action(async (id: string, opts: EditOptions, cmd: Command) => {
      await reviewEdit(api(cmd), id, opts);
    });
  review
    .command('submit')
    .argument('<id>', 'the incident id (or its first 8 characters)')
    .option('--json', 'print the answer as JSON')
    .description('Send the draft to review; its action items become tickets where the incident\'s ticket went.')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await reviewSubmit(api(cmd), id, opts);
    });
  review
    .command('sign-off')
    .argument('<id>', 'the incident id (or its first 8 characters)')
    .option('--note <text>', 'what you checked')
    .option('--json', 'print the answer as JSON')
    .description('Sign the revision in review off; two people other than its last editor publish it.')
    .action(async (id: string, opts: { note?: string; json?: boolean }, cmd: Command) => {
      await reviewSignOff(api(cmd), id, opts);
    });
  review
    .command('revise')
    .argument('<id>', 'the incident id (or its first 8 characters)')
    .requiredOption('--reason <text>', 'why the published postmortem is revised')
    .option('--json', 'print the answer as JSON')
    .description('Start the next revision of a published postmortem, as a draft copy.')
    .action(async (id: string, opts: { reason: string; json?: boolean }, cmd: Command) => {
      await reviewRevise(api(cmd), id, opts);
    });
  review
    .command('revisions')
    .argument('<id>', 'the incident id (or its first 8 characters)')
    .option('--json', 'print them as JSON')
    .description('Every revision, with who signed it off.')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await reviewRevisions(api(cmd), id, opts);
    });
  review
    .command('diff')
    .argument('<id>', 'the incident id (or its first 8 characters)')
    .argument('<from>', 'the earlier revision')
    .argument('<to>', 'the later revision')
    .option('--json', 'print the changes as JSON')
    .description('What changed between two revisions, field by field.')
    .action(async (id: string, from: string, to: string, opts: { json?: boolean }, cmd: Command) => {
      await reviewDiff(api(cmd), id, from, to, opts);
    });
}
