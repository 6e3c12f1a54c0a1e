import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { requireDatabaseUrl, type PalisadeConfig } from '../../../lib/config/env';
import { dataSourceOptions } from '../../../lib/db/data-source';
import { PALISADE_CONFIG } from '../config/config.module';
import { EmbeddedMaintenance } from './embedded-maintenance.service';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [PALISADE_CONFIG],
      useFactory: (config: PalisadeConfig) => ({
        ...dataSourceOptions({
          url: requireDatabaseUrl(config),
          poolSize: config.database.poolSize,
          applicationName: 'palisade-api',
        }),
        // Fail fast at start with a clear error instead of Nest's silent retry loop.
        retryAttempts: 0,
      }),
    }),
  ],
  providers: [EmbeddedMaintenance],
})
export class DatabaseModule {}
