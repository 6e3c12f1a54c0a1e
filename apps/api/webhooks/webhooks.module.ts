import { readFileSync } from 'node:fs';
import { Module } from '@nestjs/common';
import type { PalisadeConfig } from '../../../lib/config/env';
import { PalisadeError } from '../../../lib/errors';
import { loadRouting } from '../../../lib/intake/routing';
import { PALISADE_CONFIG } from '../config/config.module';
import { SuppressionsModule } from '../suppressions/suppressions.module';
import { SnsSignatureVerifier } from './auth/sns-signature';
import { ReplayCache } from './auth/verify';
import { InboxDispatcher } from './inbox-dispatcher.service';
import { IntakeService } from './intake.service';
import { WebhooksController } from './webhooks.controller';
import { REPLAY_CACHE, ROUTING, SNS_CONFIRMER, SNS_VERIFIER } from './webhooks.tokens';
import { SnsSubscriptionConfirmer } from './auth/sns-subscriptions';

@Module({
  imports: [SuppressionsModule],
  controllers: [WebhooksController],
  providers: [
    IntakeService,
    InboxDispatcher,
    { provide: ROUTING, inject: [PALISADE_CONFIG], useFactory: (c: PalisadeConfig) => loadRouting(c.intake.routingFile) },
    { provide: REPLAY_CACHE, useValue: new ReplayCache() },
    { provide: SNS_VERIFIER, inject: [PALISADE_CONFIG], useFactory: snsVerifier },
    { provide: SNS_CONFIRMER, inject: [PALISADE_CONFIG], useFactory: (c: PalisadeConfig) => new SnsSubscriptionConfirmer({ enabled: c.intake.snsAutoConfirm }) },
  ],
  exports: [InboxDispatcher],
})
export class WebhooksModule {}

function snsVerifier(config: PalisadeConfig): SnsSignatureVerifier {
  const { snsCaFile, snsTopicArns } = config.intake;
  if (!snsCaFile) return new SnsSignatureVerifier({ topicArns: snsTopicArns });
  let pem: string;
  try {
    pem = readFileSync(snsCaFile, 'utf8');
  } catch (err) {
    throw new PalisadeError('sns_ca_unreadable', `PALISADE_SNS_CA_FILE ${snsCaFile} cannot be read: ${(err as Error).message}.`, 'Point it at a PEM file of CA certificates, or unset it to use the system root store.');
  }
  const cas = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (cas.length === 0) {
    throw new PalisadeError('sns_ca_unreadable', `PALISADE_SNS_CA_FILE ${snsCaFile} holds no PEM certificate.`, 'Point it at a PEM file of CA certificates, or unset it to use the system root store.');
  }
  return new SnsSignatureVerifier({ topicArns: snsTopicArns, trustedCas: cas });
}
