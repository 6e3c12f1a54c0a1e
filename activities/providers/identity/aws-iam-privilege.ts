import {
  type AttachedPolicy,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetUserPolicyCommand,
  type IAMClient,
  paginateListAttachedGroupPolicies,
  paginateListAttachedUserPolicies,
  paginateListGroupPolicies,
  paginateListGroupsForUser,
  paginateListUserPolicies,
} from '@aws-sdk/client-iam';
import { aws, awsPages } from '../aws-sdk';

/** Palisade's own inline policies (quarantine, disable, revoked sessions) all start so: never a grant. */
export const PALISADE_POLICY_PREFIX = 'Palisade';

/** What an IAM user holds: its groups, its own policies, and what makes it privileged. */
export interface UserAccess {
  groups: string[];
  /** Managed policy names attached to the user, then `inline:<name>` for its inline ones. */
  policies: string[];
  /** Inline policy names, Palisade's included (the account's state is read from them). */
  inline: string[];
  privilegedBy: string[];
}

/**
 * Reads a user's groups and policies and decides whether it is an administrator: a policy
 * named in `privilegedPolicies` (AdministratorAccess by default) attached to the user or to one
 * of its groups, or any policy of theirs (inline, or customer managed) that allows every action
 * on every resource. AWS managed policies are judged by name only: their documents are AWS's.
 */
export async function readUserAccess(iam: IAMClient, user: string, privilegedPolicies: readonly string[]): Promise<UserAccess> {
  const [groups, attached, inline] = await Promise.all([
    collect('iam:ListGroupsForUser', paginateListGroupsForUser({ client: iam }, { UserName: user }), (p) => (p.Groups ?? []).map((g) => g.GroupName!)),
    collect('iam:ListAttachedUserPolicies', paginateListAttachedUserPolicies({ client: iam }, { UserName: user }), (p) => p.AttachedPolicies ?? []),
    collect('iam:ListUserPolicies', paginateListUserPolicies({ client: iam }, { UserName: user }), (p) => p.PolicyNames ?? []),
  ]);
  const grants = inline.filter((n) => !n.startsWith(PALISADE_POLICY_PREFIX));
  const privilegedBy: string[] = [];
  const judge = async (policies: AttachedPolicy[], inlineNames: string[], read: (name: string) => Promise<string | undefined>, via: string) => {
    for (const p of policies) {
      if (privilegedPolicies.includes(p.PolicyName ?? '')) privilegedBy.push(`${p.PolicyName}${via}`);
      else if (!isAwsManaged(p.PolicyArn) && allowsEverything(await managedDocument(iam, p.PolicyArn!))) privilegedBy.push(`${p.PolicyName} allows every action${via}`);
    }
    for (const name of inlineNames) {
      if (privilegedPolicies.includes(name)) privilegedBy.push(`inline ${name}${via}`);
      else if (allowsEverything(await read(name))) privilegedBy.push(`inline ${name} allows every action${via}`);
    }
  };
  await judge(attached, grants, (name) => aws('iam:GetUserPolicy', () => iam.send(new GetUserPolicyCommand({ UserName: user, PolicyName: name }))).then((r) => r.PolicyDocument), '');
  for (const group of groups) {
    const [groupAttached, groupInline] = await Promise.all([
      collect('iam:ListAttachedGroupPolicies', paginateListAttachedGroupPolicies({ client: iam }, { GroupName: group }), (p) => p.AttachedPolicies ?? []),
      collect('iam:ListGroupPolicies', paginateListGroupPolicies({ client: iam }, { GroupName: group }), (p) => p.PolicyNames ?? []),
    ]);
    const read = (name: string) => aws('iam:GetGroupPolicy', () => iam.send(new GetGroupPolicyCommand({ GroupName: group, PolicyName: name }))).then((r) => r.PolicyDocument);
    await judge(groupAttached, groupInline, read, ` via group ${group}`);
  }
  return { groups, policies: [...attached.map((p) => p.PolicyName!), ...grants.map((n) => `inline:${n}`)], inline, privilegedBy };
}

/**
 * True when a policy document has an Allow of every action (`*`, or `*:*`) on every resource.
 * IAM returns documents URL-encoded (RFC 3986); one that cannot be read grants nothing here.
 */
export function allowsEverything(document: string | undefined): boolean {
  if (!document) return false;
  let parsed: { Statement?: unknown };
  try {
    parsed = JSON.parse(document.trimStart().startsWith('{') ? document : decodeURIComponent(document)) as { Statement?: unknown };
  } catch {
    return false;
  }
  const statements = (Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement]) as { Effect?: unknown; Action?: unknown; Resource?: unknown }[];
  const all = (v: unknown, ...wild: string[]) => [v].flat().some((x) => typeof x === 'string' && wild.includes(x));
  return statements.some((s) => s?.Effect === 'Allow' && all(s.Action, '*', '*:*') && all(s.Resource, '*'));
}

function isAwsManaged(arn: string | undefined): boolean {
  return /^arn:[^:]+:iam::aws:policy\//.test(arn ?? '');
}

/** A customer managed policy's default version's document. */
async function managedDocument(iam: IAMClient, arn: string): Promise<string | undefined> {
  const policy = await aws('iam:GetPolicy', () => iam.send(new GetPolicyCommand({ PolicyArn: arn })));
  const version = policy.Policy?.DefaultVersionId;
  if (!version) return undefined;
  const got = await aws('iam:GetPolicyVersion', () => iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: version })));
  return got.PolicyVersion?.Document;
}

/** Every page of a paginated IAM list, flattened. */
export async function collect<P, T>(action: string, pages: AsyncIterable<P>, pick: (page: P) => T[]): Promise<T[]> {
  const out: T[] = [];
  for await (const page of awsPages(action, pages)) out.push(...pick(page));
  return out;
}
