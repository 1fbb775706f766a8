// Budgets' tests through the model gateway: a team with a priced catalog model served by the
// scripted model server (test/helpers/model-server-setup.ts), runs held by a test host, and
// their model calls.
import { exports } from "cloudflare:workers";
import type { TaskAssignment } from "@ambit/protocol";
import { expect, inject } from "vitest";
import { BASE, call } from "./api.ts";
import type { TestHost } from "./hosts.ts";
import { createRun } from "./runs.ts";

export const BUDGET = "/api/v1/team/budget";

/** One model call through the gateway with a run's credential (`turn`: the fake's answer). */
export const gw = (path: string, token: string, body: unknown, turn?: unknown) =>
  exports.default.fetch(
    new Request(`${BASE}/api/v1/gateway${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${token}`,
        ...(turn ? { "x-test-turn": JSON.stringify(turn) } : {}),
      },
      body: JSON.stringify(body),
    }),
  );

/** A team's key with a priced catalog model ($2 in, $8 out per million tokens). */
export async function pricedCatalog(key: string) {
  const s = await call("POST", "/api/v1/agent/secrets", { key, body: { name: "K", value: "sk" } });
  expect(s.status, s.text).toBeLessThan(300);
  const m = await call("POST", "/api/v1/agent/models", {
    key,
    body: {
      default: true,
      id: "house",
      provider: "openai",
      model: "house-1",
      base_url: `${inject("modelServerUrl")}/v1`,
      api_key_secret: "K",
      prices: { input: 2, output: 8, cache_read: 0, cache_write: 0 },
    },
  });
  expect(m.status, m.text).toBeLessThan(300);
}

/** A run created with `key`, taken by `host`: its id and its gateway credential. */
export async function heldRun(
  key: string,
  host: TestHost,
  config: Record<string, unknown> = {},
  ownerKey = key,
) {
  const runId = await createRun(key, { prompt: "spend", config });
  await host.take(ownerKey, runId);
  const assignment: TaskAssignment = await host.assignmentOf(runId);
  return { runId, token: assignment.gateway!.token };
}

/** A call of 1,000 tokens in and 500 out: $0.006 at the catalog's prices. */
export const SIX_MILLS = {
  body: { model: "house-1", max_tokens: 500, messages: [] },
  turn: { text: "ok", usage: { input: 1000, output: 500 } },
};
