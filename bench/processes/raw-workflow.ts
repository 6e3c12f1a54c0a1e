// The raw baseline of the burst figure: a workflow doing nothing but `activities` no-op
// activities in a row, with `locals` no-op local activities spread between them: the shape a
// playbook run has up to its first gate (bench/figures/burst.ts counts it from a real run).
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

interface NoopActivities {
  noop(): Promise<void>;
}

const remote = proxyActivities<NoopActivities>({ startToCloseTimeout: '30s' });
const local = proxyLocalActivities<NoopActivities>({ startToCloseTimeout: '30s' });

export async function rawPlaybook(activities: number, locals: number): Promise<void> {
  const steps = Math.max(activities, 1);
  for (let i = 0; i < steps; i++) {
    const localsBefore = Math.floor(((i + 1) * locals) / steps) - Math.floor((i * locals) / steps);
    for (let j = 0; j < localsBefore; j++) await local.noop();
    if (i < activities) await remote.noop();
  }
}
