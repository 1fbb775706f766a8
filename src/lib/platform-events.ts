import type { PlatformEventMessage, PlatformEventType } from "@ambit/protocol";
import { uuidv7 } from "./ids.ts";

/**
 * Sends one platform event to the `EVENTS` queue, with the id every delivery of it will carry
 * (outbound webhooks' `webhook-id`). Call it once, after what it describes is committed: the queue
 * delivers at least once, and its consumers deduplicate by this id.
 */
export async function emitPlatformEvent(
  env: Pick<Env, "EVENTS">,
  event: {
    team_id: string;
    type: PlatformEventType;
    data: PlatformEventMessage["data"];
    at?: number;
  },
): Promise<PlatformEventMessage> {
  const at = event.at ?? Date.now();
  const message: PlatformEventMessage = { id: `evt_${uuidv7(at)}`, ...event, at };
  await env.EVENTS.send(message, { contentType: "json" });
  return message;
}
