import { describe, expect, it } from 'vitest';
import type { Query } from '../../apps/cli/commands/api-client';
import { openRuns } from '../../apps/cli/commands/replay-live';

/** The API's GET /incidents over a fixed list: filters by the `status` query as the API does. */
function incidentsApi(incidents: { id: string; workflowId: string; status: string }[]) {
  return {
    get<T>(_path: string, query?: Query): Promise<T> {
      const wanted = String(query?.status ?? '').split(',');
      return Promise.resolve({ incidents: incidents.filter((i) => wanted.includes(i.status)), nextCursor: null } as T);
    },
  };
}

describe('palisade replay check --live: the incidents it replays', () => {
  it('takes every open status, a playbook acting on its incident (responding) too', async () => {
    const api = incidentsApi([
      { id: 'i-open', workflowId: 'w-open', status: 'open' },
      { id: 'i-responding', workflowId: 'w-responding', status: 'responding' },
      { id: 'i-acknowledged', workflowId: 'w-acknowledged', status: 'acknowledged' },
      { id: 'i-contained', workflowId: 'w-contained', status: 'contained' },
      { id: 'i-resolved', workflowId: 'w-resolved', status: 'resolved' },
    ]);
    const runs = await openRuns(api);
    expect(runs.map((r) => r.incidentId).sort()).toEqual(['i-acknowledged', 'i-contained', 'i-open', 'i-responding']);
  });
});
