import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { historyFromJson } from '../../apps/cli/commands/history-json';
import { bundleAllPlaybooks } from '../../apps/playbooks/bundle';
import { round } from '../support/stats';
import type { Section } from './figure';

// Replay of every committed history (test/histories/*.json) on the current workflow code, as
// test/replay/replay.test.ts does: the bundle is built first (timed apart), then every history
// is replayed through Worker.runReplayHistories. In this process; no engine needed.

const ROOT = path.resolve(__dirname, '../..');
const HISTORY_DIR = path.join(ROOT, 'test/histories');

export const replaySection: Section = {
  name: 'replay',
  title: 'Replay of the committed histories',
  run: async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') }); // not the replay worker's state changes
    } catch {
      // Installed already (a second run in this process): its logger stays.
    }
    const histories = readdirSync(HISTORY_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((file) => {
        const history = historyFromJson(JSON.parse(readFileSync(path.join(HISTORY_DIR, file), 'utf8')));
        return { file, history, workflowId: history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId || file };
      });
    const t0 = performance.now();
    const workflowBundle = await bundleAllPlaybooks();
    const bundleMs = performance.now() - t0;
    const t1 = performance.now();
    const failures: string[] = [];
    let i = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle }, histories.map(({ workflowId, history }) => ({ workflowId, history })))) {
      const { file } = histories[i++];
      if (result.error) failures.push(`${file}: ${result.error.name}: ${result.error.message}`);
    }
    const replayMs = performance.now() - t1;
    const events = histories.reduce((n, h) => n + (h.history.events?.length ?? 0), 0);
    return {
      figures: [
        { figure: `replay ${histories.length} histories (${events} events)`, value: round(replayMs), unit: ' ms', goal: 'all replay', met: failures.length === 0 && i === histories.length },
        { figure: 'bundle the workflows for replay', value: round(bundleMs), unit: ' ms', goal: '' },
      ],
      details: { histories: histories.length, events, replayMs: round(replayMs), bundleMs: round(bundleMs), failures },
    };
  },
};
