import { readFileSync } from 'node:fs';
import { Module } from '@nestjs/common';
import type { PalisadeConfig } from '../../../lib/config/env';
import { PalisadeError } from '../../../lib/errors';
import { loadRouting } from '../../../lib/intake/routing';
import { DataSource } from 'typeorm';
import { createSecretScanning } from '../../../activities/providers/registry';
import { loadProvidersConfig } from '../../../lib/providers/providers-file';
import { CATALOGUE, PALISADE_CONFIG, VENDOR_ENV } from '../config/config.module';
import type { Catalogue } from '../../../lib/playbooks/catalogue';
import type { Redactor } from '../../../lib/intake/redact';
import { LeakedSecrets } from './leaked-secrets';
import { SuppressionsModule } from '../suppressions/suppressions.module';
import { SnsSignatureVerifier } from './auth/sns-signature';
import { ReplayCache } from './auth/verify';
import { InboxDispatcher } from './inbox-dispatcher.service';
import { IntakeService } from './intake.service';
import { WebhooksController } from './webhooks.controller';
import { LEAKED_SECRETS, REDACTOR, REPLAY_CACHE, ROUTING, SNS_CONFIRMER, SNS_VERIFIER } from './webhooks.tokens';
import { SnsSubscriptionConfirmer } from './auth/sns-subscriptions';

@Module({
  imports: [SuppressionsModule],
  controllers: [WebhooksController],
  providers: [
    IntakeService,
    InboxDispatcher,
    { provide: ROUTING, inject: [PALISADE_CONFIG, CATALOGUE], useFactory: (c: PalisadeConfig, catalogue: Catalogue) => loadRouting(c.intake.routingFile, catalogue) },
    // One per application (a factory, not a value made when this file loads), so two apps in one process are two replicas.
    { provide: REPLAY_CACHE, useFactory: () => new ReplayCache() },
    { provide: SNS_VERIFIER, inject: [PALISADE_CONFIG], useFactory: snsVerifier },
    { provide: SNS_CONFIRMER, inject: [PALISADE_CONFIG], useFactory: (c: PalisadeConfig) => new SnsSubscriptionConfirmer({ enabled: c.intake.snsAutoConfirm }) },
    { provide: LEAKED_SECRETS, inject: [DataSource, PALISADE_CONFIG, VENDOR_ENV, REDACTOR], useFactory: leakedSecrets },
  ],
  exports: [InboxDispatcher],
})
export class WebhooksModule {}

/** GitHub's REST API as the door reads leaked secrets with it: the vendor runbooks/providers.yaml names, as the worker builds it. */
function leakedSecrets(db: DataSource, config: PalisadeConfig, env: Readonly<Record<string, string | undefined>>, redactor: Redactor): LeakedSecrets {
  const vendor = createSecretScanning(loadProvidersConfig(config.playbooks.providersFile), { env, fingerprint: (value) => redactor.fingerprint(value) });
  return new LeakedSecrets(db, vendor ? { reader: vendor, timeoutMs: vendor.intakeTimeoutMs ?? 2_000 } : undefined);
}

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
