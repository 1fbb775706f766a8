import { readSse } from "../sse.ts";
import {
  ensureOk,
  parseArguments,
  parseEvent,
  ProviderError,
  truncatedStream,
  type ChatMessage,
  type Provider,
  type Turn,
} from "./types.ts";

export type AnthropicOptions = {
  baseUrl: string;
  apiKey: string;
  model: string;
  maxTokens?: number;
};

export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";
export const ANTHROPIC_VERSION = "2023-06-01";

/** Anthropic's Messages API with streaming; `tool_use` inputs arrive as `input_json_delta` fragments. */
export function anthropicProvider(opts: AnthropicOptions): Provider {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const url = base.endsWith("/v1") ? `${base}/messages` : `${base}/v1/messages`;
  return {
    name: "anthropic",
    model: opts.model,
    async complete(req, signal) {
      const res = await fetch(url, {
        method: "POST",
        signal,
        headers: {
          "content-type": "application/json",
          "x-api-key": opts.apiKey,
          "anthropic-version": ANTHROPIC_VERSION,
        },
        body: JSON.stringify({
          model: opts.model,
          max_tokens: opts.maxTokens ?? 8192,
          stream: true,
          // cache breakpoints on the system prompt and the newest message: each step re-sends the
          // whole conversation, so all but the newest part is read from the prompt cache
          system: [{ type: "text", text: req.system, cache_control: { type: "ephemeral" } }],
          messages: withCacheBreakpoint(toAnthropic(req.messages)),
          ...(req.tools.length
            ? {
                tools: req.tools.map((t) => ({
                  name: t.name,
                  description: t.description,
                  input_schema: t.inputSchema,
                })),
              }
            : {}),
        }),
      });
      return readTurn(await ensureOk("Anthropic", res), opts.model);
    },
  };
}

type Block = Record<string, unknown>;

/** Tool results travel as `tool_result` blocks of a user message; consecutive user content is merged. */
function toAnthropic(messages: ChatMessage[]) {
  const out: { role: "user" | "assistant"; content: Block[] }[] = [];
  const push = (role: "user" | "assistant", blocks: Block[]) => {
    const last = out.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const m of messages) {
    if (m.role === "user") push("user", [{ type: "text", text: m.text }]);
    else if (m.role === "tool") {
      push(
        "user",
        m.results.map((r) => ({
          type: "tool_result",
          tool_use_id: r.callId,
          content: r.content,
          ...(r.isError ? { is_error: true } : {}),
        })),
      );
    } else if (m.text || m.toolCalls.length) {
      // an empty answer is left out: the API refuses messages without content
      push("assistant", [
        ...(m.text ? [{ type: "text", text: m.text }] : []),
        ...m.toolCalls.map((c) => ({ type: "tool_use", id: c.id, name: c.name, input: c.input })),
      ]);
    }
  }
  return out;
}

function withCacheBreakpoint(messages: ReturnType<typeof toAnthropic>) {
  const last = messages.at(-1)?.content.at(-1);
  if (last) last.cache_control = { type: "ephemeral" };
  return messages;
}

type StreamEvent = {
  type: string;
  index?: number;
  message?: { model?: string; usage?: AnthropicUsage };
  content_block?: { type: string; id?: string; name?: string; text?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
};
type AnthropicUsage = {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
};

async function readTurn(body: ReadableStream<Uint8Array>, model: string): Promise<Turn> {
  const blocks = new Map<number, { kind: string; id: string; name: string; text: string }>();
  const turn: Turn = {
    text: "",
    toolCalls: [],
    stop: "end",
    usage: { inputTokens: 0, outputTokens: 0 },
    model,
  };
  let stopReason = "";
  let stopped = false;
  const addUsage = (u: AnthropicUsage | undefined) => {
    if (!u) return;
    if (u.input_tokens !== undefined) turn.usage.inputTokens = u.input_tokens;
    if (u.output_tokens !== undefined) turn.usage.outputTokens = u.output_tokens;
    if (u.cache_read_input_tokens) turn.usage.cacheReadTokens = u.cache_read_input_tokens;
    if (u.cache_creation_input_tokens) turn.usage.cacheWriteTokens = u.cache_creation_input_tokens;
  };
  for await (const ev of readSse(body)) {
    const data = parseEvent<StreamEvent>("Anthropic", ev.data);
    switch (data.type) {
      case "message_start":
        if (data.message?.model) turn.model = data.message.model;
        addUsage(data.message?.usage);
        break;
      case "content_block_start": {
        const b = data.content_block;
        blocks.set(data.index ?? blocks.size, {
          kind: b?.type ?? "",
          id: b?.id ?? "",
          name: b?.name ?? "",
          text: b?.text ?? "",
        });
        break;
      }
      case "content_block_delta": {
        const b = blocks.get(data.index ?? 0);
        if (!b) break;
        if (data.delta?.type === "text_delta") b.text += data.delta.text ?? "";
        else if (data.delta?.type === "input_json_delta") b.text += data.delta.partial_json ?? "";
        break;
      }
      case "message_delta":
        stopReason = data.delta?.stop_reason ?? stopReason;
        addUsage(data.usage);
        break;
      case "message_stop":
        stopped = true;
        break;
      case "error":
        throw new ProviderError(
          "Anthropic",
          data.error?.type === "overloaded_error" ? 529 : 0,
          data.error?.message ?? ev.data,
        );
    }
  }
  if (!stopped) throw truncatedStream("Anthropic");
  const ordered = [...blocks.entries()].sort(([a], [b]) => a - b).map(([, b]) => b);
  turn.text = ordered
    .filter((b) => b.kind === "text")
    .map((b) => b.text)
    .join("");
  turn.toolCalls = ordered
    .filter((b) => b.kind === "tool_use")
    .map((b) => ({ id: b.id, name: b.name, input: parseArguments(b.text) }));
  turn.stop = turn.toolCalls.length
    ? "tool_use"
    : stopReason === "max_tokens"
      ? "max_tokens"
      : "end";
  return turn;
}
