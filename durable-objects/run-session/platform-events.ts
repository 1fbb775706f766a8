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

const CURSOR = "platform_events_seq";
const FAILURES = "platform_events_failures";
/** A failed send is tried again after 1 s, 2 s, 4 s, … up to 5 minutes (a queue outage). */
const retryMs = (failures: number) => Math.min(300_000, 1_000 * 2 ** Math.min(failures, 9));
const SOURCES = ["run.state_changed", "followup.received"];
const BATCH = 50;

/** Starts the cursor at `seq`: a new session's log begins with `run.created` (createRun sends it). */
export function startPlatformEvents(s: Session, seq: number) {
  s.ctx.storage.kv.put(CURSOR, seq);
}

/**
 * Sends the platform events of the log entries past the cursor. `before`: the first entry just
 * written, where a session older than the cursor starts (its earlier history is not news).
 */
export async function emitRecorded(s: Session, before?: number): Promise<void> {
  const run = s.run;
  if (!run) return;
  const heard = s.heard;
  s.heard = undefined;
  const kv = s.ctx.storage.kv;
  let from = kv.get<number>(CURSOR);
  if (from === undefined) {
    if (before === undefined) return;
    from = before - 1;
  }
  if (heard === false) {
    // no webhook and no integration thread when the change was written: its events are news
    // to no one, now or later (a webhook made afterwards hears of the changes after it)
    kv.put(CURSOR, Math.max(from, lastSeq(s.sql)));
    if (kv.get(FAILURES) !== undefined) kv.delete(FAILURES);
    return;
  }
  for (;;) {
    const entries = listEventsOfTypes(s.sql, from, SOURCES, BATCH);
    if (!entries.length) return;
    try {
      // the entries' events go out together, a batch at a time, the cursor after each batch
      let batch: Parameters<typeof emitPlatformEvents>[1] = [];
      const flush = async (upTo: number) => {
        await emitPlatformEvents(s.env, batch);
        batch = [];
        from = upTo;
        kv.put(CURSOR, Math.max(kv.get<number>(CURSOR) ?? 0, from));
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
        if (!next || batch.length + platformEventsOf(next).length > SEND_BATCH_MAX) {
          await flush(e.seq);
        }
      }
    } catch (err) {
      const failures = (kv.get<number>(FAILURES) ?? 0) + 1;
      kv.put(FAILURES, failures);
      log.error("platform event not sent; retrying from the alarm", {
        run_id: run.id,
        failures,
        error: err,
      });
      // never later than a timer already armed (a deadline must not wait for this retry)
      const at = Date.now() + retryMs(failures - 1);
      const current = await s.ctx.storage.getAlarm();
      if (current === null || current > at) await s.ctx.storage.setAlarm(at);
      return;
    }
    if (kv.get(FAILURES) !== undefined) kv.delete(FAILURES);
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
  if (PROGRESS_SOURCES.has(source)) s.ctx.storage.kv.put(PROGRESS, true);
}

/**
 * Tells the run's integration that the log has a new tool result (at `seq`, the last of a host's
 * batch): one `run.progress` per batch, its id fixed by the entry so a resend is one event. A
 * courtesy: a failure is logged and the run's next change of state carries the entry anyway.
 */
export async function nudgeProgress(s: Session, seq: number): Promise<void> {
  const run = s.run;
  if (!run || !s.ctx.storage.kv.get(PROGRESS)) return;
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
