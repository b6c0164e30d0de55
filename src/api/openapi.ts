import { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { ErrorBodySchema } from "../core/errors";
import { zodToAppError, errorResponse } from "./middleware/errors";
import type { AppEnv } from "./types";

/** A router whose validation failures become our error shape instead of zod's default. */
export function router(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return errorResponse(c, zodToAppError(result.error as z.ZodError, result.target));
      return undefined;
    },
  });
}

export const errorContent = { "application/json": { schema: ErrorBodySchema } };

/** The error responses every authenticated route can give. */
export const errorResponses = {
  400: { description: "Invalid input", content: errorContent },
  401: { description: "Missing or invalid API key", content: errorContent },
  404: { description: "Not found", content: errorContent },
} as const;

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { content: { "application/json": { schema } }, required: true } };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export const SessionIdParams = z.object({ id: z.string().min(1).max(128) });
export const RunIdParams = z.object({ id: z.string().min(1).max(128), rid: z.string().min(1).max(128) });
