import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { callIdsAfter, responsesRequestError, type StoredResponse } from "./openai-rules";
import { RejectionLog } from "./rejections";

/**
 * A local stand-in for the OpenAI Responses API speaking its streaming protocol (SSE `response.created`,
 * `response.output_item.added/done`, `response.output_text.delta`, `response.function_call_arguments.delta`,
 * `response.completed` with usage). Scenario by marker in the newest user input with text (earlier ones are replayed
 * history): `[tools]`, `[unavailable]` (503). Requests the real API refuses get its 400 (see openai-rules.ts) and
 * are logged at `GET /_fake/rejections`; responses created with `store` (default true) can be chained to.
 */
type Item = { role?: string; content?: unknown; type?: string; call_id?: string };
type Req = { model: string; input: Item[]; previous_response_id?: string; store?: boolean };

const textOf = (content: unknown): string =>
  typeof content === "string" ? content : Array.isArray(content) ? (content as { text?: string }[]).map((c) => c.text ?? "").join("") : "";

let ids = 0;
const uniqueId = () => `${(++ids).toString().padStart(4, "0")}${Math.random().toString(36).slice(2, 10)}`;

export async function startFakeOpenAI(): Promise<{ url: string; requests: Req[]; rejections: RejectionLog; close(): Promise<void> }> {
  const requests: Req[] = [];
  const rejections = new RejectionLog();
  const stored = new Map<string, StoredResponse>();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    if (rejections.serve(req, res)) return;
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw || "{}") as Req;
    requests.push(body);
    const invalid = responsesRequestError(body, stored);
    if (invalid) {
      rejections.add(raw, invalid.message);
      res
        .writeHead(400, { "content-type": "application/json" })
        .end(
          JSON.stringify({ error: { message: invalid.message, type: "invalid_request_error", param: invalid.param, code: invalid.code } }),
        );
      return;
    }
    if (typeof body.input === "string") body.input = [{ role: "user", content: body.input }];
    const promptAt = body.input.findLastIndex((i) => i.role === "user" && textOf(i.content) !== "");
    const text = promptAt === -1 ? "" : textOf(body.input[promptAt]!.content);
    if (text.includes("[unavailable]")) {
      res
        .writeHead(503, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { message: "Service unavailable", type: "server_error", code: null } }));
      return;
    }
    let seq = 0;
    const send = (type: string, data: Record<string, unknown>) =>
      res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
    const responseId = `resp_${uniqueId()}`;
    const response = (status: string, output: unknown[], usage: unknown) => ({
      id: responseId,
      object: "response",
      created_at: Math.floor(Date.now() / 1000),
      status,
      model: body.model,
      output,
      usage,
    });
    res.writeHead(200, { "content-type": "text/event-stream" });
    send("response.created", { response: response("in_progress", [], null) });
    const outputs = body.input.slice(promptAt + 1).filter((i) => i.type === "function_call_output").length;
    const output: unknown[] = [];
    const call = (name: string, args: unknown) => {
      const id = uniqueId();
      const item = { type: "function_call", id: `fc_${id}`, call_id: `call_${id}`, name, arguments: "", status: "in_progress" };
      send("response.output_item.added", { output_index: output.length, item });
      const json = JSON.stringify(args);
      for (let i = 0; i < json.length; i += 12)
        send("response.function_call_arguments.delta", { item_id: item.id, output_index: output.length, delta: json.slice(i, i + 12) });
      const done = { ...item, arguments: json, status: "completed" };
      send("response.function_call_arguments.done", { item_id: item.id, output_index: output.length, arguments: json });
      send("response.output_item.done", { output_index: output.length, item: done });
      output.push(done);
    };
    const say = (words: string) => {
      const item = { type: "message", id: `msg_${output.length}`, role: "assistant", status: "in_progress", content: [] };
      send("response.output_item.added", { output_index: output.length, item });
      for (const piece of words.match(/.{1,6}/gs) ?? [])
        send("response.output_text.delta", { item_id: item.id, output_index: output.length, content_index: 0, delta: piece, logprobs: [] });
      const done = { ...item, status: "completed", content: [{ type: "output_text", text: words, annotations: [] }] };
      send("response.output_item.done", { output_index: output.length, item: done });
      output.push(done);
    };
    let usage = {
      input_tokens: 20,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 8,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 28,
    };
    if (text.includes("[tools]") && outputs === 0) {
      call("write_file", { path: "gpt.txt", content: "hello from gpt\n" });
      usage = {
        input_tokens: 300,
        input_tokens_details: { cached_tokens: 200 },
        output_tokens: 40,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 340,
      };
    } else if (text.includes("[tools]") && outputs === 1) {
      call("bash", { command: "cat gpt.txt" });
      usage = {
        input_tokens: 400,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 30,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 430,
      };
    } else {
      say(text.includes("[tools]") ? "All done with gpt.txt." : "Hi from the fake.");
    }
    send("response.completed", { response: response("completed", output, usage) });
    res.end();
    const ownCalls = output.flatMap((o) => ((o as Item).type === "function_call" ? [(o as Item).call_id!] : []));
    if (body.store !== false) stored.set(responseId, { callIds: callIdsAfter(body, stored, ownCalls) });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    rejections,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
