import { DurableObject } from "cloudflare:workers";
import type { BudgetScope } from "@ambit/protocol";
import { and, eq, gte, sql as dsql } from "drizzle-orm";
import { createDb } from "../../src/db/client.ts";
import { modelCalls } from "../../src/db/schema.ts";
import {
  admit,
  type BudgetCaps,
  type Exhausted,
  periodOf,
  reachedThresholds,
} from "../../src/lib/budgets.ts";
import {
  addHold,
  addSpend,
  dropHold,
  dropOldPeriods,
  dropStaleHolds,
  heldOf,
  markFired,
  migrate,
  scopeKeys,
  spendOf,
  spentOf,
} from "./storage.ts";

/** A hold whose call never settled (its Worker went away) stops holding after this. */
const HOLD_TTL_MS = 30 * 60_000;
/** How often a waiting call looks again when no settle woke it. */
const WAIT_POLL_MS = 1_000;

/** One model call of a run, as the ledger knows it. */
export type LedgerCall = { teamId: string; runId: string; memberId: string; caps: BudgetCaps };

export type ReserveResult =
  | { ok: true; hold: string }
  | ({ ok: false; code: "budget_exceeded" } & Exhausted)
  /** calls in flight held the room left for longer than the caller would wait */
  | { ok: false; code: "rate_limited"; budget: BudgetScope };

/** A threshold a settled call made a budget reach, announced once a period (`budget.threshold`). */
export type Crossing = {
  budget: BudgetScope;
  key: string;
  threshold: number;
  limit: number;
  spent: number;
  periodStart: number;
  resetsAt: number | null;
};

export type LedgerStatus = {
  periodStart: number;
  resetsAt: number;
  team: number;
  member: number;
  held: number;
};

/**
 * The one owner of a team's budget ledger (named by the team): what its model calls spent this
 * month, by member and by run, and what calls in flight hold. The gateway reserves a call's
 * maximum here before forwarding it and settles its actual cost after; one object serializes
 * them (every read and write below is synchronous SQLite), so concurrent calls cannot together
 * pass a cap by more than the call admitted last. The caps come with each call (D1 holds them).
 */
export class TeamLedger extends DurableObject<Env> {
  private seeded: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => migrate(ctx.storage.sql));
  }

  /**
   * Holds `micros` (the call's maximum) for a call, waiting up to `waitMs` while calls in flight
   * hold the room left; refused when a budget is spent.
   */
  async reserve(call: LedgerCall, micros: number, waitMs: number): Promise<ReserveResult> {
    await this.seed(call.teamId);
    const sql = this.ctx.storage.sql;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = Date.now();
      const period = periodOf(now);
      dropStaleHolds(sql, now - HOLD_TTL_MS);
      const d = admit(
        call.caps,
        spendOf(sql, period.key, call.memberId, call.runId),
        period.resetsAt,
      );
      if (d.ok) {
        const hold = crypto.randomUUID();
        addHold(sql, { id: hold, run: call.runId, member: call.memberId, micros, at: now });
        return { ok: true, hold };
      }
      if (d.code === "budget_exceeded") return d;
      if (now >= deadline) return { ok: false, code: "rate_limited", budget: d.budget };
      await this.settled(Math.min(deadline - now, WAIT_POLL_MS));
    }
  }

  /**
   * Replaces a call's hold (none: it was not reserved) by its actual cost (0: released), and
   * answers the thresholds this made a budget reach for the first time this period.
   */
  async settle(call: LedgerCall, hold: string | null, cost: number): Promise<Crossing[]> {
    await this.seed(call.teamId);
    const sql = this.ctx.storage.sql;
    const period = periodOf(Date.now());
    if (this.ctx.storage.kv.get("period") !== period.key) {
      dropOldPeriods(sql, period.key);
      this.ctx.storage.kv.put("period", period.key);
    }
    if (hold) dropHold(sql, hold);
    const crossings: Crossing[] = [];
    for (const k of scopeKeys(period.key, call.memberId, call.runId)) {
      if (cost > 0) addSpend(sql, k, cost);
      const cap = call.caps[k.scope];
      if (cap === null) continue;
      const spent = spentOf(sql, k);
      for (const threshold of reachedThresholds(cap, spent)) {
        if (!markFired(sql, k, threshold)) continue;
        const run = k.scope === "run";
        crossings.push({
          budget: k.scope,
          key: k.key,
          threshold,
          limit: cap,
          spent,
          periodStart: run ? 0 : period.start,
          resetsAt: run ? null : period.resetsAt,
        });
      }
    }
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    return crossings;
  }

  /** Whether a new run (or a run's next execution) may start: refused when a budget is spent. */
  async standing(call: LedgerCall): Promise<{ ok: true } | ({ ok: false } & Exhausted)> {
    await this.seed(call.teamId);
    const period = periodOf(Date.now());
    const spend = spendOf(this.ctx.storage.sql, period.key, call.memberId, call.runId);
    for (const s of Object.values(spend)) s.held = 0; // calls in flight do not stop a new run
    const d = admit(call.caps, spend, period.resetsAt);
    return d.ok || d.code === "held" ? { ok: true } : { ...d, ok: false };
  }

  /** This month's spend of the team and of one member, and what calls in flight hold. */
  async status(teamId: string, memberId: string): Promise<LedgerStatus> {
    await this.seed(teamId);
    const sql = this.ctx.storage.sql;
    const period = periodOf(Date.now());
    const [team, member] = scopeKeys(period.key, memberId, "").map((k) => spentOf(sql, k));
    const held = heldOf(sql, memberId, "").team;
    return { periodStart: period.start, resetsAt: period.resetsAt, team, member, held };
  }

  /** Resolves when a call settles, or after `ms`. */
  private settled(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
    });
  }

  /**
   * On the ledger's first use, what the team's model calls already spent this month (the ledger
   * rows recorded before this object counted them), so a budget set mid-month starts from the
   * month's true spend. Every later call is counted by `settle`.
   */
  private seed(teamId: string): Promise<void> {
    if (this.ctx.storage.kv.get("seeded")) return Promise.resolve();
    this.seeded ??= this.ctx.blockConcurrencyWhile(async () => {
      if (this.ctx.storage.kv.get("seeded")) return;
      const period = periodOf(Date.now());
      const rows = await createDb(this.env.DB)
        .select({
          member: modelCalls.memberId,
          run: modelCalls.runId,
          micros: dsql<number>`SUM(${modelCalls.cost})`,
        })
        .from(modelCalls)
        .where(and(eq(modelCalls.teamId, teamId), gte(modelCalls.createdAt, period.start)))
        .groupBy(modelCalls.memberId, modelCalls.runId);
      const sql = this.ctx.storage.sql;
      for (const r of rows)
        for (const k of scopeKeys(period.key, r.member, r.run)) addSpend(sql, k, Number(r.micros));
      this.ctx.storage.kv.put("seeded", period.key);
      this.ctx.storage.kv.put("period", period.key);
    });
    return this.seeded;
  }
}
