import 'reflect-metadata';
import type { LoggerService } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import { raw } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { PalisadeConfig } from '../../lib/config/env';
import { checkApprovalPolicies } from '../../lib/approvals/policy-check';
import { loadApprovalPolicies } from '../../lib/approvals/policy-file';
import { loadPlaybooks } from '../playbooks/load';
import { AppModule } from './app.module';
import { methodNotAllowed } from './common/method-not-allowed';
import { apiRoutes } from './common/routes';
import { openApiDocument, RAW_BODY_PREFIX } from './openapi-document';
import { SlackBolt } from './slack/slack.bolt';

export type LogLevels = ('log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal')[];

/**
 * Builds the API (used by main.ts and by the tests, which listen on a free port). `env` is where
 * the vendors' secret variables are read (the door reads a leaked secret from GitHub).
 */
export async function createApiApp(config: PalisadeConfig, logger: LogLevels | LoggerService | false = ['error', 'warn'], env: Readonly<Record<string, string | undefined>> = {}) {
  // The playbooks and what operators wrote about them, checked before anything listens.
  const { catalogue } = await loadPlaybooks(config.playbooks.teamDirs);
  loadApprovalPolicies(config.playbooks.approvalsFile);
  checkApprovalPolicies(config.playbooks.approvalsFile, catalogue);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, env, catalogue), { logger, bodyParser: false });
  app.enableShutdownHooks();
  // Ahead of everything: a method the path does not have is 405, whatever the body.
  app.use(methodNotAllowed(apiRoutes(app.get(ModulesContainer))));
  // Webhooks are verified on their exact bytes: keep the raw body, whatever the content type.
  app.use(RAW_BODY_PREFIX, raw({ type: () => true, limit: config.intake.maxBodyBytes }));
  // Slack signs the raw body too: Bolt reads it itself, ahead of the JSON parser.
  app.use(app.get(SlackBolt).router);
  app.useBodyParser('json', { limit: '1mb' });
  SwaggerModule.setup('docs', app, openApiDocument(app));
  return app;
}
