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

export type OpenAiOptions = { baseUrl: string; apiKey: string; model: string };

/** The OpenAI-compatible base URL default; `/chat/completions` is appended (so `…/v1` style URLs work). */
export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

/**
 * OpenAI-compatible chat completions with streaming (OpenAI, gateways, llama.cpp, Ollama, vLLM).
 * Tool-call arguments arrive as string fragments keyed by `index` and are joined here.
 */
export function openAiProvider(opts: OpenAiOptions): Provider {
  const url = chatCompletionsUrl(opts.baseUrl);
  return {
    name: "openai",
    model: opts.model,
    async complete(req, signal) {
      const res = await fetch(url, {
        method: "POST",
        signal,
        headers: {
          "content-type": "application/json",
          ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: opts.model,
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: "system", content: req.system }, ...req.messages.flatMap(toOpenAi)],
          ...(req.tools.length
            ? {
                tools: req.tools.map((t) => ({
                  type: "function",
                  function: { name: t.name, description: t.description, parameters: t.inputSchema },
                })),
              }
            : {}),
        }),
      });
      return readTurn(await ensureOk("OpenAI-compatible", res), opts.model);
    },
  };
}

/** `…/v1` → `…/v1/chat/completions`; a bare origin (`http://localhost:11434`) gets `/v1` first. */
export function chatCompletionsUrl(baseUrl: string) {
  const base = baseUrl.replace(/\/+$/, "");
  if (base.endsWith("/chat/completions")) return base;
  return new URL(base).pathname === "/"
    ? `${base}/v1/chat/completions`
    : `${base}/chat/completions`;
}

function toOpenAi(m: ChatMessage): unknown[] {
  if (m.role === "user") return [{ role: "user", content: m.text }];
  if (m.role === "tool")
    return m.results.map((r) => ({ role: "tool", tool_call_id: r.callId, content: r.content }));
  return [
    {
      role: "assistant",
      content: m.text || null,
      ...(m.toolCalls.length
        ? {
            tool_calls: m.toolCalls.map((c) => ({
              id: c.id,
              type: "function",
              function: { name: c.name, arguments: JSON.stringify(c.input) },
            })),
          }
        : {}),
    },
  ];
}

type Chunk = {
  model?: string;
  error?: { message?: string };
  choices?: {
    delta?: {
      content?: string | null;
      tool_calls?: {
        index?: number;
        id?: string;
        function?: { name?: string; arguments?: string };
      }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number };
  } | null;
};

async function readTurn(body: ReadableStream<Uint8Array>, model: string): Promise<Turn> {
  let text = "";
  let finish: string | null | undefined;
  const calls = new Map<number, { id: string; name: string; args: string }>();
  const turn: Turn = {
    text: "",
    toolCalls: [],
    stop: "end",
    usage: { inputTokens: 0, outputTokens: 0 },
    model,
  };
  let done = false;
  for await (const ev of readSse(body)) {
    if (ev.data === "[DONE]") {
      done = true;
      break;
    }
    const chunk = parseEvent<Chunk>("OpenAI-compatible", ev.data);
    if (chunk.error)
      throw new ProviderError("OpenAI-compatible", 0, chunk.error.message ?? ev.data);
    if (chunk.model) turn.model = chunk.model;
    if (chunk.usage) {
      turn.usage = {
        inputTokens: chunk.usage.prompt_tokens ?? 0,
        outputTokens: chunk.usage.completion_tokens ?? 0,
        ...(chunk.usage.prompt_tokens_details?.cached_tokens
          ? { cacheReadTokens: chunk.usage.prompt_tokens_details.cached_tokens }
          : {}),
      };
    }
    for (const choice of chunk.choices ?? []) {
      if (choice.delta?.content) text += choice.delta.content;
      for (const tc of choice.delta?.tool_calls ?? []) {
        const i = tc.index ?? calls.size;
        const call = calls.get(i) ?? { id: "", name: "", args: "" };
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.name += tc.function.name;
        if (tc.function?.arguments) call.args += tc.function.arguments;
        calls.set(i, call);
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  // some servers omit [DONE]; a finish_reason is as good an end marker
  if (!done && !finish) throw truncatedStream("OpenAI-compatible");
  turn.text = text;
  turn.toolCalls = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([i, c]) => ({ id: c.id || `call_${i}`, name: c.name, input: parseArguments(c.args) }));
  turn.stop = turn.toolCalls.length ? "tool_use" : finish === "length" ? "max_tokens" : "end";
  return turn;
}
