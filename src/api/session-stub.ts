import type { Context } from "hono";
import { unwrap, type Result } from "../core/errors";
import { sessionStubFor } from "../session/address";
import type { AppEnv } from "./types";

export { sessionStubFor } from "../session/address";

/** The session's DO, named from tenant and id together: another tenant's key cannot even address it. */
export function sessionStub(c: Context<AppEnv>, sessionId: string) {
  return sessionStubFor(c.env, c.get("tenantId"), sessionId);
}

/** Awaits a DO call that returns a Result and rethrows its error as an AppError; the value's type is the method's. */
export async function call<T>(promise: Promise<Result<T>>): Promise<T> {
  return unwrap(await promise);
}
