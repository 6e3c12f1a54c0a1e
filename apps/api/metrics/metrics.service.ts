import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from 'prom-client';
import { SharedRead } from '../common/shared-read';

/** Palisade's Prometheus metrics (GET /metrics). One registry per API process. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly alertsReceived = new Counter({
    name: 'palisade_alerts_received_total',
    help: 'Alerts stored by the door, by source and disposition.',
    labelNames: ['source', 'disposition'] as const,
    registers: [this.registry],
  });

  readonly webhookLatency = new Histogram({
    name: 'palisade_webhook_duration_seconds',
    help: 'Time from request to answer for POST /webhooks/:source, by source and status.',
    labelNames: ['source', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /**
   * The door's group commits (apps/api/webhooks/group-commit.ts): how long each flush held the
   * database, and how many deliveries it stored. A delivery waits for the flush before its own
   * (up to one flush) and then for its own, so a slow flush is the door's latency twice over.
   */
  readonly intakeFlush = new Histogram({
    name: 'palisade_intake_flush_seconds',
    help: 'Time one group commit of the webhook door took to store its deliveries (one transaction).',
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly intakeFlushDeliveries = new Histogram({
    name: 'palisade_intake_flush_deliveries',
    help: 'Deliveries stored by one group commit of the webhook door.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200],
    registers: [this.registry],
  });

  /** A click's request reaching the API (before Bolt's signature check) → the gate's Update verdict known (the Slack bench's figure). */
  readonly slackClickDecision = new Summary({
    name: 'palisade_slack_click_decision_seconds',
    help: 'Time from a Slack approval click reaching the API to the gate Update verdict, by outcome (counted, rejected, error).',
    labelNames: ['outcome'] as const,
    percentiles: [0.5, 0.9, 0.99],
    maxAgeSeconds: 600,
    ageBuckets: 5,
    registers: [this.registry],
  });

  /** Sweeps of the stuck watcher that ran to the end (apps/api/incidents/stuck-watcher.service.ts). */
  readonly stuckChecks = new Counter({
    name: 'palisade_stuck_checks_total',
    help: "Stuck-incident checks this API process completed (each looks at every open incident's run).",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'palisade_api_' });
  }

  /** Concurrent scrapes share one collection (the gauges that read Postgres cache their reads: see PlaybookMetrics). */
  private readonly exposition = new SharedRead(() => this.registry.metrics(), 0);

  /** The Prometheus exposition text. */
  scrape(): Promise<string> {
    return this.exposition.get();
  }

  /** A gauge read at scrape time (e.g. from Postgres, so every replica reports shared state). */
  gauge(name: string, help: string, read: () => Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read().catch(() => Number.NaN));
      },
    });
  }
}
