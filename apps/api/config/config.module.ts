import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { PalisadeConfig } from '../../../lib/config/env';
import type { Catalogue } from '../../../lib/playbooks/catalogue';

/** Injection token for the validated configuration (see lib/config/env.ts). */
export const PALISADE_CONFIG = Symbol('PALISADE_CONFIG');
/** The environment the vendors' secret variables are read from (runbooks/providers.yaml names them). */
export const VENDOR_ENV = Symbol('VENDOR_ENV');
/** Every playbook the engine runs, from their declarations (apps/playbooks/load.ts). */
export const CATALOGUE = Symbol('CATALOGUE');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: PalisadeConfig, env: Readonly<Record<string, string | undefined>>, catalogue: Catalogue): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: PALISADE_CONFIG, useValue: config },
        { provide: VENDOR_ENV, useValue: env },
        { provide: CATALOGUE, useValue: catalogue },
      ],
      exports: [PALISADE_CONFIG, VENDOR_ENV, CATALOGUE],
    };
  }
}
