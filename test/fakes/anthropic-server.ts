import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { messagesRequestError } from "./anthropic-rules";
import { RejectionLog } from "./rejections";

/**
 * A local stand-in for the Anthropic Messages API that speaks its real streaming protocol (SSE events
 * message_start, content_block_start/delta/stop, message_delta, message_stop). The scenario is picked by a
 * marker in the first user message: `[tools]` (write_file, then bash, then text), `[overloaded]` (529),
 * `[ratelimited]` (429 with retry-after), `[server-error]` (500), `[cut]` (stream dropped mid-message),
 * `[slow]` (text trickling out), anything else a plain text answer. The scenario's prompt is the newest user message
 * with text (earlier ones are replayed history); its tool step counts the tool results after it. Requests the real
 * API refuses get its 400 (see anthropic-rules.ts) and are logged at `GET /_fake/rejections`.
 */
type Req = {
  model: string;
  max_tokens?: unknown;
  messages: { role: string; content: unknown }[];
  tools?: { name: string }[];
  stream?: boolean;
};

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

type ContentBlock = { type: string; text?: string };
const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? (content as ContentBlock[])
          .filter((b) => b.type === "text")
          .map((b) => b.text ?? "")
          .join("")
      : "";
const hasToolResult = (content: unknown): boolean =>
  Array.isArray(content) && (content as ContentBlock[]).some((c) => c.type === "tool_result");

/** The prompt this request answers: the newest user message with text. */
function promptIndex(body: Req): number {
  return body.messages.findLastIndex((m) => m.role === "user" && textOf(m.content) !== "");
}

function promptText(body: Req): string {
  const at = promptIndex(body);
  return at === -1 ? "" : textOf(body.messages[at]!.content);
}

/** How many tool rounds the current prompt has had: user messages of tool results after it. */
function toolResultsSoFar(body: Req): number {
  return body.messages.slice(promptIndex(body) + 1).filter((m) => m.role === "user" && hasToolResult(m.content)).length;
}

/** Tool ids are unique per call, as the real API's are (replayed history would otherwise repeat them). */
let toolIds = 0;
const toolId = () => `toolu_${(++toolIds).toString().padStart(4, "0")}${Math.random().toString(36).slice(2, 10)}`;

async function streamMessage(
  res: ServerResponse,
  model: string,
  blocks: ({ text: string } | { tool: string; id: string; input: unknown })[],
  stop: string,
  usage: { input: number; output: number; cache_read?: number },
  delayMs = 0,
) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  sse(res, "message_start", {
    type: "message_start",
    message: {
      id: `msg_${Date.now()}`,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: usage.input,
        output_tokens: 1,
        cache_read_input_tokens: usage.cache_read ?? 0,
        cache_creation_input_tokens: 0,
      },
    },
  });
  sse(res, "ping", { type: "ping" });
  for (const [index, b] of blocks.entries()) {
    if ("text" in b) {
      sse(res, "content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
      for (const piece of b.text.match(/.{1,8}/gs) ?? []) {
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        if (res.destroyed) return;
        sse(res, "content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } });
      }
    } else {
      sse(res, "content_block_start", {
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id: b.id, name: b.tool, input: {} },
      });
      const json = JSON.stringify(b.input);
      for (let i = 0; i < json.length; i += 10)
        sse(res, "content_block_delta", {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: json.slice(i, i + 10) },
        });
    }
    sse(res, "content_block_stop", { type: "content_block_stop", index });
  }
  sse(res, "message_delta", {
    type: "message_delta",
    delta: { stop_reason: stop, stop_sequence: null },
    usage: { output_tokens: usage.output },
  });
  sse(res, "message_stop", { type: "message_stop" });
  res.end();
}

export async function startFakeAnthropic(): Promise<{
  url: string;
  requests: Req[];
  rejections: RejectionLog;
  closedEarly: () => number;
  close(): Promise<void>;
}> {
  const requests: Req[] = [];
  const rejections = new RejectionLog();
  let closedEarly = 0;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    if (rejections.serve(req, res)) return;
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw || "{}") as Req;
    requests.push(body);
    const invalid = messagesRequestError(body);
    if (invalid) {
      rejections.add(raw, invalid);
      res
        .writeHead(400, { "content-type": "application/json" })
        .end(JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: invalid } }));
      return;
    }
    res.on("close", () => {
      if (!res.writableEnded) closedEarly++;
    });
    const text = promptText(body);
    if (text.includes("[overloaded]")) {
      res
        .writeHead(529, { "content-type": "application/json" })
        .end(JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }));
      return;
    }
    if (text.includes("[ratelimited]")) {
      res
        .writeHead(429, { "content-type": "application/json", "retry-after": "7" })
        .end(JSON.stringify({ type: "error", error: { type: "rate_limit_error", message: "Rate limited" } }));
      return;
    }
    if (text.includes("[server-error]")) {
      res
        .writeHead(500, { "content-type": "application/json" })
        .end(JSON.stringify({ type: "error", error: { type: "api_error", message: "Internal server error" } }));
      return;
    }
    if (text.includes("[cut]")) {
      // The connection drops in the middle of a message: no message_delta, no message_stop.
      res.writeHead(200, { "content-type": "text/event-stream" });
      sse(res, "message_start", {
        type: "message_start",
        message: {
          id: "msg_cut",
          type: "message",
          role: "assistant",
          model: body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 5, output_tokens: 1 },
        },
      });
      sse(res, "content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
      sse(res, "content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "partial" } });
      setTimeout(() => res.destroy(), 20);
      return;
    }
    if (text.includes("[slow]"))
      return streamMessage(res, body.model, [{ text: "x".repeat(4000) }], "end_turn", { input: 10, output: 500 }, 20);
    if (text.includes("[tools]")) {
      const step = toolResultsSoFar(body);
      if (step === 0)
        return streamMessage(
          res,
          body.model,
          [
            { text: "I'll write the file." },
            { tool: "write_file", id: toolId(), input: { path: "notes.txt", content: "hello from claude\n" } },
          ],
          "tool_use",
          { input: 400, output: 60, cache_read: 100 },
        );
      if (step === 1)
        return streamMessage(res, body.model, [{ tool: "bash", id: toolId(), input: { command: "cat notes.txt" } }], "tool_use", {
          input: 500,
          output: 30,
        });
      return streamMessage(res, body.model, [{ text: "Done: notes.txt says hello." }], "end_turn", { input: 600, output: 20 });
    }
    return streamMessage(res, body.model, [{ text: "Hello there!" }], "end_turn", { input: 12, output: 5 });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    rejections,
    closedEarly: () => closedEarly,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
