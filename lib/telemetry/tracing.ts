import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export type ServiceName = 'palisade-api' | 'palisade-worker';

/** The process's tracing, when it is on: what the worker hands its workflow spans to. */
export interface Tracing {
  spanProcessor: SpanProcessor;
  resource: Resource;
  shutdown: () => Promise<void>;
}

/**
 * Installs this process's tracer provider (W3C trace context, async context across awaits)
 * exporting over OTLP/HTTP to `otlpEndpoint`, or to `spanProcessor` (the tests' in-memory
 * exporter). Neither: tracing stays off, every span below is the API's no-op span.
 */
export function startTracing(opts: { service: ServiceName; otlpEndpoint?: string; spanProcessor?: SpanProcessor }): Tracing | undefined {
  const spanProcessor =
    opts.spanProcessor ?? (opts.otlpEndpoint ? new BatchSpanProcessor(new OTLPTraceExporter({ url: `${opts.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` })) : undefined);
  if (!spanProcessor) return undefined;
  const resource = new Resource({ 'service.name': opts.service });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    spanProcessor,
    resource,
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

const tracer = () => trace.getTracer('palisade');

/** Runs `fn` in a span (a child of `parent`, or of the active span), ended when it settles; errors mark it. */
export async function inSpan<T>(
  name: string,
  opts: { attributes?: Attributes; kind?: SpanKind; parent?: Context; links?: Link[] },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(name, { attributes: opts.attributes, kind: opts.kind ?? SpanKind.INTERNAL, links: opts.links }, opts.parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The active span's W3C traceparent, to store beside what another process picks up; null when tracing is off. */
export function currentTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored traceparent names (the root context for none). */
export function contextOf(traceparent: string | null | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** Links to the traces stored traceparents name. */
export function linksTo(traceparents: readonly (string | null | undefined)[]): Link[] {
  return traceparents.flatMap((t) => {
    const span = t ? trace.getSpanContext(contextOf(t)) : undefined;
    return span ? [{ context: span }] : [];
  });
}

export { SpanKind };
