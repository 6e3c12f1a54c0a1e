// The API, called with the token the user signed in with (kept in this tab's session storage).

const TOKEN_KEY = 'palisade.token';
const ROLES = ['viewer', 'responder', 'approver', 'admin'];

export const session = {
  token: sessionStorage.getItem(TOKEN_KEY),
  /** GET /me: {name, role, tokenId}, once signed in. */
  me: null,
};

let unauthorized = () => {};

/** What to do when the API says the token is no longer good (401). */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

export function remember(token, me) {
  sessionStorage.setItem(TOKEN_KEY, token);
  session.token = token;
  session.me = me;
}

export function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
  session.token = null;
  session.me = null;
}

export function atLeast(role) {
  return session.me !== null && ROLES.indexOf(session.me.role) >= ROLES.indexOf(role);
}

/** An API error: its status, its code, and the body's message and hint. */
export class ApiFailure extends Error {
  constructor(status, body) {
    super((body && body.message) || `The API answered ${status}.`);
    this.status = status;
    this.code = (body && body.error) || `http_${status}`;
    this.hint = (body && body.hint) || '';
  }
}

/**
 * A call to the API with the signed-in token (or `opts.token`). JSON answers are parsed,
 * others come back as text; an error throws ApiFailure.
 */
export async function api(path, opts = {}) {
  const headers = { accept: opts.accept || 'application/json', ...(opts.body ? { 'content-type': 'application/json' } : {}) };
  const token = opts.token || session.token;
  if (token) headers.authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { method: opts.method || 'GET', headers, body: opts.body ? JSON.stringify(opts.body) : undefined });
  } catch (err) {
    throw new ApiFailure(0, { error: 'network', message: `The API could not be reached (${err.message}).`, hint: 'Check that Palisade is running, then retry.' });
  }
  const type = res.headers.get('content-type') || '';
  const body = type.includes('application/json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const failure = new ApiFailure(res.status, typeof body === 'object' ? body : null);
    if (res.status === 401 && !opts.token) unauthorized(failure);
    throw failure;
  }
  return body;
}
