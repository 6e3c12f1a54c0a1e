import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);

/**
 * A PyPI tool pinned to a version, installed once into `.cache/<name>/<version>` (git-ignored):
 * its venv's python, to run it as `python -m <module>` (which survives the venv's rename, where
 * script shebangs would not). Built in a private directory and renamed into place, so processes
 * installing at the same time never see (or break) a half-built one.
 */
export async function pythonTool(tool: { name: string; version: string; requirement: string; hint: string }): Promise<string> {
  const dir = path.join(REPO_ROOT, '.cache', tool.name);
  const venv = path.join(dir, tool.version);
  const python = path.join(venv, 'bin', 'python');
  if (existsSync(python)) return python;

  const system = process.env.PYTHON ?? 'python3';
  try {
    await run(system, ['--version']);
  } catch {
    throw new Error(`${tool.name} is needed here, but ${system} was not found. ${tool.hint}`);
  }
  mkdirSync(dir, { recursive: true });
  const building = path.join(dir, `${tool.version}.building-${process.pid}-${Date.now()}`);
  console.log(`Installing ${tool.requirement} into ${venv} (first run only, can take a minute)…`);
  try {
    await run(system, ['-m', 'venv', building]);
    await run(path.join(building, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', tool.requirement], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    const detail = err instanceof Error ? err.message.slice(-2000) : String(err);
    throw new Error(`Could not install ${tool.requirement} into ${venv}: ${detail}\n${tool.hint}`);
  }
  try {
    renameSync(building, venv);
  } catch (err) {
    // Another process finished first (the target exists and is not empty): use theirs.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(python)) throw err;
  }
  return python;
}
