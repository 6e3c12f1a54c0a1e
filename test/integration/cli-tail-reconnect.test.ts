import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, spawnCli } from '../support/cli';

const cli = (...args: string[]) => finished(spawnCli(args));

describe('palisade incidents tail when the stream drops', () => {
  // A stand-in for the API's stream that cuts the connection after two events, to see the CLI
  // reopen it where it left off (Last-Event-ID), and refuse to retry what a retry cannot fix.
  let server: Server;
  let baseUrl: string;
  const requests: IncomingMessage[] = [];
  const incidentId = randomUUID();
  const event = (sequence: number, type: string) =>
    JSON.stringify({ id: `${incidentId}#${sequence}`, incidentId, sequence, type, occurredAt: new Date().toISOString(), actor: 'palisade', summary: `event ${sequence}`, data: {} });

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req);
      if (req.headers.authorization !== 'Bearer good-token') {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'token_invalid', message: 'The API token is not known, or it was revoked.', hint: 'Check PALISADE_TOKEN.' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (requests.filter((r) => r.headers.authorization === 'Bearer good-token').length === 1) {
        // CRLF and LF line ends, a comment, a multi-chunk event; then the connection is cut.
        res.write('retry: 100\r\n\r\n: hello\n\n');
        res.write(`id: 1\nevent: timeline\ndata: ${event(1, 'incident.created')}\n\n`);
        res.write(`id: 2\r\nevent: timeline\r\ndata: ${event(2, 'step.started').slice(0, 20)}`);
        setTimeout(() => {
          res.write(`${event(2, 'step.started').slice(20)}\r\n\r\n`);
          setTimeout(() => res.destroy(), 50);
        }, 50);
      } else {
        res.write(`id: 3\nevent: timeline\ndata: ${event(3, 'incident.resolved')}\n\n`);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const tail = (token: string) => cli('incidents', 'tail', incidentId, '--json', '--until-closed', '--api', baseUrl, '--token', token);

  it('reopens the stream after the last event it printed, printing each event once', async () => {
    const [run, refused] = await Promise.all([tail('good-token'), tail('bad-token')]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n').map((l) => JSON.parse(l).sequence)).toEqual([1, 2, 3]);
    expect(run.stderr).toContain('palisade: the stream dropped after event 2; reconnecting…');
    const good = requests.filter((r) => r.headers.authorization === 'Bearer good-token');
    expect(good.map((r) => r.headers['last-event-id'])).toEqual([undefined, '2']);
    expect(good.map((r) => new URL(r.url!, baseUrl).searchParams.get('after'))).toEqual(['0', '2']);

    // A refusal is final: no retry.
    expect(refused.status).toBe(3);
    expect(refused.stderr).toBe('palisade: The API token is not known, or it was revoked.\n  Check PALISADE_TOKEN.\n');
    expect(requests.filter((r) => r.headers.authorization === 'Bearer bad-token')).toHaveLength(1);
  });
});
