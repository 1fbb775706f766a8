import type { EventActor, RunEvent } from "@ambit/protocol";

// What a public link shows of the people behind a run: their kind, never their id. The platform's
// own actors (`system`) and the link's viewers (`public`) name no member and stay as they are.

export const ANONYMOUS_ID = "anonymous";

export const anonymousActor = (a: EventActor): EventActor =>
  a.type === "system" || a.type === "public" ? a : { type: a.type, id: ANONYMOUS_ID };

export const anonymousEvent = (e: RunEvent): RunEvent => ({ ...e, actor: anonymousActor(e.actor) });
