import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../fakes/anthropic-server";
import { startFakeOpenAI } from "../../fakes/openai-server";

/** The fakes refuse what the real APIs refuse, with their status and error shapes, and log it. */
let anthropic: Awaited<ReturnType<typeof startFakeAnthropic>>;
let openai: Awaited<ReturnType<typeof startFakeOpenAI>>;
beforeAll(async () => {
  [anthropic, openai] = await Promise.all([startFakeAnthropic(), startFakeOpenAI()]);
});
afterAll(async () => {
  await Promise.all([anthropic.close(), openai.close()]);
});

const post = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const use = (id: string) => ({ role: "assistant", content: [{ type: "tool_use", id, name: "bash", input: {} }] });
const answer = (...ids: string[]) => ({
  role: "user",
  content: ids.map((id) => ({ type: "tool_result", tool_use_id: id, content: "ok" })),
});
const user = (text: string) => ({ role: "user", content: text });

describe("strict fake Messages API", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["missing max_tokens", { messages: [user("a")] }, /max_tokens/],
    [
      "an assistant first turn",
      { max_tokens: 5, messages: [{ role: "assistant", content: "x" }, user("a")] },
      /first message must use the "user" role/,
    ],
    ["two user turns in a row", { max_tokens: 5, messages: [user("a"), user("b")] }, /roles must alternate/],
    [
      "a tool_result without its tool_use",
      { max_tokens: 5, messages: [user("a"), { role: "assistant", content: "x" }, answer("toolu_x")] },
      /unexpected `tool_use_id`/,
    ],
    [
      "a tool_use left without a result",
      { max_tokens: 5, messages: [user("a"), use("toolu_1"), user("b")] },
      /without `tool_result` blocks immediately after: toolu_1/,
    ],
    [
      "two results for one tool_use",
      { max_tokens: 5, messages: [user("a"), use("toolu_1"), answer("toolu_1", "toolu_1")] },
      /single result/,
    ],
    [
      "duplicate tool ids",
      { max_tokens: 5, messages: [user("a"), use("toolu_1"), answer("toolu_1"), use("toolu_1"), answer("toolu_1")] },
      /ids must be unique/,
    ],
  ];
  for (const [name, body, message] of cases) {
    it(`refuses ${name} with a 400 invalid_request_error`, async () => {
      const marker = `m-${crypto.randomUUID()}`;
      const res = await post(`${anthropic.url}/v1/messages`, { model: "claude-sonnet-4-5", ...body, metadata: { marker } });
      expect(res.status).toBe(400);
      const error = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
      expect(error.error.message).toMatch(message);
      const log = (await (await fetch(`${anthropic.url}/_fake/rejections?contains=${marker}`)).json()) as {
        rejections: { message: string }[];
      };
      expect(log.rejections.map((r) => r.message)).toEqual([error.error.message]);
    });
  }

  it("accepts a well-formed tool round", async () => {
    const res = await post(`${anthropic.url}/v1/messages`, {
      model: "m",
      max_tokens: 5,
      stream: true,
      messages: [user("a"), use("toolu_1"), answer("toolu_1")],
    });
    expect(res.status).toBe(200);
    await res.text();
  });
});

describe("strict fake Responses API", () => {
  /** The response object that `response.completed` carries. */
  async function completed(res: Response): Promise<{ id: string; output: { type: string; call_id?: string }[] }> {
    const text = await res.text();
    const line = text.split("\n").find((l) => l.startsWith("data: ") && l.includes('"response.completed"'))!;
    return (JSON.parse(line.slice(6)) as { response: { id: string; output: { type: string; call_id?: string }[] } }).response;
  }

  it("refuses a function_call_output whose call_id matches no call", async () => {
    const res = await post(`${openai.url}/responses`, {
      model: "gpt-4o",
      stream: true,
      input: [
        { role: "user", content: "hi" },
        { type: "function_call_output", call_id: "call_nope", output: "x" },
      ],
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: "No tool call found for function call output with call_id call_nope.",
        type: "invalid_request_error",
        param: "input[1]",
        code: null,
      },
    });
  });

  it("chains to a stored response, and refuses one created with store: false", async () => {
    const stored = await completed(
      await post(`${openai.url}/responses`, { model: "gpt-4o", stream: true, input: [{ role: "user", content: "[tools] go" }] }),
    );
    const callId = stored.output.find((o) => o.type === "function_call")!.call_id!;
    const next = await post(`${openai.url}/responses`, {
      model: "gpt-4o",
      stream: true,
      previous_response_id: stored.id,
      input: [{ type: "function_call_output", call_id: callId, output: "done" }],
    });
    expect(next.status).toBe(200);
    await next.text();
    const unstored = await completed(
      await post(`${openai.url}/responses`, { model: "gpt-4o", stream: true, store: false, input: [{ role: "user", content: "hi" }] }),
    );
    const refused = await post(`${openai.url}/responses`, {
      model: "gpt-4o",
      stream: true,
      previous_response_id: unstored.id,
      input: [{ role: "user", content: "again" }],
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      error: { type: "invalid_request_error", param: "previous_response_id", code: "previous_response_not_found" },
    });
  });
});
