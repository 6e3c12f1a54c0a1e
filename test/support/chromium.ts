import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';
import { aptInstall } from './apt';

const NAMES = ['chromium', 'chromium-browser'];

/** The first executable named `chromium` (or `chromium-browser`) on PATH, if any. */
function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of NAMES) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // Not here: keep looking.
      }
    }
  }
  return undefined;
}

/**
 * The path of a Chromium for the browser tests (Debian's `chromium` package, driven by
 * playwright-core). Installs it with apt when it is missing and the tests run as root;
 * otherwise says how to install it.
 */
export async function ensureChromium(): Promise<string> {
  const found = onPath();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(
      'The browser tests need Chromium and none is on PATH. Install it once: `sudo apt-get install -y --no-install-recommends chromium` (Debian/Ubuntu), then run the tests again.',
    );
  }
  console.log('[browser test] Chromium is not installed: installing it with apt-get (Debian package `chromium`; this takes a minute or two, once)…');
  await aptInstall(['chromium']);
  const installed = onPath();
  if (!installed) throw new Error('apt-get installed the `chromium` package, yet no `chromium` is on PATH: check /usr/bin/chromium.');
  console.log(`[browser test] Chromium installed: ${installed}`);
  return installed;
}
