import { PalisadeError, type ErrorBody } from '../../../lib/errors';

/** What `palisade` exits with; README ("CLI") and `palisade --help` list them. */
export const EXIT = {
  ok: 0,
  /** A usage error, a bad file, or anything unexpected. */
  usage: 1,
  /** The server refused the request: validation (400), a vote that did not count (409), … */
  rejected: 2,
  /** 401 (no, unknown or revoked token) or 403 (the token's role is not enough). */
  auth: 3,
  notFound: 4,
  /** The API did not answer, or answered 5xx. */
  unavailable: 5,
  /** `replay check`: a recorded history no longer replays on the current workflow code. */
  replayFailed: 6,
  /** `gameday run`: the game day finished and at least one of its SLOs failed. */
  sloFailed: 7,
  /** `providers check`: a configured vendor was denied or did not answer. */
  providerCheckFailed: 8,
  /** `playbook check`: a declaration, policy, routing rule, type or recorded history has a problem; `playbook test`: a test failed. */
  playbookCheckFailed: 9,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  usage error, unreadable file, or unexpected failure
  2  rejected by the server (invalid request, a vote that did not count: 4xx, 409)
  3  not authenticated or not allowed (401, 403): check --token / PALISADE_TOKEN
  4  not found (404)
  5  the API did not answer, or failed (5xx)
  6  replay check: a history no longer replays
  7  gameday run: an SLO of the game day failed (the scorecard says which)
  8  providers check: a configured vendor was denied or did not answer
  9  playbook check: a playbook folder has a problem (each is printed with its file and line); playbook test: a test failed`;

/** An error the CLI prints as `palisade: <message>\n  <hint>` and exits with `exitCode`. */
export class CliError extends PalisadeError {
  /** The HTTP status the API answered with, when it did. */
  readonly status: number | undefined;

  constructor(
    readonly exitCode: ExitCode,
    code: string,
    message: string,
    hint: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(code, message, hint, options);
    this.name = 'CliError';
    this.status = options?.status;
  }

  override toBody(): ErrorBody & { status?: number } {
    return { ...super.toBody(), ...(this.status !== undefined ? { status: this.status } : {}) };
  }
}

/** The exit code for an HTTP status the API answered with. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status >= 500) return EXIT.unavailable;
  if (status >= 400) return EXIT.rejected;
  return EXIT.usage;
}
