// `npm start` runs this before the worker: bundles the workflow code into one file, so the
// long-running worker never loads the bundler (webpack and its working set stay in this
// short-lived process: about 80 MiB the worker would otherwise keep).
//
//   node -r @swc-node/register apps/worker/bundle-main.ts <out.js>
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeError } from '../../lib/errors';
import { loadConfig } from '../../lib/config/env';
import { bundleAllPlaybooks } from '../playbooks/bundle';

async function main(): Promise<void> {
  const [out] = process.argv.slice(2);
  if (!out) throw new Error('usage: bundle-main <out.js>');
  const bundle = await bundleAllPlaybooks(loadConfig(process.env).playbooks.teamDirs);
  mkdirSync(path.dirname(out), { recursive: true });
  // Whole or not at all: a worker never reads half a bundle.
  writeFileSync(`${out}.tmp`, bundle.code);
  renameSync(`${out}.tmp`, out);
}

main().catch((err: unknown) => {
  console.error(`palisade workflow bundle: ${describeError(err)}`);
  process.exit(1);
});
