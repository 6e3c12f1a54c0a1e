import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { isClosingEvent, resolveIncidentId, timelineLine, type TimelineEventJson } from './incidents';
import { note, say } from './output';
import { readSse } from './sse';

export interface TailOptions {
  after: string;
  untilClosed?: boolean;
  json?: boolean;
}

/** After a drop, how long to keep trying to reconnect before giving up (exit 5). */
const GIVE_UP_AFTER_MS = 120_000;
/** --until-closed: a close is final once this long passes without a reopen (a replayed backlog arrives at once). */
const CLOSE_SETTLE_MS = 1_000;

/**
 * `palisade incidents tail <id>`: the timeline from the start (or --after), then each new
 * event as it is written, over GET /incidents/:id/timeline/stream. A dropped stream is
 * reopened with Last-Event-ID, so nothing is missed or printed twice. Ctrl-C ends it (exit 0);
 * with --until-closed it ends once the incident is resolved or cancelled.
 */
export async function incidentsTail(client: ApiClient, idOrPrefix: string, opts: TailOptions): Promise<void> {
  const id = await resolveIncidentId(client, idOrPrefix);
  if (!/^\d+$/.test(opts.after)) throw new CliError(EXIT.usage, 'invalid_option', `--after ${opts.after} is not a sequence number.`, 'e.g. --after 0 for the whole timeline.');
  let lastId = String(Number(opts.after));
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let retryMs = 2_000;
  let droppedSince: number | undefined;
  let connectedOnce = false;
  let closeTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const print = (e: TimelineEventJson) => say(opts.json ? JSON.stringify(e) : timelineLine(e));
  const onEvent = (e: TimelineEventJson) => {
    print(e);
    if (!opts.untilClosed) return;
    if (closeTimer) clearTimeout(closeTimer);
    if (isClosingEvent(e.type)) closed = true;
    else if (e.type === 'incident.reopened') closed = false;
    if (closed) closeTimer = setTimeout(() => stop.abort(), CLOSE_SETTLE_MS);
  };

  try {
    while (!stop.signal.aborted) {
      try {
        const res = await client.open(`/incidents/${id}/timeline/stream`, {
          query: { after: lastId },
          headers: connectedOnce ? { 'last-event-id': lastId } : {},
          signal: stop.signal,
        });
        if (droppedSince !== undefined) note('palisade: reconnected.');
        connectedOnce = true;
        droppedSince = undefined;
        for await (const ev of readSse(res.body!, (ms) => (retryMs = ms))) {
          if (ev.event === 'problem') {
            note(`palisade: the server says: ${problemMessage(ev.data)} (still following)`);
            continue;
          }
          if (ev.event !== 'timeline') continue;
          const event = JSON.parse(ev.data) as TimelineEventJson;
          lastId = ev.lastEventId || String(event.sequence);
          onEvent(event);
        }
        // The server ended the stream (restart, proxy timeout): reopen it where it left off.
      } catch (err) {
        if (stop.signal.aborted) break;
        // Refusals (bad token, unknown incident) and a first connection that fails end here.
        if (!connectedOnce || (err instanceof CliError && err.exitCode !== EXIT.unavailable)) throw err;
      }
      if (stop.signal.aborted) break;
      droppedSince ??= Date.now();
      if (Date.now() - droppedSince > GIVE_UP_AFTER_MS) {
        throw new CliError(EXIT.unavailable, 'stream_lost', `Lost the timeline stream of incident ${id} and could not reopen it for ${GIVE_UP_AFTER_MS / 1000} s.`, `Check that the API at ${client.baseUrl} runs; rerun with --after ${lastId} to carry on.`);
      }
      note(`palisade: the stream dropped after event ${lastId}; reconnecting…`);
      await sleep(retryMs, stop.signal);
    }
  } finally {
    if (closeTimer) clearTimeout(closeTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function problemMessage(data: string): string {
  try {
    const body = JSON.parse(data) as { message?: string };
    return body.message ?? data;
  } catch {
    return data;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
