import { runSession } from "../../../durable-objects/stubs.ts";
import { createDb } from "../../db/client.ts";
import { modelCalls } from "../../db/schema.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { log } from "../../lib/log.ts";
import { type Cost, costOf, type Tokens } from "../../lib/model-prices.ts";
import type { Upstream } from "./upstream.ts";

export type ModelCall = {
  teamId: string;
  runId: string;
  executionId: number;
  upstream: Upstream;
  status: number;
  tokens: Tokens;
  startedAt: number;
  ttfbMs: number;
  endedAt: number;
};

/** micro-USD as the API's USD figures */
export const usdOf = (micros: number) => micros / 1e6;

/**
 * Records one model call: its ledger row, its cost fixed now from the prices resolved for it, then
 * a `usage` event on the run (tokens, cost, latency). The ledger is the authority (a run's
 * `request_usage` is summed from it); the event is best effort. This is the one place a call's
 * usage is written, so a ledger owner that reserves before a call can settle here after it.
 */
export async function recordModelCall(env: Env, call: ModelCall): Promise<Cost> {
  const u = call.upstream;
  const cost = costOf(call.tokens, u.prices);
  const latencyMs = call.endedAt - call.startedAt;
  await createDb(env.DB)
    .insert(modelCalls)
    .values({
      id: uuidv7(call.startedAt),
      teamId: call.teamId,
      runId: call.runId,
      executionId: call.executionId,
      memberId: u.memberId,
      modelId: u.modelId,
      provider: u.provider,
      model: u.model,
      status: call.status,
      inputTokens: call.tokens.input,
      outputTokens: call.tokens.output,
      cacheReadTokens: call.tokens.cacheRead,
      cacheWriteTokens: call.tokens.cacheWrite,
      inputCost: cost.input,
      outputCost: cost.output,
      cacheReadCost: cost.cacheRead,
      cacheWriteCost: cost.cacheWrite,
      cost: cost.total,
      ttfbMs: call.ttfbMs,
      latencyMs,
      createdAt: call.startedAt,
    });
  try {
    await runSession(env, call.runId).usageRecorded(
      { runId: call.runId, teamId: call.teamId },
      call.executionId,
      {
        model_id: u.modelId,
        provider: u.provider,
        input_tokens: call.tokens.input,
        output_tokens: call.tokens.output,
        cache_read_tokens: call.tokens.cacheRead,
        cache_write_tokens: call.tokens.cacheWrite,
        cost_usd: usdOf(cost.total),
        ttfb_ms: call.ttfbMs,
        latency_ms: latencyMs,
        source: "gateway",
      },
    );
  } catch (err) {
    log.error("model call recorded but its usage event was not", {
      run_id: call.runId,
      error: err,
    });
  }
  return cost;
}
