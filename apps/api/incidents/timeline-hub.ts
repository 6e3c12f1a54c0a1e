import { HttpStatus, Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { PalisadeConfig } from '../../../lib/config/env';
import type { TimelineEventEntity } from '../../../lib/db/entities/timeline-event.entity';
import type { Caller } from '../auth/roles';
import { ApiError } from '../common/error.filter';
import { PALISADE_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { IncidentsService } from './incidents.service';

/** How often an incident's poller looks for new events. */
const POLL_MS = 500;
const BATCH = 500;

export type TimelineListener = (events: TimelineEventEntity[]) => void;

/** One incident's new events, read once per tick for everyone who follows it. */
class Poller {
  readonly listeners = new Set<TimelineListener>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly read: (after: number) => Promise<TimelineEventEntity[]>,
    private cursor: number,
    private readonly onFailure: (listeners: Set<TimelineListener>) => void,
  ) {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), POLL_MS);
  }

  private async tick(): Promise<void> {
    try {
      for (;;) {
        const events = await this.read(this.cursor);
        if (events.length === 0 || this.stopped) break;
        this.cursor = events[events.length - 1].sequence;
        for (const listener of this.listeners) listener(events);
        if (events.length < BATCH) break;
      }
    } catch {
      // Postgres away for a moment: each stream says so; the poller keeps its place and tries again.
      this.onFailure(this.listeners);
    }
    this.schedule();
  }
}

/**
 * Live timeline streams of this API process: at most PALISADE_STREAMS_PER_TOKEN per token and
 * PALISADE_STREAMS_MAX in all (429 `too_many_streams` beyond), and one poller per incident
 * however many streams follow it (one query every 500 ms per followed incident, not per stream).
 */
@Injectable()
export class TimelineHub implements OnModuleDestroy {
  private readonly pollers = new Map<string, Promise<Poller>>();
  private readonly perToken = new Map<string, number>();
  private open = 0;
  private readonly failures = new Map<TimelineListener, () => void>();

  constructor(
    @Inject(IncidentsService) private readonly incidents: IncidentsService,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
    metrics.gauge('palisade_timeline_streams', 'Live timeline streams this API process serves.', () => Promise.resolve(this.open));
    metrics.gauge('palisade_timeline_stream_pollers', 'Incidents whose timeline this API process polls for its live streams (one poller each, however many streams).', () =>
      Promise.resolve(this.pollers.size),
    );
  }

  /** Takes a stream slot for the caller's token; the answer gives it back. 429 when the token or the process is full. */
  admit(caller: Caller): () => void {
    const mine = this.perToken.get(caller.tokenId) ?? 0;
    const { streamsPerToken, streamsMax } = this.config.api;
    if (this.open >= streamsMax || mine >= streamsPerToken) {
      const full = mine >= streamsPerToken ? `the token '${caller.name}' has ${mine} live timeline streams open (at most ${streamsPerToken})` : `this API serves ${this.open} live timeline streams (at most ${streamsMax})`;
      throw new ApiError(
        HttpStatus.TOO_MANY_REQUESTS,
        'too_many_streams',
        `No more streams: ${full}.`,
        'Close a stream you no longer watch (a browser tab, a `palisade incidents tail`), or read GET /incidents/:id/timeline?after=<sequence> instead; retry in a few seconds.',
      );
    }
    this.open += 1;
    this.perToken.set(caller.tokenId, mine + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.open -= 1;
      const left = (this.perToken.get(caller.tokenId) ?? 1) - 1;
      if (left > 0) this.perToken.set(caller.tokenId, left);
      else this.perToken.delete(caller.tokenId);
    };
  }

  /** Hears every event of the incident written from now on; `onFailure` when a read fails. The answer stops hearing. */
  async follow(incidentId: string, listener: TimelineListener, onFailure: () => void): Promise<() => void> {
    let poller = this.pollers.get(incidentId);
    if (!poller) {
      poller = this.start(incidentId);
      this.pollers.set(incidentId, poller);
      poller.catch(() => this.pollers.delete(incidentId));
    }
    const p = await poller;
    // Stopped while it started (its last stream left): start another.
    if (this.pollers.get(incidentId) !== poller) return this.follow(incidentId, listener, onFailure);
    p.listeners.add(listener);
    this.failures.set(listener, onFailure);
    return () => {
      p.listeners.delete(listener);
      this.failures.delete(listener);
      if (p.listeners.size === 0 && this.pollers.get(incidentId) === poller) {
        p.stop();
        this.pollers.delete(incidentId);
      }
    };
  }

  onModuleDestroy(): void {
    for (const poller of this.pollers.values()) void poller.then((p) => p.stop());
    this.pollers.clear();
  }

  private async start(incidentId: string): Promise<Poller> {
    const latest = await this.incidents.latestSequence(incidentId);
    return new Poller(
      (after) => this.incidents.eventsAfter(incidentId, after, BATCH),
      latest,
      (listeners) => {
        for (const l of listeners) this.failures.get(l)?.();
      },
    );
  }
}
