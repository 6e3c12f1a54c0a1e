import { Inject, Injectable } from '@nestjs/common';
import type { PalisadeConfig } from '../../../lib/config/env';
import type { Person } from '../../../lib/people';
import { PALISADE_CONFIG } from '../config/config.module';
import type { ClaimCourier } from '../tokens/claim-courier';
import { SlackBolt } from './slack.bolt';

/**
 * Sends a token's claim code to its person as a direct message from the bot (conversations.open,
 * then chat.postMessage): the Slack user people.yaml names, else the one with their email
 * (users.lookupByEmail). Whoever made the token sees neither the message nor the code.
 */
@Injectable()
export class SlackClaimCourier implements ClaimCourier {
  constructor(
    @Inject(SlackBolt) private readonly bolt: SlackBolt,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
  ) {}

  async send(person: Person, text: string): Promise<string> {
    const client = this.bolt.app!.client;
    const token = this.config.slack!.botToken;
    const user = person.slack ?? (person.email ? (await client.users.lookupByEmail({ token, email: person.email })).user?.id : undefined);
    if (!user) throw new Error(`${person.id} has no slack id in runbooks/people.yaml and no email`);
    const dm = await client.conversations.open({ token, users: user });
    const channel = dm.channel?.id;
    if (!channel) throw new Error(`conversations.open gave no channel for ${user}`);
    await client.chat.postMessage({ token, channel, text });
    return `${person.id}, in a direct message from the Palisade app in Slack`;
  }
}
