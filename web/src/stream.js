// The daemon's event stream (docs/rpc.md, "Event stream"): Server-Sent Events read with fetch()
// rather than EventSource, so the request can carry the login's Authorization header. Reconnects
// by itself (after a daemon restart too) with a growing delay, 0.5 s up to 5 s.

import { EVENTS_URL, requestHeaders, setSessionId } from './rpc.js';

/** Largest SSE message accepted (a tick of every torrent of a big daemon fits easily). */
const MAX_MESSAGE = 16 << 20;

/**
 * Opens the stream and keeps it open. `handlers`: { onEvent(name, data, id), onOpen(),
 * onClose(reason), onUnauthorized() }. Returns a function that closes it for good.
 */
export function openEventStream(handlers) {
  let closed = false;
  let controller = null;
  let delay = 500;
  let timer = 0;

  async function connect() {
    controller = new AbortController();
    let res;
    try {
      res = await fetch(EVENTS_URL, {
        headers: { ...requestHeaders(), Accept: 'text/event-stream' },
        cache: 'no-store',
        credentials: 'same-origin',
        signal: controller.signal,
      });
    } catch (e) {
      return retry(`cannot connect (${e.message})`);
    }
    if (res.status === 401) {
      handlers.onUnauthorized?.();
      return; // the login form reopens the stream
    }
    if (!res.ok || !res.body) return retry(`HTTP ${res.status}`);
    delay = 500;
    handlers.onOpen?.();
    try {
      await readMessages(res.body, (name, data, id) => {
        if (name === 'hello') setSessionId(data['session-id']);
        handlers.onEvent(name, data, id);
      });
      retry('the daemon closed the stream');
    } catch (e) {
      if (!closed) retry(e.message);
    }
  }

  function retry(reason) {
    if (closed) return;
    handlers.onClose?.(reason);
    timer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, 5000);
  }

  connect();
  return () => {
    closed = true;
    clearTimeout(timer);
    controller?.abort();
  };
}

/** Parses an SSE body: `event:`, `id:` and `data:` lines, a blank line ends a message. */
async function readMessages(body, deliver) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let name = 'message';
  let id = '';
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    if (buffer.length > MAX_MESSAGE) throw new Error('an event is too long');
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      let line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (data.length) {
          let parsed = null;
          try {
            parsed = JSON.parse(data.join('\n'));
          } catch {
            parsed = null;
          }
          if (parsed !== null) deliver(name, parsed, id);
        }
        name = 'message';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let val = colon < 0 ? '' : line.slice(colon + 1);
      if (val.startsWith(' ')) val = val.slice(1);
      if (field === 'event') name = val;
      else if (field === 'data') data.push(val);
      else if (field === 'id') id = val;
    }
  }
}
