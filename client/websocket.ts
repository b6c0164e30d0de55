/**
 * The WebSocket surface the client uses: the common subset of the WHATWG WebSocket (browsers, Workers, Node 22) and
 * the `ws` package (Node 20), both of which implement addEventListener with `event.data` as a string for text frames.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // `any`: the DOM, workerd and `ws` each type their events differently (and `ws` generically); we read only
  // `data`, `code` and `reason`, and check them at runtime.
  addEventListener(type: "open" | "close" | "error" | "message", listener: (event: any) => void): void;
}

export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { headers?: Record<string, string> },
) => WebSocketLike;

export type ResolvedWebSocket = { ctor: WebSocketConstructor; supportsHeaders: boolean };

let wsPackage: Promise<WebSocketConstructor | null> | undefined;

/** The injected constructor, else the global one, else the `ws` package when it can be loaded, else null. */
export async function resolveWebSocket(injected?: WebSocketConstructor): Promise<ResolvedWebSocket | null> {
  if (injected) return { ctor: injected, supportsHeaders: isWsPackage(injected) };
  const global = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof global === "function") return { ctor: global as WebSocketConstructor, supportsHeaders: false };
  wsPackage ??= loadWsPackage();
  const ctor = await wsPackage;
  return ctor ? { ctor, supportsHeaders: true } : null;
}

async function loadWsPackage(): Promise<WebSocketConstructor | null> {
  // The specifier sits in a variable so bundlers for Workers and browsers leave `ws` out.
  const specifier = "ws";
  try {
    const mod = (await import(/* @vite-ignore */ specifier)) as { default?: unknown; WebSocket?: unknown };
    const ctor = mod.default ?? mod.WebSocket;
    return typeof ctor === "function" ? (ctor as WebSocketConstructor) : null;
  } catch {
    return null;
  }
}

/** The `ws` package's sockets have protocol-level `ping()`, which the WHATWG WebSocket lacks; only `ws` takes headers. */
function isWsPackage(ctor: WebSocketConstructor): boolean {
  return typeof (ctor.prototype as { ping?: unknown } | undefined)?.ping === "function";
}
