import type { HostMessage } from "@ambit/protocol";
import { log } from "../../src/lib/log.ts";
import { runSession } from "../stubs.ts";
import { mayAdopt } from "./admission.ts";
import { forget, type HostState, send, socketOf, timings } from "./connections.ts";
import { bounded } from "./bounded.ts";
import { type Dispatch, type PoolDeps, PUMP_STEP_TIMEOUT_MS, SYSTEM } from "./dispatch.ts";
import { applyHostReport, type HostReport } from "./host-report.ts";
import {
  dropHeld,
  dropLine,
  heldAll,
  heldByConn,
  heldGet,
  hold,
  lineGet,
  markClaimed,
  scheduleAlarm,
  setDue,
} from "./storage.ts";

type TaskMessage = Exclude<HostMessage, { type: "hello" | "heartbeat" }>;

/**
 * The runs host connections hold: what their holders report, what becomes of them when a holder
 * goes away (handed back, or lost after a grace) or comes back, and a cancel or release of one.
 */
export class Holds {
  constructor(
    private deps: Pick<PoolDeps, "ctx" | "env">,
    private dispatch: Dispatch,
  ) {}

  private get sql() {
    return this.deps.ctx.storage.sql;
  }

  private session(runId: string) {
    return runSession(this.deps.env, runId);
  }

  /** Takes a run out of line, or tells the host holding it to stop. */
  async cancel(
    runId: string,
    reason: string,
  ): Promise<{ ok: true; was: "waiting" | "held" | "none" }> {
    const sql = this.sql;
    if (lineGet(sql, runId)) {
      dropLine(sql, runId);
      this.dispatch.refreshLine(); // the runs behind it moved up
      return { ok: true, was: "waiting" };
    }
    const held = heldGet(sql, runId);
    if (!held) return { ok: true, was: "none" };
    const ws = socketOf(this.deps.ctx, held.conn);
    if (ws) send(ws, { type: "task_cancellation", data: { task_id: runId, reason } });
    if (!held.claimed) {
      // never claimed: nothing runs yet, the RunSession already ended it
      dropHeld(sql, runId);
      await this.dispatch.pump();
    }
    return { ok: true, was: "held" };
  }

  /** Frees the slot of a run that ended without its host confirming (see RunSession timers). */
  async release(runId: string): Promise<{ ok: true; released: boolean }> {
    if (!heldGet(this.sql, runId)) return { ok: true, released: false };
    dropHeld(this.sql, runId);
    await this.dispatch.pump();
    return { ok: true, released: true };
  }

  /**
   * A message about a run from the connection that holds it (else answered with an error).
   * `startedNext`: takes the run's `task_started` if it is the connection's next message waiting
   * (it came while earlier messages were handled: a busy host), so a claim and the start right
   * behind it make one call and one D1 update. A claim handled at once is not held back for it.
   */
  async report(
    ws: WebSocket,
    state: HostState,
    msg: TaskMessage,
    startedNext: (runId: string) => HostMessage | null = () => null,
  ) {
    const sql = this.sql;
    const held = heldGet(sql, msg.data.task_id);
    if (!held || held.conn !== state.conn) return notHeld(ws, msg.data.task_id);
    const ref = { runId: held.run_id, teamId: held.team_id };
    const session = this.session(held.run_id);
    const host = { type: "host" as const, id: state.worker_id };
    switch (msg.type) {
      case "task_claimed": {
        const started = startedNext(held.run_id) as HostReport | null;
        const r = await session.claim(ref, host, started ?? undefined);
        if (!r.ok) {
          dropHeld(sql, held.run_id);
          send(ws, {
            type: "task_cancellation",
            data: { task_id: held.run_id, reason: r.message },
          });
          if (started) notHeld(ws, held.run_id); // as it would have been answered on its own
          break;
        }
        markClaimed(sql, held.run_id);
        return; // still held: no slot freed, no run to give
      }
      case "task_started":
      case "task_blocked":
      case "task_unblocked":
        await applyHostReport(session, ref, host, msg);
        return; // still held: no slot freed, no run to give
      case "task_rejected": {
        dropHeld(sql, held.run_id);
        await this.dispatch.requeue(
          held,
          `host ${state.worker_id} rejected it: ${msg.data.reason}`,
        );
        break;
      }
      case "task_completed":
      case "task_failed":
        dropHeld(sql, held.run_id);
        await applyHostReport(session, ref, host, msg);
        break;
    }
    await this.dispatch.pump();
  }

  /** A reconnected host says which runs it still holds: those it may take over move to its new connection. */
  adopt(state: HostState, runIds: string[]) {
    for (const id of runIds) {
      const h = heldGet(this.sql, id);
      if (h && mayAdopt(state, h)) hold(this.sql, { ...h, conn: state.conn, lost_at: null });
    }
  }

  /** A connection closed: runs it never claimed go back to the line; the others wait the lost grace for it. */
  async hostGone(ws: WebSocket) {
    const state = forget(ws);
    if (!state) return;
    const sql = this.sql;
    for (const h of heldByConn(sql, state.conn)) {
      if (!h.claimed) {
        dropHeld(sql, h.run_id);
        await this.dispatch.requeue(h, `host ${state.worker_id} disconnected before claiming it`);
      } else if (h.lost_at === null) {
        hold(sql, { ...h, lost_at: Date.now() });
      }
    }
    await scheduleAlarm(this.deps.ctx.storage, Date.now() + timings(this.deps.env).lostGrace);
    await this.dispatch.pump();
  }

  /** Ends the runs whose host has been gone longer than the lost grace (cancelled if it was being cancelled, else ERROR). */
  async loseExpired(now: number, lostGrace: number) {
    for (const h of heldAll(this.sql)) {
      if (h.lost_at === null || now - h.lost_at < lostGrace) continue;
      dropHeld(this.sql, h.run_id);
      const heard = new Date(h.lost_at).toISOString();
      await this.session(h.run_id).hostLost({ runId: h.run_id, teamId: h.team_id }, SYSTEM, {
        cancelled: {
          message: `Cancelled: host ${h.worker_id} went away at ${heard} while the run was being cancelled`,
        },
        error: {
          message: `Host ${h.worker_id} stopped answering (last heard at ${heard}) while it held this run; start a new run or send a follow-up to retry`,
          error_code: "resource_unavailable",
          retryable: true,
        },
      });
    }
  }

  /**
   * Asks the session of each held run whose `due_at` came whether it passed the team's maximum
   * run time (it is then told to stop: RunSession `watchDeadline`), and notes when to ask again.
   * A run's session sets no alarm of its own for its deadline: this pool's alarm, which goes off
   * every heartbeat while it holds runs anyway, watches them all. A call that fails (or does not
   * settle within PUMP_STEP_TIMEOUT_MS) is made again at the next alarm. Answers the earliest
   * `due_at` still to come (null: none).
   */
  async watchDeadlines(now: number): Promise<number | null> {
    let earliest: number | null = null;
    for (const h of heldAll(this.sql)) {
      if (h.due_at == null) continue;
      let due: number | null = h.due_at;
      if (due <= now) {
        const ref = { runId: h.run_id, teamId: h.team_id };
        try {
          const ask = async () => {
            const answer = await this.session(h.run_id).watchDeadline(ref);
            return answer.ok ? answer.next : null;
          };
          due = await bounded(ask(), PUMP_STEP_TIMEOUT_MS);
          // unless it ended meanwhile (or was held again, with a deadline of its own)
          if (heldGet(this.sql, h.run_id)?.assigned_at === h.assigned_at)
            setDue(this.sql, h.run_id, due);
        } catch (err) {
          log.error("deadline check failed; tried again at the next alarm", {
            run_id: h.run_id,
            error: err,
          });
          continue;
        }
      }
      if (due !== null && (earliest === null || due < earliest)) earliest = due;
    }
    return earliest;
  }

  /** Whether runs are held by hosts gone for now (the alarm keeps watching for their return). */
  anyLost = () => heldAll(this.sql).some((h) => h.lost_at !== null);
}

const notHeld = (ws: WebSocket, runId: string) =>
  send(ws, {
    type: "error",
    data: { code: "resource_not_found", message: `this connection does not hold run ${runId}` },
  });
