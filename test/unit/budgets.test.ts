// Budgets, pure (src/lib/budgets.ts) and a call's maximum (services/gateway/estimate.ts).
import { describe, expect, it } from "vitest";
import {
  admit,
  exhaustedMessage,
  periodOf,
  reachedThresholds,
  type ScopeSpend,
} from "../../src/lib/budgets.ts";
import { pricesOf } from "../../src/lib/model-prices.ts";
import { DEFAULT_MAX_OUTPUT_TOKENS, maxCostOf } from "../../src/services/gateway/estimate.ts";

const none: ScopeSpend = { spent: 0, held: 0 };
const spend = (team: ScopeSpend, member = none, run = none) => ({ team, member, run });
const caps = { team: 1_000_000, member: null, run: null };

describe("budgets, pure", () => {
  it("a month is a UTC calendar month; it resets at the next one's start", () => {
    const p = periodOf(Date.UTC(2026, 11, 31, 23, 59));
    expect(p).toEqual({
      key: "2026-12",
      start: Date.UTC(2026, 11, 1),
      resetsAt: Date.UTC(2027, 0, 1),
    });
  });

  it("admits while spent and held stay under a cap, waits when calls in flight hold the rest, refuses when spent", () => {
    expect(admit(caps, spend({ spent: 400_000, held: 500_000 }), 9)).toEqual({ ok: true });
    expect(admit(caps, spend({ spent: 400_000, held: 600_000 }), 9)).toEqual({
      ok: false,
      code: "held",
      budget: "team",
    });
    expect(admit(caps, spend({ spent: 1_000_000, held: 0 }), 9)).toEqual({
      ok: false,
      code: "budget_exceeded",
      budget: "team",
      limit: 1_000_000,
      spent: 1_000_000,
      resetsAt: 9,
    });
    // a spent budget wins over one merely held, and a run's cap never resets
    const run = admit(
      { team: 5, member: null, run: 10 },
      spend({ spent: 0, held: 5 }, none, { spent: 12, held: 0 }),
      9,
    );
    expect(run).toMatchObject({
      ok: false,
      code: "budget_exceeded",
      budget: "run",
      resetsAt: null,
    });
    expect(
      admit({ team: null, member: null, run: null }, spend({ spent: 9e9, held: 0 }), 9).ok,
    ).toBe(true);
  });

  it("thresholds are 80, 90 and 100 % of a cap", () => {
    expect(reachedThresholds(1000, 799)).toEqual([]);
    expect(reachedThresholds(1000, 800)).toEqual([80]);
    expect(reachedThresholds(1000, 999)).toEqual([80, 90]);
    expect(reachedThresholds(1000, 1500)).toEqual([80, 90, 100]);
    expect(reachedThresholds(null, 1500)).toEqual([]);
  });

  it("a refusal names the budget, its amount and when it resets", () => {
    const m = exhaustedMessage({
      budget: "team",
      limit: 50_000_000,
      spent: 50_120_000,
      resetsAt: Date.UTC(2027, 0, 1),
    });
    expect(m).toContain("team's monthly budget of $50.00 is used up ($50.12 spent this month)");
    expect(m).toContain("resets at 2027-01-01T00:00:00.000Z");
    const run = exhaustedMessage({ budget: "run", limit: 500_000, spent: 510_000, resetsAt: null });
    expect(run).toContain("this run's cost cap of $0.50 is reached");
    expect(run).toContain("config.max_cost_usd");
    // under a cent, the amounts keep two significant digits rather than reading $0.00
    const tiny = exhaustedMessage({ budget: "run", limit: 1_000, spent: 2_500, resetsAt: null });
    expect(tiny).toContain("cost cap of $0.0010 is reached ($0.0025 spent");
  });

  it("a call's maximum: its output limit at the output price plus its size at the input price", () => {
    const p = pricesOf("x", { input: 3_000_000, output: 15_000_000, cacheRead: 0, cacheWrite: 0 });
    // 3,000 bytes → 1,000 tokens × $3/M + 100 × $15/M = $0.003 + $0.0015
    expect(maxCostOf({ max_tokens: 100 }, 3_000, p)).toBe(4_500);
    expect(maxCostOf({ max_output_tokens: 100 }, 3_000, p)).toBe(4_500);
    expect(maxCostOf({ generationConfig: { maxOutputTokens: 100 } }, 3_000, p)).toBe(4_500);
    expect(maxCostOf({}, 0, p)).toBe(DEFAULT_MAX_OUTPUT_TOKENS * 15);
  });
});
