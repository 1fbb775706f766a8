import type { EventActor } from "@ambit/protocol";
import { closeSse } from "./audience.ts";
import { load } from "./open.ts";
import type { RunRef, StandingChange } from "./results.ts";
import type { Session } from "./session.ts";
import { stateOf } from "./sockets.ts";
import { isTeamPrincipal, pruneAttachments, type Standing, standingOf } from "./standing.ts";

/**
 * A principal's standing changed (removed from the team, another role, a key revoked): each of
 * their connections here is checked against D1 again, and one whose access fell is closed (4003)
 * so it attaches again with what it has now, if anything. Rows of connections gone unseen are
 * pruned from `live_attachments` on the way.
 */
export async function recheckAccess(
  s: Session,
  ref: RunRef,
  change: StandingChange,
): Promise<{ ok: true; closed: number }> {
  const run = await load(s, ref);
  if (!run) return { ok: true, closed: 0 };
  const hit = (p: EventActor, keyId?: string) =>
    isTeamPrincipal(p) &&
    ("keyId" in change ? keyId === change.keyId : p.id === change.principalId);
  const sockets = s.ctx.getWebSockets().filter((ws) => {
    const who = stateOf(ws);
    return who && who.access !== "HOST" && hit(who.principal, who.key_id);
  });
  const streams = [...s.sse].filter(([, c]) => hit(c.principal, c.keyId));
  // one D1 read per principal and key, however many connections they have here
  const standings = new Map<string, Promise<Standing>>();
  const standing = (principal: EventActor, keyId?: string) => {
    const k = `${principal.id}:${keyId ?? ""}`;
    if (!standings.has(k)) {
      const who = { runId: run.id, teamId: run.team_id, principal, keyId };
      standings.set(k, standingOf(s.env.DB, who));
    }
    return standings.get(k)!;
  };
  let closed = 0;
  for (const ws of sockets) {
    const who = stateOf(ws)!;
    const now = await standing(who.principal, who.key_id);
    if (now.access === who.access || (now.access === "EDITOR" && who.access === "VIEWER")) continue;
    ws.close(
      4003,
      now.access === "NONE"
        ? `access to this run ended: ${now.why}`
        : "your access to this run changed; reconnect to watch",
    );
    closed++;
  }
  for (const [writer, c] of streams) {
    if ((await standing(c.principal, c.keyId)).access !== "NONE") continue;
    closeSse(s, writer);
    closed++;
  }
  const openSockets = s.ctx
    .getWebSockets()
    .flatMap((ws) => (ws.readyState === WebSocket.OPEN ? [stateOf(ws)?.conn ?? ""] : []));
  const open = [...openSockets, ...[...s.sse.values()].map((c) => c.conn)];
  await pruneAttachments(s.env.DB, run.id, open).catch(() => {});
  return { ok: true, closed };
}
