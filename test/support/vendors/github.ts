import { json, LoopbackVendor, Reply, type RecordedRequest, type VendorReply } from './loopback';

export interface SecretScanningAlert {
  number: number;
  state: 'open' | 'resolved';
  resolution: string | null;
  resolution_comment: string | null;
  resolved_at: string | null;
  resolved_by: { login: string } | null;
  secret_type: string;
}

const RESOLUTIONS = ['false_positive', 'wont_fix', 'revoked', 'used_in_tests'];

/** GitHub's secret-scanning alert update endpoint on loopback, with alerts per repository. */
export class FakeGitHub extends LoopbackVendor {
  /** "owner/name#number" → alert. */
  readonly alerts = new Map<string, SecretScanningAlert>();

  constructor(readonly token = 'ghp_loopbackTokenForTests0123456789abcdef') {
    super();
  }

  addAlert(repository: string, number: number, secretType = 'aws_access_key_id'): void {
    this.alerts.set(`${repository}#${number}`, { number, state: 'open', resolution: null, resolution_comment: null, resolved_at: null, resolved_by: null, secret_type: secretType });
  }

  protected isToken(): boolean {
    return false;
  }

  protected errorBody(status: number, message: string): unknown {
    return { message, documentation_url: 'https://docs.github.com/rest', status: String(status) };
  }

  /** GitHub's secondary rate limit says when in seconds. */
  protected throttleHeaders(): Record<string, string> {
    return { 'retry-after': '5', 'x-ratelimit-remaining': '0' };
  }

  protected handle(r: RecordedRequest): VendorReply {
    if (r.headers.authorization !== `Bearer ${this.token}`) throw new Reply({ status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } });
    const m = /^\/repos\/([^/]+\/[^/]+)\/secret-scanning\/alerts\/(\d+)$/.exec(r.path);
    if (!m) throw new Reply({ status: 404, body: { message: 'Not Found' } });
    const alert = this.alerts.get(`${m[1]}#${m[2]}`);
    if (!alert) throw new Reply({ status: 404, body: { message: 'Not Found' } });
    if (r.method === 'GET') return { status: 200, body: alert };
    if (r.method !== 'PATCH') throw new Reply({ status: 404, body: { message: 'Not Found' } });
    if (r.headers.accept !== 'application/vnd.github+json' || r.headers['x-github-api-version'] !== '2022-11-28') {
      return { status: 400, body: { message: 'Accept application/vnd.github+json and X-GitHub-Api-Version 2022-11-28 expected' } };
    }
    const body = json(r) ?? {};
    if (body.state === 'resolved') {
      if (!RESOLUTIONS.includes(body.resolution)) return { status: 422, body: { message: 'Validation Failed: resolution is invalid', errors: [] } };
      // Re-closing with the same resolution changes nothing.
      if (!(alert.state === 'resolved' && alert.resolution === body.resolution)) {
        Object.assign(alert, { state: 'resolved', resolution: body.resolution, resolution_comment: body.resolution_comment ?? null, resolved_at: new Date().toISOString(), resolved_by: { login: 'palisade-bot' } });
      }
    } else if (body.state === 'open') {
      Object.assign(alert, { state: 'open', resolution: null, resolution_comment: null, resolved_at: null, resolved_by: null });
    } else {
      return { status: 422, body: { message: 'Validation Failed: state must be open or resolved' } };
    }
    return { status: 200, body: alert };
  }
}
