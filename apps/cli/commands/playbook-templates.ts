/**
 * What `palisade playbook new <name>` writes: a playbook that works as generated (one step,
 * one gate), its runbook page, and a test on the test kit that passes unchanged.
 */
export interface Scaffold {
  name: string;
  /** Shipped (in the engine's workflows/): relative imports; a team's folder: `@palisade/kit`. */
  shipped: boolean;
}

/** The gate and the step the scaffold declares. */
export const SCAFFOLD_GATE = 'proceed';
export const SCAFFOLD_STEP = 'Notify the owner';

const title = (name: string) => name.charAt(0).toUpperCase() + name.slice(1).replace(/-/g, ' ');

export function playbookSource({ name, shipped }: Scaffold): string {
  const kit = shipped ? '../kit' : '@palisade/kit';
  return `import { z } from 'zod';
import { approval, definePlaybook, step } from '${kit}';

/**
 * ${title(name)} — <the alerts it answers: which detection, on what>.
 * 1. Ask an approver whether to act on the alert's target (gate \`${SCAFFOLD_GATE}\`).
 * 2. Approved: tell the target's owner.
 * 3. Close with a summary.
 * Denied, or nobody decided (the gate's fallback, runbooks/approvals.yaml): nothing is done.
 */
export default definePlaybook({
  name: '${name}',
  description: 'Asks an approver, then tells the owner of the alert\\'s target.',
  categories: ['other'],
  // What an open run does when a new build is deployed (docs/playbooks.md, section 5), and why.
  versioning: { behavior: 'AUTO_UPGRADE', reason: 'it waits at a gate for an approver, so an open run meets deploys' },
  params: z
    .object({
      /** What the alert names: its entity key. */
      target: z.string().min(1),
      /** Who is told (a person, group or channel, as the notify provider names it). */
      owner: z.string().min(1).default('secops-oncall'),
    })
    .strict(),
  // A run an alert opened: its params from the incident's entity.
  fromAlert: (entity) => ({ target: entity.key }),
  // POST /playbooks/${name}/runs: a responder starts it by hand with { params: { target } }.
  manualStart: {
    entity: (p) => ({ kind: 'resource', key: p.target, display: p.target }),
    title: (p) => \`${title(name)} on \${p.target}\`,
  },
  gates: ['${SCAFFOLD_GATE}'],
  steps: ['${SCAFFOLD_STEP}'],

  async run(run, params) {
    const decision = await approval(run, {
      gate: '${SCAFFOLD_GATE}',
      step: \`Act on \${params.target}\`,
      summary: \`\${run.input.title}. Approve to tell \${params.owner}.\`,
    });
    if (!decision.approved) {
      await run.timeline.record('step.skipped', \`Not approved: \${params.owner} was not told\`, { data: { step: '${SCAFFOLD_STEP}' } });
      return \`\${params.target}: not approved, nothing done\`;
    }
    await step(run, '${SCAFFOLD_STEP}', (p, call) =>
      p.notify(call, { to: params.owner, kind: 'notify', subject: \`Incident on \${params.target}\`, body: run.input.title }),
    );
    return \`\${params.target}: approved, \${params.owner} told\`;
  },
});
`;
}

export function runbookPage({ name }: Scaffold): string {
  return `# ${title(name)}

<When this playbook runs: the alerts it answers, and what a responder should know first.>

## What the playbook does

1. **Act on the target?** The playbook asks at the \`${SCAFFOLD_GATE}\` gate; who may approve, how long
   they have and what happens when nobody decides is in runbooks/approvals.yaml.
2. **${SCAFFOLD_STEP}**: once approved, the owner (param \`owner\`, default \`secops-oncall\`) is told.
3. **Close**: the incident resolves with a summary of what was done.

## By hand

\`POST /playbooks/${name}/runs\` with \`{ "params": { "target": "<entity key>" } }\`.
`;
}

export function testSource({ name, shipped }: Scaffold): string {
  const kit = shipped ? '../kit/testing' : '@palisade/kit/testing';
  return `import { describe, expect, it } from 'vitest';
import { playbookKit } from '${kit}';

// ${name} on a real worker against the simulated fleet (docs/playbooks.md, "Test it").
describe('${name}', () => {
  const kit = playbookKit();

  it('tells the owner once an approver agrees', async () => {
    const run = await kit.start('${name}', { params: { target: 'web-1', owner: 'team-web' } });
    await run.gateOpen('${SCAFFOLD_GATE}');
    expect(await run.vote('${SCAFFOLD_GATE}', 'bob', 'approve', { reason: 'looks real' })).toMatchObject({ outcome: 'approved' });

    expect(await run.result()).toMatchObject({ status: 'resolved', summary: 'web-1: approved, team-web told' });
    expect(await run.steps()).toEqual(['${SCAFFOLD_STEP}']);
    const told = await kit.fleet.notifications({ recipient: 'team-web', kind: 'notify' });
    expect(told.filter((n) => n.id.startsWith(run.incidentId))).toHaveLength(1);
  });

  it('does nothing when the approver denies', async () => {
    const run = await kit.start('${name}', { params: { target: 'web-2', owner: 'team-db' } });
    await run.gateOpen('${SCAFFOLD_GATE}');
    await run.vote('${SCAFFOLD_GATE}', 'bob', 'deny', { reason: 'a scheduled scan' });

    expect(await run.result()).toMatchObject({ status: 'resolved', summary: 'web-2: not approved, nothing done' });
    expect((await run.timeline()).map((e) => e.type)).toContain('step.skipped');
    expect(await kit.fleet.notifications({ recipient: 'team-db' })).toHaveLength(0);
  });
});
`;
}

/** The routing rule to paste (before the catch-all rule of the routing file). */
export function routingRule({ name }: Scaffold): string {
  return `  - name: ${name}
    # The alerts ${name} answers: narrow the match to them (source, category, severity, labels).
    match: { labels: { playbook: ${name} } }
    playbook: ${name}
    entityKey: "{{entity.kind}}:{{entity.key}}"`;
}

/** The approvals.yaml entry (optional: without it the gate has the file's defaults). */
export function approvalsEntry({ name }: Scaffold): string {
  return `  ${name}:
    gates:
      ${SCAFFOLD_GATE}: {}   # e.g. { approvers: { groups: [secops] }, timeout: 30m }`;
}
