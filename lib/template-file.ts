import type Handlebars from 'handlebars';
import * as fs from 'node:fs';

/**
 * Reads and compiles one Handlebars template operators edit (Slack messages, postmortems).
 * Precompiling parses it now, so a broken template stops the start with the file and the
 * reason (via `invalid`) rather than failing at the first incident that needs it.
 */
export function compileTemplateFile(
  hb: typeof Handlebars,
  file: string,
  options: CompileOptions,
  invalid: (file: string, reason: string) => Error,
): HandlebarsTemplateDelegate {
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(file, `cannot be read (${(err as Error).message})`);
  }
  try {
    hb.precompile(source);
    return hb.compile(source, options);
  } catch (err) {
    throw invalid(file, (err as Error).message.split('\n')[0]);
  }
}
