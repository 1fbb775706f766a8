import { type EventActor, isTerminal, LOCAL_POOL, type RunEvent } from "@ambit/protocol";
import { getConfig } from "../../src/env.ts";
import { log } from "../../src/lib/log.ts";
import { hostPool, type HostPoolStub } from "../stubs.ts";
import { archiveTranscript } from "./archive.ts";
import { deliver, sendPresence } from "./audience.ts";
import { nextTimer } from "./deadlines.ts";
import { Outbox } from "./fanout.ts";
import { PresenceTimer } from "./replay.ts";
import type { Position } from "./results.ts";
import { passOver } from "./platform-events.ts";
import { appendEvent, lastSeq, logAsNdjson, type RunRecord, updateRun } from "./storage.ts";
import { type D1Columns, d1Columns, writeSummary } from "./summary.ts";

/** How long a failed summary write-back or archive waits to be tried again (from the alarm). */
const RETRY_MS = 1_000;

export type SseWriter = WritableStreamDefaultWriter<Uint8Array>;
/**
 * An open Server-Sent Events stream: who holds it, and whether its replay is done (then it gets
 * live events).
 */
export type SseClient = {
  conn: string;
  principal: EventActor;
  keyId?: string;
  ip?: string;
  live: boolean;
};
/** One event to append: its seq, time and execution are the session's. */
export type EventEntry = { type: string; actor: EventActor; payload: object };

/**
 * What one instance of a run's session holds in memory, and the steps every part of it takes
 * the same way: persist events and the run in one transaction, then publish them (`record`);
 * project the run onto its D1 row (`syncSummary`); archive an ended run's log to R2; arm the
 * alarm for the next timer; tell the run's pool. The modules beside it take it as their first
 * argument; `RunSession` holds one.
 */
export class Session {
  run: RunRecord | null = null;
  /** what the run's D1 row holds, as far as this instance knows (null: unknown, write it all) */
  private d1: D1Columns | null = null;
  private syncing: Promise<void> = Promise.resolve();
  /**
   * Whether anyone heard of the run's platform events when its summary was last written (read
   * with that write); `emitRecorded` takes it once. Unknown (no write just made): they are sent.
   */
  heard: boolean | undefined = undefined;
  /**
   * The log's last seq as this instance wrote or read it (undefined: not read yet): the next
   * event's seq is known without a read (`record`).
   */
  loggedSeq: number | undefined = undefined;
  /** the alarm as this instance set or read it last (undefined: not read yet; null: none) */
  private alarmAt: number | null | undefined = undefined;
  /** a write-back, send or archive failed since the alarm last went off: the alarm retries it */
  private retrying = false;
  /** the platform events' outbox as stored (undefined: not read yet): platform-events.ts */
  outboxCursor: { through: number | undefined; failures: number } | undefined = undefined;
  /** whether the run's tool results are sent on (undefined: not read yet): platform-events.ts */
  progress: boolean | undefined = undefined;
  /** whether this instance asked its pool to tell it why the run waits (line.ts `watchLine`) */
  watching = false;
  /** Server-Sent Events listeners (in memory: an open SSE response keeps this object awake). */
  readonly sse = new Map<SseWriter, SseClient>();
  /** Sockets still being sent their replay: live events reach them once it is done (replay.ts). */
  readonly replaying = new Set<WebSocket>();
  /** Live events on their way to the clients, coalesced under load (see fanout.ts). */
  readonly outbox: Outbox;
  readonly presence: PresenceTimer;

  constructor(
    readonly ctx: DurableObjectState,
    readonly env: Env,
  ) {
    const audience = () => ctx.getWebSockets().length + this.sse.size;
    this.outbox = new Outbox((events) => deliver(this, events), audience);
    this.presence = new PresenceTimer(() => sendPresence(this));
  }

  get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  ok(run: RunRecord, seq: number): Position {
    return { ok: true, state: run.state, seq, execution_id: run.execution_id };
  }

  /**
   * The object's storage was just created (migrate): no run, no alarm, no platform-events cursor
   * and no keys to read back.
   */
  fresh() {
    this.loggedSeq = 0;
    this.alarmAt = null;
    this.outboxCursor = { through: undefined, failures: 0 };
    this.progress = false;
  }

  /** The run as it was just created or rebuilt: D1 holds exactly its summary. */
  opened(run: RunRecord) {
    this.run = run;
    this.d1 = d1Columns(run);
  }

  /**
   * Appends events (and applies `mutate`, given the events as written, to the run) in one
   * transaction, then publishes them.
   */
  record(
    run: RunRecord,
    entries: EventEntry[],
    mutate?: (written: RunEvent[]) => void,
  ): RunEvent[] {
    const now = Date.now();
    let written: RunEvent[];
    try {
      written = this.ctx.storage.transactionSync(() => {
        let seq = this.loggedSeq ?? lastSeq(this.sql);
        const out = entries.map((e) =>
          appendEvent(this.sql, { ...e, at: now, execution_id: run.execution_id, seq: ++seq }),
        );
        mutate?.(out);
        updateRun(this.sql, run);
        return out;
      });
    } catch (err) {
      this.loggedSeq = undefined; // rolled back: read again next time
      throw err;
    }
    if (written.length) this.loggedSeq = written[written.length - 1].seq;
    passOver(this, written);
    this.outbox.add(written);
    return written;
  }

  /**
   * Brings the run's D1 row up to date. Writes run one at a time, in order, so each is computed
   * against what the previous one left (see `d1`). The `synced_seq` it reaches is stored with the
   * run's next write (its next change, or the archive of an ended run), not by a write of its own:
   * a session restarted before that writes the summary again, which D1's `summary_seq` guard
   * ignores.
   */
  syncSummary(): Promise<void> {
    const next = this.syncing.then(() => this.writeSummaryNow());
    this.syncing = next.catch(() => {});
    return next;
  }

  private async writeSummaryNow() {
    const run = this.run;
    if (!run || run.synced_seq >= run.summary_seq) return;
    const target = run.summary_seq;
    try {
      const written = d1Columns(run);
      const { took, heard } = await writeSummary(this.env.DB, run, this.d1);
      this.d1 = took ? written : null;
      this.heard = heard;
      run.synced_seq = Math.max(run.synced_seq, target);
    } catch (err) {
      this.d1 = null; // the write may or may not have landed
      log.error("run summary write-back failed; retrying", { run_id: run.id, error: err });
      await this.retryBy(Date.now() + RETRY_MS);
    }
  }

  /**
   * Writes an ended run's whole log to R2, so its record outlives this object's storage.
   * `last`: the log's last seq, when the caller just wrote it.
   */
  async archive(last?: number) {
    const run = this.run;
    if (!run || !isTerminal(run.state)) return;
    if (run.archived_seq >= (last ?? lastSeq(this.sql))) return;
    try {
      const log = logAsNdjson(this.sql);
      await archiveTranscript(this.env.ARTIFACTS, run.id, log);
      run.archived_seq = Math.max(run.archived_seq, log.last);
      updateRun(this.sql, run);
    } catch (err) {
      log.error("transcript archive failed; retrying", { run_id: run.id, error: err });
      await this.retryBy(Date.now() + RETRY_MS);
    }
  }

  /** Sets the alarm for the run's next timer (timers.ts), unless one is due sooner. */
  async armTimers() {
    const at = this.run && nextTimer(this.run, getConfig(this.env).CANCEL_GRACE_MS);
    if (at) await this.alarmBy(at);
  }

  /**
   * Sets the alarm to `at` unless it is due sooner already. Only this object sets its alarm, so
   * the time is kept in memory: read once per instance (never for new storage), then set only
   * when it moves earlier.
   */
  async alarmBy(at: number) {
    if (this.alarmAt === undefined) {
      const stored = await this.ctx.storage.getAlarm();
      if (this.alarmAt === undefined) this.alarmAt = stored; // unless a call meanwhile set it
    }
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    // noted before the call returns, so a call meanwhile compares with it
    this.alarmAt = at;
    try {
      await this.ctx.storage.setAlarm(at);
    } catch (err) {
      this.alarmAt = undefined; // not known any more: read it again next time
      throw err;
    }
  }

  /** Something failed that the alarm tries again, by `at` at the latest. */
  async retryBy(at: number) {
    this.retrying = true;
    await this.alarmBy(at);
  }

  /**
   * An ended run with nothing to retry has no timer left: the alarm one set (its deadline) is
   * deleted now rather than wake the object later for nothing.
   */
  async disarm() {
    if (this.retrying || this.alarmAt === null) return;
    if (this.alarmAt === undefined && (await this.ctx.storage.getAlarm()) === null) return;
    // still ended with nothing to retry (a follow-up may have reopened it meanwhile)
    if (this.retrying || !this.run || !isTerminal(this.run.state)) return;
    this.alarmAt = null;
    await this.ctx.storage.deleteAlarm();
  }

  /** The alarm went off: none is set until something sets it again, and it retries everything. */
  alarmFired() {
    this.alarmAt = null;
    this.retrying = false;
  }

  /** Calls the run's pool; a failure is logged, not thrown. */
  async tellPool(run: RunRecord, call: (pool: HostPoolStub) => Promise<unknown>) {
    // a LOCAL run's CLI learns of a cancel from its next report (cancel_requested)
    if (run.pool === LOCAL_POOL) return;
    try {
      await call(hostPool(this.env, run.team_id, run.pool));
    } catch (err) {
      log.error("host pool call failed", { run_id: run.id, error: err });
    }
  }
}
