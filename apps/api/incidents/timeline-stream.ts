import type { Request, Response } from 'express';
import type { TimelineEventEntity } from '../../../lib/db/entities/timeline-event.entity';

/** How often the stream looks for new events, and sends a comment so proxies keep it open. */
const POLL_MS = 500;
const HEARTBEAT_MS = 15_000;
const BATCH = 500;

/**
 * Server-sent events of an incident's timeline: everything after `after` (or Last-Event-ID),
 * then each new event as it is written. `id:` is the event's sequence, so a browser's
 * EventSource resumes where it left off after a reconnect.
 */
export function streamTimeline(
  req: Request,
  res: Response,
  after: number,
  eventsAfter: (after: number, limit: number) => Promise<TimelineEventEntity[]>,
): void {
  const lastEventId = Number(req.headers['last-event-id']);
  let cursor = Number.isInteger(lastEventId) && lastEventId >= 0 ? lastEventId : after;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let lastWrite = Date.now();

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

  const tick = async () => {
    if (closed) return;
    try {
      for (;;) {
        const events = await eventsAfter(cursor, BATCH);
        for (const e of events) {
          res.write(`id: ${e.sequence}\nevent: timeline\ndata: ${JSON.stringify(e)}\n\n`);
          cursor = e.sequence;
          lastWrite = Date.now();
        }
        if (events.length < BATCH || closed) break;
      }
      if (Date.now() - lastWrite >= HEARTBEAT_MS) {
        res.write(': still here\n\n');
        lastWrite = Date.now();
      }
    } catch (err) {
      // Postgres away for a moment: say so and keep trying; the client keeps its place.
      res.write(`event: problem\ndata: ${JSON.stringify({ error: 'timeline_unavailable', message: (err as Error).message })}\n\n`);
    }
    if (!closed) timer = setTimeout(() => void tick(), POLL_MS);
  };
  void tick();
}
