// The dashboard's access to the REST API (docs/api.md). The bearer token lives in this tab's
// sessionStorage and travels only in the Authorization header: never in a URL, never logged.

const TOKEN_KEY = 'spotkeeper.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// Called when the server answers 401: the token is wrong or was replaced.
let unauthorizedHandler = () => {};
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function authHeaders(extra = {}) {
  return {Authorization: 'Bearer ' + token(), ...extra};
}

// One API call; resolves with the parsed JSON body, rejects with an ApiError carrying the
// server's {code, message}.
export async function api(method, path, body) {
  const init = {method, headers: authHeaders(), cache: 'no-store'};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'Unavailable', 'the server cannot be reached (' + e.message + ')');
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (res.status === 401) unauthorizedHandler();
  if (!res.ok) {
    throw new ApiError(
        res.status, json && json.code, (json && json.message) || text || res.statusText);
  }
  return json;
}

// Splits a text/event-stream into events: {id, data} for each block that has data. Feed it
// chunks as they come; returns the complete events so far.
export class SseParser {
  constructor() {
    this.buffer = '';
  }

  push(chunk) {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    const events = [];
    let end;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let id = null;
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;  // a keepalive comment
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'id') id = value;
        if (field === 'data') data.push(value);
      }
      if (data.length > 0) events.push({id, data: data.join('\n')});
    }
    return events;
  }
}

// Follows GET /api/v1/events/stream with fetch (EventSource cannot send the Authorization
// header). Reconnects after a drop from the last seen seq, waiting 1 s, 2 s, ... up to 15 s.
// onEvent(event) gets each audit event; onState('connecting' | 'live' | 'retrying') the link's
// state.
export class EventStream {
  constructor(onEvent, onState) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.lastSeq = null;
    this.received = 0;
    this.controller = null;
    this.stopped = true;
  }

  start(tail = 20) {
    this.stopped = false;
    this.run(tail);
  }

  stop() {
    this.stopped = true;
    if (this.controller) this.controller.abort();
  }

  async run(tail) {
    let delay = 1000;
    while (!this.stopped) {
      this.onState('connecting');
      this.controller = new AbortController();
      const query = this.lastSeq !== null ? 'after=' + this.lastSeq : 'tail=' + tail;
      try {
        const res = await fetch('/api/v1/events/stream?' + query, {
          headers: authHeaders({Accept: 'text/event-stream'}),
          cache: 'no-store',
          signal: this.controller.signal,
        });
        if (res.status === 401) {
          unauthorizedHandler();
          return;
        }
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        this.onState('live');
        delay = 1000;
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        const parser = new SseParser();
        for (;;) {
          const {done, value} = await reader.read();
          if (done) break;
          for (const e of parser.push(decoder.decode(value, {stream: true}))) {
            if (e.id !== null) this.lastSeq = e.id;
            let event;
            try {
              event = JSON.parse(e.data);
            } catch (err) {
              continue;
            }
            this.received += 1;
            this.onEvent(event);
          }
        }
      } catch (e) {
        if (this.stopped) return;
      }
      if (this.stopped) return;
      this.onState('retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }
}
