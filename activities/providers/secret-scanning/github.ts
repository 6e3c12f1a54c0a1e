import { z } from 'zod';
import { ProviderErrorType, type ProviderCall } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';
import { field, VendorHttp, type VendorDeps } from '../vendor-http';
import { SECRET_SCANNING_RESOLUTIONS, type ClosedAlert, type SecretScanningAlertRef, type SecretScanningProvider, type SecretScanningResolution } from './secret-scanning.provider';

export const gitHubSecretScanningConfigSchema = z.strictObject({
  /** https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise Server. */
  baseUrl: z.url().default('https://api.github.com'),
  /** SECRET: a token allowed to write secret-scanning alerts (fine-grained: "Secret scanning alerts: write"). */
  token: z.string().min(1),
  timeoutMs: z.number().int().positive().default(10_000),
});
export type GitHubSecretScanningConfig = z.input<typeof gitHubSecretScanningConfigSchema>;

const VENDOR = 'GitHub';
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Closes GitHub secret-scanning alerts with a resolution and a comment. */
export class GitHubSecretScanning implements SecretScanningProvider {
  private readonly config: z.output<typeof gitHubSecretScanningConfigSchema>;
  private readonly http: VendorHttp;

  constructor(config: GitHubSecretScanningConfig, deps: VendorDeps = {}) {
    this.config = gitHubSecretScanningConfigSchema.parse(config);
    this.http = new VendorHttp({
      vendor: VENDOR,
      baseUrl: this.config.baseUrl,
      timeoutMs: this.config.timeoutMs,
      fetch: deps.fetch ?? fetch,
      now: deps.now ?? Date.now,
      secrets: () => [this.config.token],
      deniedHint: 'The token needs "Secret scanning alerts: write" on the repository (classic tokens: the repo or security_events scope).',
    });
  }

  async closeAlert(_call: ProviderCall, ref: SecretScanningAlertRef, resolution: SecretScanningResolution, comment: string): Promise<ClosedAlert> {
    if (!REPOSITORY.test(ref.repository) || !Number.isInteger(ref.alertNumber) || ref.alertNumber < 1) {
      throw providerError(ProviderErrorType.Invalid, `'${ref.repository}' alert #${ref.alertNumber} is not a GitHub alert: give the repository as owner/name and a positive alert number.`);
    }
    if (!SECRET_SCANNING_RESOLUTIONS.includes(resolution)) {
      throw providerError(ProviderErrorType.Invalid, `'${String(resolution)}' is not a secret-scanning resolution (${SECRET_SCANNING_RESOLUTIONS.join(', ')}).`);
    }
    const res = await this.http.send(`close secret-scanning alert #${ref.alertNumber} of ${ref.repository}`, {
      method: 'PATCH',
      path: `/repos/${ref.repository}/secret-scanning/alerts/${ref.alertNumber}`,
      headers: { authorization: `Bearer ${this.config.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
      json: { state: 'resolved', resolution, resolution_comment: comment },
    });
    const resolvedAt = field(res.body, 'resolved_at');
    return {
      repository: ref.repository,
      alertNumber: ref.alertNumber,
      state: 'resolved',
      resolution: (field(res.body, 'resolution') as SecretScanningResolution | undefined) ?? resolution,
      resolvedAt: typeof resolvedAt === 'string' ? resolvedAt : new Date().toISOString(),
    };
  }
}
