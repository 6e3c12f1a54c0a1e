import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { PalisadeConfig } from '../../../lib/config/env';

/** Injection token for the validated configuration (see lib/config/env.ts). */
export const PALISADE_CONFIG = Symbol('PALISADE_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: PalisadeConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: PALISADE_CONFIG, useValue: config }],
      exports: [PALISADE_CONFIG],
    };
  }
}
