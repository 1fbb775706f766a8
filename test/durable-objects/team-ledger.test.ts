// The team's ledger owner (durable-objects/team-ledger): holds and settles, thresholds handed out
// once a period, twenty runs calling at once against a small budget, members' own budgets, a
// budget change applied to the next call, and run rows pruned without changing any total.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { teamLedger } from "../../durable-objects/stubs.ts";
import type { Crossing, TeamLedger } from "../../durable-objects/team-ledger/team-ledger.ts";
import { rowCounts } from "../../durable-objects/team-ledger/storage.ts";
import { createDb } from "../../src/db/client.ts";
import { memberBudgets, modelCalls, teams } from "../../src/db/schema.ts";
import { periodOf } from "../../src/lib/budgets.ts";
import { newTeam } from "../helpers/api.ts";
import { createRun } from "../helpers/runs.ts";

type Amounts = { team?: number; member?: number; runDefault?: number };

/** A team in D1 with these budgets (micro-USD) and members' own (`members`); its ledger. */
async function ledgerOf(b: Amounts, members: Record<string, number | null> = {}) {
  const teamId = `team-${crypto.randomUUID()}`;
  const db = createDb(env.DB);
  await db.insert(teams).values({
    id: teamId,
    name: "ledger",
    createdAt: Date.now(),
    budgetMonthly: b.team ?? null,
    memberBudgetMonthly: b.member ?? null,
    runMaxCost: b.runDefault ?? null,
  });
  for (const [memberId, micros] of Object.entries(members))
    await db
      .insert(memberBudgets)
      .values({ teamId, memberId, budgetMonthly: micros, updatedAt: Date.now() });
  return { teamId, ledger: teamLedger(env, teamId) };
}

const call = (teamId: string, runId = "run-1", memberId = "m-1", runCap: number | null = null) => ({
  teamId,
  runId,
  memberId,
  runCap,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rowsOf = (teamId: string) =>
  runInDurableObject(teamLedger(env, teamId), (_: TeamLedger, state) =>
    rowCounts(state.storage.sql),
  );

describe("TeamLedger", () => {
  it("a hold counts until settled; the actual cost replaces it; a release (0) frees it", async () => {
    const { teamId, ledger } = await ledgerOf({ team: 1_000_000 });
    const c = call(teamId);
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
    const { teamId, ledger } = await ledgerOf({ team: 1_000_000 });
    const c = call(teamId);
    const first = await ledger.reserve(c, 1_000_000, 0);
    const waiting = ledger.reserve(c, 1_000_000, 5_000);
    await sleep(50);
    await ledger.settle(c, first.ok ? first.hold : null, 100_000);
    expect((await waiting).ok).toBe(true);
  });

  it("refuses once a budget is spent, naming it, its amount and its reset", async () => {
    const { teamId, ledger } = await ledgerOf({ member: 500_000 });
    const c = call(teamId, "run-1", "m-1", 2_000_000);
    await ledger.settle(c, null, 500_000);
    expect(await ledger.reserve(c, 1, 1_000)).toEqual({
      ok: false,
      code: "budget_exceeded",
      budget: "member",
      limit: 500_000,
      spent: 500_000,
      resetsAt: periodOf(Date.now()).resetsAt,
      member: { id: "m-1", own: false },
    });
    // another member of the team is not stopped by it
    expect((await ledger.reserve({ ...c, memberId: "m-2", runId: "r-2" }, 1, 0)).ok).toBe(true);
    expect(await ledger.standing(c)).toMatchObject({ ok: false, budget: "member" });
  });

  it("hands out each threshold once a period, however many calls pass it", async () => {
    const { teamId, ledger } = await ledgerOf({ team: 1_000_000 });
    const c = call(teamId);
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
    const cap = 500_000; // $0.50
    const { teamId, ledger } = await ledgerOf({ team: cap });
    const max = 100_000; // each call may cost up to $0.10 …
    const cost = 60_000; // … and costs $0.06
    let admitted = 0;
    const runs = Array.from({ length: 20 }, async (_, i) => {
      const c = call(teamId, `run-${i}`, `m-${i % 3}`);
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

  it("a member's own budget replaces the team's per-member one: lower, higher, or none", async () => {
    // everyone $1 a month by default; m-low $0.30 of their own, m-free none at all
    const { teamId, ledger } = await ledgerOf(
      { member: 1_000_000 },
      { "m-low": 300_000, "m-free": null },
    );
    const low = call(teamId, "r-low", "m-low");
    const free = call(teamId, "r-free", "m-free");
    const plain = call(teamId, "r-plain", "m-plain");
    const crossings = await ledger.settle(low, null, 300_000);
    expect(crossings.map((c) => [c.budget, c.key, c.threshold, c.limit])).toEqual([
      ["member", "m-low", 80, 300_000],
      ["member", "m-low", 90, 300_000],
      ["member", "m-low", 100, 300_000],
    ]);
    expect(await ledger.reserve(low, 1, 0)).toMatchObject({
      ok: false,
      code: "budget_exceeded",
      budget: "member",
      limit: 300_000,
      member: { id: "m-low", own: true },
    });
    await ledger.settle(free, null, 5_000_000);
    expect(await ledger.reserve(free, 1, 0)).toEqual({ ok: true, hold: null });
    await ledger.settle(plain, null, 1_000_000);
    expect(await ledger.standing(plain)).toMatchObject({
      ok: false,
      budget: "member",
      limit: 1_000_000,
      member: { id: "m-plain", own: false },
    });
    const s = await ledger.status(teamId, "m-low");
    expect(s.members).toEqual({ "m-low": 300_000, "m-free": 5_000_000, "m-plain": 1_000_000 });
  });

  it("a budget lowered under what a run spent refuses its very next call", async () => {
    const { teamId, ledger } = await ledgerOf({ team: 1_000_000 });
    const c = call(teamId);
    const a = await ledger.reserve(c, 100_000, 0);
    await ledger.settle(c, a.ok ? a.hold : null, 400_000);
    expect((await ledger.reserve(c, 100_000, 0)).ok).toBe(true);
    await createDb(env.DB)
      .update(teams)
      .set({ budgetMonthly: 300_000 })
      .where(eq(teams.id, teamId));
    await ledger.refreshBudgets(teamId);
    expect(await ledger.reserve(c, 1, 0)).toMatchObject({
      ok: false,
      code: "budget_exceeded",
      budget: "team",
      limit: 300_000,
      spent: 400_000,
    });
  });

  it("a budget whose amount changed announces its thresholds again, of the new amount", async () => {
    const { teamId, ledger } = await ledgerOf({ team: 1_000_000 }, { "m-1": 1_000_000 });
    const c = call(teamId);
    const first = await ledger.settle(c, null, 800_000);
    expect(first.map((x) => [x.budget, x.threshold])).toEqual([
      ["team", 80],
      ["member", 80],
    ]);
    // the team's doubled and m-1's own raised to $4: the team's 80 % comes again, at $1.60
    await createDb(env.DB)
      .update(memberBudgets)
      .set({ budgetMonthly: 4_000_000 })
      .where(eq(memberBudgets.teamId, teamId));
    await createDb(env.DB)
      .update(teams)
      .set({ budgetMonthly: 2_000_000 })
      .where(eq(teams.id, teamId));
    await ledger.refreshBudgets(teamId);
    expect(await ledger.settle(c, null, 700_000)).toEqual([]);
    const again = await ledger.settle(c, null, 100_000);
    expect(again.map((x) => [x.budget, x.threshold, x.limit])).toEqual([["team", 80, 2_000_000]]);
  });

  it("forgets ended runs once their month closed: storage stays bounded, no total changes", async () => {
    const { teamId, ledger } = await ledgerOf({ team: 100_000_000 });
    const runIds = (round: number) => Array.from({ length: 40 }, (_, i) => `run-${round}-${i}`);
    let spent = 0;
    // five rounds of forty runs (none in D1: ended long ago), each pruned once its month closed
    const sizes: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (const [i, runId] of runIds(round).entries()) {
        await ledger.settle(call(teamId, runId, `m-${i % 4}`), null, 1_000);
        spent += 1_000;
      }
      const before = await ledger.status(teamId, "m-0");
      const grown = await rowsOf(teamId);
      expect(grown.spend).toBeGreaterThanOrEqual(40);
      const { pruned } = await ledger.prune(teamId, Date.now() + 1);
      expect(pruned).toBe(40);
      const after = await ledger.status(teamId, "m-0");
      expect(after).toEqual(before); // the team's and each member's month, to the micro
      expect(after.team).toBe(spent);
      sizes.push((await rowsOf(teamId)).spend);
    }
    // the team's row and four members' rows, whatever the number of runs so far
    expect(sizes).toEqual([5, 5, 5, 5, 5]);
    expect((await rowsOf(teamId)).fired).toBe(0);
  });

  it("keeps a run that still runs, and gives a pruned run its spend back before its cap counts", async () => {
    const { teamId, ledger } = await ledgerOf({});
    const db = createDb(env.DB);
    const runId = "run-again";
    // what D1's ledger of model calls recorded for the run: $0.70
    const row = {
      teamId,
      runId,
      executionId: 1,
      memberId: "m-1",
      modelId: "house",
      provider: "openai" as const,
      model: "house-1",
      status: 200,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      inputCost: 0,
      outputCost: 0,
      cacheReadCost: 0,
      cacheWriteCost: 0,
      ttfbMs: 1,
      latencyMs: 1,
      createdAt: Date.now() - 1_000,
    };
    for (const cost of [300_000, 400_000])
      await db.insert(modelCalls).values({ ...row, id: crypto.randomUUID(), cost });
    await ledger.settle(call(teamId, runId), null, 700_000);
    // a run of the team still QUEUED in D1 is kept, whenever it last spent
    const t = await newTeam("ledger");
    const live = await createRun(t.key);
    const theirs = teamLedger(env, t.teamId);
    await theirs.settle(call(t.teamId, live), null, 1_000);
    expect(await theirs.prune(t.teamId, Date.now() + 1)).toEqual({ ok: true, pruned: 0 });
    expect((await rowsOf(t.teamId)).spend).toBe(3);

    expect(await ledger.prune(teamId, Date.now() + 1)).toEqual({ ok: true, pruned: 1 });
    expect((await rowsOf(teamId)).spend).toBe(2); // the team's and m-1's month
    // a follow-up with a $1 cap: $0.70 of it is gone already
    const again = call(teamId, runId, "m-1", 1_000_000);
    expect(await ledger.standing(again)).toEqual({ ok: true });
    const a = await ledger.reserve(again, 1, 0);
    await ledger.settle(again, a.ok ? a.hold : null, 300_000);
    expect(await ledger.standing(again)).toMatchObject({
      ok: false,
      budget: "run",
      limit: 1_000_000,
      spent: 1_000_000,
    });
  });
});
