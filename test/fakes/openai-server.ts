import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/**
 * A local stand-in for the OpenAI Responses API speaking its streaming protocol (SSE `response.created`,
 * `response.output_item.added/done`, `response.output_text.delta`, `response.function_call_arguments.delta`,
 * `response.completed` with usage). Scenario by marker in the first user input: `[tools]`, `[unavailable]` (503).
 */
type Item = { role?: string; content?: unknown; type?: string };
type Req = { model: string; input: Item[] };

export async function startFakeOpenAI(): Promise<{ url: string; requests: Req[]; close(): Promise<void> }> {
  const requests: Req[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw || "{}") as Req;
    requests.push(body);
    const first = body.input.find((i) => i.role === "user");
    const text = typeof first?.content === "string" ? first.content : "";
    if (text.includes("[unavailable]")) {
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "Service unavailable", type: "server_error", code: null } }));
      return;
    }
    let seq = 0;
    const send = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
    const response = (status: string, output: unknown[], usage: unknown) => ({ id: "resp_fake", object: "response", created_at: Math.floor(Date.now() / 1000), status, model: body.model, output, usage });
    res.writeHead(200, { "content-type": "text/event-stream" });
    send("response.created", { response: response("in_progress", [], null) });
    const outputs = body.input.filter((i) => i.type === "function_call_output").length;
    const output: unknown[] = [];
    const call = (id: string, name: string, args: unknown) => {
      const item = { type: "function_call", id: `fc_${id}`, call_id: `call_${id}`, name, arguments: "", status: "in_progress" };
      send("response.output_item.added", { output_index: output.length, item });
      const json = JSON.stringify(args);
      for (let i = 0; i < json.length; i += 12) send("response.function_call_arguments.delta", { item_id: item.id, output_index: output.length, delta: json.slice(i, i + 12) });
      const done = { ...item, arguments: json, status: "completed" };
      send("response.function_call_arguments.done", { item_id: item.id, output_index: output.length, arguments: json });
      send("response.output_item.done", { output_index: output.length, item: done });
      output.push(done);
    };
    const say = (words: string) => {
      const item = { type: "message", id: `msg_${output.length}`, role: "assistant", status: "in_progress", content: [] };
      send("response.output_item.added", { output_index: output.length, item });
      for (const piece of words.match(/.{1,6}/gs) ?? []) send("response.output_text.delta", { item_id: item.id, output_index: output.length, content_index: 0, delta: piece, logprobs: [] });
      const done = { ...item, status: "completed", content: [{ type: "output_text", text: words, annotations: [] }] };
      send("response.output_item.done", { output_index: output.length, item: done });
      output.push(done);
    };
    let usage = { input_tokens: 20, input_tokens_details: { cached_tokens: 0 }, output_tokens: 8, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 28 };
    if (text.includes("[tools]") && outputs === 0) {
      call("1", "write_file", { path: "gpt.txt", content: "hello from gpt\n" });
      usage = { input_tokens: 300, input_tokens_details: { cached_tokens: 200 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 340 };
    } else if (text.includes("[tools]") && outputs === 1) {
      call("2", "bash", { command: "cat gpt.txt" });
      usage = { input_tokens: 400, input_tokens_details: { cached_tokens: 0 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 430 };
    } else {
      say(text.includes("[tools]") ? "All done with gpt.txt." : "Hi from the fake.");
    }
    send("response.completed", { response: response("completed", output, usage) });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/v1`, requests, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
