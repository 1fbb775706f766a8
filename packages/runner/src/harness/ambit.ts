import { BUILTIN_TOOLS } from "./tools/index.ts";
import { DEFAULT_MAX_STEPS, runAgentLoop } from "./loop.ts";
import { startMcpServers } from "./mcp.ts";
import { buildSystemPrompt } from "./prompt.ts";
import { chooseProvider } from "./providers/select.ts";
import { ProviderError } from "./providers/types.ts";
import type { Harness, HarnessContext, HarnessOutcome } from "./types.ts";

/**
 * The built-in harness: a model of the team's catalog (or OpenAI/Anthropic by model name) driven
 * by `runAgentLoop` with shell, file and search tools plus the tools of the run's MCP servers.
 */
export const ambitHarness: Harness = {
  type: "ambit",
  async run(ctx) {
    const choice = chooseProvider(ctx);
    if (!choice.ok)
      return { state: "FAILED", message: choice.message, error_code: "integration_not_configured" };
    const { provider } = choice;

    const mcp = await startMcpServers(ctx);
    if (ctx.signal.aborted) {
      if (mcp.ok) await mcp.servers.close();
      return cancelled(ctx);
    }
    if (!mcp.ok)
      return { state: "FAILED", message: mcp.message, error_code: "environment_setup_failed" };
    try {
      const prompt = await buildSystemPrompt(ctx);
      for (const spec of prompt.missingSkills) {
        ctx.emit({
          type: "setup.step",
          payload: {
            phase: "harness",
            name: `skill ${spec}`,
            status: "failed",
            output_tail: "no SKILL.md for it in the workspace's skill folders",
          },
        });
      }
      ctx.emit({
        type: "setup.step",
        payload: {
          phase: "harness",
          name: `ambit (${provider.name}, ${provider.model})`,
          status: "succeeded",
        },
      });
      return await runAgentLoop(ctx, {
        provider,
        tools: [...BUILTIN_TOOLS, ...mcp.servers.tools],
        system: prompt.text,
        maxSteps: maxSteps(ctx.config.max_steps),
      });
    } catch (err) {
      if (ctx.signal.aborted) return cancelled(ctx);
      return failure(err, provider.model);
    } finally {
      await mcp.servers.close();
    }
  },
};

function maxSteps(v: unknown) {
  return typeof v === "number" && Number.isInteger(v) && v > 0
    ? Math.min(v, 10_000)
    : DEFAULT_MAX_STEPS;
}

const cancelled = (ctx: HarnessContext): HarnessOutcome => ({
  state: "CANCELLED",
  message:
    ctx.signal.reason instanceof Error
      ? ctx.signal.reason.message
      : typeof ctx.signal.reason === "string"
        ? ctx.signal.reason
        : "the run was cancelled",
});

function failure(err: unknown, model: string): HarnessOutcome {
  if (err instanceof ProviderError) {
    if (err.status === 401 || err.status === 403) {
      return {
        state: "FAILED",
        message: `${err.message} — the API key was refused; check the secret holding it`,
        error_code: "external_authentication_required",
      };
    }
    if (err.status === 400 || err.status === 404) {
      return {
        state: "FAILED",
        message: `${err.message} — check agent_config.model_id ("${model}") and the base URL`,
        error_code: "invalid_request",
      };
    }
    return {
      state: "FAILED",
      message: `${err.message} (gave up after retries)`,
      error_code: "resource_unavailable",
    };
  }
  if (err instanceof TypeError) {
    return {
      state: "FAILED",
      message: `the model API could not be reached: ${(err.cause as Error)?.message ?? err.message}`,
      error_code: "resource_unavailable",
    };
  }
  return {
    state: "FAILED",
    message: `the agent loop failed: ${(err as Error).message}`,
    error_code: "internal_error",
  };
}
