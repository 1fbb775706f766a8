import type {
  PlatformEventMessage,
  PlatformEventsMessage,
  PlatformEventType,
} from "@ambit/protocol";
import { uuidv7 } from "./ids.ts";
import { log } from "./log.ts";

type NewEvent = {
  team_id: string;
  type: PlatformEventType;
  data: PlatformEventMessage["data"];
  at?: number;
  /** a fixed id (eventIdFor): sending the same event again then makes the same event */
  id?: string;
};

/**
 * Sends one platform event to the `EVENTS` queue, with the id every delivery of it will carry
 * (outbound webhooks' `webhook-id`). Call it once, after what it describes is committed: the queue
 * delivers at least once, and its consumers deduplicate by this id.
 */
export async function emitPlatformEvent(
  env: Pick<Env, "EVENTS">,
  event: NewEvent,
): Promise<PlatformEventMessage> {
  const at = event.at ?? Date.now();
  const message: PlatformEventMessage = {
    id: event.id ?? `evt_${uuidv7(at)}`,
    team_id: event.team_id,
    type: event.type,
    at,
    data: event.data,
  };
  await env.EVENTS.send(message, { contentType: "json" });
  return message;
}

/**
 * Sends several platform events, in order, in one `sendBatch`: the events go packed together
 * into as few messages as their size allows (`PlatformEventsMessage`; a lone event as a
 * `PlatformEventMessage`), each event with its own id, which its consumers deduplicate by. At
 * most `SEND_BATCH_MAX` events (their text is capped, so a batch stays within the queue's 256 KB).
 */
export async function emitPlatformEvents(
  env: Pick<Env, "EVENTS">,
  events: (NewEvent & { id: string; at: number })[],
): Promise<void> {
  if (!events.length) return;
  const packs: PlatformEventMessage[][] = [];
  let size = Infinity;
  for (const { id, team_id, type, at, data } of events) {
    const event: PlatformEventMessage = { id, team_id, type, at, data };
    const length = JSON.stringify(data).length;
    if (size + length > PACK_CHARS) [packs[packs.length], size] = [[], 0];
    packs[packs.length - 1].push(event);
    size += length;
  }
  await env.EVENTS.sendBatch(
    packs.map((pack) => ({
      body: pack.length === 1 ? pack[0] : ({ events: pack } satisfies PlatformEventsMessage),
      contentType: "json" as const,
    })),
  );
}

/** How many events one `emitPlatformEvents` call sends at most. */
export const SEND_BATCH_MAX = 20;
/**
 * The most text (UTF-16 units of the events' JSON data) one message packs: at 3 bytes a unit,
 * well inside the queue's 128 KB per message, with room for each event's envelope.
 */
const PACK_CHARS = 30_000;

/**
 * `emitPlatformEvent` for a write already answered as done: a failure is logged, never thrown, so
 * the event is lost (docs/integrations.md names which events this can happen to).
 */
export async function emitPlatformEventOrLog(env: Pick<Env, "EVENTS">, event: NewEvent) {
  try {
    await emitPlatformEvent(env, event);
  } catch (err) {
    log.error("platform event not sent; webhooks will not hear of it", {
      team_id: event.team_id,
      type: event.type,
      error: err,
    });
  }
}

/**
 * The id of an event known by a stable `key` (a run's log entry): `evt_` + a UUIDv7 of its time
 * whose random bits come from the key, so the event sent twice is one event to its consumers.
 */
export async function eventIdFor(at: number, key: string): Promise<string> {
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`ambit-event:v1:${key}`)),
  );
  return `evt_${uuidv7(at, hash)}`;
}
