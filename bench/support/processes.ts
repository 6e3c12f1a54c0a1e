import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { freePort } from '../../apps/cli/start/ports';
import type { LoadResult, LoadSpec } from '../processes/load';

const ROOT = path.resolve(__dirname, '../..');

/** Runs a bench/processes/ script in a process of its own (niced by `nice` when given). */
function spawnScript(script: string, args: string[], nice = 0): ChildProcess {
  const node = [process.execPath, '-r', '@swc-node/register', `bench/processes/${script}`, ...args];
  const [cmd, ...rest] = nice > 0 ? ['nice', '-n', String(nice), ...node] : node;
  return spawn(cmd, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Waits for a line of the child's output that `match` accepts; throws if it exits first. */
function lineOf(child: ChildProcess, match: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const found = lines.find(match);
      if (found !== undefined) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        resolve(found);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`bench/processes child exited (${code}) before it said so`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** autocannon in its own process (bench/processes/load.ts); resolves with its figures. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const child = spawnScript('load.ts', [JSON.stringify(spec)]);
  const line = await lineOf(child, (l) => l.startsWith('{'));
  await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
  return JSON.parse(line) as LoadResult;
}

/** Bare Node, or the same NestJS handler on Express or on Fastify (the API's adapter). */
export type BareServerKind = 'node' | 'nest' | 'nest-fastify';

/** A bare 202 server in its own process (bench/processes/bare-server.ts). */
export async function startBareServer(kind: BareServerKind): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawnScript('bare-server.ts', [kind, String(port)]);
  await lineOf(child, (l) => l.startsWith('listening'));
  return { url: `http://127.0.0.1:${port}/webhooks/generic`, pid: child.pid!, stop: () => stop(child) };
}

/** The raw baseline's worker (bench/processes/raw-worker.ts) in its own process, as nice as the engine's worker. */
export async function startRawWorker(temporalAddress: string, taskQueue: string, nice: number): Promise<{ pid: number; stop: () => Promise<void> }> {
  const child = spawnScript('raw-worker.ts', [temporalAddress, taskQueue], nice);
  await lineOf(child, (l) => l.startsWith('polling'));
  return { pid: child.pid!, stop: () => stop(child) };
}
