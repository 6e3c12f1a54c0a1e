import { copyFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';

const ARTIFACTS = path.resolve(__dirname, '../artifacts');
const COMMITTED = path.resolve(__dirname, '../screenshots');

/** Where a test saves a screenshot: test/artifacts/<name> (git-ignored), its folder made. */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/**
 * Copies a screenshot saved under test/artifacts over its committed copy test/screenshots/<name>,
 * only when UPDATE_SCREENSHOTS=1 is set: a plain test run leaves the git tree clean.
 */
export function updateCommittedScreenshot(saved: string, name: string): void {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  mkdirSync(COMMITTED, { recursive: true });
  copyFileSync(saved, path.join(COMMITTED, name));
}
