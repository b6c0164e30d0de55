import { AppError } from "../core/errors";
import type { Subscribers, SubscriberCursor } from "./subscribers";

/** Turns a forwarded stream request (`/ws` or `/sse`, `from`, `run_id`, `types`) into a live subscription. */
export function openStream(
  request: Request,
  subscribers: Subscribers,
  limits: { heartbeatMs: number; maxQueued: number; stallMs: number },
): Response {
  const url = new URL(request.url);
  const cursor: SubscriberCursor = {
    next: Number(url.searchParams.get("from") ?? "1"),
    run_id: url.searchParams.get("run_id") ?? undefined,
    types: url.searchParams.get("types")?.split(",").filter(Boolean) ?? undefined,
  };
  if (url.pathname.endsWith("/ws")) {
    const pair = new WebSocketPair();
    subscribers.acceptWebSocket(pair[1], cursor);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }
  if (url.pathname.endsWith("/sse"))
    return subscribers.openSse(cursor, limits.heartbeatMs, { maxQueued: limits.maxQueued, stallMs: limits.stallMs });
  return Response.json(new AppError("not_found", "Unknown stream").toBody(), { status: 404 });
}
