import { Connection, type WorkflowHandle } from '@temporalio/client';
import { InternalConnectionOptionsSymbol, type InternalConnectionOptions } from '@temporalio/client/lib/connection';
import type { Duration, QueryDefinition } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { msToNumber } from '@temporalio/common/lib/time';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { isTemporalUnreachable } from '../../apps/api/common/temporal-errors';
import { ManagedProcess } from '../../apps/cli/start/child-process';
import { freePort } from '../../apps/cli/start/ports';
import { temporalAnswers } from '../../apps/cli/start/temporal-dev-server';
import { PalisadeError } from '../../lib/errors';
import { SEARCH_ATTRIBUTE } from '../../lib/temporal/names';
import type { ResolvedTestServer } from './temporal-test-server';

export interface TimeSkippingOptions {
  /** Default: the one the integration tests' global setup resolved (fetched once into `.cache/`). */
  server?: ResolvedTestServer;
  /** How long the JVM may take to answer (default 60 s: a loaded machine starts it slowly). */
  startTimeoutMs?: number;
}

/**
 * A `TestWorkflowEnvironment` with time skipping, on a Java test server of its own. Give its
 * `address` to a test engine (worker and API); drive time with `sleep`, `advanceUntil` and
 * `client.workflow.result()`. Its clock runs at wall speed until one of those skips it.
 * The server's clock is global: start one environment per test file, and run its tests in order.
 *
 * Not `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path' } } })`:
 * the SDK gives the server it spawns 5 s to answer, and the JVM takes 3 to 6 s on a busy machine.
 * This class starts the JVM itself and attaches to it the way `createTimeSkipping` attaches to the
 * server it starts: a connection with the TestService enabled, through the SDK-internal
 * `InternalConnectionOptionsSymbol` (if an SDK upgrade moves it, every test of this kit fails).
 */
export class TimeSkippingEnvironment extends TestWorkflowEnvironment {
  private constructor(
    connection: Connection,
    nativeConnection: NativeConnection,
    address: string,
    private readonly jvm: ManagedProcess,
    private readonly scratch: string,
  ) {
    super(Runtime.instance(), { server: { type: 'time-skipping' }, client: {}, plugins: [] }, true, 'existing', connection, nativeConnection, 'default', address);
  }

  /** Starts the server, registers Palisade's search attributes, and connects. */
  static async start(opts: TimeSkippingOptions = {}): Promise<TimeSkippingEnvironment> {
    const server = opts.server ?? providedServer();
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'palisade-time-skipping-'));
    const jvm = new ManagedProcess({
      name: 'temporal-test-server',
      command: server.java,
      // Serial GC and the C1 compiler only: a short-lived server starts faster and stays smaller.
      args: ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', server.classpath, server.mainClass, String(port)],
      logFile: path.join(scratch, 'test-server.log'),
    });
    try {
      await waitForServer(address, jvm, server, opts.startTimeoutMs ?? 60_000);
      const connection = await Connection.connect({ address, [InternalConnectionOptionsSymbol]: { supportsTestService: true } } as InternalConnectionOptions);
      // The server knows only its own Custom*Field attributes: playbooks upsert Palisade's.
      await connection.operatorService.addSearchAttributes({
        namespace: 'default',
        searchAttributes: Object.fromEntries(Object.values(SEARCH_ATTRIBUTE).map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
      });
      const nativeConnection = await NativeConnection.connect({ address });
      return new TimeSkippingEnvironment(connection, nativeConnection, address, jvm, scratch);
    } catch (err) {
      await jvm.stop(2_000);
      rmSync(scratch, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Skips server time `step` at a time until `check` answers (a gate opened, a wave baked),
   * never more than `step` past the moment it could have: a gate's 15-minute clock is barely
   * touched when the test gets to answer it. Activities run at wall speed in between.
   */
  async advanceUntil<T>(what: string, check: () => Promise<T | undefined>, opts: { step?: Duration; limit?: Duration } = {}): Promise<T> {
    const step = msToNumber(opts.step ?? '1m');
    const limit = msToNumber(opts.limit ?? '1d');
    const from = await this.currentTimeMs();
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if ((await this.currentTimeMs()) - from > limit) throw new Error(`${what} did not happen within ${opts.limit ?? '1d'} of server time`);
      await this.sleep(step);
    }
  }

  override async teardown(): Promise<void> {
    await super.teardown();
    await this.jvm.stop(5_000);
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/** Starts a time-skipping environment (see TimeSkippingEnvironment). */
export function startTimeSkipping(opts: TimeSkippingOptions = {}): Promise<TimeSkippingEnvironment> {
  return TimeSkippingEnvironment.start(opts);
}

/**
 * A query that gives up after `withinMs` (undefined) rather than wait: on this server a query
 * that reaches a run as it continues as new goes unanswered for 75 to 85 s (the next query is
 * answered by the new run). Poll with it, in `eventually` or `advanceUntil`.
 */
export async function quickQuery<R>(handle: WorkflowHandle, query: QueryDefinition<R, []>, withinMs = 2_000): Promise<R | undefined> {
  try {
    return await handle.client.connection.withDeadline(Date.now() + withinMs, () => handle.query(query));
  } catch (err) {
    if (isTemporalUnreachable(err)) return undefined;
    throw err;
  }
}

function providedServer(): ResolvedTestServer {
  const provided = inject('temporalTestServer');
  if ('error' in provided) throw kitError(provided.error.error, provided.error.message, provided.error.hint);
  return provided;
}

async function waitForServer(address: string, jvm: ManagedProcess, server: ResolvedTestServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!jvm.running) {
      throw kitError(
        'temporal_test_server_start_failed',
        `The time-skipping test server (${server.java} ${server.mainClass}) exited during start-up. Its last lines:\n  ${jvm.logTail().split('\n').join('\n  ')}`,
        'It needs Java 8 or newer; if the jars in the cache are damaged, delete the folder of the classpath above and run again to fetch them anew.',
      );
    }
    if (await temporalAnswers(address, 1_000)) return;
    await sleep(200);
  }
  throw kitError('temporal_test_server_start_timeout', `The time-skipping test server did not answer on ${address} within ${timeoutMs / 1000} s.`, 'The machine may be overloaded; retry.');
}

/** Vitest prints a failure's message, not its hint: the kit's errors carry both. */
function kitError(code: string, message: string, hint: string): PalisadeError {
  return new PalisadeError(code, `${message}\n${hint}`, hint);
}
