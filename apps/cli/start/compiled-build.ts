import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import * as path from 'node:path';
import { compile } from '@swc-node/register/register';
import { readDefaultTsConfig } from '@swc-node/register/read-default-tsconfig';
import * as ts from 'typescript';

/** What the worker and the API run: the engine's code, nothing of tests, bench or scripts. */
const SOURCE_DIRS = ['apps', 'workflows', 'activities', 'lib'];
/** Files that change what the compiler emits. */
const COMPILER_INPUTS = ['tsconfig.json', 'package-lock.json'];
/** Marks a build written whole (an interrupted one is built again). */
const DONE = '.complete';

function sourceFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(rel);
      } else if (entry.isFile()) files.push(rel);
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(path.join(root, dir))) walk(dir);
  return files.sort();
}

/**
 * The engine's TypeScript compiled to JavaScript once per source version, into
 * `<buildsDir>/<hash of the sources>/` (the same transform `@swc-node/register` applies at
 * run time, so the code runs the same), for `npm start` to run the worker and the API
 * without a compiler in their memory. Other files (the web page's) are copied beside; the
 * build's `node_modules` is a link to the project's. Returns the build's folder; older
 * builds in `buildsDir` are removed.
 */
export async function compiledBuild(root: string, buildsDir: string): Promise<string> {
  const files = sourceFiles(root);
  const hash = createHash('sha256');
  for (const rel of [...COMPILER_INPUTS, ...files]) {
    const full = path.join(root, rel);
    if (!existsSync(full)) continue;
    hash.update(rel).update('\0').update(readFileSync(full)).update('\0');
  }
  const id = hash.digest('hex').slice(0, 16);
  const out = path.join(buildsDir, id);
  if (existsSync(path.join(out, DONE))) return out;

  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const { fallbackToTs: _unused, ...read } = readDefaultTsConfig(path.join(root, 'tsconfig.json'));
  const options: ts.CompilerOptions = { ...read, module: ts.ModuleKind.CommonJS };
  await Promise.all(
    files.map(async (rel) => {
      const from = path.join(root, rel);
      mkdirSync(path.join(tmp, path.dirname(rel)), { recursive: true });
      if (rel.endsWith('.ts') && !rel.endsWith('.d.ts')) {
        const code = await compile(readFileSync(from, 'utf8'), from, { ...options }, true);
        writeFileSync(path.join(tmp, rel.replace(/\.ts$/, '.js')), code ?? '');
      } else if (!rel.endsWith('.d.ts')) {
        copyFileSync(from, path.join(tmp, rel));
      }
    }),
  );
  symlinkSync(path.join(root, 'node_modules'), path.join(tmp, 'node_modules'), 'dir');
  writeFileSync(path.join(tmp, DONE), `${new Date().toISOString()}\n`);
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  for (const old of readdirSync(buildsDir)) {
    if (old !== id) rmSync(path.join(buildsDir, old), { recursive: true, force: true });
  }
  return out;
}
