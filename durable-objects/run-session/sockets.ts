import type { AccessLevel, EventActor, ServerFrame } from "@ambit/protocol";

/** Per-socket state, kept in the socket's serialized attachment so it survives hibernation. */
export type SocketState = {
  conn: string; principal: EventActor; access: AccessLevel; joined_at: number;
  /** HOST sockets: the execution their token was for; the socket closes when it ends */
  execution_id?: number;
};

/** What the Worker tells the Durable Object about a connection it already authenticated. */
export type AttachGrant = {
  runId: string; teamId: string; principal: EventActor; access: AccessLevel; after: number;
  /** HOST: the execution of the run its token holds */
  executionId?: number;
};
export const ATTACH_HEADER = "x-ambit-attach";

export const stateOf = (ws: WebSocket) => ws.deserializeAttachment() as SocketState | null;

export function send(ws: WebSocket, frame: ServerFrame) {
  try {
    ws.send(JSON.stringify(frame));
  } catch {
    // the socket closed under us; its close handler cleans up
  }
}

/** Sends one frame to every open socket (one serialization for all). */
export function broadcast(sockets: WebSocket[], frame: ServerFrame, except?: WebSocket) {
  const text = JSON.stringify(frame);
  for (const ws of sockets) {
    if (ws === except || ws.readyState !== WebSocket.OPEN) continue;
    try {
      ws.send(text);
    } catch {
      /* closing */
    }
  }
}

/** Who is attached, with what access and how many connections, from the sockets' attachments. */
export function presence(sockets: WebSocket[], except?: WebSocket): ServerFrame {
  const byKey = new Map<string, { principal: EventActor; access: AccessLevel; connections: number }>();
  for (const ws of sockets) {
    if (ws === except || ws.readyState !== WebSocket.OPEN) continue;
    const s = stateOf(ws);
    if (!s) continue;
    const key = `${s.principal.type}:${s.principal.id}:${s.access}`;
    const entry = byKey.get(key) ?? { principal: s.principal, access: s.access, connections: 0 };
    entry.connections++;
    byKey.set(key, entry);
  }
  return { type: "presence", attached: [...byKey.values()] };
}
