import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TimelineEventEntity } from '../../../lib/db/entities/timeline-event.entity';
import type { TimelineListener } from './timeline-hub';

/** How long without a write before a comment keeps proxies from closing the stream. */
const HEARTBEAT_MS = 15_000;
/** How often the caller's token is checked again (a revoked or expired token stops its streams). */
const RECHECK_MS = 5_000;
const BATCH = 500;
/** Live events a slow reader may fall behind by before it goes back to reading Postgres at its own pace. */
const MAX_PENDING = 1_000;

export interface TimelineSource {
  /** Events after a sequence (this stream's own catch-up reads). */
  eventsAfter: (after: number, limit: number) => Promise<TimelineEventEntity[]>;
  /** Hears the incident's new events (a poller shared by every stream of the incident); the answer stops hearing. */
  follow: (listener: TimelineListener, onFailure: () => void) => Promise<() => void>;
  stillAllowed: () => Promise<boolean>;
  /** Called once when the stream ends. */
  onClose: () => void;
}

const PROBLEM = {
  revoked: { error: 'token_invalid', message: 'The API token was revoked or expired.' },
  unavailable: { error: 'timeline_unavailable', message: 'The timeline cannot be read right now; the stream keeps trying.' },
};

/**
 * Server-sent events of an incident's timeline: everything after `after` (or Last-Event-ID),
 * then each new event as it is written. `id:` is the event's sequence, so a client resumes
 * where it left off. The stream catches up from Postgres by itself, then takes the incident's
 * shared poller's events; a slow reader is waited for (`drain`) and, past MAX_PENDING events
 * behind, reads Postgres again at its own pace: never buffered without bound. It writes to the
 * Node response itself (the route hands it over: Fastify's `reply.hijack()`).
 */
export function streamTimeline(req: IncomingMessage, res: ServerResponse, after: number, source: TimelineSource): void {
  const lastEventId = Number(req.headers['last-event-id']);
  let cursor = Number.isInteger(lastEventId) && lastEventId >= 0 ? lastEventId : after;
  let closed = false;
  let pending: TimelineEventEntity[] = [];
  let behind = false;
  let failed = false;
  let wake: (() => void) | undefined;
  const nudge = () => wake?.();

  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write('retry: 2000\n\n');

  let lastWrite = Date.now();
  const write = async (chunk: string) => {
    lastWrite = Date.now();
    if (!res.write(chunk) && !closed) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
  };
  const send = async (e: TimelineEventEntity) => {
    if (closed || e.sequence <= cursor) return;
    await write(`id: ${e.sequence}\nevent: timeline\ndata: ${JSON.stringify(e)}\n\n`);
    cursor = e.sequence;
  };
  const problem = (p: (typeof PROBLEM)[keyof typeof PROBLEM]) => write(`event: problem\ndata: ${JSON.stringify(p)}\n\n`);

  const listener: TimelineListener = (events) => {
    if (behind) return;
    pending.push(...events);
    if (pending.length > MAX_PENDING) {
      pending = [];
      behind = true;
    }
    nudge();
  };
  const catchUp = async () => {
    for (;;) {
      const events = await source.eventsAfter(cursor, BATCH);
      for (const e of events) await send(e);
      if (events.length < BATCH || closed) return;
    }
  };

  let unfollow: (() => void) | undefined;
  const stop = () => {
    if (closed) return;
    closed = true;
    unfollow?.();
    source.onClose();
    nudge();
  };
  req.on('close', stop);

  void (async () => {
    let lastCheck = Date.now();
    let caughtUp = false;
    while (!closed) {
      try {
        unfollow ??= await source.follow(listener, () => {
          failed = true;
          nudge();
        });
        if (closed) break;
        if (!caughtUp || behind) {
          behind = false;
          await catchUp();
          caughtUp = true;
        }
        while (pending.length > 0 && !closed) {
          const batch = pending;
          pending = [];
          for (const e of batch) await send(e);
        }
        if (failed) {
          failed = false;
          await problem(PROBLEM.unavailable);
        }
        if (Date.now() - lastCheck >= RECHECK_MS) {
          lastCheck = Date.now();
          if (!(await source.stillAllowed())) {
            await problem(PROBLEM.revoked);
            res.end();
            stop();
            break;
          }
        }
        if (Date.now() - lastWrite >= HEARTBEAT_MS) await write(': still here\n\n');
      } catch {
        // Postgres away for a moment: say so and keep trying; the client keeps its place.
        caughtUp = false;
        if (!closed) await problem(PROBLEM.unavailable);
      }
      if (closed || pending.length > 0 || behind) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(RECHECK_MS, HEARTBEAT_MS));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();
}
