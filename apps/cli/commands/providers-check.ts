import { checkProviders, type ProviderCheck } from '../../../activities/providers/registry';
import type { PalisadeConfig } from '../../../lib/config/env';
import { Redactor } from '../../../lib/intake/redact';
import { loadProvidersConfig } from '../../../lib/providers/providers-file';
import { printJson, say, spinner, table } from './output';

const MARK: Record<ProviderCheck['status'], string> = { ok: '✓', denied: '✗', failed: '✗', skipped: '·' };

/**
 * `palisade providers check`: each vendor runbooks/providers.yaml uses, built with this
 * process's environment (as the worker would be), and its cheapest read-only call. Resolves
 * true when nothing was denied or failed.
 */
export async function providersCheck(config: PalisadeConfig, env: NodeJS.ProcessEnv, opts: { json?: boolean }): Promise<boolean> {
  const providers = loadProvidersConfig(config.playbooks.providersFile);
  const key = config.intake.redactionKey;
  const redactor = key ? new Redactor(Buffer.from(key)) : undefined;
  const fingerprint = redactor ? (value: string) => redactor.fingerprint(value) : undefined;
  const progress = spinner('checking providers', !opts.json);
  const checks = await checkProviders(providers, { env, fingerprint }).finally(() => progress.stop());
  const ok = checks.every((c) => c.status === 'ok' || c.status === 'skipped');
  if (opts.json) {
    printJson({ ok, file: config.playbooks.providersFile, checks });
    return ok;
  }
  say(`Providers in ${config.playbooks.providersFile}:`);
  say(table(['', 'capability', 'vendor', 'status', 'detail'], checks.map((c) => [MARK[c.status], c.capability, c.vendor, c.status, c.detail])));
  say(ok ? 'Every real vendor answered.' : 'Some vendors cannot be used as configured: see the lines marked ✗.');
  return ok;
}
