import { z } from 'zod';

/**
 * Text a person writes (a title, a reason, a note): at most `max` characters as sent, not only
 * white space, stored trimmed. Both rules are checked on the text as sent, so the OpenAPI
 * document's `maxLength` and `pattern` say exactly what is accepted (a 301-character title whose
 * first character was a tab used to pass a 300 limit once trimmed).
 */
export function writtenText(max: number) {
  return z.string().max(max).regex(/\S/, 'must not be blank').trim();
}

/** Text that may be empty, at most `max` characters as sent, stored trimmed. */
export function trimmedText(max: number) {
  return z.string().max(max).trim();
}
