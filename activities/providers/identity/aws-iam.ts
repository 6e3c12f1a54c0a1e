import {
  CreateLoginProfileCommand,
  DeleteLoginProfileCommand,
  DeleteUserPolicyCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListUsersCommand,
  paginateListAccessKeys,
  paginateListMFADevices,
  paginateListUserTags,
  PutUserPolicyCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
  UpdateLoginProfileCommand,
  type User,
} from '@aws-sdk/client-iam';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  IDENTITY_LIST_MAX,
  ProviderErrorType,
  unknownAccount,
  type AccountInfo,
  type AccountStatusChange,
  type CredentialReset,
  type KeysDeactivated,
  type ProviderCall,
  type SessionRevocation,
} from '../../../lib/providers/capabilities';
import { aws, awsFailure, isAwsError, keyToken, tagRecord } from '../aws-sdk';
import { providerError } from '../errors';
import { collect, readUserAccess } from './aws-iam-privilege';
import type { IdentityProvider } from './identity.provider';

/**
 * AWS IAM users as accounts (an account id is a user name or a user ARN). Where each API shape
 * and policy comes from: activities/providers/identity/SOURCES.md.
 *
 * - revokeSessions attaches the inline policy `PalisadeRevokeOlderSessions`: deny every action
 *   when `DateLessThan aws:TokenIssueTime <now>`. It is the policy the IAM console's "Revoke
 *   active sessions" attaches to a role (AWSRevokeOlderSessions, documented in "Revoke IAM role
 *   temporary security credentials",
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html); the
 *   console has no such button for users, and "Disabling permissions for temporary security
 *   credentials" (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html)
 *   says a user's temporary credentials (GetSessionToken, GetFederationToken) carry the user's
 *   permissions, evaluated at every request, so a user policy takes them away. Requests signed
 *   with long-lived access keys carry no aws:TokenIssueTime and are untouched: deactivateKeys
 *   handles those.
 * - disable attaches the inline deny-all `PalisadeDisabled` (every request, keys and sessions
 *   included) and deletes the console password (DeleteLoginProfile). enable removes the policy
 *   and, when there was a password, creates one again: random, told to nobody, to be changed at
 *   the next sign-in, since IAM cannot restore a deleted password.
 * - forceCredentialReset: UpdateLoginProfile with a random password told to nobody and
 *   PasswordResetRequired.
 *
 * What a call did is kept on the user as `palisade:*` tags, so the same idempotency key twice
 * changes nothing the second time and answers the same.
 */
export const awsIamIdentitySettingsSchema = z
  .object({
    /** Policy names (managed or inline, on the user or a group of it) that make a user privileged. */
    privilegedPolicies: z.array(z.string().min(1)).default(['AdministratorAccess']),
  })
  .strict();
export type AwsIamIdentitySettings = z.input<typeof awsIamIdentitySettingsSchema>;

/** Inline policies this vendor puts on a user (a user's inline policies share 2,048 characters; these use about 300). */
export const IDENTITY_POLICIES = { revokeSessions: 'PalisadeRevokeOlderSessions', disabled: 'PalisadeDisabled' } as const;

/** User tags read (Owner, then Manager; Name) and written (palisade:*). Tag values allow letters, digits, spaces and _.:/=+-@. */
export const IDENTITY_TAGS = {
  owner: 'Owner',
  manager: 'Manager',
  name: 'Name',
  /** `disabled <console|no-console> <reason>`, or `enabled <console|no-console> <key token>` once enable undid it. */
  state: 'palisade:account-state',
  /** `<key token> <time> <access key id>…`: the keys one deactivateKeys call deactivated. */
  keysDeactivated: 'palisade:keys-deactivated',
  /** `<key token> <time>`: the last forced password reset. */
  passwordReset: 'palisade:password-reset',
} as const;

const DENY_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'PalisadeDisabled', Effect: 'Deny', Action: '*', Resource: '*' }] });
const USER_NAME = /^[\w+=,.@-]{1,64}$/;

export class AwsIamIdentity implements IdentityProvider {
  private readonly settings: z.output<typeof awsIamIdentitySettingsSchema>;

  constructor(
    private readonly iam: IAMClient,
    settings: AwsIamIdentitySettings = {},
  ) {
    this.settings = awsIamIdentitySettingsSchema.parse(settings);
  }

  /** iam:ListUsers, one user. */
  async check(): Promise<string> {
    await aws('iam:ListUsers', () => this.iam.send(new ListUsersCommand({ MaxItems: 1 })));
    return 'iam:ListUsers answered';
  }

  async lookupAccount(_call: ProviderCall, accountId: string): Promise<AccountInfo> {
    const name = userNameOf(accountId);
    const user = name ? await this.findUser(name) : undefined;
    if (!name || !user) return unknownAccount(accountId, 'AWS IAM');
    const [tags, access, mfa] = await Promise.all([
      this.tags(name),
      readUserAccess(this.iam, name, this.settings.privilegedPolicies),
      collect('iam:ListMFADevices', paginateListMFADevices({ client: this.iam }, { UserName: name }), (p) => p.MFADevices ?? []),
    ]);
    return {
      accountId: name,
      displayName: tags[IDENTITY_TAGS.name] || name,
      owner: tags[IDENTITY_TAGS.owner] || tags[IDENTITY_TAGS.manager] || 'unknown',
      privileged: access.privilegedBy.length > 0,
      privilegedBy: access.privilegedBy.slice(0, IDENTITY_LIST_MAX),
      groups: access.groups.slice(0, IDENTITY_LIST_MAX),
      policies: access.policies.slice(0, IDENTITY_LIST_MAX),
      mfa: mfa.length > 0 ? 'enabled' : 'disabled',
      lastSignIn: user.PasswordLastUsed?.toISOString() ?? null,
      status: access.inline.includes(IDENTITY_POLICIES.disabled) ? 'disabled' : 'enabled',
      known: true,
    };
  }

  /** Keeps the cutoff of the first call with this key; a later key moves it to its own now. */
  async revokeSessions(call: ProviderCall, accountId: string, _reason: string): Promise<SessionRevocation> {
    const user = requireUserName(accountId);
    const sid = `PalisadeRevoke${keyToken(call.idempotencyKey)}`;
    const current = await this.revocationOf(user);
    let revokedBefore = current?.sid === sid ? current.before : undefined;
    if (!revokedBefore) {
      revokedBefore = new Date().toISOString();
      const document = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Sid: sid, Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': revokedBefore } } }],
      });
      await aws('iam:PutUserPolicy', () => this.iam.send(new PutUserPolicyCommand({ UserName: user, PolicyName: IDENTITY_POLICIES.revokeSessions, PolicyDocument: document })));
    }
    const method = `inline policy ${IDENTITY_POLICIES.revokeSessions} denies requests signed with temporary credentials (console sessions, session tokens) issued before then`;
    return { accountId: user, revokedBefore, method, at: revokedBefore };
  }

  /**
   * The keys are recorded on the user before they are deactivated, so a retry finishes the
   * same set (and deactivates only those still active: a second call changes nothing).
   */
  async deactivateKeys(call: ProviderCall, accountId: string, _reason: string): Promise<KeysDeactivated> {
    const user = requireUserName(accountId);
    const token = keyToken(call.idempotencyKey).slice(0, 16);
    const [recordedToken, recordedAt, ...recorded] = ((await this.tags(user))[IDENTITY_TAGS.keysDeactivated] ?? '').split(' ');
    const keys = await collect('iam:ListAccessKeys', paginateListAccessKeys({ client: this.iam }, { UserName: user }), (p) => p.AccessKeyMetadata ?? []);
    const active = keys.filter((k) => k.Status === 'Active').map((k) => k.AccessKeyId!);
    const done = recordedToken === token && recordedAt ? { at: recordedAt, ids: recorded } : undefined;
    const deactivated = done?.ids ?? active;
    const at = done?.at ?? new Date().toISOString();
    if (!done) await this.tag(user, IDENTITY_TAGS.keysDeactivated, [token, at, ...deactivated].join(' '));
    for (const id of deactivated.filter((k) => active.includes(k))) {
      await ignoring(['NoSuchEntity'], 'iam:UpdateAccessKey', () => this.iam.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: id, Status: 'Inactive' })));
    }
    return { accountId: user, deactivated, at };
  }

  /** Whether the console had a password is recorded first: enable needs it, and the deletion cannot be read back. */
  async disable(_call: ProviderCall, accountId: string, reason: string): Promise<AccountStatusChange> {
    const user = requireUserName(accountId);
    let state = parseState((await this.tags(user))[IDENTITY_TAGS.state]);
    const password = await this.hasPassword(user);
    if (state?.status !== 'disabled') {
      state = { status: 'disabled', console: password };
      await this.tag(user, IDENTITY_TAGS.state, `disabled ${state.console ? 'console' : 'no-console'} ${tagText(reason)}`);
    }
    if (!(await this.hasInlinePolicy(user, IDENTITY_POLICIES.disabled))) {
      await aws('iam:PutUserPolicy', () => this.iam.send(new PutUserPolicyCommand({ UserName: user, PolicyName: IDENTITY_POLICIES.disabled, PolicyDocument: DENY_ALL })));
    }
    if (password) await ignoring(['NoSuchEntity'], 'iam:DeleteLoginProfile', () => this.iam.send(new DeleteLoginProfileCommand({ UserName: user })));
    const method = `inline deny-all policy ${IDENTITY_POLICIES.disabled} attached${state.console ? ', console password deleted' : ''}`;
    return { accountId: user, status: 'disabled', method, at: new Date().toISOString() };
  }

  /** Undoes only what disable did; an account Palisade did not disable is left as it is. */
  async enable(call: ProviderCall, accountId: string, _reason: string): Promise<AccountStatusChange> {
    const user = requireUserName(accountId);
    const token = keyToken(call.idempotencyKey).slice(0, 16);
    const state = parseState((await this.tags(user))[IDENTITY_TAGS.state]);
    const at = new Date().toISOString();
    const consoleNote = state?.console ? '; console access given back with a random password nobody knows: an administrator sets a new one, changed at the next sign-in' : '';
    const method = `deny-all policy ${IDENTITY_POLICIES.disabled} removed${consoleNote}`;
    if (state?.status === 'enabled' && state.token === token) return { accountId: user, status: 'enabled', method, at };
    if (state?.status !== 'disabled') {
      return { accountId: user, status: 'enabled', method: state ? 'already enabled again by Palisade: nothing to undo' : 'not disabled by Palisade: nothing to undo', at };
    }
    if (state.console) {
      await ignoring(['EntityAlreadyExists'], 'iam:CreateLoginProfile', () =>
        this.iam.send(new CreateLoginProfileCommand({ UserName: user, Password: randomPassword(), PasswordResetRequired: true })),
      );
    }
    await ignoring(['NoSuchEntity'], 'iam:DeleteUserPolicy', () => this.iam.send(new DeleteUserPolicyCommand({ UserName: user, PolicyName: IDENTITY_POLICIES.disabled })));
    await this.tag(user, IDENTITY_TAGS.state, `enabled ${state.console ? 'console' : 'no-console'} ${token}`);
    return { accountId: user, status: 'enabled', method, at };
  }

  async forceCredentialReset(call: ProviderCall, accountId: string, _reason: string): Promise<CredentialReset> {
    const user = requireUserName(accountId);
    const token = keyToken(call.idempotencyKey).slice(0, 16);
    const method = 'console password replaced by a random one nobody is told; a new one must be set at the next sign-in';
    const [doneToken, doneAt] = ((await this.tags(user))[IDENTITY_TAGS.passwordReset] ?? '').split(' ');
    if (doneToken === token && doneAt) return { accountId: user, reset: true, method, at: doneAt };
    if (!(await this.hasPassword(user))) {
      return { accountId: user, reset: false, method: 'no console password to reset (console access removed or never given)', at: new Date().toISOString() };
    }
    await aws('iam:UpdateLoginProfile', () => this.iam.send(new UpdateLoginProfileCommand({ UserName: user, Password: randomPassword(), PasswordResetRequired: true })));
    const at = new Date().toISOString();
    await this.tag(user, IDENTITY_TAGS.passwordReset, `${token} ${at}`);
    return { accountId: user, reset: true, method, at };
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────

  private async findUser(name: string): Promise<User | undefined> {
    try {
      return (await this.iam.send(new GetUserCommand({ UserName: name }))).User;
    } catch (err) {
      if (isAwsError(err, 'NoSuchEntity', 'NoSuchEntityException')) return undefined;
      throw awsFailure(err, 'iam:GetUser');
    }
  }

  /** Also the existence check of every change: NotFound when the user does not exist. */
  private async tags(user: string): Promise<Record<string, string>> {
    return tagRecord(await collect('iam:ListUserTags', paginateListUserTags({ client: this.iam }, { UserName: user }), (p) => p.Tags ?? []));
  }

  private async tag(user: string, key: string, value: string): Promise<void> {
    await aws('iam:TagUser', () => this.iam.send(new TagUserCommand({ UserName: user, Tags: [{ Key: key, Value: value.slice(0, 256) }] })));
  }

  private async hasPassword(user: string): Promise<boolean> {
    try {
      await this.iam.send(new GetLoginProfileCommand({ UserName: user }));
      return true;
    } catch (err) {
      if (isAwsError(err, 'NoSuchEntity', 'NoSuchEntityException')) return false;
      throw awsFailure(err, 'iam:GetLoginProfile');
    }
  }

  /** A user's inline policy document (decoded), or undefined when it has none of that name (NotFound when there is no such user). */
  private async inlinePolicy(user: string, name: string): Promise<string | undefined> {
    try {
      const document = (await this.iam.send(new GetUserPolicyCommand({ UserName: user, PolicyName: name }))).PolicyDocument ?? '';
      return document.trimStart().startsWith('{') ? document : decodeURIComponent(document);
    } catch (err) {
      if (!isAwsError(err, 'NoSuchEntity', 'NoSuchEntityException')) throw awsFailure(err, 'iam:GetUserPolicy');
      await this.tags(user); // no such policy, or no such user: the latter is NotFound
      return undefined;
    }
  }

  private async hasInlinePolicy(user: string, name: string): Promise<boolean> {
    return (await this.inlinePolicy(user, name)) !== undefined;
  }

  /** The revocation policy on the user now: its statement id and cutoff. */
  private async revocationOf(user: string): Promise<{ sid: string; before: string } | undefined> {
    const document = await this.inlinePolicy(user, IDENTITY_POLICIES.revokeSessions);
    try {
      const statement = (JSON.parse(document ?? '{}') as { Statement?: { Sid?: string; Condition?: { DateLessThan?: Record<string, string> } }[] }).Statement?.[0];
      const before = statement?.Condition?.DateLessThan?.['aws:TokenIssueTime'];
      return statement?.Sid && before ? { sid: statement.Sid, before } : undefined;
    } catch {
      return undefined; // edited by hand: replaced
    }
  }
}

/** An IAM user name from a name or a user ARN (`arn:aws:iam::123456789012:user/path/alice`). */
export function userNameOf(accountId: string): string | undefined {
  const name = /^arn:[^:]+:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(accountId)?.[1] ?? accountId;
  return USER_NAME.test(name) ? name : undefined;
}

function requireUserName(accountId: string): string {
  const name = userNameOf(accountId);
  if (!name) throw providerError(ProviderErrorType.Invalid, `'${accountId}' is not an IAM user name or user ARN (names are 1-64 of letters, digits and _+=,.@-).`);
  return name;
}

function parseState(value: string | undefined): { status: 'enabled' | 'disabled'; console: boolean; token?: string } | undefined {
  const [status, console, token] = (value ?? '').split(' ');
  if (status !== 'enabled' && status !== 'disabled') return undefined;
  return { status, console: console === 'console', token };
}

/** A password for no one: 40 random characters with every class a password policy may ask for. */
function randomPassword(): string {
  return `${randomBytes(30).toString('base64')}aA1!`;
}

/** Free text as an IAM tag value allows it. */
function tagText(text: string): string {
  return text.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, ' ').slice(0, 200);
}

/** Runs one SDK call, treating the named AWS errors as "already so". */
async function ignoring(codes: string[], action: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!isAwsError(err, ...codes.flatMap((c) => [c, `${c}Exception`]))) throw awsFailure(err, action);
  }
}
