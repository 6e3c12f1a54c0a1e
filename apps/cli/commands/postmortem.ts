import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { resolveIncidentId } from './incidents';
import { note, withSpinner } from './output';

export const POSTMORTEM_FORMATS = ['md', 'html', 'json'] as const;
type Format = (typeof POSTMORTEM_FORMATS)[number];

const BY_EXTENSION: Record<string, Format> = { '.md': 'md', '.markdown': 'md', '.html': 'html', '.htm': 'html', '.json': 'json' };

/**
 * `palisade postmortem <id> [--format md|html|json] [-o file]`: GET /incidents/:id/postmortem,
 * to the file (the format follows its extension unless --format says) or to stdout.
 */
export async function postmortem(client: ApiClient, incident: string, opts: { format?: string; output?: string }): Promise<void> {
  const format = formatOf(opts);
  const id = await resolveIncidentId(client, incident);
  const { text } = await withSpinner(`Rendering the postmortem of ${id}…`, true, () => client.text(`/incidents/${id}/postmortem`, { format }));
  if (opts.output === undefined) {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return;
  }
  try {
    writeFileSync(opts.output, text);
  } catch (err) {
    throw new CliError(EXIT.usage, 'unwritable_output', `Could not write ${opts.output}: ${(err as Error).message}.`, 'Choose a file in a folder you can write to.');
  }
  note(`Wrote ${opts.output} (${format}, ${Buffer.byteLength(text)} bytes).`);
}

function formatOf(opts: { format?: string; output?: string }): Format {
  if (opts.format !== undefined) {
    if ((POSTMORTEM_FORMATS as readonly string[]).includes(opts.format)) return opts.format as Format;
    throw new CliError(EXIT.usage, 'invalid_option', `--format ${opts.format} is not one of ${POSTMORTEM_FORMATS.join(', ')}.`, 'md reads well as plain text; html stands alone for printing.');
  }
  return (opts.output && BY_EXTENSION[path.extname(opts.output).toLowerCase()]) || 'md';
}
