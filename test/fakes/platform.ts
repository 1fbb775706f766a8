// The doors a runner knocks on, for node tests that need no `wrangler dev`, serving one run: a
// LOCAL run's holder (`runLocal`) gets it from POST …/local/claim and reports to POST
// …/local/report; a host (`startHost`) gets it as the `task_assignment` after its `hello` on the
// pool socket, which records its messages. The run's session socket says `ready` and acknowledges
// every `append`, keeping the events. Any bearer key is taken.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { TaskAssignment } from "@ambit/protocol";
import { WebSocketServer } from "ws";

export type FakeEvent = { host_seq: number; type: string; payload: Record<string, unknown> };

/** Serves one LOCAL run `runId` whose assignment carries `extra` (env_vars, secrets, agent_config, …). */
export async function startFakePlatform(runId: string, extra: Record<string, unknown> = {}) {
  const events: FakeEvent[] = [];
  /** LOCAL reports, and the host's messages on the pool socket */
  const reports: { type: string; data: Record<string, unknown> }[] = [];
  const assignment = TaskAssignment.parse({
    task_id: runId,
    run_id: runId,
    execution_id: 1,
    task: {
      id: runId,
      title: "local",
      prompt: "p",
      created_at: new Date().toISOString(),
      agent_config: {},
      team_id: "team_1",
    },
    session: { path: `/api/v1/agent/runs/${runId}/session`, token: "host-token" },
    env_vars: {},
    secrets: [],
    ...extra,
  });
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
      if (req.url?.endsWith("/local/claim"))
        return json(200, { assignment, lease_ms: 5_000, heartbeat_interval_ms: 1_000 });
      if (req.url?.endsWith("/local/report")) {
        const report = JSON.parse(body);
        reports.push(report);
        const ended = report.type === "task_completed" || report.type === "task_failed";
        return json(200, {
          run_id: runId,
          state: ended ? (report.data.task_state ?? "SUCCEEDED") : "INPROGRESS",
          execution_id: 1,
          cancel_requested: false,
          lease_ms: 5_000,
        });
      }
      json(404, { detail: "not found" });
    });
  });
  const wss = new WebSocketServer({ server });
  let assigned = false;
  wss.on("connection", (ws, req) => {
    if (req.url?.startsWith("/api/v1/selfhosted/worker/ws")) {
      ws.send(
        JSON.stringify({
          type: "welcome",
          data: { worker_id: "fake", connection_id: "c1", heartbeat_interval_ms: 5_000 },
        }),
      );
      ws.on("message", (data) => {
        const msg = JSON.parse(String(data));
        reports.push(msg);
        if (msg.type === "hello" && !assigned) {
          assigned = true;
          ws.send(JSON.stringify({ type: "task_assignment", data: assignment }));
        }
      });
      return;
    }
    ws.send(
      JSON.stringify({
        type: "ready",
        run_id: runId,
        state: "INPROGRESS",
        last_seq: 0,
        access: "HOST",
        execution_id: 1,
      }),
    );
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type !== "append") return;
      events.push(...frame.events);
      ws.send(
        JSON.stringify({
          type: "ack",
          ref: frame.ref,
          seqs: frame.events.map((e: FakeEvent) => e.host_seq),
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    /** what it hands out; a test may change it until the runner claims it (e.g. a prompt naming the runner's pid) */
    assignment,
    events,
    reports,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => r());
      }),
  };
}
