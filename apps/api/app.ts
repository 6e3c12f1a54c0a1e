import 'reflect-metadata';
import type { LoggerService } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply } from 'fastify';
import type { PalisadeConfig } from '../../lib/config/env';
import type { ErrorBody } from '../../lib/errors';
import { checkApprovalPolicies } from '../../lib/approvals/policy-check';
import { loadApprovalPolicies } from '../../lib/approvals/policy-file';
import { loadPlaybooks } from '../playbooks/load';
import { AppModule } from './app.module';
import { readBodies } from './common/body-parsers';
import { methodNotAllowed } from './common/method-not-allowed';
import { apiRoutes } from './common/routes';
import { openApiDocument, RAW_BODY_PREFIX } from './openapi-document';
import { SLACK_EVENTS_PATH, SlackBolt } from './slack/slack.bolt';

export type LogLevels = ('log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal')[];

/**
 * Builds the API (used by main.ts and by the tests, which listen on a free port). `env` is where
 * the vendors' secret variables are read (the door reads a leaked secret from GitHub).
 *
 * NestJS on Fastify: the same handler answers about twice as many requests a second as on
 * Express on this kind of machine (bench: the bare NestJS baselines).
 */
export async function createApiApp(config: PalisadeConfig, logger: LogLevels | LoggerService | false = ['error', 'warn'], env: Readonly<Record<string, string | undefined>> = {}) {
  // The playbooks and what operators wrote about them, checked before anything listens.
  const { catalogue } = await loadPlaybooks(config.playbooks.teamDirs);
  loadApprovalPolicies(config.playbooks.approvalsFile);
  checkApprovalPolicies(config.playbooks.approvalsFile, catalogue);
  const adapter = new FastifyAdapter({
    // Node's own timeouts, as the API had on Express: an idle keep-alive connection closes after
    // 5 s (Fastify's 72 s is for load balancers that keep theirs 60 s), a request must arrive whole
    // within 5 minutes.
    keepAliveTimeout: 5_000,
    requestTimeout: 300_000,
    // As Express routed: /healthz/ is /healthz, /Incidents is /incidents, and a long id reaches
    // its route's pipe (400 saying what an id looks like) rather than a 404.
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false, maxParamLength: 16 * 1024 },
    // A path Fastify's router cannot decode (%E0%A4%A) is 400 with Palisade's error body, not Fastify's.
    frameworkErrors: (error: FastifyError, _request: unknown, reply: FastifyReply) => {
      const body: ErrorBody = { error: 'bad_request', message: `${error.message}.`, hint: 'Check the URL; the API reference is at /docs.' };
      void reply.status(400).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(body));
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, env, catalogue), adapter, { logger, bodyParser: false });
  app.enableShutdownHooks();
  const fastify = app.getHttpAdapter().getInstance();
  // Ahead of everything: a method the path does not have is 405, whatever the body.
  fastify.addHook('onRequest', methodNotAllowed(apiRoutes(app.get(ModulesContainer))));
  // Webhooks are verified on their exact bytes: the raw body, whatever the content type; JSON
  // elsewhere. Slack signs the raw body too: Bolt reads it itself.
  readBodies(fastify, { rawPrefix: RAW_BODY_PREFIX, rawLimit: config.intake.maxBodyBytes, jsonLimit: '1mb', untouched: [SLACK_EVENTS_PATH] });
  const slack = app.get(SlackBolt);
  fastify.post(SLACK_EVENTS_PATH, (request, reply) => slack.handle(request, reply));
  SwaggerModule.setup('docs', app, openApiDocument(app));
  return app;
}
