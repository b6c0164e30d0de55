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

/** The acknowledged sequence if `message` is a well-formed ack, else null (other frames are not ours to judge). */
export function parseAck(message: string | ArrayBuffer): number | null {
  if (typeof message !== "string" || !message.startsWith("{")) return null;
  try {
    const parsed = SocketAckSchema.safeParse(JSON.parse(message));
    return parsed.success ? parsed.data.sequence : null;
  } catch {
    return null;
  }
}
