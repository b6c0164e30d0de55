import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CODE_BY_STATUS, httpExceptionToAppError, onError, zodToAppError } from "../../../src/api/middleware/errors";
import { AppError, ErrorBodySchema, httpStatusOf } from "../../../src/core/errors";
import { appWith, errorOf } from "./harness";

const throwing = (err: Error) =>
  appWith([], () => {
    throw err;
  });

describe("errors middleware: HTTPException by status", () => {
  it("maps every listed status to a code whose status is that status again", () => {
    for (const [status, code] of Object.entries(CODE_BY_STATUS)) expect(httpStatusOf(code), code).toBe(Number(status));
  });

  it.each(Object.entries(CODE_BY_STATUS).map(([s, code]) => [Number(s), code] as const))("HTTPException(%i) → %s", async (status, code) => {
    const res = await throwing(new HTTPException(status as 400)).request("/x");
    expect(res.status).toBe(status);
    const body: unknown = await res.json();
    expect(ErrorBodySchema.parse(body).error.code).toBe(code);
  });

  it("keeps the exception's message, and says invalid_format for a 400 about JSON", async () => {
    expect(httpExceptionToAppError(new HTTPException(401, { message: "no key here" })).message).toBe("no key here");
    expect(httpExceptionToAppError(new HTTPException(400, { message: "Malformed JSON in request body" })).code).toBe("invalid_format");
    expect(httpExceptionToAppError(new HTTPException(400, { message: "bad query" })).code).toBe("invalid_input");
  });

  it("answers any other 4xx as 400 invalid_input and 5xx as 500 internal_error, keeping the thrown status in details", async () => {
    const teapot = await throwing(new HTTPException(418, { message: "short and stout" })).request("/x");
    expect(teapot.status).toBe(400);
    expect(await errorOf(teapot)).toMatchObject({ code: "invalid_input", message: "short and stout", details: { http_status: 418 } });
    const gateway = await throwing(new HTTPException(502)).request("/x");
    expect(gateway.status).toBe(500);
    expect(await errorOf(gateway)).toMatchObject({ code: "internal_error", details: { http_status: 502 } });
  });

  it("turns Hono's own 401 (bearerAuth) and 413 (bodyLimit) into the envelope with their statuses", async () => {
    const app = new Hono();
    app.use("/auth/*", bearerAuth({ token: "secret" }));
    app.use("/body/*", bodyLimit({ maxSize: 4 }));
    app.all("*", (c) => c.text("ok"));
    app.onError(onError);
    const unauthorized = await app.request("/auth/x");
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get("www-authenticate")).toBe('Bearer realm="asm"');
    expect((await errorOf(unauthorized)).code).toBe("unauthorized");
    const tooLarge = await app.request("/body/x", { method: "POST", body: "0123456789" });
    expect(tooLarge.status).toBe(413);
    expect((await errorOf(tooLarge)).code).toBe("payload_too_large");
  });
});

describe("errors middleware: AppError and the rest", () => {
  it("answers an AppError with its code's status, retryable flag and conventional headers", async () => {
    const limited = await throwing(new AppError("rate_limited", "slow down", { retry_after_ms: 2500 })).request("/x");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(await errorOf(limited)).toEqual({
      code: "rate_limited",
      message: "slow down",
      details: { retry_after_ms: 2500 },
      retryable: true,
    });
    const down = await throwing(new AppError("dependency_not_available", "no D1")).request("/x");
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    const upgrade = await throwing(new AppError("upgrade_required", "use a WebSocket")).request("/x");
    expect(upgrade.headers.get("upgrade")).toBe("websocket");
  });

  it("hides an unexpected error behind 500 internal_error with the request id", async () => {
    const res = await throwing(new Error("secret detail")).request("/x", { headers: { "x-request-id": "req_test" } });
    expect(res.status).toBe(500);
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: "internal_error", message: "Internal error", details: { request_id: "req_test" } });
    expect(JSON.stringify(error)).not.toContain("secret detail");
  });

  it("names every zod issue with its target and path", () => {
    const result = z.object({ a: z.object({ b: z.number() }) }).safeParse({ a: { b: "x" } });
    if (result.success) throw new Error("expected a failure");
    const err = zodToAppError(result.error, "body");
    expect(err.code).toBe("validation_error");
    expect(err.message).toMatch(/^body\.a\.b: /);
    expect(err.details.issues).toEqual([expect.objectContaining({ path: "body.a.b" })]);
  });
});
