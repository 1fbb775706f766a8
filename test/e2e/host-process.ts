// A test host in its own Node process, so a test can kill it for real (SIGKILL: no close frame,
// no goodbye). It connects to the pool socket with an API key (the `ws` package: a browser-style
// WebSocket cannot send an Authorization header), prints every frame it receives as one JSON line
// on stdout, and sends every JSON line it reads on stdin.
//
//   node test/e2e/host-process.ts <ws-url> <api-key>      (e.g. ws://127.0.0.1:8787/api/v1/selfhosted/worker/ws?worker_id=w1)
import { createInterface } from "node:readline";
import WebSocket from "ws";

const [url, key] = process.argv.slice(2);
if (!url || !key) {
  console.error("usage: node test/e2e/host-process.ts <ws-url> <api-key>");
  process.exit(2);
}

const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
const out = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);

ws.on("open", () => out({ type: "_open" }));
ws.on("message", (data) => process.stdout.write(`${data.toString()}\n`));
ws.on("unexpected-response", (_req, res) => {
  out({ type: "_refused", status: res.statusCode });
  process.exit(1);
});
ws.on("close", (code, reason) => {
  out({ type: "_closed", code, reason: reason.toString() });
  process.exit(0);
});
ws.on("error", (err) => out({ type: "_error", message: String(err) }));

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim()) ws.send(line);
});
