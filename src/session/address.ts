import { AppError } from "../core/errors";
import { ID_PATTERNS } from "../core/ids";
import type { Env } from "../env";
import type { RpcClient } from "../rpc-client";
import type { SessionDO } from "./SessionDO";

/** The session DO's RPC surface, typed by its own methods. */
export type SessionStub = RpcClient<SessionDO>;

/** The session's DO, named from tenant and id together: another tenant's key cannot even address it. */
export function sessionStubFor(env: Pick<Env, "SESSIONS">, tenantId: string, sessionId: string): SessionStub {
  if (!ID_PATTERNS.session.test(sessionId)) throw new AppError("session_not_found", "Session not found", { session_id: sessionId });
  return env.SESSIONS.get(env.SESSIONS.idFromName(`${tenantId}:${sessionId}`));
}
