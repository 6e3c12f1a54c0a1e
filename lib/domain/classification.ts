/**
 * What a closed incident turned out to be, as a responder (or the playbook) said when closing
 * it: what false-positive rates per rule are computed from (GET /reports/false-positives).
 */
export const CLASSIFICATIONS = ['true_positive', 'benign_true_positive', 'false_positive', 'duplicate', 'test'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** `classified_by` when a playbook resolved the incident by itself. */
export const AUTOMATION = 'automation';

/** The classification of a closed incident: what, why, and who said so. */
export interface ClassificationRecord {
  classification: Classification;
  reason: string;
  by: string;
}

/** "benign_true_positive" → "benign true positive", for sentences. */
export function classificationLabel(c: Classification): string {
  return c.replaceAll('_', ' ');
}

/** The sentence a refused value gets: every allowed value, named. */
export const CLASSIFICATION_EXPECTED = `expected one of ${CLASSIFICATIONS.join(', ')}`;
