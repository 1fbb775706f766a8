import { DurableObject } from "cloudflare:workers";
import type { BudgetScope } from "@ambit/protocol";
import { and, eq, gte, sql as dsql } from "drizzle-orm";
import { readTeamBudgets } from "../../src/db/budgets.ts";
import { createDb } from "../../src/db/client.ts";
import { modelCalls } from "../../src/db/schema.ts";
import {
  admit,
  type BudgetCaps,
  type BudgetSettings,
  capsOf,
  type Exhausted,
  memberCapOf,
  periodOf,
  reachedThresholds,
} from "../../src/lib/budgets.ts";
import { endedRuns, mayPredate, PRUNE_BATCH, PRUNE_EVERY_MS, prunedSpendOf } from "./prune.ts";
import {
  addHold,
  addSpend,
  dropHold,
  dropOldPeriods,
  dropRuns,
  dropStaleHolds,
  forgetFired,
  hasSpendRow,
  heldOf,
  idleRuns,
  markFired,
  memberSpends,
  migrate,
  scopeKeys,
  spendOf,
  spentOf,
} from "./storage.ts";

/** A hold whose call never settled (its Worker went away) stops holding after this. */
const HOLD_TTL_MS = 30 * 60_000;
/** How often a waiting call looks again when no settle woke it. */
const WAIT_POLL_MS = 1_000;
/**
 * How long the ledger trusts its copy of the team's budget amounts without a change telling it:
 * every change refreshes it at once (`refreshBudgets`); this only bounds a refresh that failed.
 */
const BUDGETS_TTL_MS = 10 * 60_000;

/**
 * One model call of a run, as the ledger knows it: whose run, and the run's own cap
 * (`config.max_cost_usd`, micro-USD; null: the team's default). The team's amounts are the
 * ledger's own copy, so a change applies to the next call.
 */
export type LedgerCall = { teamId: string; runId: string; memberId: string; runCap: number | null };

export type ReserveResult =
  /** `hold`: null when no budget covers the call (nothing is held) */
  | { ok: true; hold: string | null }
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
  /** this month's spend of every member who spent, by member id */
  members: Record<string, number>;
};

type HeldBudgets = { at: number; budgets: BudgetSettings };

/**
 * The one owner of a team's budget ledger (named by the team): its budget amounts (a copy of
 * D1's, refreshed by every change), what its model calls spent this month, by member and by run,
 * and what calls in flight hold. The gateway reserves a call's maximum here before forwarding it
 * and settles its actual cost after; one object serializes them (every read and write below is
 * synchronous SQLite), so concurrent calls cannot together pass a cap by more than the call
 * admitted last, and a lowered budget refuses the very next call.
 */
export class TeamLedger extends DurableObject<Env> {
  private seeded: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly restoring = new Map<string, Promise<void>>();
  /** whether the pruning alarm is known to be set (it re-arms itself) */
  private armed = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => migrate(ctx.storage.sql, ctx.storage.kv));
  }

  /**
   * Holds `micros` (the call's maximum) for a call, waiting up to `waitMs` while calls in flight
   * hold the room left; refused when a budget is spent. Nothing is held when no budget covers it.
   */
  async reserve(call: LedgerCall, micros: number, waitMs: number): Promise<ReserveResult> {
    await this.ready(call);
    const sql = this.ctx.storage.sql;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = Date.now();
      const period = periodOf(now);
      dropStaleHolds(sql, now - HOLD_TTL_MS);
      const caps = this.capsOf(call);
      if (caps.team === null && caps.member === null && caps.run === null)
        return { ok: true, hold: null };
      const d = admit(caps, spendOf(sql, period.key, call.memberId, call.runId), period.resetsAt);
      if (d.ok) {
        const hold = crypto.randomUUID();
        addHold(sql, { id: hold, run: call.runId, member: call.memberId, micros, at: now });
        return { ok: true, hold };
      }
      if (d.code === "budget_exceeded") return this.named(call, d);
      if (now >= deadline) return { ok: false, code: "rate_limited", budget: d.budget };
      await this.settled(Math.min(deadline - now, WAIT_POLL_MS));
    }
  }

  /**
   * Replaces a call's hold (none: it was not reserved) by its actual cost (0: released), and
   * answers the thresholds this made a budget reach for the first time this period.
   */
  async settle(call: LedgerCall, hold: string | null, cost: number): Promise<Crossing[]> {
    await this.ready(call);
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    const period = periodOf(now);
    if (this.ctx.storage.kv.get("period") !== period.key) {
      dropOldPeriods(sql, period.key);
      this.ctx.storage.kv.put("period", period.key);
    }
    if (hold) dropHold(sql, hold);
    const caps = this.capsOf(call);
    const crossings: Crossing[] = [];
    for (const k of scopeKeys(period.key, call.memberId, call.runId)) {
      if (cost > 0) addSpend(sql, k, cost, now);
      const cap = caps[k.scope];
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
    if (cost > 0 && !this.armed) {
      if ((await this.ctx.storage.getAlarm()) === null)
        await this.ctx.storage.setAlarm(now + PRUNE_EVERY_MS);
      this.armed = true;
    }
    return crossings;
  }

  /** Whether a new run (or a run's next execution) may start: refused when a budget is spent. */
  async standing(call: LedgerCall): Promise<{ ok: true } | ({ ok: false } & Exhausted)> {
    await this.ready(call);
    const period = periodOf(Date.now());
    const spend = spendOf(this.ctx.storage.sql, period.key, call.memberId, call.runId);
    for (const s of Object.values(spend)) s.held = 0; // calls in flight do not stop a new run
    const d = admit(this.capsOf(call), spend, period.resetsAt);
    if (d.ok || d.code === "held") return { ok: true };
    return { ...this.named(call, d), ok: false };
  }

  /** This month's spend of the team, of one member and of each, and what calls in flight hold. */
  async status(teamId: string, memberId: string): Promise<LedgerStatus> {
    await this.seed(teamId);
    const sql = this.ctx.storage.sql;
    const period = periodOf(Date.now());
    const [team, member] = scopeKeys(period.key, memberId, "").map((k) => spentOf(sql, k));
    const held = heldOf(sql, memberId, "").team;
    const members = memberSpends(sql, period.key);
    return { periodStart: period.start, resetsAt: period.resetsAt, team, member, held, members };
  }

  /**
   * Reads the team's budget amounts from D1 again: every change to them calls this once D1 has
   * it. Refreshes run one at a time, so the last one reads D1 after every change before it.
   */
  async refreshBudgets(teamId: string): Promise<{ ok: true }> {
    await this.ctx.blockConcurrencyWhile(async () => {
      const budgets = await readTeamBudgets(createDb(this.env.DB), teamId);
      this.forgetChangedThresholds(this.budgets(), budgets);
      this.ctx.storage.kv.put<HeldBudgets>("budgets", { at: Date.now(), budgets });
      this.ctx.storage.kv.put("team", teamId);
    });
    return { ok: true };
  }

  /** A budget whose amount changed announces its thresholds again, of the new amount. */
  private forgetChangedThresholds(was: BudgetSettings, now: BudgetSettings) {
    const sql = this.ctx.storage.sql;
    if (was.team !== now.team) forgetFired(sql, "team");
    const members = memberSpends(sql, periodOf(Date.now()).key);
    const changed = Object.keys(members).filter(
      (id) => memberCapOf(was, id).cap !== memberCapOf(now, id).cap,
    );
    if (changed.length) forgetFired(sql, "member", changed);
  }

  /**
   * Forgets the spend of runs that ended and last spent before `before` (the alarm: the current
   * month's start); answers how many went. Team and member totals are untouched.
   */
  async prune(teamId: string, before: number): Promise<{ ok: true; pruned: number }> {
    const sql = this.ctx.storage.sql;
    const db = createDb(this.env.DB);
    let pruned = 0;
    const seen = new Set<string>();
    for (;;) {
      const idle = idleRuns(sql, before, PRUNE_BATCH + seen.size).filter((id) => !seen.has(id));
      if (!idle.length) break;
      for (const id of idle) seen.add(id);
      const ended = await endedRuns(db, teamId, idle);
      // marked before the rows go: a restore then reads D1 up to the newest cutoff
      const cutoff = Math.max(this.ctx.storage.kv.get<number>("pruned_before") ?? 0, before);
      this.ctx.storage.kv.put("pruned_before", cutoff);
      dropRuns(sql, ended);
      pruned += ended.length;
    }
    return { ok: true, pruned };
  }

  async alarm(): Promise<void> {
    const teamId = this.ctx.storage.kv.get<string>("team");
    if (!teamId) return;
    const now = Date.now();
    await this.prune(teamId, periodOf(now).start);
    await this.ctx.storage.setAlarm(now + PRUNE_EVERY_MS);
  }

  /** The caps on a call as the team's budgets are now. */
  private capsOf(call: LedgerCall): BudgetCaps {
    return capsOf(this.budgets(), call.memberId, call.runCap);
  }

  private budgets(): BudgetSettings {
    const held = this.ctx.storage.kv.get<HeldBudgets>("budgets");
    return held?.budgets ?? { team: null, member: null, runDefault: null, members: {} };
  }

  /** A member's refusal names whose budget it is, and whether it is their own. */
  private named<T extends Exhausted>(call: LedgerCall, d: T): T {
    if (d.budget !== "member") return d;
    const { own } = memberCapOf(this.budgets(), call.memberId);
    return { ...d, member: { id: call.memberId, own } };
  }

  /**
   * Before a call is counted: the month's spend seeded, the budget amounts fresh, and a run
   * whose spend was pruned given it back when a cap on it applies.
   */
  private async ready(call: LedgerCall): Promise<void> {
    await this.seed(call.teamId);
    const held = this.ctx.storage.kv.get<HeldBudgets>("budgets");
    if (!held || Date.now() - held.at > BUDGETS_TTL_MS) await this.refreshBudgets(call.teamId);
    if (call.runId && this.capsOf(call).run !== null) await this.restore(call);
  }

  /** A pruned run's spend, from D1's model calls, once (concurrent calls share the read). */
  private restore(call: LedgerCall): Promise<void> {
    const cutoff = this.ctx.storage.kv.get<number>("pruned_before");
    const key = scopeKeys("", call.memberId, call.runId)[2];
    const sql = this.ctx.storage.sql;
    if (!cutoff || !mayPredate(call.runId, cutoff) || hasSpendRow(sql, key))
      return Promise.resolve();
    let p = this.restoring.get(call.runId);
    if (!p) {
      p = prunedSpendOf(createDb(this.env.DB), call.teamId, call.runId, cutoff)
        .then((micros) => {
          // another call's settle may have written the row meanwhile: only a missing one is filled
          if (!hasSpendRow(sql, key)) addSpend(sql, key, micros);
        })
        .finally(() => this.restoring.delete(call.runId));
      this.restoring.set(call.runId, p);
    }
    return p;
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
   * month's true spend, and the team's budget amounts. Every later call is counted by `settle`.
   */
  private seed(teamId: string): Promise<void> {
    if (this.ctx.storage.kv.get("seeded")) return Promise.resolve();
    this.seeded ??= this.ctx.blockConcurrencyWhile(async () => {
      if (this.ctx.storage.kv.get("seeded")) return;
      const period = periodOf(Date.now());
      const db = createDb(this.env.DB);
      const [rows, budgets] = await Promise.all([
        db
          .select({
            member: modelCalls.memberId,
            run: modelCalls.runId,
            micros: dsql<number>`SUM(${modelCalls.cost})`,
          })
          .from(modelCalls)
          .where(and(eq(modelCalls.teamId, teamId), gte(modelCalls.createdAt, period.start)))
          .groupBy(modelCalls.memberId, modelCalls.runId),
        readTeamBudgets(db, teamId),
      ]);
      const sql = this.ctx.storage.sql;
      for (const r of rows)
        for (const k of scopeKeys(period.key, r.member, r.run)) addSpend(sql, k, Number(r.micros));
      this.ctx.storage.kv.put<HeldBudgets>("budgets", { at: Date.now(), budgets });
      this.ctx.storage.kv.put("team", teamId);
      this.ctx.storage.kv.put("seeded", period.key);
      this.ctx.storage.kv.put("period", period.key);
    });
    return this.seeded;
  }
}
