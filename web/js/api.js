// The API client for the dashboard: the key is entered once and kept in localStorage.
const KEY = "asm.apiKey";

export const apiKey = {
  get: () => localStorage.getItem(KEY),
  set: (k) => localStorage.setItem(KEY, k),
  clear: () => localStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? "unknown_error";
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const res = await fetch(`/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey.get() ?? ""}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** A short-lived token that opens this session's WebSocket or SSE stream (POST /v1/sessions/:id/stream-token). */
export async function streamToken(sessionId) {
  return (await api(`/sessions/${sessionId}/stream-token`, { method: "POST" })).token;
}

/**
 * Follows a session live over its WebSocket from `from`, reconnecting with backoff from the last sequence seen.
 * Sequences already delivered are dropped, so `onEvent` sees each event exactly once and in order.
 */
export function followSession(sessionId, from, onEvent, onState) {
  let last = from - 1;
  let ws = null;
  let stopped = false;
  let attempt = 0;
  let ping = null;
  const retry = () => {
    if (stopped) return;
    onState("reconnecting");
    setTimeout(connect, Math.min(10_000, 250 * 2 ** attempt++));
  };
  const connect = async () => {
    if (stopped) return;
    // The key never goes into a URL: each connection gets a fresh short-lived token for this session.
    let token;
    try {
      token = await streamToken(sessionId);
    } catch {
      return retry();
    }
    if (stopped) return;
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(
      `${proto}://${location.host}/v1/sessions/${sessionId}/ws?from_sequence=${last + 1}&token=${encodeURIComponent(token)}`,
    );
    ws.onopen = () => {
      attempt = 0;
      onState("live");
      ping = setInterval(() => ws.readyState === 1 && ws.send("ping"), 20_000);
    };
    const socket = ws;
    let unacked = 0;
    let ackTimer = null;
    // Flow control: the server stops sending past its window until we ack what we have rendered.
    const ack = () => {
      clearTimeout(ackTimer);
      ackTimer = null;
      if (unacked && socket.readyState === 1) socket.send(JSON.stringify({ type: "ack", sequence: last }));
      unacked = 0;
    };
    ws.onmessage = (m) => {
      if (m.data === "pong") return;
      const event = JSON.parse(m.data);
      if (event.sequence <= last) return;
      last = event.sequence;
      onEvent(event);
      // Every 64 events, and what is left once the stream has been idle 250 ms (the pace the typed client's AckPacer starts at).
      clearTimeout(ackTimer);
      if (++unacked >= 64) ack();
      else ackTimer = setTimeout(ack, 250);
    };
    ws.onclose = () => {
      clearInterval(ping);
      retry();
    };
  };
  connect();
  return () => {
    stopped = true;
    clearInterval(ping);
    ws?.close();
  };
}
