import { DurableObject } from "cloudflare:workers";
import type { EventActor, RunEvent, RunState, RunStatusMessage } from "@ambit/protocol";
import { isTerminal, type RunCommand, transition } from "./state-machine.ts";
import { appendEvent, insertRun, listEvents, migrate, readRun, type RunRecord, updateRun } from "./storage.ts";
import { readRunRow, writeSummary } from "./summary.ts";

/** Identifies the run a call is about; the team is checked against the stored run. */
export type RunRef = { runId: string; teamId: string };

export type RunInit = RunRef & { state: RunState; createdAt: number; statusMessage: RunStatusMessage | null; actor: EventActor };

export type SessionResult =
  | { ok: true; state: RunState; seq: number }
  | { ok: false; code: "invalid_request" | "resource_not_found"; message: string };

const SYNC_RETRY_MS = 1_000;

/**
 * One per run: the authority for the run's state and its append-only event log.
 * Every change is an event persisted here first, then projected onto the run's D1 row.
 */
export class RunSession extends DurableObject<Env> {
  private run: RunRecord | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage.sql, ctx.storage.kv);
      this.run = readRun(ctx.storage.sql);
    });
  }

  /** Creates the session (idempotent: a second call answers with the current state). */
  async init(input: RunInit): Promise<SessionResult> {
    if (this.run) return this.run.id === input.runId ? { ok: true, state: this.run.state, seq: this.run.summary_seq } : notFound(input);
    return this.create(input);
  }

  /** Cancels a run no host holds at once; a held run is marked and ends when its host confirms. */
  async cancel(ref: RunRef, actor: EventActor): Promise<SessionResult> {
    const run = await this.load(ref);
    if (!run) return notFound(ref);
    if (isTerminal(run.state)) {
      return { ok: false, code: "invalid_request", message: `run ${run.id} already ended (${run.state}); there is nothing to cancel` };
    }
    if (run.state === "QUEUED" || run.state === "PENDING") {
      return this.apply(run, "cancel", actor, { message: `Cancelled by ${actor.type} ${actor.id} before a host started it` });
    }
    if (run.cancel_requested_at === null) {
      const seq = this.ctx.storage.transactionSync(() => {
        run.cancel_requested_at = Date.now();
        const s = appendEvent(this.ctx.storage.sql, { type: "run.cancel_requested", at: run.cancel_requested_at, actor, payload: { state: run.state } });
        updateRun(this.ctx.storage.sql, run);
        return s;
      });
      return { ok: true, state: run.state, seq };
    }
    return { ok: true, state: run.state, seq: run.summary_seq };
  }

  /** Applies one state-machine command; refusals are values, not exceptions. */
  async command(ref: RunRef, command: RunCommand, actor: EventActor, statusMessage?: RunStatusMessage): Promise<SessionResult> {
    const run = await this.load(ref);
    if (!run) return notFound(ref);
    return this.apply(run, command, actor, statusMessage ?? null);
  }

  async events(ref: RunRef, after = 0, limit = 1000): Promise<RunEvent[] | null> {
    const run = await this.load(ref);
    return run ? listEvents(this.ctx.storage.sql, after, limit) : null;
  }

  /** Retries a summary write-back that D1 did not take. */
  async alarm() {
    await this.syncSummary();
  }

  /** `times` carries a D1 row's own timestamps when the session rebuilds a run already under way. */
  private create(input: RunInit, times?: Pick<RunRecord, "updated_at" | "started_at" | "ended_at">): SessionResult {
    const sql = this.ctx.storage.sql;
    const run: RunRecord = {
      id: input.runId,
      team_id: input.teamId,
      state: input.state,
      status_message: input.statusMessage,
      cancel_requested_at: null,
      created_at: input.createdAt,
      updated_at: times?.updated_at ?? input.createdAt,
      started_at: times?.started_at ?? null,
      ended_at: times?.ended_at ?? null,
      summary_seq: 0,
      synced_seq: 0,
    };
    const seq = this.ctx.storage.transactionSync(() => {
      const s = appendEvent(sql, {
        type: "run.created",
        at: input.createdAt,
        actor: input.actor,
        payload: { state: input.state, ...(input.statusMessage ? { status_message: input.statusMessage } : {}) },
      });
      // the D1 row was written with this very summary by createRun
      run.summary_seq = run.synced_seq = s;
      insertRun(sql, run);
      return s;
    });
    this.run = run;
    return { ok: true, state: run.state, seq };
  }

  /** The stored run, or one rebuilt from D1 when this session was never initialised. */
  private async load(ref: RunRef): Promise<RunRecord | null> {
    if (this.run) return this.run.id === ref.runId && this.run.team_id === ref.teamId ? this.run : null;
    const row = await readRunRow(this.env.DB, ref.runId, ref.teamId);
    if (!row || this.run) return this.run;
    this.create(
      {
        runId: row.id,
        teamId: row.team_id,
        state: row.state as RunState,
        createdAt: row.created_at,
        statusMessage: row.status_message ? JSON.parse(row.status_message) : null,
        actor: { type: "system", id: "system" },
      },
      { updated_at: row.updated_at, started_at: row.started_at, ended_at: row.ended_at },
    );
    return this.run;
  }

  private async apply(run: RunRecord, command: RunCommand, actor: EventActor, statusMessage: RunStatusMessage | null): Promise<SessionResult> {
    const t = transition(run.state, command);
    if (!t.ok) return { ok: false, code: "invalid_request", message: t.reason };
    const now = Date.now();
    const seq = this.ctx.storage.transactionSync(() => {
      const s = appendEvent(this.ctx.storage.sql, {
        type: "run.state_changed",
        at: now,
        actor,
        payload: { from: t.from, to: t.to, command, ...(statusMessage ? { status_message: statusMessage } : {}) },
      });
      run.state = t.to;
      run.status_message = statusMessage;
      run.updated_at = now;
      if (t.to === "INPROGRESS" && run.started_at === null) run.started_at = now;
      run.ended_at = isTerminal(t.to) ? now : null;
      if (!isTerminal(t.to)) run.cancel_requested_at = null;
      run.summary_seq = s;
      updateRun(this.ctx.storage.sql, run);
      return s;
    });
    await this.syncSummary();
    return { ok: true, state: run.state, seq };
  }

  private async syncSummary() {
    const run = this.run;
    if (!run || run.synced_seq >= run.summary_seq) return;
    const target = run.summary_seq;
    try {
      await writeSummary(this.env.DB, run);
      if (target > run.synced_seq) {
        run.synced_seq = target;
        updateRun(this.ctx.storage.sql, run);
      }
    } catch (err) {
      console.error(JSON.stringify({ msg: "run summary write-back failed; retrying", run_id: run.id, error: String(err) }));
      await this.ctx.storage.setAlarm(Date.now() + SYNC_RETRY_MS);
    }
  }
}

const notFound = (ref: RunRef): SessionResult => ({ ok: false, code: "resource_not_found", message: `run ${ref.runId} was not found` });
