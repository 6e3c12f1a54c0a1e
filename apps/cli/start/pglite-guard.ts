import type { PGlite } from '@electric-sql/pglite';

/**
 * PGlite is a single session. pglite-socket's queue keeps one client's statements together
 * only inside an explicit transaction; between a client's Parse/Bind/Execute and its Sync,
 * another client's messages can slip in and take over the unnamed statement, returning wrong
 * rows. This guard reports "in transaction" until the current client reaches a message
 * boundary (Sync, simple Query, Terminate, or a start-up/auth message), so the queue serves
 * that client alone until then.
 */
export function guardExtendedProtocol(db: PGlite): PGlite {
  let midExchange = false;
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'isInTransaction') return () => midExchange || target.isInTransaction();
      if (prop === 'execProtocolRawStream') {
        return (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
          midExchange = !isBoundary(message);
          return target.execProtocolRawStream(message, options);
        };
      }
      if (prop === 'exec') {
        // The queue calls exec('ROLLBACK') when a client leaves mid-exchange: the exchange is over.
        return (query: string, options?: Parameters<PGlite['exec']>[1]) => {
          midExchange = false;
          return target.exec(query, options);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'
const PASSWORD = 0x70; // 'p'

function isBoundary(message: Uint8Array): boolean {
  const type = message[0];
  // Start-up, SSL and cancel requests have no type byte: they begin with a length (< 2^24).
  return type === SYNC || type === QUERY || type === TERMINATE || type === PASSWORD || type === 0;
}
