import { ApplicationFailure } from '@temporalio/common';

/** What a playbook tells the notifier when Slack cannot carry an approval request. */
export interface SlackUnreachable {
  event: 'slack.unreachable';
  incident: { id: string; title: string; severity: string; entity: string; playbook: string };
  gate: { id: string; step: string; summary: string; deadline: string | null; expiresAt: string | null };
  reason: string;
}

/** What the webhook receives: the same, with where to look and where to decide. */
export interface SlackUnreachableNotice extends SlackUnreachable {
  incidentUrl: string;
  /** POST {"decision": "approve" | "deny", "reason"} here (API token required once tokens land). */
  decideUrl: string;
}

/**
 * The notifier of last resort: a generic webhook (PALISADE_FALLBACK_WEBHOOK_URL) told when an
 * approval request could not reach Slack, so someone still learns a decision is waiting.
 */
export function createFallbackNotifier(deps: { url: string | undefined; publicUrl: string }) {
  return {
    async 'notify.slackUnreachable'(what: SlackUnreachable): Promise<{ sent: boolean }> {
      if (!deps.url) return { sent: false };
      const notice: SlackUnreachableNotice = {
        ...what,
        incidentUrl: `${deps.publicUrl}/incidents/${what.incident.id}`,
        decideUrl: `${deps.publicUrl}/incidents/${what.incident.id}/approvals/${encodeURIComponent(what.gate.id)}`,
      };
      let res: Response;
      try {
        res = await fetch(deps.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'Palisade' },
          body: JSON.stringify(notice),
          signal: AbortSignal.timeout(5_000),
        });
      } catch (err) {
        throw ApplicationFailure.retryable(`fallback webhook unreachable: ${(err as Error).message}`, 'FallbackUnreachable');
      }
      if (res.status >= 500 || res.status === 429) throw ApplicationFailure.retryable(`fallback webhook answered HTTP ${res.status}`, 'FallbackUnreachable');
      if (!res.ok) throw ApplicationFailure.nonRetryable(`fallback webhook refused the notice: HTTP ${res.status}`, 'FallbackRefused');
      return { sent: true };
    },
  };
}

export type FallbackNotifierActivities = ReturnType<typeof createFallbackNotifier>;
