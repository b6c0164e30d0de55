import type { FlushStatus } from "../../../src/session/flusher";
import { SessionDO } from "../../../src/session/SessionDO";

/**
 * The session object with the hooks only tests and benchmarks use: flush or fan out now instead of waiting for the
 * alarm, reach the flusher to swap its D1 store for a failing one, and read the subscribers' in-memory cursors.
 * The suite and the bench Worker bind this class under the production class's name (test/workers/support/entry.ts);
 * production never ships these methods.
 */
export class TestSessionDO extends SessionDO {
  get flusherForTests() {
    return this.flusher;
  }

  get subscribersForTests() {
    return this.subscribers;
  }

  async flushNow(): Promise<FlushStatus> {
    await this.flusher.flushAll();
    return this.flusher.status();
  }

  async fanOutNow(): Promise<{ retry_in_ms: number | null }> {
    return { retry_in_ms: await this.fanout.run() };
  }
}

/** The suite's session namespace, typed with the hooks: the class bound there is TestSessionDO (entry.ts). */
export function testSessions(env: { SESSIONS: DurableObjectNamespace<SessionDO> }): DurableObjectNamespace<TestSessionDO> {
  // The binding's declared type is the production class; at run time the suite binds the subclass.
  return env.SESSIONS as unknown as DurableObjectNamespace<TestSessionDO>;
}
