import { ClientFrame } from "@ambit/protocol";
import { append } from "./holder.ts";
import { followup } from "./followups.ts";
import type { Session } from "./session.ts";
import { send, stateOf } from "./sockets.ts";
import { standingOf } from "./standing.ts";
import { cancel } from "./transitions.ts";

/**
 * One frame from an attached socket, zod-parsed on arrival (1008 on a bad one): a ping, an
 * editor's `followup` or `cancel`, checked against D1 as it is now (standing.ts), or the host's
 * `append` to its own execution. Refusals go back as `error` frames and change nothing.
 */
export async function onFrame(s: Session, ws: WebSocket, raw: string | ArrayBuffer) {
  const who = stateOf(ws);
  const run = s.run;
  if (!who || !run) return ws.close(1011, "session state missing; reconnect");
  let frame: ClientFrame;
  try {
    const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw);
    frame = ClientFrame.parse(JSON.parse(text));
  } catch (err) {
    const what = err instanceof SyntaxError ? "not JSON" : "not a valid client frame";
    return ws.close(1008, `bad frame: ${what}`);
  }
  const ref = { runId: run.id, teamId: run.team_id };
  const refuse = (message: string) =>
    send(ws, { type: "error", ref: frame.ref, code: "not_authorized", message });
  switch (frame.type) {
    case "ping":
      return send(ws, { type: "pong", ref: frame.ref });
    case "followup":
    case "cancel": {
      if (who.access !== "EDITOR") {
        return refuse(`${frame.type} needs EDITOR access; this connection has ${who.access}`);
      }
      // what the connection was granted is not enough: steering is authorized against D1 as it
      // is now
      const now = await standingOf(s.env.DB, {
        ...ref,
        principal: who.principal,
        keyId: who.key_id,
      });
      if (now.access !== "EDITOR") {
        const why = now.access === "NONE" ? now.why : "its principal may only watch the run now";
        refuse(`${frame.type} needs EDITOR access, and this connection's has ended: ${why}`);
        if (now.access === "NONE") ws.close(4003, `access to this run ended: ${now.why}`);
        else ws.serializeAttachment({ ...who, access: "VIEWER" }); // it watches on
        return;
      }
      const result =
        frame.type === "cancel"
          ? await cancel(s, ref, who.principal)
          : await followup(s, ref, who.principal, frame, { delegated: !now.personal });
      return result.ok
        ? send(ws, { type: "ack", ref: frame.ref, seqs: [result.seq] })
        : send(ws, { type: "error", ref: frame.ref, code: result.code, message: result.message });
    }
    case "append": {
      if (who.access !== "HOST") return refuse("only the run's host may append events");
      if (who.execution_id !== run.execution_id) {
        const held = who.execution_id ?? "?";
        return refuse(
          `this connection holds execution ${held} of the run, not the current ${run.execution_id}`,
        );
      }
      const result = await append(s, ref, who.principal, frame.events);
      return result.ok
        ? send(ws, { type: "ack", ref: frame.ref, seqs: result.seqs, refused: result.refused })
        : send(ws, { type: "error", ref: frame.ref, code: result.code, message: result.message });
    }
  }
}
