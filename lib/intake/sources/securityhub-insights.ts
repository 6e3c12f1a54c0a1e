import { z } from 'zod';
import type { AlertEntity, ParsedAlert } from '../alert';
import { fingerprintOf, type ParseContext } from '../source';
import { TextCleaner, ec2InstanceId } from './aws-envelope';

/**
 * "Security Hub Insight Results": what an analyst sends with a custom action from an insight.
 * No findings, only the insight's groups: `insightResults` is a list of `{ "<group value>": <finding count> }`,
 * grouped by the attribute `resultType` names (e.g. ResourceId, AwsAccountId,
 * ResourceAwsIamAccessKeyUserName). One alert per group.
 * https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-event-formats.html
 */
export const insightDetail = z.object({
  actionName: z.string().optional(),
  actionDescription: z.string().optional(),
  insightArn: z.string().min(1),
  insightName: z.string().optional(),
  resultType: z.string().min(1),
  insightResults: z
    .array(z.record(z.string(), z.number()))
    .min(1)
    .refine((results) => results.some((r) => Object.keys(r).some(named)), {
      message: 'no group with a value to act on (every group value is empty)',
    }),
});

/** A group whose value is empty names nothing to act on; it is left out. */
function named(value: string): boolean {
  return value.trim() !== '';
}
type InsightDetail = z.infer<typeof insightDetail>;

/** The thing a group names, by the attribute the insight groups by; else the group itself, saying so. */
function entityOf(d: InsightDetail, value: string): AlertEntity {
  const by = d.resultType;
  const instance = ec2InstanceId(value);
  if ((by === 'ResourceId' || by === 'ResourceAwsEc2InstanceId') && instance) return { kind: 'host', key: instance, display: instance };
  if (by === 'ResourceId') return { kind: 'resource', key: value, display: value };
  if (by === 'AwsAccountId') return { kind: 'account', key: value, display: `AWS account ${value}` };
  if (/UserName$/.test(by)) return { kind: 'account', key: value, display: `IAM user ${value}` };
  if (/Ip(V4|V6)Addresses$/.test(by)) return { kind: 'host', key: value, display: `host at ${value}` };
  return {
    kind: 'resource',
    key: `${d.insightArn}:${by}=${value}`,
    display: `${d.insightName ?? d.insightArn}: ${by} = ${value} (grouped by ${by}, which names no resource to act on)`,
  };
}

export function insightAlerts(d: InsightDetail, event: { account: string; region: string }, ctx: ParseContext): ParsedAlert[] {
  const groups = d.insightResults.flatMap((r) => Object.entries(r)).filter(([value]) => named(value));
  return groups.map(([value, count]) => {
    const text = new TextCleaner(ctx.redactor);
    const name = d.insightName ?? d.insightArn;
    const entity = entityOf(d, value);
    return text.finish({
      title: text.clean(name),
      description: text.clean(`${count} findings in the Security Hub insight "${name}" with ${d.resultType} = ${value}.`),
      // An insight carries counts, not a severity.
      severity: 'medium',
      severityOriginal: 'unspecified',
      category: 'other',
      entity: { kind: entity.kind, key: text.clean(entity.key), display: text.clean(entity.display) },
      observedAt: ctx.receivedAt,
      fingerprint: fingerprintOf('securityhub', d.insightArn, d.resultType, value),
      labels: text.labels({
        insightArn: d.insightArn,
        resultType: d.resultType,
        findingCount: count,
        accountId: event.account,
        region: event.region,
        detailType: 'Security Hub Insight Results',
        customAction: d.actionName,
      }),
    });
  });
}
