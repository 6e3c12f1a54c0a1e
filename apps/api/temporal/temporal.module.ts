import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { requireTemporalAddress, type PalisadeConfig } from '../../../lib/config/env';
import { PALISADE_CONFIG } from '../config/config.module';

/**
 * The Temporal client. The connection is lazy, so the API starts (and `/readyz` can say
 * what is wrong) while Temporal is still down.
 */
@Global()
@Module({
  providers: [
    {
      provide: Client,
      inject: [PALISADE_CONFIG],
      useFactory: (config: PalisadeConfig) =>
        new Client({
          connection: Connection.lazy({ address: requireTemporalAddress(config) }),
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
  constructor(@Inject(Client) private readonly client: Client) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.connection.close();
  }
}
