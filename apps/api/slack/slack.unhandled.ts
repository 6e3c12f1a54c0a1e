import { Logger } from '@nestjs/common';
import type { AllMiddlewareArgs, AnyMiddlewareArgs, App } from '@slack/bolt';
import { isKnownAction, SLASH_COMMAND, SlackViewId } from '../../../lib/slack/actions';

/** The fields of Slack's interaction payloads read here (every one optional: a payload may have none). */
interface Body {
  type?: string;
  command?: unknown;
  callback_id?: unknown;
  action_id?: unknown;
  actions?: { action_id?: string }[];
  view?: { callback_id?: string };
  channel?: { id?: string };
  container?: { channel_id?: string };
  user?: { id?: string };
}
type Ack = (answer?: Record<string, unknown>) => Promise<void>;

const log = new Logger('Slack');

/**
 * Bolt leaves a signed request no listener takes unanswered, and after 3 seconds Slack shows
 * the clicker an error. This global middleware answers at once anything Palisade has no
 * handler for (a button of an older template, a shortcut, another slash command, a modal it did
 * not open) and tells the clicker, in the channel and to them only, that nothing was decided.
 */
export function acknowledgeUnknown(app: App): void {
  app.use(async (args: AnyMiddlewareArgs & AllMiddlewareArgs) => {
    const body = args.body as unknown as Body;
    const what = unknownInteraction(body);
    const ack = (args as { ack?: Ack }).ack;
    if (!what || !ack) {
      await args.next();
      return;
    }
    log.warn(`Slack sent ${what.describe}, which Palisade has no handler for: acknowledged, nothing done`);
    if (what.kind === 'command') {
      await ack({ response_type: 'ephemeral', text: `Palisade does not answer \`${String(body.command)}\`: nothing was done. ${what.hint}` });
      return;
    }
    await ack(what.kind === 'options' ? { options: [] } : undefined);
    const channel = body.channel?.id ?? body.container?.channel_id;
    const user = body.user?.id;
    if (what.kind === 'action' && channel && user) {
      await args.client.chat
        .postEphemeral({ channel, user, text: `Palisade does not know this button (${what.id}): it may come from an older message: nothing was decided. ${what.hint}` })
        .catch((err: unknown) => log.warn(`Ephemeral answer to ${user} not posted: ${(err as Error).message}`));
    }
  });
}

interface Unknown {
  kind: 'action' | 'command' | 'options' | 'other';
  id: string;
  describe: string;
  hint: string;
}

const HINT = 'Use the newest message, `/palisade`, the incident page or the API.';

/** What in this request Palisade does not handle; undefined when a listener of Palisade's takes it (or it is an event). */
function unknownInteraction(body: Body): Unknown | undefined {
  const unknown = (kind: Unknown['kind'], id: string, what: string): Unknown => ({ kind, id, describe: `${what} '${id}'`, hint: HINT });
  if (typeof body.command === 'string') return body.command === SLASH_COMMAND ? undefined : unknown('command', body.command, 'the slash command');
  switch (body.type) {
    case 'block_actions': {
      const id = body.actions?.[0]?.action_id ?? '';
      return isKnownAction(id) ? undefined : unknown('action', id, 'a click on button');
    }
    case 'view_submission':
      return body.view?.callback_id === SlackViewId.DenyReason ? undefined : unknown('other', String(body.view?.callback_id), 'a modal');
    case 'view_closed':
      // Palisade listens to submissions only (a template given notify_on_close would send these).
      return unknown('other', String(body.view?.callback_id), 'a closed modal');
    case 'block_suggestion':
    case 'dialog_suggestion':
      return unknown('options', String(body.action_id ?? body.callback_id), 'an options request for');
    case 'event_callback':
    case 'url_verification':
    case 'app_rate_limited':
      return undefined;
    default:
      return unknown('other', typeof body.callback_id === 'string' ? body.callback_id : String(body.type), `a ${String(body.type)} interaction`);
  }
}
