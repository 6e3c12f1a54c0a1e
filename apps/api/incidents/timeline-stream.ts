import type { Request, Response } from 'express';
import type { TimelineEventEntity } from '../../../lib/db/entities/timeline-event.entity';

/** How often the stream looks for new events, and sends a comment so proxies keep it open. */
const POLL_MS = 500;
const HEARTBEAT_MS = 15_000;
/** How often the caller's token is checked again (a revoked token stops its streams). */
const RECHECK_MS = 5_000;
const BATCH = 500;

export interface TimelineSource {
  eventsAfter: (after: number, limit: number) => Promise<TimelineEventEntity[]>;
  stillAllowed: () => Promise<boolean>;
}

/**
 * Server-sent events of an incident's timeline: everything after `after` (or Last-Event-ID),
 * then each new event as it is written. `id:` is the event's sequence, so a browser's
 * EventSource resumes where it left off after a reconnect. A slow reader is waited for
 * (`drain`), never buffered without bound.
 */
export function streamTimeline(req: Request, res: Response, after: number, source: TimelineSource): void {
  const lastEventId = Number(req.headers['last-event-id']);
  let cursor = Number.isInteger(lastEventId) && lastEventId >= 0 ? lastEventId : after;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let lastWrite = Date.now();
  let lastCheck = Date.now();

  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write('retry: 2000\n\n');

  const stop = () => {
    closed = true;
    if (timer) clearTimeout(timer);
  };
  req.on('close', stop);
  const write = async (chunk: string) => {
    lastWrite = Date.now();
    if (!res.write(chunk) && !closed) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
  };

  const tick = async () => {
    if (closed) return;
    try {
      if (Date.now() - lastCheck >= RECHECK_MS) {
        lastCheck = Date.now();
        if (!(await source.stillAllowed())) {
          await write(`event: problem\ndata: ${JSON.stringify({ error: 'token_invalid', message: 'The API token was revoked.' })}\n\n`);
          res.end();
          stop();
          return;
        }
      }
      for (;;) {
        const events = await source.eventsAfter(cursor, BATCH);
        for (const e of events) {
          if (closed) return;
          await write(`id: ${e.sequence}\nevent: timeline\ndata: ${JSON.stringify(e)}\n\n`);
          cursor = e.sequence;
        }
        if (events.length < BATCH || closed) break;
      }
      if (Date.now() - lastWrite >= HEARTBEAT_MS) await write(': still here\n\n');
    } catch {
      // Postgres away for a moment: say so and keep trying; the client keeps its place.
      if (!closed) await write(`event: problem\ndata: ${JSON.stringify({ error: 'timeline_unavailable', message: 'The timeline cannot be read right now; the stream keeps trying.' })}\n\n`);
    }
    if (!closed) timer = setTimeout(() => void tick(), POLL_MS);
  };
  void tick();
}
