import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, type OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';
import type { Tracing } from '../../lib/telemetry/tracing';

/** The workflow bundle's tracing interceptors hand their spans here; with tracing off, to nothing. */
const NO_SPANS: InjectedSinks<OpenTelemetrySinks> = { exporter: { export: { fn: () => undefined } } };

/**
 * The worker's part of a trace: each activity runs in a span under the workflow's
 * StartActivity span (its headers), and the workflow's own spans, made inside the bundle
 * (lib/temporal/workflow-bundle.ts), leave it through the `exporter` sink. Off: no activity
 * interceptor, and the sink drops what the bundle hands it.
 */
export function workflowTracing(tracing: Tracing | undefined): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!tracing) return { sinks: NO_SPANS };
  return {
    interceptors: {
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}
