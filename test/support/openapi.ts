import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** The parts of an OpenAPI 3.1 document these checks read. */
export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

export interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; headers?: Record<string, { required?: boolean }>; content?: Record<string, { schema: unknown }> }>;
  security?: Record<string, string[]>[];
}

export const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export async function fetchDocument(baseUrl: string): Promise<OpenApiDoc> {
  const res = await fetch(`${baseUrl}/docs-json`);
  if (res.status !== 200) throw new Error(`GET /docs-json answered ${res.status}`);
  return (await res.json()) as OpenApiDoc;
}

/** The document's path (templated or not) that a request path falls under: `/incidents/{id}` for `/incidents/<uuid>`. */
export function documentPath(doc: OpenApiDoc, requestPath: string): string | undefined {
  const want = requestPath.split('?')[0].split('/');
  const matches = Object.keys(doc.paths).filter((p) => {
    const parts = p.split('/');
    return parts.length === want.length && parts.every((s, i) => /^\{.+\}$/.test(s) || s === want[i]);
  });
  // A concrete path (/webhooks/github) wins over a templated one.
  return matches.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
}

/** Validates answers against the document's response schemas (JSON Schema 2020-12, as OpenAPI 3.1 has it). */
export class ResponseValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: OpenApiDoc) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'openapi', components: doc.components });
  }

  /** The problems of an answer against the document (empty when it conforms): status declared, content type, body, headers. */
  problems(method: string, requestPath: string, answer: { status: number; contentType: string | null; body: unknown; headers?: Headers }): string[] {
    const path = documentPath(this.doc, requestPath);
    const op = path ? this.doc.paths[path][method.toLowerCase()] : undefined;
    if (!path || !op) return [`${method} ${requestPath} is not in the document`];
    const response = op.responses[String(answer.status)];
    if (!response) return [`${method} ${path} does not declare ${answer.status} (it declares ${Object.keys(op.responses).join(', ')})`];
    const problems: string[] = [];
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      if (header.required && !answer.headers?.get(name)) problems.push(`${answer.status} lacks the ${name} header it declares`);
    }
    if (!response.content) return problems;
    const type = (answer.contentType ?? '').split(';')[0].trim();
    const media = response.content[type];
    if (!media) return [...problems, `${method} ${path} ${answer.status} is ${type}, not one of ${Object.keys(response.content).join(', ')}`];
    // Each event of a stream has its schema (schemathesis checks them); here the status and type.
    if (type === 'text/event-stream') return problems;
    const key = `${method} ${path} ${answer.status} ${type}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(media.schema) as object);
      this.compiled.set(key, validate);
    }
    if (!validate(answer.body)) problems.push(...(validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`));
    return problems;
  }
}

/** `#/components/...` refs point into the document, registered as `openapi`. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? `openapi${v}` : rebase(v)]));
}

/** Fetches and checks one answer against the document; returns its status and body for the test to read further. */
export async function conforming(
  validator: ResponseValidator,
  baseUrl: string,
  method: string,
  path: string,
  init: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; problems: string[] }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  const contentType = res.headers.get('content-type');
  const type = (contentType ?? '').split(';')[0].trim();
  const body: unknown = (type === 'application/json' || type.endsWith('+json')) && text ? JSON.parse(text) : text;
  return { status: res.status, body, problems: validator.problems(method, path, { status: res.status, contentType, body, headers: res.headers }) };
}
