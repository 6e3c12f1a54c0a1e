import { z } from 'zod';
import { PalisadeError } from '../errors';
import type { Person } from '../people';
import { readRunbookFile } from '../runbook-file';

const ruleSchema = z
  .object({
    /** The routing rule (runbooks/routing.yaml `name`) whose incidents this assigns. */
    routingRule: z.string().min(1).optional(),
    /** …or the playbook whose incidents this assigns (whatever opened them: an alert, a responder). */
    playbook: z.string().min(1).optional(),
    /** A person's id, or a group of runbooks/people.yaml: its member with the fewest open incidents takes it. */
    assign: z.string().min(1),
  })
  .strict();

const fileSchema = z.object({ rules: z.array(ruleSchema).nullable().default([]) }).strict();

export type AssignmentRule = z.infer<typeof ruleSchema>;

/** `runbooks/assignment.yaml`: who owns a new incident, per routing rule or playbook; the first rule that fits decides. */
export function loadAssignmentRules(file: string, people: Map<string, Person>): AssignmentRule[] {
  const rules = readRunbookFile(file, fileSchema, (reason) => invalid(file, reason)).rules ?? [];
  rules.forEach((rule, i) => {
    const where = `rule ${i + 1}`;
    if (!rule.routingRule === !rule.playbook) throw invalid(file, `${where}: give either 'routingRule' or 'playbook'`);
    if (!people.has(rule.assign) && !groupsOf(people).has(rule.assign)) {
      throw invalid(file, `${where}: '${rule.assign}' is neither a person nor a group in the people file`);
    }
  });
  return rules;
}

/** The first rule for an incident opened by this routing rule (none when a responder opened it) and run by this playbook. */
export function ruleFor(rules: AssignmentRule[], incident: { routingRule: string | null; playbook: string }): AssignmentRule | undefined {
  return rules.find((r) => (r.routingRule !== undefined ? r.routingRule === incident.routingRule : r.playbook === incident.playbook));
}

/**
 * Who the rule may give the incident to: the person it names, or its group's members, in the
 * file's order; only people not disabled who may act on incidents (responder or more).
 */
export function candidatesFor(rule: AssignmentRule, people: Map<string, Person>): string[] {
  const able = (p: Person) => !p.disabled && p.roles.some((r) => r !== 'viewer');
  const person = people.get(rule.assign);
  if (person) return able(person) ? [person.id] : [];
  return [...people.values()].filter((p) => p.groups.includes(rule.assign) && able(p)).map((p) => p.id);
}

/** The candidate with the fewest open incidents; the first in the file's order on a tie. */
export function leastLoaded(candidates: string[], openCounts: Map<string, number>): string | undefined {
  let best: string | undefined;
  for (const id of candidates) if (best === undefined || (openCounts.get(id) ?? 0) < (openCounts.get(best) ?? 0)) best = id;
  return best;
}

function groupsOf(people: Map<string, Person>): Set<string> {
  return new Set([...people.values()].flatMap((p) => p.groups));
}

function invalid(file: string, reason: string): PalisadeError {
  return new PalisadeError(
    'assignment_invalid',
    `Assignment file ${file}: ${reason}.`,
    "Each rule is {routingRule: <a rule name in routing.yaml> | playbook: <name>, assign: <a person's id or a group in people.yaml>}.",
  );
}
