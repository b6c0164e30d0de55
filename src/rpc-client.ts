/**
 * The typed view of a Durable Object stub: every public method of the class, with the parameters and the awaited
 * result its own signature declares. workerd's stub types turn a result that holds `unknown` (free-form JSON) into
 * `never`, which left every caller to assert the type it expected; the class's signatures are the contract, so the
 * view derives from them. A stub is assignable to it without a cast, which `tsc` checks where each binding is
 * addressed (session/address.ts, tenants/client.ts, providers/routing-state.ts).
 */
type Method = (...args: never[]) => unknown;

/** Handlers the runtime itself calls; a stub does not expose them. */
type Handlers = "alarm" | "webSocketMessage" | "webSocketClose" | "webSocketError";

type MethodKeys<T> = { [K in keyof T]-?: [T[K]] extends [never] ? never : T[K] extends Method ? K : never }[keyof T] & string;

export type RpcClient<T> = {
  [K in Exclude<MethodKeys<T>, Handlers>]: T[K] extends (...args: infer P) => infer R ? (...args: P) => Promise<Awaited<R>> : never;
};
