/** One wave of a canary rollout: the hosts it patches, and the share of all hosts patched once it is done. */
export interface Wave {
  /** 1, 2, 3 … in the order the waves run. */
  number: number;
  hostIds: string[];
  /** Cumulative share of the hosts patched by the end of this wave, in percent. */
  percent: number;
}

/**
 * Splits hosts into waves by cumulative percentages (e.g. 5, 25, 100): wave n takes the hosts
 * up to ceil(hosts × percent / 100), in host id order, so a replay or a rerun plans the same
 * waves. Every wave has at least one host, and rounding up never swallows a later wave while
 * there are hosts for it; with fewer hosts than waves the last waves are dropped. The last
 * wave takes whatever is left, so every host is patched exactly once.
 */
export function planWaves(hostIds: readonly string[], percents: readonly number[]): Wave[] {
  const hosts = [...new Set(hostIds)].sort();
  const shares = percents.length > 0 ? percents : [100];
  const waves: Wave[] = [];
  let done = 0;
  shares.forEach((percent, i) => {
    const later = shares.length - 1 - i;
    const share = later === 0 ? 100 : Math.min(Math.max(percent, 0), 100);
    const wanted = Math.min(Math.ceil((hosts.length * share) / 100), hosts.length - later);
    const upTo = Math.min(hosts.length, Math.max(done + 1, wanted));
    if (upTo <= done) return;
    waves.push({ number: waves.length + 1, hostIds: hosts.slice(done, upTo), percent: share });
    done = upTo;
  });
  return waves;
}
