import { getConfig } from "../../src/env.ts";
import { anonymousEvent } from "../../src/lib/anonymous.ts";
import { closeSse, sseBytes } from "./audience.ts";
import { watchLine } from "./line.ts";
import { load } from "./open.ts";
import { nextTurn, REPLAY_PAGE_EVENTS, replayFrames } from "./replay.ts";
import type { Session, SseClient, SseWriter } from "./session.ts";
import { type AttachGrant, ATTACH_HEADER, ipTag, PUBLIC_TAG, send, sendText } from "./sockets.ts";
import type { SocketState } from "./sockets.ts";
import { forgetAttachment, isTeamPrincipal, registerAttachment } from "./standing.ts";
import { lastSeq, listEvents, type RunRecord } from "./storage.ts";
import { viewerRefusal } from "./viewers.ts";

// Attach: a client the Worker authenticated joins the run's audience by websocket (hibernating)
// or Server-Sent Events, and is sent the log after `after` before live events (replay.ts).

/**
 * Only the Worker calls this, with a grant for a caller it already authenticated. A teammate's
 * connection is recorded in `live_attachments` and their standing read again in the same D1
 * batch (a removal racing the attach either is seen here or sees the row); a run at its viewer
 * caps answers 429 (viewers.ts).
 */
export async function attach(s: Session, request: Request): Promise<Response> {
  const grant = JSON.parse(request.headers.get(ATTACH_HEADER) ?? "null") as AttachGrant | null;
  if (!grant) return new Response("missing attach grant", { status: 400 });
  const run = await load(s, grant);
  if (!run) return new Response("run not found", { status: 404 });
  await watchLine(s, run);
  const full = refusal(s, grant);
  if (full) return full;
  const conn = crypto.randomUUID();
  let access = grant.access;
  if (access !== "HOST" && isTeamPrincipal(grant.principal)) {
    const standing = await registerAttachment(s.env.DB, grant, conn);
    const refused =
      standing.access === "NONE" ? new Response(standing.why, { status: 403 }) : refusal(s, grant);
    if (refused) {
      await forgetAttachment(s.env.DB, conn);
      return refused;
    }
    if (standing.access === "VIEWER") access = "VIEWER";
  }
  const attached = { ...grant, access };
  return request.headers.get("upgrade")?.toLowerCase() === "websocket"
    ? attachSocket(s, run, attached, conn)
    : attachSse(s, attached, conn);
}

/** The 429 of a run at its viewer caps (viewers.ts), counting open sockets and streams. */
function refusal(s: Session, grant: AttachGrant) {
  const open = (ws: WebSocket) => ws.readyState === WebSocket.OPEN;
  const openOf = (tag?: string) =>
    (tag === undefined ? s.ctx.getWebSockets() : s.ctx.getWebSockets(tag)).filter(open).length;
  const streams = [...s.sse.values()].filter((c) => c.principal.type !== "host");
  const fromIp =
    grant.ip === undefined
      ? 0
      : openOf(ipTag(grant.ip)) + streams.filter((c) => c.ip === grant.ip).length;
  return viewerRefusal(getConfig(s.env), grant.access, grant.ip, {
    all: openOf() - openOf("HOST") + streams.length,
    fromIp,
  });
}

function attachSocket(s: Session, run: RunRecord, grant: AttachGrant, conn: string): Response {
  const { 0: client, 1: server } = new WebSocketPair();
  const tags = [
    grant.access,
    `principal:${grant.principal.id}`.slice(0, 256),
    ...(grant.ip !== undefined ? [PUBLIC_TAG, ipTag(grant.ip)] : []),
  ];
  s.ctx.acceptWebSocket(server, tags);
  const state: SocketState = {
    conn,
    principal: grant.principal,
    access: grant.access,
    joined_at: Date.now(),
    ...(grant.keyId ? { key_id: grant.keyId } : {}),
    ...(grant.name ? { name: grant.name } : {}),
    ...(grant.access === "HOST" ? { execution_id: grant.executionId } : {}),
  };
  server.serializeAttachment(state);
  send(server, {
    type: "ready",
    run_id: run.id,
    state: run.state,
    last_seq: lastSeq(s.sql),
    access: grant.access,
    execution_id: run.execution_id,
  });
  if (grant.access === "HOST") {
    // the host replays at once, as before: it is one, authenticated, and a follow-up frame must
    // not overtake its replay. Replay and registration happen with no await in between: no
    // event can fall in a gap.
    s.outbox.flush();
    for (let after = grant.after; ; ) {
      const page = listEvents(s.sql, after, REPLAY_PAGE_EVENTS);
      for (const frame of replayFrames(page)) sendText(server, frame);
      if (page.length < REPLAY_PAGE_EVENTS) break;
      after = page[page.length - 1].seq;
    }
  } else {
    s.replaying.add(server);
    void replaySocket(s, server, grant.after, grant.principal.type === "public");
  }
  s.presence.poke();
  return new Response(null, { status: 101, webSocket: client });
}

/**
 * Sends a socket the log after `after`, a page per turn (replay.ts). Live events skip it
 * meanwhile; each page is read right after the outbox is flushed and the last one (short) ends
 * the replay in the same turn, so no event is lost between replay and live, nor sent twice.
 */
async function replaySocket(s: Session, ws: WebSocket, after: number, anonymous: boolean) {
  try {
    for (;;) {
      if (ws.readyState !== WebSocket.OPEN) return;
      s.outbox.flush();
      const page = listEvents(s.sql, after, REPLAY_PAGE_EVENTS);
      for (const frame of replayFrames(anonymous ? page.map(anonymousEvent) : page)) {
        sendText(ws, frame);
      }
      if (page.length < REPLAY_PAGE_EVENTS) return;
      after = page[page.length - 1].seq;
      await nextTurn();
    }
  } finally {
    s.replaying.delete(ws);
  }
}

function attachSse(s: Session, grant: AttachGrant, conn: string): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const { principal, keyId, ip } = grant;
  const client: SseClient = { conn, principal, keyId, ip, live: false };
  s.sse.set(writer, client);
  writer.closed.then(
    () => closeSse(s, writer),
    () => closeSse(s, writer),
  );
  void replaySse(s, writer, client, grant.after);
  return new Response(readable, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    },
  });
}

/**
 * Sends a stream the log after `after`, a page at a time as its reader takes them
 * (`writer.ready`), then live events.
 */
async function replaySse(s: Session, writer: SseWriter, client: SseClient, after: number) {
  const anonymous = client.principal.type === "public";
  try {
    for (;;) {
      await writer.ready;
      if (!s.sse.has(writer)) return;
      s.outbox.flush();
      const page = listEvents(s.sql, after, REPLAY_PAGE_EVENTS);
      if (page.length) {
        writer.write(sseBytes(anonymous ? page.map(anonymousEvent) : page)).catch(() => {});
      }
      if (page.length < REPLAY_PAGE_EVENTS) {
        client.live = true;
        return;
      }
      after = page[page.length - 1].seq;
    }
  } catch {
    closeSse(s, writer); // the reader went away
  }
}
