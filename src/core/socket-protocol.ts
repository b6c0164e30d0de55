import { z } from "zod";

/**
 * What a WebSocket client sends to grant flow-control credit: the highest sequence it has processed. The server
 * sends at most `SUBSCRIBER_MAX_QUEUED` sequences past the last ack, so a client must ack at least that often.
 */
export const SocketAckSchema = z.object({ type: z.literal("ack"), sequence: z.number().int().nonnegative() });
export type SocketAck = z.infer<typeof SocketAckSchema>;

/** The ack frame for `sequence`. */
export function ackFrame(sequence: number): string {
  return JSON.stringify({ type: "ack", sequence } satisfies SocketAck);
}

/** `ackFrame`'s output; up to 15 digits stays a safe integer, anything else takes the full parse. */
const CANONICAL_ACK = /^\{"type":"ack","sequence":(0|[1-9]\d{0,14})\}$/;

/** The acknowledged sequence if `message` is a well-formed ack, else null (other frames are not ours to judge). */
export function parseAck(message: string | ArrayBuffer): number | null {
  if (typeof message !== "string" || !message.startsWith("{")) return null;
  // Fast path for the exact frame `ackFrame` writes: 1,000 sockets ack at once, and JSON + zod each time shows.
  const canonical = CANONICAL_ACK.exec(message);
  if (canonical) return Number(canonical[1]);
  try {
    const parsed = SocketAckSchema.safeParse(JSON.parse(message));
    return parsed.success ? parsed.data.sequence : null;
  } catch {
    return null;
  }
}
