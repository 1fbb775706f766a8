/** The conversation as the agent loop keeps it; each provider translates it to its own API. */
export type ToolCall = { id: string; name: string; input: Record<string, unknown> };
export type ToolResult = { callId: string; name: string; content: string; isError: boolean };

export type ChatMessage =
  | { role: "user"; text: string }
  | { role: "assistant"; text: string; toolCalls: ToolCall[] }
  | { role: "tool"; results: ToolResult[] };

/** A tool offered to the model: `inputSchema` is a JSON Schema object. */
export type ToolSpec = { name: string; description: string; inputSchema: Record<string, unknown> };

export type Usage = {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
};

/** One model response. `stop` is "tool_use" when the model wants its tool calls answered. */
export type Turn = {
  text: string;
  toolCalls: ToolCall[];
  stop: "end" | "tool_use" | "max_tokens";
  usage: Usage;
  model: string;
};

export type CompletionRequest = { system: string; messages: ChatMessage[]; tools: ToolSpec[] };

export interface Provider {
  readonly name: "openai" | "anthropic";
  readonly model: string;
  complete(req: CompletionRequest, signal: AbortSignal): Promise<Turn>;
}

/** The provider answered with an HTTP error (or an error event in its stream). */
export class ProviderError extends Error {
  readonly provider: string;
  readonly status: number;
  constructor(provider: string, status: number, detail: string) {
    super(status ? `${provider} API answered ${status}: ${detail}` : `${provider} API: ${detail}`);
    this.provider = provider;
    this.status = status;
  }
  get retryable() {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** Parses a tool call's accumulated JSON arguments; models sometimes send nothing for "{}". */
export function parseArguments(raw: string): Record<string, unknown> {
  if (!raw.trim()) return {};
  try {
    const v = JSON.parse(raw);
    return v && typeof v === "object" && !Array.isArray(v) ? v : { value: v };
  } catch {
    // passed on as is so the tool answers with a clear error the model can correct
    return { __invalid_json: raw };
  }
}

/** Throws a ProviderError for a non-2xx answer, with the start of its body. */
export async function ensureOk(
  provider: string,
  res: Response,
): Promise<ReadableStream<Uint8Array>> {
  if (res.ok && res.body) return res.body;
  const body = (await res.text().catch(() => "")).slice(0, 2000);
  throw new ProviderError(provider, res.status, body || res.statusText);
}

/** Parses one SSE `data` payload; a server that sends something else is a provider error (retried). */
export function parseEvent<T>(provider: string, data: string): T {
  try {
    return JSON.parse(data) as T;
  } catch {
    throw new ProviderError(
      provider,
      0,
      `sent a stream event that is not JSON: ${data.slice(0, 200)}`,
    );
  }
}

/** A stream that stopped before its end marker (connection lost): the turn is incomplete. */
export const truncatedStream = (provider: string) =>
  new ProviderError(provider, 0, "the response stream ended before the response was complete");
