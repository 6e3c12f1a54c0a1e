import { Module } from '@nestjs/common';
import type { PalisadeConfig } from '../../../lib/config/env';
import { PalisadeError } from '../../../lib/errors';
import { Redactor } from '../../../lib/intake/redact';
import { loadRouting } from '../../../lib/intake/routing';
import { PALISADE_CONFIG } from '../config/config.module';
import { SuppressionsModule } from '../suppressions/suppressions.module';
import { SnsSignatureVerifier } from './auth/sns-signature';
import { ReplayCache } from './auth/verify';
import { InboxDispatcher } from './inbox-dispatcher.service';
import { IntakeService } from './intake.service';
import { WebhooksController } from './webhooks.controller';
import { REDACTOR, REPLAY_CACHE, ROUTING, SNS_VERIFIER } from './webhooks.tokens';

@Module({
  imports: [SuppressionsModule],
  controllers: [WebhooksController],
  providers: [
    IntakeService,
    InboxDispatcher,
    { provide: ROUTING, inject: [PALISADE_CONFIG], useFactory: (c: PalisadeConfig) => loadRouting(c.intake.routingFile) },
    { provide: REDACTOR, inject: [PALISADE_CONFIG], useFactory: (c: PalisadeConfig) => new Redactor(redactionKey(c)) },
    { provide: REPLAY_CACHE, useValue: new ReplayCache() },
    { provide: SNS_VERIFIER, inject: [PALISADE_CONFIG], useFactory: (c: PalisadeConfig) => new SnsSignatureVerifier({ topicArns: c.intake.snsTopicArns }) },
  ],
  exports: [InboxDispatcher],
})
export class WebhooksModule {}

function redactionKey(config: PalisadeConfig): Buffer {
  if (!config.intake.redactionKey) {
    throw new PalisadeError(
      'redaction_key_missing',
      'PALISADE_REDACTION_KEY is not set: leaked secrets could not be fingerprinted safely.',
      'Set PALISADE_REDACTION_KEY to a random value of 32+ characters (e.g. `openssl rand -hex 32`) and keep it stable; `npm start` makes one in the data folder.',
    );
  }
  return Buffer.from(config.intake.redactionKey);
}
