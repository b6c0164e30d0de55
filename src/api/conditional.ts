import type { Context } from "hono";
import { etagMatches, etagOf } from "../core/etag";

/**
 * Sets the ETag of a JSON representation and says whether the request's If-None-Match already names it (then
 * the route answers 304 without a body). The tag is the one the session's object compares an If-Match against.
 */
export function tagAndCheckFresh(c: Context, value: unknown): boolean {
  const etag = etagOf(value);
  c.header("etag", etag);
  return c.req.method === "GET" && etagMatches(c.req.header("if-none-match"), etag);
}
