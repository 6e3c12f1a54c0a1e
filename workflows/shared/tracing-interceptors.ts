// The bundle's workflow interceptors (lib/temporal/workflow-bundle.ts): OpenTelemetry spans
// of a run (RunWorkflow:<type>, HandleSignal:<name>) and of each activity it schedules
// (StartActivity:<name>, whose context the activity's own span continues), but only for a run
// started with a trace context in its headers, i.e. by an API with tracing on.
//
// Deciding by the start event's headers keeps replay exact: every run recorded before traces
// existed, or with tracing off, replays through no tracing code at all (the interceptors'
// extra awaits around activity results would reorder an older run's commands), and a traced
// run sees the same headers on every replay.
import { defaultPayloadConverter, type Headers, type WorkflowInterceptors } from '@temporalio/workflow';
import { OpenTelemetryInboundInterceptor, OpenTelemetryInternalsInterceptor, OpenTelemetryOutboundInterceptor } from '@temporalio/interceptors-opentelemetry/lib/workflow';

/** Where @temporalio/interceptors-opentelemetry's client interceptor puts the W3C context. */
const TRACE_HEADER = '_tracer-data';

function startedTraced(headers: Headers): boolean {
  const payload = headers[TRACE_HEADER];
  if (!payload) return false;
  const carrier = defaultPayloadConverter.fromPayload<Record<string, unknown> | null>(payload);
  return typeof carrier?.traceparent === 'string';
}

export const interceptors = (): WorkflowInterceptors => {
  let traced: { inbound: OpenTelemetryInboundInterceptor; outbound: OpenTelemetryOutboundInterceptor; internals: OpenTelemetryInternalsInterceptor } | undefined;
  return {
    inbound: [
      {
        execute: (input, next) => {
          if (!startedTraced(input.headers)) return next(input);
          traced = { inbound: new OpenTelemetryInboundInterceptor(), outbound: new OpenTelemetryOutboundInterceptor(), internals: new OpenTelemetryInternalsInterceptor() };
          return traced.inbound.execute(input, next);
        },
        handleSignal: (input, next) => (traced ? traced.inbound.handleSignal(input, next) : next(input)),
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => (traced ? traced.outbound.scheduleActivity(input, next) : next(input)),
        scheduleLocalActivity: (input, next) => (traced ? traced.outbound.scheduleLocalActivity(input, next) : next(input)),
        startChildWorkflowExecution: (input, next) => (traced ? traced.outbound.startChildWorkflowExecution(input, next) : next(input)),
        continueAsNew: (input, next) => (traced ? traced.outbound.continueAsNew(input, next) : next(input)),
        signalWorkflow: (input, next) => (traced ? traced.outbound.signalWorkflow(input, next) : next(input)),
      },
    ],
    internals: [
      {
        dispose: (input, next) => {
          // Synchronous up to next(): it only turns off the run's context manager first.
          if (traced) void traced.internals.dispose(input, next);
          else next(input);
        },
      },
    ],
  };
};
