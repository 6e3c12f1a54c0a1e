import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { liveReplayCheck } from '../../lib/temporal/live-replay';

describe('the live replay check, Temporal not answering', () => {
  it('fails with the error, not a pass that skipped every run as "no run in Temporal"', async () => {
    // Nothing listens on port 1: every call fails as a network error would.
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const client = new Client({ connection });
    try {
      const check = client.withDeadline(Date.now() + 3_000, () =>
        liveReplayCheck(client, [{ incidentId: 'i-1', workflowId: 'incident-i-1' }], { code: '' }),
      );
      await expect(check).rejects.toThrow();
    } finally {
      await connection.close();
    }
  });
});
