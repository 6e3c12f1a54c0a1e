import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WebClient } from '@slack/web-api';
import * as fs from 'node:fs';
import type { Approver } from '../../../lib/approvals/gate';
import { loadApprovalPolicies } from '../../../lib/approvals/policy-file';
import type { PalisadeConfig } from '../../../lib/config/env';
import { PeopleDirectory } from '../common/people.directory';
import { PALISADE_CONFIG } from '../config/config.module';

const PROFILE_TTL_MS = 5 * 60_000;
/** Slack user groups change when people go on and off call: re-read them often. */
const GROUP_TTL_MS = 60_000;

interface Cached<T> {
  value: T;
  until: number;
}

/**
 * Who a Slack user is to Palisade: the person in runbooks/people.yaml with that Slack id, or
 * with the email on their Slack profile (users.info), plus the Slack user groups named by
 * approval policies they belong to (usergroups.users.list). Cached briefly: a click must
 * be answered in Slack's 3 seconds.
 */
@Injectable()
export class SlackIdentity {
  private readonly profiles = new Map<string, Cached<string | undefined>>();
  private readonly groups = new Map<string, Cached<Set<string>>>();
  private readonly log = new Logger('Slack');
  /** The Slack groups approvals.yaml names, re-read when the file changes (it may change without a restart). */
  private named: { mtimeMs: number; groups: string[] } = { mtimeMs: -1, groups: [] };

  constructor(
    @Inject(PeopleDirectory) private readonly people: PeopleDirectory,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
  ) {}

  /** The approver behind a Slack user, or undefined when Palisade does not know them (and no policy's Slack group has them). */
  async resolve(client: WebClient, slackUserId: string): Promise<Approver | undefined> {
    const person = this.people.bySlackId(slackUserId) ?? (await this.byProfileEmail(client, slackUserId));
    const slackGroups = await this.groupsOf(client, slackUserId);
    if (person) return { id: person.id, groups: person.groups, roles: person.roles, via: 'slack', slackUserId, slackGroups };
    // Not in people.yaml, but a policy may still let their Slack group decide.
    if (slackGroups.length > 0) return { id: `slack:${slackUserId}`, groups: [], roles: [], via: 'slack', slackUserId, slackGroups };
    return undefined;
  }

  private async byProfileEmail(client: WebClient, slackUserId: string) {
    const cached = this.profiles.get(slackUserId);
    let email = cached && cached.until > Date.now() ? cached.value : undefined;
    if (!cached || cached.until <= Date.now()) {
      try {
        const info = await client.users.info({ user: slackUserId });
        email = info.user?.profile?.email;
      } catch (err) {
        // Missing users:read.email, or Slack busy: the person is found by their people.yaml slack id only.
        this.log.warn(`users.info for ${slackUserId} failed (${(err as Error).message}): matching by people.yaml slack id only`);
      }
      this.profiles.set(slackUserId, { value: email, until: Date.now() + PROFILE_TTL_MS });
    }
    return email ? this.people.byEmail(email) : undefined;
  }

  /** The Slack groups named by approval policies; the last good list while approvals.yaml is being fixed. */
  private namedGroups(): string[] {
    const file = this.config.playbooks.approvalsFile;
    try {
      const { mtimeMs } = fs.statSync(file);
      if (mtimeMs !== this.named.mtimeMs) {
        const policies = loadApprovalPolicies(file);
        const patches = [policies.defaults, ...Object.values(policies.playbooks).flatMap((p) => [p.defaults, ...Object.values(p.gates)])];
        this.named = { mtimeMs, groups: [...new Set(patches.flatMap((p) => p.approvers?.slackGroups ?? []))] };
      }
    } catch (err) {
      this.log.warn(`${(err as Error).message} Slack group membership uses the last good list meanwhile.`);
    }
    return this.named.groups;
  }

  /** The policies' Slack groups this user is in. */
  private async groupsOf(client: WebClient, slackUserId: string): Promise<string[]> {
    const member: string[] = [];
    for (const group of this.namedGroups()) {
      const cached = this.groups.get(group);
      let users = cached && cached.until > Date.now() ? cached.value : undefined;
      if (!users) {
        try {
          users = new Set((await client.usergroups.users.list({ usergroup: group })).users ?? []);
        } catch (err) {
          // A wrong group id in approvals.yaml, or a missing usergroups:read scope, must not stop every other click.
          this.log.warn(`usergroups.users.list for ${group} failed (${(err as Error).message}): nobody counts as its member for a minute`);
          users = new Set();
        }
        this.groups.set(group, { value: users, until: Date.now() + GROUP_TTL_MS });
      }
      if (users.has(slackUserId)) member.push(group);
    }
    return member;
  }
}
