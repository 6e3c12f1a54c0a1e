import { z } from 'zod';

/** The `action_id`s of the buttons Palisade's messages carry (templates use them through `actions.*`). */
export enum SlackActionId {
  Approve = 'palisade.gate.approve',
  Deny = 'palisade.gate.deny',
  DenyWithReason = 'palisade.gate.deny-with-reason',
  /** On the incident's Slack post (runbooks/paging.yaml `post:`): the button's value is the incident id. */
  IncidentAcknowledge = 'palisade.incident.acknowledge',
  IncidentTake = 'palisade.incident.take',
}

/** The `callback_id` of the modal that asks a denier for their reason. */
export enum SlackViewId {
  DenyReason = 'palisade.gate.deny-reason',
}

/** The slash command Palisade answers. */
export const SLASH_COMMAND = '/palisade';

/** Approve buttons: one per option on a gate that chooses (`palisade.gate.approve#1`). */
export const APPROVE_ACTION = new RegExp(`^${SlackActionId.Approve.replace(/\./g, '\\.')}(#\\d+)?$`);

/** Whether Palisade has a handler for a button's `action_id` (an older template's may be gone). */
export function isKnownAction(actionId: string): boolean {
  return APPROVE_ACTION.test(actionId) || ([SlackActionId.Deny, SlackActionId.DenyWithReason, SlackActionId.IncidentAcknowledge, SlackActionId.IncidentTake] as string[]).includes(actionId);
}

/** The modal's reason input: its block and action ids. */
export const DENY_REASON_INPUT = { block: 'reason', action: 'reason' } as const;

const gateRef = z.object({
  incidentId: z.string().uuid(),
  gateId: z.string().min(1).max(200),
  /** On a gate that offers options: which one this Approve button chooses. */
  choice: z.string().min(1).max(200).optional(),
  /**
   * When the gate asked: a reopened incident asks its gates again under the same ids, and a
   * click on the earlier request must not count on the new one. Absent on buttons older than this field.
   */
  requestedAt: z.string().datetime({ offset: true }).optional(),
});

/** What a button's `value` (and the modal's `private_metadata`) carries: which incident, which gate, which request of it. */
export type GateRef = z.infer<typeof gateRef>;

export function encodeGateRef(ref: GateRef): string {
  return JSON.stringify(ref);
}

/** The gate a click is about, or undefined when the value is not one Palisade wrote. */
export function decodeGateRef(value: string | undefined): GateRef | undefined {
  if (!value) return undefined;
  try {
    const parsed = gateRef.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
