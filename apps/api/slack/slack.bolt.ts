import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { App, defaultBodyLimit, HTTPModuleFunctions, HTTPReceiver, isRawBodyError, LogLevel } from '@slack/bolt';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { PalisadeConfig } from '../../../lib/config/env';
import type { ErrorBody } from '../../../lib/errors';
import { SlackTemplates } from '../../../lib/slack/templates';
import { PALISADE_CONFIG } from '../config/config.module';
import { BoltLogger } from './bolt-logger';

/** When each Slack request reached the API, before Bolt checks its signature (Bolt hands it to handlers as `context.receivedAt`). */
const receivedAt = new WeakMap<IncomingMessage, number>();

/** When a Slack request reached the API (performance.now(), set by SlackBolt ahead of Bolt's signature check), from a handler's `context`; now if it was not recorded. */
export function arrival(context: Record<string, unknown>): number {
  return typeof context.receivedAt === 'number' ? context.receivedAt : performance.now();
}

/**
 * How long after a Slack request reached the API Palisade answers one whose answer goes in the
 * acknowledgement itself (`/palisade`, a modal's submission), whatever it has read by then. Slack
 * shows the caller an error unless a slash command is acknowledged within 3000 ms of being sent
 * ("Confirming receipt" in https://docs.slack.dev/interactivity/implementing-slash-commands/;
 * slower work answers later through the command's response_url, at most 5 times in 30 minutes),
 * and the same 3 seconds hold for every interaction payload, a view_submission included ("you
 * only have 3 seconds to respond", https://docs.slack.dev/tools/bolt-js/concepts/acknowledge/;
 * "Acknowledgment response" in https://api.slack.com/interactivity/handling). Bolt's
 * HTTPReceiver itself answers 404 once 3001 ms pass without ack() (unhandledRequestTimeoutMillis).
 * The rest of the 3 s is for the network.
 */
export const ANSWER_WITHIN_MS = 2_500;

/** Where Slack sends events, interactions, slash commands and options (the app manifest's request URL). */
export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * The Bolt app inside the API process, behind Bolt's HTTPReceiver: its request listener takes
 * the Node request and response of POST /slack/events (the API's body parsers leave that body
 * alone, since the signature covers the raw bytes), verifies the signature (v0, 5-minute
 * tolerance) before any handler runs, and answers url_verification, ssl_check and the ack.
 * The signature is checked first with Bolt's own function, so a request Bolt would refuse
 * with an empty 401 gets Palisade's error body instead. Without
 * Slack credentials, the same path answers 503 saying how to connect Slack.
 */
@Injectable()
export class SlackBolt {
  readonly app: App | undefined;
  readonly templates: SlackTemplates | undefined;
  private readonly receiver: HTTPReceiver | undefined;
  private readonly log = new Logger('Slack');

  constructor(@Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig) {
    const slack = config.slack;
    if (!slack) return;
    this.templates = new SlackTemplates(slack.templatesDir);
    const logger = new BoltLogger();
    logger.setLevel(LogLevel.WARN);
    this.receiver = new HTTPReceiver({
      signingSecret: slack.signingSecret,
      // handle() verifies every request with Bolt's own function before it reaches this receiver
      // (to answer Palisade's 401 body), and is its only way in: once is enough.
      signatureVerification: false,
      endpoints: SLACK_EVENTS_PATH,
      logger,
      processBeforeResponse: false,
      customPropertiesExtractor: (req) => ({ receivedAt: receivedAt.get(req) }),
    });
    this.app = new App({
      receiver: this.receiver,
      logger,
      // A single workspace and its bot token; no auth.test on every request (Slack may be down when a click arrives).
      authorize: () => Promise.resolve({ botToken: slack.botToken }),
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 1_000 }, timeout: 2_500 },
    });
  }

  /** POST /slack/events: Bolt's, once the body is read and its signature checked with Bolt's own function. */
  async handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!this.receiver) {
      await reply.status(HttpStatus.SERVICE_UNAVAILABLE).send(SLACK_OFF);
      return;
    }
    const req = request.raw;
    receivedAt.set(req, performance.now());
    try {
      // Buffers the body on the request (Bolt's receiver reads it from there) and verifies it as the receiver does.
      await HTTPModuleFunctions.parseAndVerifyHTTPRequest({ enabled: true, signingSecret: this.config.slack!.signingSecret, bodyLimit: defaultBodyLimit }, req);
    } catch (err) {
      const tooLarge = isRawBodyError(err) && err.statusCode === 413;
      await reply.status(tooLarge ? HttpStatus.PAYLOAD_TOO_LARGE : HttpStatus.UNAUTHORIZED).send(tooLarge ? TOO_LARGE : SIGNATURE_INVALID);
      return;
    }
    // The router also sends /slack/events/ and /Slack/Events here, as Express did; Bolt's listener knows only its endpoint.
    req.url = SLACK_EVENTS_PATH;
    reply.hijack();
    this.receiver.requestListener(req, reply.raw);
  }

  /** Says once how Slack stands: off, connected as whom, or unreachable for now (approvals still work through the API). */
  async announce(): Promise<void> {
    if (!this.app) {
      this.log.log('Slack is off (SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are not set): approvals go through the API, the CLI and the web page.');
      return;
    }
    try {
      const auth = await this.app.client.auth.test({ token: this.config.slack!.botToken });
      this.log.log(`Slack connected as ${auth.user ?? auth.user_id} in ${auth.team ?? auth.team_id}; requests at ${SLACK_EVENTS_PATH}.`);
    } catch (err) {
      this.log.warn(`Slack did not answer auth.test (${(err as Error).message}): clicks are still verified and counted; posts are retried by the worker.`);
    }
  }
}

const SLACK_OFF: ErrorBody = {
  error: 'slack_not_configured',
  message: 'Slack is not connected to this Palisade.',
  hint: 'Set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN and restart (README: "Connect Slack"); approvals work through the API meanwhile.',
};

const SIGNATURE_INVALID: ErrorBody = {
  error: 'slack_signature_invalid',
  message: 'The request is not signed by Slack: X-Slack-Signature or X-Slack-Request-Timestamp is missing, wrong, or older than 5 minutes.',
  hint: "Slack signs with the app's signing secret; set the same value in SLACK_SIGNING_SECRET. Nothing was decided.",
};

const TOO_LARGE: ErrorBody = {
  error: 'payload_too_large',
  message: `The body is larger than the ${defaultBodyLimit} bytes Slack's receiver accepts.`,
  hint: 'Slack sends small bodies: check what is posting to /slack/events.',
};
