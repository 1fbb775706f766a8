// The team's ledger owner (durable-objects/team-ledger): holds and settles, thresholds handed out
// once a period, and twenty runs calling at once against a small budget.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { teamLedger } from "../../durable-objects/stubs.ts";
import type { Crossing } from "../../durable-objects/team-ledger/team-ledger.ts";
import { periodOf } from "../../src/lib/budgets.ts";

const newTeamId = () => `team-${crypto.randomUUID()}`;
const call = (teamId: string, cap: number, runId = "run-1", memberId = "m-1") => ({
  teamId,
  runId,
  memberId,
  caps: { team: cap, member: null, run: null },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("TeamLedger", () => {
  it("a hold counts until settled; the actual cost replaces it; a release (0) frees it", async () => {
    const teamId = newTeamId();
    const ledger = teamLedger(env, teamId);
    const c = call(teamId, 1_000_000);
    const a = await ledger.reserve(c, 600_000, 0);
    expect(a.ok).toBe(true);
    expect(await ledger.status(teamId, "m-1")).toMatchObject({ team: 0, held: 600_000 });
    // 600k spent-or-held of 1M: a second call still fits the room left
    const b = await ledger.reserve(c, 600_000, 0);
    expect(b.ok).toBe(true);
    // now held ≥ the cap: a third waits, and past its wait is told to retry
    expect(await ledger.reserve(c, 1, 0)).toEqual({
      ok: false,
      code: "rate_limited",
      budget: "team",
    });
    await ledger.settle(c, a.ok ? a.hold : null, 250_000);
    await ledger.settle(c, b.ok ? b.hold : null, 0);
    const s = await ledger.status(teamId, "m-1");
    expect(s).toMatchObject({ team: 250_000, member: 250_000, held: 0 });
    expect(s.resetsAt).toBe(periodOf(Date.now()).resetsAt);
  });

  it("a waiting call goes ahead as soon as a call in flight settles with room left", async () => {
    const teamId = newTeamId();
    const ledger = teamLedger(env, teamId);
    const c = call(teamId, 1_000_000);
    const first = await ledger.reserve(c, 1_000_000, 0);
    const waiting = ledger.reserve(c, 1_000_000, 5_000);
    await sleep(50);
    await ledger.settle(c, first.ok ? first.hold : null, 100_000);
    expect((await waiting).ok).toBe(true);
  });

  it("refuses once a budget is spent, naming it, its amount and its reset", async () => {
    const teamId = newTeamId();
    const ledger = teamLedger(env, teamId);
    const c = { ...call(teamId, 1_000_000), caps: { team: null, member: 500_000, run: 2_000_000 } };
    await ledger.settle(c, null, 500_000);
    expect(await ledger.reserve(c, 1, 1_000)).toEqual({
      ok: false,
      code: "budget_exceeded",
      budget: "member",
      limit: 500_000,
      spent: 500_000,
      resetsAt: periodOf(Date.now()).resetsAt,
    });
    // another member of the team is not stopped by it
    expect((await ledger.reserve({ ...c, memberId: "m-2", runId: "r-2" }, 1, 0)).ok).toBe(true);
    expect(await ledger.standing(c)).toMatchObject({ ok: false, budget: "member" });
  });

  it("hands out each threshold once a period, however many calls pass it", async () => {
    const teamId = newTeamId();
    const ledger = teamLedger(env, teamId);
    const c = call(teamId, 1_000_000);
    const seen: Crossing[] = [];
    for (const cost of [700_000, 100_000, 50_000, 100_000, 100_000, 100_000])
      seen.push(...(await ledger.settle(c, null, cost)));
    expect(seen.map((x) => [x.budget, x.threshold, x.spent])).toEqual([
      ["team", 80, 800_000],
      ["team", 90, 950_000],
      ["team", 100, 1_050_000],
    ]);
    expect(seen[0]).toMatchObject({ limit: 1_000_000, resetsAt: periodOf(Date.now()).resetsAt });
  });

  it("twenty runs calling at once against a small budget pass it by less than one call", async () => {
    const teamId = newTeamId();
    const ledger = teamLedger(env, teamId);
    const cap = 500_000; // $0.50
    const max = 100_000; // each call may cost up to $0.10 …
    const cost = 60_000; // … and costs $0.06
    let admitted = 0;
    const runs = Array.from({ length: 20 }, async (_, i) => {
      const c = call(teamId, cap, `run-${i}`, `m-${i % 3}`);
      for (;;) {
        const r = await ledger.reserve(c, max, 10_000);
        if (!r.ok) return r.code;
        admitted++;
        await sleep(Math.random() * 20); // the call runs
        await ledger.settle(c, r.hold, cost);
      }
    });
    const ends = await Promise.all(runs);
    expect(ends.every((e) => e === "budget_exceeded")).toBe(true);
    const { team, held } = await ledger.status(teamId, "m-0");
    expect(held).toBe(0);
    expect(team).toBe(admitted * cost);
    expect(team).toBeGreaterThanOrEqual(cap);
    expect(team - cap).toBeLessThan(max); // at most one call past the cap, for all twenty runs
  });
});
