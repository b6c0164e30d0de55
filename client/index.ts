/** @asm/client: the typed client for the Agent Session Manager API, and its event renderers. */
export { AsmClient } from "./client";
export type {
  AsmClientOptions,
  CreateScheduleRequest,
  ListSessionsParams,
  QueryCostParams,
  QueryRunsParams,
  ReadEventsParams,
  SubmitRunOptions,
} from "./client";
export { AsmError } from "./errors";
export { followEvents } from "./event-stream";
export type { FollowOptions, FollowSource, Transport } from "./event-stream";
export type { WebSocketConstructor, WebSocketLike } from "./websocket";
export * from "./types";
export * from "./render/index";
