import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { requireTemporalAddress, type PalisadeConfig } from '../../../lib/config/env';
import { closableConnection, type ClosableConnection } from '../../../lib/temporal/closable-connection';
import { PALISADE_CONFIG } from '../config/config.module';

/** The API's connection to Temporal, closed at shutdown (lib/temporal/closable-connection.ts). */
const TEMPORAL_CONNECTION = Symbol('TEMPORAL_CONNECTION');

/**
 * The Temporal client. The connection is lazy, so the API starts (and `/readyz` can say
 * what is wrong) while Temporal is still down; closing it at shutdown ends a call that waits to
 * be retried instead of crashing the process.
 */
@Global()
@Module({
  providers: [
    {
      provide: TEMPORAL_CONNECTION,
      inject: [PALISADE_CONFIG],
      useFactory: (config: PalisadeConfig): ClosableConnection => closableConnection({ address: requireTemporalAddress(config) }),
    },
    {
      provide: Client,
      inject: [PALISADE_CONFIG, TEMPORAL_CONNECTION],
      useFactory: (config: PalisadeConfig, temporal: ClosableConnection) =>
        new Client({
          connection: temporal.connection,
          namespace: config.temporal.namespace,
          // Start, signal and signalWithStart in spans whose context rides in the headers
          // (lib/telemetry/tracing.ts); with tracing off, no-op spans and no headers.
          interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
        }),
    },
  ],
  exports: [Client],
})
export class TemporalModule implements OnApplicationShutdown {
  constructor(@Inject(TEMPORAL_CONNECTION) private readonly temporal: ClosableConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.temporal.close();
  }
}
