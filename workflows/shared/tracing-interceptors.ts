// The bundle's workflow interceptors (lib/temporal/workflow-bundle.ts): OpenTelemetry spans
// of a run (RunWorkflow:<type>, HandleSignal:<name>) and of each activity it schedules
// (StartActivity:<name>, whose context the activity's own span continues), but only for a run
// started with a trace context in its headers, i.e. by an API with tracing on.
//
// Deciding by the start event's headers keeps replay exact: every run recorded before traces
// existed, or with tracing off, replays through no tracing code at all (the interceptors'
// extra awaits around activity results would reorder an older run's commands), and a traced
// run sees the same headers on every replay.
//
// OpenTelemetry is loaded only then, by a require in `execute`: the SDK gives every run its own
// module cache, so a top-level import evaluated OpenTelemetry (123 modules, 0.25 MB) in every
// cached run, traced or not (issue 22, test/unit/workflow-bundle-tracing-lazy.test.ts).
import { defaultPayloadConverter, type Headers, type WorkflowInterceptors } from '@temporalio/workflow';
import type * as OpenTelemetryWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';

type OpenTelemetryInterceptors = {
  inbound: OpenTelemetryWorkflow.OpenTelemetryInboundInterceptor;
  outbound: OpenTelemetryWorkflow.OpenTelemetryOutboundInterceptor;
  internals: OpenTelemetryWorkflow.OpenTelemetryInternalsInterceptor;
};

/** OpenTelemetry's workflow interceptors, evaluated in this run's module cache on first use (webpack bundles the module; the call only evaluates it). */
function openTelemetryInterceptors(): OpenTelemetryInterceptors {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const otel = require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OpenTelemetryWorkflow;
  return { inbound: new otel.OpenTelemetryInboundInterceptor(), outbound: new otel.OpenTelemetryOutboundInterceptor(), internals: new otel.OpenTelemetryInternalsInterceptor() };
}

/** Where @temporalio/interceptors-opentelemetry's client interceptor puts the W3C context. */
const TRACE_HEADER = '_tracer-data';

function startedTraced(headers: Headers): boolean {
  const payload = headers[TRACE_HEADER];
  if (!payload) return false;
  const carrier = defaultPayloadConverter.fromPayload<Record<string, unknown> | null>(payload);
  return typeof carrier?.traceparent === 'string';
}

export const interceptors = (): WorkflowInterceptors => {
  let traced: OpenTelemetryInterceptors | undefined;
  return {
    inbound: [
      {
        execute: (input, next) => {
          if (!startedTraced(input.headers)) return next(input);
          traced = openTelemetryInterceptors();
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
