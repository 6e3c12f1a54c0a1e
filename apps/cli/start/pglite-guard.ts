import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/**
 * How long a client may hold PGlite's one session in an open transaction (or half-way through
 * an extended-protocol exchange) without sending anything, while PGlite itself is idle, before
 * the guard closes its connection: the embedded analogue of Postgres's
 * `idle_in_transaction_session_timeout`. Palisade's transactions last milliseconds (a few
 * statements sent back to back), so 30 s of silence inside one is never work in progress: it
 * is a process that hangs (stopped, frozen VM, debugger), and while it holds the session every
 * other process waits. 30 s stays far above any pause a live process has between two
 * statements of a transaction (a GC, a loaded 2-core machine), and still frees the engine
 * before most callers' own timeouts give up.
 */
export const DEFAULT_IDLE_IN_TRANSACTION_MS = 30_000;

export interface SessionGuardOptions {
  /** See DEFAULT_IDLE_IN_TRANSACTION_MS; 0 turns the check off. */
  idleInTransactionMs?: number;
  /** Where the line naming a closed client goes (default: stderr, the embedded Postgres's log). */
  log?: (line: string) => void;
}

interface Exec {
  start: number;
  /** The client socket this statement's output went to (its sender). */
  socket?: Socket;
}

/**
 * Knows who holds PGlite's session and for how long it has sent nothing. PGlite runs one
 * statement at a time and tells which client sent it only by where its output goes: the
 * socket it is written to (tracked through Node's `net.server.socket` channel, see
 * guardServer). While the session is held, the queue serves only the holder, so any statement
 * that runs is the holder's, and silence is the time since the last one ended.
 */
class SessionGuard {
  private busy = 0;
  private lastEnd = Date.now();
  private heldSince: number | undefined;
  private holder: Socket | undefined;
  private current: Exec | undefined;
  private timer: NodeJS.Timeout | undefined;
  private warnedUnknown = false;
  server: PGLiteSocketServer | undefined;

  constructor(
    private readonly isHeld: () => boolean,
    private readonly idleMs: number,
    private readonly log: (line: string) => void,
  ) {}

  async run<T>(fn: (exec: Exec) => Promise<T>): Promise<T> {
    const wasHeld = this.heldSince !== undefined;
    const exec: Exec = { start: Date.now() };
    this.busy++;
    try {
      return await fn(exec);
    } finally {
      this.busy--;
      this.settle(exec, wasHeld);
    }
  }

  /** Wraps a statement's output callback so the socket it writes to is known as its sender. */
  output(exec: Exec, onRawData: (data: Uint8Array) => void): (data: Uint8Array) => void {
    return (data: Uint8Array) => {
      this.current = exec;
      try {
        onRawData(data);
      } finally {
        this.current = undefined;
      }
    };
  }

  track(socket: Socket): void {
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      if (this.current) this.current.socket = socket;
      return write(...args);
    });
  }

  private settle(exec: Exec, wasHeld: boolean): void {
    const now = Date.now();
    this.lastEnd = now;
    if (!this.isHeld()) {
      this.heldSince = undefined;
      this.holder = undefined;
      this.warnedUnknown = false;
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    if (exec.socket) this.holder = exec.socket;
    else if (!wasHeld) this.holder = undefined; // a new hold whose sender wrote nothing yet
    this.heldSince ??= exec.start;
    // One timer per hold, not one per message: at expiry it measures the silence since the last statement.
    if (this.busy === 0 && this.idleMs > 0 && this.timer === undefined) this.arm(this.idleMs);
  }

  /**
   * The connected client pglite-socket's queue serves alone while the session is held: the handler
   * of the last message it ran (QueryQueueManager.lastHandlerId, matched against the server's
   * handlers; pglite-socket 0.2.17, pinned). Undefined when the queue names nobody, or a handler no
   * longer connected, or these internals are not there.
   */
  private queueHolder(): Socket | undefined {
    const server = this.server as unknown as { queryQueue?: { lastHandlerId?: unknown }; handlers?: Iterable<{ handlerId?: unknown; socket?: Socket | null }> } | undefined;
    const id = server?.queryQueue?.lastHandlerId;
    if (typeof id !== 'number') return undefined;
    for (const handler of server?.handlers ?? []) if (handler.handlerId === id) return handler.socket ?? undefined;
    return undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.expire(), ms);
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    // A statement running (a long one is not silence) re-arms the check when it ends.
    if (this.busy > 0 || this.heldSince === undefined || !this.isHeld()) return;
    const now = Date.now();
    const silent = now - this.lastEnd;
    if (silent < this.idleMs) return this.arm(this.idleMs - silent);
    // A hold whose messages were never answered (a lone Flush, say: nothing to send back) has no
    // holder the guard saw; the queue's own holder is the one everybody waits on.
    const socket = this.holder ?? this.queueHolder();
    const held = ((now - this.heldSince) / 1000).toFixed(1);
    if (!socket) {
      if (!this.warnedUnknown) {
        this.warnedUnknown = true;
        this.log(`palisade embedded postgres: the session has been held for ${held} s by a client the guard cannot name; it is not closed`);
      }
      return;
    }
    if (socket.destroyed) return;
    this.holder = undefined;
    const waiting = this.server?.getStats().queuedQueries ?? 0;
    this.log(
      `palisade embedded postgres: closed the connection from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}: ` +
        `it held the database session in an open transaction for ${held} s and sent nothing for ${(silent / 1000).toFixed(1)} s ` +
        `(limit ${this.idleMs} ms, PALISADE_EMBEDDED_IDLE_IN_TRANSACTION_MS) while ${waiting} message(s) from other clients waited; ` +
        `its transaction is rolled back and the process behind it will see "terminating connection due to idle-in-transaction timeout"`,
    );
    // What Postgres sends in this case (FATAL 25P03), then the close: pglite-socket detaches
    // the handler on close, rolls the transaction back and serves the other clients again.
    socket.write(fatalError('25P03', 'terminating connection due to idle-in-transaction timeout'));
    socket.destroy();
  }
}

const guards = new WeakMap<object, SessionGuard>();

/**
 * PGlite is a single session. pglite-socket's queue keeps one client's statements together
 * only inside an explicit transaction; between a client's Parse/Bind/Execute and its Sync,
 * another client's messages can slip in and take over the unnamed statement, returning wrong
 * rows. This guard reports "in transaction" until the current client reaches a message
 * boundary (Sync, simple Query, Terminate, or a start-up/auth message), so the queue serves
 * that client alone until then.
 *
 * The queue waits for the holder however long it stays silent, so a client that hangs inside
 * a transaction would stop every other one: once the server is started, guardServer() lets
 * the guard close such a client (see DEFAULT_IDLE_IN_TRANSACTION_MS).
 */
export function guardExtendedProtocol(db: PGlite, options: SessionGuardOptions = {}): PGlite {
  let midExchange = false;
  const guard = new SessionGuard(
    () => midExchange || db.isInTransaction(),
    options.idleInTransactionMs ?? DEFAULT_IDLE_IN_TRANSACTION_MS,
    options.log ?? ((line) => console.error(line)),
  );
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'isInTransaction') return () => midExchange || target.isInTransaction();
      if (prop === 'execProtocolRawStream') {
        return (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
          midExchange = !isBoundary(message);
          return guard.run((exec) => target.execProtocolRawStream(message, { ...options, onRawData: guard.output(exec, options.onRawData) }));
        };
      }
      if (prop === 'exec') {
        // The queue calls exec('ROLLBACK') when a client leaves mid-exchange: the exchange is over.
        return (query: string, options?: Parameters<PGlite['exec']>[1]) => {
          midExchange = false;
          return guard.run(() => target.exec(query, options));
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  guards.set(proxy, guard);
  return proxy;
}

/**
 * Lets the guard of `server.db` (made by guardExtendedProtocol) see the server's client
 * sockets, so it can close one that holds the session silent. Call it once the server has
 * started (its port is known); returns the function that stops watching.
 */
export function guardServer(server: PGLiteSocketServer): () => void {
  const guard = guards.get(server.db);
  if (!guard) throw new Error('guardServer: the server’s db is not a guardExtendedProtocol() proxy');
  const port = Number(server.getServerConn().split(':').pop());
  if (!Number.isInteger(port) || port <= 0) throw new Error(`guardServer: the server is not listening on a TCP port (${server.getServerConn()})`);
  guard.server = server;
  // Published synchronously for each accepted connection, before pglite-socket attaches its
  // handler (it does so on setImmediate) and so before any of the client's messages run.
  const onSocket = (message: unknown) => {
    const socket = (message as { socket: Socket }).socket;
    if (socket.localPort === port) guard.track(socket);
  };
  subscribe('net.server.socket', onSocket);
  return () => {
    unsubscribe('net.server.socket', onSocket);
  };
}

/** A backend ErrorResponse: severity FATAL, the SQLSTATE code and the message. */
function fatalError(code: string, message: string): Buffer {
  const fields = Buffer.concat(
    [`SFATAL`, `VFATAL`, `C${code}`, `M${message}`].map((f) => Buffer.from(`${f}\0`, 'utf8')).concat(Buffer.from([0])),
  );
  const head = Buffer.alloc(5);
  head.write('E', 0, 'latin1');
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
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
