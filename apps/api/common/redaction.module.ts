import { Global, Module } from '@nestjs/common';
import type { PalisadeConfig } from '../../../lib/config/env';
import { PalisadeError } from '../../../lib/errors';
import { Redactor } from '../../../lib/intake/redact';
import { PALISADE_CONFIG } from '../config/config.module';
import { REDACTOR } from '../webhooks/webhooks.tokens';

/**
 * The one Redactor of the API process: the door redacts alerts with it, and the approvals,
 * incidents and playbooks services redact what people type (reasons, titles, params) before
 * it reaches Temporal history.
 */
@Global()
@Module({
  providers: [{ provide: REDACTOR, inject: [PALISADE_CONFIG], useFactory: (c: PalisadeConfig) => new Redactor(redactionKey(c)) }],
  exports: [REDACTOR],
})
export class RedactionModule {}

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
