import { runSession, teamLedger } from "../../../durable-objects/stubs.ts";
import type {
  LedgerCall,
  ReserveResult,
} from "../../../durable-objects/team-ledger/team-ledger.ts";
import type { AttachClaims } from "../../lib/attach-token.ts";
import { exhaustedMessage } from "../../lib/budgets.ts";
import { log } from "../../lib/log.ts";
import { costOf, type Tokens } from "../../lib/model-prices.ts";
import { announceCrossings } from "../budgets/thresholds.ts";
import { maxCostOf } from "./estimate.ts";
import { providerError } from "./refusal.ts";
import type { Upstream } from "./upstream.ts";

/** How long a call waits for calls in flight to free the room left of a budget. */
const HELD_WAIT_MS = 30_000;
const HELD_RETRY_AFTER_S = 5;

/** A model call's place in the team's ledger: settled once, with its usage (null: released). */
export type CallHold = { settle(tokens: Tokens | null): Promise<void> };

/**
 * Before a model call is forwarded: when a budget covers it, holds its maximum cost in the team's
 * ledger (TeamLedger), which applies the team's budgets as they are at this call (a change
 * reaches the next call). A spent budget refuses it in the provider's error shape (403
 * `budget_exceeded`, `refuse`) and stops its run, which ends FAILED with budget_exceeded; room
 * held by calls in flight for longer than HELD_WAIT_MS answers 429 (the CLIs retry). Without a
 * budget nothing is held, and the call's cost is still counted when it settles. Asked beside the
 * check that the run is still held: `refuse` (which stops the run) and releasing a hold of a call
 * that check refused are the caller's.
 */
export async function holdModelCall(
  env: Env,
  claims: AttachClaims,
  upstream: Upstream,
  // biome-ignore lint/suspicious/noExplicitAny: a provider's JSON, read field by field
  body: Record<string, any> | undefined,
  bytes: number,
): Promise<{ ok: true; hold: CallHold } | { ok: false; refuse: () => Promise<Response> }> {
  const call: LedgerCall = {
    teamId: claims.teamId,
    runId: claims.runId,
    memberId: upstream.memberId,
    runCap: upstream.caps.runOwn ?? null,
  };
  const ledger = teamLedger(env, claims.teamId);
  // asked at every call, budgets or not: the ledger holds the team's amounts as they are now
  const r = await ledger.reserve(call, maxCostOf(body, bytes, upstream.prices), HELD_WAIT_MS);
  // the refusal stops the run: only once the caller knows the credential still holds it
  if (!r.ok) return { ok: false, refuse: () => refuse(env, claims, upstream, r) };
  const hold = r.hold;
  let settled = false;
  const settle = async (tokens: Tokens | null) => {
    if (settled || (!tokens && !hold)) return;
    settled = true;
    const cost = tokens ? costOf(tokens, upstream.prices).total : 0;
    const crossings = await ledger.settle(call, hold, cost);
    if (crossings.length) await announceCrossings(env, call, crossings);
  };
  return { ok: true, hold: { settle } };
}

async function refuse(
  env: Env,
  claims: AttachClaims,
  upstream: Upstream,
  r: Exclude<ReserveResult, { ok: true }>,
): Promise<Response> {
  if (r.code === "rate_limited")
    return providerError(
      upstream.provider,
      429,
      "rate_limited",
      `Ambit model gateway: what is left of ${r.budget === "team" ? "the team's" : r.budget === "member" ? "this member's" : "this run's"} budget is held by model calls in flight; retry in ${HELD_RETRY_AFTER_S} s`,
      { "retry-after": String(HELD_RETRY_AFTER_S) },
    );
  const message = exhaustedMessage(r);
  const status = {
    message: `Stopped: ${message}`,
    error_code: "budget_exceeded" as const,
    retryable: false,
  };
  try {
    await runSession(env, claims.runId).budgetStop(
      { runId: claims.runId, teamId: claims.teamId },
      claims.executionId ?? 0,
      status,
    );
  } catch (error) {
    log.error("model call refused by a budget, but its run was not stopped", {
      run_id: claims.runId,
      error,
    });
  }
  return providerError(
    upstream.provider,
    403,
    "budget_exceeded",
    `Ambit model gateway refused this call (budget_exceeded): ${message}`,
  );
}
