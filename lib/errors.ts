/**
 * An error a person can act on: a stable code, what was wrong, and what to do about it.
 * The API renders it as `{"error", "message", "hint"}`; the CLI prints message and hint.
 */
export class PalisadeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PalisadeError';
  }

  toBody(): ErrorBody {
    return { error: this.code, message: this.message, hint: this.hint };
  }
}

export interface ErrorBody {
  error: string;
  message: string;
  hint: string;
}

/** A short, single-line description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return err.errors.map(describeError).join('; ');
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** Hides the password of a connection URL so it can be printed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}
