import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The default task queue workers poll and clients start workflows on (PALISADE_TASK_QUEUE). */
export const TASK_QUEUE = 'palisade';

/**
 * Search attributes set on every playbook run, so incidents can be found in Temporal's UI
 * and API. `npm start` and the test setup register them on the namespace.
 */
export const SEARCH_ATTRIBUTE = {
  playbook: defineSearchAttributeKey('PalisadePlaybook', SearchAttributeType.KEYWORD),
  playbookVersion: defineSearchAttributeKey('PalisadePlaybookVersion', SearchAttributeType.KEYWORD),
  severity: defineSearchAttributeKey('PalisadeSeverity', SearchAttributeType.KEYWORD),
  entity: defineSearchAttributeKey('PalisadeEntity', SearchAttributeType.KEYWORD),
  source: defineSearchAttributeKey('PalisadeSource', SearchAttributeType.KEYWORD_LIST),
} as const;

/** `NAME=Type` pairs for `temporal server start-dev --search-attribute`. */
export function searchAttributeFlags(): string[] {
  const cliType: Record<string, string> = {
    [SearchAttributeType.KEYWORD]: 'Keyword',
    [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  };
  return Object.values(SEARCH_ATTRIBUTE).flatMap((key) => ['--search-attribute', `${key.name}=${cliType[key.type]}`]);
}
