import type { Env } from "../env";
import type { Config } from "../core/config";

/** Hono context variables set by middleware. */
export type Variables = { tenantId: string; requestId: string; config: Config };
export type AppEnv = { Bindings: Env; Variables: Variables };
