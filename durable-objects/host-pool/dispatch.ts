import { PLATFORM_POOL } from "@ambit/protocol";
import { getConfig } from "../../src/env.ts";
import { log } from "../../src/lib/log.ts";
import { WaitWrites } from "../run-session/summary.ts";
import { runSession } from "../stubs.ts";
import { hostKeyAdmits, nextPick } from "./admission.ts";
import { buildAssignment } from "./assignment.ts";
import { readPoolAssignment } from "./assignment-reads.ts";
import type { HostLoad } from "./choose.ts";
import { close, hostLoads, hostSockets, markServed, send, timings } from "./connections.ts";
import { CONTAINER_RETRY_MS, type PlatformHosting, startWaitingContainers } from "./containers.ts";
import { LineRefresh } from "./line-refresh.ts";
import { lineReason } from "./line-status.ts";
import { bounded, StepTimeout } from "./bounded.ts";
import {
  dropLine,
  dropStay,
  enqueue,
  giveFailed,
  handedBack,
  heldAll,
  heldGet,
  hold,
  type HeldEntry,
  type LineEntry,
  lineGet,
  markSession,
  scheduleAlarm,
  sessionOpen,
} from "./storage.ts";
import { readTeamLoad, type TeamLoad, teamLoadOf } from "./team-load.ts";

/** An execution of a run to put in line (a `DispatchMessage`). */
export type Offer = {
  runId: string;
  teamId: string;
  pool: string;
  executionId: number;
  sessionOpen?: boolean;
};
export type OfferResult = { ok: true; status: "waiting" | "assigned" | "duplicate" | "ended" };

/** While the team is at its concurrency limit, how often the pool looks again (runs of other pools end unseen). */
export const CAPACITY_POLL_MS = 5_000;
/** Offers of one run (rejections, hosts lost before it started) before it ends ERROR. */
export const MAX_ATTEMPTS = 3;
/**
 * How long tries to give a run may keep failing (a call to D1 or its session threw or timed out)
 * before it ends ERROR. Not counted in MAX_ATTEMPTS: an outage of D1 or of the sessions (seconds,
 * a minute) delays runs and errors none; a run that really cannot be given ends ERROR after this.
 */
export const GIVE_RETRY_WINDOW_MS = 3 * 60_000;
/**
 * The longest one awaited step of a pump may take (a D1 batch, a session call, an assignment's
 * building, the container starts). Past it the step counts as failed and the pump is tried again
 * from the alarm like one that threw: a call that never settles cannot hold the pool's line.
 */
export const PUMP_STEP_TIMEOUT_MS = 10_000;
/** When some waiting runs could not be told why they wait (their session call failed), when the pool tries again. */
export const LINE_RETRY_MS = 5_000;

/** After a pump threw, when the alarm pumps again: doubled per failure in a row, up to the max. */
export const PUMP_RETRY_MS = 1_000;
export const PUMP_RETRY_MAX_MS = 30_000;

/** `give`'s answer for a run whose try failed: it keeps its place, and the pump goes on. */
const PASSED_OVER = Symbol("passed over");

/** The actor of what the pool does to a run by itself. */
export const SYSTEM = { type: "system" as const, id: "dispatch" };

/** What dispatch needs of its HostPool. */
export type PoolDeps = {
  ctx: DurableObjectState;
  env: Env;
  /** the pool's name and team, known from its first offer or connection */
  who(): { pool: string; teamId: string };
  /** how the platform pool gets hosts (PLATFORM_HOSTS) */
  hosting(): PlatformHosting;
  /** a connection is gone: its runs are handed back or kept for its return (holds.ts) */
  hostGone(ws: WebSocket): Promise<void>;
};

/**
 * The line's way to the hosts: puts runs in line, assigns them fairly within the hosts' capacity
 * and the team's concurrency limit, hands runs back, and keeps each waiting run told why it waits.
 */
export class Dispatch {
  private pumping = false;
  private pumpAgain = false;
  /** pumps that threw in a row: the next retry waits longer */
  private pumpFailures = 0;
  /** tries to give a run that failed in this pump: past the first, the pump stops (an outage?) */
  private givesFailed = 0;
  private lastAssigned = new Map<string, number>();
  private lastEnqueuedAt = 0;
  /** set while the head of the line waits for the team's concurrency limit */
  atLimit: TeamLoad | null = null;
  /** keeps every waiting run's status_message true as the line moves */
  readonly line: LineRefresh;
  private readonly sql: SqlStorage;

  constructor(private deps: PoolDeps) {
    const sql = (this.sql = deps.ctx.storage.sql);
    // wait messages of runs that have no session yet, written to their D1 rows together
    const waitWrites = new WaitWrites(deps.env.DB);
    this.line = new LineRefresh({
      sql,
      reason: () => lineReason(deps.who().pool, this.loads(), this.atLimit),
      // a run whose session does not exist yet is told through its D1 row, which is what its
      // session starts from when something opens it (RunSession.load); creating a session just to
      // say "no host connected" would cost every queued run a Durable Object of its own
      waiting: (ref, message) =>
        sessionOpen(sql, ref.runId)
          ? runSession(deps.env, ref.runId).waiting(ref, { message })
          : waitWrites.write(ref, message),
    });
  }

  /** Puts executions of runs in line, in the order given (idempotent: a redelivered offer changes nothing). */
  async offerAll(inputs: Offer[]): Promise<OfferResult[]> {
    const sql = this.sql;
    const fresh = inputs.map((input) => {
      const held = heldGet(sql, input.runId);
      if ((held && held.execution_id >= input.executionId) || lineGet(sql, input.runId))
        return false;
      if (input.sessionOpen) markSession(sql, input.runId);
      // in line before its session is asked anything, so a cancel from now on finds it there
      const entry = {
        run_id: input.runId,
        team_id: input.teamId,
        execution_id: input.executionId,
        enqueued_at: this.enqueueTime(),
        attempts: 0,
      };
      enqueue(sql, entry);
      this.line.enqueued(entry);
      return true;
    });
    await this.pump(); // a run that ended meanwhile refuses `dispatch` and leaves the line
    return Promise.all(
      inputs.map(async (input, i): Promise<OfferResult> => {
        if (!fresh[i]) return { ok: true, status: "duplicate" };
        if (heldGet(sql, input.runId)) return { ok: true, status: "assigned" };
        // telling it why it waits also says whether it still may (a run cancelled meanwhile
        // leaves the line): one call per offer, not two
        if (await this.line.tell(input.runId)) return { ok: true, status: "waiting" };
        return { ok: true, status: heldGet(sql, input.runId) ? "assigned" : "ended" };
      }),
    );
  }

  /**
   * Hands a run a host let go of back to the line, or ends it ERROR after MAX_ATTEMPTS offers.
   * It is in line first, owing its session the `requeue`: if that call fails, the run is not lost
   * (held by no host, in no line, PENDING for good) but handed back by the pump before it is
   * given again (`give`), retried from the alarm. If the end after the last offer fails, the run
   * is PENDING in no line and no hold: the housekeeping's sweep hands it back and offers it again
   * (src/services/runs/redispatch.ts).
   */
  async requeue(held: HeldEntry, why: string) {
    const ref = { runId: held.run_id, teamId: held.team_id };
    const session = runSession(this.deps.env, held.run_id);
    const attempts = held.attempts + 1;
    if (attempts >= MAX_ATTEMPTS)
      return this.end(ref, `Could not be started after ${attempts} offers to hosts (last: ${why})`);
    const entry: LineEntry = {
      run_id: held.run_id,
      team_id: held.team_id,
      execution_id: held.execution_id,
      enqueued_at: 0,
      attempts,
      handback: 1,
      // not picked while the requeue below is in flight
      retry_at: Date.now() + PUMP_STEP_TIMEOUT_MS,
    };
    enqueue(this.sql, entry);
    this.line.enqueued(entry);
    const status = { message: `Queued again: ${why}` };
    let r: { ok: boolean };
    try {
      const call = session.command(ref, "requeue", SYSTEM, status);
      r = await bounded<{ ok: boolean }>(call, PUMP_STEP_TIMEOUT_MS);
    } catch (err) {
      log.error("hand-back failed; the pump tries again", { run_id: ref.runId, error: err });
      giveFailed(this.sql, entry, Date.now(), Date.now() + PUMP_RETRY_MS);
      await this.alarmIn(PUMP_RETRY_MS);
      return;
    }
    if (!r.ok) return dropStay(this.sql, entry); // it ended meanwhile
    handedBack(this.sql, entry);
    markSession(this.sql, held.run_id); // it just answered the requeue
  }

  /**
   * Ends a run ERROR on the pool's behalf: `resource_unavailable` (retryable: a new run may find
   * a host) unless `code` says otherwise.
   */
  async end(
    ref: { runId: string; teamId: string },
    message: string,
    code: "resource_unavailable" | "internal_error" = "resource_unavailable",
  ) {
    const status = { message, error_code: code, retryable: code === "resource_unavailable" };
    await runSession(this.deps.env, ref.runId).command(ref, "error", SYSTEM, status);
  }

  /**
   * Assigns waiting runs to hosts with free capacity until one of the two runs out. A pump that
   * throws (a D1 read, a session call) leaves the run it was giving in line, and what asked for
   * it (a host's hello or report, a pump asked for meanwhile) pumps only once: the pool's alarm
   * pumps again soon, later after each failure in a row (the error still reaches the caller: an
   * offer is redelivered by the RUNS queue).
   */
  async pump() {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.givesFailed = 0;
    try {
      do {
        this.pumpAgain = false;
        while (await this.assignNext());
        if (this.startsContainers()) await bounded(this.startContainers(), PUMP_STEP_TIMEOUT_MS);
      } while (this.pumpAgain);
      this.pumpFailures = 0;
    } catch (err) {
      const retryMs = Math.min(PUMP_RETRY_MAX_MS, PUMP_RETRY_MS * 2 ** this.pumpFailures++);
      log.error("pump failed; the alarm tries again", {
        pool: this.deps.who().pool,
        retry_ms: retryMs,
        error: err,
      });
      await this.alarmIn(retryMs);
      throw err;
    } finally {
      this.pumping = false;
    }
    this.refreshLine();
  }

  /**
   * Brings the waiting runs' messages up to date after the line or its reason changed, without
   * holding up the caller (an assignment, a host's report): the refresh runs behind it.
   */
  refreshLine() {
    void this.line.refresh().then(
      (untold) => (untold ? this.alarmIn(LINE_RETRY_MS) : undefined),
      (err) => log.error("line refresh failed", { pool: this.deps.who().pool, error: err }),
    );
  }

  /** The connected hosts that said hello, as the host choice sees them. */
  loads(sockets = this.ready(), held = heldAll(this.sql)): HostLoad[] {
    // a closed connection's time goes (kept, it would stay for the object's life: reconnects)
    if (this.lastAssigned.size > sockets.length) {
      const open = new Set(sockets.map((s) => s.state.conn));
      for (const conn of this.lastAssigned.keys())
        if (!open.has(conn)) this.lastAssigned.delete(conn);
    }
    return hostLoads(sockets, held, this.lastAssigned);
  }

  alarmIn(ms: number) {
    return scheduleAlarm(this.deps.ctx.storage, Date.now() + ms);
  }

  private ready = () => hostSockets(this.deps.ctx).filter((s) => s.state.hello);

  private teamLoad(teamId: string, heldHere: number) {
    return readTeamLoad(
      this.deps.env.DB,
      teamId,
      this.deps.who().pool,
      heldHere,
      getConfig(this.deps.env),
    );
  }

  private async assignNext(): Promise<boolean> {
    const { env } = this.deps;
    const sql = this.sql;
    const sockets = this.ready();
    const held = heldAll(sql);
    const pick = nextPick(sql, sockets, (some) => this.loads(some, held));
    if (!pick) return false;
    const { next, choice } = pick;
    const target = sockets.find((s) => s.state.conn === choice.conn)!;
    // the team's load, the host's key and what the assignment is built from: one D1 batch (the
    // pool's team is the run's)
    const reads = await bounded(
      readPoolAssignment(env, {
        runId: next.run_id,
        teamId: next.team_id,
        pool: this.deps.who().pool,
        keyId: target.state.principal ? target.state.key_id : undefined,
      }),
      PUMP_STEP_TIMEOUT_MS,
    );
    const load = teamLoadOf(reads.limits, held.length, getConfig(env));
    const admitted = hostKeyAdmits(env, next.team_id, target.state, reads.key);
    const keyHolds =
      typeof admitted === "boolean" ? admitted : await bounded(admitted, PUMP_STEP_TIMEOUT_MS);
    if (!keyHolds) {
      // the run and its secrets go to no host whose key was revoked (or whose user lost the admin role) since it connected
      close(
        target.ws,
        4003,
        "the API key this host connected with was revoked, expired, or lost the admin role; reconnect with a valid admin key",
      );
      await this.deps.hostGone(target.ws);
      return true;
    }
    if (load.active >= load.maxConcurrentRuns) {
      // the team holds as many runs as it may: wait for one to end (here, or in another pool);
      // the line is told so by the refresh after the pump
      if (!this.atLimit) await this.alarmIn(CAPACITY_POLL_MS);
      this.atLimit = load;
      return false;
    }
    this.atLimit = null;
    const ref = { runId: next.run_id, teamId: next.team_id };
    const session = runSession(env, next.run_id);
    const given = await this.give(next, async () => {
      // a try that failed after its `dispatch` may have been taken left the session PENDING,
      // which would refuse this one: hand it back first (refused, harmlessly, if still QUEUED)
      if (next.handback) await this.handBack(next);
      const dispatched = await session.command(
        ref,
        "dispatch",
        SYSTEM,
        {
          message: `Offered to host ${target.state.worker_id}; waiting for it to claim the run`,
        },
        // the row just read: a session opening now starts from it rather than read it again
        { maxRunMs: load.maxRunTimeSeconds * 1000, row: reads.inputs.row ?? undefined },
      );
      if (!dispatched.ok) {
        // after a failed try, that try's `dispatch` may have landed late (it timed out here): the
        // run is PENDING and no host holds it. Hand it back and try again, rather than drop it
        const now = next.give_failures ? await session.status(ref) : null;
        if (now?.ok && now.state === "PENDING") throw new Error("PENDING from an earlier try");
        return null;
      }
      const built = await buildAssignment(env, {
        ...ref,
        executionId: dispatched.execution_id,
        startedBy: dispatched.started_by,
        inputs: reads.inputs,
        holder: {
          actor: { type: "host", id: this.deps.who().pool },
          maxRunTimeSeconds: load.maxRunTimeSeconds,
          keyId: target.state.key_id,
        },
      });
      return { dispatched, built };
    });
    if (given === PASSED_OVER) return true; // it waits its retry: the next run goes
    if (!given) {
      dropLine(sql, next.run_id); // cancelled or ended meanwhile, or ended for failing too long
      return true;
    }
    const { dispatched, built } = given;
    if (!built.ok) {
      if (built.code === "internal_error") await this.end(ref, built.message, "internal_error");
      dropLine(sql, next.run_id);
      return true;
    }
    const now = Date.now();
    // its session's deadline is at least this far: a start cannot come before the assignment
    const dueAt = load.maxRunTimeSeconds ? now + load.maxRunTimeSeconds * 1000 : null;
    hold(sql, {
      run_id: next.run_id,
      team_id: next.team_id,
      execution_id: dispatched.execution_id,
      conn: target.state.conn,
      worker_id: target.state.worker_id,
      assigned_at: now,
      claimed: 0,
      lost_at: null,
      attempts: next.attempts,
      principal: target.state.principal ?? null,
      due_at: dueAt,
    });
    this.lastAssigned.set(target.state.conn, now);
    if (target.state.single) markServed(target);
    send(target.ws, { type: "task_assignment", data: built.assignment });
    // the alarm goes off within `silent` while a host is connected (then every heartbeat, and at
    // the earliest due_at: host-pool.ts): only a limit shorter than that moves it
    if (dueAt !== null && dueAt < now + timings(env).silent)
      await scheduleAlarm(this.deps.ctx.storage, dueAt);
    return true;
  }

  /**
   * Runs `attempt` (the run's hand-back if owed, its `dispatch` and its assignment's building)
   * within PUMP_STEP_TIMEOUT_MS. If it throws or times out, the run keeps its place in line but is
   * not picked again before its retry time (1 s, doubled per failure, up to PUMP_RETRY_MAX_MS), so
   * the runs behind it go meanwhile; its session may have taken the `dispatch` (PENDING), so it
   * owes a hand-back, made at once or else first by the next try. A second failure in the same
   * pump looks like an outage: the pump stops, and its alarm tries again. Not offers (MAX_ATTEMPTS):
   * an outage of D1 or of the sessions errors no run. A run whose tries keep failing for
   * GIVE_RETRY_WINDOW_MS ends ERROR (`internal_error`) and leaves the line.
   */
  private async give<T>(next: LineEntry, attempt: () => Promise<T>) {
    try {
      return await bounded(attempt(), PUMP_STEP_TIMEOUT_MS);
    } catch (err) {
      const ref = { runId: next.run_id, teamId: next.team_id };
      const now = Date.now();
      const failures = (next.give_failures ?? 0) + 1;
      const since = next.failing_since ?? now;
      const retryMs = Math.min(PUMP_RETRY_MAX_MS, PUMP_RETRY_MS * 2 ** (failures - 1));
      giveFailed(this.sql, next, now, now + retryMs);
      log.error("run not given to its host; tried again later", {
        run_id: ref.runId,
        give_failures: failures,
        retry_ms: retryMs,
        error: err,
      });
      if (now - since >= GIVE_RETRY_WINDOW_MS) {
        // the status is public (a shared run shows it): the error itself is in the log only
        const message =
          `Could not be given to a host: the platform failed while preparing it ${failures} ` +
          `times over ${Math.round((now - since) / 1000)} s; start a new run, and check the ` +
          "platform's logs if it repeats";
        await this.end(ref, message, "internal_error"); // if this fails too, it is tried again
        return null; // out of line
      }
      await this.alarmIn(retryMs);
      // at once, so it does not show PENDING while it waits (unless its session just did not
      // answer: that call would wait as long); if this fails, the next try makes it first
      if (!(err instanceof StepTimeout))
        await this.handBack(next).catch((e) =>
          log.error("hand-back failed; made before the next try", { run_id: ref.runId, error: e }),
        );
      // one run failing does not hold up the line behind it; a second in the same pump looks like
      // an outage of D1 or the sessions: the pump stops, and its alarm tries again later
      if (++this.givesFailed > 1) throw err;
      return PASSED_OVER;
    }
  }

  /** Hands a run in line back to QUEUED (`requeue`; refused, harmlessly, if it is QUEUED still). */
  private async handBack(e: LineEntry) {
    const ref = { runId: e.run_id, teamId: e.team_id };
    const status = { message: "Queued again: the pool could not give it to a host; retrying" };
    const call = runSession(this.deps.env, ref.runId).command(ref, "requeue", SYSTEM, status);
    await bounded<unknown>(call, PUMP_STEP_TIMEOUT_MS);
    handedBack(this.sql, e);
    markSession(this.sql, ref.runId); // it answered: its session exists now
  }

  /**
   * PLATFORM_HOSTS=containers: every run still waiting in the platform pool after the hosts took
   * what they could gets one runner container, once (the `containers` table; a run handed back to
   * the line is a new attempt and gets a new one), as many as the team may still run: none while
   * it is at its concurrency limit; the rest are looked at again from the alarm.
   */
  private startsContainers() {
    return this.deps.who().pool === PLATFORM_POOL && !!this.deps.hosting().starter;
  }

  private async startContainers() {
    const { teamId } = this.deps.who();
    const { starter } = this.deps.hosting();
    if (!starter) return;
    const room = async () => {
      if (this.atLimit) return 0;
      const load = await this.teamLoad(teamId, heldAll(this.sql).length);
      return load.maxConcurrentRuns - load.active;
    };
    const { tried, failed, deferred } = await startWaitingContainers(this.sql, starter, room);
    if (tried) this.line.behindChanged(); // runs got a container (or lost one that failed): they are told so
    if (failed) await this.alarmIn(CONTAINER_RETRY_MS);
    else if (deferred) await this.alarmIn(CAPACITY_POLL_MS);
  }

  /**
   * When a run joins the line: now, but always after the run before it, so runs offered in the
   * same millisecond (a batch) keep their order (the line is ordered by this, then by run id).
   */
  private enqueueTime() {
    this.lastEnqueuedAt = Math.max(Date.now(), this.lastEnqueuedAt + 1);
    return this.lastEnqueuedAt;
  }
}
