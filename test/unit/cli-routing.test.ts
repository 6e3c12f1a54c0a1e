import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const palisade = (...args: string[]) => run({}, ...args);
const run = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  spawnSync(process.execPath, ['-r', '@swc-node/register', 'apps/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });

describe('palisade start with a bad routing file', () => {
  it('stops before starting anything, naming the file, the rule and the reason', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-badroute-'));
    try {
      const file = path.join(dir, 'routing.yaml');
      writeFileSync(file, 'rules:\n  - name: hosts\n    playbook: contain-everything\n');
      const start = run({ PALISADE_ROUTING_FILE: file, PALISADE_DATA_DIR: path.join(dir, 'data') }, 'start');
      expect(start.status).toBe(1);
      expect(start.stderr).toContain(`palisade: Routing file ${file}: rule 1 (hosts): unknown playbook 'contain-everything'`);
      expect(start.stdout).not.toContain('Starting Temporal');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('palisade routing test', () => {
  it('prints the matching rule, the entity key and the workflow id for a saved payload', () => {
    const run = palisade('routing', 'test', 'wazuh', 'test/fixtures/webhooks/wazuh/level12-web-attack.json');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('1 alert(s) from wazuh');
    expect(run.stdout).toMatch(/rule 'compromised-hosts': playbook host-compromise, entity key host:\S+, workflow id host-compromise:host:\S+/);
  });

  it('reads the headers an adapter needs, and explains a bad source or payload', () => {
    const github = palisade('routing', 'test', 'github', 'test/fixtures/webhooks/github/secret-scanning-created-public.json', '-H', 'X-GitHub-Event: secret_scanning_alert');
    expect(github.stdout).toContain("rule 'leaked-secrets'");
    const unknown = palisade('routing', 'test', 'nagios', 'x.json');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("palisade: There is no webhook source 'nagios'.");
    const wrong = palisade('routing', 'test', 'falco', 'test/fixtures/webhooks/wazuh/level12-web-attack.json');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('The falco payload does not match its format');
  });
});
