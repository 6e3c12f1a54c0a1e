import { afterEach, expect } from 'vitest';
import { ProviderErrorType, type ProviderCall } from '../../../lib/providers/capabilities';
import type { FailureKind, LoopbackVendor } from './loopback';

/** What the vendor provider tests share: a call, loopback servers closed after each test, a clock, failures. */

export const call: ProviderCall = { idempotencyKey: 'inc-1:step-1', incidentId: 'inc-1' };

/** Starts loopback vendors that are closed after each test of the calling file. */
export function loopbackServers(): <S extends LoopbackVendor>(server: S) => Promise<S> {
  const servers: LoopbackVendor[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return (server) => {
    servers.push(server);
    return server.start();
  };
}

/** A clock the providers read for token expiry, moved by hand. */
export function clock() {
  let t = Date.now();
  return { now: () => t, advance: (seconds: number) => (t += seconds * 1000) };
}

export { failure } from '../failures';

/** Each failure switch and the provider error it must become. */
export const SWITCHES: [FailureKind, ProviderErrorType, boolean][] = [
  ['5xx', ProviderErrorType.Unavailable, false],
  ['429', ProviderErrorType.Throttled, false],
  ['timeout', ProviderErrorType.Unavailable, false],
  ['denied', ProviderErrorType.Denied, true],
];

/**
 * The client timeout for a switch's test: short only where the switch is a vendor that never
 * answers, so the other switches hold on a busy machine (a 300 ms budget for every answer
 * made them flaky under load).
 */
export function switchTimeout(kind: FailureKind): number {
  return kind === 'timeout' ? 300 : 10_000;
}

export function expectNoSecrets(message: string, secrets: string[]): void {
  for (const s of secrets) expect(message).not.toContain(s);
}
