import {
  ProviderError,
  type ChatMessage,
  type Provider,
  type ToolCall,
  type ToolResult,
  type Turn,
} from "./providers/types.ts";
import { elideOldToolResults } from "./history.ts";
import { hostLostNotice } from "./prompt.ts";
import { ToolInputError, type Tool } from "./tools/types.ts";
import type { HarnessContext, HarnessOutcome } from "./types.ts";

export const DEFAULT_MAX_STEPS = 50;
const RETRIES = 2;

export type LoopOptions = {
  provider: Provider;
  tools: Tool[];
  system: string;
  maxSteps: number;
  retryDelayMs?: number;
  /** characters of conversation kept before old tool outputs are cut (see `elideOldToolResults`) */
  historyBudgetChars?: number;
};

/**
 * The agent loop: ask the model, run the tools it calls, hand back the results, until it ends its
 * turn without a tool call. Follow-ups that arrive meanwhile are added as user messages before
 * the next model call (and keep a finished turn going). Every model call is one step.
 */
export async function runAgentLoop(
  ctx: HarnessContext,
  opts: LoopOptions,
): Promise<HarnessOutcome> {
  const messages = resumedMessages(ctx) ?? [{ role: "user", text: ctx.prompt }];
  const byName = new Map(opts.tools.map((t) => [t.name, t]));
  let lastText = "";
  for (let step = 1; step <= opts.maxSteps; step++) {
    ctx.signal.throwIfAborted();
    for (const text of ctx.followups.drain()) messages.push({ role: "user", text });
    elideOldToolResults(messages, opts.historyBudgetChars);
    const turn = await completeWithRetry(ctx, opts, messages);
    ctx.emit({
      type: "usage",
      payload: {
        model_id: turn.model,
        input_tokens: turn.usage.inputTokens,
        output_tokens: turn.usage.outputTokens,
        ...(turn.usage.cacheReadTokens ? { cache_read_tokens: turn.usage.cacheReadTokens } : {}),
        ...(turn.usage.cacheWriteTokens ? { cache_write_tokens: turn.usage.cacheWriteTokens } : {}),
      },
    });
    if (turn.text) {
      lastText = turn.text;
      ctx.emit({
        type: "agent.message",
        payload: { text: turn.text, message_id: `${ctx.runId}-m${step}`, role: "assistant" },
      });
    }
    messages.push({ role: "assistant", text: turn.text, toolCalls: turn.toolCalls });

    if (turn.toolCalls.length) {
      const results: ToolResult[] = [];
      for (const call of turn.toolCalls) results.push(await runTool(ctx, byName, call));
      messages.push({ role: "tool", results });
      ctx.saveConversation?.(messages);
      continue;
    }
    if (turn.stop === "max_tokens") {
      messages.push({
        role: "user",
        text: "Your reply was cut at the output token limit. Continue where you stopped.",
      });
      continue;
    }
    ctx.saveConversation?.(messages);
    const late = ctx.followups.drain();
    if (late.length) {
      // a follow-up boundary: what the agent did in its turn is checkpointed before the next
      ctx.checkpoint?.("turn");
      for (const text of late) messages.push({ role: "user", text });
      continue;
    }
    return {
      state: "SUCCEEDED",
      message: lastText || "the agent finished without a final message",
    };
  }
  return {
    state: "FAILED",
    message: `the agent reached its step limit (${opts.maxSteps} model calls) before finishing; raise agent_config.max_steps or split the task`,
  };
}

/**
 * The conversation a resumed execution picks up (HarnessContext.resume), saved by this loop; a
 * run whose host was lost is told where it stands. Null: start from the prompt.
 */
function resumedMessages(ctx: HarnessContext): ChatMessage[] | null {
  const saved = ctx.resume?.conversation;
  if (saved?.harness !== "ambit" || !Array.isArray(saved.state) || !saved.state.length) return null;
  const messages = saved.state as ChatMessage[];
  ctx.saveConversation?.(messages);
  if (ctx.resume!.reason === "host_lost")
    messages.push({
      role: "user",
      text: hostLostNotice(ctx.resume!.checkpointAt),
    });
  return messages;
}

async function completeWithRetry(
  ctx: HarnessContext,
  opts: LoopOptions,
  messages: ChatMessage[],
): Promise<Turn> {
  const tools = opts.tools.map(({ name, description, inputSchema }) => ({
    name,
    description,
    inputSchema,
  }));
  for (let attempt = 0; ; attempt++) {
    try {
      return await opts.provider.complete({ system: opts.system, messages, tools }, ctx.signal);
    } catch (err) {
      const transient =
        (err instanceof ProviderError && err.retryable) ||
        (err instanceof TypeError && !ctx.signal.aborted);
      if (!transient || attempt >= RETRIES) throw err;
      ctx.emit({
        type: "error",
        payload: {
          message: `model request failed, retrying: ${(err as Error).message}`,
          retryable: true,
        },
      });
      await sleep((opts.retryDelayMs ?? 2000) * (attempt + 1), ctx.signal);
    }
  }
}

async function runTool(
  ctx: HarnessContext,
  tools: Map<string, Tool>,
  call: ToolCall,
): Promise<ToolResult> {
  const tool = tools.get(call.name);
  ctx.emit({
    type: "agent.tool_call",
    payload: {
      call_id: call.id,
      name: call.name,
      ...(tool?.category ? { category: tool.category } : {}),
      input: call.input,
    },
  });
  let content: string;
  let isError = true;
  let output: Record<string, unknown>;
  try {
    if (!tool)
      throw new ToolInputError(
        `there is no tool named ${call.name}; available: ${[...tools.keys()].join(", ")}`,
      );
    if ("__invalid_json" in call.input)
      throw new ToolInputError("the arguments were not valid JSON; send a JSON object");
    ({ content, isError, output } = await tool.run(call.input, { id: call.id }, ctx));
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    content = `error: ${(err as Error).message}`;
    output = { error: (err as Error).message };
  }
  ctx.emit({
    type: "agent.tool_result",
    payload: { call_id: call.id, name: call.name, state: isError ? "failed" : "completed", output },
  });
  return { callId: call.id, name: call.name, content, isError };
}

function sleep(ms: number, signal: AbortSignal) {
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
