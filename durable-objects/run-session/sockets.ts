import type { AccessLevel, EventActor, ServerFrame } from "@ambit/protocol";

/** Per-socket state, kept in the socket's serialized attachment so it survives hibernation. */
export type SocketState = {
  conn: string;
  principal: EventActor;
  access: AccessLevel;
  joined_at: number;
  /** HOST sockets: the execution their token was for; the socket closes when it ends */
  execution_id?: number;
  /** the API key behind a teammate's connection (directly, or through the attach token it minted) */
  key_id?: string;
  /** how presence names a teammate (`AttachGrant.name`) */
  name?: string;
};

/**
 * What the Worker tells the Durable Object about a connection it already authenticated: `keyId`
 * is the API key behind it (directly, or through the attach token it minted), `ip` the address
 * of a public-link viewer (its per-address cap).
 */
export type AttachGrant = {
  runId: string;
  teamId: string;
  principal: EventActor;
  access: AccessLevel;
  after: number;
  keyId?: string;
  ip?: string;
  /** HOST: the execution of the run its token holds */
  executionId?: number;
  /** a teammate's name as presence shows it (services/runs/principal-name.ts) */
  name?: string;
};
export const ATTACH_HEADER = "x-ambit-attach";

/** Socket tags: a public-link viewer's sockets carry `public` and their address's tag. */
export const PUBLIC_TAG = "public";
export const ipTag = (ip: string) => `ip:${ip}`.slice(0, 256);

export const stateOf = (ws: WebSocket) => ws.deserializeAttachment() as SocketState | null;

export function send(ws: WebSocket, frame: ServerFrame) {
  sendText(ws, JSON.stringify(frame));
}

export function sendText(ws: WebSocket, text: string) {
  try {
    ws.send(text);
  } catch {
    // the socket closed under us; its close handler cleans up
  }
}

/** Sends one frame to every open socket (one serialization for all). */
export function broadcast(sockets: WebSocket[], frame: ServerFrame, except?: WebSocket) {
  const text = JSON.stringify(frame);
  for (const ws of sockets) {
    if (ws === except || ws.readyState !== WebSocket.OPEN) continue;
    sendText(ws, text);
  }
}

/**
 * Who is attached, with what access and how many connections, by name, from the sockets'
 * attachments; `anonymize` shows each principal as the public link may see it: no id, no name.
 */
export function presence(
  sockets: WebSocket[],
  anonymize?: (p: EventActor) => EventActor,
): ServerFrame {
  const byKey = new Map<
    string,
    { principal: EventActor; access: AccessLevel; connections: number; name?: string }
  >();
  for (const ws of sockets) {
    if (ws.readyState !== WebSocket.OPEN) continue;
    const s = stateOf(ws);
    if (!s) continue;
    const principal = anonymize ? anonymize(s.principal) : s.principal;
    const key = `${principal.type}:${principal.id}:${s.access}`;
    const named = !anonymize && s.name ? { name: s.name } : {};
    const entry = byKey.get(key) ?? { principal, access: s.access, connections: 0, ...named };
    entry.connections++;
    byKey.set(key, entry);
  }
  return { type: "presence", attached: [...byKey.values()] };
}
