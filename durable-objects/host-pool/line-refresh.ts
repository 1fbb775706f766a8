import type { RunState } from "@ambit/protocol";
import {
  behindMessages,
  EXACT_POSITIONS,
  headMessages,
  type LineReason,
  waitMessage,
} from "./line-status.ts";
import {
  dropStay,
  hasContainer,
  lineBehindStale,
  lineGet,
  lineHasAfter,
  lineHead,
  linePosition,
  type LineEntry,
  setTold,
} from "./storage.ts";
import { log } from "../../src/lib/log.ts";

/** A run session's answer to a waiting message: its state (a message reaches only a QUEUED run). */
type Answer = { ok: true; state: RunState } | { ok: false };

export type LineRefreshDeps = {
  sql: SqlStorage;
  /** why the line waits right now */
  reason(): LineReason;
  /** tells a run's session why it waits (`RunSession.waiting`) */
  waiting(ref: { runId: string; teamId: string }, message: string): Promise<Answer>;
};

/** RunSession calls in flight at once while a whole line is told something new. */
const PARALLEL = 16;
/**
 * The least time between two refreshes. A lone change is told at once; while the line moves
 * faster than this (a burst of assignments), the moves in between fold into one refresh, so the
 * head is told at most ~EXACT_POSITIONS × 2 messages a second however fast runs are assigned.
 */
export const REFRESH_INTERVAL_MS = 500;

/**
 * Keeps the `status_message` of every run in line true as the line moves (line-status.ts says what
 * each run is told). A run is told only when its message changed (`told` in the line table), one
 * call at a time per run, each message computed when it is sent: the last one a run gets is
 * always from the newest state. Refreshes run one after another, at most one per
 * REFRESH_INTERVAL_MS; requests meanwhile fold into the next.
 *
 * The runs behind the head are looked at only when their message may have changed: a new reason,
 * a run put in line ahead of others (they moved back, maybe out of the head), a container started
 * or gone, a message that could not be delivered. Otherwise a refresh reads the head only.
 */
export class LineRefresh {
  private chains = new Map<string, Promise<unknown>>();
  private running: Promise<number> | null = null;
  private again = false;
  private lastPassAt = 0;
  /** the behind-the-head messages every run back there was last found told (null: look again) */
  private behindTold: string | null = null;
  /** bumped by each thing that may leave a run behind the head told something else */
  private behindGen = 0;

  constructor(private deps: LineRefreshDeps) {}

  /** A run was put in line: the runs it went ahead of moved back (a requeued run goes first). */
  enqueued(e: LineEntry) {
    if (lineHasAfter(this.deps.sql, e)) this.behindChanged();
  }

  /** Something the runs behind the head are told may have changed (e.g. a container started for some). */
  behindChanged() {
    this.behindTold = null;
    this.behindGen++;
  }

  /**
   * Tells one run why it waits, now. Answers whether it is still in line afterwards: false when its
   * session says it is no longer QUEUED (cancelled or ended meanwhile; it leaves the line).
   */
  tell(runId: string): Promise<boolean> {
    const next = (this.chains.get(runId) ?? Promise.resolve())
      .catch(() => {})
      .then(() => this.tellNow(runId))
      .catch((err) => {
        this.behindChanged(); // it may be a run back there: it is still to be told
        throw err;
      });
    this.chains.set(runId, next);
    void next
      .finally(() => this.chains.get(runId) === next && this.chains.delete(runId))
      .catch(() => {});
    return next;
  }

  /**
   * Tells every run whose message changed. Resolves once a refresh that started after this call
   * has ended, with how many runs could not be told (their session call failed: try again later).
   */
  refresh(): Promise<number> {
    this.again = true;
    this.running ??= this.loop();
    return this.running;
  }

  private async loop(): Promise<number> {
    let failed = 0;
    try {
      while (this.again) {
        const wait = this.lastPassAt + REFRESH_INTERVAL_MS - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.again = false;
        this.lastPassAt = Date.now();
        failed = await this.pass().catch((err) => {
          log.error("line refresh failed; retrying later", { error: err });
          return 1;
        });
      }
      return failed;
    } finally {
      this.running = null;
    }
  }

  private async pass(): Promise<number> {
    const { sql } = this.deps;
    const reason = this.deps.reason();
    const head = lineHead(sql, EXACT_POSITIONS).map((e) => ({
      ...e,
      told: e.told ?? null,
      container: e.container === 1,
    }));
    const behind = behindMessages(reason);
    const behindKey = `${behind.plain}\n${behind.container}`;
    const gen = this.behindGen;
    const stale = [
      ...headMessages(reason, head).map((m) => m.run_id),
      ...(this.behindTold === behindKey ? [] : lineBehindStale(sql, EXACT_POSITIONS, behind)),
    ];
    let failed = 0;
    for (let i = 0; i < stale.length; i += PARALLEL) {
      await Promise.all(
        stale.slice(i, i + PARALLEL).map((id) =>
          this.tell(id).catch((err) => {
            failed++;
            log.error("waiting message not delivered; retrying later", { run_id: id, error: err });
          }),
        ),
      );
    }
    if (!failed && gen === this.behindGen) this.behindTold = behindKey;
    return failed;
  }

  private async tellNow(runId: string): Promise<boolean> {
    const { sql } = this.deps;
    const entry = lineGet(sql, runId);
    if (!entry) return false;
    const message = waitMessage(
      this.deps.reason(),
      linePosition(sql, entry, EXACT_POSITIONS + 1),
      hasContainer(sql, runId),
    );
    if (entry.told === message) return true;
    const answer = await this.deps.waiting({ runId, teamId: entry.team_id }, message);
    if (answer.ok && answer.state === "QUEUED") {
      setTold(sql, entry, message);
      return lineGet(sql, runId) !== null;
    }
    // its session ended (the pool missed it) or was dispatched under us (held, not in line, by now)
    if (!answer.ok || answer.state !== "PENDING") {
      dropStay(sql, entry);
      void this.refresh(); // the runs behind it moved up
    }
    return false;
  }
}
