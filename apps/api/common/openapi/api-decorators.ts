import { ApiParam, ApiResponse } from '@nestjs/swagger';
import type { HeadersObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { openApiSchema, uuidSchema } from './schemas';

/** A path parameter described by the zod schema the service checks it with. */
export function ApiPathParam(name: string, schema: z.ZodType, description: string): MethodDecorator & ClassDecorator {
  return ApiParam({ name, required: true, description, schema: openApiSchema(schema) });
}

/** A path parameter holding an id Palisade made (a UUID). */
export function ApiIdParam(name: string, description: string): MethodDecorator & ClassDecorator {
  return ApiPathParam(name, uuidSchema, description);
}

const components = new Map<string, z.ZodType>();

/** A zod schema named with `.meta({ id })`, as a $ref to its component (written by `zodComponents`). */
export function componentRef(schema: z.ZodType): { $ref: string } {
  const id = schema.meta()?.id;
  if (typeof id !== 'string') throw new Error('A schema in the OpenAPI document needs a name: .meta({ id }).');
  if (components.get(id) !== undefined && components.get(id) !== schema) throw new Error(`Two different schemas are named ${id}.`);
  components.set(id, schema);
  return { $ref: `#/components/schemas/${id}` };
}

/** A response whose body the zod schema describes (as the route answers it: the schema's output). */
export function ApiZodResponse(status: number, schema: z.ZodType, description: string, headers?: HeadersObject): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, description, schema: componentRef(schema), ...(headers ? { headers } : {}) });
}

/** Every schema named through `componentRef`, and the named schemas inside them, as components. */
export function zodComponents(): Record<string, SchemaObject> {
  const out: Record<string, SchemaObject> = {};
  for (const schema of components.values()) {
    const { $defs } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) as { $defs?: Record<string, unknown> };
    for (const [name, def] of Object.entries($defs ?? {})) out[name] = toComponentRefs(def) as SchemaObject;
  }
  return out;
}

/** `#/$defs/X` (zod's) as `#/components/schemas/X` (the document's). */
function toComponentRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toComponentRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : toComponentRefs(v)]),
  );
}
