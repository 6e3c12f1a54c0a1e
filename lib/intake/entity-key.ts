import { createHash } from 'node:crypto';
import type { AlertEntity } from './alert';

/**
 * The longest entity key Palisade keeps, in UTF-8 bytes. The key becomes the incident's
 * entity and the `PalisadeEntity` search attribute, which Temporal refuses past 2 KiB: a
 * payload with a 5,000-character hostname would otherwise be answered 202 and never reach a
 * playbook. (Routing prefixes the kind, e.g. `host:`, and that must fit too.)
 */
export const MAX_ENTITY_KEY_BYTES = 1_000;
/** What a responder reads of an entity; the vendor's whole value stays in the alert's raw payload. */
export const MAX_ENTITY_DISPLAY_LENGTH = 300;

const HASH_CHARS = 16;
/** `…#` and the digest, in bytes (the ellipsis is three). */
const SUFFIX_BYTES = 3 + 1 + HASH_CHARS;

/**
 * `key` itself when short enough; otherwise as much of its start as fits, an ellipsis and a
 * digest of the whole value, so two long keys that share a prefix stay apart and one key
 * always maps to the same.
 */
export function boundedKey(key: string, maxBytes = MAX_ENTITY_KEY_BYTES): string {
  if (Buffer.byteLength(key) <= maxBytes) return key;
  const digest = createHash('sha256').update(key).digest('hex').slice(0, HASH_CHARS);
  let prefix = '';
  let bytes = 0;
  for (const char of key) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes - SUFFIX_BYTES) break;
    prefix += char;
    bytes += size;
  }
  return `${prefix}…#${digest}`;
}

/** The entity with its key and display bounded (see boundedKey). */
export function boundedEntity(entity: AlertEntity): AlertEntity {
  const display = entity.display.length > MAX_ENTITY_DISPLAY_LENGTH ? `${entity.display.slice(0, MAX_ENTITY_DISPLAY_LENGTH - 1)}…` : entity.display;
  return { kind: entity.kind, key: boundedKey(entity.key), display };
}
