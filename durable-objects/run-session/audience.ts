import { isTerminal, type RunEvent, type ServerFrame } from "@ambit/protocol";
import { anonymousActor, anonymousEvent } from "../../src/lib/anonymous.ts";
import type { Session, SseWriter } from "./session.ts";
import { broadcast, presence, PUBLIC_TAG, stateOf } from "./sockets.ts";
import { forgetAttachment, isTeamPrincipal } from "./standing.ts";
import type { RunRecord } from "./storage.ts";

// The run's live audience, once attached (attach.ts): what it is sent (events, presence) and how
// its connections end (a socket that left, a stream closed, holders of an ended execution).

const encoder = new TextEncoder();

/** One Server-Sent Event per run event, named by its type and identified by its seq. */
export const sseFrame = (e: RunEvent) =>
  `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

export const sseBytes = (events: RunEvent[]) => encoder.encode(events.map(sseFrame).join(""));

/**
 * Sends persisted events to every client past its replay: one `event` frame, or one `events`
 * frame for several; the public link's with anonymous actors (lib/anonymous.ts).
 */
export function deliver(s: Session, events: RunEvent[]) {
  const frameOf = (list: RunEvent[]): ServerFrame =>
    list.length === 1 ? { type: "event", event: list[0] } : { type: "events", events: list };
  const publicOnes = new Set(s.ctx.getWebSockets(PUBLIC_TAG));
  const live = s.ctx.getWebSockets().filter((ws) => !s.replaying.has(ws));
  broadcast(
    live.filter((ws) => !publicOnes.has(ws)),
    frameOf(events),
  );
  const anyPublic =
    publicOnes.size > 0 || [...s.sse.values()].some((c) => c.principal.type === "public");
  const anonymous = anyPublic ? events.map(anonymousEvent) : events;
  if (publicOnes.size)
    broadcast(
      live.filter((ws) => publicOnes.has(ws)),
      frameOf(anonymous),
    );
  if (!s.sse.size) return;
  const bytes = sseBytes(events);
  const anonymousBytes = anonymous === events ? bytes : sseBytes(anonymous);
  for (const [w, c] of s.sse) {
    if (!c.live) continue;
    w.write(c.principal.type === "public" ? anonymousBytes : bytes).catch(() => closeSse(s, w));
  }
}

/** One presence frame to every socket: the public link's show no ids (see lib/anonymous.ts). */
export function sendPresence(s: Session) {
  const sockets = s.ctx.getWebSockets();
  const publicOnes = new Set(s.ctx.getWebSockets(PUBLIC_TAG));
  broadcast(
    sockets.filter((ws) => !publicOnes.has(ws)),
    presence(sockets),
  );
  if (publicOnes.size) broadcast([...publicOnes], presence(sockets, anonymousActor));
}

/** A socket went away: the others are told (coalesced), and it leaves `live_attachments`. */
export function left(s: Session, ws: WebSocket) {
  s.replaying.delete(ws);
  s.presence.poke();
  const who = stateOf(ws);
  if (who && who.access !== "HOST" && isTeamPrincipal(who.principal)) {
    void forgetAttachment(s.env.DB, who.conn);
  }
}

/** Ends a stream (or forgets one its reader ended), once. */
export function closeSse(s: Session, writer: SseWriter) {
  const client = s.sse.get(writer);
  if (!client) return;
  s.sse.delete(writer);
  writer.close().catch(() => {});
  if (isTeamPrincipal(client.principal)) void forgetAttachment(s.env.DB, client.conn);
}

/**
 * The execution a HOST socket held ended (or a newer one began): its token grants nothing more,
 * so it goes.
 */
export function dropEndedHolders(s: Session, run: RunRecord) {
  s.outbox.flush(); // they get the events of their execution's end first
  for (const ws of s.ctx.getWebSockets("HOST")) {
    if (!isTerminal(run.state) && stateOf(ws)?.execution_id === run.execution_id) continue;
    ws.close(4001, "this execution of the run ended; its HOST token no longer attaches");
  }
  for (const [writer, client] of s.sse) {
    if (client.principal.type !== "host") continue;
    s.sse.delete(writer);
    writer.close().catch(() => {});
  }
}

/**
 * Disconnects every watcher and steerer but `keepPrincipalId` (the run's creator) and the host:
 * the run's sharing shrank, so each reconnects and is authorized again with what it has now.
 */
export function dropWatchers(s: Session, keepPrincipalId: string): number {
  let dropped = 0;
  for (const ws of s.ctx.getWebSockets()) {
    const who = stateOf(ws);
    if (!who || who.access === "HOST" || who.principal.id === keepPrincipalId) continue;
    ws.close(4003, "the run's sharing changed; reconnect to be authorized again");
    dropped++;
  }
  for (const [writer, { principal }] of s.sse) {
    if (principal.type === "host" || principal.id === keepPrincipalId) continue;
    closeSse(s, writer);
    dropped++;
  }
  return dropped;
}
