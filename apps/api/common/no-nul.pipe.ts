import { HttpStatus, Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { ApiError } from './error.filter';

/**
 * Refuses a NUL character (U+0000) anywhere in a request's body, query or path: Postgres text
 * cannot store one, so it would fail later as a 500 (or an activity retrying for ever).
 */
@Injectable()
export class NoNulPipe implements PipeTransform {
  transform(value: unknown, meta: ArgumentMetadata): unknown {
    if (meta.type === 'custom') return value;
    const where = nulAt(value, meta.type === 'body' ? '' : (meta.data ?? ''));
    if (where !== undefined) {
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'invalid_request',
        `The request is not valid: ${where || meta.type}: contains a NUL character (\\u0000), which Palisade cannot store.`,
        'Remove the NUL characters (U+0000) from the field named above.',
      );
    }
    return value;
  }
}

/** The path of the first string (or key) holding a NUL, or undefined. */
function nulAt(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = nulAt(item, join(path, String(i)));
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return join(path, JSON.stringify(key));
    const found = nulAt(item, join(path, key));
    if (found !== undefined) return found;
  }
  return undefined;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
