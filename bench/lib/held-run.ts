// A run its host holds, for benches that drive a run's session themselves: the run is created on a
// worker pool of its own, a bare host connection takes it (claimed, started), and the session is
// attached with the HOST token of that assignment, as a runner does. A HOST token is good only
// while its execution is held, so a bench cannot mint one for a run nobody took.
import WebSocket from "ws";

type Assignment = {
  task_id: string;
  execution_id: number;
  session: { token: string };
  gateway?: { path: string; token: string } | null;
};
export type HeldRun = {
  runId: string;
  token: string;
  /** the run's model gateway credential (null when the team's gateway is off) */
  gatewayToken: string | null;
  release(): Promise<void>;
};

export async function heldRun(
  ctx: { url: string; key: string },
  prompt: string,
  timeoutMs = 30_000,
): Promise<HeldRun> {
  const workerId = `bench-held-${Math.random().toString(36).slice(2, 10)}`;
  const ws = new WebSocket(
    `${ctx.url.replace(/^http/, "ws")}/api/v1/selfhosted/worker/ws?worker_id=${workerId}`,
    {
      headers: { authorization: `Bearer ${ctx.key}` },
      perMessageDeflate: false,
    },
  );
  const send = (type: string, data: object) => ws.send(JSON.stringify({ type, data }));
  let heartbeat: NodeJS.Timeout | undefined;
  let running: string[] = [];
  const welcomed = new Promise<void>((resolve, reject) => {
    ws.on("unexpected-response", (_req, res) =>
      reject(new Error(`held run: the pool socket answered HTTP ${res.statusCode}`)),
    );
    ws.on("error", reject);
    ws.on("message", (raw) => {
      const f = JSON.parse(raw.toString()) as {
        type: string;
        data: { heartbeat_interval_ms?: number };
      };
      if (f.type !== "welcome") return;
      send("hello", { capacity: 1, version: "bench" });
      heartbeat = setInterval(
        () => send("heartbeat", { running }),
        f.data.heartbeat_interval_ms ?? 10_000,
      );
      resolve();
    });
  });
  const assigned = new Promise<Assignment>((resolve) => {
    ws.on("message", (raw) => {
      const f = JSON.parse(raw.toString()) as { type: string; data: Assignment };
      if (f.type === "task_assignment") resolve(f.data);
    });
  });
  await welcomed;
  const res = await fetch(`${ctx.url}/api/v1/agent/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${ctx.key}`, "content-type": "application/json" },
    body: JSON.stringify({ prompt, config: { worker_host: workerId } }),
  });
  if (res.status !== 200)
    throw new Error(`held run: create answered ${res.status} ${await res.text()}`);
  const runId = ((await res.json()) as { run_id: string }).run_id;
  let timer: NodeJS.Timeout | undefined;
  const a = await Promise.race([
    assigned,
    new Promise<never>(
      (_, reject) =>
        (timer = setTimeout(
          () => reject(new Error(`held run: ${runId} was not assigned within ${timeoutMs} ms`)),
          timeoutMs,
        )),
    ),
  ]);
  clearTimeout(timer);
  const ref = { task_id: a.task_id, execution_id: a.execution_id };
  send("task_claimed", ref);
  send("task_started", ref);
  running = [runId];
  return {
    runId,
    token: a.session.token,
    gatewayToken: a.gateway?.token ?? null,
    release: async () => {
      send("task_completed", { ...ref, message: "bench done" });
      await new Promise((r) => setTimeout(r, 200)); // the report goes out before the socket closes
      clearInterval(heartbeat);
      ws.close(1000);
    },
  };
}
