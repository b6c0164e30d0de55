import type { EventType } from "./event-types";
import type { JsonObject } from "./json";

/**
 * An event as an adapter produces it; the DO adds id, sequence, session, run, provider and timestamp.
 * `token_usage_updated` data carries running totals for the whole run (not per-turn deltas).
 */
export type AdapterEvent = {
  type: EventType;
  data?: JsonObject;
  metadata?: JsonObject;
  timestamp?: string;
};
