/**
 * What the Responses API refuses, checked before the fake answers: each rule returns the real API's 400
 * `invalid_request_error` (message, param, code), or null. Docs cited next to each rule:
 *   [create]   https://platform.openai.com/docs/api-reference/responses/create (`previous_response_id`, `store`)
 *   [state]    https://platform.openai.com/docs/guides/conversation-state (chaining with previous_response_id)
 *   [calling]  https://platform.openai.com/docs/guides/function-calling ("Handling function calls": a
 *              `function_call_output` item answers the `function_call` with the same `call_id`)
 */
export type InputItem = { type?: string; role?: string; call_id?: string; content?: unknown };
export type ResponsesRequest = { input?: unknown; previous_response_id?: string; store?: boolean };
export type RequestError = { message: string; param: string | null; code: string | null };

/** What the fake remembers of each stored response: the calls its conversation holds, for later chaining. */
export type StoredResponse = { callIds: Set<string> };

export function responsesRequestError(body: ResponsesRequest, stored: Map<string, StoredResponse>): RequestError | null {
  const input = typeof body.input === "string" ? [] : Array.isArray(body.input) ? (body.input as InputItem[]) : null;
  if (input === null)
    return { message: "Invalid type for 'input': expected a string or an array of input items.", param: "input", code: "invalid_type" };
  let known = new Set<string>();
  if (body.previous_response_id !== undefined) {
    // [create] `store` (default true) decides whether a response is kept "for later retrieval via API"; [state]
    // chaining reads the previous response back, so one created with store: false cannot be referenced.
    const previous = stored.get(body.previous_response_id);
    if (!previous) {
      return {
        message: `Previous response with id '${body.previous_response_id}' not found.`,
        param: "previous_response_id",
        code: "previous_response_not_found",
      };
    }
    known = new Set(previous.callIds);
  }
  for (const [i, item] of input.entries()) {
    if (item.type === "function_call" && item.call_id) known.add(item.call_id);
    // [calling] an output answers a call made earlier in this input or in the chained response.
    if (item.type === "function_call_output" && (!item.call_id || !known.has(item.call_id))) {
      return { message: `No tool call found for function call output with call_id ${item.call_id}.`, param: `input[${i}]`, code: null };
    }
  }
  return null;
}

/** The call ids a response's conversation holds once it is answered: its input's, the chain's, and its own. */
export function callIdsAfter(body: ResponsesRequest, stored: Map<string, StoredResponse>, ownCalls: string[]): Set<string> {
  const ids = new Set(body.previous_response_id ? (stored.get(body.previous_response_id)?.callIds ?? []) : []);
  for (const item of Array.isArray(body.input) ? (body.input as InputItem[]) : [])
    if (item.type === "function_call" && item.call_id) ids.add(item.call_id);
  for (const id of ownCalls) ids.add(id);
  return ids;
}
