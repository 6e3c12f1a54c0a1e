import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';

/**
 * An id Palisade made (a UUID, any version): the services check path ids with it and the
 * OpenAPI document declares them with it, so the two cannot disagree.
 */
export const uuidSchema = z.guid({ message: 'expected a UUID' });

export const isUuid = (value: string): boolean => uuidSchema.safeParse(value).success;

/** A time as the API writes it (ISO 8601, UTC). */
export const timeSchema = z.iso.datetime({ offset: true });

/** The body of every error the API answers (ErrorFilter), whatever the status: the `ErrorBody` component. */
export const errorBodySchema = z
  .object({
    error: z.string().describe('A stable code to act on, e.g. incident_not_found; each response lists the codes it carries.'),
    message: z.string().describe('What was wrong, in a sentence.'),
    hint: z.string().describe('What to do about it.'),
  })
  .meta({ id: 'ErrorBody' });

export const ERROR_BODY_REF = '#/components/schemas/ErrorBody';

/** A zod schema as an OpenAPI 3.1 schema object (JSON Schema 2020-12), for what the decorators cannot describe. */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): SchemaObject {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
  return rest as SchemaObject;
}

/**
 * A zod enum of every value of a string union type, checked when compiled: a value added to the
 * type and not here is a type error, so the document never omits one.
 */
export const enumOf =
  <T extends string>() =>
  <const V extends readonly [T, ...T[]]>(values: V & ([Exclude<T, V[number]>] extends [never] ? unknown : { missing: Exclude<T, V[number]> })) =>
    z.enum(values);
