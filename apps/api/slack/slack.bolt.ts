import { Inject, Injectable, Logger } from '@nestjs/common';
import { App, ExpressReceiver, LogLevel } from '@slack/bolt';
import { Router, type Request, type RequestHandler } from 'express';
import { performance } from 'node:perf_hooks';
import type { PalisadeConfig } from '../../../lib/config/env';
import { SlackTemplates } from '../../../lib/slack/templates';
import { PALISADE_CONFIG } from '../config/config.module';
import { BoltLogger } from './bolt-logger';

/** When each Slack request reached the API, before Bolt checks its signature (Bolt hands it to handlers as `context.receivedAt`). */
const receivedAt = new WeakMap<Request, number>();

/** Where Slack sends events, interactions, slash commands and options (the app manifest's request URL). */
export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * The Bolt app inside the API process. Bolt's ExpressReceiver verifies every request's
 * signature (v0, 5-minute tolerance) before any handler runs; its router is mounted ahead of
 * the API's body parsers, since the signature covers the raw bytes. Without Slack credentials,
 * the same path answers 503 saying how to connect Slack.
 */
@Injectable()
export class SlackBolt {
  readonly app: App | undefined;
  readonly templates: SlackTemplates | undefined;
  readonly router: Router;
  private readonly log = new Logger('Slack');

  constructor(@Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig) {
    this.router = Router();
    const slack = config.slack;
    if (!slack) {
      this.router.post(SLACK_EVENTS_PATH, slackOff);
      return;
    }
    this.templates = new SlackTemplates(slack.templatesDir);
    const logger = new BoltLogger();
    logger.setLevel(LogLevel.WARN);
    const receiver = new ExpressReceiver({
      signingSecret: slack.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      logger,
      processBeforeResponse: false,
      customPropertiesExtractor: (req) => ({ receivedAt: receivedAt.get(req) }),
    });
    this.router.use(SLACK_EVENTS_PATH, (req, _res, next) => {
      receivedAt.set(req, performance.now());
      next();
    });
    // Bolt answers a bad signature with an empty 401: give it Palisade's error body.
    this.router.use(SLACK_EVENTS_PATH, explainUnauthorized);
    this.router.use(receiver.router);
    this.app = new App({
      receiver,
      logger,
      // A single workspace and its bot token; no auth.test on every request (Slack may be down when a click arrives).
      authorize: () => Promise.resolve({ botToken: slack.botToken }),
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 1_000 }, timeout: 2_500 },
    });
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

const slackOff: RequestHandler = (_req, res) => {
  res
    .status(503)
    .json({ error: 'slack_not_configured', message: 'Slack is not connected to this Palisade.', hint: 'Set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN and restart (README: "Connect Slack"); approvals work through the API meanwhile.' });
};

const explainUnauthorized: RequestHandler = (_req, res, next) => {
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    if (res.statusCode === 401 && (body === undefined || body === '')) {
      res.type('application/json');
      return send(
        JSON.stringify({
          error: 'slack_signature_invalid',
          message: 'The request is not signed by Slack: X-Slack-Signature or X-Slack-Request-Timestamp is missing, wrong, or older than 5 minutes.',
          hint: 'Slack signs with the app\'s signing secret; set the same value in SLACK_SIGNING_SECRET. Nothing was decided.',
        }),
      );
    }
    return send(body);
  };
  next();
};
