import { AppError } from "../core/errors";
import { ID_PATTERNS } from "../core/ids";
import type { Env } from "../env";

/** The session's DO, named from tenant and id together: another tenant's key cannot even address it. */
export function sessionStubFor(env: Pick<Env, "SESSIONS">, tenantId: string, sessionId: string) {
  if (!ID_PATTERNS.session.test(sessionId)) throw new AppError("session_not_found", "Session not found", { session_id: sessionId });
  return env.SESSIONS.get(env.SESSIONS.idFromName(`${tenantId}:${sessionId}`));
}

export type SessionStub = ReturnType<typeof sessionStubFor>;
