import { InterceptingCall, Metadata, status, type InterceptingListener, type Interceptor } from '@grpc/grpc-js';
import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';

/** A lazy Temporal connection, and the way to close it (`close`, never `connection.close()`). */
export interface ClosableConnection {
  connection: Connection;
  /** Closes it: a call waiting to be retried then ends CANCELLED instead of crashing the process. */
  close(): Promise<void>;
}

/**
 * A lazy connection with Temporal's usual retries, that can be closed while a call waits for its
 * next attempt. The retry interceptor of @temporalio/client 1.24 schedules each attempt on a timer
 * that `Connection.close()` does not clear; an attempt made after the close throws "Channel has
 * been shut down" from that timer, an uncaught exception. Here every attempt made after `close`
 * is answered CANCELLED instead, which the retries do not retry, so the call rejects where it is
 * awaited.
 */
export function closableConnection(options: ConnectionOptions): ClosableConnection {
  let closed = false;
  const refuseOnceClosed: Interceptor = (callOptions, nextCall) => new InterceptingCall(closed ? refusedCall() : nextCall(callOptions));
  // The retry interceptor first (outermost), as Connection's default list has it; then the guard, under each attempt.
  const connection = Connection.lazy({ ...options, interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), refuseOnceClosed] });
  return {
    connection,
    close: async () => {
      closed = true;
      await connection.close();
    },
  };
}

/** A call that never reaches the channel: it ends CANCELLED as soon as it starts. */
function refusedCall(): ConstructorParameters<typeof InterceptingCall>[0] {
  return {
    start(_metadata: Metadata, listener?: Partial<InterceptingListener>) {
      setImmediate(() => listener?.onReceiveStatus?.({ code: status.CANCELLED, details: 'the Temporal connection was closed', metadata: new Metadata() }));
    },
    cancelWithStatus: () => undefined,
    getPeer: () => '',
    sendMessageWithContext: () => undefined,
    sendMessage: () => undefined,
    startRead: () => undefined,
    halfClose: () => undefined,
    getAuthContext: () => null,
  };
}
