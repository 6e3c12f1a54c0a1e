import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Installs Debian packages for a test (root only). Test files run side by side and two of
 * them may need a package on a fresh machine (Chromium, Prometheus): apt holds one lock for
 * the whole system, so the installs take turns under `flock` instead of one failing with
 * "Could not get lock /var/lib/dpkg/lock-frontend". apt waits for a lock held by anything
 * else (unattended upgrades) for up to ten minutes.
 */
export async function aptInstall(packages: string[]): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const opts = { env, maxBuffer: 64 * 1024 * 1024, timeout: 900_000 };
  const wait = ['-o', 'DPkg::Lock::Timeout=600'];
  const locked = (args: string[]) => run('flock', ['--timeout', '900', '/tmp/palisade-tests-apt.lock', 'apt-get', ...wait, ...args], opts);
  await locked(['update']);
  await locked(['install', '-y', '--no-install-recommends', ...packages]);
}
