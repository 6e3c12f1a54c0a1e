import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { shippedCatalogue } from '../../apps/playbooks/load';
import { bundleAllPlaybooks, bundleWorkflowFile } from '../support/bundle';
import { historyFileText, historyFromJson } from '../../apps/cli/commands/history-json';

// Recorded playbook histories (test/histories/, `npm run histories:record`) replayed on the
// current workflow code: a change that would break a run in flight fails here, not in
// production. Such a change goes behind patched(): see test/histories/README.md.

const ROOT = path.resolve(__dirname, '../..');
const HISTORY_DIR = path.join(ROOT, 'test/histories');

interface Recorded {
  file: string;
  text: string;
  workflowId: string;
  workflowType: string;
  history: ReturnType<typeof historyFromJson>;
}

function recordedHistories(): Recorded[] {
  return readdirSync(HISTORY_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(HISTORY_DIR, file), 'utf8');
      const history = historyFromJson(JSON.parse(text));
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      // Replays use the recorded workflow id (servers before 1.27 did not record it: the file name then).
      return { file, text, history, workflowId: started?.workflowId || file, workflowType: started?.workflowType?.name ?? '?' };
    });
}

/** The workflow types of the shipped playbooks (the worker runs exactly these, and a team's). */
async function shippedWorkflowTypes(): Promise<string[]> {
  return (await shippedCatalogue()).entries.map((e) => e.workflowType).sort();
}

const bundle = (workflowsPath: string) => bundleWorkflowFile(path.join(ROOT, workflowsPath));

describe('recorded histories', () => {
  const histories = recordedHistories();
  let current: WorkflowBundle;
  beforeAll(async () => {
    current = await bundleAllPlaybooks();
  });

  it('replay on the current workflows', async () => {
    const failures: string[] = [];
    let i = 0;
    const results = Worker.runReplayHistories({ workflowBundle: current }, histories.map(({ workflowId, history }) => ({ workflowId, history })));
    for await (const result of results) {
      const { file } = histories[i++];
      if (result.error) failures.push(`${file}: ${result.error.name}: ${result.error.message}`);
    }
    expect(i, 'every history was replayed').toBe(histories.length);
    expect(failures, 'histories that no longer replay (put the change behind patched(), see test/histories/README.md)').toEqual([]);
  });

  it('cover every workflow the worker runs, an open approval gate included', async () => {
    const covered = new Set(histories.map((h) => h.workflowType));
    const exported = await shippedWorkflowTypes();
    expect(exported).toContain('hostCompromise'); // the catalogue was read
    const missing = exported.filter((t) => !covered.has(t));
    expect(missing, 'workflows without a recorded history: add a scenario to scripts/record-histories.ts, run `npm run histories:record`').toEqual([]);
    // A deploy mostly meets runs that wait for a person: one history must end mid-run, at a gate.
    const openGate = histories.find((h) => h.file === 'host-compromise-open-gate.json');
    expect(openGate, 'test/histories/host-compromise-open-gate.json').toBeDefined();
    const closed = openGate!.history.events!.some((e) => e.workflowExecutionCompletedEventAttributes ?? e.workflowExecutionCanceledEventAttributes);
    expect(closed, 'host-compromise-open-gate.json must be exported while the run waits').toBe(false);
  });

  it('are in the JSON form the exporter writes (read and written back unchanged), with no machine paths', () => {
    expect(histories.length).toBeGreaterThan(0);
    for (const h of histories) {
      expect(historyFileText(h.history), h.file).toBe(h.text);
      expect(h.text, h.file).not.toContain('"stackTrace"');
    }
  });
});

describe('a change to running logic', () => {
  const complete = recordedHistories().find((h) => h.file === 'host-compromise-complete.json')!;
  let unpatched: WorkflowBundle;
  let patched: WorkflowBundle;
  beforeAll(async () => {
    expect(complete, 'test/histories/host-compromise-complete.json').toBeDefined();
    [unpatched, patched] = await Promise.all([bundle('test/replay/changed-workflows/unpatched.ts'), bundle('test/replay/changed-workflows/patched.ts')]);
  });

  it('made without patched() fails the replay of a recorded run', async () => {
    const replay = Worker.runReplayHistory({ workflowBundle: unpatched }, complete.history, complete.workflowId);
    const error = await replay.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DeterminismViolationError);
    expect((error as Error).name).toBe('DeterminismViolationError');
  });

  it('behind patched() replays the same run cleanly', async () => {
    await expect(Worker.runReplayHistory({ workflowBundle: patched }, complete.history, complete.workflowId)).resolves.toBeUndefined();
  });
});
