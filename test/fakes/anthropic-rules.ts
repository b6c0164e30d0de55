/**
 * What the Messages API refuses, checked before the fake answers: each rule returns the message the real API sends
 * with a 400 `invalid_request_error`, or null. The docs each rule comes from are cited next to it:
 *   [create]   https://platform.claude.com/docs/en/api/messages/create (parameters `max_tokens`, `messages`)
 *   [tools]    https://platform.claude.com/docs/en/agents-and-tools/tool-use/handle-tool-calls
 *              ("Handling results from client tools": results go back in a `user` message of `tool_result` blocks,
 *              each naming the `id` of its `tool_use`, in the message right after the assistant's)
 */
type Block = { type?: string; id?: string; tool_use_id?: string; text?: string };
type Message = { role?: string; content?: unknown };
export type MessagesRequest = { max_tokens?: unknown; messages?: Message[] };

const blocksOf = (m: Message): Block[] => (Array.isArray(m.content) ? (m.content as Block[]) : []);

export function messagesRequestError(body: MessagesRequest): string | null {
  // [create] `max_tokens` is a required integer body parameter.
  if (typeof body.max_tokens !== "number" || !Number.isInteger(body.max_tokens)) return "max_tokens: Field required";
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return "messages: at least one message is required";
  return roleError(messages) ?? toolPairingError(messages);
}

/**
 * [create] "Our models are trained to operate on alternating user and assistant conversational turns." The first-party
 * API now merges consecutive same-role turns and accepts an assistant first turn, but Bedrock and Vertex (and the
 * first-party API before late 2024) refuse both with these messages (anthropics/anthropic-sdk-typescript#622); we hold
 * ourselves to the strict form, which every endpoint accepts.
 */
function roleError(messages: Message[]): string | null {
  for (const [i, m] of messages.entries()) {
    if (m.role !== "user" && m.role !== "assistant") return `messages.${i}.role: Input should be 'user' or 'assistant'`;
  }
  if (messages[0]!.role !== "user") return 'messages: first message must use the "user" role';
  for (let i = 1; i < messages.length; i++) {
    if (messages[i]!.role === messages[i - 1]!.role) {
      return `messages: roles must alternate between "user" and "assistant", but found multiple "${messages[i]!.role}" roles in a row`;
    }
  }
  return null;
}

function toolPairingError(messages: Message[]): string | null {
  const seen = new Set<string>();
  for (const [i, m] of messages.entries()) {
    const blocks = blocksOf(m);
    if (m.role === "assistant") {
      const uses = blocks.filter((b) => b.type === "tool_use");
      for (const [j, b] of blocks.entries()) {
        if (b.type !== "tool_use") continue;
        // [tools] `id` is "a unique identifier for this particular tool use block", used to match results.
        if (!b.id || seen.has(b.id)) return `messages.${i}.content.${j}: \`tool_use\` ids must be unique`;
        seen.add(b.id);
      }
      if (uses.length > 0) {
        // [tools] every tool_use is answered by exactly one tool_result in the next (user) message, and the results
        // lead that message.
        const next = messages[i + 1];
        const results = next ? blocksOf(next).filter((b) => b.type === "tool_result") : [];
        const missing = uses.filter((u) => !results.some((r) => r.tool_use_id === u.id)).map((u) => u.id);
        if (missing.length > 0) {
          return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
        }
        const leading = next ? blocksOf(next).findIndex((b) => b.type !== "tool_result") : -1;
        if (
          leading !== -1 &&
          blocksOf(next!)
            .slice(leading)
            .some((b) => b.type === "tool_result")
        ) {
          return `messages.${i + 1}: tool_result blocks must come first in the content; Messages following \`tool_use\` blocks must begin with a matching number of \`tool_result\` blocks.`;
        }
      }
    }
    if (m.role === "user") {
      const previous = messages[i - 1];
      const uses = new Set(
        previous?.role === "assistant"
          ? blocksOf(previous)
              .filter((b) => b.type === "tool_use")
              .map((b) => b.id)
          : [],
      );
      const answered = new Set<string>();
      for (const [j, b] of blocks.entries()) {
        if (b.type !== "tool_result") continue;
        // [tools] `tool_use_id`: "The id of the tool use request this is a result for", in the message before.
        if (!b.tool_use_id || !uses.has(b.tool_use_id)) {
          return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        }
        if (answered.has(b.tool_use_id)) {
          return `messages.${i}.content.${j}: each \`tool_use\` must have a single result. Found multiple \`tool_result\` blocks with id: ${b.tool_use_id}`;
        }
        answered.add(b.tool_use_id);
      }
    }
  }
  return null;
}
