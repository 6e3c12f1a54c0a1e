/** One server-sent event, as the HTML spec's EventSource would dispatch it. */
export interface SseEvent {
  /** The last `id:` seen on the stream so far (sent back as Last-Event-ID on a reconnect). */
  lastEventId: string;
  event: string;
  data: string;
}

/**
 * Reads a `text/event-stream` body (fetch's, so it can carry an Authorization header, which a
 * browser EventSource cannot): `id:`, `event:`, `data:` and `retry:` lines, comments ignored,
 * an event dispatched at each blank line. `onRetry` hears the server's reconnection delay.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, onRetry?: (ms: number) => void): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let lastEventId = '';
  let event = '';
  let data: string[] = [];

  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (end === -1 || (buffer[end] === '\r' && end === buffer.length - 1)) break;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));

      if (line === '') {
        if (data.length > 0) yield { lastEventId, event: event || 'message', data: data.join('\n') };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id' && !value.includes('\0')) lastEventId = value;
      else if (field === 'retry' && /^\d+$/.test(value)) onRetry?.(Number(value));
    }
  }
}
