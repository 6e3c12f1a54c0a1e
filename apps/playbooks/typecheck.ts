import { readdirSync } from 'node:fs';
import { PalisadeError } from '../../lib/errors';
import * as path from 'node:path';
import type * as TS from 'typescript';
import { ENGINE_ROOT, KIT_ALIASES } from './kit-resolution';

/** One type error, where its author finds it. */
export interface TypeProblem {
  file: string;
  line: number;
  column: number;
  /** `TS2345: Argument of type '"isolate"' is not assignable to …` */
  message: string;
}

/**
 * Type-checks a team's playbook folder as the engine's own playbooks are checked (the
 * engine's tsconfig, strict): every .ts file under it, with `@palisade/kit` (and
 * `/testing`) and the engine's packages resolved as the worker and the tests resolve them.
 * A gate or step the declaration does not list fails here. `undefined`: TypeScript is not
 * installed (a production image): nothing was checked.
 */
export function typeCheckFolder(dir: string, opts: { tests?: boolean } = {}): TypeProblem[] | undefined {
  let ts: typeof TS;
  try {
    // A devDependency: a production image has none, and then nothing is checked.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ts = require('typescript') as typeof TS;
  } catch {
    return undefined;
  }
  const configFile = path.join(ENGINE_ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(configFile, (f) => ts.sys.readFile(f));
  const { options } = ts.parseJsonConfigFileContent(read.config as object, ts.sys, ENGINE_ROOT);
  const modules = path.join(ENGINE_ROOT, 'node_modules');
  const files = tsFilesUnder(dir).filter((f) => opts.tests !== false || !f.endsWith('.test.ts'));
  const program = ts.createProgram(files, {
    ...options,
    noEmit: true,
    sourceMap: false,
    paths: {
      ...Object.fromEntries(Object.entries(KIT_ALIASES).map(([specifier, file]) => [specifier, [file]])),
      // A team folder has no node_modules of its own: zod, vitest and the SDK are the engine's.
      '*': [path.join(modules, '*'), path.join(modules, '@types', '*')],
    },
    typeRoots: [path.join(modules, '@types')],
  });
  const inFolder = (file: string) => path.resolve(file).startsWith(path.resolve(dir) + path.sep);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => {
      const message = `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      if (!d.file || d.start === undefined) return { file: dir, line: 0, column: 0, message };
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return { file: d.file.fileName, line: line + 1, column: character + 1, message };
    })
    // The engine's own files are checked by its own `npm test`; an error there is not the folder's.
    .filter((p) => inFolder(p.file) || p.line === 0);
}

/** `file:line:column - TS…: message`, as editors and CI logs link them. */
export function describeTypeProblem(p: TypeProblem): string {
  return p.line > 0 ? `${p.file}:${p.line}:${p.column} - ${p.message}` : `${p.file} - ${p.message}`;
}

function tsFilesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...tsFilesUnder(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(full);
  }
  return files;
}

/**
 * What `npm start` checks of a team's folder before anything starts: its playbooks (not their
 * tests) type-check. A type error stops the start with the folder and each error's file and line.
 */
export function assertPlaybooksTypeCheck(dir: string, say: (line: string) => void): void {
  const problems = typeCheckFolder(dir, { tests: false });
  if (problems === undefined) {
    say(`TypeScript is not installed: the playbooks in ${dir} were not type-checked (\`palisade playbook check\` does it where it is).`);
    return;
  }
  if (problems.length === 0) return;
  throw new PalisadeError(
    'playbook_type_error',
    `The playbooks in ${dir} do not type-check:\n  ${problems.slice(0, 10).map(describeTypeProblem).join('\n  ')}${problems.length > 10 ? `\n  … and ${problems.length - 10} more` : ''}`,
    `Fix them (a gate or step must be one the declaration lists); \`palisade playbook check ${dir}\` checks the folder without starting the engine.`,
  );
}
