import { playbookSupport } from '../shared/activities';
import type { PlaybookInput } from '../shared/input';
import type { Leak, SecretLeakParams } from './shared';

const ENTITY_PREFIX = 'secret:';

/**
 * What leaked, from the responder's params (manual start) or from the alert that opened the
 * incident (a webhook): only type, fingerprint and last four ever reach here. Confidence from
 * an alert is `high` when the scanner checked the secret still works (GitHub: validity active).
 * Undefined when neither names a fingerprint.
 */
export async function describeLeak(input: PlaybookInput): Promise<Leak | undefined> {
  const params = (input.params ?? {}) as SecretLeakParams;
  if (params.fingerprint) {
    return {
      ref: { type: params.type ?? 'unknown', fingerprint: params.fingerprint, last4: params.last4 ?? '????' },
      confidence: params.confidence ?? 'medium',
      exposedAt: params.exposedAt ?? input.detectedAt,
    };
  }
  const alert = input.firstAlertId ? await playbookSupport.loadAlert(input.firstAlertId) : null;
  const fromEntity = input.entity.key.startsWith(ENTITY_PREFIX) ? input.entity.key.slice(ENTITY_PREFIX.length) : undefined;
  const secret = alert?.secrets.find((s) => s.fingerprint === fromEntity) ?? alert?.secrets[0];
  const fingerprint = secret?.fingerprint ?? fromEntity;
  if (!fingerprint) return undefined;
  return {
    ref: { type: secret?.type ?? 'unknown', fingerprint, last4: secret?.last4 ?? '????' },
    confidence: alert?.labels.validity === 'active' ? 'high' : 'medium',
    exposedAt: params.exposedAt ?? alert?.observedAt ?? input.detectedAt,
  };
}
