// The daemon's RPC (Transmission's, docs/rpc.md) as the page uses it: POST /tessera/rpc with the
// X-Transmission-Session-Id handshake (a 409 carries the id to use; the event stream's hello
// event gives it too) and, when the daemon has a password, Basic credentials from the login form
// (kept in sessionStorage for this tab only). Every request carries `X-Tessera-Web: 1`, so a 401
// comes without a WWW-Authenticate challenge and the browser shows no password dialog of its own.

export const RPC_URL = '/tessera/rpc';
export const EVENTS_URL = '/tessera/events';
const AUTH_KEY = 'tessera-auth';

let sessionId = '';
let authHeader = sessionStorage.getItem(AUTH_KEY) || '';
const unauthorizedListeners = new Set();

/** Counters the browser tests read (window.__tessera): RPC calls by method. */
export const rpcCounts = {};

export class RpcError extends Error {
  constructor(message, { status = 0, result = '' } = {}) {
    super(message);
    this.status = status;
    this.result = result;
  }
}

export function setSessionId(id) {
  if (id) sessionId = id;
}

/** Stores credentials for this tab ("" user and password: none). */
export function setCredentials(user, password) {
  authHeader = user || password ? 'Basic ' + utf8ToBase64(`${user}:${password}`) : '';
  if (authHeader) sessionStorage.setItem(AUTH_KEY, authHeader);
  else sessionStorage.removeItem(AUTH_KEY);
}

export function hasCredentials() {
  return authHeader !== '';
}

/** Called with no argument whenever the daemon answers 401 (the page then shows its login). */
export function onUnauthorized(fn) {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

/** Headers of every request to the daemon (RPC and event stream). */
export function requestHeaders() {
  const h = { 'X-Tessera-Web': '1' };
  if (authHeader) h.Authorization = authHeader;
  if (sessionId) h['X-Transmission-Session-Id'] = sessionId;
  return h;
}

function unauthorized() {
  for (const fn of unauthorizedListeners) fn();
  return new RpcError('The daemon asks for a user name and password.', { status: 401 });
}

/**
 * Calls one RPC method; resolves with the reply's `arguments`. Rejects with an RpcError: the
 * daemon's `result` text when it is not "success", or the HTTP status (401: login needed).
 */
export async function rpc(method, args = {}) {
  rpcCounts[method] = (rpcCounts[method] || 0) + 1;
  const body = JSON.stringify({ method, arguments: args });
  for (let attempt = 0; attempt < 3; ++attempt) {
    let res;
    try {
      res = await fetch(RPC_URL, {
        method: 'POST',
        headers: { ...requestHeaders(), 'Content-Type': 'application/json' },
        body,
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (e) {
      throw new RpcError(`The daemon cannot be reached (${e.message}).`);
    }
    if (res.status === 409) {
      setSessionId(res.headers.get('X-Transmission-Session-Id'));
      continue;
    }
    if (res.status === 401) throw unauthorized();
    if (!res.ok) throw new RpcError(`${method}: HTTP ${res.status}`, { status: res.status });
    const reply = await res.json();
    if (reply.result !== 'success') {
      throw new RpcError(reply.result || `${method} failed`, { status: res.status, result: reply.result });
    }
    return reply.arguments || {};
  }
  throw new RpcError('The daemon keeps refusing the session id.', { status: 409 });
}

function utf8ToBase64(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Base64 of an ArrayBuffer (a .torrent file's bytes for torrent-add's `metainfo`). */
export function bytesToBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}
