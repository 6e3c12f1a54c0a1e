import { describe, expect, it } from 'vitest';
import { MAX_MEMBERSHIP_PORT, serverPorts } from '../../apps/cli/cluster/server-config';

describe("npm run cluster's Temporal ports", () => {
  it('lays the services out around the frontend port', () => {
    const ports = serverPorts(7233);
    expect(ports.grpc).toEqual({ frontend: 7233, history: 7234, matching: 7235, worker: 7239 });
    expect(Object.values(ports.membership)).toEqual([6933, 6934, 6935, 6939]);
  });

  it('refuses a frontend port that would put a membership port past the smallint Temporal stores it in, saying which ports are allowed', () => {
    expect(() => serverPorts(MAX_MEMBERSHIP_PORT + 294)).not.toThrow();
    expect(() => serverPorts(MAX_MEMBERSHIP_PORT + 295)).toThrow(expect.objectContaining({ code: 'temporal_port_out_of_range', hint: expect.stringContaining('7233') }));
    expect(() => serverPorts(46737)).toThrow(/membership ports at 46437–46443/);
  });
});
