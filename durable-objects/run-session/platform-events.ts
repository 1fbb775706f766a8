import { isTerminal, type PlatformEventType, type RunEvent, type RunState } from "@ambit/protocol";
import { log } from "../../src/lib/log.ts";
import { emitPlatformEvent, eventIdFor } from "../../src/lib/platform-events.ts";
import { emitPlatformEvents, SEND_BATCH_MAX } from "../../src/lib/platform-events.ts";
import type { Session } from "./session.ts";
import { lastSeq, listEventsOfTypes } from "./storage.ts";

// The run's platform events (run.state_changed, run.completed, run.followup) come from its event
// log, which is its outbox: a change of state and its log entry commit together, and
// `emitRecorded` sends what the log holds past the `platform_events_seq` cursor. A send that
// fails is tried again from the alarm, so no state change is lost; an entry sent twice (a failure
// after the send, a retried drain) keeps its id, derived from the run and the entry's seq, which
// the consumers deduplicate by. Only entries actually written are sent: a host's report retried
// after it was applied writes nothing, so it emits nothing. Nor are they sent when no one hears
// them (`Session.heard`, read with the summary's write: src/lib/platform-listeners.ts).
//
// The cursor and the count of failed sends are read once per instance (never for a new session)
// and kept in memory (`Session.outboxCursor`); its `through` also passes, in memory only, entries
// that are no platform event (a host's events), so a change recorded right behind sent ones is
// sent as written, without reading the log back.
//
// Where the cursor is stored: after a send, at once (the KV store's `platform_events_seq`), so a
// restart sends nothing twice. Past changes no one heard (most runs: no webhook, no integration),
// only with the run's row (`run.platform_seq`), which the run's next change or its archive
// writes anyway: no write of its own. A restart in between finds the cursor one change behind and
// sends that change's events after all; no one heard of it when it was made, and the consumer
// gives an event to no webhook made after it (src/services/webhooks/fan-out.ts). (A webhook that
// was disabled then and enabled since would hear of that one change: the cost of storing nothing.)

const CURSOR = "platform_events_seq";
const FAILURES = "platform_events_failures";
/** A failed send is tried again after 1 s, 2 s, 4 s, … up to 5 minutes (a queue outage). */
const retryMs = (failures: number) => Math.min(300_000, 1_000 * 2 ** Math.min(failures, 9));
const SOURCES = ["run.state_changed", "followup.received"];
const BATCH = 50;

/** The outbox's cursor and failures in a row, as stored (read on first use): the later of the two cursors. */
function cursorOf(s: Session) {
  if (!s.outboxCursor) {
    const kv = s.ctx.storage.kv;
    const stored = [s.run?.platform_seq, kv.get<number>(CURSOR)].filter(
      (x): x is number => typeof x === "number",
    );
    s.outboxCursor = {
      through: stored.length ? Math.max(...stored) : undefined,
      failures: kv.get<number>(FAILURES) ?? 0,
    };
  }
  return s.outboxCursor;
}

/** Moves the cursor to `seq` in memory; the run's row carries it with its next write. */
function advance(s: Session, c: NonNullable<Session["outboxCursor"]>, seq: number) {
  c.through = seq;
  if (s.run) s.run.platform_seq = seq;
}

/**
 * Starts the cursor at `seq`: a new session's log begins with `run.created` (createRun sends it;
 * the run's row, inserted with it, holds `seq`).
 */
export function startPlatformEvents(s: Session, seq: number) {
  s.outboxCursor = { through: seq, failures: 0 };
}

/**
 * Entries just recorded that are no platform event, right behind everything sent: the cursor
 * passes them in memory, so the next change's entries follow it directly (see emitRecorded).
 */
export function passOver(s: Session, written: RunEvent[]) {
  const c = s.outboxCursor;
  if (!c || c.through === undefined || !written.length) return;
  if (written[0].seq !== c.through + 1 || written.some((e) => SOURCES.includes(e.type))) return;
  advance(s, c, written[written.length - 1].seq);
}

/**
 * Sends the platform events of the log entries past the cursor. `written`: the entries just
 * recorded; when nothing before them waits, they are sent as they are, without reading the log
 * (and a session older than the cursor starts at the first of them: its history is not news).
 */
export async function emitRecorded(s: Session, written?: RunEvent[]): Promise<void> {
  const run = s.run;
  if (!run) return;
  const heard = s.heard;
  s.heard = undefined;
  const kv = s.ctx.storage.kv;
  const c = cursorOf(s);
  let from = c.through;
  if (from === undefined) {
    if (!written?.length) return;
    from = written[0].seq - 1;
  }
  if (heard === false) {
    // no webhook and no integration thread when the change was written: its events are news
    // to no one, now or later (a webhook made afterwards hears of the changes after it)
    const through = Math.max(from, written?.at(-1)?.seq ?? lastSeq(s.sql));
    if (c.through === undefined || through > c.through) advance(s, c, through);
    if (c.failures) {
      c.failures = 0;
      kv.delete(FAILURES);
    }
    return;
  }
  let fresh = written?.length && written[0].seq === from + 1 ? written : null;
  for (;;) {
    const entries = fresh
      ? fresh.filter((e) => SOURCES.includes(e.type))
      : listEventsOfTypes(s.sql, from, SOURCES, BATCH);
    const last = fresh ? fresh[fresh.length - 1].seq : entries.at(-1)?.seq;
    fresh = null;
    if (last === undefined) return;
    try {
      // the entries' events go out together, a batch at a time, the cursor after each batch
      let batch: Parameters<typeof emitPlatformEvents>[1] = [];
      const flush = async (upTo: number) => {
        if (batch.length) await emitPlatformEvents(s.env, batch);
        batch = [];
        from = upTo;
        if (c.through === undefined || from > c.through) {
          advance(s, c, from);
          kv.put(CURSOR, from);
        }
      };
      for (const [i, e] of entries.entries()) {
        const at = Date.parse(e.at);
        for (const { type, data } of platformEventsOf(e)) {
          batch.push({
            id: await eventIdFor(at, `${run.id}:${e.seq}:${type}`),
            team_id: run.team_id,
            type,
            at,
            data: { run_id: run.id, execution_id: e.execution_id, ...data },
          });
        }
        const next = entries[i + 1];
        if (next && batch.length + platformEventsOf(next).length > SEND_BATCH_MAX) {
          await flush(e.seq);
        }
      }
      await flush(last);
    } catch (err) {
      const failures = ++c.failures;
      kv.put(FAILURES, failures);
      log.error("platform event not sent; retrying from the alarm", {
        run_id: run.id,
        failures,
        error: err,
      });
      // never later than a timer already armed (a deadline must not wait for this retry)
      await s.retryBy(Date.now() + retryMs(failures - 1));
      return;
    }
    if (c.failures) {
      c.failures = 0;
      kv.delete(FAILURES);
    }
    if (entries.length < BATCH) return;
  }
}

/**
 * Sources of runs whose origin shows the agent's tool calls as they happen (a Linear agent
 * session mirrors each as an `action` activity): their host's tool results are sent on as
 * `run.progress` (internal: no webhook hears it), so the integration reads the run's log then
 * rather than at the run's next change of state. Others' (Slack, GitHub: one status message)
 * would only cost a queue message each.
 */
const PROGRESS_SOURCES = new Set(["LINEAR"]);
const PROGRESS = "progress_events";

/** Remembers whether the run's tool results are sent on (`nudgeProgress`), from its source. */
export function noteSource(s: Session, source: string) {
  s.progress = PROGRESS_SOURCES.has(source);
  if (s.progress) s.ctx.storage.kv.put(PROGRESS, true);
}

/**
 * Tells the run's integration that the log has a new tool result (at `seq`, the last of a host's
 * batch): one `run.progress` per batch, its id fixed by the entry so a resend is one event. A
 * courtesy: a failure is logged and the run's next change of state carries the entry anyway.
 */
export async function nudgeProgress(s: Session, seq: number): Promise<void> {
  const run = s.run;
  s.progress ??= s.ctx.storage.kv.get(PROGRESS) === true;
  if (!run || !s.progress) return;
  const at = Date.now();
  try {
    await emitPlatformEvent(s.env, {
      id: await eventIdFor(at, `${run.id}:${seq}:run.progress`),
      team_id: run.team_id,
      type: "run.progress",
      at,
      data: { run_id: run.id, execution_id: run.execution_id, seq, state: run.state },
    });
  } catch (err) {
    log.warn("run.progress not sent; the next change of state carries it", {
      run_id: run.id,
      error: err,
    });
  }
}

type Out = { type: PlatformEventType; data: Record<string, unknown> };

/**
 * Longest text an event carries (a follow-up, a status message): webhooks want thin payloads, and
 * a queue message over 128 KB could never be sent, holding up every later event of the run.
 */
const MAX_TEXT = 4_000;
const cut = (text: unknown) =>
  typeof text === "string" && text.length > MAX_TEXT
    ? { text: `${text.slice(0, MAX_TEXT)}…`, truncated: true as const }
    : { text };

/** What one log entry tells the platform's listeners. */
function platformEventsOf({ type, payload, actor }: RunEvent): Out[] {
  if (type === "followup.received") {
    const sender = { type: actor.type, id: actor.id };
    const { text, truncated } = cut(payload.message);
    const followup = { message: text, sender, ...(truncated ? { truncated } : {}) };
    return [{ type: "run.followup", data: { followup } }];
  }
  const to = payload.to as RunState;
  const status = payload.status_message as { message?: unknown } | undefined;
  const { text, truncated } = cut(status?.message);
  const data = {
    state: to,
    previous_state: payload.from,
    ...(status
      ? { status_message: { ...status, message: text, ...(truncated ? { truncated } : {}) } }
      : {}),
  };
  const out: Out[] = [{ type: "run.state_changed", data }];
  if (isTerminal(to)) out.push({ type: "run.completed", data });
  return out;
}
