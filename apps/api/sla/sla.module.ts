import { Global, Module } from '@nestjs/common';
import { existsSync } from 'node:fs';
import type { PalisadeConfig } from '../../../lib/config/env';
import { pagingPlan } from '../../../lib/paging/plan';
import { loadProvidersConfig } from '../../../lib/providers/providers-file';
import { loadSlaPolicy } from '../../../lib/sla/policy';
import { PALISADE_CONFIG } from '../config/config.module';
import { SlaWatcher } from './sla-watcher.service';
import { SLA_PAGING, SLA_POLICY } from './sla.tokens';

/** SLA timers (issue 20, item 6): the policy, read once (a broken file stops the start), and the breach sweep. */
@Global()
@Module({
  providers: [
    { provide: SLA_POLICY, inject: [PALISADE_CONFIG], useFactory: (config: PalisadeConfig) => loadSlaPolicy(config.api.slaFile, existsSync) },
    { provide: SLA_PAGING, inject: [PALISADE_CONFIG], useFactory: (config: PalisadeConfig) => pagingPlan(loadProvidersConfig(config.playbooks.providersFile), config.playbooks.pagingFile) },
    SlaWatcher,
  ],
  exports: [SLA_POLICY, SlaWatcher],
})
export class SlaModule {}
