import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { PalisadeConfig } from '../../../lib/config/env';

/** Injection token for the validated configuration (see lib/config/env.ts). */
export const PALISADE_CONFIG = Symbol('PALISADE_CONFIG');
/** The environment the vendors' secret variables are read from (runbooks/providers.yaml names them). */
export const VENDOR_ENV = Symbol('VENDOR_ENV');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: PalisadeConfig, env: Readonly<Record<string, string | undefined>> = {}): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: PALISADE_CONFIG, useValue: config },
        { provide: VENDOR_ENV, useValue: env },
      ],
      exports: [PALISADE_CONFIG, VENDOR_ENV],
    };
  }
}
