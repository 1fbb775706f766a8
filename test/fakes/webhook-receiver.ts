// An HTTP endpoint for outbound webhooks that records every call and answers as scripted: the
// receiver of test/queues/webhooks-*.test.ts (started by test/helpers/webhook-receiver-setup.ts,
// outside workerd) and of the webhooks bench. Each path `/hooks/<name>` is its own endpoint.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** How one call is answered; the script's entries are used in order, then 200. */
export type ScriptedAnswer = {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** answer only after this long (a slow endpoint) */
  delayMs?: number;
};
export type RecordedCall = { headers: Record<string, string>; body: string; at: number };

export type WebhookReceiver = { url: string; server: Server; close: () => Promise<void> };

/**
 * `POST /hooks/<name>`: recorded, answered by the name's script. `PUT /script/<name>` (a JSON
 * array of ScriptedAnswer) sets the script; `GET /calls/<name>` answers the recorded calls.
 */
export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const calls = new Map<string, RecordedCall[]>();
  const scripts = new Map<string, ScriptedAnswer[]>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const [, kind, name] = (req.url ?? "").split("/");
    if (req.method === "PUT" && kind === "script") {
      scripts.set(name, JSON.parse(body));
      return res.writeHead(204).end();
    }
    if (req.method === "GET" && kind === "calls") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(calls.get(name) ?? []));
    }
    if (req.method !== "POST" || kind !== "hooks") return res.writeHead(404).end();
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
    );
    calls.set(name, [...(calls.get(name) ?? []), { headers, body, at: Date.now() }]);
    const answer = scripts.get(name)?.shift() ?? { status: 200, body: "ok" };
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (res.destroyed) return;
    res.writeHead(answer.status, answer.headers).end(answer.body ?? "");
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
