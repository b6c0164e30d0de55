import { runInDurableObject } from "cloudflare:test";
import type { TestSessionDO } from "./test-session-do";

/**
 * Waits until a session object could hibernate without losing a socket's cursor. The runtime only hibernates an
 * object with no timer pending, and a moved cursor keeps one pending until its attachment is written
 * (subscribers.ts, ATTACHMENT_SAVE_DELAY_MS); `evictDurableObject` evicts at once, so tests that stand in for a
 * hibernation wait for this first.
 */
export async function untilAttachmentsSaved(stub: DurableObjectStub<TestSessionDO>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const pending = await runInDurableObject(stub, (instance: TestSessionDO) => instance.subscribersForTests.unsavedCursors);
    if (pending === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("moved cursors were never written to their attachments");
}
