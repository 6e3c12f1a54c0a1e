import type { Classification } from '../domain/classification';
import type { SourceName } from '../intake/alert';

/**
 * The label that names the vendor's own rule (the detection that fired) for each source, as
 * its adapter stores it (lib/intake/sources/): Falco's rule, Elastic's rule name, Splunk's
 * saved search, Wazuh's rule id, GuardDuty's finding type, Security Hub's generator, GitHub's
 * secret type. A source without one (Sentinel, a generic sender without a `rule` label) is
 * known by the alert's title.
 */
export const VENDOR_RULE_LABEL: Record<SourceName, string | null> = {
  falco: 'rule',
  elastic: 'rule_name',
  splunk: 'search_name',
  wazuh: 'rule_id',
  guardduty: 'findingType',
  securityhub: 'generatorId',
  github: 'secretType',
  sentinel: null,
  generic: 'rule',
};

/** One alert of a classified incident: the routing rule that sent it, and the vendor's rule. */
export interface ClassifiedAlert {
  incidentId: string;
  classification: Classification;
  source: string;
  /** The routing rule (runbooks/routing.yaml) that matched it; null: none recorded. */
  routingRule: string | null;
  vendorRule: string;
}

export interface FalsePositiveRate {
  /** The routing rule's name; or `source: vendor rule`. */
  rule: string;
  source?: string;
  /** Classified incidents this rule's alerts were part of. */
  incidents: number;
  falsePositives: number;
  /** falsePositives / incidents, 0–1; test and duplicate incidents are not counted at all. */
  rate: number;
  byClassification: Partial<Record<Classification, number>>;
}

/** Classifications that say nothing about a rule's precision: a drill, or a second incident for the same thing. */
const NOT_COUNTED: readonly Classification[] = ['test', 'duplicate'];

/**
 * False-positive rate per rule: of the classified incidents a rule's alerts were part of (each
 * incident once per rule, however many alerts it had from it), how many were false positives.
 * Sorted by rate, highest first, then by incidents.
 */
export function falsePositiveRates(alerts: readonly ClassifiedAlert[], per: 'routing' | 'vendor'): FalsePositiveRate[] {
  const rules = new Map<string, { source?: string; incidents: Map<string, Classification> }>();
  for (const a of alerts) {
    if (NOT_COUNTED.includes(a.classification)) continue;
    const rule = per === 'routing' ? (a.routingRule ?? '(no routing rule)') : `${a.source}: ${a.vendorRule}`;
    const entry = rules.get(rule) ?? { ...(per === 'vendor' ? { source: a.source } : {}), incidents: new Map() };
    entry.incidents.set(a.incidentId, a.classification);
    rules.set(rule, entry);
  }
  return [...rules.entries()]
    .map(([rule, { source, incidents }]) => {
      const byClassification: Partial<Record<Classification, number>> = {};
      for (const c of incidents.values()) byClassification[c] = (byClassification[c] ?? 0) + 1;
      const falsePositives = byClassification.false_positive ?? 0;
      return { rule, ...(source ? { source } : {}), incidents: incidents.size, falsePositives, rate: falsePositives / incidents.size, byClassification };
    })
    .sort((a, b) => b.rate - a.rate || b.incidents - a.incidents || (a.rule < b.rule ? -1 : 1));
}
