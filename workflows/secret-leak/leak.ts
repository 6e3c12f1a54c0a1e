import { playbookSupport } from '../shared/activities';
import type { PlaybookActivities } from '../../activities/playbook/playbook.activities';
import type { PlaybookInput } from '../shared/input';
import type { LeakParams } from './playbook';
import type { Confidence, Leak, SecretScanningAlert } from './shared';

const ENTITY_PREFIX = 'secret:';
/** The door keys a GitHub alert whose secret it could not read by repository and number. */
const GITHUB_ALERT_PREFIX = 'github-alert:';

/** What the playbook starts from: the leak, when known, and the GitHub alert it came from, if any. */
export interface LeakSource {
  leak?: Leak;
  /** The GitHub secret-scanning alert of the opening alert: read its secret when unknown, close it once revoked. */
  github?: SecretScanningAlert;
  /** How sure, and since when: for a leak whose secret is read later (from GitHub). */
  confidence: Confidence;
  exposedAt: string;
}

/**
 * What leaked, from the responder's params (manual start) or from the alert that opened the
 * incident (a webhook): only type, fingerprint and last four ever reach here. Confidence from
 * an alert is `high` when the scanner checked the secret still works (GitHub: validity active).
 * No leak when neither names a fingerprint (GitHub: the door could not read the secret).
 */
export async function describeLeak(input: PlaybookInput, params: LeakParams, support: Pick<PlaybookActivities, 'loadAlert'> = playbookSupport): Promise<LeakSource> {
  if (params.fingerprint) {
    const given = { confidence: params.confidence, exposedAt: params.exposedAt ?? input.detectedAt };
    return { ...given, leak: { ref: { type: params.type ?? 'unknown', fingerprint: params.fingerprint, last4: params.last4 ?? '????' }, ...given } };
  }
  const alert = input.firstAlertId ? await support.loadAlert(input.firstAlertId) : null;
  const alertNumber = Number(alert?.labels.alertNumber);
  const github = alert?.source === 'github' && alert.labels.repository && Number.isInteger(alertNumber) ? { repository: alert.labels.repository, alertNumber, url: alert.labels.htmlUrl } : undefined;
  const known = { github, confidence: (alert?.labels.validity === 'active' ? 'high' : 'medium') as Confidence, exposedAt: params.exposedAt ?? alert?.observedAt ?? input.detectedAt };
  // Any secret the alert's text held is not the alert's own: that one is read from GitHub.
  if (input.entity.key.startsWith(GITHUB_ALERT_PREFIX)) return known;
  const fromEntity = input.entity.key.startsWith(ENTITY_PREFIX) ? input.entity.key.slice(ENTITY_PREFIX.length) : undefined;
  const secret = alert?.secrets.find((s) => s.fingerprint === fromEntity) ?? alert?.secrets[0];
  const fingerprint = secret?.fingerprint ?? fromEntity;
  if (!fingerprint) return known;
  return { ...known, leak: { ref: { type: secret?.type ?? 'unknown', fingerprint, last4: secret?.last4 ?? '????' }, confidence: known.confidence, exposedAt: known.exposedAt } };
}
