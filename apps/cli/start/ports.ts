import * as net from 'node:net';
import { PalisadeError } from '../../../lib/errors';

export interface PortClaim {
  port: number;
  /** What would listen there, e.g. "the API". */
  what: string;
  /** The environment variable that moves it. */
  variable: string;
}

/** Fails with a message naming the port and the variable that changes it, if one is taken. */
export async function assertPortsFree(claims: PortClaim[], host = '127.0.0.1'): Promise<void> {
  for (const claim of claims) {
    if (!(await isPortFree(claim.port, host))) {
      throw new PalisadeError(
        'port_in_use',
        `Port ${claim.port} (${claim.what}) is already in use.`,
        `Stop whatever listens on ${claim.port}, or set ${claim.variable} to a free port.`,
      );
    }
  }
}

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS says is free right now (for tests and throw-away servers). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
