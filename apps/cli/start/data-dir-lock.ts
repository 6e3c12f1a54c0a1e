import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PalisadeError } from '../../../lib/errors';

/**
 * One Palisade per data folder: two engines on one Temporal file database or one PGlite
 * folder would corrupt them. The lock is a pid file; a lock whose process is gone is stale.
 */
export function lockDataDir(dataDir: string): { release: () => void } {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = path.join(dataDir, 'palisade.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return {
        release: () => {
          if (readPid(lockFile) === process.pid) rmSync(lockFile, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPid(lockFile);
      if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
        throw new PalisadeError(
          'data_dir_in_use',
          `Another Palisade (pid ${holder}) is using the data folder ${dataDir}.`,
          `Stop it first (kill ${holder}), or give this one its own folder with PALISADE_DATA_DIR.`,
        );
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new PalisadeError(
    'data_dir_lock_failed',
    `Could not take the lock ${lockFile}.`,
    'Check that the data folder is writable (PALISADE_DATA_DIR).',
  );
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
