// Installs the npm dependencies when they are missing or older than the lock file.
// Runs before `npm start` and `npm test` on a fresh clone, so it may use Node built-ins only.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lockFile = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');

function upToDate() {
  if (!existsSync(installed)) return false;
  if (!existsSync(lockFile)) return true;
  return statSync(installed).mtimeMs >= statSync(lockFile).mtimeMs;
}

if (!upToDate()) {
  // `npm install`, not `npm ci`: it installs exactly what package-lock.json pins and leaves it
  // unchanged, but tolerates a lock without the optional native packages of platforms the
  // registry did not serve when the lock was made (e.g. @swc/core for macOS/Windows), which
  // `npm ci` rejects as out of sync.
  const args = ['install', '--no-audit', '--no-fund'];
  console.log(`palisade: installing npm dependencies (npm ${args.join(' ')}); this happens once per clone...`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(
      `palisade: 'npm ${args.join(' ')}' failed (exit ${result.status ?? result.signal}).\n` +
        '  Check that the npm registry is reachable, then run `npm install` yourself and start again.',
    );
    process.exit(result.status ?? 1);
  }
}
