import { isTerminal, type PlatformEventType, type RunEvent, type RunState } from "@ambit/protocol";
import { log } from "../../src/lib/log.ts";
import { emitPlatformEvent, eventIdFor } from "../../src/lib/platform-events.ts";
import type { Session } from "./session.ts";
import { listEventsOfTypes } from "./storage.ts";

// The run's platform events (run.state_changed, run.completed, run.followup) come from its event
// log, which is its outbox: a change of state and its log entry commit together, and
// `emitRecorded` sends what the log holds past the `platform_events_seq` cursor. A send that
// fails is tried again from the alarm, so no state change is lost; an entry sent twice (a failure
// after the send, a retried drain) keeps its id, derived from the run and the entry's seq, which
// the consumers deduplicate by. Only entries actually written are sent: a host's report retried
// after it was applied writes nothing, so it emits nothing.

const CURSOR = "platform_events_seq";
const RETRY_MS = 1_000;
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
  const kv = s.ctx.storage.kv;
  let from = kv.get<number>(CURSOR);
  if (from === undefined) {
    if (before === undefined) return;
    from = before - 1;
  }
  for (;;) {
    const entries = listEventsOfTypes(s.sql, from, SOURCES, BATCH);
    if (!entries.length) return;
    try {
      for (const e of entries) {
        const at = Date.parse(e.at);
        for (const { type, data } of platformEventsOf(e)) {
          await emitPlatformEvent(s.env, {
            id: await eventIdFor(at, `${run.id}:${e.seq}:${type}`),
            team_id: run.team_id,
            type,
            at,
            data: { run_id: run.id, execution_id: e.execution_id, ...data },
          });
        }
        from = e.seq;
        kv.put(CURSOR, Math.max(kv.get<number>(CURSOR) ?? 0, from));
      }
    } catch (err) {
      log.error("platform event not sent; retrying from the alarm", { run_id: run.id, error: err });
      await s.ctx.storage.setAlarm(Date.now() + RETRY_MS);
      return;
    }
    if (entries.length < BATCH) return;
  }
}

type Out = { type: PlatformEventType; data: Record<string, unknown> };

/** What one log entry tells the platform's listeners. */
function platformEventsOf({ type, payload, actor }: RunEvent): Out[] {
  if (type === "followup.received") {
    const sender = { type: actor.type, id: actor.id };
    return [{ type: "run.followup", data: { followup: { message: payload.message, sender } } }];
  }
  const to = payload.to as RunState;
  const data = {
    state: to,
    previous_state: payload.from,
    ...(payload.status_message ? { status_message: payload.status_message } : {}),
  };
  const out: Out[] = [{ type: "run.state_changed", data }];
  if (isTerminal(to)) out.push({ type: "run.completed", data });
  return out;
}
