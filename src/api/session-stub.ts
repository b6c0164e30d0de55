import type { Context } from "hono";
import { AppError, unwrap, type Result } from "../core/errors";
import { ID_PATTERNS } from "../core/ids";
import type { AppEnv } from "./types";
import type { Env } from "../env";

/** The session's DO, named from tenant and id together: another tenant's key cannot even address it. */
export function sessionStub(c: Context<AppEnv>, sessionId: string) {
  return sessionStubFor(c.env, c.get("tenantId"), sessionId);
}

export function sessionStubFor(env: Pick<Env, "SESSIONS">, tenantId: string, sessionId: string) {
  if (!ID_PATTERNS.session.test(sessionId)) throw new AppError("session_not_found", "Session not found", { session_id: sessionId });
  return env.SESSIONS.get(env.SESSIONS.idFromName(`${tenantId}:${sessionId}`));
}

/**
 * Awaits a DO call that returns a Result and rethrows its error as an AppError. The RPC stub's inferred types
 * flatten `unknown` JSON fields, so the caller names the value type it knows the method returns.
 */
export async function call<T>(promise: Promise<unknown>): Promise<T> {
  return unwrap((await promise) as Result<T>);
}
